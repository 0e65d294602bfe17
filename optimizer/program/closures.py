"""Lines the plans order closed: 淘汰100万平方米/年（不含）以下的建筑陶瓷 and the like.

A ``min_line_capacity`` target is not an investment choice: every covered
line below its threshold is closed *by order*, before any optimisation. Such
a line leaves every share and takes no other project. A retirement row
listed for it is chosen (its capex counts, unless a setting keeps it
outside the budget); with none listed it closes at no cost and with no CO2
credit, and every output names it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.data.dataset import Target
from optimizer.data.instance import Instance
from optimizer.program.horizon import Horizon, TimedClosure
from optimizer.program.kinds import kind_of


@dataclass(frozen=True)
class ClosureByOrder:
    """One line closed by order, and why."""

    facility: int
    facility_id: str
    target_id: str
    capacity: float
    threshold: float
    retirement_projects: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"facility_id": self.facility_id, "target_id": self.target_id, "capacity": self.capacity,
                "threshold": self.threshold, "retirement_projects": list(self.retirement_projects),
                "reason_en": self.reason("en"), "reason_zh": self.reason("zh")}

    def reason(self, language: str = "en") -> str:
        how_en = (f"retirement project {', '.join(self.retirement_projects)} chosen by order"
                  if self.retirement_projects else "no retirement project listed: closed at no cost, no CO2 credited")
        how_zh = (f"按要求选择淘汰项目 {'、'.join(self.retirement_projects)}"
                  if self.retirement_projects else "未列出淘汰项目：按要求关停，不计投资与减排")
        if language == "zh":
            return f"产能 {self.capacity:,.0f} 低于淘汰门槛 {self.threshold:,.0f}（目标 {self.target_id}）；{how_zh}"
        return (f"capacity {self.capacity:,.0f} is below the elimination threshold {self.threshold:,.0f} "
                f"(target {self.target_id}); {how_en}")


def closures_by_order(instance: Instance, targets: list[Target]) -> list[ClosureByOrder]:
    """Every covered line below an enabled ``min_line_capacity`` threshold, once (first target wins)."""
    found: dict[int, ClosureByOrder] = {}
    for target in targets:
        if not target.enabled or not kind_of(target.kind).closes_lines:
            continue
        small = np.flatnonzero(kind_of(target.kind).closed_lines(instance, target))
        for f in small:
            if int(f) in found:
                continue
            rows = instance.projects_of[f]
            listed = tuple(str(instance.project_ids[p]) for p in rows if instance.retire[p])
            found[int(f)] = ClosureByOrder(int(f), str(instance.facility_ids[f]), target.target_id,
                                           float(instance.capacity[f]), float(target.value), listed)
    return [found[f] for f in sorted(found)]


def closed_mask(instance: Instance, closures: list[ClosureByOrder] | list[TimedClosure]) -> np.ndarray:
    """Per facility: closed by order."""
    mask = np.zeros(instance.n_facilities, dtype=bool)
    mask[[c.facility for c in closures]] = True
    return mask


def timed_closures(instance: Instance, targets: list[Target], horizon: Horizon) -> list[TimedClosure]:
    """Every small line with the earliest deadline of the targets that close it, if within the horizon."""
    found: dict[int, TimedClosure] = {}
    for target in targets:
        if not target.enabled or not kind_of(target.kind).closes_lines:
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
                f"{closure.reason('en')}; retired by {deadline}", f"{closure.reason('zh')}；{deadline} 年前淘汰",
                closure.capacity, closure.threshold)
    return [found[f] for f in sorted(found)]
