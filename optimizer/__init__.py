"""Choosing which industrial decarbonisation retrofits to fund.

A pure library (no Streamlit): load and check a project list, build and
solve the portfolio model, explain infeasibility, trace the frontier.

>>> from optimizer import load_dataset, optimize
>>> dataset = load_dataset("data/sample/fuzhou")          # doctest: +SKIP
>>> result = optimize(dataset, budget=300_000)             # doctest: +SKIP
>>> result.status, result.co2_reduction_t                  # doctest: +SKIP
"""

from .checks import build_dataset, load_dataset, shipped_products, shipped_targets
from .dataset import Dataset, EmissionFactors, Target
from .instance import Instance, prepare
from .problems import DataError, Problem
from .roadmap import Horizon, RoadmapResult, make_horizon, plan_roadmap
from .solve import PortfolioResult, SolverSettings, optimize

__all__ = [
    "DataError", "Dataset", "EmissionFactors", "Instance", "PortfolioResult", "Problem", "SolverSettings",
    "Target", "build_dataset", "Horizon", "RoadmapResult", "make_horizon", "plan_roadmap", "load_dataset", "optimize", "prepare", "shipped_products", "shipped_targets",
]
