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
from .horizon import Horizon, TimedClosure, timed_closures
from .instance import Instance

TOLERANCE = 1e-7


@dataclass(frozen=True)
class TargetOutcome:
    """A target in one year: its value before any project, after the choice, and what is required.

    Shares are fractions (0-1); for ``min_line_capacity`` the values count the
    small lines still running. ``year`` is the year it is judged in;
    ``deadline`` the first year it binds (None: after the horizon),
    ``binding`` whether it binds in ``year``, ``overdue`` whether its own date
    (``due``) has passed before the question's first year.
    """

    target_id: str
    kind: str
    before: float | None
    after: float | None
    required: float
    met: bool
    name_en: str = ""
    name_zh: str = ""
    year: int | None = None
    due: int | None = None
    deadline: int | None = None
    binding: bool = True
    overdue: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def by_year(self) -> dict:
        """The row of a roadmap's ``targets_by_year``."""
        return {"target_id": self.target_id, "kind": self.kind, "year": self.year, "required": self.required,
                "value": self.after, "met": self.met, "binding": self.binding, "deadline": self.deadline,
                "overdue": self.overdue}


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


def evaluate_targets(instance: Instance, targets: list[Target], horizon: Horizon, service: np.ndarray,
                     year: int, margin: float = 0.0,
                     closures: list[TimedClosure] | None = None) -> list[TargetOutcome]:
    """Each enabled target as it stands in ``year``, before any project and with the projects in service.

    ``service`` is each project's in-service year (0: not chosen). Lines
    closed by order (see :mod:`optimizer.closures`) have left every share
    from their deadline on. ``margin`` (share points, 0.02 = 2 points) is
    added to every benchmark-share target, as the model does.
    """
    closures = timed_closures(instance, targets, horizon) if closures is None else closures
    service = np.asarray(service, dtype=int)
    in_service = (service > 0) & (service <= year)
    closed = np.zeros(instance.n_facilities, dtype=bool)
    closed[[c.facility for c in closures if not c.retirement_projects and c.year <= year]] = True
    before = facility_state(instance, np.zeros(instance.n_projects, dtype=bool))
    after = facility_state(instance, in_service, closed)
    outcomes = []
    for target in targets:
        if not target.enabled:
            continue
        deadline = horizon.deadline(target)
        value_after = target_value(instance, target, after)
        outcomes.append(TargetOutcome(
            target.target_id, target.kind, target_value(instance, target, before), value_after,
            required_value(target, margin), is_met(target, value_after, margin), target.name_en, target.name_zh,
            year=year, due=None if target.year is None else int(target.year), deadline=deadline,
            binding=deadline is not None and year >= deadline, overdue=horizon.is_overdue(target)))
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
    """Share points (as a fraction) by which a binding share target is missed; 0 when met or not a share."""
    if outcome.kind == "min_line_capacity" or outcome.after is None or not outcome.binding:
        return 0.0
    missing = outcome.required - outcome.after
    return float(missing) if missing > TOLERANCE else 0.0
