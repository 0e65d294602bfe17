"""What to cut first when the budget shrinks: one priority order, if the numbers allow it.

For budget cuts of 10/20/30 % the analyst needs to say which projects
leave and which stay. Optimal portfolios of different budgets need not be
nested (a smaller budget may swap a big project for two small ones), and
then there is no single order to read. So each smaller budget is solved
twice:

* **unconstrained**: its own optimum (the CO2 it could reach);
* **nested**: the best portfolio that only *drops* projects of the next
  larger budget's portfolio (``x_small <= x_large``, as zero upper bounds on
  the projects outside it).

The nested one is kept when it costs at most what the solver can tell apart
anyway: ``unconstrained - nested <= max(proven gap, gap tolerance) x
unconstrained``. Otherwise the unconstrained portfolio is kept, the level is
marked not nested, and the list says so. The chain runs from the full budget
down, so the result reads as "drop these first, then these".
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimizer.answers.alternatives import add_exclusions
from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.program.build import build_model
from optimizer.program.horizon import AsOf
from optimizer.program.model import PolicyOptions
from optimizer.solving.solve import PortfolioResult, SolverSettings, make_result, optimize, solve_model


@dataclass(frozen=True)
class CutLevel:
    """One budget of the chain: the portfolio kept, and what nesting cost against its own optimum."""

    cut: float
    budget: float
    status: str
    nested: bool
    selected: list[str]
    co2_reduction_t: float
    spend: float
    unconstrained_co2_t: float | None
    nested_co2_t: float | None
    nesting_cost_t: float | None
    allowed_cost_t: float | None
    leaves: list[str]
    enters: list[str]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class CutFirstResult:
    """The chain of budgets from the full one down; ``order`` is the priority list when all are nested."""

    levels: list[CutLevel]
    all_nested: bool
    order: list[dict]
    seconds: float
    message: str = ""
    chosen: list[np.ndarray] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {"levels": [level.to_dict() for level in self.levels], "all_nested": self.all_nested,
                "order": self.order, "seconds": self.seconds, "message": self.message}


def cut_first(instance: Instance, *, budget: float, targets: Sequence[Target], cuts: Sequence[float] = (0.1, 0.2, 0.3),
              settings: SolverSettings = SolverSettings(), tolerance: float | None = None,
              options: PolicyOptions = PolicyOptions(), as_of: AsOf | None = None) -> CutFirstResult:
    """Portfolios at ``budget`` and at each cut (fractions of it), nested where that costs at most the gap.

    ``tolerance`` (a fraction of the level's optimum) lets the analyst accept
    a costlier nesting for the sake of one priority order; by default only
    the proven gap (or the gap tolerance, if larger) is accepted.
    """
    began = time.perf_counter()
    as_of = as_of or AsOf.of()
    full = optimize(instance, budget=budget, targets=list(targets), settings=settings, options=options, as_of=as_of)
    levels = [_level(instance, 0.0, budget, full, True, full, None, None, full)]
    chain = [full.chosen if full.has_portfolio else np.zeros(instance.n_projects, bool)]
    previous = full
    notes = []
    for cut in sorted(cuts):
        smaller = budget * (1 - cut)
        free = optimize(instance, budget=smaller, targets=list(targets), settings=settings, options=options,
                        as_of=as_of)
        nested = (_nested_solve(instance, smaller, targets, chain[-1], settings, options, as_of)
                  if previous.has_portfolio
                  else None)
        keep_nested, allowed = _accept_nested(free, nested, settings, tolerance)
        kept = nested if keep_nested and nested is not None else free  # kept nested only when there is one
        if not kept.has_portfolio:
            notes.append(f"{cut:.0%}: no portfolio ({kept.status})")
        elif not keep_nested:
            notes.append(f"{cut:.0%}: not nested "
                         "(nesting would cost more than allowed: the proven gap or the tolerance)")
        levels.append(_level(instance, cut, smaller, kept, keep_nested, free, allowed, previous, nested))
        chain.append(kept.chosen if kept.has_portfolio else np.zeros(instance.n_projects, bool))
        previous = kept
    all_nested = all(level.nested for level in levels)
    order = priority_order(instance, [level.cut for level in levels], chain) if all_nested else []
    message = "; ".join(notes) if notes else "every smaller portfolio is nested in the larger one"
    return CutFirstResult(levels, all_nested, order, time.perf_counter() - began, message, chain)


def _nested_solve(instance: Instance, budget: float, targets: Sequence[Target], larger: np.ndarray,
                  settings: SolverSettings, options: PolicyOptions, as_of: AsOf) -> PortfolioResult:
    """The best portfolio within ``budget`` that only drops projects of ``larger`` (x_small <= x_large)."""
    began = time.perf_counter()
    model = build_model(instance, list(targets), as_of.horizon(budget), "co2", options=options)
    add_exclusions(model, ~np.asarray(larger, bool))
    build_seconds = time.perf_counter() - began
    outcome = solve_model(model, settings)
    return make_result(model, outcome, "co2", None, build_seconds, settings.solver)


def _accept_nested(free: PortfolioResult, nested: PortfolioResult | None, settings: SolverSettings,
                   tolerance: float | None = None) -> tuple[bool, float | None]:
    """Keep the nested portfolio when it gives up at most max(proven gap, tolerance) of the free optimum."""
    if nested is None or not nested.has_portfolio:
        return False, None
    if not free.has_portfolio:  # nested found one while the free solve did not (time limit): keep it
        return True, None
    gap = free.gap if free.gap is not None and math.isfinite(free.gap) else settings.gap
    allowed = max(gap, settings.gap, tolerance or 0.0) * abs(free.co2_reduction_t)
    return free.co2_reduction_t - nested.co2_reduction_t <= allowed + 1e-9, allowed


def _level(instance: Instance, cut: float, budget: float, kept: PortfolioResult, nested: bool,
           free: PortfolioResult, allowed: float | None, larger: PortfolioResult | None,
           nested_result: PortfolioResult | None) -> CutLevel:
    ids = instance.project_ids.astype(str)
    chosen = kept.chosen if kept.has_portfolio else np.zeros(instance.n_projects, bool)
    before = larger.chosen if larger is not None and larger.has_portfolio else chosen
    return CutLevel(
        cut=cut, budget=budget, status=kept.status, nested=nested, selected=list(ids[chosen]),
        co2_reduction_t=kept.co2_reduction_t if kept.has_portfolio else 0.0,
        spend=kept.spend if kept.has_portfolio else 0.0,
        unconstrained_co2_t=free.co2_reduction_t if free.has_portfolio else None,
        nested_co2_t=nested_result.co2_reduction_t if nested_result is not None and nested_result.has_portfolio
        else None,
        nesting_cost_t=(free.co2_reduction_t - nested_result.co2_reduction_t)
        if free.has_portfolio and nested_result is not None and nested_result.has_portfolio else None,
        allowed_cost_t=allowed, leaves=list(ids[before & ~chosen]), enters=list(ids[chosen & ~before]))


def priority_order(instance: Instance, cuts: Sequence[float], chain: Sequence[np.ndarray]) -> list[dict]:
    """The full portfolio's projects, those that survive the deepest cut first.

    Each entry: ``project_id``, ``kept_until`` (the deepest cut it survives)
    and ``leaves_at`` (the first cut without it, None if it stays
    throughout). Within a level, more CO2 first.
    """
    stacked = np.array(chain, dtype=bool)
    keyed: list[tuple[float, float, dict]] = []  # (kept until, CO2, row)
    for p in np.flatnonzero(stacked[0]):
        survives = stacked[:, p]
        last = int(np.flatnonzero(survives).max())
        first_out = None if survives.all() else cuts[int(np.flatnonzero(~survives).min())]
        co2 = float(instance.co2[p])
        keyed.append((cuts[last], co2, {"project_id": str(instance.project_ids[p]), "kept_until": cuts[last],
                                        "leaves_at": first_out, "co2_t": co2, "capex": float(instance.capex[p])}))
    keyed.sort(key=lambda k: (-k[0], -k[1]))
    rows = [row for _, _, row in keyed]
    return rows
