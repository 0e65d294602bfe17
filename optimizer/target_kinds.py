"""What each target kind means, in one table: the model, the report and the UI ask it here.

A kind is either a *share* (a fraction of covered capacity or energy use, 0-1, shown as a
percentage) or a *count* (``min_line_capacity``: small lines still running, shown as a whole
number, whose ``value`` is a capacity threshold, not a share). Nothing else in the product
tests a kind by name to decide how to show or check a value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .schema import TARGET_KINDS


@dataclass(frozen=True)
class TargetKind:
    """One kind of target: how its measured value and its own ``value`` are read and shown."""

    kind: str
    is_share: bool
    label_en: str
    label_zh: str
    value_label_en: str
    value_label_zh: str
    value_max: float | None  # the largest ``value`` that means anything (1 for a share)

    def label(self, language: str = "en") -> str:
        return self.label_zh if language == "zh" else self.label_en

    def value_label(self, language: str = "en") -> str:
        return self.value_label_zh if language == "zh" else self.value_label_en

    def format(self, value: float | None, digits: int = 1) -> str:
        """A measured value (before, after, required): a percentage for a share, a count otherwise."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "—"
        if self.is_share:
            return f"{value * 100:.{digits}f}%"
        return f"{value:,.0f}"

    def clamp_value(self, value: float) -> float:
        """A target value brought into its meaningful range (a share is 0-1)."""
        value = max(0.0, float(value))
        return min(value, self.value_max) if self.value_max is not None else value


KINDS: dict[str, TargetKind] = {
    "benchmark_share_min": TargetKind(
        "benchmark_share_min", True, "minimum share at benchmark", "标杆水平产能比例下限",
        "required share (0-1)", "要求比例（0–1）", 1.0),
    "baseline_all": TargetKind(
        "baseline_all", True, "all at baseline", "全部达到基准水平",
        "(not used)", "（不使用）", 1.0),
    "min_line_capacity": TargetKind(
        "min_line_capacity", False, "small lines eliminated (lines left)", "淘汰小产能生产线（剩余条数）",
        "capacity threshold", "产能门槛", None),
}

assert set(KINDS) == set(TARGET_KINDS), "every kind of the contract has one row here"


def kind_of(kind: str) -> TargetKind:
    """The row of ``kind``; an unknown kind reads as a count, never as a share."""
    return KINDS.get(kind) or TargetKind(kind, False, kind, kind, "value", "数值", None)
