"""全部产能均达到能效基准水平以上: every covered facility at baseline or better, or retired.

对于不能按期完成改造的项目进行有序淘汰: a facility that cannot reach baseline
must be retired. In closest mode the target is read as a share of 100 %
that may fall short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pulp

from optimizer.program.kinds.base import Coupling, Reach, TargetDiagnosis, TargetKind, listed_ids, share_draws, share_of
from optimizer.program.model import GE, LEVEL_TOLERANCE, Terms, add_level_covers, add_share_rows, running
from optimizer.program.scenarios import reduction_bounds

if TYPE_CHECKING:
    from optimizer.data.dataset import Target
    from optimizer.data.instance import Instance
    from optimizer.data.plants import FacilityState
    from optimizer.program.model import RetrofitModel
    from optimizer.program.scenarios import ScenarioRows


class BaselineAll(TargetKind):
    """One row per covered facility and year: ``Σ r_p x_p + need·retired ≥ need``."""

    def add_rows(self, model: RetrofitModel, target: Target, label: str, year: int, closest: bool) -> None:
        if closest:
            add_share_rows(model, target, label, "baseline", 1.0, year, closest)
            return
        instance = model.instance
        r = instance.reduction
        for f in map(int, np.flatnonzero(instance.covered(target.products))):
            if model.closed_in(f, year):
                continue
            need = float(instance.intensity[f] - instance.baseline[f])
            projects = model.acting(f, year)
            if need <= LEVEL_TOLERANCE and all(r[p] > 0 for p in projects):
                continue
            # A cut beyond need - Σ negative cuts reaches baseline whatever else is chosen: count it as that
            # much (exact on 0/1 choices, a tighter LP bound).
            cap = need - float(sum(min(r[p], 0.0) for p in projects))
            reductions = [min(float(r[p]), cap) if cap > 0 else float(r[p]) for p in projects]
            scale = max(abs(need), max((abs(v) for v in reductions), default=0.0), 1e-9)
            cut: Terms = dict(model.service(projects, year, [v / scale for v in reductions]))
            if need > LEVEL_TOLERANCE:
                for variable, _ in model.service(model.retirements(f), year):
                    cut[variable] = cut.get(variable, 0.0) + need / scale
            model.add_row(cut, GE, need / scale - LEVEL_TOLERANCE, f"baseline_{label}_{f}",
                          about=(target.target_id, str(instance.facility_ids[f])))
            if need > LEVEL_TOLERANCE:  # running at baseline needs these cuts (see add_level_covers)
                helpful = [p for p in projects if r[p] > 0]
                add_level_covers(model, running(model, f, year), helpful, need, f"baseline_{label}_{f}", year)

    def value(self, instance: Instance, target: Target, state: FacilityState) -> float | None:
        return share_of(instance, target, state, state.at_baseline)

    def required(self, target: Target, margin: float = 0.0) -> float:
        return 1.0

    def draws(self, instance: Instance, target: Target, retired: np.ndarray,
              flags: dict[str, np.ndarray], draws: int) -> tuple[np.ndarray, np.ndarray]:
        return share_draws(instance, target, retired, flags["baseline"], 1.0, draws)

    def scenario_rows(self, model: RetrofitModel, rows: ScenarioRows, target: Target, factor: np.ndarray,
                      label: str, cache: dict) -> None:
        """In each scenario claimed met, every covered running facility is at baseline.

        ``Σ r_ps x_p - low ≥ (need - low)(met_s - retired_f)``: binding only
        when the scenario is claimed and the facility keeps running.
        """
        instance = model.instance
        for f in np.flatnonzero(instance.covered(target.products)):
            need = float(instance.intensity[f] - instance.baseline[f] - LEVEL_TOLERANCE)
            projects, realised = reduction_bounds(instance, factor, int(f))
            retired = rows.retired.get(int(f), pulp.LpAffineExpression())
            for s, met in enumerate(rows.met):
                low = float(np.minimum(realised[s], 0).sum()) if len(projects) else 0.0
                if need <= low:
                    continue
                scale = max(abs(need), abs(low), 1e-12)
                summed = pulp.LpAffineExpression(zip([model.choose[p] for p in projects],
                                                     (realised[s] / scale).tolist()))
                model.add(summed - low / scale - (need - low) / scale * (met - retired) >= 0,
                          f"baseline_{label}_{f}_s{s}")

    def unreachable(self, instance: Instance, target: Target, reach: Reach) -> TargetDiagnosis | None:
        """Facilities below baseline that no combination of their available projects lifts, with no retirement."""
        stuck = (reach.covered(instance, target) & ~reach.reaches(instance, instance.baseline)
                 & ~reach.can_retire(instance))
        if not stuck.any():
            return None
        ids = listed_ids(instance, stuck)
        return TargetDiagnosis(
            target.target_id, None, 1.0,
            f"{target.label('en')}: {stuck.sum()} facility(ies) below baseline cannot reach it with the listed "
            f"projects and have no retirement project ({ids})",
            f"{target.label('zh')}：{stuck.sum()} 个低于基准水平的设施靠所列项目无法达到基准水平，"
            f"也没有淘汰项目（{ids}）")

    def coupling(self, instance: Instance, target: Target, covered: np.ndarray, margin: float) -> Coupling:
        return Coupling(must_reach_baseline=covered)


KIND = BaselineAll(
    "baseline_all", True, "all at baseline", "全部达到基准水平", "(not used)", "（不使用）", 1.0, level="baseline")
