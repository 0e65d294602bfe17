"""The numbers of one optimisation, as arrays: data kept apart from the model.

An :class:`Instance` is computed once from a :class:`~optimizer.dataset.Dataset`
and its emission factors. The model builder, the target evaluation, the
ranking heuristic and the diagnosis all read it, so each of them indexes
projects and facilities the same way (by position).

The plant accounting of ``data-format.md`` is fixed here, once:

* a project's effect on its facility's intensity is its *reduction*,
  ``energy_intensity - energy_intensity_after`` (blank = 0, negative when it
  raises intensity); reductions of chosen projects add up;
* a retirement with a blank ``co2_reduction`` is credited *net* of the same
  output made elsewhere at benchmark intensity:
  ``capacity x (intensity - benchmark) / 1000`` tce times the fuel factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from optimizer.data.dataset import (
    Dataset,
    EmissionFactors,
    facility_energy_tce,
    is_at_level,
    project_co2,
    project_fuel_factors,
)
from optimizer.data.schema import DEFAULT_LIFETIME_YEARS

#: Lead time (years from start to service) of a project that gives none.
DEFAULT_LEAD_TIME = 1


#: Marks a derived array an instance was built without (see Instance.__post_init__).
_UNSET = np.empty(0)


def _unset() -> np.ndarray:
    return _UNSET


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

    # Derived arrays: prepare() fills them from the dataset; an instance built by hand (tests,
    # benchmarks) may leave them out and gets the contract's defaults in __post_init__.
    #: Intensity reduction of each project (facility's intensity unit); 0 for blank and for retirements.
    reduction: np.ndarray = field(default_factory=_unset)
    #: Energy saved per year, tce (given, or reduction x capacity, or a closure's net saving).
    energy_saving_tce: np.ndarray = field(default_factory=_unset)
    #: Grid electricity avoided per year, MWh.
    electricity_saving_mwh: np.ndarray = field(default_factory=_unset)
    #: First year a project can start (NaN: any year) and its lead time in years.
    earliest_year: np.ndarray = field(default_factory=_unset)
    lead_time: np.ndarray = field(default_factory=_unset)
    #: Sector of each facility.
    sector: np.ndarray = field(default_factory=_unset)
    #: Operating cost saved per year, 万元 (blank: 0), and economic lifetime in years (blank: 15).
    annual_saving: np.ndarray = field(default_factory=_unset)
    lifetime: np.ndarray = field(default_factory=_unset)

    def __post_init__(self) -> None:
        n = len(self.project_ids)
        defaults = {
            "reduction": lambda: reductions(self.intensity[self.facility] if n else np.zeros(0),
                                            self.intensity_after, self.retire),
            "energy_saving_tce": lambda: self.reduction * self.capacity[self.facility] / 1000.0 if n else np.zeros(0),
            "electricity_saving_mwh": lambda: np.zeros(n),
            "earliest_year": lambda: np.full(n, np.nan),
            "lead_time": lambda: np.full(n, DEFAULT_LEAD_TIME, dtype=int),
            "sector": lambda: np.full(len(self.facility_ids), "", dtype=object),
            "annual_saving": lambda: np.zeros(n),
            "lifetime": lambda: np.full(n, DEFAULT_LIFETIME_YEARS),
        }
        for name, make in defaults.items():  # in order: energy saving reads the reduction
            if getattr(self, name) is _UNSET:
                object.__setattr__(self, name, make())

    @property
    def n_projects(self) -> int:
        return len(self.project_ids)

    @property
    def n_facilities(self) -> int:
        return len(self.facility_ids)

    @cached_property
    def group_of(self) -> np.ndarray:
        """Each project's exclusive group number, or -1."""
        group_of = np.full(self.n_projects, -1)
        for number, members in enumerate(self.groups):
            group_of[members] = number
        return group_of

    @cached_property
    def projects_of(self) -> tuple[np.ndarray, ...]:
        """The project positions of each facility, grouped once (no per-facility search)."""
        order = np.argsort(self.facility, kind="stable")
        bounds = np.searchsorted(self.facility[order], np.arange(self.n_facilities + 1))
        return tuple(order[bounds[f]:bounds[f + 1]] for f in range(self.n_facilities))

    @cached_property
    def can_retire(self) -> np.ndarray:
        """Facilities with at least one retirement project."""
        flags = np.zeros(self.n_facilities, dtype=bool)
        flags[self.facility[self.retire]] = True
        return flags

    @property
    def structural(self) -> np.ndarray:
        """Projects whose CO2 is structural (closures) rather than technical (retrofits)."""
        return self.retire

    def need(self, level: np.ndarray) -> np.ndarray:
        """Per facility: the intensity reduction still needed to reach ``level`` (≤ 0: already there)."""
        return self.intensity - level

    def best_reduction(self, available: np.ndarray | None = None) -> np.ndarray:
        """Per facility: the most its (``available``) projects can cut intensity, one per exclusive group."""
        best = np.zeros(self.n_facilities)
        positive = (self.reduction > 0) & ~self.retire
        if available is not None:
            positive &= available
        loose = positive & (self.group_of < 0)
        np.add.at(best, self.facility[loose], self.reduction[loose])
        grouped = np.flatnonzero(positive & (self.group_of >= 0))
        if len(grouped):
            frame = pd.DataFrame({"f": self.facility[grouped], "g": self.group_of[grouped],
                                  "r": self.reduction[grouped]})
            top = frame.groupby(["f", "g"])["r"].max().groupby(level=0).sum()
            best[top.index.to_numpy()] += top.to_numpy()
        return best

    def reaches(self, level: np.ndarray) -> np.ndarray:
        """Projects that bring their facility to ``level`` (a per-facility array) or better on their own."""
        after = self.intensity[self.facility] - self.reduction
        return ~self.retire & (self.reduction > 0) & is_at_level(after, level[self.facility])

    def covered(self, products: tuple[str, ...]) -> np.ndarray:
        """Facilities whose product is one of ``products``."""
        return np.isin(self.product, list(products))

    def weights(self, weight: str) -> np.ndarray:
        """Per-facility weight of a share target: capacity, or annual energy use in tce."""
        return self.energy_tce if weight == "energy" else self.capacity


def reductions(current: np.ndarray, intensity_after: np.ndarray, retire: np.ndarray) -> np.ndarray:
    """``current - after`` per project; blank ``after`` (and every retirement) changes nothing."""
    cut = np.asarray(current, dtype=float) - np.asarray(intensity_after, dtype=float)
    return np.where(np.isnan(cut) | np.asarray(retire, dtype=bool), 0.0, cut)


def prepare(dataset: Dataset, factors: EmissionFactors | None = None) -> Instance:
    """Turn a checked dataset into arrays, converting savings to CO2 with ``factors``."""
    factors = factors or EmissionFactors.default()
    facilities, projects = dataset.facilities, dataset.projects
    facility_position = pd.Index(facilities.index).get_indexer(projects["facility_id"])
    project_index = pd.Index(projects.index)
    levels = dataset.facility_levels()
    capacity = facilities["capacity"].to_numpy(dtype=float)
    intensity = facilities["energy_intensity"].to_numpy(dtype=float)
    benchmark = levels["benchmark"].to_numpy(dtype=float)
    retire = projects["retire"].to_numpy(dtype=bool)

    reduction = reductions(intensity[facility_position], projects["energy_intensity_after"].to_numpy(dtype=float),
                           retire)
    co2 = project_co2(projects, factors).to_numpy(dtype=float)
    energy = projects["energy_saving_tce"].to_numpy(dtype=float)
    energy = np.where(np.isnan(energy), reduction * capacity[facility_position] / 1000.0, energy)
    # A closure with no CO2 figure: its output is made elsewhere at benchmark intensity.
    net_tce = capacity[facility_position] * (intensity[facility_position] - benchmark[facility_position]) / 1000.0
    closure = retire & projects["co2_reduction"].isna().to_numpy()
    co2 = np.where(closure, net_tce * project_fuel_factors(projects, factors)
                   + projects["electricity_saving_mwh"].fillna(0.0).to_numpy(dtype=float) * factors.grid_t_per_mwh,
                   co2)
    energy = np.where(retire, net_tce, energy)

    groups = _groups(projects["exclusive_group"])
    prerequisites = _prerequisites(projects["requires"], project_index)
    lead = projects["lead_time_years"] if "lead_time_years" in projects.columns else pd.Series(np.nan, projects.index)
    earliest = projects["earliest_year"] if "earliest_year" in projects.columns else pd.Series(np.nan, projects.index)
    saving = _number_column(projects, "annual_saving").fillna(0.0)
    lifetime = _number_column(projects, "lifetime_years").fillna(DEFAULT_LIFETIME_YEARS)
    return Instance(
        project_ids=projects.index.to_numpy(dtype=object),
        facility=facility_position,
        capex=projects["capex"].to_numpy(dtype=float),
        co2=co2,
        retire=retire,
        intensity_after=projects["energy_intensity_after"].to_numpy(dtype=float),
        groups=groups,
        prerequisites=prerequisites,
        facility_ids=facilities.index.to_numpy(dtype=object),
        product=facilities["product"].to_numpy(dtype=object),
        capacity=capacity,
        intensity=intensity,
        benchmark=benchmark,
        baseline=levels["baseline"].to_numpy(dtype=float),
        energy_tce=facility_energy_tce(facilities).to_numpy(dtype=float),
        reduction=reduction,
        energy_saving_tce=energy,
        electricity_saving_mwh=projects["electricity_saving_mwh"].fillna(0.0).to_numpy(dtype=float),
        earliest_year=pd.to_numeric(earliest, errors="coerce").to_numpy(dtype=float),
        lead_time=pd.to_numeric(lead, errors="coerce").fillna(DEFAULT_LEAD_TIME).to_numpy(dtype=float).astype(int),
        sector=facilities["sector"].to_numpy(dtype=object),
        annual_saving=saving.to_numpy(dtype=float),
        lifetime=lifetime.to_numpy(dtype=float),
    )


def _number_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """An optional numeric column as floats (NaN where blank or absent)."""
    if name not in frame.columns:
        return pd.Series(np.nan, frame.index, dtype=float)
    return pd.to_numeric(frame[name], errors="coerce").astype(float)


def _groups(column: pd.Series) -> tuple[np.ndarray, ...]:
    """Positions of the projects of each exclusive group with two or more members."""
    labels = column.astype(object).where(column.notna() & (column.astype(str) != ""), None)
    codes, _ = pd.factorize(labels, use_na_sentinel=True)
    members = np.flatnonzero(codes >= 0)
    if not len(members):
        return ()
    order = members[np.argsort(codes[members], kind="stable")]
    splits = np.flatnonzero(np.diff(codes[order])) + 1
    return tuple(chunk for chunk in np.split(order, splits) if len(chunk) > 1)


def _prerequisites(column: pd.Series, index: pd.Index) -> tuple[tuple[int, int], ...]:
    """(project, prerequisite) position pairs; "P1;P1" names one prerequisite once."""
    pairs = column[column.map(bool, na_action="ignore").fillna(False).astype(bool)]
    if pairs.empty:
        return ()
    exploded = pairs.explode()
    projects = index.get_indexer(exploded.index)
    required = index.get_indexer(exploded.to_numpy())
    return tuple(dict.fromkeys(zip(projects.tolist(), required.tolist())))
