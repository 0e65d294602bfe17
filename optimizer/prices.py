"""The price of each target: how much CO2 cut it costs at a budget.

For each enabled target, the optimum with that target switched off minus the
optimum with all on. An analyst can then say "the 80 % caustic-soda rule
costs 12,000 tCO2/yr at this budget".
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .dataset import Target
from .instance import Instance
from .solve import SolverSettings, optimize


def target_prices(instance: Instance, targets: list[Target], budget: float,
                  settings: SolverSettings = SolverSettings()) -> pd.DataFrame:
    """One row per enabled target: CO2 cut with all targets, without this one, and the difference.

    With every target on and no feasible portfolio, ``co2_all_t`` is NaN and
    ``price_t`` tells nothing; the diagnosis is the answer then.
    """
    base = optimize(instance, budget, "co2", None, targets, settings=settings, diagnose=False)
    base_co2 = base.co2_reduction_t if base.has_portfolio else float("nan")
    rows = []
    for target in targets:
        if not target.enabled:
            continue
        relaxed = [replace(t, enabled=False) if t.target_id == target.target_id else t for t in targets]
        without = optimize(instance, budget, "co2", None, relaxed, settings=settings, diagnose=False)
        without_co2 = without.co2_reduction_t if without.has_portfolio else float("nan")
        rows.append({"target_id": target.target_id, "co2_all_t": base_co2, "co2_without_t": without_co2,
                     "price_t": without_co2 - base_co2})
    return pd.DataFrame(rows, columns=["target_id", "co2_all_t", "co2_without_t", "price_t"])
