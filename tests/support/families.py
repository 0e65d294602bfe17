"""Seeded, deterministic synthetic instances for the benchmarks and the tests (no files written).

``make_case(n_projects, seed)`` returns an :class:`optimizer.data.instance.Instance`
built directly from numpy arrays, the shipped plan targets
(``data/targets.csv``: benchmark shares weighted by capacity and by energy,
steel all at baseline, small ceramic lines eliminated) and a budget at which
those targets can be met but the budget still binds.

Structure, calibrated loosely on the illustrative Fuzhou sample:

* one facility per 5 projects; products drawn in the sample's proportions
  (steel, petrochemical, building materials), capacity lognormal around the
  sample's median per product, current intensity placed between the
  product's benchmark and baseline (some better than benchmark, ~30 % worse
  than baseline); ~15 % of ceramic lines are below the small-line threshold;
* 2 to ~12 projects per facility (mean 5): slot 0 a deep retrofit that
  reaches benchmark, slot 1 a cheaper partial retrofit (alternatives: one
  exclusive group), slot 2 a prerequisite (dedusting/sealing), slot 3 a
  waste-heat unit that requires it, further slots rooftop solar (electricity
  saving, no intensity effect); old lines, and every small ceramic line, get
  a retirement project in the same exclusive group;
* CO2 from energy saved (2.66 tCO2/tce coal, 0.4211 tCO2/MWh grid), capex per
  tce/yr saved with lognormal noise: the partial retrofit is cheaper per tCO2
  than the deep one, so a CO2-per-万元 ranking breaks the benchmark targets.

The budget is 1.25 x the cost of a greedy portfolio that meets every target
(so the targets are met at the optimum, and bind), well below the capex of
all projects (so the budget binds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.data.checks import shipped_products, shipped_targets
from optimizer.data.dataset import Target, is_at_level
from optimizer.data.instance import Instance

COAL_T_PER_TCE = 2.660
GRID_T_PER_MWH = 0.4211

# Facilities per product in the Fuzhou sample (mix) and the sample's median capacity.
PRODUCT_MIX = {
    "ammonia_coal_other": (1, 150_000), "ammonia_coal_powder": (2, 250_000),
    "ammonia_coal_premium": (1, 180_000), "ammonia_natural_gas": (1, 250_000),
    "blast_furnace": (5, 1_100_000), "caustic_soda_liquid_30": (4, 135_000),
    "caustic_soda_liquid_45": (2, 200_000), "caustic_soda_solid_98": (1, 50_000),
    "cement_clinker": (2, 1_165_000), "ceramic_tile_high_absorption": (14, 1_800_000),
    "ceramic_tile_low_absorption": (6, 4_050_000), "ceramic_tile_mid_absorption": (8, 2_400_000),
    "coke_stamp_charged": (1, 600_000), "coke_top_charged": (1, 1_000_000),
    "converter": (4, 1_950_000), "eaf_30_50t": (2, 450_000), "eaf_50t_plus": (2, 750_000),
    "flat_glass_500_800": (1, 3_400_000), "flat_glass_over_800": (1, 5_000_000),
    "pellet": (1, 1_200_000), "sanitary_ceramics": (5, 7_000), "sinter": (4, 2_800_000),
}

L2, L1, PRE, DEP, SOLAR, RETIRE = range(6)
KIND_NAMES = ("deep", "partial", "prerequisite", "waste_heat", "solar", "retire")


@dataclass
class Case:
    name: str
    instance: Instance
    targets: list[Target]
    budget: float
    greedy_cost: float
    info: dict


def make_case(n_projects: int, seed: int = 20250601) -> Case:
    rng = np.random.default_rng([seed, n_projects])
    products = shipped_products()
    targets = [t for t in shipped_targets() if t.enabled]
    n_fac = max(1, round(n_projects / 5))
    if n_projects < 2 * n_fac:
        raise ValueError("need at least 2 projects per facility")

    # --- facilities -------------------------------------------------------
    names = np.array(list(PRODUCT_MIX), dtype=object)
    mix = np.array([PRODUCT_MIX[p][0] for p in names], float)
    product = names[rng.choice(len(names), size=n_fac, p=mix / mix.sum())]
    median_cap = np.array([PRODUCT_MIX[p][1] for p in product], float)
    capacity = np.round(median_cap * rng.lognormal(0.0, 0.5, n_fac), -2)
    capacity = np.maximum(capacity, 100.0)
    benchmark = products.loc[product, "benchmark"].to_numpy(float)
    baseline = products.loc[product, "baseline"].to_numpy(float)
    span = baseline - benchmark
    r = rng.uniform(-0.3, 1.45, n_fac)            # <=0 at benchmark, >1 worse than baseline
    intensity = benchmark + r * span
    energy_tce = np.abs(capacity * intensity) / 1000.0

    small = np.zeros(n_fac, bool)
    for t in targets:
        if t.kind == "min_line_capacity":
            small |= np.isin(product, t.products) & (capacity < t.value)
    need_retire = small | ((r > 1.1) & (rng.random(n_fac) < 0.5)) | (rng.random(n_fac) < 0.03)

    # --- projects per facility: 2 each, the rest spread multinomially (mean 5) ----
    k = 2 + rng.multinomial(n_projects - 2 * n_fac, np.full(n_fac, 1.0 / n_fac))
    start = np.concatenate(([0], np.cumsum(k)[:-1]))
    fac = np.repeat(np.arange(n_fac), k)
    slot = np.arange(n_projects) - start[fac]
    kind = np.minimum(slot, SOLAR)
    last = start + k - 1
    kind[last[need_retire]] = RETIRE

    f_int, f_bm, f_span, f_cap = intensity[fac], benchmark[fac], span[fac], capacity[fac]
    gap_to_bm = np.maximum(f_int - f_bm, 0.1 * f_span)
    u = rng.random(n_projects)
    after = np.full(n_projects, np.nan)
    after = np.where(kind == L2, np.minimum(f_int, f_bm) - 0.1 * u * f_span, after)
    after = np.where(kind == L1, f_int - (0.3 + 0.5 * u) * gap_to_bm, after)
    after = np.where(kind == PRE, f_int - (0.01 + 0.02 * u) * gap_to_bm, after)
    after = np.where(kind == DEP, f_int - (0.05 + 0.10 * u) * gap_to_bm, after)
    # Partial retrofits land strictly short of benchmark.
    after = np.where((kind == L1) & (after <= f_bm + 1e-6) & (f_int > f_bm), f_bm + 0.05 * f_span, after)

    saved_tce = np.where(np.isnan(after), 0.0, (f_int - np.nan_to_num(after)) * f_cap / 1000.0)
    mwh = np.where(kind == SOLAR, energy_tce[fac] * rng.uniform(0.003, 0.02, n_projects) * 8.14, 0.0)
    retire_share = rng.uniform(0.2, 0.5, n_projects)
    co2 = saved_tce * COAL_T_PER_TCE + mwh * GRID_T_PER_MWH
    co2 = np.where(kind == RETIRE, energy_tce[fac] * retire_share * COAL_T_PER_TCE, co2)

    noise = rng.lognormal(0.0, 0.3, n_projects)
    per_tce = np.select([kind == L2, kind == L1, kind == PRE, kind == DEP], [0.50, 0.33, 1.50, 0.33], 0.0)
    capex = saved_tce * per_tce * noise
    capex += np.where(kind == L2, 0.006 * energy_tce[fac], 0.0)
    capex += np.where(kind == SOLAR, mwh * 0.30 * noise, 0.0)
    capex += np.where(kind == RETIRE, energy_tce[fac] * 0.15 * noise, 0.0)
    capex = np.round(np.maximum(capex, 10.0), 1)
    co2 = np.round(np.maximum(co2, 1.0), 1)

    # --- logic: alternatives (deep, partial, retire) and prerequisites --------
    alt = np.flatnonzero(np.isin(kind, (L2, L1, RETIRE)))
    cuts = np.flatnonzero(np.diff(fac[alt])) + 1
    groups = tuple(g for g in np.split(alt, cuts) if len(g) > 1)
    dep = np.flatnonzero(kind == DEP)
    prerequisites = tuple((int(p), int(p - 1)) for p in dep)   # slot 3 requires slot 2

    instance = Instance(
        project_ids=np.array([f"P{i:06d}" for i in range(n_projects)], dtype=object),
        facility=fac, capex=capex, co2=co2, retire=kind == RETIRE, intensity_after=after,
        groups=groups, prerequisites=prerequisites,
        facility_ids=np.array([f"F{i:05d}" for i in range(n_fac)], dtype=object),
        product=product, capacity=capacity, intensity=intensity, benchmark=benchmark,
        baseline=baseline, energy_tce=energy_tce,
    )
    greedy = greedy_feasible(instance, targets, kind)
    greedy_cost = float(capex[greedy].sum())
    budget = float(np.round(1.25 * greedy_cost, -1))
    info = {
        "facilities": n_fac, "groups": len(groups), "prerequisites": len(prerequisites),
        "retire_projects": int((kind == RETIRE).sum()), "small_lines": int(small.sum()),
        "total_capex": float(capex.sum()), "greedy_cost": greedy_cost, "budget": budget,
    }
    return Case(f"synthetic-{n_projects}", instance, targets, budget, greedy_cost, info)


def greedy_feasible(instance: Instance, targets: list[Target], kind: np.ndarray) -> np.ndarray:
    """A portfolio meeting every target (at most one alternative per facility); its cost sets the budget."""
    n_fac = len(instance.facility_ids)
    fac = instance.facility
    first = {K: np.full(n_fac, -1) for K in (L2, L1, RETIRE)}
    for K in first:
        idx = np.flatnonzero(kind == K)
        first[K][fac[idx]] = idx
    chosen_at = np.full(n_fac, -1)          # the one alternative chosen per facility
    retired = np.zeros(n_fac, bool)
    for t in targets:                        # small lines first: they leave the shares
        if t.kind == "min_line_capacity":
            small = np.flatnonzero(instance.covered(t.products) & (instance.capacity < t.value))
            chosen_at[small] = first[RETIRE][small]
            retired[small] = True
    for t in targets:
        if t.kind != "baseline_all":
            continue
        below = np.flatnonzero(instance.covered(t.products) & ~is_at_level(instance.intensity, instance.baseline)
                               & (chosen_at < 0))
        for f in below:
            options = [p for p in (first[L1][f], first[RETIRE][f], first[L2][f]) if p >= 0
                       and (instance.retire[p] or is_at_level(instance.intensity_after[p], instance.baseline[f]))]
            chosen_at[f] = min(options, key=lambda p: instance.capex[p])
            retired[f] = bool(instance.retire[chosen_at[f]])
    for t in targets:
        if t.kind != "benchmark_share_min":
            continue
        w = instance.weights(t.weight)
        covered = instance.covered(t.products) & ~retired
        at_bm = is_at_level(instance.intensity, instance.benchmark) | np.isin(
            np.arange(n_fac), fac[[p for p in chosen_at if p >= 0 and not instance.retire[p]
                                   and is_at_level(instance.intensity_after[p], instance.benchmark[fac[p]])]])
        need = t.value * w[covered].sum() - w[covered & at_bm].sum()
        candidates = np.flatnonzero(covered & ~at_bm)
        # cheapest deep retrofit per unit of weight, replacing a cheaper partial one if chosen
        extra = instance.capex[first[L2][candidates]] - np.where(
            chosen_at[candidates] >= 0, instance.capex[np.maximum(chosen_at[candidates], 0)], 0.0)
        order = candidates[np.argsort(extra / np.maximum(w[candidates], 1e-9))]
        for f in order:
            if need <= 1e-9:
                break
            chosen_at[f] = first[L2][f]
            need -= w[f]
    chosen = np.zeros(instance.n_projects, bool)
    chosen[chosen_at[chosen_at >= 0]] = True
    return chosen


# === instance families ===========================================
#
# ``make_family(name, n_projects, seed)`` draws one instance of a documented family; every
# family is seeded by (seed, family, size). ``write_case`` writes it as the user would hand it
# over: a folder of CSVs (facilities, projects, targets) or one .xlsx workbook with those sheets,
# so the whole CLI path (reading, checks, instance, model, solve) can be timed.
#
# Project kinds beyond the classic shape: PARTIAL cuts are additive (several on one facility must
# add up to reach a level: binary at-level flags in the model), RAISE rows raise intensity
# (carbon capture) while cutting CO2.

PARTIAL, RAISE = 6, 7
FAMILY_KIND_NAMES = KIND_NAMES + ("additive_partial", "raises_intensity")


@dataclass(frozen=True)
class Family:
    """The knobs of one instance family.

    ``ppf``: projects per facility drawn uniformly in [lo, hi]. ``kinds``: probability of each
    kind for slots after the first (deep, partial-alternative, prerequisite, waste-heat, solar,
    retire, additive partial, raises intensity). ``grouped``: share of facilities whose
    alternatives (deep / partial / retire) form an exclusive group (otherwise they add up).
    ``budget_share``: budget as a share of total capex (raised, if needed, to 1.05 x a greedy
    portfolio meeting the targets, so every instance is feasible). ``tightness``: each share
    target is set this far from today's share towards the most any portfolio could reach
    (0 = slack, 1 = barely feasible). ``products``: number of products drawn (fewer products =
    more facilities per product).
    """

    name: str
    doc: str
    ppf: tuple[int, int]
    kinds: tuple[float, ...]
    grouped: float
    budget_share: float
    tightness: float
    products: int
    retire_share: float = 0.05


FAMILIES = {
    "classic": None,  # make_case above: 5 projects per facility, budget 1.25 x greedy target cost
    "holdout": Family("holdout", "the hold-out shape: ~2.5 projects per facility (2-3), some "
                      "alternatives and prerequisites, share targets that bind (tightness 0.7), budget a third "
                      "of total capex", (2, 3), (0.20, 0.15, 0.22, 0.22, 0.10, 0.03, 0.08, 0.0), 0.5, 0.33, 0.7,
                      22, 0.03),
    "sparse": Family("sparse", "1-2 projects per facility, mostly solar-only and single retrofits, tight budget "
                     "(10 % of capex), slack targets (tightness 0.2), all products", (1, 2),
                     (0.35, 0.05, 0.0, 0.0, 0.45, 0.05, 0.10, 0.0), 0.3, 0.10, 0.2, 22, 0.02),
    "dense_additive": Family("dense_additive", "6-12 projects per facility, many additive partial cuts that must "
                             "add up and intensity-raising rows, few exclusive groups, loose budget (60 % of "
                             "capex), barely feasible targets (tightness 0.95), 4 products (many facilities each)",
                             (6, 12), (0.08, 0.05, 0.08, 0.08, 0.15, 0.03, 0.45, 0.08), 0.15, 0.60, 0.95, 4, 0.03),
    "retire_heavy": Family("retire_heavy", "3-6 projects per facility, every facility's alternatives exclusive, "
                           "many retirements and prerequisites, budget 90 % of capex, targets at 0.5 tightness",
                           (3, 6), (0.20, 0.20, 0.15, 0.15, 0.10, 0.15, 0.05, 0.0), 1.0, 0.90, 0.5, 10, 0.25),
}


def make_family(family: str, n_projects: int, seed: int = 20250601) -> Case:
    """One seeded instance of ``family`` with about ``n_projects`` projects (exactly, for families)."""
    if family == "classic":
        return make_case(n_projects, seed)
    spec = FAMILIES[family]
    rng = np.random.default_rng([seed, n_projects, sum(map(ord, family))])
    products = shipped_products()
    shipped = [t for t in shipped_targets() if t.enabled]

    # --- projects per facility, exactly n_projects in all ----------------------
    lo, hi = spec.ppf
    counts = rng.integers(lo, hi + 1, size=max(1, n_projects // lo + 1))
    total = np.cumsum(counts)
    n_fac = int(np.searchsorted(total, n_projects) + 1)
    counts = counts[:n_fac]
    counts[-1] -= int(total[n_fac - 1] - n_projects)
    counts = counts[counts > 0]
    n_fac = len(counts)

    names = np.array(list(PRODUCT_MIX), dtype=object)
    chosen_products = names[rng.permutation(len(names))[:spec.products]]
    mix = np.array([PRODUCT_MIX[p][0] for p in chosen_products], float)
    product = chosen_products[rng.choice(len(chosen_products), size=n_fac, p=mix / mix.sum())]
    median_cap = np.array([PRODUCT_MIX[p][1] for p in product], float)
    capacity = np.maximum(np.round(median_cap * rng.lognormal(0.0, 0.5, n_fac), -2), 100.0)
    benchmark = products.loc[product, "benchmark"].to_numpy(float)
    baseline = products.loc[product, "baseline"].to_numpy(float)
    span = baseline - benchmark
    r = rng.uniform(-0.3, 1.45, n_fac)
    intensity = benchmark + r * span
    energy_tce = np.abs(capacity * intensity) / 1000.0
    small = np.zeros(n_fac, bool)
    for t in shipped:
        if t.kind == "min_line_capacity":
            small |= np.isin(product, t.products) & (capacity < t.value)
    steel = np.zeros(n_fac, bool)
    for t in shipped:
        if t.kind == "baseline_all":
            steel |= np.isin(product, t.products)

    # --- kinds: slot 0 a deep retrofit (or retirement); the rest drawn from spec.kinds -------
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    fac = np.repeat(np.arange(n_fac), counts)
    slot = np.arange(n_projects) - start[fac]
    p = np.array(spec.kinds, float)
    kind = rng.choice(len(p), size=n_projects, p=p / p.sum())
    kind[slot == 0] = L2
    retire_here = small | (rng.random(n_fac) < spec.retire_share)
    last = start + counts - 1
    kind[last[retire_here & (counts > 1)]] = RETIRE
    kind[start[retire_here & (counts == 1) & small]] = RETIRE
    # a waste-heat unit requires a prerequisite (sealing, dedusting) of its facility; without one it is additive
    requires = np.full(n_projects, -1)
    first_pre = np.full(n_fac, -1)
    pre = np.flatnonzero(kind == PRE)[::-1]
    first_pre[fac[pre]] = pre  # reversed: the first PRE of each facility is written last
    dep = np.flatnonzero(kind == DEP)
    requires[dep] = first_pre[fac[dep]]
    kind[(kind == DEP) & (requires < 0)] = PARTIAL

    f_int, f_bm, f_span, f_cap = intensity[fac], benchmark[fac], span[fac], capacity[fac]
    gap_to_bm = np.maximum(f_int - f_bm, 0.1 * f_span)
    u = rng.random(n_projects)
    n_partial = np.bincount(fac[kind == PARTIAL], minlength=n_fac)[fac]
    after = np.full(n_projects, np.nan)
    after = np.where(kind == L2, np.minimum(f_int, f_bm) - 0.1 * u * f_span, after)
    after = np.where(kind == L1, f_int - (0.3 + 0.5 * u) * gap_to_bm, after)
    after = np.where(kind == PRE, f_int - (0.01 + 0.02 * u) * gap_to_bm, after)
    after = np.where(kind == DEP, f_int - (0.05 + 0.10 * u) * gap_to_bm, after)
    # additive cuts: each a share of the gap so that together they (just) reach benchmark
    after = np.where(kind == PARTIAL, f_int - (0.6 + 0.8 * u) * gap_to_bm / np.maximum(n_partial, 1), after)
    after = np.where(kind == RAISE, f_int + (0.05 + 0.2 * u) * f_span, after)
    after = np.where((kind == L1) & (after <= f_bm + 1e-6) & (f_int > f_bm), f_bm + 0.05 * f_span, after)

    saved_tce = np.where(np.isnan(after), 0.0, np.maximum(f_int - np.nan_to_num(after), 0.0) * f_cap / 1000.0)
    mwh = np.where(kind == SOLAR, energy_tce[fac] * rng.uniform(0.003, 0.02, n_projects) * 8.14, 0.0)
    co2 = saved_tce * COAL_T_PER_TCE + mwh * GRID_T_PER_MWH
    co2 = np.where(kind == RETIRE, energy_tce[fac] * rng.uniform(0.2, 0.5, n_projects) * COAL_T_PER_TCE, co2)
    co2 = np.where(kind == RAISE, energy_tce[fac] * rng.uniform(0.05, 0.3, n_projects) * COAL_T_PER_TCE, co2)
    noise = rng.lognormal(0.0, 0.3, n_projects)
    per_tce = np.select([kind == L2, kind == L1, kind == PRE, kind == DEP, kind == PARTIAL],
                        [0.50, 0.33, 1.50, 0.33, 0.40], 0.0)
    capex = saved_tce * per_tce * noise
    capex += np.where(kind == L2, 0.006 * energy_tce[fac], 0.0)
    capex += np.where(kind == SOLAR, mwh * 0.30 * noise, 0.0)
    capex += np.where(kind == RETIRE, energy_tce[fac] * 0.15 * noise, 0.0)
    capex += np.where(kind == RAISE, energy_tce[fac] * 0.08 * noise, 0.0)
    capex = np.round(np.maximum(capex, 10.0), 1)
    co2 = np.round(np.maximum(co2, 1.0), 1)

    # --- exclusive groups: deep / partial alternative / retire of a "grouped" facility --------
    grouped_fac = rng.random(n_fac) < spec.grouped
    alt = np.flatnonzero(np.isin(kind, (L2, L1, RETIRE)) & grouped_fac[fac])
    cuts = np.flatnonzero(np.diff(fac[alt])) + 1
    groups = tuple(g for g in np.split(alt, cuts) if len(g) > 1)
    prerequisites = tuple((int(i), int(requires[i])) for i in np.flatnonzero(requires >= 0))

    instance = Instance(
        project_ids=np.array([f"P{i:06d}" for i in range(n_projects)], dtype=object),
        facility=fac, capex=capex, co2=co2, retire=kind == RETIRE, intensity_after=after,
        groups=groups, prerequisites=prerequisites,
        facility_ids=np.array([f"F{i:05d}" for i in range(n_fac)], dtype=object),
        product=product, capacity=capacity, intensity=intensity, benchmark=benchmark,
        baseline=baseline, energy_tce=energy_tce,
    )
    # steel below baseline must be reachable: give it a retirement if no project reaches baseline
    targets, greedy_cost = _family_targets(instance, shipped, spec.tightness, small)
    total_capex = float(capex.sum())
    budget = float(np.round(max(spec.budget_share * total_capex, 1.05 * greedy_cost), -1))
    info = {
        "family": family, "facilities": n_fac, "groups": len(groups), "prerequisites": len(prerequisites),
        "retire_projects": int((kind == RETIRE).sum()), "small_lines": int(small.sum()),
        "additive": int((kind == PARTIAL).sum()), "raising": int((kind == RAISE).sum()),
        "solar": int((kind == SOLAR).sum()), "products": int(len(set(product))),
        "total_capex": total_capex, "greedy_cost": greedy_cost, "budget": budget,
        "budget_share": budget / total_capex, "targets": {t.target_id: t.value for t in targets},
    }
    return Case(f"{family}-{n_projects}", instance, targets, budget, greedy_cost, info)


def _family_targets(instance: Instance, shipped: list[Target], tightness: float, small: np.ndarray):
    """Share targets set ``tightness`` of the way from today's share to the most reachable; their greedy cost.

    Reachable at benchmark: a facility with a deep retrofit (reaches alone), or whose additive
    cuts add up. ``baseline_all`` is kept only if every covered facility below baseline can reach
    it (or retire); otherwise it is dropped (a generator must not emit an infeasible list).
    """
    from dataclasses import replace

    n_fac = instance.n_facilities
    fac = instance.facility
    best = instance.best_reduction()
    need_bm = instance.intensity - instance.benchmark
    reach_bm = (best >= need_bm - 1e-9) & ~small
    at_bm = need_bm <= 1e-9
    can_retire = instance.can_retire
    # cheapest way to benchmark: deep project alone, else all positive cuts
    cost_bm = np.full(n_fac, np.inf)
    alone = instance.reaches(instance.benchmark)
    np.minimum.at(cost_bm, fac[alone], instance.capex[alone])
    positive = (instance.reduction > 0) & ~instance.retire
    all_cuts = np.bincount(fac[positive], weights=instance.capex[positive], minlength=n_fac)
    cost_bm = np.where(np.isinf(cost_bm) & reach_bm, all_cuts, cost_bm)
    out, cost = [], 0.0
    for t in shipped:
        if t.kind == "min_line_capacity":
            out.append(t)
            cost += float(instance.capex[instance.retire & small[fac]].sum())
            continue
        covered = instance.covered(t.products) & ~small
        if t.kind == "baseline_all":
            need_bl = instance.intensity - instance.baseline
            below = covered & (need_bl > 1e-9)
            ok = (best >= need_bl - 1e-9) | can_retire
            if (below & ~ok).any():
                continue
            out.append(t)
            cost += float(np.where(best >= need_bl - 1e-9, cost_bm, 0.0)[below & np.isfinite(cost_bm)].sum())
            continue
        w = instance.weights(t.weight)
        total = w[covered].sum()
        if total <= 0:
            continue
        now = w[covered & at_bm].sum() / total
        most = w[covered & (at_bm | reach_bm)].sum() / total
        value = round(now + tightness * (most - now), 4)
        if value <= 0:
            continue
        out.append(replace(t, value=float(value)))
        candidates = np.flatnonzero(covered & ~at_bm & reach_bm)
        order = candidates[np.argsort(cost_bm[candidates] / np.maximum(w[candidates], 1e-9))]
        need = value * total - w[covered & at_bm].sum()
        filled = np.cumsum(w[order])
        take = order[: int(np.searchsorted(filled, need - 1e-9) + 1)] if need > 0 else order[:0]
        cost += float(cost_bm[take].sum())
    return out, cost


def case_tables(case: Case):
    """The case as the user's tables: facilities, projects, targets (pandas DataFrames)."""
    import pandas as pd

    inst = case.instance
    products = shipped_products()
    facilities = pd.DataFrame({
        "facility_id": inst.facility_ids, "sector": products.loc[inst.product, "sector"].to_numpy(),
        "product": inst.product, "capacity": inst.capacity, "energy_intensity": np.round(inst.intensity, 4)})
    group = np.full(inst.n_projects, "", dtype=object)
    for number, members in enumerate(inst.groups):
        group[members] = f"G{number}"
    requires = np.full(inst.n_projects, "", dtype=object)
    for p, q in inst.prerequisites:
        requires[p] = inst.project_ids[q]
    after = np.where(inst.retire, np.nan, inst.intensity_after)
    projects = pd.DataFrame({
        "project_id": inst.project_ids, "facility_id": inst.facility_ids[inst.facility], "capex": inst.capex,
        "co2_reduction": inst.co2, "energy_intensity_after": np.round(after, 4), "fuel": "coal",
        "exclusive_group": group, "requires": requires, "retire": np.where(inst.retire, "true", "false")})
    targets = pd.DataFrame([{"target_id": t.target_id, "kind": t.kind, "products": ";".join(t.products),
                             "value": t.value, "weight": t.weight} for t in case.targets])
    return facilities, projects, targets


def write_case(case: Case, path, xlsx: bool = False):
    """Write the case as a CSV folder (``path`` a folder) or an .xlsx workbook (``path`` a file)."""
    from pathlib import Path

    import pandas as pd

    path = Path(path)
    facilities, projects, targets = case_tables(case)
    if xlsx:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            facilities.to_excel(writer, sheet_name="facilities", index=False)
            projects.to_excel(writer, sheet_name="projects", index=False)
            targets.to_excel(writer, sheet_name="targets", index=False)
    else:
        path.mkdir(parents=True, exist_ok=True)
        facilities.to_csv(path / "facilities.csv", index=False)
        projects.to_csv(path / "projects.csv", index=False)
        targets.to_csv(path / "targets.csv", index=False)
    return path
