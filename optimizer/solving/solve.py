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

from optimizer.data.dataset import Dataset, EmissionFactors, Target
from optimizer.data.instance import Instance, prepare
from optimizer.data.plants import facility_state
from optimizer.program.build import build_model
from optimizer.program.horizon import AsOf, Horizon
from optimizer.program.model import (
    Objective,
    PolicyOptions,
    RetrofitModel,
    budget_capex,
    budget_rows,
    row_budgets,
    service_years,
    spend_matrix,
)
from optimizer.program.targets import TargetOutcome, evaluate_targets
from optimizer.solving.highs import BulkHiGHS, Relaxation, large_enough_for_core_search
from optimizer.solving.lagrange import lagrangian_bound

SolverName = Literal["highs", "cbc"]
Status = Literal["optimal", "feasible", "infeasible", "no_solution", "unbounded", "error"]


def solver_name(text: str) -> SolverName:
    """``text`` as a solver this module runs (e.g. the solver a run record names), or ValueError."""
    if text == "highs":
        return "highs"
    if text == "cbc":
        return "cbc"
    raise ValueError(f"unknown solver {text!r}; use highs or cbc")


@dataclass(frozen=True)
class SolverSettings:
    """How hard to search.

    ``gap`` is the relative optimality gap at which the search may stop
    (0.001 = the portfolio is proven within 0.1 % of the best possible).
    ``core_search`` lets HiGHS try the core search on large lists, against
    the Lagrangian bound and then the LP bound (see :mod:`optimizer.solving.highs`).
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
    #: The HiGHS run that found it, kept so a money repair can solve again on the model already built.
    solver: BulkHiGHS | None = field(default=None, repr=False)


def solve_model(model: RetrofitModel, settings: SolverSettings = SolverSettings(),
                start: np.ndarray | None = None) -> SolveOutcome:
    """Run the chosen solver and read the result only after checking its status.

    ``start`` is a feasible choice of projects HiGHS may start from.
    """
    began = time.perf_counter()
    if model.violated:
        # A row without variables that fails on its own: no solver needed to know.
        return SolveOutcome("infeasible", None, None, None, 0.0, np.zeros(len(model.choose), bool),
                            _violated_message(model.violated))
    if settings.solver == "highs":
        outcome = _solve_highs(model, settings, start)
    elif settings.solver == "cbc":
        outcome = _solve_cbc(model, settings)
    else:
        raise ValueError(f"unknown solver {settings.solver!r}; use highs or cbc")
    outcome.seconds = time.perf_counter() - began
    return outcome


def _violated_message(violated: list[tuple[str, str]]) -> str:
    """Name the targets and facilities that no choice can satisfy (never model row names)."""
    by_target: dict[str, list[str]] = {}
    for target_id, facility_id in violated:
        by_target.setdefault(target_id, []).append(facility_id)
    parts = []
    for target_id, facilities in by_target.items():
        named = [f for f in facilities if f]
        listed = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        parts.append(f"target {target_id}: no project can bring facility {listed} there" if named
                     else f"target {target_id} cannot be met by any choice")
    return "; ".join(parts)


def _chosen(model: RetrofitModel) -> np.ndarray:
    return np.array([(v.varValue or 0.0) > 0.5 for v in model.choose], dtype=bool)


def _solve_highs(model: RetrofitModel, settings: SolverSettings, start: np.ndarray | None = None) -> SolveOutcome:
    roadmap = not model.one_year  # (project, year) choices: see BulkHiGHS
    began = time.perf_counter()
    priced = None if roadmap else _priced_bound(model, settings)
    time_limit = settings.time_limit
    if time_limit is not None:
        time_limit = max(time_limit - (time.perf_counter() - began), 0.01)
    solver = BulkHiGHS(msg=False, timeLimit=time_limit, gapRel=settings.gap, threads=settings.threads,
                       choices=model.choose, facilities=model.instance.facility[model.var_project],
                       first_choice=start,
                       core_search=settings.core_search, roadmap=roadmap, priced=priced,
                       flags=[(v, key[0]) for key, v in model.level_flags.items() if isinstance(v, pulp.LpVariable)])
    try:
        model.problem.solve(solver)
    except pulp.PulpSolverError as error:
        return SolveOutcome("error", None, None, None, 0.0, np.zeros(len(model.choose), bool), str(error))
    outcome = _read_highs(model, solver)
    outcome.solver = solver
    return outcome


def _priced_bound(model: RetrofitModel, settings: SolverSettings) -> Relaxation | None:
    """The Lagrangian bound of a large list, as the core search reads it; None where it does not apply."""
    if not settings.core_search or not large_enough_for_core_search(len(model.choose)):
        return None
    priced = lagrangian_bound(model, tolerance=settings.gap / 10,
                              time_limit=(settings.time_limit or 60.0) / 6)
    if priced is None:
        return None
    sign = -1.0 if model.problem.sense == pulp.LpMaximize else 1.0  # HiGHS minimises
    # Projects outside the core are held as the rounded mix of the rounds' sets has them; the core is
    # the facilities most in doubt. (Adding every project the mix leaves fractional, as the LP
    # path does, made the core 18 times larger on the dense family, 7.9 s against 3.0 s at 100,000.)
    return Relaxation(sign * priced.bound, np.round(priced.share), priced.doubt, np.zeros(0, np.int64),
                      "Lagrangian")


def solve_again(model: RetrofitModel, first: SolveOutcome, rows: dict[str, float],
                settings: SolverSettings = SolverSettings()) -> SolveOutcome:
    """Solve ``model`` again with the named rows' right-hand sides changed (a money repair).

    HiGHS reuses the model it built (see :meth:`BulkHiGHS.resolve`); CBC
    solves the changed model from the start.
    """
    began = time.perf_counter()
    for name, rhs in rows.items():
        model.problem.get_constraint_by_name(name).changeRHS(rhs)
    if first.solver is None:
        return solve_model(model, settings)
    try:
        first.solver.resolve(model.problem, list(rows))
    except pulp.PulpSolverError as error:
        return SolveOutcome("error", None, None, None, 0.0, np.zeros(len(model.choose), bool), str(error))
    outcome = _read_highs(model, first.solver)
    outcome.solver, outcome.seconds = first.solver, time.perf_counter() - began
    return outcome


def _read_highs(model: RetrofitModel, solver: BulkHiGHS) -> SolveOutcome:
    """What HiGHS proved, read only after its status says there is something to read."""
    import highspy

    sign = -1.0 if model.problem.sense == pulp.LpMaximize else 1.0  # HiGHS minimises
    if solver.proof is not None:
        proof = solver.proof
        return SolveOutcome("optimal", sign * proof.objective * model.objective_scale,
                            sign * proof.bound * model.objective_scale, proof.gap, 0.0, _chosen(model),
                            f"proven within the gap by the {proof.by} bound (core search)")
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
    dual = info.mip_dual_bound
    if not math.isfinite(dual) and solver.relaxed_bound is not None:
        dual = solver.relaxed_bound  # stopped before its root node: the core search's bound still holds
    bound = sign * dual * model.objective_scale if len(model.choose) > 0 else objective
    gap = relative_gap(objective, bound)
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


def relative_gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.inf
    return abs(bound - objective) / max(abs(objective), 1e-9) if abs(bound - objective) > 1e-9 else 0.0


# --- one orchestrator for every question --------------------------------------


@dataclass
class Solved:
    """A built program and what the solver proved about it (after any money repair)."""

    model: RetrofitModel
    outcome: SolveOutcome
    build_seconds: float


def solve_program(instance: Instance, targets: list[Target], horizon: Horizon, *, objective: Objective = "co2",
                  co2_goal: float | None = None, options: PolicyOptions = PolicyOptions(),
                  settings: SolverSettings = SolverSettings(), start: np.ndarray | None = None) -> Solved:
    """Build the program over ``horizon``, solve it, and repair money by row name.

    HiGHS accepts a row within its feasibility tolerance, money may not be
    overspent: while a budget row is overspent, the model is solved again
    with that row's budget cut by the excess (rows changed on the HiGHS
    model already built, see :func:`solve_again`); the first bound still
    holds, since a tighter budget cannot beat it.
    """
    began = time.perf_counter()
    model = build_model(instance, targets, horizon, objective, co2_goal, options=options)
    build_seconds = time.perf_counter() - began
    outcome = solve_model(model, settings, start)
    limits = dict(horizon.budgets or {})  # what each year's row allows, cut by a repair
    for _ in range(MONEY_REPAIRS):
        if outcome.status not in ("optimal", "feasible"):
            break
        excess = overspend(model, outcome.chosen)
        if not excess:
            break
        assert horizon.budgets is not None  # an excess needs budgets
        limits = {y: max(min(limits[y], b - excess[y] - SOLVER_TOLERANCE * max(b, 1.0)), 0.0) if y in excess
                  else limits[y] for y, b in horizon.budgets.items()}
        again = solve_again(model, outcome, budget_rows(model, limits), settings)
        if again.status not in ("optimal", "feasible"):
            break
        keep_first_bound(again, outcome, settings.gap)
        outcome = again
    return Solved(model, outcome, build_seconds)


def overspend(model: RetrofitModel, chosen: np.ndarray) -> dict[int, float]:
    """万元 spent beyond each year's budget (cumulative, with carry-over); years within it are left out."""
    if model.horizon.budgets is None:
        return {}
    matrix = spend_matrix(model)
    if model.horizon.carry_over:
        matrix = np.cumsum(matrix, axis=0)
    spent = matrix @ np.asarray(chosen, dtype=float)
    budgets = row_budgets(model.horizon, model.horizon.budgets)
    return {year: float(spent[row] - budgets[row]) for row, year in enumerate(model.horizon.years)
            if spent[row] - budgets[row] > 1e-9 * max(budgets[row], 1.0)}  # beyond float noise in the sum


def keep_first_bound(again: SolveOutcome, first: SolveOutcome, gap: float) -> None:
    """A money repair's outcome judged against the first solve's bound (a tighter budget cannot beat it)."""
    again.bound, again.seconds = first.bound, first.seconds + again.seconds
    if again.objective is not None and again.bound is not None:
        again.gap = relative_gap(again.objective, again.bound)
        again.status = "optimal" if again.gap <= gap + 1e-12 else "feasible"


#: Re-solves allowed when a solver's tolerance lets a portfolio overspend the budget by a hair.
MONEY_REPAIRS = 2
#: Twice HiGHS's default MIP feasibility tolerance, relative to the budget row (which is scaled by the budget).
SOLVER_TOLERANCE = 2e-6


# --- the portfolio result ---------------------------------------------------


@dataclass
class PortfolioResult:
    """Everything an analyst needs to defend a portfolio, and the year it speaks of.

    ``as_of_year`` is the year the portfolio is in service by and the
    targets are judged in; ``first_year`` the year work may start.
    ``co2_reduction_t`` (tCO2/yr) and ``spend`` (万元) are summed from the chosen
    projects, not read back from the solver's objective. CO2 is split into
    *structural* (closures) and *technical* (retrofits); ``closed_by_order``
    names the lines the plans close whatever the budget, and ``closures``
    says why and how. ``cannot_fit`` lists the projects that cannot be in
    service by ``as_of_year``, with the year they first could.
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
    solver: SolverName
    targets: list[TargetOutcome]
    first_year: int = 0
    as_of_year: int = 0
    co2_structural_t: float = 0.0
    co2_technical_t: float = 0.0
    energy_saving_tce: float = 0.0
    electricity_saving_mwh: float = 0.0
    margin: float = 0.0
    order_capex_in_budget: bool = True
    closed_by_order: list[str] = field(default_factory=list)
    closures: list[dict] = field(default_factory=list)
    cannot_fit: list[dict] = field(default_factory=list)
    product_intensity: list[dict] = field(default_factory=list)
    diagnosis: dict | None = None
    closest: dict | None = None
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


def optimize(dataset: Dataset | Instance, *, budget: float | None = None, objective: Objective = "co2",
             co2_goal: float | None = None, targets: list[Target] | None = None,
             factors: EmissionFactors | None = None, options: PolicyOptions = PolicyOptions(),
             settings: SolverSettings = SolverSettings(), start: np.ndarray | None = None,
             as_of: AsOf | None = None) -> PortfolioResult:
    """The portfolio in service by the as-of year: most CO2 within ``budget``, or least capex reaching ``co2_goal``.

    The single-year question is the program over the horizon of one year
    (see :mod:`optimizer.program.horizon`): a project may be chosen only if
    ``max(earliest_year, first_year) + lead_time_years ≤ as_of.year``, and
    targets are judged as they stand in that year. ``as_of`` defaults to
    :meth:`AsOf.of` (from this calendar year, in service by the next).

    An infeasible result carries no explanation; a front end that wants one
    asks :func:`optimizer.answers.diagnosis.diagnose`. ``start`` (a feasible choice,
    one bool per project) lets HiGHS begin from a known portfolio, as the
    frontier does.
    """
    instance = dataset if isinstance(dataset, Instance) else prepare(dataset, factors)
    if targets is None:
        if isinstance(dataset, Instance):
            raise ValueError("pass targets when optimizing a prepared instance")
        targets = dataset.targets
    solved = solve_program(instance, targets, (as_of or AsOf.of()).horizon(budget),
                           objective=objective, co2_goal=co2_goal, options=options, settings=settings, start=start)
    return make_result(solved.model, solved.outcome, objective, co2_goal, solved.build_seconds, settings.solver)


def make_result(model: RetrofitModel, outcome: SolveOutcome, objective: Objective, co2_goal: float | None,
                build_seconds: float, solver: SolverName) -> PortfolioResult:
    """The result of a single-year solve, every figure computed from the chosen projects."""
    instance, horizon = model.instance, model.horizon
    year = horizon.last
    has = outcome.status in ("optimal", "feasible")
    service = service_years(model, outcome.chosen) if has else np.zeros(instance.n_projects, int)
    chosen = service > 0
    structural = chosen & instance.structural
    return PortfolioResult(
        status=outcome.status, objective=objective, budget=model.budget, co2_goal=co2_goal,
        selected=[str(i) for i in instance.project_ids[chosen]],
        co2_reduction_t=float(instance.co2[chosen].sum()), spend=float(budget_capex(model)[chosen].sum()),
        gap=outcome.gap, bound=outcome.bound, solve_seconds=outcome.seconds, build_seconds=build_seconds,
        solver=solver, targets=evaluate_targets(instance, model.targets, horizon, service, year,
                                                model.options.margin, model.closures),
        first_year=horizon.origin, as_of_year=year,
        co2_structural_t=float(instance.co2[structural].sum()),
        co2_technical_t=float(instance.co2[chosen & ~structural].sum()),
        energy_saving_tce=float(instance.energy_saving_tce[chosen].sum()),
        electricity_saving_mwh=float(instance.electricity_saving_mwh[chosen].sum()),
        margin=model.options.margin, order_capex_in_budget=model.options.order_capex_in_budget,
        closed_by_order=[c.facility_id for c in model.closures], closures=[c.to_dict() for c in model.closures],
        cannot_fit=model.timing.cannot_fit,
        product_intensity=product_intensity(instance, chosen, model.closed) if has else [],
        message=outcome.message, chosen=chosen,
    )


def product_intensity(instance: Instance, chosen: np.ndarray, closed: np.ndarray | None = None) -> list[dict]:
    """Capacity-weighted energy intensity of each product's running facilities, before and after.

    The plans count energy as well as CO2 (吨钢综合能耗, 合成氨综合能耗): this is
    each product's average intensity in its own unit (kgce per unit),
    today's fleet before and the running fleet after.
    """
    after = facility_state(instance, chosen, closed)
    rows = []
    for product in dict.fromkeys(instance.product.tolist()):
        mine = instance.product == product
        row = {"product": str(product), "sector": str(instance.sector[mine][0]),
               "intensity_before": _mean(instance.intensity[mine], instance.capacity[mine]),
               "intensity_after": _mean(after.intensity[mine & ~after.retired],
                                        instance.capacity[mine & ~after.retired]),
               "capacity_before": float(instance.capacity[mine].sum()),
               "capacity_after": float(instance.capacity[mine & ~after.retired].sum())}
        rows.append(row)
    return rows


def _mean(values: np.ndarray, weights: np.ndarray) -> float | None:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 0 else None
