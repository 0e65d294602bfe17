"""Near-optimal alternatives: several portfolios nearly as good as the best, as different as possible.

One optimum is not what a meeting decides on: a plant owner objects to a
project, and the analyst needs to know whether it is indispensable. This is
*modelling to generate alternatives* (MGA) for yes/no choices:

1. solve for the best CO2 cut within the budget, meeting every target;
2. repeatedly solve the same model with one more row, ``CO2 >= best - slack x |best|``
   (``(1 - slack) x best`` for a positive best), and a new objective: be as different as possible from every
   portfolio found so far.

Distance (the choice, and why)
    We maximise the **minimum Hamming distance** to the portfolios found so
    far (a variable ``d`` with ``d <= distance(x, x_j)`` for each earlier
    ``x_j``, and ``d >= 1``), so each new portfolio differs from *every*
    earlier one, not only from their union. Ties, which are many, are broken
    by the classic "hop-skip-jump" count (projects never chosen so far that
    it takes, plus projects always chosen so far that it drops), weighted
    below one unit of ``d`` so it never trades distance away. The HSJ count
    alone would let a new portfolio sit one change away from an earlier one
    as long as it differs from their union.

Labels
    ``must_have``: in every alternative found; ``never``: in none;
    ``swappable``: in some. They describe the alternatives found, not a proof
    over all near-optimal portfolios (finding fewer than ``count`` means no
    other distinct portfolio exists within the slack).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.program.build import build_model
from optimizer.program.horizon import AsOf
from optimizer.program.model import PolicyOptions, RetrofitModel
from optimizer.solving.solve import PortfolioResult, SolverSettings, optimize, solve_model


@dataclass(frozen=True)
class Alternative:
    """One portfolio within the slack: its projects, CO2 cut (tCO2/yr), spend (万元) and solver status."""

    selected: list[str]
    co2_reduction_t: float
    spend: float
    status: str
    distance: int | None = None  # least number of changed choices to any earlier alternative

    def to_dict(self) -> dict:
        return {"selected": self.selected, "co2_reduction_t": self.co2_reduction_t, "spend": self.spend,
                "status": self.status, "distance": self.distance}


@dataclass
class AlternativesResult:
    """The alternatives, the labels, and what the best portfolio's solve proved."""

    status: str
    budget: float | None
    slack: float
    co2_floor: float | None
    best_co2_t: float | None
    gap: float | None
    alternatives: list[Alternative]
    labels: dict[str, str]
    seconds: float
    message: str = ""
    chosen: list[np.ndarray] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        gap = self.gap if self.gap is None or math.isfinite(self.gap) else None
        return {"status": self.status, "budget": self.budget, "slack": self.slack, "co2_floor": self.co2_floor,
                "best_co2_t": self.best_co2_t, "gap": gap,
                "alternatives": [a.to_dict() for a in self.alternatives], "labels": self.labels,
                "seconds": self.seconds, "message": self.message}


def near_optimal_alternatives(instance: Instance, *, budget: float | None, targets: Sequence[Target],
                              count: int = 5, slack: float = 0.02, exclude: Sequence[str] = (),
                              settings: SolverSettings = SolverSettings(),
                              options: PolicyOptions = PolicyOptions(),
                              as_of: AsOf | None = None) -> AlternativesResult:
    """Up to ``count`` portfolios, the first the optimum, each within ``slack`` of the best CO2 cut.

    ``exclude`` lists project ids that may not be chosen ("exclude this
    project and re-solve"), on top of ``options.excluded``. The CO2 floor is ``(1 - slack)`` times the best
    portfolio's proven bound, but never above the best portfolio itself: so
    every alternative is within the slack of the true optimum whenever the
    first solve's proven gap is below the slack.
    """
    began = time.perf_counter()
    as_of = as_of or AsOf.of()
    excluded = _excluded_mask(instance, exclude) | options.excluded_mask(instance)
    best = _solve_best(instance, budget, targets, excluded, settings, options, as_of)
    if best.status not in ("optimal", "feasible"):
        return AlternativesResult(best.status, budget, slack, None, None, best.gap, [], {},
                                  time.perf_counter() - began, best.message)
    reference = best.bound if best.bound is not None and math.isfinite(best.bound) else best.co2_reduction_t
    floor = min(reference - slack * abs(reference), best.co2_reduction_t)  # a negative best (net closures) too
    message = "" if best.gap is not None and best.gap <= slack else (
        "the best portfolio's proven gap exceeds the slack: alternatives are within the slack of it, "
        "not necessarily of the true optimum")
    found = [best.chosen.copy()]
    alternatives = [Alternative(best.selected, best.co2_reduction_t, best.spend, best.status, None)]
    while len(found) < count:
        model = build_model(instance, list(targets), as_of.horizon(budget), "co2", options=options)
        add_exclusions(model, excluded)
        add_co2_floor(model, floor)
        add_distance_objective(model, found)
        outcome = solve_model(model, settings)
        if outcome.status not in ("optimal", "feasible"):
            if outcome.status != "infeasible":
                message = (message + "; " if message else "") + f"search stopped: {outcome.status}"
            break
        chosen = outcome.chosen
        found.append(chosen)
        alternatives.append(Alternative(
            [str(p) for p in instance.project_ids[chosen]], float(instance.co2[chosen].sum()),
            float(instance.capex[chosen].sum()), outcome.status,
            int(min(np.sum(chosen != earlier) for earlier in found[:-1]))))
    if len(found) < count and not message:
        message = f"only {len(found)} distinct portfolio(s) meet the targets within the slack"
    return AlternativesResult(best.status, budget, slack, floor, best.co2_reduction_t, best.gap, alternatives,
                              label_projects(instance, found), time.perf_counter() - began, message, found)


def _excluded_mask(instance: Instance, exclude: Sequence[str]) -> np.ndarray:
    unknown = set(map(str, exclude)) - set(map(str, instance.project_ids))
    if unknown:
        raise ValueError(f"unknown project id(s) to exclude: {', '.join(sorted(unknown))}")
    return np.isin(instance.project_ids.astype(str), list(map(str, exclude)))


def _solve_best(instance: Instance, budget: float | None, targets: Sequence[Target], excluded: np.ndarray,
                settings: SolverSettings, options: PolicyOptions, as_of: AsOf) -> PortfolioResult:
    """The optimum (with exclusions applied as zero upper bounds on those projects)."""
    if not excluded.any():
        return optimize(instance, budget=budget, targets=list(targets), settings=settings, options=options,
                        as_of=as_of)
    from optimizer.solving.solve import make_result

    began = time.perf_counter()
    model = build_model(instance, list(targets), as_of.horizon(budget), "co2", options=options)
    add_exclusions(model, excluded)
    build_seconds = time.perf_counter() - began
    outcome = solve_model(model, settings)
    return make_result(model, outcome, "co2", None, build_seconds, settings.solver)


def add_exclusions(model: RetrofitModel, excluded: np.ndarray) -> None:
    """Projects the analyst rules out are never chosen (their variable's upper bound is 0)."""
    for p in np.flatnonzero(excluded):
        model.choose[p].upBound = 0


def add_co2_floor(model: RetrofitModel, floor: float) -> None:
    """The alternative cuts at least ``floor`` tCO2/yr, written as a share of it."""
    scale = abs(floor) if abs(floor) >= 1 else 1.0
    weights = model.instance.co2 / scale
    model.add(pulp.LpAffineExpression(zip(model.choose, weights.tolist())) >= floor / scale, "near_optimal_co2")


def hamming_distance(model: RetrofitModel, earlier: np.ndarray) -> pulp.LpAffineExpression:
    """Number of choices that differ from ``earlier``: sum of (1 - x) over its projects and x over the rest."""
    return pulp.LpAffineExpression(
        [(v, -1.0 if was else 1.0) for v, was in zip(model.choose, earlier)], constant=float(np.sum(earlier)))


def add_distance_objective(model: RetrofitModel, found: list[np.ndarray]) -> pulp.LpVariable:
    """Maximise the least distance to every portfolio found (>= 1: a new one), ties broken by HSJ novelty.

    The model's own objective (CO2) is replaced; ``objective_scale`` is reset
    so the outcome's objective reads as the distance.
    """
    n = model.instance.n_projects
    distance = model.problem.add_variable("least_distance", lowBound=1, upBound=max(n, 1))
    for j, earlier in enumerate(found):
        model.add(distance - hamming_distance(model, earlier) <= 0, f"distance_to_alternative_{j}")
    ever = np.logical_or.reduce(found)
    always = np.logical_and.reduce(found)
    novelty = [(v, 1.0) for v, e in zip(model.choose, ever) if not e]
    novelty += [(v, -1.0) for v, a in zip(model.choose, always) if a]
    tie_break = 1.0 / (n + 1)
    model.problem.setObjective(distance + tie_break * pulp.LpAffineExpression(novelty))
    model.objective_scale = 1.0
    return distance


def label_projects(instance: Instance, found: list[np.ndarray]) -> dict[str, str]:
    """``must_have`` (in every alternative), ``never`` (in none) or ``swappable``, per project id."""
    stacked = np.array(found, dtype=bool)
    every, some = np.asarray(stacked.all(axis=0)), np.asarray(stacked.any(axis=0))
    return {str(pid): "must_have" if every[p] else "swappable" if some[p] else "never"
            for p, pid in enumerate(instance.project_ids)}
