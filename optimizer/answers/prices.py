"""The price of each target: how much CO2 cut it costs at a budget.

For each enabled target, the optimum with that target switched off minus the
optimum with all on. An analyst can then say "the 80 % caustic-soda rule
costs 12,000 tCO2/yr at this budget".

Both sides are solved to a tight gap (:data:`PRICE_GAP`), and each price is
reported with its uncertainty: the sum of the two proven gaps in tonnes.
The price is the true signed difference. It can be negative: switching a
small-line closure off keeps its lines in the shares' base, which can make
a share *harder* to meet, so the rule in fact makes room for CO2 (the
``meaning_en``/``meaning_zh`` columns say so). A price within its
uncertainty is flagged ``within_gap``; a "without" side with no portfolio
is NaN, explained in the same columns.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.program.horizon import AsOf
from optimizer.program.model import PolicyOptions
from optimizer.solving.solve import PortfolioResult, SolverSettings, optimize

#: Relative gap both sides are solved to: tight enough that the difference means something.
PRICE_GAP = 1e-6


def target_prices(instance: Instance, targets: list[Target], budget: float,
                  settings: SolverSettings = SolverSettings(),
                  options: PolicyOptions = PolicyOptions(), as_of: AsOf | None = None) -> pd.DataFrame:
    """One row per enabled target: CO2 cut with all targets, without this one, the price and its uncertainty.

    With every target on and no feasible portfolio, ``co2_all_t`` is NaN and
    ``price_t`` tells nothing; the diagnosis is the answer then.
    """
    tight = replace(settings, gap=min(settings.gap, PRICE_GAP))
    base = optimize(instance, budget=budget, targets=targets, options=options, settings=tight, as_of=as_of)
    rows = []
    for target in targets:
        if not target.enabled:
            continue
        relaxed = [replace(t, enabled=False) if t.target_id == target.target_id else t for t in targets]
        without = optimize(instance, budget=budget, targets=relaxed, options=options, settings=tight, as_of=as_of)
        rows.append(_row(target, base, without))
    return pd.DataFrame(rows, columns=["target_id", "co2_all_t", "co2_without_t", "price_t", "uncertainty_t",
                                       "within_gap", "meaning_en", "meaning_zh"])


def _row(target: Target, base: PortfolioResult, without: PortfolioResult) -> dict:
    nan = float("nan")
    base_co2 = base.co2_reduction_t if base.has_portfolio else nan
    without_co2 = without.co2_reduction_t if without.has_portfolio else nan
    uncertainty = _slack(base) + _slack(without)
    price = without_co2 - base_co2
    within = bool(abs(price) <= uncertainty + 1e-6) if price == price else False
    en, zh = _meaning(price, uncertainty, base.has_portfolio, without.has_portfolio)
    return {"target_id": target.target_id, "co2_all_t": base_co2, "co2_without_t": without_co2,
            "price_t": price, "uncertainty_t": uncertainty, "within_gap": within, "meaning_en": en, "meaning_zh": zh}


def _meaning(price: float, uncertainty: float, with_all: bool, without: bool) -> tuple[str, str]:
    """What a price says, in words (English, Chinese)."""
    if not with_all:
        return "no portfolio meets every target: see the diagnosis", "没有满足全部目标的组合：见诊断"
    if not without:
        return ("without this target no portfolio is feasible (it is what keeps the others possible)",
                "去掉此目标后无可行组合（其他目标依赖于它）")
    if abs(price) <= uncertainty + 1e-6:
        return "costs nothing at this budget, within the proven gap", "在此预算下几乎不影响减排（在已证明的间隙内）"
    if price > 0:
        return (f"costs {price:,.0f} tCO2/yr at this budget", f"在此预算下使减排减少 {price:,.0f} 吨/年")
    return (f"negative: without it the answer is {-price:,.0f} tCO2/yr worse (the rule makes another target "
            f"easier, e.g. a closure that takes lines out of a share's base)",
            f"为负：去掉此目标反而少减排 {-price:,.0f} 吨/年（该目标使其他目标更易达到，例如关停使产线退出比例基数）")


def _slack(result: PortfolioResult) -> float:
    """Tonnes between a portfolio and the solver's bound on the best one."""
    if not result.has_portfolio or result.bound is None:
        return 0.0
    return max(0.0, abs(result.bound - result.co2_reduction_t))
