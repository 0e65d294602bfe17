"""The checked data the optimizer works on: facilities, projects, products, targets.

A :class:`Dataset` is only ever built by :mod:`optimizer.data.checks`, so code
that receives one can rely on it: ids are unique, every project's facility
and every facility's product exist, numbers are finite and in range, and
prerequisites form no cycle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data.schema import TARGETS

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Target:
    """One energy-efficiency target of the plans, as a constraint on the portfolio.

    ``kind`` is ``benchmark_share_min`` (share of covered capacity at benchmark
    >= ``value``), ``baseline_all`` (every covered facility at baseline or
    retired) or ``min_line_capacity`` (covered facilities with capacity below
    ``value`` are retired).
    """

    target_id: str
    kind: str
    products: tuple[str, ...]
    value: float
    weight: str = "capacity"
    year: int | None = None
    name_en: str = ""
    name_zh: str = ""
    source: str = ""
    enabled: bool = True

    def label(self, language: str = "en") -> str:
        name = self.name_zh if language == "zh" else self.name_en
        return name or self.target_id


#: The fuel a project's ``energy_saving_tce`` counts when its ``fuel`` cell is blank.
DEFAULT_FUEL = "coal"


@dataclass(frozen=True)
class EmissionFactors:
    """Factors that turn energy savings into CO2 when a project gives no CO2 figure.

    ``grid_t_per_mwh`` converts ``electricity_saving_mwh``; ``fuels`` maps a
    fuel key (the ``fuel`` column: ``coal``, ``natural_gas``, ``coke``…) to
    tCO2 per tce and converts ``energy_saving_tce``. ``fuel_t_per_tce`` is the
    default fuel's factor (coal), used for blank ``fuel`` cells and for the
    net credit of closures.
    """

    grid_t_per_mwh: float
    fuel_t_per_tce: float
    grid_id: str = ""
    fuel_id: str = ""
    grid_source: str = ""
    fuel_source: str = ""
    fuels: tuple[tuple[str, float], ...] = ()

    @classmethod
    def default(cls) -> EmissionFactors:
        """Fujian's 2023 grid factor and the shipped fuel factors of ``data/emission_factors.csv`` (coal default)."""
        return cls.from_table(load_emission_factors(), "grid_fujian_2023", "fuel_" + DEFAULT_FUEL)

    @classmethod
    def from_table(cls, table: pd.DataFrame, grid_id: str, fuel_id: str,
                   overrides: dict[str, float] | None = None) -> EmissionFactors:
        """Factors from the shipped table; ``overrides`` replaces fuel factors by key (``{"coal": 2.5}``)."""
        grid, fuel = table.loc[grid_id], table.loc[fuel_id]
        fuels = {str(i)[len("fuel_"):]: float(row["value"]) for i, row in table.iterrows() if row["kind"] == "fuel"}
        fuels.update(overrides or {})
        default_key = fuel_id[len("fuel_"):]
        return cls(float(grid["value"]), fuels.get(default_key, float(fuel["value"])), grid_id, fuel_id,
                   str(grid["source"]), str(fuel["source"]), tuple(sorted(fuels.items())))

    def with_changes(self, grid_t_per_mwh: float | None = None,
                     fuels: dict[str, float] | None = None) -> EmissionFactors:
        """The same factors with the grid factor or some fuel factors set by the analyst."""
        merged = dict(self.fuels)
        merged.update(fuels or {})
        default_key = self.fuel_id[len("fuel_"):] if self.fuel_id.startswith("fuel_") else DEFAULT_FUEL
        return replace(self, grid_t_per_mwh=self.grid_t_per_mwh if grid_t_per_mwh is None else float(grid_t_per_mwh),
                       fuel_t_per_tce=merged.get(default_key, self.fuel_t_per_tce),
                       fuels=tuple(sorted(merged.items())))

    def fuel_factor(self, fuel: str | None) -> float:
        """tCO2 per tce of a fuel key; blank is the default fuel."""
        if fuel is None or fuel == "" or (isinstance(fuel, float) and np.isnan(fuel)):
            return self.fuel_t_per_tce
        table = dict(self.fuels)
        if fuel not in table:
            raise ValueError(f"no emission factor for fuel {fuel!r}; known: {', '.join(sorted(table))}")
        return table[fuel]

    def to_dict(self) -> dict:
        """The factors as recorded in every output (tCO2/MWh for the grid, tCO2/tce per fuel)."""
        return {"grid_t_per_mwh": self.grid_t_per_mwh, "grid_id": self.grid_id,
                "default_fuel": self.fuel_id, "fuels_t_per_tce": dict(self.fuels)}


@dataclass
class Dataset:
    """A checked project list with the products and targets it is judged against.

    Attributes
    ----------
    facilities:
        Indexed by ``facility_id``; columns of the contract plus any extras.
    projects:
        Indexed by ``project_id``; ``requires`` holds a tuple of ids and
        ``retire`` a bool; blank numbers are NaN.
    products:
        Indexed by ``product``, with ``benchmark`` and ``baseline``.
    targets:
        The targets, in the order given.
    """

    facilities: pd.DataFrame
    projects: pd.DataFrame
    products: pd.DataFrame
    targets: list[Target]
    name: str = ""
    notes: dict = field(default_factory=dict)

    def with_targets(self, targets: list[Target]) -> Dataset:
        return replace(self, targets=list(targets))

    def targets_table(self) -> pd.DataFrame:
        """The targets as rows of the contract's targets table (products ';'-joined)."""
        return pd.DataFrame([{
            "target_id": t.target_id, "kind": t.kind, "products": ";".join(t.products), "value": t.value,
            "weight": t.weight or "capacity", "year": t.year, "name_en": t.name_en, "name_zh": t.name_zh,
            "source": t.source} for t in self.targets],
            columns=TARGETS.names)

    def facility_levels(self) -> pd.DataFrame:
        """Benchmark and baseline level of each facility's product, aligned to facilities."""
        return self.products.loc[self.facilities["product"], ["benchmark", "baseline"]].set_axis(
            self.facilities.index
        )


def project_fuel_factors(projects: pd.DataFrame, factors: EmissionFactors) -> np.ndarray:
    """tCO2 per tce of the fuel each project saves (the default fuel where ``fuel`` is blank)."""
    if "fuel" not in projects.columns:
        return np.full(len(projects), factors.fuel_t_per_tce)
    keys = projects["fuel"].astype(object).where(projects["fuel"].notna(), None)
    lookup = {key: factors.fuel_factor(key) for key in pd.unique(keys.to_numpy())}
    return np.array([lookup[key] for key in keys.to_numpy()], dtype=float) if len(keys) else np.zeros(0)


def project_co2(projects: pd.DataFrame, factors: EmissionFactors) -> pd.Series:
    """Annual CO2 cut of each project in tCO2, before the closure rule of :func:`optimizer.data.instance.prepare`.

    ``co2_reduction`` is used as given; otherwise energy saved (tce) times the
    factor of the fuel saved plus grid electricity avoided (MWh) times the
    grid factor.
    """
    derived = (projects["energy_saving_tce"].fillna(0.0) * project_fuel_factors(projects, factors)
               + projects["electricity_saving_mwh"].fillna(0.0) * factors.grid_t_per_mwh)
    return projects["co2_reduction"].where(projects["co2_reduction"].notna(), derived).astype(float)


def facility_energy_tce(facilities: pd.DataFrame) -> pd.Series:
    """Annual energy use in tce: capacity times intensity (kgce per unit) / 1000.

    Used as the weight of ``energy``-weighted targets. Converters are net
    energy exporters (negative intensity); their weight is the size of that
    net flow, so they still count in the steel share.
    """
    return (facilities["capacity"] * facilities["energy_intensity"]).abs() / 1000.0


def load_emission_factors() -> pd.DataFrame:
    """The shipped emission factors (a fresh copy: read from disk only when the file changed)."""
    path = DATA_DIR / "emission_factors.csv"
    stat = path.stat()
    return _emission_factors(str(path), stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=4)
def _emission_factors(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"factor_id": str}).set_index("factor_id")


def is_at_level(intensity: np.ndarray | pd.Series, level: np.ndarray | pd.Series) -> np.ndarray:
    """At or better than a level (lower is better), with a tolerance for rounding."""
    return np.asarray(intensity, dtype=float) <= np.asarray(level, dtype=float) + 1e-9


def text_as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects with None for blank, however the frame was made.

    pandas 3 infers a string dtype with NaN for blanks from some sources and
    keeps objects from others; one representation makes datasets comparable.
    """
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
