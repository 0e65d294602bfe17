"""The integer program, built in the order a reader meets the policy.

Variables
    ``choose[p]`` (binary): project *p* is funded.
    ``at_benchmark[f]`` (0-1, continuous): facility *f* counts as at benchmark
    thanks to a chosen project. It is continuous because it is bounded above
    by a sum of binaries, so it is integral in every optimal solution.

Objective
    most CO2 cut per year within the budget, or least capex that reaches a
    CO2 goal.

Constraints (one function each, named after the sentence they enforce)
    budget, exclusive groups, prerequisites, retirements, and the three kinds
    of plan target: benchmark share, all at baseline, small lines eliminated.
    Target rows are labelled by the target's position (``t0``, ``t1``…), since
    PuLP folds characters of user ids and two ids could collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pulp

from .dataset import Target, is_at_level
from .instance import Instance

Objective = Literal["co2", "cost"]


@dataclass
class RetrofitModel:
    """A built PuLP problem and the variables results are read from."""

    problem: pulp.LpProblem
    instance: Instance
    choose: list[pulp.LpVariable]
    at_benchmark: dict[int, pulp.LpVariable | pulp.LpAffineExpression] = field(default_factory=dict)
    retired: dict[int, pulp.LpAffineExpression] = field(default_factory=dict)
    violated_rows: list[str] = field(default_factory=list)
    objective_scale: float = 1.0

    def add(self, constraint: pulp.LpConstraint, name: str) -> None:
        """Add a named row; a row left without variables is settled here, not sent to the solver.

        A sum over no projects (a budget over free projects only, a small line
        with no retirement project) would be an empty row, which CBC cannot
        take; it is either always true (dropped) or never (recorded in
        ``violated_rows``, which makes the model infeasible).
        """
        for variable in [v for v, c in constraint.items() if c == 0]:
            del constraint.expr[variable]
        if len(constraint) == 0:
            if not constraint.valid(0):
                self.violated_rows.append(name)
            return
        self.problem += constraint, name


def build_model(instance: Instance, targets: list[Target], objective: Objective = "co2",
                budget: float | None = None, co2_goal: float | None = None) -> RetrofitModel:
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
    """
    sense = pulp.LpMaximize if objective == "co2" else pulp.LpMinimize
    model = RetrofitModel(pulp.LpProblem("retrofit_portfolio", sense), instance, [])
    add_choice_variables(model)
    set_objective(model, objective)
    if budget is not None:
        add_budget(model, budget)
    if co2_goal is not None:
        add_co2_goal(model, co2_goal)
    add_exclusive_groups(model)
    add_prerequisites(model)
    add_retirements(model)
    for number, target in enumerate(targets):
        if target.enabled:
            TARGET_CONSTRAINTS[target.kind](model, target, f"t{number}")
    return model


# --- variables and objective ------------------------------------------------


def add_choice_variables(model: RetrofitModel) -> None:
    """One yes/no decision per candidate project."""
    variables = model.problem.add_variable_dicts("choose", range(model.instance.n_projects), cat=pulp.LpBinary)
    model.choose = [variables[i] for i in range(model.instance.n_projects)]


def set_objective(model: RetrofitModel, objective: Objective) -> None:
    """Cut the most CO2 per year, or spend the least capex.

    The objective is divided by its largest coefficient (kept in
    ``objective_scale``): tonnes and 万元 run to millions, and a well-scaled
    model solves faster and more reliably in HiGHS.
    """
    weights = model.instance.co2 if objective == "co2" else model.instance.capex
    model.objective_scale = float(np.abs(weights).max()) if len(weights) and np.abs(weights).max() > 0 else 1.0
    model.problem.setObjective(_weighted_sum(model.choose, weights / model.objective_scale))


# --- the budget and the project list's own logic -----------------------------


def add_budget(model: RetrofitModel, budget: float) -> None:
    """Total capex of the chosen projects stays within the budget (万元), written as a share of it."""
    scale = budget if budget >= 1 else 1.0  # below 1 万元 scaling would only blow the coefficients up
    model.add(_weighted_sum(model.choose, model.instance.capex / scale) <= budget / scale, "budget")


def add_co2_goal(model: RetrofitModel, co2_goal: float) -> None:
    """The chosen projects cut at least the goal (tCO2 per year), written as a share of it."""
    scale = co2_goal if co2_goal >= 1 else 1.0
    model.add(_weighted_sum(model.choose, model.instance.co2 / scale) >= co2_goal / scale, "co2_goal")


def add_exclusive_groups(model: RetrofitModel) -> None:
    """Alternatives for the same line: at most one project of each exclusive group."""
    for number, members in enumerate(model.instance.groups):
        model.add(pulp.lpSum(model.choose[i] for i in members) <= 1, f"exclusive_group_{number}")


def add_prerequisites(model: RetrofitModel) -> None:
    """A project is chosen only together with every project it requires."""
    for project, prerequisite in model.instance.prerequisites:
        model.add(model.choose[project] <= model.choose[prerequisite], f"requires_{project}_{prerequisite}")


def add_retirements(model: RetrofitModel) -> None:
    """Retiring a facility closes it: one retirement at most, and no other project on it."""
    instance = model.instance
    retire_projects = np.flatnonzero(instance.retire)
    by_facility: dict[int, list[int]] = {}
    for p in retire_projects:
        by_facility.setdefault(int(instance.facility[p]), []).append(int(p))
    for f, members in by_facility.items():
        model.retired[f] = pulp.lpSum(model.choose[p] for p in members)
        if len(members) > 1:
            model.add(model.retired[f] <= 1, f"one_retirement_{f}")
    for p in np.flatnonzero(~instance.retire & np.isin(instance.facility, list(by_facility))):
        f = int(instance.facility[p])
        model.add(model.choose[p] + model.retired[f] <= 1, f"closed_facility_{p}")


# --- plan targets -----------------------------------------------------------


def _running(model: RetrofitModel, f: int) -> pulp.LpAffineExpression:
    """1 if facility f keeps running, as an expression of the retirement choices."""
    return 1 - model.retired[f] if f in model.retired else pulp.LpAffineExpression(constant=1)


def _at_benchmark(model: RetrofitModel, f: int, qualifying: list[int]) -> pulp.LpVariable | pulp.LpAffineExpression:
    """Facility f counts at benchmark only if a chosen project brings it there.

    When the projects that bring it there are alternatives of one group (the
    usual case), at most one is chosen and their sum is that 0/1 flag itself;
    otherwise a variable bounded by their sum stands for it.
    """
    if f not in model.at_benchmark:
        reaching = pulp.lpSum(model.choose[p] for p in qualifying)
        groups = model.instance.group_of[qualifying]
        if len(qualifying) == 1 or (groups[0] >= 0 and (groups == groups[0]).all()):
            model.at_benchmark[f] = reaching
        else:
            variable = model.problem.add_variable(f"at_benchmark_{f}", lowBound=0, upBound=1)
            model.add(variable <= reaching, f"benchmark_reached_{f}")
            model.at_benchmark[f] = variable
    return model.at_benchmark[f]


def add_benchmark_share(model: RetrofitModel, target: Target, label: str) -> None:
    """合成氨、烧碱行业能效达到标杆水平的产能比例分别为60%、80% (and the steel and ceramics 30 %).

    Weighted capacity at benchmark >= value x weighted capacity still running;
    retired facilities leave both sides.
    """
    instance = model.instance
    covered = np.flatnonzero(instance.covered(target.products))
    total = instance.weights(target.weight)[covered].sum()
    weights = instance.weights(target.weight) / (total if total > 0 else 1.0)  # shares of the covered total
    already = is_at_level(instance.intensity, instance.benchmark)
    reaching = instance.reaches(instance.benchmark)
    qualifying = _projects_by_facility(instance, reaching)
    terms = []
    for f in covered:
        w = float(weights[f])
        if already[f]:
            terms.append((1 - target.value) * w * _running(model, f))
        elif f in qualifying:
            terms.append(w * _at_benchmark(model, int(f), qualifying[f]) - target.value * w * _running(model, f))
        else:
            terms.append(-target.value * w * _running(model, f))
    model.add(pulp.lpSum(terms) >= 0, f"benchmark_share_{label}")


def add_baseline_all(model: RetrofitModel, target: Target, label: str) -> None:
    """全部产能均达到能效基准水平以上: every covered facility reaches baseline or is retired."""
    instance = model.instance
    below = np.flatnonzero(instance.covered(target.products) & ~is_at_level(instance.intensity, instance.baseline))
    qualifying = _projects_by_facility(instance, instance.reaches(instance.baseline))
    for f in below:
        options = [model.choose[p] for p in qualifying.get(f, [])]
        if f in model.retired:
            options.append(model.retired[f])
        model.add(pulp.lpSum(options) >= 1, f"baseline_{label}_{f}")


def add_min_line_capacity(model: RetrofitModel, target: Target, label: str) -> None:
    """淘汰100万平方米/年（不含）以下的建筑陶瓷 (and 20万件 sanitary lines): small lines are retired."""
    instance = model.instance
    small = np.flatnonzero(instance.covered(target.products) & (instance.capacity < target.value))
    for f in small:
        retired = model.retired.get(int(f), pulp.LpAffineExpression())
        model.add(retired >= 1, f"eliminate_{label}_{f}")


TARGET_CONSTRAINTS = {
    "benchmark_share_min": add_benchmark_share,
    "baseline_all": add_baseline_all,
    "min_line_capacity": add_min_line_capacity,
}


# --- helpers ----------------------------------------------------------------


def _weighted_sum(variables: list[pulp.LpVariable], weights: np.ndarray) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(zip(variables, weights.tolist()))


def _projects_by_facility(instance: Instance, mask: np.ndarray) -> dict[int, list[int]]:
    """Positions of the projects in ``mask``, grouped by their facility."""
    grouped: dict[int, list[int]] = {}
    for p in np.flatnonzero(mask):
        grouped.setdefault(int(instance.facility[p]), []).append(int(p))
    return grouped
