"""淘汰100万平方米/年（不含）以下的建筑陶瓷生产线: lines below a capacity threshold are closed by order.

Not an investment choice: every covered line below the threshold is closed
by order before anything is optimised (:mod:`optimizer.program.closures`), by the
target's deadline. The measured value is the number of such lines still
running; the target is met when none is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimizer.program.kinds.base import Reach, TargetDiagnosis, TargetKind, listed_ids

if TYPE_CHECKING:
    from optimizer.data.dataset import Target
    from optimizer.data.instance import Instance
    from optimizer.data.plants import FacilityState


class MinLineCapacity(TargetKind):
    """Small lines still running; the program closes them instead of adding rows."""

    def closed_lines(self, instance: Instance, target: Target) -> np.ndarray:
        """Per facility: covered and below the threshold (（不含）: a line at the threshold stays)."""
        return instance.covered(target.products) & (instance.capacity < target.value)

    def value(self, instance: Instance, target: Target, state: FacilityState) -> float | None:
        return float(np.sum(self.closed_lines(instance, target) & ~state.retired))

    def required(self, target: Target, margin: float = 0.0) -> float:
        return 0.0

    def is_met(self, target: Target, value: float | None, margin: float = 0.0) -> bool:
        return value is None or value == 0

    def draws(self, instance: Instance, target: Target, retired: np.ndarray,
              flags: dict[str, np.ndarray], draws: int) -> tuple[np.ndarray, np.ndarray]:
        left = float(np.sum(self.closed_lines(instance, target) & ~retired))
        return np.full(draws, left), np.full(draws, left == 0)

    def unreachable(self, instance: Instance, target: Target, reach: Reach) -> TargetDiagnosis | None:
        """A small line whose every listed retirement row cannot be in service by ``reach.year``."""
        late = np.zeros(instance.n_facilities, dtype=bool)
        for closure in reach.closures:
            if closure.target_id != target.target_id:
                continue
            rows = [p for p in instance.projects_of[closure.facility] if instance.retire[p]]
            if rows and min(int(reach.service[p]) for p in rows) > reach.year:
                late[closure.facility] = True
        if not late.any():
            return None
        ids = listed_ids(instance, late)
        return TargetDiagnosis(target.target_id, float(late.sum()), 0.0,
                               f"{target.label('en')}: the retirement of {ids} cannot be in service by {reach.year}",
                               f"{target.label('zh')}：{ids} 的淘汰项目无法在 {reach.year} 年前完成")


KIND = MinLineCapacity(
    "min_line_capacity", False, "small lines eliminated (lines left)", "淘汰小产能生产线（剩余条数）",
    "capacity threshold", "产能门槛", None, closes_lines=True, sense="≤")
