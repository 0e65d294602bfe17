"""Choosing which industrial decarbonisation retrofits to fund.

A pure library (no Streamlit): load and check a project list, build and
solve the portfolio model or the multi-year roadmap, explain infeasibility,
trace the frontier.

>>> from optimizer import load_dataset, optimize
>>> dataset = load_dataset("data/sample/fuzhou")          # doctest: +SKIP
>>> result = optimize(dataset, budget=300_000)             # doctest: +SKIP
>>> result.status, result.co2_reduction_t                  # doctest: +SKIP

The names below are imported on first use (PEP 562), so the command line
answers ``--help`` without loading pandas, PuLP and HiGHS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_EXPORTS = {
    "build_dataset": "data.checks", "load_dataset": "data.checks", "shipped_products": "data.checks",
    "shipped_targets": "data.checks",
    "Dataset": "data.dataset", "EmissionFactors": "data.dataset", "Target": "data.dataset",
    "diagnose": "answers.diagnosis",
    "Instance": "data.instance", "prepare": "data.instance",
    "PolicyOptions": "program.model",
    "DataError": "data.problems", "Problem": "data.problems",
    "Horizon": "program.horizon", "RoadmapResult": "answers.roadmap", "make_horizon": "program.horizon",
    "plan_roadmap": "answers.roadmap", "AsOf": "program.horizon",
    "PortfolioResult": "solving.solve", "SolverSettings": "solving.solve", "optimize": "solving.solve",
}

#: The same names, spelled out so linters and type checkers see the re-exports below (equal to
#: ``sorted(_EXPORTS)``).
__all__ = [
    "AsOf", "DataError", "Dataset", "EmissionFactors", "Horizon", "Instance", "PolicyOptions", "PortfolioResult",
    "Problem", "RoadmapResult", "SolverSettings", "Target", "build_dataset", "diagnose", "load_dataset", "make_horizon",
    "optimize", "plan_roadmap", "prepare", "shipped_products", "shipped_targets",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from optimizer.answers.diagnosis import diagnose
    from optimizer.answers.roadmap import RoadmapResult, plan_roadmap
    from optimizer.data.checks import build_dataset, load_dataset, shipped_products, shipped_targets
    from optimizer.data.dataset import Dataset, EmissionFactors, Target
    from optimizer.data.instance import Instance, prepare
    from optimizer.data.problems import DataError, Problem
    from optimizer.program.horizon import Horizon, make_horizon
    from optimizer.program.model import PolicyOptions
    from optimizer.solving.solve import PortfolioResult, SolverSettings, optimize
