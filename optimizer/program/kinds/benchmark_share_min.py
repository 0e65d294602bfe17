"""合成氨、烧碱行业能效达到标杆水平的产能比例分别为60%、80%: a least share of capacity at benchmark.

The share is weighted capacity (or annual energy use) of the covered
facilities at benchmark over that of those still running; retired and
closed lines leave both sides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pulp

from optimizer.program.kinds.base import Coupling, Reach, TargetDiagnosis, TargetKind, share_draws, share_of
from optimizer.program.model import add_share_rows
from optimizer.program.scenarios import scenario_at_level

if TYPE_CHECKING:
    from optimizer.data.dataset import Target
    from optimizer.data.instance import Instance
    from optimizer.data.plants import FacilityState
    from optimizer.program.model import RetrofitModel
    from optimizer.program.scenarios import ScenarioRows


class BenchmarkShare(TargetKind):
    """Weighted capacity at benchmark ≥ (value + margin) × weighted capacity still running."""

    def add_rows(self, model: RetrofitModel, target: Target, label: str, year: int, closest: bool) -> None:
        add_share_rows(model, target, label, "benchmark", self.required(target, model.options.margin), year,
                       closest)

    def value(self, instance: Instance, target: Target, state: FacilityState) -> float | None:
        return share_of(instance, target, state, state.at_benchmark)

    def required(self, target: Target, margin: float = 0.0) -> float:
        return min(1.0, target.value + margin)

    def draws(self, instance: Instance, target: Target, retired: np.ndarray,
              flags: dict[str, np.ndarray], draws: int) -> tuple[np.ndarray, np.ndarray]:
        return share_draws(instance, target, retired, flags["benchmark"], target.value, draws)

    def scenario_rows(self, model: RetrofitModel, rows: ScenarioRows, target: Target, factor: np.ndarray,
                      label: str, cache: dict) -> None:
        """In each scenario claimed met: weighted capacity at benchmark ≥ value × weighted capacity running.

        Written as ``Σ w a - value Σ w running ≥ -value (1 - met_s)``: when
        the scenario is not claimed, the right side is the least the left can be.
        """
        instance = model.instance
        covered = np.flatnonzero(instance.covered(target.products))
        weights = instance.weights(target.weight)
        total = weights[covered].sum()
        if total <= 0:
            return
        share = weights / total
        for s, met in enumerate(rows.met):
            terms = []
            for f in map(int, covered):
                at_level = scenario_at_level(model, rows, f, s, float(instance.benchmark[f]), factor, cache)
                running = 1 - rows.retired[f] if f in rows.retired else pulp.LpAffineExpression(constant=1)
                terms.append(float(share[f]) * at_level - target.value * float(share[f]) * running)
            model.add(pulp.lpSum(terms) + target.value * (1 - met) >= 0, f"share_{label}_s{s}")

    def unreachable(self, instance: Instance, target: Target, reach: Reach) -> TargetDiagnosis | None:
        """The best share with unlimited money, if that still falls short.

        A facility can reach benchmark when the most its available projects
        cut together (one per exclusive group) covers the need; a facility
        that cannot and has no retirement in time stays in the base.
        """
        covered = reach.covered(instance, target)
        reachable = reach.reaches(instance, instance.benchmark)
        can_retire = reach.can_retire(instance)
        required = self.required(target, reach.options.margin)
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
            f"{target.label('en')}: only {share_with_project:.0%} of {unit} is at benchmark or can reach it with "
            f"its projects (at most {best:.0%} after retiring what can be retired), {required:.0%} required",
            f"{target.label('zh')}：仅 {share_with_project:.0%} 的{unit_zh}已达标杆水平或可通过所列项目达到"
            f"（淘汰可淘汰产能后最多 {best:.0%}），要求 {required:.0%}")

    def coupling(self, instance: Instance, target: Target, covered: np.ndarray, margin: float) -> Coupling:
        weights = instance.weights(target.weight)
        total = float(weights[covered].sum())
        return Coupling(share=(covered, weights / (total if total > 0 else 1.0), self.required(target, margin),
                               instance.benchmark))


KIND = BenchmarkShare(
    "benchmark_share_min", True, "minimum share at benchmark", "标杆水平产能比例下限",
    "required share (0-1)", "要求比例（0–1）", 1.0, level="benchmark", shows_tightness=True)
