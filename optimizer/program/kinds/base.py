"""What every kind of target answers: the questions the program, the report, the diagnosis and the bounds ask.

A kind is either a *share* (a fraction of covered capacity or energy use,
0-1, shown as a percentage) or a *count* (small lines still running, shown
as a whole number, whose ``value`` is a capacity threshold). Each kind
module subclasses :class:`TargetKind` and overrides what it means; the
defaults here are a count's (no rows, nothing to couple, nothing to
diagnose).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.data.schema import WEIGHTED_SHARE_KINDS

if TYPE_CHECKING:  # annotations only: the kinds sit below the modules that ask them
    from optimizer.data.dataset import Target
    from optimizer.data.instance import Instance
    from optimizer.data.plants import FacilityState
    from optimizer.program.model import PolicyOptions, RetrofitModel
    from optimizer.program.scenarios import ScenarioRows

#: A value within this of what a target requires counts as meeting it.
TOLERANCE = 1e-7


@dataclass
class TargetDiagnosis:
    """One target that no budget can meet, and why."""

    target_id: str
    best_possible: float | None
    required: float
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class Reach:
    """What the diagnosis knows of a single-year question when it asks a kind whether a target is in reach.

    ``available``: per project, can be in service by ``year``; ``service``
    its first in-service year; ``closed``: per facility, closed by order by
    then; ``closures``: those closures (TimedClosure).
    """

    year: int
    available: np.ndarray
    service: np.ndarray
    closed: np.ndarray
    closures: list[Any]
    options: PolicyOptions

    def covered(self, instance: Instance, target: Target) -> np.ndarray:
        """Per facility: covered by ``target`` and not closed by order by then."""
        return instance.covered(target.products) & ~self.closed

    def can_retire(self, instance: Instance) -> np.ndarray:
        """Per facility: a retirement of it can be in service by then."""
        mask = np.zeros(instance.n_facilities, dtype=bool)
        mask[instance.facility[instance.retire & self.available]] = True
        return mask

    def reaches(self, instance: Instance, level: np.ndarray) -> np.ndarray:
        """Per facility: the most its projects in service by then can cut (one per group) brings it to ``level``."""
        return instance.need(level) <= instance.best_reduction(self.available) + 1e-9


@dataclass(frozen=True)
class Coupling:
    """A target's part in the Lagrangian bound: a coupling share row, or facilities each set must bring to baseline.

    ``share``: (covered facilities, weight per facility as a share of the
    covered total, required share, level per facility), or None.
    ``must_reach_baseline``: per facility, or None.
    """

    share: tuple[np.ndarray, np.ndarray, float, np.ndarray] | None = None
    must_reach_baseline: np.ndarray | None = None


@dataclass(frozen=True)
class TargetKind:
    """One kind of target: how its value is measured, required, shown, written into the program and diagnosed.

    ``level`` names the intensity level a share counts facilities at
    (``benchmark`` or ``baseline``; None for a count). ``closes_lines``: the
    kind orders lines closed (see :mod:`optimizer.program.closures`) instead of
    adding rows. ``sense`` is how its requirement reads (≥ a share, ≤ a
    count). ``shows_tightness``: a met value close to the requirement is
    flagged amber in the pack.
    """

    kind: str
    is_share: bool
    label_en: str
    label_zh: str
    value_label_en: str
    value_label_zh: str
    value_max: float | None
    level: str | None = None
    closes_lines: bool = False
    sense: str = "≥"
    shows_tightness: bool = False

    @property
    def weighted(self) -> bool:
        """Its ``value`` is a required share of weighted capacity (the contract says which kinds are)."""
        return self.kind in WEIGHTED_SHARE_KINDS

    # --- labels and format ------------------------------------------------------------------

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

    # --- the program ----------------------------------------------------------------------

    def add_rows(self, model: RetrofitModel, target: Target, label: str, year: int, closest: bool) -> None:
        """The target's rows in ``year`` (``label`` names them); a kind that closes lines adds none."""

    def closed_lines(self, instance: Instance, target: Target) -> np.ndarray:
        """Per facility: closed by order by this target (none, but for a kind that closes lines)."""
        return np.zeros(instance.n_facilities, dtype=bool)

    # --- evaluation -------------------------------------------------------------------------

    def value(self, instance: Instance, target: Target, state: FacilityState) -> float | None:
        """The measured quantity; None when no covered capacity is left to measure."""
        raise NotImplementedError

    def required(self, target: Target, margin: float = 0.0) -> float:
        """What the target requires (with the margin, for the kinds it applies to)."""
        raise NotImplementedError

    def is_met(self, target: Target, value: float | None, margin: float = 0.0) -> bool:
        if value is None:
            return True
        return value >= self.required(target, margin) - TOLERANCE

    def draws(self, instance: Instance, target: Target, retired: np.ndarray,
              flags: dict[str, np.ndarray], draws: int) -> tuple[np.ndarray, np.ndarray]:
        """Its value and whether it is met in each Monte Carlo draw (``flags``: at-level per draw and facility)."""
        raise NotImplementedError

    def scenario_rows(self, model: RetrofitModel, rows: ScenarioRows, target: Target, factor: np.ndarray,
                      label: str, cache: dict) -> None:
        """Its rows in each scenario of the robust pick (none for a kind that closes lines)."""

    # --- diagnosis and bounds ---------------------------------------------------------------

    def unreachable(self, instance: Instance, target: Target, reach: Reach) -> TargetDiagnosis | None:
        """Why no budget can meet it by ``reach.year``; None when some budget can."""
        return None

    def coupling(self, instance: Instance, target: Target, covered: np.ndarray, margin: float) -> Coupling:
        """Its part in the Lagrangian bound (``covered``: its facilities still running)."""
        return Coupling()


def share_of(instance: Instance, target: Target, state: FacilityState, flags: np.ndarray) -> float | None:
    """Weighted share of the covered running facilities that ``flags`` marks; None when none runs."""
    covered = instance.covered(target.products)
    weights = instance.weights(target.weight)
    running = covered & ~state.retired
    total = weights[running].sum()
    if total <= 0:
        return None
    return float(weights[running & flags].sum() / total)


def share_draws(instance: Instance, target: Target, retired: np.ndarray, flags: np.ndarray,
                required: float, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """A share in each draw (``flags``: draws × facilities at the level), and whether it meets ``required``."""
    running = instance.covered(target.products) & ~retired
    weights = instance.weights(target.weight)
    total = weights[running].sum()
    if total <= 0:
        return np.full(draws, np.nan), np.ones(draws, dtype=bool)
    share = (flags[:, running] @ weights[running]) / total
    return share, share >= required - TOLERANCE


def listed_ids(instance: Instance, mask: np.ndarray, listed: int = 5) -> str:
    """Facility ids of ``mask``, the first ``listed`` by name, then "+N"."""
    ids = [str(i) for i in instance.facility_ids[mask]]
    more = f" +{len(ids) - listed}" if len(ids) > listed else ""
    return ", ".join(ids[:listed]) + more
