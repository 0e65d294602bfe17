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

from dataclasses import asdict, dataclass, field

import numpy as np
import pulp

from .closures import closed_mask, closures_by_order
from .dataset import Target
from .instance import Instance
from .model import Objective, PolicyOptions, RetrofitModel, build_model
from .solve import SolveOutcome, SolverSettings, make_result, optimize, solve_model
from .targets import shortfall

#: Facility ids listed by name in a reason before "and N more".
LISTED = 5
#: Slack on the least total shortfall when the second solve looks for the most CO2 (share points as a fraction).
SHORTFALL_TOLERANCE = 1e-6


@dataclass
class TargetDiagnosis:
    """One target that no budget can meet, and why."""

    target_id: str
    best_possible: float | None
    required: float
    reason_en: str
    reason_zh: str


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

    def to_dict(self) -> dict:
        return asdict(self)


def diagnose(instance: Instance, targets: list[Target], *, objective: Objective = "co2",
             budget: float | None = None, co2_goal: float | None = None,
             options: PolicyOptions = PolicyOptions(), settings: SolverSettings = SolverSettings()) -> Diagnosis:
    """Explain an infeasible model: unreachable targets first, then the least budget, and the closest portfolio."""
    enabled = [t for t in targets if t.enabled]
    diagnosis = Diagnosis(unreachable=[d for t in enabled if (d := _unreachable(instance, t, options)) is not None])
    if objective == "co2" or budget is not None:
        diagnosis.closest = closest_portfolio(instance, enabled, budget=budget, options=options, settings=settings)
    if diagnosis.unreachable:
        names = "; ".join(d.reason_en for d in diagnosis.unreachable)
        diagnosis.summary_en = f"No budget can meet every target. {names}"
        diagnosis.summary_zh = "任何预算都无法满足全部目标。" + "；".join(d.reason_zh for d in diagnosis.unreachable)
        return diagnosis

    least = optimize(instance, objective="cost", co2_goal=co2_goal, targets=enabled, options=options,
                     settings=settings)
    if not least.has_portfolio:
        if co2_goal is not None:
            most = optimize(instance, targets=enabled, options=options, settings=settings)
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
                            f"target costs {least.spend:,.0f} 万元{proven}.")
    diagnosis.summary_zh = (f"预算 {budget_text} 万元不足："
                            f"满足全部目标的最低投资组合需 {least.spend:,.0f} 万元{proven_zh}。")
    return diagnosis


def closest_portfolio(instance: Instance, targets: list[Target], *, budget: float | None,
                      options: PolicyOptions = PolicyOptions(),
                      settings: SolverSettings = SolverSettings()) -> dict | None:
    """The portfolio within the budget that comes closest to the targets, then cuts the most CO2.

    Two solves of one model in which share targets may fall short: the least
    total shortfall (in share points, summed over targets; "all at baseline"
    counts as a 100 % share), then the most CO2 among portfolios that short.
    """
    model = build_model(instance, targets, "co2", budget, None, options=options, closest=True)
    solved = solve_closest(model, settings)
    if solved is None:
        return None
    outcome, _ = solved
    result = make_result(instance, targets, outcome, "co2", budget, None, 0.0, settings.solver, options)
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


def _unreachable(instance: Instance, target: Target, options: PolicyOptions) -> TargetDiagnosis | None:
    """The target's best value with unlimited money, if that still falls short.

    A facility can reach a level when the most its projects cut together (one
    per exclusive group) covers the need; closed lines have left the base.
    """
    if target.kind == "min_line_capacity":
        return None  # closed by order: always met
    closed = closed_mask(instance, closures_by_order(instance, [target]))
    covered = instance.covered(target.products) & ~closed
    can_retire = instance.can_retire
    name_en, name_zh = target.label("en"), target.label("zh")
    level = instance.benchmark if target.kind == "benchmark_share_min" else instance.baseline
    reachable = instance.need(level) <= instance.best_reduction() + 1e-9

    if target.kind == "baseline_all":
        stuck = covered & ~reachable & ~can_retire
        if not stuck.any():
            return None
        ids = _ids(instance, stuck)
        return TargetDiagnosis(
            target.target_id, None, 1.0,
            f"{name_en}: {stuck.sum()} facility(ies) below baseline cannot reach it with the listed projects "
            f"and have no retirement project ({ids})",
            f"{name_zh}：{stuck.sum()} 个低于基准水平的设施靠所列项目无法达到基准水平，也没有淘汰项目（{ids}）")

    required = min(1.0, target.value + options.margin)
    weights = instance.weights(target.weight)
    kept = covered & reachable
    left = covered & ~reachable & ~can_retire  # cannot reach benchmark and cannot be closed
    total = weights[kept].sum() + weights[left].sum()
    best = 1.0 if total <= 0 else float(weights[kept].sum() / total)
    if best >= required - 1e-9:
        return None
    today = weights[covered].sum()
    share_with_project = weights[kept].sum() / today if today > 0 else 0.0
    unit = "energy use" if target.weight == "energy" else "capacity"
    unit_zh = "能耗" if target.weight == "energy" else "产能"
    return TargetDiagnosis(
        target.target_id, best, required,
        f"{name_en}: only {share_with_project:.0%} of {unit} is at benchmark or can reach it with its projects "
        f"(at most {best:.0%} after retiring what can be retired), {required:.0%} required",
        f"{name_zh}：仅 {share_with_project:.0%} 的{unit_zh}已达标杆水平或可通过所列项目达到"
        f"（淘汰可淘汰产能后最多 {best:.0%}），要求 {required:.0%}")


def _ids(instance: Instance, mask: np.ndarray) -> str:
    ids = [str(i) for i in instance.facility_ids[mask]]
    more = f" +{len(ids) - LISTED}" if len(ids) > LISTED else ""
    return ", ".join(ids[:LISTED]) + more
