"""The rules of the integer program: one program over years, each rule written once for every horizon.

A single-year question and a roadmap are the same program (PyPSA writes
each constraint once over its snapshots): a single-year question is the
horizon of one year, its as-of year (see :mod:`optimizer.program.horizon`).

Variables
    ``x[p, c]`` (binary): project *p* goes into service in year *c* of the
    horizon, only for the years it may (from ``max(Y0, earliest_year) +
    lead``), at most one year per project. "In service by year *y*" is the
    short sum ``Σ_{c ≤ y} x[p, c]``. In a single-year question a project that
    cannot be in service keeps one choice held at 0, so that choice *p* is
    project *p*; a roadmap has choices only where a project may go into service.
    ``at_{level}_{f}_{y}``: facility *f* runs in year *y* and is at that
    level (see :func:`level_flag`).
    ``shortfall_t{n}_{y}`` (closest mode only): share points by which target
    *n* is missed in year *y*.

Objective
    most tCO2 over the horizon, each year in service counting (a single
    year: tCO2 per year), or least capex that reaches a CO2 goal; in
    *closest* mode, first the least total shortfall.

Plant accounting (``data-format.md``)
    A project's effect on intensity is its reduction; the reductions of the
    projects on a facility in service by a year add up, negative ones
    (carbon capture) with their sign. A facility is at a level in year *y*
    when ``intensity - Σ reductions in service by y ≤ level``.

Constraints (one function each, named after the sentence they enforce)
    closures by order, budgets, exclusive groups, prerequisites,
    retirements; and the blocks the target kinds write their rows with in
    each year they bind (:func:`level_flag`, :func:`add_share_rows`,
    :func:`add_level_covers`; the kinds are in :mod:`optimizer.program.kinds`, the
    build in :mod:`optimizer.program.build`). Target rows are labelled by the
    target's position and year (``t0_2027``…), since PuLP folds characters
    of user ids and two ids could collide.

Formulation (measured, see benchmarks/RESULTS.md)
    The in-service-by variables ``y[p, c] = Σ_{c' ≤ c} x[p, c']`` give the
    same LP bound (one unimodular change of variables apart), but their
    monotone rows ``y[p, c] ≤ y[p, c+1]`` made HiGHS's simplex 2-4 times
    slower on 10,000 projects × 5 years.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeAlias, TypeVar

import numpy as np
import pulp

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance

if TYPE_CHECKING:  # the horizon's types only: it sits above the rules (its closures ask the target kinds)
    from optimizer.program.horizon import Horizon, TimedClosure, Timing

Objective = Literal["co2", "cost"]
#: A linear expression PuLP can put in a row: a variable or an affine sum of them.
Expression: TypeAlias = pulp.LpVariable | pulp.LpAffineExpression
#: A row's left-hand side as coefficients by variable (see :meth:`RetrofitModel.add_row`).
Terms: TypeAlias = dict[pulp.LpVariable, float]
Pairs: TypeAlias = list[tuple[pulp.LpVariable, float]]
LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ

#: Intensities within this of a level count as at the level (kgce per unit).
LEVEL_TOLERANCE = 1e-9
#: Facilities with at most this many helpful projects (none needed alone) get the pair covers of
#: :func:`add_level_covers`.
PAIR_COVER_MAX = 8
#: Slack on every budget row's right-hand side, relative to the row's scale (the money repair settles the rest).
BUDGET_SLACK = 1e-9


@dataclass(frozen=True)
class PolicyOptions:
    """How the plans are read, beyond the targets themselves.

    ``margin``: share points (0.02 = 2 points) added to every benchmark-share
    target, so a data error does not flip compliance at the threshold.
    ``order_capex_in_budget``: a retirement chosen by order (a small line)
    is paid from the budget; False keeps it outside.
    ``excluded``: project ids that may not be chosen (a plant owner objects,
    or "exclude this project and re-solve"); ids not in the list are ignored.
    """

    margin: float = 0.0
    order_capex_in_budget: bool = True
    excluded: tuple[str, ...] = ()

    def excluded_mask(self, instance: Instance) -> np.ndarray:
        """Per project: True when the analyst excluded it."""
        if not self.excluded:
            return np.zeros(instance.n_projects, dtype=bool)
        return np.isin(instance.project_ids.astype(str), [str(p) for p in self.excluded])


@dataclass
class RetrofitModel:
    """A built PuLP problem and what its results are read from.

    ``choose`` lists every ``x[p, c]``; ``var_project`` and ``var_year`` say
    whose and which year each is (in a single-year question, choice *p* is
    project *p*).
    """

    problem: pulp.LpProblem
    instance: Instance
    horizon: Horizon
    timing: Timing
    closures: list[TimedClosure]
    options: PolicyOptions = field(default_factory=PolicyOptions)
    #: The enabled targets the model was built for (read by :mod:`optimizer.solving.lagrange`).
    targets: list[Target] = field(default_factory=list)
    choose: list[pulp.LpVariable] = field(default_factory=list)
    var_project: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    var_year: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    #: Per choice: it can be in service (not blocked by a closure, within the horizon).
    open: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: Per project: the first year it has a choice (beyond the horizon when it has none) and that choice's index.
    first_choice: list[int] = field(default_factory=list)
    first_index: list[int] = field(default_factory=list)
    _projects_by_facility: tuple[list[list[int]], list[list[int]]] | None = field(default=None, repr=False)
    blocked: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: Facility → the year from which it is closed by order and has left every share.
    closed_from: dict[int, int] = field(default_factory=dict)
    level_flags: dict[tuple[int, str, int], Expression] = field(default_factory=dict)
    shortfall: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    violated: list[tuple[str, str]] = field(default_factory=list)
    objective_scale: float = 1.0
    #: Most CO2 within budgets, targets enforced: the model the Lagrangian bound prices.
    plain: bool = False
    #: The objective :func:`set_objective` wrote; a caller that replaces it (alternatives) leaves the plain model.
    objective_expression: pulp.LpAffineExpression | None = None

    def add(self, constraint: pulp.LpConstraint, name: str, about: tuple[str, str] = ("", "")) -> None:
        """Add a named row; a row left without variables is settled here, not sent to the solver.

        A sum over no projects (a budget over free projects only, a facility
        below baseline with no project at all) would be an empty row, which
        CBC cannot take; it is either always true (dropped) or never:
        ``about`` = (target id, facility id) is then recorded in ``violated``,
        which makes the model infeasible and tells the diagnosis why.
        """
        for variable in [v for v, c in constraint.items() if c == 0]:
            del constraint.expr[variable]
        if len(constraint) == 0:
            if not constraint.valid(0):
                self.violated.append(about if about != ("", "") else (name, ""))
            return
        self.problem += constraint, name

    def add_row(self, terms: Terms | Pairs, sense: int, rhs: float, name: str,
                about: tuple[str, str] = ("", "")) -> None:
        """Add ``Σ coefficient·variable (sense) rhs`` as one named row, settled like :meth:`add`.

        Written from the terms directly, without PuLP's ``+``, ``-`` and ``*``,
        each of which builds a new expression: at 100,000 projects those made
        up most of the model build. ``sense`` is ``LE``, ``GE`` or ``EQ``; a
        variable may appear once only (a dict of terms guarantees it), and
        zero coefficients are dropped.
        """
        items = terms.items() if isinstance(terms, dict) else terms
        constraint = pulp.LpConstraint(pulp.LpAffineExpression([(v, c) for v, c in items if c != 0]), sense,
                                       rhs=rhs)
        self.add(constraint, name, about)

    # --- reading the decisions -------------------------------------------------

    @property
    def one_year(self) -> bool:
        return self.horizon.first == self.horizon.last

    @property
    def budget(self) -> float | None:
        """A single-year question's budget (万元), None without one or for a roadmap."""
        budgets = self.horizon.budgets
        return None if budgets is None or not self.one_year else budgets[self.horizon.last]

    @property
    def closed(self) -> np.ndarray:
        """Per facility: closed by order by the horizon's last year (it has left every share then)."""
        mask = np.zeros(self.instance.n_facilities, dtype=bool)
        mask[[f for f, year in self.closed_from.items() if year <= self.horizon.last]] = True
        return mask

    def years_open(self, p: int, year: int) -> range:
        """Indices in ``choose`` of ``x[p, c]`` for ``c ≤ year`` (empty: p cannot be in service by then)."""
        first = self.first_choice[p]
        if year < first:
            return range(0)
        start = self.first_index[p]
        return range(start, start + min(year, self.horizon.last) - first + 1)

    def can_serve(self, p: int, year: int) -> bool:
        return self.first_choice[p] <= year

    def service(self, projects: Iterable[int], year: int, weights: Iterable[float] | None = None) -> Pairs:
        """Terms of Σ weight × (in service by ``year``) over ``projects``; those that cannot be drop out.

        Read from plain lists (:attr:`first_choice`, :attr:`first_index`):
        the build asks this some ten thousand times at 10,000 projects.
        """
        first, index, choose, last = self.first_choice, self.first_index, self.choose, self.horizon.last
        if self.one_year:  # one choice per project, choice p
            if weights is None:
                return [(choose[p], 1.0) for p in projects if first[p] <= year]
            return [(choose[p], float(w)) for p, w in zip(projects, weights) if first[p] <= year]
        pairs: Pairs = []
        for p, weight in zip(projects, weights if weights is not None else itertools.repeat(1.0)):
            begin = first[p]
            if year >= begin:
                start = index[p]
                pairs.extend((choose[v], float(weight)) for v in range(start, start + min(year, last) - begin + 1))
        return pairs

    def closed_in(self, f: int, year: int) -> bool:
        """Closed by order in ``year``: from its deadline on, it has left every share."""
        return f in self.closed_from and year >= self.closed_from[f]

    def retirements(self, f: int) -> list[int]:
        """The retirement rows of facility f that may be chosen."""
        return self._by_facility()[0][f]

    def acting(self, f: int, year: int) -> list[int]:
        """The projects of facility f that change its intensity (not retirements) and can be in service by ``year``."""
        first = self.first_choice
        return [p for p in self._by_facility()[1][f] if first[p] <= year]

    def has_retirement(self, f: int, year: int) -> bool:
        """A retirement of f can be in service by ``year``."""
        first = self.first_choice
        return any(first[p] <= year for p in self.retirements(f))

    def _by_facility(self) -> tuple[list[list[int]], list[list[int]]]:
        """Per facility, once: its retirement rows that are not blocked, and its projects that change intensity."""
        if self._projects_by_facility is None:
            retire, reduction = self.instance.retire.tolist(), self.instance.reduction.tolist()
            blocked = self.blocked.tolist()
            groups = [f.tolist() for f in self.instance.projects_of]
            self._projects_by_facility = (
                [[p for p in members if retire[p] and not blocked[p]] for members in groups],
                [[p for p in members if not retire[p] and reduction[p] != 0] for members in groups])
        return self._projects_by_facility


P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a model is built, then as it was.

    The build makes hundreds of thousands of PuLP objects that live as long
    as the model, and the collector would walk them all again and again to
    find nothing to free (100,000 projects: build 2.2-2.4 s against 2.0-2.1 s).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def building(function: Callable[P, R]) -> Callable[P, R]:
    """A model builder run :func:`without_cycle_collection`."""

    @wraps(function)
    def build(*args: P.args, **kwargs: P.kwargs) -> R:
        with without_cycle_collection():
            return function(*args, **kwargs)

    return build


# --- variables and objective ------------------------------------------------


def block_projects_on_lines_closed_by_order(model: RetrofitModel) -> None:
    """A line closed by order takes no project in any year, except one of its listed retirement rows."""
    instance = model.instance
    model.blocked = np.zeros(instance.n_projects, dtype=bool)
    for closure in model.closures:
        for p in instance.projects_of[closure.facility]:
            if not instance.retire[p]:
                model.blocked[p] = True


def add_in_service_variables(model: RetrofitModel) -> None:
    """``x[p, c]`` for every year *p* may go into service, and at most one of them per project.

    In a single-year question a project with no such year keeps one choice
    held at 0, in no row: choice *p* is then project *p*, as the comparators,
    the alternatives and the Lagrangian bound read them. (A roadmap gets no
    such choices: measured, they changed HiGHS's path enough to stall the
    core search on the classic 1,000 × 5 roadmap.)
    """
    instance, horizon = model.instance, model.horizon
    first = np.maximum(model.timing.first_service, horizon.first)  # a single year's choices are all in that year
    years = np.where(model.blocked, 0, np.maximum(horizon.last - first + 1, 0))
    counts = np.maximum(years, 1) if horizon.first == horizon.last else years
    offset = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int) if len(counts) else np.zeros(0, int)
    model.var_project = np.repeat(np.arange(instance.n_projects), counts)
    position = np.arange(len(model.var_project)) - offset[model.var_project]
    model.open = years[model.var_project] > 0
    model.var_year = np.where(model.open, first[model.var_project] + position, horizon.last).astype(int)
    model.first_choice = np.where(years > 0, first, horizon.last + 1).astype(int).tolist()
    model.first_index = offset.tolist()
    variables = model.problem.add_variable_dicts("x", range(len(model.var_project)), cat=pulp.LpBinary)
    model.choose = [variables[i] for i in range(len(model.var_project))]
    for v in np.flatnonzero(~model.open | model.options.excluded_mask(instance)[model.var_project]):
        model.choose[v].upBound = 0  # excluded by the analyst, or never in service
    for p in np.flatnonzero(years > 1).tolist():
        model.add_row(model.service([p], horizon.last), LE, 1, f"one_service_year_{p}")


def years_in_service(model: RetrofitModel) -> np.ndarray:
    """Per choice ``x[p, c]``: the years its project counts, ``Y1 - c + 1`` (0 for a choice held at 0)."""
    return np.where(model.open, model.horizon.last - model.var_year + 1, 0).astype(float)


def set_objective(model: RetrofitModel, objective: Objective) -> None:
    """Most tCO2 over the horizon (each year in service counts), or the least total capex.

    The objective is divided by its largest coefficient (kept in
    ``objective_scale``): tonnes and 万元 run to millions, and a well-scaled
    model solves faster and more reliably in HiGHS.
    """
    if objective == "co2":
        weights = model.instance.co2[model.var_project] * years_in_service(model)
    else:
        weights = np.where(model.open, budget_capex(model)[model.var_project], 0.0)
    largest = float(np.abs(weights).max()) if len(weights) else 0.0
    model.objective_scale = largest if largest > 0 else 1.0
    model.objective_expression = _weighted(model.choose, weights / model.objective_scale)
    model.problem.setObjective(model.objective_expression)


# --- closures ordered by the plans ------------------------------------------


def add_closures_by_order(model: RetrofitModel, relax: bool = False) -> None:
    """淘汰…以下的建筑陶瓷、卫生陶瓷生产线: a small line is retired by its target's deadline.

    With a listed retirement row one of them is in service by the deadline;
    with none the line closes in the deadline year by itself. Either way it
    has left every share from then on (:meth:`RetrofitModel.closed_in`).
    """
    for closure in model.closures:
        rows = model.retirements(closure.facility)
        year = closure.year
        if rows and relax:
            year = max(year, min(int(model.timing.first_service[p]) for p in rows))
        model.closed_from[closure.facility] = year
        if not rows:
            continue
        if year > model.horizon.last:
            model.violated.append((closure.target_id, closure.facility_id))
            continue
        model.add_row(model.service(rows, year), EQ, 1, f"closure_by_order_{closure.facility}",
                      about=(closure.target_id, closure.facility_id))


# --- the budgets and the project list's own logic -----------------------------


def budget_capex(model: RetrofitModel) -> np.ndarray:
    """Capex each project takes from the budgets: closures by order only when the options say so."""
    capex = model.instance.capex
    if model.options.order_capex_in_budget or not model.closures:
        return capex
    ordered = np.zeros(model.instance.n_facilities, dtype=bool)
    ordered[[c.facility for c in model.closures]] = True
    return np.where(model.instance.retire & ordered[model.instance.facility], 0.0, capex)


def spend_matrix(model: RetrofitModel) -> np.ndarray:
    """Spend of each ``x[p, c]`` charged to each year's budget (years × choices).

    ``capex/lead`` in each of the ``lead`` years ``c - lead .. c - 1`` (all
    in ``c`` when lead is 0); spend before the horizon's first year is
    charged to the first (a single-year budget pays for the whole build).
    """
    years = np.array(model.horizon.years)[:, None]
    service = model.var_year[None, :]
    p = model.var_project
    lead = model.timing.lead[p][None, :]
    capex = np.where(model.open, budget_capex(model)[p], 0.0)[None, :]
    per_year = np.where(lead > 0, capex / np.maximum(lead, 1), capex)
    low, high = np.where(lead > 0, service - lead, service), np.where(lead > 0, service - 1, service)
    inside = (low <= years) & (years <= high)
    before_first = np.clip(np.minimum(high, model.horizon.first) - low + 1, 0, None)
    count = np.where(years == model.horizon.first, before_first, inside)
    return per_year * count


def budget_scale(budget: float) -> float:
    """A budget row is written as a share of its budget; below 1 万元 scaling would only blow it up."""
    return budget if budget >= 1 else 1.0


def row_budgets(horizon: Horizon, budgets: dict[int, float]) -> np.ndarray:
    """What each year's budget row allows: that year's budget, or the cumulative one with carry-over."""
    table = np.array([budgets[y] for y in horizon.years], dtype=float)
    return np.cumsum(table) if horizon.carry_over else table


def add_budgets(model: RetrofitModel) -> None:
    """Spend in each year ≤ that year's budget (cumulative spend ≤ cumulative budget with carry-over).

    Written as a share of the budget, in 万元; a single-year question has one
    row, its whole budget.
    """
    matrix = spend_matrix(model)
    if model.horizon.carry_over:
        matrix = np.cumsum(matrix, axis=0)
    assert model.horizon.budgets is not None  # called only with budgets
    budgets = row_budgets(model.horizon, model.horizon.budgets)
    for row, year in enumerate(model.horizon.years):
        scale = budget_scale(budgets[row])
        columns = np.flatnonzero(np.abs(matrix[row]) > 1e-12)
        model.add_row([(model.choose[v], float(matrix[row, v] / scale)) for v in columns], LE,
                      budgets[row] / scale + BUDGET_SLACK, f"budget_{year}")


def budget_rows(model: RetrofitModel, budgets: dict[int, float]) -> dict[str, float]:
    """Right-hand sides of the model's budget rows for other ``budgets``, in the scale the rows were built with."""
    assert model.horizon.budgets is not None  # a model with budget rows
    own, new = row_budgets(model.horizon, model.horizon.budgets), row_budgets(model.horizon, budgets)
    return {f"budget_{year}": new[row] / budget_scale(own[row]) + BUDGET_SLACK
            for row, year in enumerate(model.horizon.years)
            if model.problem.get_constraint_by_name(f"budget_{year}") is not None}


def add_co2_goal(model: RetrofitModel, co2_goal: float) -> None:
    """The choice cuts at least the goal (tCO2 over the horizon, Σ co2 × years in service), as a share of it."""
    scale = co2_goal if co2_goal >= 1 else 1.0
    weights = model.instance.co2[model.var_project] * years_in_service(model) / scale
    model.add_row(list(zip(model.choose, weights.tolist())), GE, co2_goal / scale, "co2_goal")


def add_exclusive_groups(model: RetrofitModel) -> None:
    """Alternatives for the same line: at most one project of each group over the whole horizon."""
    for number, members in enumerate(model.instance.groups):
        model.add_row(model.service(members, model.horizon.last), LE, 1, f"exclusive_group_{number}")


def add_prerequisites(model: RetrofitModel) -> None:
    """A prerequisite is in service no later than the project that needs it: by each year, ``q`` if ``p``."""
    for project, prerequisite in model.instance.prerequisites:
        for year in model.horizon.years:
            dependent = model.service([project], year)
            if not dependent:
                continue
            needed = model.service([prerequisite], year, [-1.0])
            model.add_row(dependent + needed, LE, 0, f"requires_{project}_{prerequisite}_{year}")


def add_retirements(model: RetrofitModel) -> None:
    """Retiring a facility closes it: one retirement at most, and no other project on it in any year.

    "One at most" is left out where a closure by order already demands
    exactly one by the horizon's last year.
    """
    instance, last = model.instance, model.horizon.last
    for f in map(int, np.unique(instance.facility[instance.retire])):
        rows = model.retirements(f)
        retired = model.service(rows, last)
        if not retired:
            continue
        if len(rows) > 1 and model.closed_from.get(f) != last:
            model.add_row(retired, LE, 1, f"one_retirement_{f}")
        for p in instance.projects_of[f]:
            if instance.retire[p]:
                continue
            project = model.service([int(p)], last)
            if project:
                model.add_row(project + retired, LE, 1, f"closed_facility_{p}")


# --- plan targets, year by year -----------------------------------------------


def running(model: RetrofitModel, f: int, year: int) -> Expression:
    """1 if facility f still runs in ``year``, as an expression of the retirements in service by then."""
    if model.closed_in(f, year):
        return pulp.LpAffineExpression()
    retired = model.service(model.retirements(f), year)
    if not retired:
        return pulp.LpAffineExpression(constant=1)
    return pulp.LpAffineExpression([(v, -c) for v, c in retired], constant=1)


def level_flag(model: RetrofitModel, f: int, level: str, year: int) -> Expression:
    """1 only if facility f runs in ``year`` and ``intensity - Σ reductions in service by then ≤ level``.

    The general form is a binary ``z`` with
    ``Σ r_p x_p ≥ need·z + m·(1 - z)``, where ``need`` is the reduction still
    needed and ``m`` the sum of the negative reductions (the least the sum
    can be): ``z = 1`` demands the need, ``z = 0`` demands nothing. Common
    cases are cheaper: a facility already there that no project can push
    back is simply "running"; one that no combination can bring there is 0;
    one where every helpful project reaches the level alone is "one of them
    in service", continuous and bounded by their sum.
    """
    key = (f, level, year)
    if key in model.level_flags:
        return model.level_flags[key]
    instance = model.instance
    target_level = instance.benchmark[f] if level == "benchmark" else instance.baseline[f]
    need = float(instance.intensity[f] - target_level)
    r = instance.reduction
    projects = model.acting(f, year)
    negative = float(sum(r[p] for p in projects if r[p] < 0))
    helpful = [p for p in projects if r[p] > 0]
    name = f"{level}_{f}_{year}"
    if model.closed_in(f, year):
        flag: Expression = pulp.LpAffineExpression()  # closed by order: at no level
    elif need - negative <= LEVEL_TOLERANCE:  # there already, and no choice can push it back
        flag = running(model, f, year)
    elif need > _best_reduction(instance, helpful) + LEVEL_TOLERANCE:
        flag = pulp.LpAffineExpression()
    elif negative == 0 and all(r[p] >= need - LEVEL_TOLERANCE for p in helpful):
        reaching = model.service(helpful, year)
        groups = instance.group_of[helpful]
        if len(helpful) == 1 or (groups[0] >= 0 and (groups == groups[0]).all()):
            flag = pulp.LpAffineExpression(reaching)
        else:
            flag = model.problem.add_variable(f"at_{name}", lowBound=0, upBound=1)
            model.add_row([(flag, 1.0)] + [(v, -1.0) for v, _ in reaching], LE, 0, f"{level}_reached_{f}_{year}")
    else:
        flag = model.problem.add_variable(f"at_{name}", cat=pulp.LpBinary)
        span = need - negative
        # A cut larger than the span counts as the span (coefficient tightening): exact on 0/1 choices,
        # since one such cut reaches the level whatever else is chosen, and a much tighter LP bound.
        cut = model.service(projects, year, [min(float(r[p]) / span, 1.0) for p in projects])
        model.add_row(cut + [(flag, -1.0)], GE, negative / span, f"{level}_reductions_{f}_{year}")
        add_level_covers(model, flag, helpful, need, name, year)
        if need <= LEVEL_TOLERANCE and model.has_retirement(f, year):
            terms: Terms = {flag: 1.0}
            model.add_row(terms, LE, -add_terms(terms, running(model, f, year), -1.0), f"{level}_running_{f}_{year}")
    model.level_flags[key] = flag
    return flag


def add_share_rows(model: RetrofitModel, target: Target, label: str, level: str, required: float, year: int,
                   closest: bool) -> None:
    """Σ w·at_level - required·Σ w·running ≥ 0 in ``year``, over the covered facilities, weights as shares.

    In closest mode a shortfall ``s`` in [0, required] is added as
    ``s × (weight still running)``: exact, since ``s·running_f`` is linearised
    by ``u_f ≤ s`` and ``u_f ≤ required·running_f`` (only upper bounds
    matter in a ≥ row that the solver wants to satisfy).
    """
    instance = model.instance
    covered = [int(f) for f in np.flatnonzero(instance.covered(target.products)) if not model.closed_in(int(f), year)]
    all_weights = instance.weights(target.weight)
    total = all_weights[covered].sum()
    weights = all_weights / (total if total > 0 else 1.0)
    terms: Terms = {}
    constant = 0.0
    for f in covered:
        w = float(weights[f])
        constant += add_terms(terms, level_flag(model, f, level, year), w)
        constant += add_terms(terms, running(model, f, year), -required * w)
    if closest:
        short = model.problem.add_variable(f"shortfall_{label}", lowBound=0, upBound=required)
        model.shortfall[(target.target_id, year)] = short
        fixed = sum(float(weights[f]) for f in covered if not model.has_retirement(f, year))
        add_terms(terms, short, fixed)
        for f in covered:
            if model.has_retirement(f, year):
                share = model.problem.add_variable(f"shortfall_{label}_{f}", lowBound=0, upBound=required)
                model.add_row([(share, 1.0), (short, -1.0)], LE, 0, f"shortfall_{label}_{f}_le")
                bound: Terms = {share: 1.0}
                rhs = -add_terms(bound, running(model, f, year), -required)
                model.add_row(bound, LE, rhs, f"shortfall_{label}_{f}_running")
                add_terms(terms, share, float(weights[f]))
    model.add_row(terms, GE, -constant, f"{level}_share_{label}", about=(target.target_id, ""))


# --- helpers ----------------------------------------------------------------


def _best_reduction(instance: Instance, helpful: list[int]) -> float:
    """The most ``helpful`` projects can cut together, one per exclusive group."""
    best: dict[int, float] = {}
    total = 0.0
    for p in helpful:
        group = int(instance.group_of[p])
        if group < 0:
            total += float(instance.reduction[p])
        else:
            best[group] = max(best.get(group, 0.0), float(instance.reduction[p]))
    return total + sum(best.values())


class _Reach:
    """The most a facility's ``helpful`` projects cut together (:func:`_best_reduction`), and without a few.

    Leaving a project out takes its cut away, or, in an exclusive group,
    hands the group's place to the next best member: one subtraction
    instead of a new sum per question (the covers ask k + k²/2 of them).
    """

    def __init__(self, instance: Instance, helpful: list[int]) -> None:
        self.cut = {p: float(instance.reduction[p]) for p in helpful}
        self.group = {p: int(instance.group_of[p]) for p in helpful}
        members: dict[int, list[int]] = {}
        for p in helpful:
            if self.group[p] >= 0:
                members.setdefault(self.group[p], []).append(p)
        self.ranked = {g: sorted(ps, key=lambda p: -self.cut[p]) for g, ps in members.items()}
        self.total = _best_reduction(instance, helpful)

    def without(self, *left_out: int) -> float:
        total = self.total
        groups = set()
        for p in left_out:
            if self.group[p] < 0:
                total -= self.cut[p]
            else:
                groups.add(self.group[p])
        for g in groups:
            ranked = self.ranked[g]
            total -= self.cut[ranked[0]]
            total += next((self.cut[p] for p in ranked if p not in left_out), 0.0)
        return total


def add_level_covers(model: RetrofitModel, flag: Expression, helpful: list[int], need: float, label: str,
                      year: int) -> None:
    """Valid rows that tell the LP relaxation which projects a level cannot do without by ``year``.

    ``flag ≤ (p in service)`` for a project without which the others cannot
    reach the level, and ``flag ≤ Σ (in service) over S`` for the smallest set
    S of the largest cuts without which the rest cannot reach it. Both are
    implied by the reductions row on 0/1 choices (so the choices allowed are
    the same), but the LP no longer credits a fraction of the level for a
    partial cut chosen alone: the LP bound tightens and the core search can
    prove.
    """
    flag_terms: Terms = {}
    rhs = -add_terms(flag_terms, flag, 1.0)  # the flag may be "running" = 1 - retired
    if not flag_terms and rhs >= 0:
        return  # a flag held at 0 needs no cover
    for projects, suffix in level_covers(model.instance, helpful, need):
        negated = [(v, -c) for v, c in model.service(projects, year)]
        model.add_row(list(flag_terms.items()) + negated, LE, rhs, f"{label}_{suffix}")


def level_covers(instance: Instance, helpful: list[int], need: float) -> list[tuple[list[int], str]]:
    """The sets of ``helpful`` projects a level cannot do without, each with its row's name suffix.

    A project without which the others cannot cut ``need`` (``needs_p``);
    on small facilities a pair of which one is needed (``needs_p_or_q``);
    the smallest set of the largest cuts without which the rest cannot
    (``cover``).
    """
    short = need - LEVEL_TOLERANCE
    reach = _Reach(instance, helpful)
    covers = [([p], f"needs_{p}") for p in helpful if reach.without(p) < short]
    needed = {projects[0] for projects, _ in covers}
    spare = [p for p in helpful if p not in needed]
    if len(spare) <= PAIR_COVER_MAX:  # pairs of which one is needed (a few rows on small facilities)
        covers += [([p, q], f"needs_{p}_or_{q}") for i, p in enumerate(spare) for q in spare[i + 1:]
                   if reach.without(p, q) < short]
    by_size = sorted(helpful, key=lambda p: -float(instance.reduction[p]))
    for size in range(2, len(by_size) + 1):
        if _best_reduction(instance, by_size[size:]) < short:
            covers.append((by_size[:size], "cover"))
            break
    return covers


def add_terms(terms: Terms, expression: Expression, factor: float) -> float:
    """Add ``factor × expression``'s variable terms to ``terms``; return ``factor ×`` its constant."""
    if isinstance(expression, pulp.LpVariable):
        terms[expression] = terms.get(expression, 0.0) + factor
        return 0.0
    for variable, coefficient in expression.items():
        terms[variable] = terms.get(variable, 0.0) + factor * coefficient
    return factor * float(expression.constant)


def _weighted(variables: list[pulp.LpVariable], weights: np.ndarray) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(zip(variables, np.asarray(weights, dtype=float).tolist()))


def service_years(model: RetrofitModel, chosen: np.ndarray) -> np.ndarray:
    """Per project: the year it goes into service (its ``x[p, c] = 1``), or 0 when not chosen."""
    years = np.zeros(model.instance.n_projects, dtype=int)
    on = np.flatnonzero(np.asarray(chosen, dtype=bool) & model.open)
    if len(on):
        projects, years_on = model.var_project[on], model.var_year[on]
        order = np.lexsort((years_on, projects))
        projects, years_on = projects[order], years_on[order]
        first = np.concatenate([[True], projects[1:] != projects[:-1]])
        years[projects[first]] = years_on[first]
    return years
