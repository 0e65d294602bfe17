"""Solving the model with HiGHS or CBC, and reading an honest result.

Both solvers report ``LpStatusOptimal`` when a time limit stops them with a
feasible portfolio (PuLP's status trap). So the status is read from the
solver itself: ``optimal`` only when the proven gap is within the requested
tolerance, ``feasible`` when the search was stopped with a gap, and the gap
and bound are always reported.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pulp

from .dataset import Dataset, EmissionFactors, Target
from .highs import BulkHiGHS
from .instance import Instance, prepare
from .model import Objective, RetrofitModel, build_model
from .targets import TargetOutcome, evaluate_targets

SolverName = Literal["highs", "cbc"]
Status = Literal["optimal", "feasible", "infeasible", "no_solution", "unbounded", "error"]


@dataclass(frozen=True)
class SolverSettings:
    """How hard to search.

    ``gap`` is the relative optimality gap at which the search may stop
    (0.001 = the portfolio is proven within 0.1 % of the best possible).
    ``core_search`` lets HiGHS try the LP-bound core search on large lists
    (see :mod:`optimizer.highs`).
    """

    solver: SolverName = "highs"
    time_limit: float | None = 60.0
    gap: float = 1e-3
    threads: int | None = None
    core_search: bool = True


@dataclass
class SolveOutcome:
    """What the solver proved: status, objective, bound, gap, seconds."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    chosen: np.ndarray
    message: str = ""


def solve_model(model: RetrofitModel, settings: SolverSettings = SolverSettings(),
                start: np.ndarray | None = None) -> SolveOutcome:
    """Run the chosen solver and read the result only after checking its status.

    ``start`` is a feasible choice of projects HiGHS may start from.
    """
    began = time.perf_counter()
    if model.violated_rows:
        # A row without variables that fails on its own: no solver needed to know.
        return SolveOutcome("infeasible", None, None, None, 0.0, np.zeros(len(model.choose), bool),
                            "violated: " + ", ".join(model.violated_rows))
    if settings.solver == "highs":
        outcome = _solve_highs(model, settings, start)
    elif settings.solver == "cbc":
        outcome = _solve_cbc(model, settings)
    else:
        raise ValueError(f"unknown solver {settings.solver!r}; use highs or cbc")
    outcome.seconds = time.perf_counter() - began
    return outcome


def _chosen(model: RetrofitModel) -> np.ndarray:
    return np.array([(v.varValue or 0.0) > 0.5 for v in model.choose], dtype=bool)


def _solve_highs(model: RetrofitModel, settings: SolverSettings, start: np.ndarray | None = None) -> SolveOutcome:
    import highspy

    solver = BulkHiGHS(msg=False, timeLimit=settings.time_limit, gapRel=settings.gap, threads=settings.threads,
                       choices=model.choose, facilities=model.instance.facility, first_choice=start,
                       core_search=settings.core_search)
    try:
        model.problem.solve(solver)
    except pulp.PulpSolverError as error:
        return SolveOutcome("error", None, None, None, 0.0, np.zeros(len(model.choose), bool), str(error))
    sign = -1.0 if model.problem.sense == pulp.LpMaximize else 1.0  # HiGHS minimises
    if solver.proof is not None:
        proof = solver.proof
        return SolveOutcome("optimal", sign * proof.objective * model.objective_scale,
                            sign * proof.bound * model.objective_scale, proof.gap, 0.0, _chosen(model),
                            "proven within the gap by the LP bound (core search)")
    highs = model.problem.solverModel
    status = highs.getModelStatus()
    info = highs.getInfo()
    codes = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == codes.kInfeasible:
        return SolveOutcome("infeasible", None, None, None, 0.0, np.zeros(len(model.choose), bool))
    if status in (codes.kUnbounded, codes.kUnboundedOrInfeasible):
        return SolveOutcome("unbounded" if status == codes.kUnbounded else "infeasible", None, None, None, 0.0,
                            np.zeros(len(model.choose), bool))
    if not has_solution:
        return SolveOutcome("no_solution", None, None, None, 0.0, np.zeros(len(model.choose), bool),
                            highs.modelStatusToString(status))
    objective = sign * info.objective_function_value * model.objective_scale
    bound = sign * info.mip_dual_bound * model.objective_scale if len(model.choose) > 0 else objective
    gap = _relative_gap(objective, bound)
    proven = status == codes.kOptimal
    return SolveOutcome("optimal" if proven else "feasible", objective, bound, gap, 0.0, _chosen(model),
                        highs.modelStatusToString(status))


def _solve_cbc(model: RetrofitModel, settings: SolverSettings) -> SolveOutcome:
    if model.problem.numConstraints() == 0:
        # CBC exits with an error on a model without rows; this one changes nothing.
        model.problem += pulp.lpSum(model.choose) <= len(model.choose), "at_most_every_project"
    with tempfile.TemporaryDirectory(prefix="retrofit-cbc-") as folder:
        log = os.path.join(folder, "cbc.log")
        solver = pulp.COIN_CMD(msg=False, timeLimit=settings.time_limit, gapRel=settings.gap,
                               threads=settings.threads, logPath=log, path=_cbc_path())
        try:
            model.problem.solve(solver)
        except pulp.PulpSolverError as error:
            return SolveOutcome("error", None, None, None, 0.0, np.zeros(len(model.choose), bool), str(error))
        text = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
    status, solution = model.problem.status, model.problem.sol_status
    empty = np.zeros(len(model.choose), bool)
    if status == pulp.LpStatusInfeasible or solution == pulp.LpSolutionInfeasible:
        return SolveOutcome("infeasible", None, None, None, 0.0, empty)
    if status == pulp.LpStatusUnbounded:
        return SolveOutcome("unbounded", None, None, None, 0.0, empty)
    if solution not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return SolveOutcome("no_solution", None, None, None, 0.0, empty, pulp.LpStatus[status])
    objective = float(pulp.value(model.problem.objective) or 0.0) * model.objective_scale
    proven = solution == pulp.LpSolutionOptimal and "Stopped on" not in text
    # CBC's closing lines claim bound = objective when it stops on the gap tolerance, so an
    # "optimal" result is only known to be within that tolerance: report the tolerance.
    gap = _cbc_gap(text, default=settings.gap if proven else None)
    bound = None if gap is None else (objective * (1 + gap) if model.problem.sense == pulp.LpMaximize
                                      else objective * (1 - gap))
    return SolveOutcome("optimal" if proven else "feasible", objective, bound,
                        gap if gap is not None else math.inf, 0.0, _chosen(model))


def _cbc_path() -> str | None:
    """The ``cbc`` program of the cbcbox package sits beside this Python, which need not be on PATH."""
    beside = str(Path(sys.executable).parent)
    return shutil.which("cbc", path=os.pathsep.join([beside, os.environ.get("PATH", "")]))


def _cbc_gap(log: str, default: float | None) -> float | None:
    """CBC's closing summary prints ``Gap: 0.12`` when it stops before proving optimality."""
    match = re.search(r"^Gap:\s+([-\d.eE+]+)", log, re.MULTILINE)
    return abs(float(match.group(1))) if match else default


def _relative_gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.inf
    return abs(bound - objective) / max(abs(objective), 1e-9) if abs(bound - objective) > 1e-9 else 0.0


# --- the portfolio result ---------------------------------------------------


@dataclass
class PortfolioResult:
    """Everything an analyst needs to defend a portfolio.

    ``co2_reduction_t`` (tCO2/yr) and ``spend`` (万元) are summed from the chosen
    projects, not read back from the solver's objective.
    """

    status: Status
    objective: Objective
    budget: float | None
    co2_goal: float | None
    selected: list[str]
    co2_reduction_t: float
    spend: float
    gap: float | None
    bound: float | None
    solve_seconds: float
    build_seconds: float
    solver: str
    targets: list[TargetOutcome]
    diagnosis: dict | None = None
    message: str = ""
    chosen: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)

    @property
    def has_portfolio(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("chosen")
        data["targets"] = [t.to_dict() for t in self.targets]
        for key in ("gap", "bound"):
            if data[key] is not None and not math.isfinite(data[key]):
                data[key] = None
        return data


def optimize(dataset: Dataset | Instance, budget: float | None = None, objective: Objective = "co2",
             co2_goal: float | None = None, targets: list[Target] | None = None,
             factors: EmissionFactors | None = None, settings: SolverSettings = SolverSettings(),
             diagnose: bool = True, start: np.ndarray | None = None) -> PortfolioResult:
    """Choose the portfolio: most CO2 within ``budget``, or least capex reaching ``co2_goal``.

    On infeasibility the result carries a diagnosis (see :mod:`optimizer.diagnosis`)
    saying which targets cannot be met at any budget, or the least budget
    that meets them all. ``start`` (a feasible choice, one bool per project)
    lets HiGHS begin from a known portfolio, as the frontier does.
    """
    instance = dataset if isinstance(dataset, Instance) else prepare(dataset, factors)
    if targets is None:
        if isinstance(dataset, Instance):
            raise ValueError("pass targets when optimizing a prepared instance")
        targets = dataset.targets
    began = time.perf_counter()
    model = build_model(instance, targets, objective, budget, co2_goal)
    build_seconds = time.perf_counter() - began
    outcome = solve_model(model, settings, start)
    result = make_result(instance, targets, outcome, objective, budget, co2_goal, build_seconds, settings.solver)
    if result.status == "infeasible" and diagnose:
        from .diagnosis import diagnose_infeasibility

        result.diagnosis = diagnose_infeasibility(instance, targets, objective, budget, co2_goal, settings).to_dict()
    return result


def make_result(instance: Instance, targets: list[Target], outcome: SolveOutcome, objective: Objective,
                budget: float | None, co2_goal: float | None, build_seconds: float,
                solver: str) -> PortfolioResult:
    chosen = outcome.chosen
    return PortfolioResult(
        status=outcome.status, objective=objective, budget=budget, co2_goal=co2_goal,
        selected=[str(i) for i in instance.project_ids[chosen]],
        co2_reduction_t=float(instance.co2[chosen].sum()), spend=float(instance.capex[chosen].sum()),
        gap=outcome.gap, bound=outcome.bound, solve_seconds=outcome.seconds, build_seconds=build_seconds,
        solver=solver, targets=evaluate_targets(instance, targets, chosen), message=outcome.message,
        chosen=chosen,
    )
