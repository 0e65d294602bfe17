"""What a choice of projects does to each plant: retired or running, its intensity after, its level.

The plain reading of the plant accounting (``data-format.md``), written
without the model: the targets' values and every report are read through it,
and the model is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.data.dataset import is_at_level
from optimizer.data.instance import Instance


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
