"""The run record: which data, solver and settings produced a portfolio.

Every output (the command line's JSON, the CSV, every workbook, the meeting
pack) carries one :class:`RunRecord`, so a portfolio can be reproduced and
defended: ``python -m optimizer rerun RECORD`` solves again from it and says
exactly what differs.

The data is identified by :func:`optimizer.data.canonical.data_hash`, the
SHA-256 of the dataset's tables in their canonical form.
"""

from __future__ import annotations

import functools
import json
import math
import subprocess
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.data.canonical import data_hash
from optimizer.data.dataset import Dataset
from optimizer.data.plain import jsonable

if TYPE_CHECKING:  # solve imports nothing from here, but loads PuLP: only for the annotations
    from optimizer.solving.solve import PortfolioResult, SolverSettings

RECORD_VERSION = 1
ROOT = Path(__file__).resolve().parents[2]

#: Fields whose difference makes a rerun "not identical" (exit status non-zero).
DECISIVE = ("data_sha256", "solver", "solver_version", "status", "selected")


@dataclass(frozen=True)
class RunRecord:
    """Which data, solver and settings produced a result, and what came out.

    ``settings`` is a plain dict (objective, budget, co2_goal, targets on/off
    and values, emission factors, discount rate, and whatever later settings
    such as margin, horizon or budgets per year), so new settings travel
    without changing this class. ``outcome`` holds what the solve gave
    (status, selected project ids, CO2 cut, spend): a rerun compares against it.
    ``data_path`` names where the command line read the data (None in the app;
    a workbook carries its data tables instead, see :mod:`optimizer.outputs.export`).
    """

    dataset_name: str
    data_sha256: str
    product_version: str
    solver: str
    solver_version: str
    requested_gap: float | None
    proven_gap: float | None
    time_limit: float | None
    settings: dict = field(default_factory=dict, hash=False)
    timestamp: str = ""
    illustrative: bool = False
    data_path: str | None = None
    outcome: dict = field(default_factory=dict, hash=False)
    record_version: int = RECORD_VERSION

    def to_dict(self) -> dict:
        return jsonable(asdict(self))

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict) -> RunRecord:
        """Build from :meth:`to_dict` output; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in fields(cls)}
        missing = {"dataset_name", "data_sha256", "solver"} - set(data)
        if missing:
            raise ValueError(f"not a run record: missing {', '.join(sorted(missing))}")
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("product_version", "unknown")
        values.setdefault("solver_version", "unknown")
        for key in ("requested_gap", "proven_gap", "time_limit"):
            values.setdefault(key, None)
        values["settings"] = dict(values.get("settings") or {})
        values["outcome"] = dict(values.get("outcome") or {})
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        return cls.from_dict(json.loads(text))

    def rows(self) -> list[tuple[str, object]]:
        """The record as (field, value) rows, settings and outcome flattened as ``settings.KEY``.

        This is the layout of the ``run_record`` sheet; :meth:`from_rows` reads it back.
        """
        rows: list[tuple[str, object]] = []
        for key, value in self.to_dict().items():
            if key in ("settings", "outcome"):
                rows += [(f"{key}.{k}", v) for k, v in value.items()]
            else:
                rows.append((key, value))
        return rows

    @classmethod
    def from_rows(cls, rows: list[tuple[str, object]]) -> RunRecord:
        data: dict = {"settings": {}, "outcome": {}}
        for key, value in rows:
            head, _, rest = str(key).partition(".")
            if head in ("settings", "outcome") and rest:
                data[head][rest] = value
            else:
                data[str(key)] = value
        return cls.from_dict(data)


# --- versions ---------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def product_version() -> str:
    """``git describe`` of the checkout this code runs from, else the package version, else ``unknown``."""
    if (ROOT / ".git").exists():
        try:
            done = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--tags"],
                                  capture_output=True, text=True, timeout=5)
            if done.returncode == 0 and done.stdout.strip():
                return "git " + done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    for name in ("retrofit-optimizer", "optimizer"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


@functools.lru_cache(maxsize=4)
def solver_version(solver: str) -> str:
    """The solver's package version, with PuLP's (which builds and reads the model)."""
    package = {"highs": "highspy", "cbc": "cbcbox"}.get(solver, solver)
    parts = []
    for name in (package, "pulp"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} unknown")
    return "; ".join(parts)


# --- making and comparing records -------------------------------------------


def is_illustrative(dataset: Dataset) -> bool:
    """The shipped sample marks every row's source as ILLUSTRATIVE; outputs must say so too."""
    if dataset.notes.get("illustrative"):
        return True
    return any(frame["source"].astype(str).str.startswith("ILLUSTRATIVE").any()
               for frame in (dataset.facilities, dataset.projects) if "source" in frame.columns)


def make_record(dataset: Dataset, result: PortfolioResult, *, solver_settings: SolverSettings, settings: dict,
                data_path: str | None = None,
                when: datetime | None = None, data_sha256: str | None = None) -> RunRecord:
    """The record of ``result`` (a :class:`~optimizer.solve.PortfolioResult`) solved on ``dataset``.

    ``dataset`` is the data as loaded, before any target edit (those are in
    ``settings``), so its hash names the file the analyst holds.
    ``data_sha256``: that hash if already computed (the command line's
    reader computes it beside the reading).
    """
    proven = result.gap if result.gap is None or math.isfinite(result.gap) else None
    return RunRecord(
        dataset_name=dataset.name, data_sha256=data_sha256 or data_hash(dataset), product_version=product_version(),
        solver=solver_settings.solver, solver_version=solver_version(solver_settings.solver),
        requested_gap=solver_settings.gap, proven_gap=proven, time_limit=solver_settings.time_limit,
        settings=dict(settings),
        timestamp=(when or datetime.now(UTC)).isoformat(timespec="seconds"),
        illustrative=is_illustrative(dataset), data_path=data_path,
        outcome=outcome_of(result),
    )


def outcome_of(result: PortfolioResult) -> dict:
    return jsonable({"status": result.status, "selected": sorted(result.selected),
                      "co2_reduction_t": result.co2_reduction_t, "spend": result.spend})


@dataclass(frozen=True)
class Difference:
    """One way a rerun differs from its record."""

    field: str
    recorded: object
    now: object
    decisive: bool

    def text(self) -> str:
        if self.field == "selected":
            was, now = _id_set(self.recorded), _id_set(self.now)
            return (f"selected: {len(was)} recorded, {len(now)} now; only in the record: "
                    f"{', '.join(sorted(was - now)) or '—'}; only now: {', '.join(sorted(now - was)) or '—'}")
        return f"{self.field}: recorded {self.recorded!r}, now {self.now!r}"


def compare(recorded: RunRecord, now: RunRecord) -> list[Difference]:
    """What differs between a record and the record of its rerun.

    Data hash, solver, solver version, status and selection are decisive (a
    rerun is identical only without them); CO2 cut, spend, proven gap and the
    product version are reported too.
    """
    differences: list[Difference] = []

    def check(name: str, was: object, is_: object, decisive: bool) -> None:
        if was != is_:
            differences.append(Difference(name, was, is_, decisive))

    def check_close(name: str, was: float | None, is_: float | None) -> None:
        """Numbers equal within rounding (None only equals None); never decisive."""
        if was is not None and is_ is not None:
            same = math.isclose(float(was), float(is_), rel_tol=1e-9, abs_tol=1e-6)
        else:
            same = was == is_
        if not same:
            differences.append(Difference(name, was, is_, False))

    check("data_sha256", recorded.data_sha256, now.data_sha256, True)
    check("solver", recorded.solver, now.solver, True)
    check("solver_version", recorded.solver_version, now.solver_version, True)
    check("status", recorded.outcome.get("status"), now.outcome.get("status"), True)
    check("selected", sorted(recorded.outcome.get("selected") or []), sorted(now.outcome.get("selected") or []), True)
    check_close("co2_reduction_t", recorded.outcome.get("co2_reduction_t"), now.outcome.get("co2_reduction_t"))
    check_close("spend", recorded.outcome.get("spend"), now.outcome.get("spend"))
    check_close("proven_gap", recorded.proven_gap, now.proven_gap)
    check("product_version", recorded.product_version, now.product_version, False)
    return differences


def _id_set(selected: object) -> set[str]:
    """The project ids of an outcome's ``selected`` (a list; nothing when absent)."""
    return set(selected) if isinstance(selected, (list, tuple, set, frozenset)) else set()
