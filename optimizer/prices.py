"""The price of each target: how much CO2 cut it costs at a budget.

For each enabled target, the optimum with that target switched off minus the
optimum with all on. An analyst can then say "the 80 % caustic-soda rule
costs 12,000 tCO2/yr at this budget".

Both sides are solved to a tight gap (:data:`PRICE_GAP`), and each price is
reported with its uncertainty: the sum of the two proven gaps in tonnes.
Switching a target off can never cut less, so a price at or below that
uncertainty is reported as 0 with ``within_gap`` set ("≈ 0, within the
proven gap"), never as a negative number.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .dataset import Target
from .instance import Instance
from .model import PolicyOptions
from .solve import PortfolioResult, SolverSettings, optimize

#: Relative gap both sides are solved to: tight enough that the difference means something.
PRICE_GAP = 1e-6


def target_prices(instance: Instance, targets: list[Target], budget: float,
                  settings: SolverSettings = SolverSettings(),
                  options: PolicyOptions = PolicyOptions()) -> pd.DataFrame:
    """One row per enabled target: CO2 cut with all targets, without this one, the price and its uncertainty.

    With every target on and no feasible portfolio, ``co2_all_t`` is NaN and
    ``price_t`` tells nothing; the diagnosis is the answer then.
    """
    tight = replace(settings, gap=min(settings.gap, PRICE_GAP))
    base = optimize(instance, budget=budget, targets=targets, options=options, settings=tight)
    rows = []
    for target in targets:
        if not target.enabled:
            continue
        relaxed = [replace(t, enabled=False) if t.target_id == target.target_id else t for t in targets]
        without = optimize(instance, budget=budget, targets=relaxed, options=options, settings=tight)
        rows.append(_row(target, base, without))
    return pd.DataFrame(rows, columns=["target_id", "co2_all_t", "co2_without_t", "price_t", "uncertainty_t",
                                       "within_gap"])


def _row(target: Target, base: PortfolioResult, without: PortfolioResult) -> dict:
    nan = float("nan")
    base_co2 = base.co2_reduction_t if base.has_portfolio else nan
    without_co2 = without.co2_reduction_t if without.has_portfolio else nan
    uncertainty = _slack(base) + _slack(without)
    difference = without_co2 - base_co2
    within = bool(difference <= uncertainty + 1e-6) if difference == difference else False
    return {"target_id": target.target_id, "co2_all_t": base_co2, "co2_without_t": without_co2,
            "price_t": 0.0 if within else difference, "uncertainty_t": uncertainty, "within_gap": within}


def _slack(result: PortfolioResult) -> float:
    """Tonnes between a portfolio and the solver's bound on the best one."""
    if not result.has_portfolio or result.bound is None:
        return 0.0
    return max(0.0, abs(result.bound - result.co2_reduction_t))
