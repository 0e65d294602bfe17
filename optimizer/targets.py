"""Where each target stands for a given choice of projects, computed directly.

This is the plain reading of the policy, written without the model: which
facilities are retired, which are at benchmark or baseline, and the shares
that follow. The optimizer's results are reported through it, and the model
can be checked against it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .closures import closed_mask, closures_by_order
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
    intensity: np.ndarray
    at_benchmark: np.ndarray
    at_baseline: np.ndarray


def facility_state(instance: Instance, chosen: np.ndarray, closed_by_order: np.ndarray | None = None) -> FacilityState:
    """Retired flag, intensity and at-level flags per facility after choosing ``chosen`` (bool per project).

    Intensity after = today's intensity minus the reductions of the chosen
    projects on the facility, which add up. A facility is at a level when that
    is at or below the level; a retired facility (chosen retirement, or closed
    by order) is at no level: it leaves every share.
    """
    chosen = np.asarray(chosen, dtype=bool)
    retired = np.zeros(instance.n_facilities, dtype=bool)
    retired[instance.facility[chosen & instance.retire]] = True
    if closed_by_order is not None:
        retired |= closed_by_order
    intensity = instance.intensity - np.bincount(instance.facility[chosen], weights=instance.reduction[chosen],
                                                 minlength=instance.n_facilities)
    return FacilityState(retired, intensity, is_at_level(intensity, instance.benchmark) & ~retired,
                         is_at_level(intensity, instance.baseline) & ~retired)


def evaluate_targets(instance: Instance, targets: list[Target], chosen: np.ndarray,
                     margin: float = 0.0) -> list[TargetOutcome]:
    """Each enabled target before (no project chosen) and after choosing ``chosen``.

    Lines closed by order (see :mod:`optimizer.closures`) are closed after
    any portfolio. ``margin`` (share points, 0.02 = 2 points) is added to
    every benchmark-share target, as the model does.
    """
    before = facility_state(instance, np.zeros(instance.n_projects, dtype=bool))
    after = facility_state(instance, chosen, closed_mask(instance, closures_by_order(instance, targets)))
    outcomes = []
    for target in targets:
        if not target.enabled:
            continue
        value_before = target_value(instance, target, before)
        value_after = target_value(instance, target, after)
        required = required_value(target, margin)
        outcomes.append(TargetOutcome(
            target.target_id, target.kind, value_before, value_after, required,
            is_met(target, value_after, margin), target.name_en, target.name_zh))
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


def required_value(target: Target, margin: float = 0.0) -> float:
    """What a target requires: no small line left, every facility at baseline, or the share plus the margin."""
    if target.kind == "min_line_capacity":
        return 0.0
    if target.kind == "baseline_all":
        return 1.0
    return min(1.0, target.value + margin)


def is_met(target: Target, value: float | None, margin: float = 0.0) -> bool:
    if value is None:
        return True
    if target.kind == "min_line_capacity":
        return value == 0
    return value >= required_value(target, margin) - TOLERANCE


def shortfall(outcome: TargetOutcome) -> float:
    """Share points (as a fraction) by which a share target is missed; 0 when met or not a share."""
    if outcome.kind == "min_line_capacity" or outcome.after is None:
        return 0.0
    missing = outcome.required - outcome.after
    return float(missing) if missing > TOLERANCE else 0.0
