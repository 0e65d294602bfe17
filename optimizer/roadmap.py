"""The multi-year roadmap: which project goes into service in which year, under yearly budgets.

Issue 11's semantics, exactly (the single-year model of :mod:`optimizer.model`
is the horizon-of-one special case):

* Horizon ``Y0..Y1``. A project is either not chosen or put in service in
  one year ``c`` with ``max(Y0, earliest_year) + lead <= c <= Y1`` (``lead``
  = ``lead_time_years``, default 1). Its capex is spread evenly over the
  ``lead`` years before ``c`` (all in ``c`` when ``lead = 0``); its CO2 cut,
  intensity reduction or closure counts in every year ``>= c``.
* Spend in each year <= that year's budget; with carry-over, cumulative
  spend <= cumulative budget.
* One project per exclusive group over the horizon; a prerequisite is in
  service no later than the project that needs it; a facility with a
  chosen retirement takes no other project in any year and leaves every
  share from its retirement year on.
* Intensity of a facility in year ``y`` = current - the reductions of its
  projects in service by ``y`` (negative ones with their sign).
* A target with year ``T`` holds in every year from ``T`` to ``Y1``; a
  target whose year is before ``Y0`` holds from the *overdue deadline*
  (default ``Y0 + 1``, clamped to ``Y1``); a target with no year holds at
  ``Y1``; a target whose year is after ``Y1`` binds in no year of the
  horizon.
* A line below a ``min_line_capacity`` threshold is retired by that
  target's deadline: a listed retirement row is chosen with its in-service
  year <= the deadline; with none the line is closed by order in the
  deadline year, at no cost and no CO2. Either way it takes no other project.
* Objective: most tCO2 over the horizon, ``Σ co2 × (Y1 - c + 1)``; the
  least-cost mode meets a cumulative CO2 goal at the least total capex.

Formulation (both measured, see benchmarks/RESULTS.md)
    ``x[p, c]`` binary = project *p* goes into service in year *c*, only for
    the years it may, with ``Σ_c x[p, c] <= 1``. "In service by year *y*" is
    the short sum ``Σ_{c <= y} x[p, c]``, a year's spend is ``Σ capex/lead ×
    x[p, c]`` over the ``c`` whose build years include it, and the objective
    weighs ``x[p, c]`` by ``co2 × (Y1 - c + 1)``. The in-service-by variables
    ``y[p, c] = Σ_{c' <= c} x[p, c']`` give the same LP bound (the two are
    one unimodular change of variables apart), but their monotone rows
    ``y[p, c] <= y[p, c+1]`` made HiGHS's simplex 2-4 times slower on
    10,000 projects × 5 years (39,100 choices: 52,736 rows against 33,196).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pulp

from .closures import closures_by_order
from .dataset import Dataset, EmissionFactors, Target
from .defaults import DEFAULT_LAST_YEAR
from .diagnosis import solve_closest
from .instance import Instance, prepare
from .model import (
    LEVEL_TOLERANCE,
    Expression,
    Objective,
    PolicyOptions,
    RetrofitModel,
    _best_reduction,
    budget_scale,
    building,
    level_covers,
)
from .solve import (
    MONEY_REPAIRS,
    SOLVER_TOLERANCE,
    SolveOutcome,
    SolverSettings,
    Status,
    keep_first_bound,
    solve_again,
    solve_model,
)
from .targets import facility_state, is_met, required_value, target_value

#: The core search of :mod:`optimizer.highs` runs over the ``x[p, c]`` choices from 2,000 of them
#: (``ROADMAP_CORE_MIN_CHOICES``), a facility in doubt entering the core with every year of every project;
#: outside the core only the zeros are fixed (see BulkHiGHS).
ROADMAP_SOLVER = SolverSettings()
#: Time limit of each sub-solve of the diagnosis (earliest years, closest roadmap), seconds.
SUB_SOLVE_SECONDS = 5.0
#: The plans run to 2030.


class RoadmapSettingsError(ValueError):
    """Settings of a roadmap that no solve can honour; ``problems`` holds (English, Chinese) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(en for en, _ in problems))
        self.problems = problems


@dataclass(frozen=True)
class Horizon:
    """The years of a roadmap and the money of each.

    ``budgets`` maps every year to its budget in 万元 (None: no yearly limit,
    for the least-cost mode). ``overdue_deadline`` is the year from which
    targets dated before ``first`` must hold (default ``first + 1``,
    clamped to ``last``).
    """

    first: int
    last: int
    budgets: dict[int, float] | None = None
    carry_over: bool = False
    overdue_deadline: int | None = None

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    @property
    def overdue(self) -> int:
        default = self.first + 1 if self.overdue_deadline is None else self.overdue_deadline
        return min(max(default, self.first), self.last)

    def deadline(self, target: Target) -> int | None:
        """The first year a target binds: its year, the overdue deadline, or Y1 when it has none.

        None when its year is after the horizon: it binds in no year of it.
        """
        if target.year is None:
            return self.last
        if target.year < self.first:
            return self.overdue
        if target.year > self.last:
            return None
        return int(target.year)


def horizon_problems(first: int | None, last: int | None, budget_per_year: float | None = None,
                     budgets: Mapping[int, float] | None = None, overdue_deadline: int | None = None,
                     need_budget: bool = True) -> list[tuple[str, str]]:
    """Every bad roadmap setting, in English and Chinese, found before anything is solved."""
    problems: list[tuple[str, str]] = []
    if first is None or last is None:
        return [("the horizon needs a first and a last year", "规划期需要起止年份")]
    if last < first:
        return [(f"the horizon ends ({last}) before it starts ({first})",
                 f"规划期结束年份 {last} 早于起始年份 {first}")]
    if budget_per_year is not None and budgets is not None:
        problems.append(("give one budget for every year or a year → budget table, not both",
                         "请给出统一的年度预算或逐年预算表，不要同时给出"))
    if budget_per_year is not None and (not math.isfinite(budget_per_year) or budget_per_year < 0):
        problems.append((f"the budget per year must be a number ≥ 0 (万元), not {budget_per_year}",
                         f"年度预算须为不小于 0 的数（万元），而不是 {budget_per_year}"))
    if budgets is not None:
        for year, value in sorted(budgets.items()):
            if value is None or not math.isfinite(value) or value < 0:
                problems.append((f"the budget of {year} must be a number ≥ 0 (万元), not {value}",
                                 f"{year} 年预算须为不小于 0 的数（万元），而不是 {value}"))
        missing = [y for y in range(first, last + 1) if y not in budgets]
        if missing:
            listed = ", ".join(str(y) for y in missing)
            problems.append((f"no budget given for {listed} (every year of {first}–{last} needs one)",
                             f"缺少 {listed} 年的预算（{first}–{last} 每年都需要预算）"))
    elif budget_per_year is None and need_budget:
        problems.append(("a budget per year (or a year → budget table) is required",
                         "需要给出年度预算（或逐年预算表）"))
    if overdue_deadline is not None and overdue_deadline < first:
        problems.append((f"the overdue deadline {overdue_deadline} is before the horizon's first year {first}",
                         f"逾期目标的完成期限 {overdue_deadline} 早于规划期起始年份 {first}"))
    return problems


def make_horizon(first: int, last: int = DEFAULT_LAST_YEAR, *, budget_per_year: float | None = None,
                 budgets: Mapping[int, float] | None = None, carry_over: bool = False,
                 overdue_deadline: int | None = None, need_budget: bool = True) -> Horizon:
    """A checked horizon; raises :class:`RoadmapSettingsError` naming every bad setting."""
    problems = horizon_problems(first, last, budget_per_year, budgets, overdue_deadline, need_budget)
    if problems:
        raise RoadmapSettingsError(problems)
    years = range(first, last + 1)
    table = None
    if budgets is not None:
        table = {y: float(budgets[y]) for y in years}  # years outside the horizon play no part
    elif budget_per_year is not None:
        table = {y: float(budget_per_year) for y in years}
    return Horizon(first, last, table, carry_over, overdue_deadline)


# --- when each project may be in service -------------------------------------


@dataclass(frozen=True)
class Timing:
    """Per project: the first year it may be in service (``last + 1``: never) and why not."""

    first_service: np.ndarray
    lead: np.ndarray
    cannot_fit: list[dict]


def project_timing(instance: Instance, horizon: Horizon) -> Timing:
    """``max(Y0, earliest_year) + lead`` per project; the ones past ``Y1`` listed with the reason (en, zh)."""
    earliest = np.asarray(instance.earliest_year, dtype=float)
    lead = np.asarray(instance.lead_time, dtype=int)
    start = np.where(np.isnan(earliest), horizon.first, np.maximum(horizon.first, np.ceil(np.nan_to_num(earliest))))
    first_service = (start + lead).astype(int)
    bad_lead = lead < 0
    first_service[bad_lead] = horizon.last + 1
    cannot = []
    span = f"{horizon.first}–{horizon.last}"
    for p in np.flatnonzero(first_service > horizon.last):
        pid = str(instance.project_ids[p])
        if bad_lead[p]:
            why, en, zh = ("negative lead time", f"project {pid}: lead_time_years {lead[p]} is negative",
                           f"项目 {pid}：建设周期 {lead[p]} 为负数")
        elif not np.isnan(earliest[p]) and earliest[p] > horizon.last:
            why = "earliest_year after the horizon"
            en = f"project {pid}: earliest_year {int(earliest[p])} is after the horizon {span}"
            zh = f"项目 {pid}：最早年份 {int(earliest[p])} 晚于规划期 {span}"
        else:
            why = "lead time longer than the horizon"
            en = (f"project {pid}: starting in {int(start[p])} with a lead time of {lead[p]} year(s) it is in "
                  f"service in {int(start[p] + lead[p])} at the earliest, after the horizon {span}")
            zh = (f"项目 {pid}：{int(start[p])} 年开工、建设周期 {lead[p]} 年，最早 {int(start[p] + lead[p])} 年投运，"
                  f"晚于规划期 {span}")
        cannot.append({"project_id": pid, "why": why, "reason_en": f"cannot fit the horizon: {en}",
                       "reason_zh": f"无法纳入规划期：{zh}"})
    return Timing(first_service, lead, cannot)


# --- closures by order, with their deadlines ---------------------------------


@dataclass(frozen=True)
class TimedClosure:
    """A line closed by order by ``year`` (the deadline of its ``min_line_capacity`` target)."""

    facility: int
    facility_id: str
    target_id: str
    year: int
    retirement_projects: tuple[str, ...]
    reason_en: str
    reason_zh: str

    def to_dict(self) -> dict:
        return {"facility_id": self.facility_id, "year": self.year, "reason": self.reason_en,
                "reason_en": self.reason_en, "reason_zh": self.reason_zh, "target_id": self.target_id,
                "retirement_projects": list(self.retirement_projects)}


def timed_closures(instance: Instance, targets: list[Target], horizon: Horizon) -> list[TimedClosure]:
    """Every small line with the earliest deadline of the targets that close it, if within the horizon."""
    found: dict[int, TimedClosure] = {}
    for target in targets:
        if not target.enabled or target.kind != "min_line_capacity":
            continue
        deadline = horizon.deadline(target)
        if deadline is None:
            continue  # due after the horizon: nothing is ordered within it
        for closure in closures_by_order(instance, [target]):
            known = found.get(closure.facility)
            if known is not None and known.year <= deadline:
                continue
            found[closure.facility] = TimedClosure(
                closure.facility, closure.facility_id, target.target_id, deadline, closure.retirement_projects,
                f"{closure.reason('en')}; retired by {deadline}", f"{closure.reason('zh')}；{deadline} 年前淘汰")
    return [found[f] for f in sorted(found)]


# --- the model ----------------------------------------------------------------


@dataclass
class RoadmapModel:
    """A built roadmap problem. ``choose`` lists every ``x[p, c]`` (what :func:`solve_model` reads back)."""

    problem: pulp.LpProblem
    instance: Instance
    horizon: Horizon
    timing: Timing
    closures: list[TimedClosure]
    options: PolicyOptions
    choose: list[pulp.LpVariable] = field(default_factory=list)
    var_project: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    var_year: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    offset: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    blocked: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    closed_from: dict[int, int] = field(default_factory=dict)
    level_flags: dict[tuple[int, str, int], Expression] = field(default_factory=dict)
    shortfall: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    violated: list[tuple[str, str]] = field(default_factory=list)
    objective_scale: float = 1.0

    add = RetrofitModel.add

    def years_open(self, p: int, year: int) -> range:
        """Indices in ``choose`` of ``x[p, c]`` for ``c <= year`` (empty: p cannot be in service by then)."""
        first = int(self.timing.first_service[p])
        if self.blocked[p] or year < first:
            return range(0)
        start = int(self.offset[p])
        return range(start, start + min(year, self.horizon.last) - first + 1)

    def y(self, p: int, year: int) -> pulp.LpAffineExpression | None:
        """In service by ``year``: ``Σ_{c <= year} x[p, c]`` (None: it cannot be; past ``Y1`` reads ``Y1``)."""
        columns = self.years_open(p, year)
        if not columns:
            return None
        return pulp.LpAffineExpression([(self.choose[v], 1.0) for v in columns])

    def in_service(self, projects, year: int, weights=None) -> pulp.LpAffineExpression:
        """Σ weight × (in service by ``year``) over ``projects`` (those that cannot be by then drop out)."""
        pairs = []
        for i, p in enumerate(projects):
            weight = 1.0 if weights is None else float(weights[i])
            pairs.extend((self.choose[v], weight) for v in self.years_open(int(p), year))
        return pulp.LpAffineExpression(pairs)

    def closed(self, f: int, year: int) -> bool:
        """Closed by order with no retirement row, from its deadline on: it has left every share."""
        return f in self.closed_from and year >= self.closed_from[f]

    def retirements(self, f: int) -> list[int]:
        return [int(p) for p in self.instance.projects_of[f] if self.instance.retire[p] and not self.blocked[p]]


@building
def build_roadmap(instance: Instance, targets: list[Target], horizon: Horizon, objective: Objective = "co2",
                  co2_goal: float | None = None, *, options: PolicyOptions = PolicyOptions(),
                  closest: bool = False, relax_closures: bool = False) -> RoadmapModel:
    """Build the roadmap model, in the order a reader meets the policy.

    ``co2_goal`` is cumulative tCO2 over the horizon (the least-cost mode).
    ``closest`` lets share targets fall short in each binding year (see
    :func:`closest_roadmap`); ``relax_closures`` moves a closure whose
    retirement row cannot be in service by its deadline to the first year it
    can (used by the diagnosis, which must still return an answer).
    """
    enabled = [t for t in targets if t.enabled]
    sense = pulp.LpMaximize if objective == "co2" else pulp.LpMinimize
    model = RoadmapModel(pulp.LpProblem("retrofit_roadmap", sense), instance, horizon,
                         project_timing(instance, horizon), timed_closures(instance, enabled, horizon), options)
    block_projects_on_lines_closed_by_order(model)
    add_in_service_variables(model)
    add_closures_by_order(model, relax_closures)
    set_objective(model, objective)
    if horizon.budgets is not None:
        add_yearly_budgets(model)
    if co2_goal is not None:
        add_cumulative_co2_goal(model, co2_goal)
    add_exclusive_groups(model)
    add_prerequisites(model)
    add_retirements(model)
    for number, target in enumerate(targets):
        if not target.enabled or target.kind not in TARGET_CONSTRAINTS:
            continue
        deadline = horizon.deadline(target)
        if deadline is None:
            continue
        for year in range(deadline, horizon.last + 1):
            TARGET_CONSTRAINTS[target.kind](model, target, f"t{number}_{year}", year, closest)
    return model


# --- variables and objective ------------------------------------------------


def block_projects_on_lines_closed_by_order(model: RoadmapModel) -> None:
    """A line closed by order takes no project in any year, except one of its listed retirement rows."""
    instance = model.instance
    model.blocked = np.zeros(instance.n_projects, dtype=bool)
    for closure in model.closures:
        for p in instance.projects_of[closure.facility]:
            if not instance.retire[p]:
                model.blocked[p] = True
        if not closure.retirement_projects:
            model.closed_from[closure.facility] = closure.year


def add_in_service_variables(model: RoadmapModel) -> None:
    """``x[p, c]`` for every year *p* may go into service, and at most one of them per project."""
    instance, horizon = model.instance, model.horizon
    first = model.timing.first_service
    counts = np.where(model.blocked, 0, np.maximum(horizon.last - first + 1, 0))
    model.offset = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int) if len(counts) else np.zeros(0, int)
    model.var_project = np.repeat(np.arange(instance.n_projects), counts)
    model.var_year = (first[model.var_project] + np.arange(len(model.var_project))
                      - model.offset[model.var_project]).astype(int)
    variables = model.problem.add_variable_dicts("x", range(len(model.var_project)), cat=pulp.LpBinary)
    model.choose = [variables[i] for i in range(len(model.var_project))]
    for v in np.flatnonzero(model.options.excluded_mask(instance)[model.var_project]):
        model.choose[v].upBound = 0  # excluded by the analyst: never in service
    for p in np.flatnonzero(counts > 1).tolist():
        model.add(model.y(p, horizon.last) <= 1, f"one_service_year_{p}")


def _years_in_service(model: RoadmapModel) -> np.ndarray:
    """Per choice ``x[p, c]``: the years its project counts, ``Y1 - c + 1``."""
    return (model.horizon.last - model.var_year + 1).astype(float)


def set_objective(model: RoadmapModel, objective: Objective) -> None:
    """Most tCO2 over the horizon (each year in service counts), or the least total capex.

    Scaled by the largest coefficient, as in the single-year model.
    """
    if objective == "co2":
        weights = model.instance.co2[model.var_project] * _years_in_service(model)
    else:
        weights = _budget_capex(model)[model.var_project]
    largest = float(np.abs(weights).max()) if len(weights) else 0.0
    model.objective_scale = largest if largest > 0 else 1.0
    model.problem.setObjective(_weighted(model.choose, weights / model.objective_scale))


# --- closures ordered by the plans ------------------------------------------


def add_closures_by_order(model: RoadmapModel, relax: bool = False) -> None:
    """淘汰…以下的建筑陶瓷、卫生陶瓷生产线: a small line is retired by its target's deadline.

    With a listed retirement row one of them is in service by the deadline;
    with none the line closes in the deadline year by itself (see
    :meth:`RoadmapModel.closed`).
    """
    for closure in model.closures:
        rows = model.retirements(closure.facility)
        if not rows:
            continue
        year = closure.year
        if relax:
            year = max(year, min(int(model.timing.first_service[p]) for p in rows))
        if year > model.horizon.last:
            model.violated.append((closure.target_id, closure.facility_id))
            continue
        model.add(model.in_service(rows, year) == 1, f"closure_by_order_{closure.facility}",
                  about=(closure.target_id, closure.facility_id))


# --- the budget and the project list's own logic -----------------------------


def _budget_capex(model: RoadmapModel) -> np.ndarray:
    """Capex each project takes from the budgets: closures by order only when the options say so."""
    capex = model.instance.capex
    if model.options.order_capex_in_budget or not model.closures:
        return capex
    ordered = np.zeros(model.instance.n_facilities, dtype=bool)
    ordered[[c.facility for c in model.closures]] = True
    return np.where(model.instance.retire & ordered[model.instance.facility], 0.0, capex)


def spend_matrix(model: RoadmapModel) -> np.ndarray:
    """Spend of each ``x[p, c]`` in each year (years × choices).

    ``capex/lead`` in each of the ``lead`` years ``c - lead .. c - 1``, or
    ``capex`` in ``c`` when lead is 0.
    """
    years = np.array(model.horizon.years)[:, None]
    service = model.var_year[None, :]
    p = model.var_project
    lead = model.timing.lead[p][None, :]
    capex = _budget_capex(model)[p][None, :]
    per_year = np.where(lead > 0, capex / np.maximum(lead, 1), capex)
    window = np.where(lead > 0, (service - lead <= years) & (years <= service - 1), years == service)
    return np.where(window, per_year, 0.0)


def add_yearly_budgets(model: RoadmapModel) -> None:
    """Spend in each year ≤ that year's budget (cumulative spend ≤ cumulative budget with carry-over)."""
    matrix = spend_matrix(model)
    if model.horizon.carry_over:
        matrix = np.cumsum(matrix, axis=0)
    assert model.horizon.budgets is not None  # called only with budgets
    budgets = _row_budgets(model.horizon, model.horizon.budgets)
    for row, year in enumerate(model.horizon.years):
        scale = budget_scale(budgets[row])
        columns = np.flatnonzero(np.abs(matrix[row]) > 1e-12)
        expression = pulp.LpAffineExpression([(model.choose[v], float(matrix[row, v] / scale)) for v in columns])
        model.add(expression <= budgets[row] / scale + 1e-9, f"budget_{year}")


def _row_budgets(horizon: Horizon, budgets: dict[int, float]) -> np.ndarray:
    """What each year's budget row allows: that year's budget, or the cumulative one with carry-over."""
    table = np.array([budgets[y] for y in horizon.years], dtype=float)
    return np.cumsum(table) if horizon.carry_over else table


def budget_rows(model: RoadmapModel, budgets: dict[int, float]) -> dict[str, float]:
    """Right-hand sides of the model's budget rows for other ``budgets``, in the scale the rows were built with."""
    assert model.horizon.budgets is not None  # a model with budget rows
    own, new = _row_budgets(model.horizon, model.horizon.budgets), _row_budgets(model.horizon, budgets)
    return {f"budget_{year}": new[row] / budget_scale(own[row]) + 1e-9
            for row, year in enumerate(model.horizon.years)
            if model.problem.get_constraint_by_name(f"budget_{year}") is not None}


def add_cumulative_co2_goal(model: RoadmapModel, co2_goal: float) -> None:
    """The roadmap cuts at least the goal over the horizon (tCO2, Σ co2 × years in service)."""
    scale = co2_goal if co2_goal >= 1 else 1.0
    weights = model.instance.co2[model.var_project] * _years_in_service(model) / scale
    model.add(_weighted(model.choose, weights) >= co2_goal / scale, "co2_goal")


def add_exclusive_groups(model: RoadmapModel) -> None:
    """Alternatives for the same line: at most one project of each group over the whole horizon."""
    for number, members in enumerate(model.instance.groups):
        model.add(model.in_service(members, model.horizon.last) <= 1, f"exclusive_group_{number}")


def add_prerequisites(model: RoadmapModel) -> None:
    """A prerequisite is in service no later than the project that needs it: by each year, ``q`` if ``p``."""
    for project, prerequisite in model.instance.prerequisites:
        for year in model.horizon.years:
            dependent = model.y(project, year)
            if dependent is None:
                continue
            needed = model.y(prerequisite, year)
            row = dependent - needed if needed is not None else dependent
            model.add(row <= 0, f"requires_{project}_{prerequisite}_{year}")


def add_retirements(model: RoadmapModel) -> None:
    """Retiring a facility closes it: one retirement at most, and no other project on it in any year."""
    instance, last = model.instance, model.horizon.last
    for f in np.unique(instance.facility[instance.retire]):
        f = int(f)
        rows = model.retirements(f)
        if not rows:
            continue
        retired = model.in_service(rows, last)
        if len(rows) > 1:
            model.add(retired <= 1, f"one_retirement_{f}")
        for p in instance.projects_of[f]:
            variable = model.y(int(p), last)
            if not instance.retire[p] and variable is not None:
                model.add(variable + retired <= 1, f"closed_facility_{p}")


# --- plan targets, year by year -----------------------------------------------


def running(model: RoadmapModel, f: int, year: int) -> Expression:
    """1 if facility f still runs in ``year``, as an expression of the retirements in service by then."""
    if model.closed(f, year):
        return pulp.LpAffineExpression()
    rows = model.retirements(f)
    retired = model.in_service(rows, year) if rows else pulp.LpAffineExpression()
    return 1 - retired if len(retired) else pulp.LpAffineExpression(constant=1)


def _has_retirement(model: RoadmapModel, f: int, year: int) -> bool:
    return any(model.y(p, year) is not None for p in model.retirements(f))


def level_flag(model: RoadmapModel, f: int, level: str, year: int) -> Expression:
    """1 only if facility f runs in ``year`` and ``intensity - Σ reductions in service by then ≤ level``.

    The same forms as :func:`optimizer.model.level_flag`, over the projects
    that can be in service by ``year``.
    """
    key = (f, level, year)
    if key in model.level_flags:
        return model.level_flags[key]
    instance = model.instance
    target_level = instance.benchmark[f] if level == "benchmark" else instance.baseline[f]
    need = float(instance.intensity[f] - target_level)
    projects = [int(p) for p in instance.projects_of[f]
                if not instance.retire[p] and instance.reduction[p] != 0 and model.y(int(p), year) is not None]
    r = instance.reduction
    negative = float(sum(r[p] for p in projects if r[p] < 0))
    helpful = [p for p in projects if r[p] > 0]
    if model.closed(f, year):
        flag: Expression = pulp.LpAffineExpression()
    elif need - negative <= LEVEL_TOLERANCE:
        flag = running(model, f, year)
    elif need > _best_reduction(instance, helpful) + LEVEL_TOLERANCE:
        flag = pulp.LpAffineExpression()
    elif negative == 0 and all(r[p] >= need - LEVEL_TOLERANCE for p in helpful):
        reaching = model.in_service(helpful, year)
        groups = instance.group_of[helpful]
        if len(helpful) == 1 or (groups[0] >= 0 and (groups == groups[0]).all()):
            flag = reaching
        else:
            flag = model.problem.add_variable(f"at_{level}_{f}_{year}", lowBound=0, upBound=1)
            model.add(flag - reaching <= 0, f"{level}_reached_{f}_{year}")
    else:
        flag = model.problem.add_variable(f"at_{level}_{f}_{year}", cat=pulp.LpBinary)
        span = need - negative
        # a cut beyond the span counts as the span (exact on 0/1 choices, a tighter LP; as in the single-year model)
        cut = model.in_service(projects, year, [min(r[p] / span, 1.0) for p in projects])
        model.add(cut - flag >= negative / span, f"{level}_reductions_{f}_{year}")
        _add_level_covers(model, flag, helpful, need, f"{level}_{f}_{year}", year)
        if need <= LEVEL_TOLERANCE and _has_retirement(model, f, year):
            model.add(flag - running(model, f, year) <= 0, f"{level}_running_{f}_{year}")
    model.level_flags[key] = flag
    return flag


def add_benchmark_share(model: RoadmapModel, target: Target, label: str, year: int, closest: bool = False) -> None:
    """The share of running capacity at benchmark ≥ value + margin, in ``year``."""
    required = min(1.0, target.value + model.options.margin)
    _add_share(model, target, label, "benchmark", required, year, closest)


def add_baseline_all(model: RoadmapModel, target: Target, label: str, year: int, closest: bool = False) -> None:
    """Every covered facility at baseline or retired, in ``year`` (a 100 % share in closest mode)."""
    if closest:
        _add_share(model, target, label, "baseline", 1.0, year, closest)
        return
    instance = model.instance
    for f in np.flatnonzero(instance.covered(target.products)):
        f = int(f)
        if model.closed(f, year):
            continue
        need = float(instance.intensity[f] - instance.baseline[f])
        projects = [int(p) for p in instance.projects_of[f] if not instance.retire[p]
                    and instance.reduction[p] != 0 and model.y(int(p), year) is not None]
        if need <= LEVEL_TOLERANCE and all(instance.reduction[p] > 0 for p in projects):
            continue
        # a cut beyond need - Σ negative cuts reaches baseline whatever else is chosen: count it as that much
        cap = need - float(sum(min(instance.reduction[p], 0.0) for p in projects))
        reductions = [min(float(instance.reduction[p]), cap) if cap > 0 else float(instance.reduction[p])
                      for p in projects]
        scale = max(abs(need), max((abs(v) for v in reductions), default=0.0), 1e-9)
        cut = model.in_service(projects, year, [v / scale for v in reductions])
        if need > LEVEL_TOLERANCE and _has_retirement(model, f, year):
            cut = cut + (need / scale) * model.in_service(model.retirements(f), year)
        model.add(cut >= need / scale - LEVEL_TOLERANCE, f"baseline_{label}_{f}",
                  about=(target.target_id, str(instance.facility_ids[f])))
        if need > LEVEL_TOLERANCE:  # running at baseline needs these cuts
            helpful = [p for p in projects if instance.reduction[p] > 0]
            _add_level_covers(model, running(model, f, year), helpful, need, f"baseline_{label}_{f}", year)


def _add_share(model: RoadmapModel, target: Target, label: str, level: str, required: float, year: int,
               closest: bool) -> None:
    """Σ w·at_level - required·Σ w·running ≥ 0 in ``year``; in closest mode with the McCormick shortfall.

    Exactly the trick of :func:`optimizer.model._add_share`: ``s × running_f``
    is ``u_f`` with ``u_f ≤ s`` and ``u_f ≤ required·running_f``.
    """
    instance = model.instance
    covered = [int(f) for f in np.flatnonzero(instance.covered(target.products)) if not model.closed(int(f), year)]
    all_weights = instance.weights(target.weight)
    total = all_weights[covered].sum()
    weights = all_weights / (total if total > 0 else 1.0)
    terms: list[Expression] = []
    for f in covered:
        w = float(weights[f])
        terms.append(w * level_flag(model, f, level, year) - required * w * running(model, f, year))
    if closest:
        short = model.problem.add_variable(f"shortfall_{label}", lowBound=0, upBound=required)
        model.shortfall[(target.target_id, year)] = short
        fixed = sum(float(weights[f]) for f in covered if not _has_retirement(model, f, year))
        terms.append(fixed * short)
        for f in covered:
            if _has_retirement(model, f, year):
                share = model.problem.add_variable(f"shortfall_{label}_{f}", lowBound=0, upBound=required)
                model.add(share - short <= 0, f"shortfall_{label}_{f}_le")
                model.add(share - required * running(model, f, year) <= 0, f"shortfall_{label}_{f}_running")
                terms.append(float(weights[f]) * share)
    model.add(pulp.lpSum(terms) >= 0, f"{level}_share_{label}", about=(target.target_id, ""))


def _add_level_covers(model: RoadmapModel, flag: Expression, helpful: list[int], need: float, label: str,
                      year: int) -> None:
    """:func:`optimizer.model._add_level_covers` in ``year``: the projects a level cannot do without by then.

    ``flag ≤ (p in service by year)`` for a project without which the others
    cannot reach the level, ``flag ≤ (p or q in service)`` for such pairs, and
    ``flag ≤ Σ (in service by year)`` over the smallest set of the largest cuts without
    which the rest cannot: implied on 0/1 choices, a tighter LP.
    """
    if isinstance(flag, pulp.LpAffineExpression) and len(flag) == 0:
        return
    for projects, suffix in level_covers(model.instance, helpful, need):
        model.add(flag - model.in_service(projects, year) <= 0, f"{label}_{suffix}")


TARGET_CONSTRAINTS = {
    "benchmark_share_min": add_benchmark_share,
    "baseline_all": add_baseline_all,
}


def _weighted(variables: list[pulp.LpVariable], weights: np.ndarray) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(zip(variables, np.asarray(weights, dtype=float).tolist()))


# --- reading a roadmap --------------------------------------------------------


def service_years(model: RoadmapModel, chosen: np.ndarray) -> np.ndarray:
    """Per project: the year it goes into service (its ``x[p, c] = 1``), or 0 when not chosen."""
    years = np.zeros(model.instance.n_projects, dtype=int)
    on = np.flatnonzero(np.asarray(chosen, dtype=bool))
    if len(on):
        projects, years_on = model.var_project[on], model.var_year[on]
        order = np.lexsort((years_on, projects))
        projects, years_on = projects[order], years_on[order]
        first = np.concatenate([[True], projects[1:] != projects[:-1]])
        years[projects[first]] = years_on[first]
    return years


@dataclass
class RoadmapResult:
    """A roadmap and every figure an analyst defends it with; figures are computed from the schedule."""

    status: Status
    objective: Objective
    first_year: int
    last_year: int
    co2_cumulative_t: float
    co2_run_rate_t: float
    co2_by_year: dict[int, float]
    spend_by_year: dict[int, float]
    budget_by_year: dict[int, float] | None
    schedule: list[dict]
    targets_by_year: list[dict]
    closed_by_order: list[dict]
    cannot_fit: list[dict]
    gap: float | None
    bound: float | None
    spend_total: float = 0.0
    carry_over: bool = False
    overdue_deadline: int = 0
    margin: float = 0.0
    co2_goal: float | None = None
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    solver: str = "highs"
    message: str = ""
    diagnosis: dict | None = None
    in_service_year: np.ndarray = field(default_factory=lambda: np.zeros(0, int), repr=False)

    @property
    def has_roadmap(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        """JSON-ready: years as string keys, no NaN or infinity."""
        def years(table):
            return None if table is None else {str(y): v for y, v in table.items()}

        data = {
            "status": self.status, "objective": self.objective, "first_year": self.first_year,
            "last_year": self.last_year, "co2_cumulative_t": self.co2_cumulative_t,
            "co2_run_rate_t": self.co2_run_rate_t, "co2_by_year": years(self.co2_by_year),
            "spend_by_year": years(self.spend_by_year), "budget_by_year": years(self.budget_by_year),
            "spend_total": self.spend_total,
            "schedule": [{**row, "capex_by_year": years(row["capex_by_year"])} for row in self.schedule],
            "targets_by_year": self.targets_by_year, "closed_by_order": self.closed_by_order,
            "cannot_fit": self.cannot_fit, "gap": self.gap, "bound": self.bound, "carry_over": self.carry_over,
            "overdue_deadline": self.overdue_deadline, "margin": self.margin, "co2_goal": self.co2_goal,
            "solve_seconds": self.solve_seconds, "build_seconds": self.build_seconds, "solver": self.solver,
            "message": self.message, "diagnosis": self.diagnosis,
        }
        return _finite(data)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def capex_by_year(instance: Instance, horizon: Horizon, timing: Timing, p: int, service: int,
                  capex: np.ndarray | None = None) -> dict[int, float]:
    """The spend of one project in service in ``service``: spread evenly over the lead years before it."""
    amount = float((instance.capex if capex is None else capex)[p])
    lead = int(timing.lead[p])
    if lead == 0:
        return {service: amount}
    return {y: amount / lead for y in range(service - lead, service)}


def targets_by_year(instance: Instance, targets: list[Target], horizon: Horizon, service: np.ndarray,
                    closures: list[TimedClosure], margin: float = 0.0) -> list[dict]:
    """Every enabled target in every year: value, required, met, and whether it binds (year ≥ its deadline)."""
    rows = []
    for year in horizon.years:
        in_service = (service > 0) & (service <= year)
        closed = np.zeros(instance.n_facilities, dtype=bool)
        closed[[c.facility for c in closures if not c.retirement_projects and c.year <= year]] = True
        state = facility_state(instance, in_service, closed)
        for target in targets:
            if not target.enabled:
                continue
            deadline = horizon.deadline(target)
            value = target_value(instance, target, state)
            rows.append({"target_id": target.target_id, "kind": target.kind, "year": year,
                         "required": required_value(target, margin), "value": value,
                         "met": bool(is_met(target, value, margin)),
                         "binding": deadline is not None and year >= deadline, "deadline": deadline})
    return rows


def make_roadmap_result(model: RoadmapModel, targets: list[Target], outcome: SolveOutcome, objective: Objective,
                        co2_goal: float | None, build_seconds: float, solver: str) -> RoadmapResult:
    instance, horizon, timing = model.instance, model.horizon, model.timing
    has = outcome.status in ("optimal", "feasible")
    service = service_years(model, outcome.chosen) if has else np.zeros(instance.n_projects, int)
    budget_capex = _budget_capex(model)
    spend = {y: 0.0 for y in horizon.years}
    co2_by_year = {y: 0.0 for y in horizon.years}
    schedule = []
    for p in np.flatnonzero(service > 0):
        p = int(p)
        paid = capex_by_year(instance, horizon, timing, p, int(service[p]), budget_capex)
        for y, amount in paid.items():
            spend[y] += amount
        for y in range(int(service[p]), horizon.last + 1):
            co2_by_year[y] += float(instance.co2[p])
        f = int(instance.facility[p])
        schedule.append({"project_id": str(instance.project_ids[p]), "facility_id": str(instance.facility_ids[f]),
                         "sector": str(instance.sector[f]), "in_service_year": int(service[p]),
                         "capex": float(instance.capex[p]),
                         "capex_by_year": capex_by_year(instance, horizon, timing, p, int(service[p])),
                         "co2_t": float(instance.co2[p]), "retire": bool(instance.retire[p])})
    schedule.sort(key=lambda row: (row["in_service_year"], row["facility_id"], row["project_id"]))
    return RoadmapResult(
        status=outcome.status, objective=objective, first_year=horizon.first, last_year=horizon.last,
        co2_cumulative_t=float(sum(co2_by_year.values())), co2_run_rate_t=co2_by_year[horizon.last],
        co2_by_year=co2_by_year, spend_by_year=spend, budget_by_year=horizon.budgets, schedule=schedule,
        targets_by_year=targets_by_year(instance, targets, horizon, service, model.closures, model.options.margin)
        if has else [],
        closed_by_order=[c.to_dict() for c in model.closures], cannot_fit=timing.cannot_fit,
        gap=outcome.gap, bound=outcome.bound, spend_total=float(sum(spend.values())),
        carry_over=horizon.carry_over, overdue_deadline=horizon.overdue, margin=model.options.margin,
        co2_goal=co2_goal, solve_seconds=outcome.seconds, build_seconds=build_seconds, solver=solver,
        message=outcome.message, in_service_year=service)


def plan_roadmap(dataset: Dataset | Instance, horizon: Horizon, *, targets: list[Target] | None = None,
                 objective: Objective = "co2", co2_goal: float | None = None,
                 factors: EmissionFactors | None = None, options: PolicyOptions = PolicyOptions(),
                 settings: SolverSettings = ROADMAP_SOLVER, diagnose: bool = True) -> RoadmapResult:
    """The roadmap: most tCO2 over the horizon within the yearly budgets, or least capex reaching ``co2_goal``.

    When no roadmap meets the targets and ``diagnose`` is on, the result's
    ``diagnosis`` says which target fails in which year, the earliest year
    each can be met, and the closest roadmap (see :func:`diagnose_roadmap`).
    """
    instance = dataset if isinstance(dataset, Instance) else prepare(dataset, factors)
    if targets is None:
        if isinstance(dataset, Instance):
            raise ValueError("pass targets when planning with a prepared instance")
        targets = dataset.targets
    if objective == "co2" and horizon.budgets is None:
        raise RoadmapSettingsError([("a budget per year is required to maximise CO2", "最大化减排需要年度预算")])
    if objective == "cost" and co2_goal is None:
        raise RoadmapSettingsError([("the least-cost mode needs a cumulative CO2 goal",
                                     "最低投资模式需要累计减排目标")])
    began = time.perf_counter()
    model = build_roadmap(instance, targets, horizon, objective, co2_goal, options=options)
    build_seconds = time.perf_counter() - began
    outcome = solve_model(model, settings)  # type: ignore[arg-type]  # same fields as RetrofitModel
    result = make_roadmap_result(model, targets, outcome, objective, co2_goal, build_seconds, settings.solver)
    limits = dict(horizon.budgets or {})  # what each year's row allows, cut by a repair
    for _ in range(MONEY_REPAIRS):
        excess = overspend_by_year(result, horizon)
        if not excess:
            break
        # As in optimizer.solve.optimize: HiGHS accepts a budget row within its feasibility tolerance, money
        # may not. Solve the model again with each overspent year's budget cut by its excess (rows changed on
        # the HiGHS model built, see optimizer.solve.solve_again); the first bound still holds.
        assert horizon.budgets is not None  # an excess needs budgets
        limits = {y: min(limits[y], b - excess[y] - SOLVER_TOLERANCE * max(b, 1.0)) if y in excess else limits[y]
                  for y, b in horizon.budgets.items()}
        again = solve_again(model, outcome, budget_rows(model, limits), settings)  # type: ignore[arg-type]
        if again.status not in ("optimal", "feasible"):
            break
        keep_first_bound(again, outcome, settings.gap)
        result = make_roadmap_result(model, targets, again, objective, co2_goal, build_seconds, settings.solver)
    if diagnose and outcome.status == "infeasible":
        result.diagnosis = diagnose_roadmap(instance, targets, horizon, objective=objective, co2_goal=co2_goal,
                                            options=options, settings=settings)
    return result


def overspend_by_year(result: RoadmapResult, horizon: Horizon) -> dict[int, float]:
    """万元 spent beyond each year's budget (cumulative, with carry-over); years within it are left out."""
    if horizon.budgets is None or not result.has_roadmap:
        return {}
    spent = budget = 0.0
    excess = {}
    for year in horizon.years:
        year_budget = horizon.budgets[year]
        spent = spent + result.spend_by_year[year] if horizon.carry_over else result.spend_by_year[year]
        budget = budget + year_budget if horizon.carry_over else year_budget
        if spent - budget > 1e-9 * max(budget, 1.0):  # beyond float noise in the sum
            excess[year] = spent - budget
    return excess


# --- when the targets cannot be met in time -----------------------------------


def closest_roadmap(instance: Instance, targets: list[Target], horizon: Horizon, *,
                    options: PolicyOptions = PolicyOptions(),
                    settings: SolverSettings = ROADMAP_SOLVER) -> RoadmapResult | None:
    """The roadmap within the budgets closest to the targets, then with the most tCO2.

    Least total shortfall in share points summed over the share targets and
    their binding years ("all at baseline" as a 100 % share), then the most
    CO2 among roadmaps that short. Closures whose retirement row cannot be
    in service by the deadline are moved to the first year they can.
    """
    limit = SUB_SOLVE_SECONDS if settings.time_limit is None else min(settings.time_limit, SUB_SOLVE_SECONDS)
    settings = replace(settings, core_search=False, time_limit=limit)
    model = build_roadmap(instance, targets, horizon, "co2", options=options, closest=True, relax_closures=True)
    solved = solve_closest(model, settings, warm_start=False)  # type: ignore[arg-type]  # same fields
    if solved is None:
        return None
    outcome, least_proven = solved
    if not least_proven:  # the least shortfall itself is not proven: say so
        outcome.status = "feasible"
        outcome.message = "least shortfall not proven within the time limit"
    return make_roadmap_result(model, targets, outcome, "co2", None, 0.0, settings.solver)


def _shortfall(row: dict) -> float:
    if row["kind"] == "min_line_capacity" or row["value"] is None:
        return 0.0
    missing = row["required"] - row["value"]
    return float(missing) if missing > 1e-7 else 0.0


def earliest_year_met(instance: Instance, targets: list[Target], target: Target, horizon: Horizon, *,
                      options: PolicyOptions = PolicyOptions(),
                      settings: SolverSettings = ROADMAP_SOLVER, unproven: list[int] | None = None) -> int | None:
    """The earliest year from which ``target`` can hold every year to ``Y1``, within the budgets; None: never.

    Each year is a feasibility question (no objective), stopped after
    :data:`SUB_SOLVE_SECONDS`; a year the solver could neither settle is
    appended to ``unproven`` and counted as not reachable, so the answer is
    then "from this year at the latest".

    Solves with the target's deadline moved later (binary search: a later
    deadline only drops years). The target is taken on its own, with the
    lines closed by order of the other small-line targets (their closures
    moved to the first year their retirement can be in service): the year is
    what this target needs, not what every target needs together.
    """
    start = horizon.deadline(target)
    if start is None:
        return None
    unproven = [] if unproven is None else unproven
    others = [t for t in targets if t.enabled and t.kind == "min_line_capacity" and t is not target]

    limit = SUB_SOLVE_SECONDS if settings.time_limit is None else min(settings.time_limit, SUB_SOLVE_SECONDS)
    quick = replace(settings, core_search=False, time_limit=limit)

    def feasible(year: int) -> bool:
        moved = replace(target, year=year)
        if target.kind == "min_line_capacity":
            # its own closures must hold by ``year``: built unrelaxed on the moved target only
            model = build_roadmap(instance, [moved], horizon, "co2", options=options)
        else:
            model = build_roadmap(instance, [moved, *others], horizon, "co2", options=options, relax_closures=True)
        # only whether a roadmap exists: no objective, so the first one found ends the search
        model.problem.setObjective(pulp.LpAffineExpression())
        status = solve_model(model, quick).status  # type: ignore[arg-type]
        if status not in ("optimal", "feasible", "infeasible"):
            unproven.append(year)  # stopped by the time limit: neither found nor ruled out
        return status in ("optimal", "feasible")

    low, high = start, horizon.last
    if feasible(low):  # most targets a closest roadmap misses can still be met on time on their own
        return low
    low += 1
    if low > high or not feasible(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if feasible(middle):
            high = middle
        else:
            low = middle + 1
    return low


def diagnose_roadmap(instance: Instance, targets: list[Target], horizon: Horizon, *, objective: Objective = "co2",
                     co2_goal: float | None = None, options: PolicyOptions = PolicyOptions(),
                     settings: SolverSettings = ROADMAP_SOLVER) -> dict:
    """Which target fails in which year, the earliest year each can be met, and the closest roadmap.

    ``missed``: rows (target, year, value, required, shortfall) where the
    closest roadmap falls short in a binding year, and lines closed by order
    whose retirement cannot be in service by the deadline. ``earliest``:
    for each target missed, :func:`earliest_year_met` (None: not within the
    horizon at these budgets). ``unreachable``: targets no budget can meet
    (as in the single-year diagnosis, which ignores time).
    """
    from .diagnosis import _unreachable

    settings = replace(settings, core_search=False)
    enabled = [t for t in targets if t.enabled]
    unreachable = [d for t in enabled if (d := _unreachable(instance, t, options)) is not None]
    closest = closest_roadmap(instance, enabled, horizon, options=options, settings=settings)
    missed: list[dict] = []
    failing: list[Target] = []
    if closest is not None:
        for row in closest.targets_by_year:
            if row["binding"] and not row["met"]:
                missed.append({"target_id": row["target_id"], "year": row["year"], "value": row["value"],
                               "required": row["required"], "shortfall": _shortfall(row)})
        failing_ids = {row["target_id"] for row in missed}
        failing = [t for t in enabled if t.target_id in failing_ids]
    else:
        failing = [t for t in enabled if t.kind in TARGET_CONSTRAINTS or t.kind == "min_line_capacity"]
    # a closure whose retirement row cannot be in service by the deadline
    timing = project_timing(instance, horizon)
    for closure in timed_closures(instance, enabled, horizon):
        rows = [p for p in instance.projects_of[closure.facility] if instance.retire[p]]
        if rows and min(int(timing.first_service[p]) for p in rows) > closure.year:
            missed.append({"target_id": closure.target_id, "year": closure.year, "value": None, "required": 0.0,
                           "shortfall": 0.0, "facility_id": closure.facility_id})
            if all(t.target_id != closure.target_id for t in failing):
                failing += [t for t in enabled if t.target_id == closure.target_id]
    earliest = []
    for target in failing:
        unsettled: list[int] = []
        year = earliest_year_met(instance, enabled, target, horizon, options=options, settings=settings,
                                 unproven=unsettled)
        earliest.append({"target_id": target.target_id, "deadline": horizon.deadline(target), "earliest_year": year,
                         "proven": not unsettled})
    lines_en, lines_zh = [], []
    for row in missed:
        what = f"line {row['facility_id']} cannot be retired" if "facility_id" in row else (
            f"{row['value']:.1%} of {row['required']:.1%}" if row["value"] is not None else "not met")
        lines_en.append(f"{row['target_id']} in {row['year']}: {what}")
        what_zh = f"产线 {row['facility_id']} 无法按期淘汰" if "facility_id" in row else (
            f"{row['value']:.1%}，要求 {row['required']:.1%}" if row["value"] is not None else "未达到")
        lines_zh.append(f"{row['target_id']}（{row['year']} 年）：{what_zh}")
    for row in earliest:
        when = row["earliest_year"]
        if not row["proven"]:  # a year the solver could not settle in time: say so
            lines_en.append(f"{row['target_id']} can be met from {when} at the latest (earlier years not settled "
                            f"within the time limit)" if when is not None else
                            f"{row['target_id']}: no roadmap meeting it was found within {horizon.first}–"
                            f"{horizon.last} in the time limit (not proven impossible)")
            lines_zh.append(f"{row['target_id']} 最迟可于 {when} 年达到（更早年份未在时限内确定）"
                            if when is not None else
                            f"{row['target_id']} 在时限内未找到满足它的路线图（未证明不可能）")
            continue
        lines_en.append(f"{row['target_id']} can be met from {when}" if when is not None else
                        f"{row['target_id']} cannot be met within {horizon.first}–{horizon.last} at these budgets")
        lines_zh.append(f"{row['target_id']} 最早可于 {when} 年达到" if when is not None else
                        f"{row['target_id']} 在 {horizon.first}–{horizon.last} 年的预算下无法达到")
    if co2_goal is not None and not missed:
        lines_en.append(f"the cumulative CO2 goal of {co2_goal:,.0f} t cannot be reached with the targets met")
        lines_zh.append(f"在满足目标的前提下无法达到累计减排 {co2_goal:,.0f} 吨")
    return {
        "missed": missed, "earliest": earliest,
        "unreachable": [{"target_id": d.target_id, "best_possible": d.best_possible, "required": d.required,
                         "reason_en": d.reason_en, "reason_zh": d.reason_zh} for d in unreachable],
        "closest": None if closest is None else {
            "status": closest.status, "co2_cumulative_t": closest.co2_cumulative_t,
            "co2_run_rate_t": closest.co2_run_rate_t, "spend_by_year": {str(y): v for y, v in
                                                                          closest.spend_by_year.items()},
            "total_shortfall": float(sum(_shortfall(r) for r in closest.targets_by_year if r["binding"])),
            "schedule": [{**r, "capex_by_year": {str(y): v for y, v in r["capex_by_year"].items()}}
                         for r in closest.schedule],
            "targets_by_year": closest.targets_by_year, "gap": closest.gap},
        "summary_en": "The targets cannot all be met in time. " + "; ".join(lines_en),
        "summary_zh": "无法按期满足全部目标。" + "；".join(lines_zh),
    }
