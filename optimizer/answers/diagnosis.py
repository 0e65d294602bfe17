"""Why no portfolio meets the targets, in words a policy analyst can act on.

Two questions, in order:

1. Which targets cannot be met at any budget? For each, the best that the
   project list allows and the reason, e.g. "caustic soda: only 55 % of
   capacity has a project that reaches benchmark, 80 % required".
2. If every target can be met with enough money: the least budget that
   meets them all (and the CO2 goal, in least-cost mode).

And, either way, the best portfolio within the budget that comes closest to
the targets, with the shortfall of each, so the analyst always gets an answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import pulp

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.program.build import build_model
from optimizer.program.closures import closed_mask, timed_closures
from optimizer.program.horizon import AsOf, Horizon, project_timing
from optimizer.program.kinds import Reach, TargetDiagnosis, kind_of
from optimizer.program.model import Objective, PolicyOptions, RetrofitModel
from optimizer.program.targets import shortfall
from optimizer.solving.solve import SolveOutcome, SolverSettings, make_result, optimize, solve_model

#: Slack on the least total shortfall when the second solve looks for the most CO2 (share points as a fraction).
SHORTFALL_TOLERANCE = 1e-6
#: Time limit of each sub-solve of a diagnosis (earliest years, closest roadmap), seconds.
SUB_SOLVE_SECONDS = 5.0
#: How far past its as-of year a single-year diagnosis looks for the year a target can first be met.
YEARS_AHEAD = 30


@dataclass
class Diagnosis:
    """The answer to "why infeasible?"."""

    unreachable: list[TargetDiagnosis] = field(default_factory=list)
    least_budget: float | None = None
    co2_goal_reachable: bool = True
    max_co2_with_targets: float | None = None
    summary_en: str = ""
    summary_zh: str = ""
    closest: dict | None = None
    #: Per target no portfolio can meet by the as-of year: the earliest as-of year it can be (None: not in sight).
    earliest: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def diagnose(instance: Instance, targets: list[Target], *, objective: Objective = "co2",
             budget: float | None = None, co2_goal: float | None = None,
             options: PolicyOptions = PolicyOptions(), settings: SolverSettings = SolverSettings(),
             as_of: AsOf | None = None) -> Diagnosis:
    """Explain an infeasible single-year question: unreachable targets first, then the least budget.

    A target no portfolio can meet by the as-of year is given the earliest
    as-of year it can be met at this budget (:func:`earliest_year_met`);
    the closest portfolio within the budget is given either way.
    """
    enabled = [t for t in targets if t.enabled]
    as_of = as_of or AsOf.of()
    year, horizon = as_of.year, as_of.horizon(budget)
    diagnosis = Diagnosis(unreachable=unreachable_targets(instance, enabled, horizon, options))
    if objective == "co2" or budget is not None:
        diagnosis.closest = closest_portfolio(instance, enabled, budget=budget, options=options, settings=settings,
                                              as_of=as_of)
    if diagnosis.unreachable:
        quick = replace(settings, core_search=False)
        for d in diagnosis.unreachable:
            target = next(t for t in enabled if t.target_id == d.target_id)
            earliest = earliest_year_met(instance, enabled, target, horizon, options=options, settings=quick)
            diagnosis.earliest.append({"target_id": d.target_id, "earliest_year": earliest})
        names = "; ".join(d.reason_en for d in diagnosis.unreachable)
        names_zh = "；".join(d.reason_zh for d in diagnosis.unreachable)
        later_en = "; ".join(f"{row['target_id']}: earliest {row['earliest_year']}" if row["earliest_year"]
                             else f"{row['target_id']}: not by {year + YEARS_AHEAD} at this budget"
                             for row in diagnosis.earliest)
        later_zh = "；".join(f"{row['target_id']}：最早 {row['earliest_year']} 年" if row["earliest_year"]
                            else f"{row['target_id']}：按此预算 {year + YEARS_AHEAD} 年前无法达到"
                            for row in diagnosis.earliest)
        diagnosis.summary_en = f"No budget can meet every target by {year}. {names}. {later_en}"
        diagnosis.summary_zh = f"任何预算都无法在 {year} 年前满足全部目标。{names_zh}。{later_zh}"
        return diagnosis

    least = optimize(instance, objective="cost", co2_goal=co2_goal, targets=enabled, options=options,
                     settings=settings, as_of=as_of)
    if not least.has_portfolio:
        if co2_goal is not None:
            most = optimize(instance, targets=enabled, options=options, settings=settings, as_of=as_of)
            if most.has_portfolio:
                # The solver's bound is what "at most" may claim; the portfolio found reaches its own cut.
                ceiling = max(most.bound or most.co2_reduction_t, most.co2_reduction_t)
                diagnosis.co2_goal_reachable = False
                diagnosis.max_co2_with_targets = ceiling
                diagnosis.summary_en = (f"The CO2 goal of {co2_goal:,.0f} t/yr cannot be reached while meeting "
                                        f"the targets: at most {ceiling:,.0f} t/yr (a portfolio cutting "
                                        f"{most.co2_reduction_t:,.0f} t/yr was found).")
                diagnosis.summary_zh = (f"在满足全部目标的前提下无法达到 {co2_goal:,.0f} 吨/年的减排目标："
                                        f"最多 {ceiling:,.0f} 吨/年"
                                        f"（已找到减排 {most.co2_reduction_t:,.0f} 吨/年的组合）。")
                return diagnosis
        diagnosis.summary_en = ("No portfolio meets all targets together, although no target is out of reach by "
                                "itself at facility level: alternatives or prerequisites in the list probably "
                                "exclude each other; switch targets off one at a time to find the conflict.")
        diagnosis.summary_zh = ("没有能同时满足全部目标的组合，但逐个设施看各目标并非无法达到：清单中的互斥或前置关系"
                                "可能相互冲突；可逐个关闭目标以找出冲突。")
        return diagnosis
    diagnosis.least_budget = least.spend
    budget_text = f"{budget:,.0f}" if budget is not None else "—"
    proven = "" if least.gap is None else f" (proven within {least.gap:.2%} of the least possible)"
    proven_zh = "" if least.gap is None else f"（与理论最小值相差不超过 {least.gap:.2%}）"
    diagnosis.summary_en = (f"The budget of {budget_text} 万元 is too small: the cheapest portfolio that meets every "
                            f"target by {year} costs {least.spend:,.0f} 万元{proven}.")
    diagnosis.summary_zh = (f"预算 {budget_text} 万元不足："
                            f"在 {year} 年前满足全部目标的最低投资组合需 {least.spend:,.0f} 万元{proven_zh}。")
    return diagnosis


def closest_portfolio(instance: Instance, targets: list[Target], *, budget: float | None,
                      options: PolicyOptions = PolicyOptions(), settings: SolverSettings = SolverSettings(),
                      as_of: AsOf | None = None) -> dict | None:
    """The portfolio within the budget that comes closest to the targets, then cuts the most CO2.

    Two solves of one model in which share targets may fall short: the least
    total shortfall (in share points, summed over targets; "all at baseline"
    counts as a 100 % share), then the most CO2 among portfolios that short.
    """
    model = build_model(instance, targets, (as_of or AsOf.of()).horizon(budget), "co2", options=options,
                        closest=True)
    solved = solve_closest(model, settings)
    if solved is None:
        return None
    outcome, _ = solved
    result = make_result(model, outcome, "co2", None, 0.0, settings.solver)
    rows = [{"target_id": t.target_id, "after": t.after, "required": t.required, "shortfall": shortfall(t)}
            for t in result.targets]
    return {"status": result.status, "selected": result.selected, "co2_reduction_t": result.co2_reduction_t,
            "spend": result.spend, "gap": result.gap,
            "total_shortfall": float(sum(shortfall(t) for t in result.targets)),
            "targets": rows}


def solve_closest(model: RetrofitModel, settings: SolverSettings, *,
                  warm_start: bool = True) -> tuple[SolveOutcome, bool] | None:
    """Two solves of a closest-mode model: the least total shortfall, then the most CO2 that short.

    Returns the second solve's outcome and whether the least shortfall itself
    was proven (always, when the model has no share target to fall short
    of); None when either solve finds nothing. Used by the single-year and
    the roadmap diagnosis alike. ``warm_start`` hands the first solve's
    portfolio to the second.
    """
    shortfalls = list(model.shortfall.values())
    start, least_proven = None, True
    if shortfalls:
        co2_objective, scale = model.problem.objective, model.objective_scale
        model.problem.sense = pulp.LpMinimize
        model.problem.setObjective(pulp.lpSum(shortfalls))
        model.objective_scale = 1.0
        first = solve_model(model, settings)
        if first.status not in ("optimal", "feasible"):
            return None
        least = float(sum(v.varValue or 0.0 for v in shortfalls))
        model.problem += pulp.lpSum(shortfalls) <= least + SHORTFALL_TOLERANCE, "least_shortfall"
        model.problem.sense = pulp.LpMaximize
        model.problem.setObjective(co2_objective)
        model.objective_scale = scale
        start = first.chosen if warm_start else None
        least_proven = first.status == "optimal"
    outcome = solve_model(model, settings, start)
    if outcome.status not in ("optimal", "feasible"):
        return None
    return outcome, least_proven


def unreachable_targets(instance: Instance, targets: list[Target], horizon: Horizon,
                        options: PolicyOptions = PolicyOptions()) -> list[TargetDiagnosis]:
    """The enabled targets no budget can meet in the horizon's last year, each with why (asked of its kind)."""
    enabled = [t for t in targets if t.enabled]
    service = project_timing(instance, horizon).first_service
    closures = timed_closures(instance, enabled, horizon)
    reach = Reach(horizon.last, service <= horizon.last, service, closed_mask(instance, closures), closures, options)
    return [d for t in enabled if horizon.deadline(t) is not None
            and (d := kind_of(t.kind).unreachable(instance, t, reach)) is not None]


def earliest_year_met(instance: Instance, targets: list[Target], target: Target, horizon: Horizon, *,
                      options: PolicyOptions = PolicyOptions(),
                      settings: SolverSettings = SolverSettings(), unproven: list[int] | None = None) -> int | None:
    """The earliest year from which ``target`` can hold, within the budgets; None: never (or not in sight).

    In a roadmap, the earliest deadline from which it can hold every year
    to ``Y1``; in a single-year question, the earliest as-of year (up to
    :data:`YEARS_AHEAD` years later) by which a portfolio within the same
    budget meets it.

    Each year is a feasibility question (no objective), stopped after
    :data:`SUB_SOLVE_SECONDS`; a year the solver could neither settle is
    appended to ``unproven`` and counted as not reachable, so the answer is
    then "from this year at the latest".

    Solves with the target's deadline (or the as-of year) moved later
    (binary search: a later deadline only drops years, a later as-of year
    only adds projects). The target is taken on its own, with the
    lines closed by order of the other small-line targets (their closures
    moved to the first year their retirement can be in service): the year is
    what this target needs, not what every target needs together.
    """
    start = horizon.deadline(target)
    if start is None:
        return None
    last = horizon.last
    if horizon.one_year:  # the as-of year moves: look as far as projects still become available
        service = project_timing(instance, horizon).first_service
        last = min(max(int(service.max(initial=horizon.last)), horizon.last), horizon.last + YEARS_AHEAD)
    unproven = [] if unproven is None else unproven
    others = [t for t in targets if t.enabled and kind_of(t.kind).closes_lines and t is not target]

    limit = SUB_SOLVE_SECONDS if settings.time_limit is None else min(settings.time_limit, SUB_SOLVE_SECONDS)
    quick = replace(settings, core_search=False, time_limit=limit)

    def feasible(year: int) -> bool:
        if horizon.one_year:
            budget = None if horizon.budgets is None else horizon.budgets[horizon.last]
            moved, over = target, Horizon.as_of(year, first_year=horizon.origin, budget=budget)
        else:
            moved, over = replace(target, year=year), horizon
        if kind_of(target.kind).closes_lines:
            # its own closures must hold by ``year``: built unrelaxed on the moved target only
            model = build_model(instance, [moved], over, "co2", options=options)
        else:
            model = build_model(instance, [moved, *others], over, "co2", options=options, relax_closures=True)
        # only whether a roadmap exists: no objective, so the first one found ends the search
        model.problem.setObjective(pulp.LpAffineExpression())
        status = solve_model(model, quick).status
        if status not in ("optimal", "feasible", "infeasible"):
            unproven.append(year)  # stopped by the time limit: neither found nor ruled out
        return status in ("optimal", "feasible")

    low, high = start, last
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
