"""The numbers of one optimisation, as arrays: data kept apart from the model.

An :class:`Instance` is computed once from a :class:`~optimizer.dataset.Dataset`
and its emission factors. The model builder, the target evaluation, the
ranking heuristic and the diagnosis all read it, so each of them indexes
projects and facilities the same way (by position).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .dataset import Dataset, EmissionFactors, facility_energy_tce, is_at_level, project_co2


@dataclass(frozen=True)
class Instance:
    """Projects and facilities by position, with what the model needs of each.

    Project arrays have one entry per project; facility arrays one per facility.
    ``facility`` maps each project to its facility's position.
    """

    project_ids: np.ndarray
    facility: np.ndarray
    capex: np.ndarray
    co2: np.ndarray
    retire: np.ndarray
    intensity_after: np.ndarray
    groups: tuple[np.ndarray, ...]
    prerequisites: tuple[tuple[int, int], ...]

    facility_ids: np.ndarray
    product: np.ndarray
    capacity: np.ndarray
    intensity: np.ndarray
    benchmark: np.ndarray
    baseline: np.ndarray
    energy_tce: np.ndarray

    @property
    def n_projects(self) -> int:
        return len(self.project_ids)

    @cached_property
    def group_of(self) -> np.ndarray:
        """Each project's exclusive group number, or -1."""
        group_of = np.full(self.n_projects, -1)
        for number, members in enumerate(self.groups):
            group_of[members] = number
        return group_of

    def reaches(self, level: np.ndarray) -> np.ndarray:
        """Projects that bring their facility to ``level`` (a per-facility array) or better."""
        after = self.intensity_after
        return ~np.isnan(after) & is_at_level(np.nan_to_num(after, nan=np.inf), level[self.facility])

    def covered(self, products: tuple[str, ...]) -> np.ndarray:
        """Facilities whose product is one of ``products``."""
        return np.isin(self.product, list(products))

    def weights(self, weight: str) -> np.ndarray:
        """Per-facility weight of a share target: capacity, or annual energy use in tce."""
        return self.energy_tce if weight == "energy" else self.capacity


def prepare(dataset: Dataset, factors: EmissionFactors | None = None) -> Instance:
    """Turn a checked dataset into arrays, converting savings to CO2 with ``factors``."""
    factors = factors or EmissionFactors.default()
    facilities, projects = dataset.facilities, dataset.projects
    position = pd.Series(np.arange(len(facilities)), index=facilities.index)
    project_position = pd.Series(np.arange(len(projects)), index=projects.index)
    levels = dataset.facility_levels()

    group_column = projects["exclusive_group"].fillna("").astype(str)
    grouped = group_column[group_column != ""]
    groups = tuple(project_position[ids].to_numpy() for _, ids in grouped.groupby(grouped).groups.items()
                   if len(ids) > 1)
    prerequisites = tuple(dict.fromkeys(  # "P1;P1" names one prerequisite once
        (int(project_position[pid]), int(project_position[req]))
        for pid, reqs in projects["requires"].items() if reqs for req in reqs
    ))
    return Instance(
        project_ids=projects.index.to_numpy(dtype=object),
        facility=position[projects["facility_id"]].to_numpy(),
        capex=projects["capex"].to_numpy(dtype=float),
        co2=project_co2(projects, factors).to_numpy(dtype=float),
        retire=projects["retire"].to_numpy(dtype=bool),
        intensity_after=projects["energy_intensity_after"].to_numpy(dtype=float),
        groups=groups,
        prerequisites=prerequisites,
        facility_ids=facilities.index.to_numpy(dtype=object),
        product=facilities["product"].to_numpy(dtype=object),
        capacity=facilities["capacity"].to_numpy(dtype=float),
        intensity=facilities["energy_intensity"].to_numpy(dtype=float),
        benchmark=levels["benchmark"].to_numpy(dtype=float),
        baseline=levels["baseline"].to_numpy(dtype=float),
        energy_tce=facility_energy_tce(facilities).to_numpy(dtype=float),
    )
