"""The independent checker: the policy read directly, sharing no code with the optimizer.

Small random lists (``instances``) with every constraint kind: budget, exclusive groups,
prerequisites, retirements, capacity- and energy-weighted benchmark shares, baseline for all,
small-line elimination (closure by order); many are infeasible. Intensity cuts add up and may be
negative; closures with no CO2 figure are credited net of replacement at benchmark. The brute
force enumerates every subset.
"""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import strategies as st

from optimizer import SolverSettings, Target, build_dataset
from optimizer.data.reading import RawTable

PRODUCTS = pd.DataFrame(
    {"sector": ["steel", "steel"], "unit": ["t", "m2"], "benchmark": [100.0, 10.0], "baseline": [120.0, 14.0]},
    index=pd.Index(["pa", "pb"], name="product"),
)
EXACT = SolverSettings(gap=0.0, time_limit=30)


COAL_T_PER_TCE = 2.660  # data/emission_factors.csv, fuel_coal: the checker's own copy


@st.composite
def instances(draw):
    n_facilities = draw(st.integers(1, 3))
    facilities = []
    for f in range(n_facilities):
        product = draw(st.sampled_from(["pa", "pb"]))
        level = 100.0 if product == "pa" else 10.0
        facilities.append({
            "facility_id": f"F{f}", "sector": "steel", "product": product,
            "capacity": draw(st.integers(1, 10)) * 100,
            "energy_intensity": level * draw(st.sampled_from([0.95, 1.1, 1.3])),
        })
    n_projects = draw(st.integers(1, 8))
    projects = []
    for p in range(n_projects):
        f = draw(st.integers(0, n_facilities - 1))
        level = 100.0 if facilities[f]["product"] == "pa" else 10.0
        retire = draw(st.booleans()) and draw(st.booleans())
        # after < today: a cut (whole or partial, cuts add up); after > today: the project raises intensity
        after = None if retire else draw(st.sampled_from([None, 0.9, 1.0, 1.05, 1.15, 1.25, 1.4]))
        requires = ""
        if p > 0 and draw(st.integers(0, 4)) == 0:
            requires = f"P{draw(st.integers(0, p - 1))}"
        co2 = draw(st.integers(0, 60))
        projects.append({
            "project_id": f"P{p}", "facility_id": f"F{f}", "capex": draw(st.integers(0, 50)),
            "co2_reduction": "" if retire and draw(st.booleans()) else co2,
            "energy_intensity_after": "" if after is None else level * after,
            "exclusive_group": draw(st.sampled_from(["", "", "g1", "g2"])),
            "requires": requires, "retire": "true" if retire else "",
        })
    targets = []
    if draw(st.booleans()):
        targets.append(Target("share_cap", "benchmark_share_min", ("pa",), draw(st.sampled_from([0.3, 0.5, 0.8]))))
    if draw(st.booleans()):
        targets.append(Target("share_energy", "benchmark_share_min", ("pa", "pb"),
                              draw(st.sampled_from([0.2, 0.5])), weight="energy"))
    if draw(st.booleans()):
        targets.append(Target("baseline", "baseline_all", ("pb",), 1.0))
    if draw(st.booleans()):
        targets.append(Target("small", "min_line_capacity", ("pa", "pb"), draw(st.sampled_from([150, 300]))))
    budget = draw(st.integers(0, 150))
    return pd.DataFrame(facilities), pd.DataFrame(projects), targets, budget


def make_dataset(facilities: pd.DataFrame, projects: pd.DataFrame, targets: list[Target]):
    tables = [RawTable("facilities", "facilities.csv", facilities.astype(str), list(range(2, len(facilities) + 2))),
              RawTable("projects", "projects.csv", projects.astype(str), list(range(2, len(projects) + 2)))]
    return build_dataset(tables, reference_products=PRODUCTS, reference_targets=targets)


def closed_by_order(facilities: pd.DataFrame, targets: list[Target]) -> set[str]:
    """Lines below a small-line threshold: the plans close them whatever is chosen."""
    return {fac["facility_id"] for t in targets if t.kind == "min_line_capacity"
            for _, fac in facilities.iterrows() if fac["product"] in t.products and fac["capacity"] < t.value}


def co2_of(facilities: pd.DataFrame, projects: pd.DataFrame) -> dict[str, float]:
    """Each project's CO2: as given, or for a closure with none, net of replacement made at benchmark."""
    result = {}
    for _, row in projects.iterrows():
        if row["co2_reduction"] == "":
            fac = facilities.set_index("facility_id").loc[row["facility_id"]]
            benchmark = PRODUCTS.at[fac["product"], "benchmark"]
            result[row["project_id"]] = fac["capacity"] * (fac["energy_intensity"] - benchmark) / 1000 * COAL_T_PER_TCE
        else:
            result[row["project_id"]] = float(row["co2_reduction"])
    return result


def check(facilities: pd.DataFrame, projects: pd.DataFrame, targets: list[Target], subset: set[str],
          margin: float = 0.0, shortfall_allowed: bool = False) -> dict | None:
    """Target values if ``subset`` obeys every rule, else None (budget not included).

    With ``shortfall_allowed`` share targets may be missed (the closest
    portfolio): the values are returned all the same.
    """
    chosen = projects[projects["project_id"].isin(subset)]
    for group, rows in chosen.groupby("exclusive_group"):
        if group and len(rows) > 1:
            return None
    for _, row in chosen.iterrows():
        if row["requires"] and row["requires"] not in subset:
            return None
    ordered = closed_by_order(facilities, targets)
    retired = set(chosen.loc[chosen["retire"] == "true", "facility_id"])
    if (chosen["retire"] == "true").sum() > len(retired):
        return None  # two retirements of one facility
    if any(row["facility_id"] in retired | ordered and row["retire"] != "true" for _, row in chosen.iterrows()):
        return None  # a closed facility takes no other project
    for facility in ordered:
        listed = projects[(projects["facility_id"] == facility) & (projects["retire"] == "true")]
        if len(listed) and facility not in retired:
            return None  # a listed retirement of a line closed by order is chosen
    retired |= ordered
    values = {}
    for target in targets:
        if target.kind == "min_line_capacity":
            values[target.target_id] = float(sum(
                1 for _, fac in facilities.iterrows() if fac["product"] in target.products
                and fac["capacity"] < target.value and fac["facility_id"] not in retired))
            continue
        level_column = "baseline" if target.kind == "baseline_all" else "benchmark"
        weighted, total = 0.0, 0.0
        for _, fac in facilities.iterrows():
            if fac["product"] not in target.products or fac["facility_id"] in retired:
                continue
            level = PRODUCTS.at[fac["product"], level_column]
            own = chosen[chosen["facility_id"] == fac["facility_id"]]
            cuts = [fac["energy_intensity"] - float(a) for a in own["energy_intensity_after"] if a != ""]
            reached = fac["energy_intensity"] - sum(cuts) <= level + 1e-9
            weight = fac["capacity"] * (fac["energy_intensity"] if target.weight == "energy" else 1.0)
            total += weight
            weighted += weight * reached
        share = weighted / total if total > 0 else None
        values[target.target_id] = share
        required = 1.0 if target.kind == "baseline_all" else min(1.0, target.value + margin)
        if not shortfall_allowed and share is not None and share < required - 1e-9:
            return None
    return values


def shortfall_of(targets: list[Target], values: dict, margin: float = 0.0) -> float:
    total = 0.0
    for target in targets:
        share = values[target.target_id]
        if target.kind == "min_line_capacity" or share is None:
            continue
        required = 1.0 if target.kind == "baseline_all" else min(1.0, target.value + margin)
        total += max(0.0, required - share)
    return total


def subsets(projects: pd.DataFrame):
    ids = list(projects["project_id"])
    for size in range(len(ids) + 1):
        yield from itertools.combinations(ids, size)


def spend_of(projects: pd.DataFrame, subset) -> float:
    capex = dict(zip(projects["project_id"], projects["capex"]))
    return float(sum(capex[p] for p in subset))


def brute_force(facilities, projects, targets, budget, objective="co2", co2_goal=None, margin=0.0, excluded=()):
    """Best objective over every subset (none with an ``excluded`` project), or None when none is feasible."""
    best = None
    co2 = co2_of(facilities, projects)
    for subset in subsets(projects):
        if set(subset) & set(excluded):
            continue
        spend = spend_of(projects, subset)
        cut = sum(co2[p] for p in subset)
        if budget is not None and spend > budget:
            continue
        if co2_goal is not None and cut < co2_goal:
            continue
        if check(facilities, projects, targets, set(subset), margin) is None:
            continue
        value = cut if objective == "co2" else spend
        if best is None or (value > best + 1e-9 if objective == "co2" else value < best - 1e-9):
            best = value
    return best


def brute_force_closest(facilities, projects, targets, budget, margin=0.0):
    """(least total shortfall, most CO2 at that shortfall) over every subset within the budget."""
    best = None
    co2 = co2_of(facilities, projects)
    for subset in subsets(projects):
        if spend_of(projects, subset) > budget:
            continue
        values = check(facilities, projects, targets, set(subset), margin, shortfall_allowed=True)
        if values is None:
            continue
        key = (round(shortfall_of(targets, values, margin), 9), -sum(co2[p] for p in subset))
        if best is None or key < best:
            best = key
    return None if best is None else (best[0], -best[1])
