"""The efficient frontier: the most CO2 each budget can buy while meeting the targets.

Beside each optimum stands the classic MAC-ranking pick on the same budget,
with how much less it cuts and which targets it breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .dataset import Target
from .instance import Instance
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
             progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per budget: the optimum, the MAC pick, and the marginal tCO2 per 万元.

    Columns: ``budget``, ``status``, ``co2_t``, ``spend``, ``gap``,
    ``marginal_t_per_wan`` (extra tCO2 per extra 万元 since the previous
    budget), ``mac_co2_t``, ``mac_spend``, ``mac_shortfall_t`` (how much less
    the ranking cuts than the optimum; negative where the optimum pays for
    targets the ranking ignores) and ``mac_broken_targets``.
    """
    order = rank_by_co2_per_capex(instance)
    rows = []
    budgets = sorted(budgets)
    for number, budget in enumerate(budgets):
        result = optimize(instance, budget, "co2", None, targets, settings=settings, diagnose=False)
        pick = mac_pick(instance, budget, order)
        broken = [t.target_id for t in evaluate_targets(instance, targets, pick) if not t.met]
        mac_co2 = float(instance.co2[pick].sum())
        rows.append({
            "budget": budget, "status": result.status,
            "co2_t": result.co2_reduction_t if result.has_portfolio else np.nan,
            "spend": result.spend if result.has_portfolio else np.nan,
            "gap": result.gap,
            "mac_co2_t": mac_co2, "mac_spend": float(instance.capex[pick].sum()),
            "mac_shortfall_t": (result.co2_reduction_t - mac_co2) if result.has_portfolio else np.nan,
            "mac_broken_targets": ";".join(broken),
        })
        if progress:
            progress(number + 1, len(budgets))
    table = pd.DataFrame(rows)
    table["marginal_t_per_wan"] = table["co2_t"].diff() / table["budget"].diff()
    return table
