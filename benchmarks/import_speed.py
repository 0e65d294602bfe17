"""How fast a project list goes from the user's file to a checked ``Dataset`` (reading + checks).

    python benchmarks/import_speed.py                       # 100k projects, every shape, CSV and xlsx
    python benchmarks/import_speed.py --sizes 10000 --formats csv
    python benchmarks/import_speed.py --compare d51b8de     # the same files through the code of a commit

Seeded lists of several shapes are written once to a cache folder (``--cache``, default
``/tmp/import_speed``), then each is loaded by ``optimizer.checks.load_dataset`` in a fresh Python
process (so imports and earlier runs do not count): the figure is the wall time of that call, the
median of ``--repeat`` runs (wall and CPU time, the CPU figure counting the reader's child process
too), and the growth of the peak RSS during it (for the isolated call, the forked child's peak
less the parent's RSS before it, which the child starts with). ``--compare REV``
unpacks the ``optimizer`` package of commit REV (``git archive``) into a temporary folder and times
the same files through it in the same run, for before/after figures. ``isolated`` rows time
``optimizer.isolation.load_dataset_isolated`` (the subprocess with limits the CLI uses) where the
code has it. Prints a Markdown table; nothing is asserted (no timed tests).

Shapes (``--shapes``), each at every size in ``--sizes`` (projects):

* ``plain``: English headers, UTF-8, 2.5 projects per facility (100k projects on 40k facilities),
  optional columns sparse;
* ``dense``: every optional column filled (exclusive groups, prerequisites, yes/no words, fuel,
  lead times, CO2 ranges, an extra text column), 12 projects per facility;
* ``zh_gbk``: Chinese headers, GBK encoded, numbers with thousands separators (``"1,500.5"``),
  是/否 for yes/no, 1 project per facility;
* ``flat``: one sheet, one row per project repeating its facility's columns, 4 per facility.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.data.schema import FACILITIES, PROJECTS  # noqa: E402 - after the sys.path line above


class Shape(TypedDict):
    """Projects per facility, dense optional columns, Chinese GBK, flat layout."""

    per_facility: float
    dense: bool
    zh: bool
    flat: bool


SHAPES: dict[str, Shape] = {
    "plain": {"per_facility": 2.5, "dense": False, "zh": False, "flat": False},
    "dense": {"per_facility": 12, "dense": True, "zh": False, "flat": False},
    "zh_gbk": {"per_facility": 1, "dense": False, "zh": True, "flat": False},
    "flat": {"per_facility": 4, "dense": False, "zh": False, "flat": True},
}
PRODUCTS = {  # product key: (sector, median capacity, intensity)
    "caustic_soda_liquid_30": ("petrochemical", 135_000, 330.0),
    "ceramic_tile_mid_absorption": ("building_materials", 2_400_000, 4.1),
    "sinter": ("steel", 2_800_000, 47.0),
    "cement_clinker": ("building_materials", 1_165_000, 108.0),
}


def make_tables(shape: str, n_projects: int, seed: int = 20260601) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facilities and projects as text tables of one shape (cells as the user's file holds them)."""
    spec = SHAPES[shape]
    rng = np.random.default_rng([seed, n_projects, list(SHAPES).index(shape)])
    n_fac = max(1, round(n_projects / spec["per_facility"]))
    keys = np.array(list(PRODUCTS), dtype=object)
    product = keys[rng.integers(0, len(keys), n_fac)]
    sector = np.array([PRODUCTS[p][0] for p in product], dtype=object)
    capacity = np.round(np.array([PRODUCTS[p][1] for p in product]) * rng.lognormal(0, 0.5, n_fac), -2) + 100
    intensity = np.round(np.array([PRODUCTS[p][2] for p in product]) * rng.uniform(0.9, 1.3, n_fac), 2)
    fid = np.array([f"F{i:06d}" for i in range(n_fac)], dtype=object)
    facilities = pd.DataFrame({
        "facility_id": fid, "name": [f"plant {i} line {i % 7}" for i in range(n_fac)], "sector": sector,
        "product": product, "capacity": capacity, "energy_intensity": intensity,
        "district": np.where(rng.random(n_fac) < 0.5, "罗源县", ""),
    })
    # every facility gets at least one project, the rest spread at random
    fac = np.concatenate([np.arange(n_fac), rng.integers(0, n_fac, max(0, n_projects - n_fac))])[:n_projects]
    fac.sort()
    pid = np.array([f"P{i:07d}" for i in range(n_projects)], dtype=object)
    capex = np.round(rng.lognormal(6, 1, n_projects), 1)
    saving = np.round(rng.lognormal(7, 1, n_projects), 1)
    which = rng.integers(0, 3, n_projects)
    blank = np.full(n_projects, "", dtype=object)
    projects = pd.DataFrame({
        "project_id": pid, "facility_id": fid[fac], "name": [f"retrofit {i}" for i in range(n_projects)],
        "category": np.where(which == 2, "solar_rooftop", "process"), "capex": capex,
        "co2_reduction": np.where(which == 0, saving.astype(str), blank),
        "energy_saving_tce": np.where(which == 1, saving.astype(str), blank),
        "electricity_saving_mwh": np.where(which == 2, saving.astype(str), blank),
        "energy_intensity_after": np.where(which == 1, np.round(intensity[fac] * 0.95, 2).astype(str), blank),
        "exclusive_group": blank, "requires": blank, "retire": blank,
    })
    if spec["dense"]:
        first = np.r_[True, fac[1:] != fac[:-1]]
        projects["exclusive_group"] = np.where(rng.random(n_projects) < 0.4, fid[fac] + "-ALT", "")
        projects["requires"] = np.where(~first & (rng.random(n_projects) < 0.2), np.roll(pid, 1), "")
        projects["retire"] = np.where((which != 1) & (rng.random(n_projects) < 0.05), "true", "false")
        projects["annual_saving"] = np.round(capex / rng.uniform(3, 12, n_projects), 1)
        projects["lifetime_years"] = rng.integers(10, 25, n_projects)
        projects["earliest_year"] = rng.integers(2025, 2031, n_projects)
        fuels = np.array(["coal", "natural_gas", "coke"])
        projects["fuel"] = np.where(which == 1, fuels[rng.integers(0, 3, n_projects)], "")
        projects["lead_time_years"] = rng.integers(0, 4, n_projects)
        projects["co2_low"] = np.where(which == 0, np.round(saving * 0.8, 1).astype(str), blank)
        projects["co2_high"] = np.where(which == 0, np.round(saving * 1.2, 1).astype(str), blank)
        projects["owner_note"] = [f"note {i % 97}" for i in range(n_projects)]
    if spec["zh"]:
        for frame in (facilities, projects):
            for column in ("capacity", "capex", "energy_saving_tce", "co2_reduction"):
                if column in frame:
                    frame[column] = [f"{float(v):,.1f}" if str(v) else "" for v in frame[column]]
        projects["retire"] = np.where((which != 1) & (rng.random(n_projects) < 0.05), "是", "否")
        facilities.columns = [FACILITIES.column(c).alias_zh for c in facilities.columns]
        projects.columns = [PROJECTS.column(c).alias_zh for c in projects.columns]
    return facilities, projects


def write_case(folder: Path, shape: str, n_projects: int, formats: list[str]) -> dict[str, Path]:
    """Write the list as a CSV folder (or flat CSV) and an xlsx workbook, once per cache folder."""
    base = folder / f"{shape}_{n_projects}"
    out = {}
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None] | None = None  # made once, when needed
    spec = SHAPES[shape]
    encoding = "gbk" if spec["zh"] else "utf-8"
    for fmt in formats:
        path = base.with_suffix(".xlsx") if fmt == "xlsx" else (base.with_suffix(".csv") if spec["flat"] else base)
        out[fmt] = path
        if path.exists():
            continue
        if tables is None:
            facilities, projects = make_tables(shape, n_projects)
            flat = (projects.merge(facilities.rename(columns={"name": "facility_name"}), on="facility_id")
                    if spec["flat"] else None)
            tables = facilities, projects, flat
        facilities, projects, flat = tables
        tmp = Path(str(path) + ".tmp")
        if fmt == "csv" and flat is not None:
            flat.to_csv(tmp, index=False, encoding=encoding)
        elif fmt == "csv":
            tmp.mkdir(parents=True, exist_ok=True)
            facilities.to_csv(tmp / "facilities.csv", index=False, encoding=encoding)
            projects.to_csv(tmp / "projects.csv", index=False, encoding=encoding)
        else:
            _write_xlsx(tmp, {"Sheet1": flat} if flat is not None else {"facilities": facilities, "projects": projects})
        tmp.rename(path)
    return out


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """Numbers stored as numbers, text as text, the way Excel saves a typed-in list."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            cells = []
            for value in row:
                if isinstance(value, (np.integer, np.floating)):
                    value = value.item()
                elif isinstance(value, str) and value:
                    try:
                        value = float(value.replace(",", ""))
                    except ValueError:
                        pass
                cells.append(None if value == "" else value)
            sheet.append(cells)
    with open(path, "wb") as handle:
        book.save(handle)


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from optimizer.data.checks import load_dataset
try:
    from optimizer.data.isolation import load_dataset_isolated
except ImportError:
    load_dataset_isolated = None
import optimizer.data.reading, optimizer.checks
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
if {mode!r} == "isolated":
    if load_dataset_isolated is None:
        print(json.dumps(None)); sys.exit()
    dataset = load_dataset_isolated({path!r})
else:
    dataset = load_dataset({path!r})
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, usage))
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) - before  # a forked child starts at ours
print(json.dumps({{"seconds": seconds, "cpu": cpu, "mib": peak / 1024, "projects": len(dataset.projects),
                  "facilities": len(dataset.facilities)}}))
"""


class Timing(TypedDict, total=False):
    """What one timed load reports (the child's JSON), or ``error`` alone when it failed."""

    seconds: float
    cpu: float
    mib: float
    projects: int
    facilities: int
    error: str


def time_load(code_root: Path, path: Path, mode: str, repeat: int) -> Timing | None:
    runs: list[Timing] = []
    for _ in range(repeat):
        child = CHILD.format(root=str(code_root), path=str(path), mode=mode)
        done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, cwd=code_root,
                              timeout=900, check=False)
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        result: Timing | None = json.loads(done.stdout.strip().splitlines()[-1])
        if result is None:
            return None
        runs.append(result)
    best = runs[0].copy()
    best["seconds"] = statistics.median(r["seconds"] for r in runs)
    best["cpu"] = statistics.median(r["cpu"] for r in runs)
    best["mib"] = max(r["mib"] for r in runs)
    return best


def unpack_commit(rev: str, into: Path) -> Path:
    """The optimizer package (and data/) of commit ``rev``, unpacked into ``into``."""
    archive = subprocess.run(["git", "archive", rev, "optimizer", "data"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    parser.add_argument("--repeat", type=int, default=3, help="runs per CSV case (median); xlsx runs once")
    parser.add_argument("--compare", metavar="REV", help="also time the code of this commit (before)")
    parser.add_argument("--no-isolated", action="store_true", help="skip the load_dataset_isolated rows")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "import_speed")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    codes = [("this tree", ROOT)]
    scratch = None
    if args.compare:
        scratch = tempfile.TemporaryDirectory()
        codes.insert(0, (args.compare, unpack_commit(args.compare, Path(scratch.name))))
    print(f"import speed: load_dataset in a fresh process; machine nproc {os.cpu_count()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, repeat {args.repeat} (median)\n")
    print("| shape | projects | facilities | format | file MB | code | call | wall s | CPU s | peak RSS growth MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for shape in args.shapes:
            paths = write_case(args.cache, shape, size, args.formats)
            for fmt, path in paths.items():
                mb = (sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size) / 1e6
                for label, root in codes:
                    modes = ["direct"] + ([] if args.no_isolated else ["isolated"])
                    for mode in modes:
                        result = time_load(root, path, mode, 1 if fmt == "xlsx" else args.repeat)
                        if result is None:
                            continue
                        if "error" in result:
                            print(f"| {shape} | {size:,} | | {fmt} | {mb:.1f} | {label} | {mode} | error: "
                                  f"{result['error'][:80]} | | |", flush=True)
                            continue
                        print(f"| {shape} | {result['projects']:,} | {result['facilities']:,} | {fmt} | "
                              f"{mb:.1f} | {label} | {mode} | {result['seconds']:.2f} | {result['cpu']:.2f} | "
                              f"{result['mib']:.0f} |", flush=True)
    if scratch:
        scratch.cleanup()


if __name__ == "__main__":
    main()
