"""A Lagrangian bound for large lists: the few coupling rows priced, each facility solved alone.

Only a handful of rows tie facilities together: the budget and one row per
benchmark-share target. Everything else (exclusive groups, prerequisites,
retirements, closures by order, "all at baseline") is a rule of one
facility. Price the coupling rows with multipliers ``π ≥ 0`` and the model
falls apart: each facility picks, alone, its best set of projects at those
prices. Listing every feasible set of a facility (a few dozen at most on
real lists) solves that exactly, so for every ``π``

    L(π) = π·rhs + Σ_f max over feasible sets S of f [value(S) - π·rows(S)]

is an upper bound on the best portfolio, at least as tight as the LP
relaxation once ``π`` is near its best. ``π`` is found by a cutting-plane
(box-step) method over those few dimensions. The sets each facility picks
at the best ``π`` say which facilities are settled (a large lead over their
second-best set) and which are in doubt: the core search of
:mod:`optimizer.solving.highs` then solves the real model over the facilities in
doubt, the others held at their sets, and proves its portfolio against
``L``. It replaces an LP that takes 8-11 s on 100,000 projects.

The listing is a relaxation of the model, never a restriction: levels are
read with a tolerance looser than HiGHS's, so ``L`` stays a valid bound.
Lists it does not fit (a group or prerequisite spanning facilities, more
than :data:`MAX_FREE_PROJECTS` free projects on one facility or more than
:data:`MAX_LISTED_SETS` sets in all, the cost objective, the
closest-portfolio mode) go to the LP as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimizer.data.instance import Instance
from optimizer.program.kinds import kind_of
from optimizer.program.model import BUDGET_SLACK, RetrofitModel, budget_capex, budget_scale

#: Facilities with more free projects than this are not listed (2^16 = 65,536 sets at most).
MAX_FREE_PROJECTS = 16
#: Most sets listed in all (before dominated ones are dropped): the dense family's 100,000 projects need 13 M
#: (1.9 s); a list needing more (many facilities of 13-16 free projects) takes the LP path instead.
MAX_LISTED_SETS = 20_000_000
#: Most (facility, set) entries held at once while listing (memory: a few arrays of this many floats).
BLOCK_ENTRIES = 2_000_000
#: Levels are read this much looser than the model's rows (relative), so the listing relaxes the model.
LEVEL_SLACK = 1e-6
#: A set worth no more than this above a cheaper set of its facility and signature counts as dominated.
DOMINANCE_TOLERANCE = 1e-12
#: Cutting-plane rounds at most.
MAX_ROUNDS = 80
#: The box around the best point grows to at most this many times |L| (an infeasible list drives L down forever).
MAX_BOX = 1e6


@dataclass(frozen=True)
class CouplingRows:
    """The rows that tie facilities together, in ``≤`` form, and the objective, all as the model scales them.

    ``budget_capex``: capex each project takes from the budget, divided by the
    budget row's scale, ``budget_rhs`` its right-hand side. ``shares``: one
    entry per benchmark-share target, (covered facilities mask, weight per
    facility as a share of the covered total, required share, level per
    facility). ``baseline``: facilities every chosen set must bring to
    baseline unless retired. ``objective``: each project's objective
    coefficient (the model maximises it).
    """

    objective: np.ndarray
    budget_capex: np.ndarray
    budget_rhs: float
    shares: list[tuple[np.ndarray, np.ndarray, float, np.ndarray]]
    baseline: np.ndarray
    closed: np.ndarray
    free: np.ndarray


@dataclass
class FacilitySets:
    """Every feasible project set of every facility, one entry each, grouped by facility.

    ``first[f]`` is the first entry of facility ``f`` (entries of a facility
    are contiguous); bit ``j`` of ``bits`` says whether an entry chooses the
    facility's ``j``-th free project, ``free_projects[starts[f] + j]``.
    """

    facility: np.ndarray
    first: np.ndarray
    bits: np.ndarray
    value: np.ndarray
    rows: np.ndarray
    rhs: np.ndarray
    free_projects: np.ndarray
    starts: np.ndarray


@dataclass(frozen=True)
class LagrangianBound:
    """The best bound found, with each facility's set at its multipliers and how settled that set is.

    ``bound`` is in the model's own (scaled, maximised) objective units.
    ``share`` is each project's weight in the mix of the sets picked along
    the way (0 or 1 where every set agrees, between where they differ: the
    analogue of the LP's fractional values); ``doubt`` is, per project, its
    facility's lead of its best set at ``multipliers`` over its second best,
    relative to what the prices charge for their difference (0 = tied; the
    lower, the more in doubt).
    """

    bound: float
    multipliers: np.ndarray
    share: np.ndarray
    doubt: np.ndarray
    rounds: int
    seconds: float


def coupling_rows(model: RetrofitModel) -> CouplingRows | None:
    """The model's coupling rows as :func:`list_sets` reads them; None for a model this bound does not cover.

    Covered: the most CO2 within a budget, the plan targets enforced
    (not the closest-portfolio mode, not the least-capex mode, not a model
    whose objective a caller replaced). Rows a caller adds (scenario rows,
    exclusions) are left out, which only loosens the bound.
    """
    if not model.plain or model.budget is None or model.problem.objective is not model.objective_expression:
        return None  # another objective (e.g. the alternatives' distance) is not the one priced here
    # a single-year question's choice p is project p (a roadmap is left to the LP)
    instance = model.instance
    shares = []
    baseline = np.zeros(instance.n_facilities, dtype=bool)
    for target in model.targets:
        covered = instance.covered(target.products) & ~model.closed
        coupling = kind_of(target.kind).coupling(instance, target, covered, model.options.margin)
        if coupling.share is not None:
            shares.append(coupling.share)
        if coupling.must_reach_baseline is not None:
            baseline |= coupling.must_reach_baseline
    scale = budget_scale(model.budget)
    return CouplingRows(objective=instance.co2 / model.objective_scale, budget_capex=budget_capex(model) / scale,
                        budget_rhs=model.budget / scale + BUDGET_SLACK, shares=shares, baseline=baseline,
                        closed=model.closed,
                        free=model.open & ~model.options.excluded_mask(instance))


def list_sets(instance: Instance, rows: CouplingRows) -> FacilitySets | None:
    """Every feasible set of every facility; None when one has too many free projects or a rule spans facilities."""
    facility = instance.facility
    if any(facility[p] != facility[q] for p, q in instance.prerequisites):
        return None
    if any(len(np.unique(facility[members])) > 1 for members in instance.groups):
        return None
    free = rows.free.copy()
    for _ in range(len(instance.prerequisites) + 1):  # a project whose prerequisite may not be chosen may not be either
        changed = False
        for p, q in instance.prerequisites:
            if free[p] and not free[q]:
                free[p], changed = False, True
        if not changed:
            break
    order = np.lexsort((np.arange(instance.n_projects), facility))
    order = order[free[order]]
    counts = np.bincount(facility[order], minlength=instance.n_facilities)
    if counts.max(initial=0) > MAX_FREE_PROJECTS or int((1 << counts.astype(np.int64)).sum()) > MAX_LISTED_SETS:
        return None
    starts = np.concatenate([[0], np.cumsum(counts)])
    local = np.full(instance.n_projects, -1)
    local[order] = np.arange(len(order)) - starts[facility[order]]
    pairs = np.array([(p, q) for p, q in instance.prerequisites if free[p]], dtype=np.int64).reshape(-1, 2)
    requires = (facility[pairs[:, 0]], local[pairs[:, 0]], local[pairs[:, 1]])  # (facility, its j-th, its i-th)
    pieces = []
    for k in np.unique(counts):
        block = np.flatnonzero(counts == k)
        step = max(1, BLOCK_ENTRIES >> int(k))
        for begin in range(0, len(block), step):
            pieces.append(_block_sets(instance, rows, block[begin:begin + step], int(k), order, starts, requires))
    fac = np.concatenate([p[0] for p in pieces])
    arrange = np.argsort(fac, kind="stable")
    fac = fac[arrange]
    first = np.searchsorted(fac, np.arange(instance.n_facilities))
    return FacilitySets(fac, first, np.concatenate([p[1] for p in pieces])[arrange],
                        np.concatenate([p[2] for p in pieces])[arrange],
                        np.concatenate([p[3] for p in pieces])[arrange],
                        np.array([rows.budget_rhs] + [0.0] * len(rows.shares)), order, starts)


def _block_sets(instance: Instance, rows: CouplingRows, block: np.ndarray, k: int, order: np.ndarray,
                starts: np.ndarray, requires: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The feasible sets of facilities ``block``, each with ``k`` free projects: (facility, bits, value, rows).

    ``requires`` lists the prerequisites between free projects as (facility, the requiring project's
    place among its facility's free projects, the required one's).
    """
    masks = ((np.arange(1 << k)[:, None] >> np.arange(k)) & 1).astype(bool)  # (sets, k)
    projects = order[starts[block][:, None] + np.arange(k)[None, :]]  # (facilities, k)
    as_float = masks.T.astype(float)
    size = masks.sum(axis=1)[None, :]
    retire = instance.retire[projects].astype(float) @ as_float  # retirements chosen, per set
    feasible = (retire == 0) | ((retire == 1) & (size == 1))  # one retirement at most, and then nothing else
    closed = rows.closed[block][:, None]
    has_retirement = instance.retire[projects].any(axis=1)[:, None]
    # closed by order: one of its retirement rows, or (with none listed) nothing at all
    feasible &= ~closed | np.where(has_retirement, retire == 1, size == 0)
    group = instance.group_of[projects]
    for i in range(k):
        for j in range(i + 1, k):
            same = (group[:, i] >= 0) & (group[:, i] == group[:, j])
            if same.any():
                feasible[same] &= ~(masks[:, i] & masks[:, j])[None, :]
    row_of = np.full(instance.n_facilities, -1)
    row_of[block] = np.arange(len(block))
    mine = row_of[requires[0]] >= 0
    for j, i in set(zip(requires[1][mine].tolist(), requires[2][mine].tolist())):  # the j-th requires the i-th
        with_pair = row_of[requires[0][mine & (requires[1] == j) & (requires[2] == i)]]
        feasible[with_pair] &= ~(masks[:, j] & ~masks[:, i])[None, :]
    running = retire == 0
    cut = instance.reduction[projects] @ as_float
    intensity = instance.intensity[block][:, None]
    baseline = instance.baseline[block][:, None]
    slack = LEVEL_SLACK * np.maximum(np.abs(intensity), 1.0)
    must = (rows.baseline[block] & ~rows.closed[block])[:, None]
    feasible &= ~must | ~running | (intensity - cut <= baseline + slack)
    coupling = [rows.budget_capex[projects] @ as_float]
    signature = running.astype(np.int64)  # sets alike on every share row differ only in value and capex
    for number, (covered, weight, required, level) in enumerate(rows.shares):
        on = (covered[block] & ~rows.closed[block])[:, None]
        at_level = running & (intensity - cut <= level[block][:, None] + slack)
        w = weight[block][:, None]
        coupling.append(np.where(on, -(w * at_level - required * w * running), 0.0))
        signature = signature + ((on & at_level).astype(np.int64) << (number + 1))
    value = rows.objective[projects] @ as_float
    where = _undominated(feasible, signature, value, coupling[0])
    bits = (masks.astype(np.int64) << np.arange(k)).sum(axis=1)
    return (block[where[0]], bits[where[1]], value[where],
            np.stack([np.broadcast_to(c, feasible.shape)[where] for c in coupling], axis=1))


def _undominated(feasible: np.ndarray, signature: np.ndarray, value: np.ndarray,
                 capex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(facility row, set) of the feasible sets no cheaper set of the facility beats on value.

    A set with the same share signature, no more value and no less capex
    than another never scores above it, at any multipliers: leaving it out
    changes no bound and shrinks the list several-fold on dense facilities.
    Each facility's sets are walked by signature, cheapest first, in one
    pass: the signature's number times the span of the values, plus the
    value, is a key whose running maximum starts afresh with each
    signature, so a set is kept when its key beats every key before it.
    """
    if not feasible.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = np.arange(len(feasible))[:, None]
    present = np.bincount(signature[feasible], minlength=int(signature.max()) + 1) > 0
    kind = (np.cumsum(present) - 1)[signature]  # the signatures that occur, numbered 0, 1, ...
    spent = capex - capex.min()
    order = np.argsort(kind * (spent.max() + 1.0) + spent, axis=1, kind="stable")
    worth = value[feasible]
    low, span = worth.min(), worth.max() - worth.min() + 1.0
    key = np.where(feasible, kind * span + (value - low), -np.inf)[rows, order]
    best_before = np.maximum.accumulate(key, axis=1)[:, :-1]
    keep = np.isfinite(key)
    keep[:, 1:] &= key[:, 1:] > best_before + DOMINANCE_TOLERANCE
    kept = np.zeros(feasible.shape, dtype=bool)
    kept[rows, order] = keep
    row, column = np.nonzero(kept)
    return row, column


def evaluate(sets: FacilitySets, multipliers: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """L(π), a subgradient, and the entry each facility picks (the first of its best)."""
    score = sets.value - sets.rows @ multipliers
    best = np.maximum.reduceat(score, sets.first)
    picked = _first_best(sets, score, best)
    bound = float(multipliers @ sets.rhs + best.sum())
    return bound, sets.rhs - sets.rows[picked].sum(axis=0), picked


def _first_best(sets: FacilitySets, score: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Per facility, the first of its entries whose ``score`` reaches the facility's ``best``."""
    top = np.flatnonzero(score >= best[sets.facility])
    keep = np.concatenate([[True], sets.facility[top[1:]] != sets.facility[top[:-1]]])
    return top[keep]


def minimise(sets: FacilitySets, tolerance: float, time_limit: float) -> tuple[float, np.ndarray, int, np.ndarray]:
    """The multipliers with the least ``L`` found by a box-step cutting-plane method.

    Each round adds the cut ``L(π_k) + g_k·(π - π_k)`` to a small LP over
    ``π ≥ 0`` within a box around the best point so far (which keeps the
    steps short where the cuts are still few) and moves to its minimiser.
    The box grows when a step reaches its edge and improves, and shrinks
    when a step fails. It stops when the cuts predict less than
    ``tolerance`` (relative) to gain.

    Returns (least L, its π, rounds, mix): ``mix`` is, per entry, its
    weight in the convex combination of the rounds' picks that the last
    small LP's duals give; that combination nearly meets the coupling
    rows (it is the primal side of the cuts), as the LP relaxation's
    solution would.
    """
    import highspy

    began = time.perf_counter()
    dims = len(sets.rhs)
    center = np.zeros(dims)
    best_value, gradient, picked = evaluate(sets, center)
    cuts = [(best_value, gradient, center.copy())]
    picks = [picked]
    box = max(abs(best_value), 1.0)
    weights = np.ones(1)
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        step = _master(highspy, cuts, center, box)
        if step is None:
            weights = _at(cuts, center)
            break
        point, predicted, weights = step
        inside = np.abs(point - center).max() < 0.99 * box  # the cuts' own minimum, not the box's edge
        if inside and best_value - predicted <= tolerance * max(abs(best_value), 1e-9):
            break
        value, gradient, picked = evaluate(sets, point)
        cuts.append((value, gradient, point.copy()))
        picks.append(picked)
        if value < best_value - 0.1 * (best_value - predicted):
            if not inside:
                box = min(2 * box, MAX_BOX * max(abs(best_value), 1.0))
            center, best_value = point, value
        else:
            box = max(box / 2, 1e-9 * max(abs(best_value), 1.0))
        if time.perf_counter() - began > time_limit:
            weights = _at(cuts, center)
            break
    mix = np.zeros(len(sets.value))
    for weight, entries in zip(weights, picks):
        if weight > 1e-9:
            np.add.at(mix, entries, weight)
    return best_value, center, rounds, mix


def _at(cuts: list[tuple[float, np.ndarray, np.ndarray]], center: np.ndarray) -> np.ndarray:
    """Weights that take the picks of the round evaluated at ``center`` alone."""
    weights = np.zeros(len(cuts))
    weights[int(np.argmin([np.abs(point - center).sum() for _, _, point in cuts]))] = 1.0
    return weights


def _master(highspy: object, cuts: list[tuple[float, np.ndarray, np.ndarray]], center: np.ndarray,
            box: float) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Minimise θ over θ ≥ each cut, π ≥ 0 within ``box`` of ``center``: (π, θ, the cuts' weights); None if unsolved."""
    dims = len(center)
    highs = highspy.Highs()  # type: ignore[attr-defined]
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf  # type: ignore[attr-defined]
    lower = np.concatenate([[-inf], np.maximum(center - box, 0.0)])
    upper = np.concatenate([[inf], center + box])
    highs.addCols(dims + 1, np.concatenate([[1.0], np.zeros(dims)]), lower, upper, 0,
                  np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    for value, gradient, point in cuts:  # θ - g·π ≥ L_k - g·π_k
        highs.addRow(value - float(gradient @ point), inf, dims + 1, np.arange(dims + 1, dtype=np.int32),
                     np.concatenate([[1.0], -gradient]))
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # type: ignore[attr-defined]
        return None
    solution = highs.getSolution()
    values = np.asarray(solution.col_value)
    weights = np.abs(np.asarray(solution.row_dual))
    return values[1:], float(values[0]), weights / max(weights.sum(), 1e-12)


def lagrangian_bound(model: RetrofitModel, tolerance: float, time_limit: float = 10.0) -> LagrangianBound | None:
    """The Lagrangian bound and each facility's set at its multipliers; None when the model does not fit."""
    began = time.perf_counter()
    rows = coupling_rows(model)
    if rows is None:
        return None
    instance = model.instance
    sets = list_sets(instance, rows)
    if sets is None:
        return None
    _, multipliers, rounds, mix = minimise(sets, tolerance, time_limit)
    bound, _, picked = evaluate(sets, multipliers)
    score = sets.value - sets.rows @ multipliers
    best = score[picked]
    runner = score.copy()
    runner[picked] = -np.inf
    second = np.maximum.reduceat(runner, sets.first)
    runner_up = _first_best(sets, runner, second)  # a facility with one set only: that set (and no doubt)
    # How far the prices must move, as a share of what they charge for the difference between the best
    # set and the runner-up, before the facility switches: the efficiency distance of knapsack cores.
    # (The absolute margin put tiny facilities first: on the classic family 1.2 s against 0.3 s at 10k.)
    swing = np.abs(sets.rows[picked] - sets.rows[runner_up]) @ multipliers
    distance = np.where(np.isfinite(second), (best - second) / np.maximum(swing, 1e-12), np.inf)
    return LagrangianBound(bound, multipliers, np.clip(_per_project(sets, mix, instance.n_projects), 0.0, 1.0),
                           distance[instance.facility], rounds, time.perf_counter() - began)


def _per_project(sets: FacilitySets, weights: np.ndarray, n_projects: int) -> np.ndarray:
    """Per project: the total weight of the entries (sets) that choose it."""
    total = np.zeros(n_projects)
    for j in range(MAX_FREE_PROJECTS):
        on = (sets.bits >> j) & 1 == 1
        np.add.at(total, sets.free_projects[sets.starts[sets.facility[on]] + j], weights[on])
    return total
