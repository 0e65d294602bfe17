"""The integer program, built in the order a reader meets the policy.

Variables
    ``choose[p]`` (binary): project *p* is funded.
    ``at_benchmark[f]``, ``at_baseline[f]``: facility *f* runs and is at that
    level after the portfolio (see :func:`level_flag`).
    ``shortfall[t]`` (closest mode only): share points by which target *t* is missed.

Objective
    most CO2 cut per year within the budget, or least capex that reaches a
    CO2 goal; in *closest* mode, first the least total shortfall.

Plant accounting (``data-format.md``)
    A project's effect on intensity is its reduction; the reductions of the
    chosen projects on a facility add up, negative ones (carbon capture)
    with their sign. A facility is at a level when ``intensity - Σ
    reductions ≤ level``. Lines below a ``min_line_capacity`` threshold are
    closed by order before anything else (:mod:`optimizer.closures`).

Constraints (one function each, named after the sentence they enforce)
    closures by order, budget, exclusive groups, prerequisites, retirements,
    and the plan targets: benchmark share, all at baseline. Target rows are
    labelled by the target's position (``t0``, ``t1``…), since PuLP folds
    characters of user ids and two ids could collide.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Literal, ParamSpec, TypeAlias, TypeVar

import numpy as np
import pulp

from .closures import ClosureByOrder, closures_by_order
from .dataset import Target
from .instance import Instance

Objective = Literal["co2", "cost"]
#: A linear expression PuLP can put in a row: a variable or an affine sum of them.
Expression: TypeAlias = pulp.LpVariable | pulp.LpAffineExpression
#: A row's left-hand side as coefficients by variable (see :meth:`RetrofitModel.add_row`).
Terms: TypeAlias = dict[pulp.LpVariable, float]
LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ

#: Intensities within this of a level count as at the level (kgce per unit).
LEVEL_TOLERANCE = 1e-9
#: Facilities with at most this many helpful projects (none needed alone) get the pair covers of
#: :func:`_add_level_covers`.
PAIR_COVER_MAX = 8


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
    """A built PuLP problem and the variables results are read from."""

    problem: pulp.LpProblem
    instance: Instance
    choose: list[pulp.LpVariable]
    closures: list[ClosureByOrder] = field(default_factory=list)
    options: PolicyOptions = field(default_factory=PolicyOptions)
    retired: dict[int, Expression] = field(default_factory=dict)
    level_flags: dict[tuple[int, str], Expression] = field(default_factory=dict)
    shortfall: dict[str, pulp.LpVariable] = field(default_factory=dict)
    violated: list[tuple[str, str]] = field(default_factory=list)
    objective_scale: float = 1.0
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    blocked: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: What the model was built for (read by :mod:`optimizer.lagrange`, which prices its coupling rows).
    targets: list[Target] = field(default_factory=list)
    budget: float | None = None
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

    def add_row(self, terms: Terms | list[tuple[pulp.LpVariable, float]], sense: int, rhs: float, name: str,
                about: tuple[str, str] = ("", "")) -> None:
        """Add ``Σ coefficient·variable (sense) rhs`` as one named row, settled like :meth:`add`.

        Written from the terms directly, without PuLP's ``+``, ``-`` and ``*``,
        each of which builds a new expression: at 100,000 projects those made
        up most of the model build. ``sense`` is ``pulp.LpConstraintLE``,
        ``GE`` or ``EQ``; a variable may appear once only (a dict of terms
        guarantees it), and zero coefficients are dropped.
        """
        items = terms.items() if isinstance(terms, dict) else terms
        constraint = pulp.LpConstraint(pulp.LpAffineExpression([(v, c) for v, c in items if c != 0]), sense,
                                       rhs=rhs)
        self.add(constraint, name, about)


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


@building
def build_model(instance: Instance, targets: list[Target], objective: Objective = "co2",
                budget: float | None = None, co2_goal: float | None = None, *,
                options: PolicyOptions = PolicyOptions(), closest: bool = False) -> RetrofitModel:
    """Build the portfolio model.

    Parameters
    ----------
    instance:
        The projects and facilities.
    targets:
        Plan targets; disabled ones are left out.
    objective:
        ``co2`` maximises the annual CO2 cut; ``cost`` minimises capex.
    budget:
        Capex ceiling in 万元; None for no ceiling.
    co2_goal:
        Least annual CO2 cut in tCO2 (used with the ``cost`` objective).
    options:
        The margin and how closures by order are paid.
    closest:
        Share targets may be missed, by ``shortfall[t]``; the objective is
        then set by the caller (see :func:`optimizer.diagnosis.closest_portfolio`).
    """
    enabled = [t for t in targets if t.enabled]
    sense = pulp.LpMaximize if objective == "co2" else pulp.LpMinimize
    model = RetrofitModel(pulp.LpProblem("retrofit_portfolio", sense), instance, [],
                          closures_by_order(instance, enabled), options, targets=enabled, budget=budget,
                          plain=objective == "co2" and co2_goal is None and not closest)
    add_choice_variables(model)
    add_closures_by_order(model)
    set_objective(model, objective)
    if budget is not None:
        add_budget(model, budget)
    if co2_goal is not None:
        add_co2_goal(model, co2_goal)
    add_exclusive_groups(model)
    add_prerequisites(model)
    add_retirements(model)
    for number, target in enumerate(targets):
        if target.enabled and target.kind in TARGET_CONSTRAINTS:
            TARGET_CONSTRAINTS[target.kind](model, target, f"t{number}", closest)
    return model


# --- variables and objective ------------------------------------------------


def add_choice_variables(model: RetrofitModel) -> None:
    """One yes/no decision per candidate project; an excluded project's is held at no."""
    variables = model.problem.add_variable_dicts("choose", range(model.instance.n_projects), cat=pulp.LpBinary)
    model.choose = [variables[i] for i in range(model.instance.n_projects)]
    for p in np.flatnonzero(model.options.excluded_mask(model.instance)):
        model.choose[p].upBound = 0


def set_objective(model: RetrofitModel, objective: Objective) -> None:
    """Cut the most CO2 per year, or spend the least capex.

    The objective is divided by its largest coefficient (kept in
    ``objective_scale``): tonnes and 万元 run to millions, and a well-scaled
    model solves faster and more reliably in HiGHS.
    """
    weights = model.instance.co2 if objective == "co2" else _budget_capex(model)
    largest = float(np.abs(weights).max()) if len(weights) else 0.0
    model.objective_scale = largest if largest > 0 else 1.0
    model.objective_expression = _weighted_sum(model.choose, weights / model.objective_scale)
    model.problem.setObjective(model.objective_expression)


# --- closures ordered by the plans ------------------------------------------


def add_closures_by_order(model: RetrofitModel) -> None:
    """淘汰…以下的建筑陶瓷、卫生陶瓷生产线: small lines close before anything is chosen.

    A listed retirement row is chosen (one of them, if several); every other
    project on the line is blocked. With no retirement row the line is
    simply closed: its ``retired`` flag is the constant 1.
    """
    instance = model.instance
    model.closed = np.zeros(instance.n_facilities, dtype=bool)
    model.blocked = np.zeros(instance.n_projects, dtype=bool)
    for closure in model.closures:
        f = closure.facility
        model.closed[f] = True
        members = instance.projects_of[f]
        for p in members:
            if not instance.retire[p]:
                model.blocked[p] = True
                model.choose[p].upBound = 0
        retirements = [(model.choose[p], 1.0) for p in members if instance.retire[p]]
        if retirements:
            model.add_row(retirements, EQ, 1, f"closure_by_order_{f}")
        else:
            model.retired[f] = pulp.LpAffineExpression(constant=1)


# --- the budget and the project list's own logic -----------------------------


def _budget_capex(model: RetrofitModel) -> np.ndarray:
    """Capex each project takes from the budget: closures by order only when the options say so."""
    capex = model.instance.capex
    if model.options.order_capex_in_budget or not model.closed.any():
        return capex
    ordered = model.instance.retire & model.closed[model.instance.facility]
    return np.where(ordered, 0.0, capex)


def budget_scale(budget: float) -> float:
    """The budget row is written as a share of the budget; below 1 万元 scaling would only blow it up."""
    return budget if budget >= 1 else 1.0


def add_budget(model: RetrofitModel, budget: float) -> None:
    """Total capex of the chosen projects stays within the budget (万元), written as a share of it."""
    scale = budget_scale(budget)
    model.add(_weighted_sum(model.choose, _budget_capex(model) / scale) <= budget / scale, "budget")


def add_co2_goal(model: RetrofitModel, co2_goal: float) -> None:
    """The chosen projects cut at least the goal (tCO2 per year), written as a share of it."""
    scale = co2_goal if co2_goal >= 1 else 1.0
    model.add(_weighted_sum(model.choose, model.instance.co2 / scale) >= co2_goal / scale, "co2_goal")


def add_exclusive_groups(model: RetrofitModel) -> None:
    """Alternatives for the same line: at most one project of each exclusive group."""
    for number, members in enumerate(model.instance.groups):
        model.add_row([(model.choose[i], 1.0) for i in members], LE, 1, f"exclusive_group_{number}")


def add_prerequisites(model: RetrofitModel) -> None:
    """A project is chosen only together with every project it requires."""
    for project, prerequisite in model.instance.prerequisites:
        model.add_row([(model.choose[project], 1.0), (model.choose[prerequisite], -1.0)], LE, 0,
                      f"requires_{project}_{prerequisite}")


def add_retirements(model: RetrofitModel) -> None:
    """Retiring a facility closes it: one retirement at most, and no other project on it."""
    instance = model.instance
    for f in map(int, np.unique(instance.facility[instance.retire])):
        members = [int(p) for p in instance.projects_of[f] if instance.retire[p]]
        model.retired[f] = pulp.lpSum(model.choose[p] for p in members)
        if len(members) > 1 and not model.closed[f]:
            model.add(model.retired[f] <= 1, f"one_retirement_{f}")
        if model.closed[f]:
            continue  # the closure by order already blocks every other project
        retirements = [(model.choose[p], 1.0) for p in members]
        for p in instance.projects_of[f]:
            if not instance.retire[p]:
                model.add_row([(model.choose[p], 1.0), *retirements], LE, 1, f"closed_facility_{p}")


# --- plan targets -----------------------------------------------------------


def running(model: RetrofitModel, f: int) -> Expression:
    """1 if facility f keeps running, as an expression of the retirement choices."""
    if f in model.retired:
        return 1 - model.retired[f]
    return pulp.LpAffineExpression(constant=1)


def level_flag(model: RetrofitModel, f: int, level: str) -> Expression:
    """1 only if facility f runs and ``intensity - Σ reductions of chosen projects ≤ level``.

    The general form is a binary ``z`` with
    ``Σ r_p x_p ≥ need·z + m·(1 - z)``, where ``need`` is the reduction still
    needed and ``m`` the sum of the negative reductions (the least the sum
    can be): ``z = 1`` demands the need, ``z = 0`` demands nothing. Common
    cases are cheaper: a facility already there that no project can push
    back is simply "running"; one that no combination can bring there is 0;
    one where every helpful project reaches the level alone is "one of them
    chosen", continuous and bounded by their sum.
    """
    key = (f, level)
    if key in model.level_flags:
        return model.level_flags[key]
    instance = model.instance
    target_level = instance.benchmark[f] if level == "benchmark" else instance.baseline[f]
    need = float(instance.intensity[f] - target_level)
    projects = [int(p) for p in instance.projects_of[f]
                if not instance.retire[p] and instance.reduction[p] != 0 and not model.blocked[p]]
    r = instance.reduction
    negative = float(sum(r[p] for p in projects if r[p] < 0))
    helpful = [p for p in projects if r[p] > 0]
    if model.closed[f]:
        flag: Expression = pulp.LpAffineExpression()  # closed by order: at no level
    elif need - negative <= LEVEL_TOLERANCE:  # there already, and no choice can push it back
        flag = running(model, f)
    elif need > _best_reduction(instance, helpful) + LEVEL_TOLERANCE:
        flag = pulp.LpAffineExpression()
    elif negative == 0 and all(r[p] >= need - LEVEL_TOLERANCE for p in helpful):
        reaching = [(model.choose[p], 1.0) for p in helpful]
        groups = instance.group_of[helpful]
        if len(helpful) == 1 or (groups[0] >= 0 and (groups == groups[0]).all()):
            flag = pulp.LpAffineExpression(reaching)
        else:
            flag = model.problem.add_variable(f"at_{level}_{f}", lowBound=0, upBound=1)
            model.add_row([(flag, 1.0)] + [(v, -1.0) for v, _ in reaching], LE, 0, f"{level}_reached_{f}")
    else:
        flag = model.problem.add_variable(f"at_{level}_{f}", cat=pulp.LpBinary)
        span = need - negative
        # A cut larger than the span counts as the span (coefficient tightening): exact on 0/1 choices,
        # since one such cut reaches the level whatever else is chosen, and a much tighter LP bound.
        cut = [(model.choose[p], min(float(r[p]) / span, 1.0)) for p in projects]
        model.add_row(cut + [(flag, -1.0)], GE, negative / span, f"{level}_reductions_{f}")
        _add_level_covers(model, flag, helpful, need, f"{level}_{f}")
        if need <= LEVEL_TOLERANCE and f in model.retired:
            terms: Terms = {flag: 1.0}
            model.add_row(terms, LE, -_add_terms(terms, running(model, f), -1.0), f"{level}_running_{f}")
    model.level_flags[key] = flag
    return flag


def add_benchmark_share(model: RetrofitModel, target: Target, label: str, closest: bool = False) -> None:
    """合成氨、烧碱行业能效达到标杆水平的产能比例分别为60%、80% (and the steel and ceramics 30 %).

    Weighted capacity at benchmark ≥ (value + margin) × weighted capacity
    still running; retired and closed facilities leave both sides.
    """
    required = min(1.0, target.value + model.options.margin)
    _add_share(model, target, label, "benchmark", required, closest)


def add_baseline_all(model: RetrofitModel, target: Target, label: str, closest: bool = False) -> None:
    """全部产能均达到能效基准水平以上: every covered facility reaches baseline or is retired.

    One row per facility: ``Σ r_p x_p + need·retired ≥ need``. In closest
    mode the target is read as a share of 100 % that may fall short.
    """
    if closest:
        _add_share(model, target, label, "baseline", 1.0, closest)
        return
    instance = model.instance
    covered = np.flatnonzero(instance.covered(target.products) & ~model.closed)
    for f in map(int, covered):
        need = float(instance.intensity[f] - instance.baseline[f])
        projects = [int(p) for p in instance.projects_of[f]
                    if not instance.retire[p] and instance.reduction[p] != 0 and not model.blocked[p]]
        if need <= LEVEL_TOLERANCE and all(instance.reduction[p] > 0 for p in projects):
            continue
        # A cut beyond need - Σ negative cuts reaches baseline whatever else is chosen: count it as that
        # much (exact on 0/1 choices, a tighter LP bound).
        cap = need - float(sum(min(instance.reduction[p], 0.0) for p in projects))
        reductions = {p: min(float(instance.reduction[p]), cap) if cap > 0 else float(instance.reduction[p])
                      for p in projects}
        scale = max(abs(need), max((abs(v) for v in reductions.values()), default=0.0), 1e-9)
        cut: Terms = {model.choose[p]: reductions[p] / scale for p in projects}
        if need > LEVEL_TOLERANCE and f in model.retired:
            _add_terms(cut, model.retired[f], need / scale)
        model.add_row(cut, GE, need / scale - LEVEL_TOLERANCE, f"baseline_{label}_{f}",
                      about=(target.target_id, str(instance.facility_ids[f])))
        if need > LEVEL_TOLERANCE:  # running at baseline needs these cuts (see _add_level_covers)
            helpful = [p for p in projects if instance.reduction[p] > 0]
            _add_level_covers(model, running(model, f), helpful, need, f"baseline_{label}_{f}")


def _add_share(model: RetrofitModel, target: Target, label: str, level: str, required: float,
               closest: bool) -> None:
    """Σ w·at_level - required·Σ w·running ≥ 0 over the covered facilities, weights as shares of their total.

    In closest mode a shortfall ``s`` in [0, required] is added as
    ``s × (weight still running)``: exact, since ``s·running_f`` is linearised
    by ``u_f ≤ s`` and ``u_f ≤ required·running_f`` (only upper bounds
    matter in a ≥ row that the solver wants to satisfy).
    """
    instance = model.instance
    covered = np.flatnonzero(instance.covered(target.products) & ~model.closed)
    total = instance.weights(target.weight)[covered].sum()
    weights = instance.weights(target.weight) / (total if total > 0 else 1.0)
    terms: Terms = {}
    constant = 0.0
    for f in map(int, covered):
        w = float(weights[f])
        constant += _add_terms(terms, level_flag(model, f, level), w)
        constant += _add_terms(terms, running(model, f), -required * w)
    if closest:
        short = model.problem.add_variable(f"shortfall_{label}", lowBound=0, upBound=required)
        model.shortfall[target.target_id] = short
        fixed = sum(float(weights[f]) for f in covered if int(f) not in model.retired)
        _add_terms(terms, short, fixed)
        for f in map(int, covered):
            if f in model.retired:
                share = model.problem.add_variable(f"shortfall_{label}_{f}", lowBound=0, upBound=required)
                model.add(share <= short, f"shortfall_{label}_{f}_le")
                model.add(share - required * running(model, f) <= 0, f"shortfall_{label}_{f}_running")
                _add_terms(terms, share, float(weights[f]))
    model.add_row(terms, GE, -constant, f"{level}_share_{label}", about=(target.target_id, ""))


#: What each kind of target adds to the model; ``min_line_capacity`` is enforced by the closures.
TARGET_CONSTRAINTS = {
    "benchmark_share_min": add_benchmark_share,
    "baseline_all": add_baseline_all,
}


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


def _add_level_covers(model: RetrofitModel, flag: Expression, helpful: list[int], need: float, label: str) -> None:
    """Valid rows that tell the LP relaxation which projects a level cannot do without.

    ``flag ≤ choose[p]`` for a project without which the others cannot reach
    the level, and ``flag ≤ Σ choose[p] over S`` for the smallest set S of the
    largest cuts without which the rest cannot reach it. Both are implied by
    the reductions row on 0/1 choices (so the portfolios allowed are the
    same), but the LP no longer credits a fraction of the level for a partial
    cut chosen alone: the LP bound tightens and the core search can prove.
    """
    flag_terms: Terms = {}
    rhs = -_add_terms(flag_terms, flag, 1.0)  # the flag may be "running" = 1 - retired
    for projects, suffix in level_covers(model.instance, helpful, need):
        model.add_row(list(flag_terms.items()) + [(model.choose[p], -1.0) for p in projects], LE, rhs,
                      f"{label}_{suffix}")


def level_covers(instance: Instance, helpful: list[int], need: float) -> list[tuple[list[int], str]]:
    """The sets of ``helpful`` projects a level cannot do without, each with its row's name suffix.

    A project without which the others cannot cut ``need`` (``needs_p``);
    on small facilities a pair of which one is needed (``needs_p_or_q``);
    the smallest set of the largest cuts without which the rest cannot
    (``cover``). Shared by the one-year model and the roadmap, which write
    the rows over their own variables.
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


def _add_terms(terms: Terms, expression: Expression, factor: float) -> float:
    """Add ``factor × expression``'s variable terms to ``terms``; return ``factor ×`` its constant."""
    if isinstance(expression, pulp.LpVariable):
        terms[expression] = terms.get(expression, 0.0) + factor
        return 0.0
    for variable, coefficient in expression.items():
        terms[variable] = terms.get(variable, 0.0) + factor * coefficient
    return factor * float(expression.constant)


def _weighted_sum(variables: list[pulp.LpVariable], weights: np.ndarray) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(zip(variables, weights.tolist()))
