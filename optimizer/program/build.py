"""The program over years, built in the order a reader meets the policy.

The rules of the list and the plans (:mod:`optimizer.program.model`), then each
target in each year it binds, written by its kind (:mod:`optimizer.program.kinds`).
"""

from __future__ import annotations

import pulp

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.program.closures import timed_closures
from optimizer.program.horizon import Horizon, project_timing
from optimizer.program.kinds import kind_of
from optimizer.program.model import (
    Objective,
    PolicyOptions,
    RetrofitModel,
    add_budgets,
    add_closures_by_order,
    add_co2_goal,
    add_exclusive_groups,
    add_in_service_variables,
    add_prerequisites,
    add_retirements,
    block_projects_on_lines_closed_by_order,
    building,
    set_objective,
)


@building
def build_model(instance: Instance, targets: list[Target], horizon: Horizon, objective: Objective = "co2",
                co2_goal: float | None = None, *, options: PolicyOptions = PolicyOptions(),
                closest: bool = False, relax_closures: bool = False) -> RetrofitModel:
    """Build the program over the horizon's years.

    Parameters
    ----------
    instance:
        The projects and facilities.
    targets:
        Plan targets; disabled ones are left out.
    horizon:
        The years and the budget of each (see :mod:`optimizer.program.horizon`); a
        single-year question is ``Horizon.as_of(year, first_year=..., budget=...)``.
    objective:
        ``co2`` maximises the tCO2 cut over the horizon (per year, for one
        year); ``cost`` minimises capex.
    co2_goal:
        Least tCO2 cut over the horizon (per year, for one year), with the
        ``cost`` objective.
    options:
        The margin, how closures by order are paid, excluded projects.
    closest:
        Share targets may be missed, by ``shortfall[(t, year)]``; the
        objective is then set by the caller (see
        :func:`optimizer.answers.diagnosis.solve_closest`).
    relax_closures:
        A closure whose retirement row cannot be in service by its deadline
        moves to the first year it can (the diagnosis must still answer).
    """
    enabled = [t for t in targets if t.enabled]
    sense = pulp.LpMaximize if objective == "co2" else pulp.LpMinimize
    model = RetrofitModel(pulp.LpProblem("retrofit_program", sense), instance, horizon,
                          project_timing(instance, horizon), timed_closures(instance, enabled, horizon), options,
                          targets=enabled, plain=objective == "co2" and co2_goal is None and not closest)
    block_projects_on_lines_closed_by_order(model)
    add_in_service_variables(model)
    add_closures_by_order(model, relax_closures)
    set_objective(model, objective)
    if horizon.budgets is not None:
        add_budgets(model)
    if co2_goal is not None:
        add_co2_goal(model, co2_goal)
    add_exclusive_groups(model)
    add_prerequisites(model)
    add_retirements(model)
    for number, target in enumerate(targets):
        if not target.enabled:
            continue
        for year in binding_years(horizon, target):
            kind_of(target.kind).add_rows(model, target, f"t{number}_{year}", year, closest)
    return model


def binding_years(horizon: Horizon, target: Target) -> range:
    """The years of the horizon in which a target must hold: from its deadline to the last."""
    deadline = horizon.deadline(target)
    return range(0) if deadline is None else range(deadline, horizon.last + 1)
