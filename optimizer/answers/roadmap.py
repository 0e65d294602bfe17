"""The multi-year roadmap: which project goes into service in which year, under yearly budgets.

The roadmap is the program of :mod:`optimizer.program.model` over a horizon of
several years (the single-year answer is its horizon of one year). Its
semantics:

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from optimizer.answers.diagnosis import SUB_SOLVE_SECONDS, earliest_year_met, solve_closest, unreachable_targets
from optimizer.data.dataset import Dataset, EmissionFactors, Target
from optimizer.data.instance import Instance, prepare
from optimizer.data.plain import jsonable
from optimizer.program.build import build_model
from optimizer.program.closures import timed_closures
from optimizer.program.horizon import Horizon, RoadmapSettingsError, Timing, project_timing
from optimizer.program.kinds import TargetDiagnosis
from optimizer.program.model import Objective, PolicyOptions, RetrofitModel, budget_capex, service_years
from optimizer.program.targets import evaluate_targets, missing_share
from optimizer.solving.solve import SolveOutcome, SolverSettings, Status, solve_program

#: The core search of :mod:`optimizer.solving.highs` runs over the ``x[p, c]`` choices from 2,000 of them
#: (``ROADMAP_CORE_MIN_CHOICES``), a facility in doubt entering the core with every year of every project;
#: outside the core only the zeros are fixed (see BulkHiGHS).
ROADMAP_SOLVER = SolverSettings()

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
    diagnosis: RoadmapDiagnosis | None = None
    in_service_year: np.ndarray = field(default_factory=lambda: np.zeros(0, int), repr=False)

    @property
    def has_roadmap(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        """JSON-ready: years as string keys, no NaN or infinity."""
        def years(table: Mapping[int, float] | None) -> dict[str, float] | None:
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
            "message": self.message, "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
        }
        return jsonable(data)


def capex_by_year(instance: Instance, horizon: Horizon, timing: Timing, p: int, service: int,
                  capex: np.ndarray | None = None) -> dict[int, float]:
    """The spend of one project in service in ``service``: spread evenly over the lead years before it."""
    amount = float((instance.capex if capex is None else capex)[p])
    lead = int(timing.lead[p])
    if lead == 0:
        return {service: amount}
    return {y: amount / lead for y in range(service - lead, service)}



def targets_by_year(model: RetrofitModel, service: np.ndarray) -> list[dict]:
    """Every enabled target in every year: value, required, met, and whether it binds (year ≥ its deadline)."""
    instance, horizon = model.instance, model.horizon
    return [outcome.by_year() for year in horizon.years
            for outcome in evaluate_targets(instance, model.targets, horizon, service, year, model.options.margin,
                                            model.closures)]


def make_roadmap_result(model: RetrofitModel, outcome: SolveOutcome, objective: Objective,
                        co2_goal: float | None, build_seconds: float, solver: str) -> RoadmapResult:
    instance, horizon, timing = model.instance, model.horizon, model.timing
    has = outcome.status in ("optimal", "feasible")
    service = service_years(model, outcome.chosen) if has else np.zeros(instance.n_projects, int)
    capex = budget_capex(model)
    spend = {y: 0.0 for y in horizon.years}
    co2_by_year = {y: 0.0 for y in horizon.years}
    schedule = []
    for p in map(int, np.flatnonzero(service > 0)):
        paid = capex_by_year(instance, horizon, timing, p, int(service[p]), capex)
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
        targets_by_year=targets_by_year(model, service)
        if has else [],
        closed_by_order=[c.to_dict() for c in model.closures], cannot_fit=timing.cannot_fit,
        gap=outcome.gap, bound=outcome.bound, spend_total=float(sum(spend.values())),
        carry_over=horizon.carry_over, overdue_deadline=horizon.overdue, margin=model.options.margin,
        co2_goal=co2_goal, solve_seconds=outcome.seconds, build_seconds=build_seconds, solver=solver,
        message=outcome.message, in_service_year=service)



def plan_roadmap(dataset: Dataset | Instance, horizon: Horizon, *, targets: list[Target] | None = None,
                 objective: Objective = "co2", co2_goal: float | None = None,
                 factors: EmissionFactors | None = None, options: PolicyOptions = PolicyOptions(),
                 settings: SolverSettings = ROADMAP_SOLVER) -> RoadmapResult:
    """The roadmap: most tCO2 over the horizon within the yearly budgets, or least capex reaching ``co2_goal``.

    An infeasible result carries no explanation; a front end that wants one
    asks :func:`diagnose_roadmap` (which target fails in which year, the
    earliest year each can be met, and the closest roadmap).
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
    solved = solve_program(instance, targets, horizon, objective=objective, co2_goal=co2_goal, options=options,
                           settings=settings)
    return make_roadmap_result(solved.model, solved.outcome, objective, co2_goal, solved.build_seconds,
                               settings.solver)


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
    model = build_model(instance, targets, horizon, "co2", options=options, closest=True, relax_closures=True)
    solved = solve_closest(model, settings, warm_start=False)
    if solved is None:
        return None
    outcome, least_proven = solved
    if not least_proven:  # the least shortfall itself is not proven: say so
        outcome.status = "feasible"
        outcome.message = "least shortfall not proven within the time limit"
    return make_roadmap_result(model, outcome, "co2", None, 0.0, settings.solver)


@dataclass
class RoadmapDiagnosis:
    """Why no roadmap meets the targets in time: what fails when, the earliest year each can, the closest roadmap.

    ``missed``: (target, year, value, required, shortfall) rows where the
    closest roadmap falls short in a binding year, and lines closed by order
    whose retirement cannot be in service by the deadline; ``earliest``: per
    target missed, the earliest year it can be met at these budgets (None:
    not within the horizon) and whether that was proven in time;
    ``unreachable``: the targets no budget can meet.
    """

    missed: list[dict]
    earliest: list[dict]
    unreachable: list[TargetDiagnosis]
    closest: dict | None
    summary_en: str
    summary_zh: str

    def to_dict(self) -> dict:
        return asdict(self)


def diagnose_roadmap(instance: Instance, targets: list[Target], horizon: Horizon, *, objective: Objective = "co2",
                     co2_goal: float | None = None, options: PolicyOptions = PolicyOptions(),
                     settings: SolverSettings = ROADMAP_SOLVER) -> RoadmapDiagnosis:
    """Which target fails in which year, the earliest year each can be met, and the closest roadmap.

    ``missed``: rows (target, year, value, required, shortfall) where the
    closest roadmap falls short in a binding year, and lines closed by order
    whose retirement cannot be in service by the deadline. ``earliest``:
    for each target missed, :func:`earliest_year_met` (None: not within the
    horizon at these budgets). ``unreachable``: targets no budget can meet
    (as in the single-year diagnosis, which ignores time).
    """
    settings = replace(settings, core_search=False)
    enabled = [t for t in targets if t.enabled]
    unreachable = unreachable_targets(instance, enabled, horizon, options)
    closest = closest_roadmap(instance, enabled, horizon, options=options, settings=settings)
    missed: list[dict] = []
    failing: list[Target] = []
    if closest is not None:
        for row in closest.targets_by_year:
            if row["binding"] and not row["met"]:
                missed.append({"target_id": row["target_id"], "year": row["year"], "value": row["value"],
                               "required": row["required"],
                               "shortfall": missing_share(row["kind"], row["value"], row["required"])})
        failing_ids = {row["target_id"] for row in missed}
        failing = [t for t in enabled if t.target_id in failing_ids]
    else:
        failing = list(enabled)
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
    return RoadmapDiagnosis(
        missed=missed, earliest=earliest, unreachable=unreachable,
        closest=None if closest is None else {
            "status": closest.status, "co2_cumulative_t": closest.co2_cumulative_t,
            "co2_run_rate_t": closest.co2_run_rate_t, "spend_by_year": {str(y): v for y, v in
                                                                          closest.spend_by_year.items()},
            "total_shortfall": float(sum(missing_share(r["kind"], r["value"], r["required"])
                                         for r in closest.targets_by_year if r["binding"])),
            "schedule": [{**r, "capex_by_year": {str(y): v for y, v in r["capex_by_year"].items()}}
                         for r in closest.schedule],
            "targets_by_year": closest.targets_by_year, "gap": closest.gap},
        summary_en="The targets cannot all be met in time. " + "; ".join(lines_en),
        summary_zh="无法按期满足全部目标。" + "；".join(lines_zh))
