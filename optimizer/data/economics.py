"""Money: abatement cost per tCO2 and simple payback, per project and for a portfolio.

Abatement cost = (annualised capex - annual saving) / annual CO2 cut, in
CNY per tCO2. Capex is annualised with the capital recovery factor at the
discount rate over the project's lifetime. A negative cost means the
project pays for itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.data.defaults import DEFAULT_DISCOUNT_RATE
from optimizer.data.schema import DEFAULT_LIFETIME_YEARS

__all__ = ["DEFAULT_DISCOUNT_RATE", "capital_recovery_factor", "portfolio_economics", "project_economics"]

WAN = 10_000.0  # CNY per 万元


def capital_recovery_factor(rate: float, years: np.ndarray | float) -> np.ndarray:
    """Share of capex to pay each year so it is repaid with interest over ``years``."""
    years = np.asarray(years, dtype=float)
    if rate == 0:
        return 1.0 / years
    growth = (1 + rate) ** years
    return rate * growth / (growth - 1)


def project_economics(projects: pd.DataFrame, co2_t: pd.Series | np.ndarray,
                      rate: float = DEFAULT_DISCOUNT_RATE) -> pd.DataFrame:
    """Per project: annualised capex (万元/yr), abatement cost (CNY/tCO2) and payback (years).

    ``projects`` needs ``capex``, ``annual_saving`` and ``lifetime_years``
    (blank = 15 years); ``co2_t`` is the annual CO2 cut of each project.
    """
    lifetime = projects["lifetime_years"].fillna(DEFAULT_LIFETIME_YEARS).to_numpy(dtype=float)
    capex = projects["capex"].to_numpy(dtype=float)
    saving = projects["annual_saving"].fillna(0.0).to_numpy(dtype=float)
    co2 = np.asarray(co2_t, dtype=float)
    annualised = capex * capital_recovery_factor(rate, lifetime)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = np.where(co2 > 0, (annualised - saving) * WAN / co2, np.nan)
        payback = np.where(saving > 0, capex / saving, np.nan)
    return pd.DataFrame({"annualised_capex_wan": annualised, "abatement_cost_cny_per_t": cost,
                         "payback_years": payback}, index=projects.index)


def portfolio_economics(economics: pd.DataFrame, projects: pd.DataFrame, co2_t: pd.Series | np.ndarray) -> dict:
    """The same three figures for a set of projects taken together."""
    co2 = float(np.sum(co2_t))
    annualised = float(economics["annualised_capex_wan"].sum())
    saving = float(projects["annual_saving"].fillna(0.0).sum())
    capex = float(projects["capex"].sum())
    return {
        "annualised_capex_wan": annualised,
        "annual_saving_wan": saving,
        "abatement_cost_cny_per_t": (annualised - saving) * WAN / co2 if co2 > 0 else None,
        "payback_years": capex / saving if saving > 0 else None,
    }
