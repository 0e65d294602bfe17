"""The efficient frontier: the most CO2 each budget can buy while meeting the targets.

Beside each optimum stands the classic MAC-ranking pick on the same budget,
with how much less it cuts and which targets it breaks.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .dataset import Target
from .instance import Instance
from .model import PolicyOptions
from .ranking import mac_pick, rank_by_co2_per_capex
from .solve import SolverSettings, optimize
from .targets import evaluate_targets


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
             options: PolicyOptions = PolicyOptions()) -> pd.DataFrame:
    """One row per budget: the optimum, the MAC pick, and the marginal tCO2 per 万元.

    The budgets are dealt into ``workers`` interleaved runs (one per core by
    default), solved side by side: HiGHS releases the GIL while it searches.
    Within a run budgets rise, and each starts from the run's optimum before
    it, which is still feasible with more money. ``progress(done,
    total)`` is called from the calling thread only, so a Streamlit page may
    draw from it.

    Columns: ``budget``, ``status``, ``co2_t``, ``spend``, ``gap``,
    ``marginal_t_per_wan`` (extra tCO2 per extra 万元 since the previous
    budget), ``mac_co2_t``, ``mac_spend``, ``mac_shortfall_t`` (how much less
    the ranking cuts than the optimum; negative where the optimum pays for
    targets the ranking ignores) and ``mac_broken_targets``.
    """
    budgets = sorted(budgets)
    order = rank_by_co2_per_capex(instance)
    workers = max(1, min(workers or os.cpu_count() or 1, len(budgets)))
    runs = [list(range(first, len(budgets), workers)) for first in range(workers)]  # interleaved: even loads
    done: queue.Queue = queue.Queue()

    def solve_run(positions: list[int]) -> None:
        previous = None  # the optimum at a smaller budget is a feasible start at a larger one
        for position in positions:
            result = optimize(instance, budget=budgets[position], targets=targets, options=options,
                              settings=settings, start=previous)
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
                    if future.done() and future.exception():
                        raise future.exception()
                continue
            rows[position] = _row(instance, targets, order, budgets[position], result, options)
            if progress:
                progress(len(rows), len(budgets))
    table = pd.DataFrame([rows[i] for i in range(len(budgets))])
    table["marginal_t_per_wan"] = table["co2_t"].diff() / table["budget"].diff()
    return table


def _row(instance: Instance, targets: list[Target], order: np.ndarray, budget: float, result,
         options: PolicyOptions) -> dict:
    """One frontier point beside the MAC-ranking pick on the same budget."""
    pick = mac_pick(instance, budget, order)
    broken = [t.target_id for t in evaluate_targets(instance, targets, pick, options.margin) if not t.met]
    mac_co2 = float(instance.co2[pick].sum())
    return {
        "budget": budget, "status": result.status,
        "co2_t": result.co2_reduction_t if result.has_portfolio else np.nan,
        "spend": result.spend if result.has_portfolio else np.nan,
        "gap": result.gap,
        "mac_co2_t": mac_co2, "mac_spend": float(instance.capex[pick].sum()),
        "mac_shortfall_t": (result.co2_reduction_t - mac_co2) if result.has_portfolio else np.nan,
        "mac_broken_targets": ";".join(broken),
    }
