"""Where each target stands for a given choice of projects, computed directly.

This is the plain reading of the policy, written without the model: which
facilities are retired, which are at benchmark or baseline, and the shares
that follow. The optimizer's results are reported through it, and the model
can be checked against it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .dataset import Target, is_at_level
from .instance import Instance

TOLERANCE = 1e-7


@dataclass(frozen=True)
class TargetOutcome:
    """A target's value before any project, after the portfolio, and what is required.

    Shares are fractions (0-1); for ``min_line_capacity`` the values count the
    small lines still running.
    """

    target_id: str
    kind: str
    before: float | None
    after: float | None
    required: float
    met: bool
    name_en: str = ""
    name_zh: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FacilityState:
    """What a portfolio does to each facility."""

    retired: np.ndarray
    at_benchmark: np.ndarray
    at_baseline: np.ndarray


def facility_state(instance: Instance, chosen: np.ndarray) -> FacilityState:
    """Retired, at-benchmark and at-baseline flags per facility after choosing ``chosen`` (bool per project)."""
    n = len(instance.facility_ids)
    chosen = np.asarray(chosen, dtype=bool)
    retired = np.zeros(n, dtype=bool)
    retired[instance.facility[chosen & instance.retire]] = True

    def reached(level: np.ndarray) -> np.ndarray:
        flags = is_at_level(instance.intensity, level)
        flags[instance.facility[chosen & instance.reaches(level)]] = True
        return flags & ~retired

    return FacilityState(retired, reached(instance.benchmark), reached(instance.baseline))


def evaluate_targets(instance: Instance, targets: list[Target], chosen: np.ndarray) -> list[TargetOutcome]:
    """Each enabled target before (no project chosen) and after choosing ``chosen``."""
    before = facility_state(instance, np.zeros(instance.n_projects, dtype=bool))
    after = facility_state(instance, chosen)
    outcomes = []
    for target in targets:
        if not target.enabled:
            continue
        value_before = target_value(instance, target, before)
        value_after = target_value(instance, target, after)
        outcomes.append(TargetOutcome(
            target.target_id, target.kind, value_before, value_after, required_value(target),
            is_met(target, value_after), target.name_en, target.name_zh))
    return outcomes


def target_value(instance: Instance, target: Target, state: FacilityState) -> float | None:
    """The measured quantity of a target; None when no covered capacity is left to measure."""
    covered = instance.covered(target.products)
    if target.kind == "min_line_capacity":
        return float(np.sum(covered & (instance.capacity < target.value) & ~state.retired))
    weights = instance.weights(target.weight)
    running = covered & ~state.retired
    total = weights[running].sum()
    if total <= 0:
        return None
    flags = state.at_benchmark if target.kind == "benchmark_share_min" else state.at_baseline
    return float(weights[running & flags].sum() / total)


def required_value(target: Target) -> float:
    if target.kind == "min_line_capacity":
        return 0.0
    if target.kind == "baseline_all":
        return 1.0
    return target.value


def is_met(target: Target, value: float | None) -> bool:
    if value is None:
        return True
    if target.kind == "min_line_capacity":
        return value == 0
    return value >= required_value(target) - TOLERANCE
