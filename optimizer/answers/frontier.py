"""The efficient frontier: the most CO2 each budget can buy while meeting the targets.

Beside each optimum stand two comparators on the same budget
(:mod:`optimizer.answers.ranking`): the MAC pick (abatement-cost order, upgrades
between alternatives by their incremental cost; it ignores the targets) and
a greedy that first buys what the targets need, then fills the budget in
MAC order. For each: how much less it cuts and which targets it breaks.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from optimizer.answers.ranking import Pick, Step, comparator_steps, greedy_pick, mac_pick
from optimizer.data.dataset import Target
from optimizer.data.economics import DEFAULT_DISCOUNT_RATE
from optimizer.data.instance import Instance
from optimizer.program.horizon import AsOf
from optimizer.program.model import PolicyOptions
from optimizer.solving.solve import PortfolioResult, SolverSettings, optimize


def budget_range(low: float, high: float, points: int) -> list[float]:
    """``points`` budgets evenly spaced from ``low`` to ``high`` (万元)."""
    return [float(b) for b in np.linspace(low, high, points)]


def parse_budgets(text: str) -> list[float]:
    """Read ``LO:HI:N`` (e.g. ``0:500000:20``) into a list of budgets."""
    low, high, points = text.split(":")
    return budget_range(float(low), float(high), int(points))


def frontier(instance: Instance, targets: list[Target], budgets: Sequence[float],
             settings: SolverSettings = SolverSettings(),
             progress: Callable[[int, int], None] | None = None, workers: int | None = None,
             options: PolicyOptions = PolicyOptions(), rate: float = DEFAULT_DISCOUNT_RATE,
             as_of: AsOf | None = None) -> pd.DataFrame:
    """One row per budget: the optimum, the two comparators, and the marginal tCO2 per 万元.

    The budgets are dealt into ``workers`` interleaved runs (one per core by
    default), solved side by side: HiGHS releases the GIL while it searches.
    Within a run budgets rise, and each starts from the run's optimum before
    it, which is still feasible with more money. ``progress(done,
    total)`` is called from the calling thread only, so a Streamlit page may
    draw from it.

    Columns: ``budget``, ``status``, ``co2_t``, ``spend``, ``gap``,
    ``marginal_t_per_wan`` (extra tCO2 per extra 万元 since the previous
    budget); for the MAC pick (``mac_``, abatement cost at discount
    ``rate``) and the greedy that respects the targets (``greedy_``):
    ``*_co2_t``, ``*_spend``, ``*_shortfall_t`` (how much less it cuts than
    the optimum; negative where the optimum pays for targets the comparator
    misses), ``*_broken_targets`` (``;``-separated ids) and
    ``*_targets_met``. A comparator's CO2 and spend are NaN where the
    retirements of lines closed by order alone do not fit the budget.
    """
    budgets = sorted(budgets)
    as_of = as_of or AsOf.of()
    steps = comparator_steps(instance, targets, rate, as_of)
    workers = max(1, min(workers or os.cpu_count() or 1, len(budgets)))
    runs = [list(range(first, len(budgets), workers)) for first in range(workers)]  # interleaved: even loads
    done: queue.Queue[tuple[int, PortfolioResult]] = queue.Queue()

    def solve_run(positions: list[int]) -> None:
        previous: np.ndarray | None = None  # the optimum at a smaller budget is a feasible start at a larger one
        for position in positions:
            result = optimize(instance, budget=budgets[position], targets=targets, options=options,
                              settings=settings, start=previous, as_of=as_of)
            if result.has_portfolio:
                previous = result.chosen
            done.put((position, result))

    rows: dict[int, dict] = {}
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(solve_run, run) for run in runs]
        while len(rows) < len(budgets):
            try:
                position, result = done.get(timeout=0.2)
            except queue.Empty:
                for future in futures:
                    error = future.exception() if future.done() else None
                    if error is not None:
                        raise error
                continue
            rows[position] = _row(instance, targets, steps, budgets[position], result, options, as_of)
            if progress:
                progress(len(rows), len(budgets))
    table = pd.DataFrame([rows[i] for i in range(len(budgets))])
    table["marginal_t_per_wan"] = table["co2_t"].diff() / table["budget"].diff()
    return table


def _row(instance: Instance, targets: list[Target], steps: list[Step], budget: float, result: PortfolioResult,
         options: PolicyOptions, as_of: AsOf) -> dict:
    """One frontier point beside the MAC pick and the greedy on the same budget."""
    row = {
        "budget": budget, "status": result.status,
        "co2_t": result.co2_reduction_t if result.has_portfolio else np.nan,
        "spend": result.spend if result.has_portfolio else np.nan,
        "gap": result.gap,
    }
    for name, pick in (("mac", mac_pick(instance, budget, targets, options=options, steps=steps, as_of=as_of)),
                       ("greedy", greedy_pick(instance, budget, targets, options=options, steps=steps,
                                              as_of=as_of))):
        row.update(_comparator_columns(name, pick, result))
    return row


def _comparator_columns(name: str, pick: Pick, result: PortfolioResult) -> dict:
    co2 = pick.co2_t if pick.feasible else np.nan
    return {
        f"{name}_co2_t": co2,
        f"{name}_spend": pick.spend if pick.feasible else np.nan,
        f"{name}_shortfall_t": (result.co2_reduction_t - co2) if result.has_portfolio else np.nan,
        f"{name}_broken_targets": ";".join(pick.broken_targets) if pick.feasible else "",
        f"{name}_targets_met": pick.targets_met,
    }
