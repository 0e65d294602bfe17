"""Judging raw tables against the contract, and building a :class:`Dataset` from them.

Every problem is collected, never just the first, and each names the file,
the spreadsheet row and the column (by the header the user wrote). No row is
silently dropped: a row is either in the dataset or in a problem.

Columns are parsed whole (:mod:`optimizer.data.parsing`) and the checks across
tables are vectorised, so a province-wide list of 100,000 projects is checked
in a fraction of a second; Python visits single rows only to word problems.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data.dataset import DATA_DIR, Dataset, Target, load_emission_factors, text_as_objects
from optimizer.data.parsing import (
    MAX_CELL_PROBLEMS,
    MAX_NUMBER,
    MAX_TEXT,
    Cells,
    clean_text,
    parse_column,
)
from optimizer.data.problems import DataError, Problem
from optimizer.data.reading import RawTable, read_path
from optimizer.data.schema import (
    ELECTRICITY_WORDS,
    FACILITIES,
    FUEL_ALIASES,
    PRODUCTS,
    PROJECTS,
    SECTOR_ALIASES,
    TARGET_KINDS,
    TARGET_WEIGHTS,
    TARGETS,
    WEIGHTED_SHARE_KINDS,
    Column,
    TableSpec,
    canonical_header,
    reserved,
)

__all__ = [
    "MAX_NUMBER",
    "MAX_TEXT",
    "build_dataset",
    "known_fuels",
    "load_dataset",
    "shipped_products",
    "shipped_targets",
]

#: Whole-number columns that must also be 0 or more.
NONNEGATIVE_INTEGERS = {"lead_time_years"}
#: Unknown ids get a "did you mean" for this many rows; beyond, the search over every id costs too much.
MAX_SUGGESTIONS = 50


def load_dataset(path: str | Path, name: str = "") -> Dataset:
    """Read and check a project list from a folder, workbook, zip or flat CSV."""
    return build_dataset(read_path(path), name=name or str(path))


def build_dataset(tables: list[RawTable], name: str = "",
                  reference_products: pd.DataFrame | None = None,
                  reference_targets: list[Target] | None = None) -> Dataset:
    """Check raw tables and build the dataset, or raise :class:`DataError` with every problem."""
    problems: list[Problem] = []
    by_name: dict[str, list[RawTable]] = defaultdict(list)
    for table in tables:
        by_name[table.name].append(table)
    for table_name, group in by_name.items():
        if table_name != "flat" and len(group) > 1:
            # Two sheets or files for one table: which one is meant is the user's call, never ours.
            first, second = _label(group[0]), _label(group[1])
            if first == second:  # one name twice in a zip
                second += " (2)"
            problems.append(Problem("ambiguous_table", group[1].file, details={
                "table": table_name, "first": first, "second": second}))
    if problems:
        raise DataError(_one_per_cell(problems))

    if "facilities" not in by_name and "projects" not in by_name and len(by_name.get("flat", [])) == 1:
        problems += by_name["flat"][0].problems
        facilities, projects = _split_flat(by_name["flat"][0], problems)
    else:
        found = ", ".join(t.file for t in tables) or "—"
        for required in ("facilities", "projects"):
            if required not in by_name:
                problems.append(Problem("missing_table", details={"table": required, "found": found}))
        if problems:
            raise DataError(_one_per_cell(problems))
        for table in by_name["facilities"] + by_name["projects"]:
            problems += table.problems
        facilities = _parse_table(by_name["facilities"][0], FACILITIES, problems)
        projects = _parse_table(by_name["projects"][0], PROJECTS, problems)

    products = reference_products if reference_products is not None else shipped_products()
    if "products" in by_name:
        problems += by_name["products"][0].problems
        parsed = _parse_table(by_name["products"][0], PRODUCTS, problems)
        if parsed is not None:
            _check_levels(parsed, problems)
            own = parsed.frame.set_index("product")
            extras = [c for c in own.columns if c not in PRODUCTS.names and c not in ("src_file", "src_row")]
            own = own.loc[~own.index.duplicated(), [*products.columns.intersection(own.columns), *extras]]
            # An overriding row keeps the shipped names and units where it leaves them blank (not the
            # shipped source: that cites the shipped levels).
            described = own.columns.intersection(["name_en", "name_zh", "unit", "intensity_unit"])
            shipped = products.loc[products.index.intersection(own.index), described]
            own = own.combine_first(shipped).loc[own.index, own.columns]
            products = pd.concat([products[~products.index.isin(own.index)], own])
    targets = reference_targets if reference_targets is not None else shipped_targets()
    if "targets" in by_name:
        problems += by_name["targets"][0].problems
        own_targets = _parse_table(by_name["targets"][0], TARGETS, problems)
        if own_targets is not None:
            targets = _targets_from_frame(own_targets.frame, products, problems)

    if facilities is None or projects is None:
        raise DataError(_one_per_cell(problems))
    for label, rows in (("facilities", facilities), ("projects", projects)):
        if len(rows.frame) == 0:
            problems.append(Problem("empty_file", label))

    _check_facilities(facilities, products, problems)
    _check_projects(projects, facilities.frame, products, problems)
    if problems:
        raise DataError(_one_per_cell(problems))
    facilities = _keyed(facilities.frame, "facility_id")
    projects = _keyed(projects.frame, "project_id")
    projects["retire"] = projects["retire"].fillna(False).astype(bool)
    return Dataset(text_as_objects(facilities), text_as_objects(projects), products, list(targets), name=name)


def _one_per_cell(problems: list[Problem]) -> list[Problem]:
    """Drop "is empty" and "no saving" where the cell holds a formula without a saved result: one message."""
    formulas = {(p.file, p.row, p.column) for p in problems if p.code == "formula_without_value"}
    if not formulas:
        return problems
    rows = {(file, row) for file, row, column in formulas
            if column in ("co2_reduction", "energy_saving_tce", "electricity_saving_mwh")}
    return [p for p in problems
            if not (p.code == "required_empty" and (p.file, p.row, p.column) in formulas)
            and not (p.code == "no_saving" and (p.file, p.row) in rows)]


def _keyed(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The table indexed by its id, as pandas' own string index (the type the model code has seen)."""
    frame = frame.drop(columns=["src_file", "src_row"]).set_index(key)
    frame.index = frame.index.astype("str")
    return frame


def _label(table: RawTable) -> str:
    label = table.origin or table.file
    return f"{label} (hidden / 隐藏)" if table.hidden else label


def shipped_products() -> pd.DataFrame:
    """The national benchmark and baseline levels shipped in ``data/products.csv``."""
    return pd.read_csv(DATA_DIR / "products.csv", dtype={"product": str}).set_index("product")


def shipped_targets() -> list[Target]:
    """The plan targets shipped in ``data/targets.csv``."""
    frame = pd.read_csv(DATA_DIR / "targets.csv", dtype=str, keep_default_na=False)
    return [_target(row) for row in frame.to_dict("records")]


def _target(row: dict) -> Target:
    return Target(
        target_id=str(row["target_id"]), kind=str(row["kind"]),
        products=tuple(p.strip() for p in str(row["products"]).split(";") if p.strip()),
        value=float(row["value"]), weight=str(row.get("weight") or "capacity"),
        year=int(float(row["year"])) if str(row.get("year") or "").strip() not in ("", "nan") else None,
        name_en=str(row.get("name_en") or ""), name_zh=str(row.get("name_zh") or ""),
        source=str(row.get("source") or ""),
    )


# --- tables -----------------------------------------------------------------


def _parse_table(table: RawTable, spec: TableSpec, problems: list[Problem], unique: bool = True) -> Parsed | None:
    """Typed columns of one table, or None when a required column is missing or ambiguous.

    The frame has the spec's columns, the user's extra columns (cleaned text,
    under their cleaned header), ``src_file`` and ``src_row`` (where each row
    is in the file). :class:`Parsed` also keeps, per contract column, the rows
    whose cell had a problem, so later checks do not pile a second message on
    it ("nothing filled in" after "'abc' is not a number").
    """
    frame = table.frame
    written = [str(h) for h in (table.headers if table.headers is not None else frame.columns)]
    if len(written) != frame.shape[1]:
        written = [str(h) for h in frame.columns]
    shown_headers = [_header_label(h, i) for i, h in enumerate(written)]
    names = [canonical_header(h, spec) for h in shown_headers]
    missing = [c for c in spec.columns if c.required and c.name not in names]
    for column in missing:
        problems.append(Problem("missing_column", table.file, 1, details={
            "column": column.name, "alias": column.alias_zh, "suggestion": _suggest_header(column, shown_headers)}))
    positions: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        positions[name].append(i)
    ambiguous = False
    for name, where in positions.items():
        if name in spec.names and len(where) > 1:
            ambiguous = True
            problems.append(Problem("duplicate_column", table.file, 1, name, {
                "first": shown_headers[where[0]].strip(), "second": shown_headers[where[1]].strip(), "column": name},
                header=shown_headers[where[1]].strip()))
    extras = []
    for name, where in positions.items():
        if name in spec.names:
            continue
        if spec.name in ("facilities", "projects") and reserved(name, spec.name):
            ambiguous = True
            problems.append(Problem("reserved_column", table.file, 1, name, {
                "header": shown_headers[where[0]].strip(), "suggestion": f"my_{name}"},
                header=shown_headers[where[0]].strip()))
            continue
        # Repeated extra headers are kept apart the way pandas names them (note, note.1, ...).
        extras += [(name if k == 0 else f"{name}.{k}", i) for k, i in enumerate(where)]
    if missing or ambiguous:
        return None
    rows = np.asarray(table.rows, dtype=np.int64)
    n = frame.shape[0]
    out: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    for column in spec.columns:
        if column.name in positions:
            i = positions[column.name][0]
            cells, header = frame.iloc[:, i].to_numpy(dtype=object), shown_headers[i].strip()
        else:
            cells, header = np.full(n, None, dtype=object), column.name
        located = Cells(table.file, rows, column.name, header, problems)
        out[column.name], bad[column.name] = parse_column(cells, column, located,
                                                          nonnegative=column.name in NONNEGATIVE_INTEGERS)
    for name, i in extras:
        if name not in out:
            out[name] = clean_text(frame.iloc[:, i].to_numpy(dtype=object)).to_numpy(dtype=object)
    # Object columns stay objects (pandas would infer its Arrow string type, then convert back, twice).
    result = pd.DataFrame({k: pd.Series(v, dtype=object if v.dtype == object else v.dtype, copy=False)
                           for k, v in out.items()}, index=pd.RangeIndex(n))
    result["src_file"] = table.file
    result["src_row"] = rows
    headers = {c.name: shown_headers[positions[c.name][0]].strip() if c.name in positions else c.name
               for c in spec.columns}
    parsed = Parsed(result, bad, headers)
    if unique:
        _check_unique(parsed, spec.key, table, problems)
    return parsed


def _header_label(header: str, position: int) -> str:
    """A header as pandas would name it: a blank header cell is ``Unnamed: <position>``."""
    return header if header.strip() else f"Unnamed: {position}"


@dataclass
class Parsed:
    """A parsed table: the typed ``frame`` (with ``src_file`` and ``src_row``), per contract column
    the rows whose cell had a problem (``bad``), and each column's header as the user wrote it."""

    frame: pd.DataFrame
    bad: dict[str, np.ndarray]
    headers: dict[str, str]

    def is_bad(self, column: str) -> np.ndarray:
        bad = self.bad.get(column)
        return np.zeros(len(self.frame), bool) if bad is None else bad

    def header(self, column: str) -> str:
        return self.headers.get(column, "")

    def subset(self, keep: np.ndarray) -> Parsed:
        return Parsed(self.frame[keep].reset_index(drop=True), {k: v[keep] for k, v in self.bad.items()},
                      self.headers)


def _suggest_header(column: Column, present: list[str]) -> str:
    candidates = {str(c): str(c) for c in present}
    match = difflib.get_close_matches(column.name, list(candidates), n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(column.alias_zh, list(candidates), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'? / 是否为“{match[0]}”？" if match else ""


def _check_unique(parsed: Parsed, key: str, table: RawTable, problems: list[Problem]) -> None:
    values = parsed.frame[key]
    present = values.notna().to_numpy()
    repeated = values.duplicated(keep="first").to_numpy() & present
    if not repeated.any():
        return
    codes, uniques = pd.factorize(values)
    first_position = np.zeros(len(uniques), np.int64)
    seen, first = np.unique(codes[present], return_index=True)
    first_position[seen] = np.flatnonzero(present)[first]
    rows = parsed.frame["src_row"].to_numpy()
    where = Cells(table.file, rows, key, parsed.header(key), problems)
    where.report("duplicate_id", np.flatnonzero(repeated),
                 lambda i: {"value": values.iat[i], "first_row": int(rows[first_position[codes[i]]])})


def _check_levels(parsed: Parsed, problems: list[Problem]) -> None:
    products = parsed.frame
    for row in products.itertuples():
        if _present(row.benchmark) and _present(row.baseline) and row.benchmark > row.baseline:
            problems.append(Problem("baseline_better_than_benchmark", row.src_file, row.src_row, "benchmark",
                                    {"benchmark": row.benchmark, "baseline": row.baseline},
                                    header=parsed.header("benchmark")))
    products["sector"] = [SECTOR_ALIASES.get(str(s).strip().lower(), s) for s in products["sector"]]


def _present(value: object) -> bool:
    """A parsed value that is there (blank numbers are NaN in a frame)."""
    return value is not None and not (isinstance(value, float) and np.isnan(value))


# --- cross-table checks -----------------------------------------------------


class _Found:
    """Problems of the cross-table checks, put in the order the row-by-row checks gave them."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed, frame = parsed, parsed.frame
        self.rows = frame["src_row"].to_numpy()
        self.files = frame["src_file"].to_numpy()
        self.items: list[tuple[int, int, Problem]] = []
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, code: str, positions: np.ndarray | list[int], column: str,
            details: Callable[[int], dict[str, object]] = lambda i: {}) -> None:
        for i in np.asarray(positions, dtype=np.int64):
            key = (code, column)
            self.counts[key] += 1
            if self.counts[key] > MAX_CELL_PROBLEMS:
                continue
            self.items.append((int(i), len(self.items), Problem(
                code, str(self.files[i]), int(self.rows[i]), column, details(int(i)),
                header=self.parsed.header(column))))

    def flush(self, problems: list[Problem]) -> None:
        problems += [p for _, _, p in sorted(self.items, key=lambda item: item[:2])]
        for (code, column), count in self.counts.items():
            if count > MAX_CELL_PROBLEMS:
                problems.append(Problem("more_problems", str(self.files[0]), None, column,
                                        {"count": count - MAX_CELL_PROBLEMS}, header=self.parsed.header(column)))


def _check_facilities(parsed: Parsed, products: pd.DataFrame, problems: list[Problem]) -> None:
    found, facilities = _Found(parsed), parsed.frame
    sector = facilities["sector"]
    given = sector.notna().to_numpy() & (sector.astype(object) != "").to_numpy()
    mapped = sector.astype(object).where(given, "").astype(str).str.strip().str.lower().map(SECTOR_ALIASES)
    unknown = given & mapped.isna().to_numpy()
    found.add("unknown_sector", np.flatnonzero(unknown), "sector", lambda i: {"value": sector.iat[i]})
    facilities["sector"] = mapped.where(mapped.notna(), sector).astype(object)
    product = facilities["product"]
    has_product = product.notna().to_numpy() & (product.astype(object) != "").to_numpy()
    known = product.isin(products.index).to_numpy()
    suggest = _suggester(products.index)
    found.add("unknown_product", np.flatnonzero(has_product & ~known), "product",
              lambda i: {"value": product.iat[i], "suggestion": suggest(product.iat[i], i)})
    intensity = facilities["energy_intensity"].to_numpy(dtype=float)
    exporter = product.map(_exporters(products)).fillna(False).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        low = has_product & known & ~np.isnan(intensity) & (intensity <= 0) & ~exporter
    found.add("not_positive", np.flatnonzero(low), "energy_intensity", lambda i: {"value": intensity[i]})
    found.flush(problems)


def _exporters(products: pd.DataFrame) -> pd.Series:
    """Products whose benchmark is <= 0 (converters): their lines may have negative intensity."""
    benchmark = pd.to_numeric(products["benchmark"], errors="coerce")
    return (benchmark <= 0) & benchmark.notna()


def _suggester(known: pd.Index | np.ndarray) -> Callable[[object, int], str]:
    """"did you mean" for the first few unknown values (each search scans every known id)."""
    choices = [str(k) for k in known]
    asked: dict[str, str] = {}

    def suggest(value: object, _position: int) -> str:
        text = str(value)
        if text not in asked:
            asked[text] = _suggest_value(text, choices) if len(asked) < MAX_SUGGESTIONS else ""
        return asked[text]
    return suggest


def _check_projects(parsed: Parsed, facilities: pd.DataFrame, products: pd.DataFrame,
                    problems: list[Problem]) -> None:
    found, projects = _Found(parsed), parsed.frame
    facility = projects["facility_id"]
    project_id = projects["project_id"]
    has_facility = facility.notna().to_numpy()
    known_facility = facility.isin(facilities["facility_id"].dropna()).to_numpy()
    suggest = _suggester(pd.unique(facilities["facility_id"].dropna()))
    found.add("unknown_facility", np.flatnonzero(has_facility & ~known_facility), "facility_id",
              lambda i: {"value": facility.iat[i], "suggestion": suggest(facility.iat[i], i)})

    # Prerequisites, one entry per (row, required id), in the order written.
    requires = projects["requires"].to_numpy(dtype=object)
    listed = np.flatnonzero(pd.notna(requires))
    counts = np.fromiter(map(len, requires[listed]), np.int64, len(listed))
    req_pos = np.repeat(listed, counts)
    req_ids = pd.Series(np.fromiter(chain.from_iterable(requires[listed]), object, int(counts.sum())), dtype=object)
    itself = (req_ids.to_numpy() == project_id.to_numpy()[req_pos]) if len(req_pos) else np.zeros(0, bool)
    unknown = ~itself & ~req_ids.isin(project_id.dropna()).to_numpy()
    for entry in np.flatnonzero(itself | unknown):  # only the entries in error
        if itself[entry]:
            found.add("requires_itself", [req_pos[entry]], "requires")
        else:
            required = req_ids.iat[entry]  # details are worded inside add(), before the loop moves on
            found.add("unknown_requirement", [req_pos[entry]], "requires", lambda i: {"value": required})

    savings = ("co2_reduction", "energy_saving_tce", "electricity_saving_mwh")
    given = np.zeros(len(projects), bool)
    for column in savings:  # a refused cell was filled in: its own message says what is wrong
        given |= projects[column].notna().to_numpy() | parsed.is_bad(column)
    after = projects["energy_intensity_after"].to_numpy(dtype=float)
    has_after = ~np.isnan(after)
    retire = projects["retire"].fillna(False).to_numpy(dtype=bool)
    # A retirement with no figure is credited net of replacement output at benchmark (the model does it).
    found.add("no_saving", np.flatnonzero(~given & ~retire), "co2_reduction")
    found.add("retire_with_intensity", np.flatnonzero(retire & has_after), "energy_intensity_after")
    exporting = facilities.loc[facilities["product"].map(_exporters(products)).fillna(False).to_numpy(dtype=bool),
                               "facility_id"]
    with np.errstate(invalid="ignore"):
        low = has_after & (after <= 0) & ~facility.isin(exporting).to_numpy()
    found.add("not_positive", np.flatnonzero(low), "energy_intensity_after", lambda i: {"value": after[i]})

    _check_fuel(projects, found)
    _check_co2_range(projects, found)
    found.flush(problems)
    _check_cycles(parsed, problems)


@lru_cache(maxsize=1)
def known_fuels() -> dict[str, str]:
    """Words accepted in the ``fuel`` column, mapped to their key (``fuel_<key>`` in the emission factors)."""
    factors = load_emission_factors()
    keys = {i[len("fuel_"):] for i in factors.index if str(i).startswith("fuel_")}
    words = {key: key for key in keys}
    words.update({alias: key for alias, key in FUEL_ALIASES.items() if key in keys})
    for factor_id, row in factors.iterrows():
        if str(factor_id).startswith("fuel_"):
            key = str(factor_id)[len("fuel_"):]
            for name in (row.get("name_zh"), row.get("name_en")):
                if isinstance(name, str) and name.strip():
                    words.setdefault(name.strip().lower().replace(" ", "_"), key)
    return words


def _check_fuel(projects: pd.DataFrame, found: _Found) -> None:
    """The fuel of ``energy_saving_tce``: a known factor's key (aliases mapped to it), never electricity."""
    fuel = projects["fuel"]
    given = fuel.notna().to_numpy()
    if not given.any():
        return
    words = fuel.astype(object).where(given, "").astype(str).str.strip().str.lower().str.replace(" ", "_")
    words = words.str.replace(r"^fuel_", "", regex=True)
    fuels = known_fuels()
    key = words.map(fuels)
    electric = given & words.isin(ELECTRICITY_WORDS).to_numpy()
    unknown = given & ~electric & key.isna().to_numpy()
    found.add("electricity_as_fuel", np.flatnonzero(electric), "fuel", lambda i: {"value": fuel.iat[i]})
    listed = ", ".join(sorted(set(fuels.values())) + sorted(w for w in fuels if not w.isascii()))
    found.add("unknown_fuel", np.flatnonzero(unknown), "fuel", lambda i: {"value": fuel.iat[i], "known": listed})
    canonical = given & key.notna().to_numpy()
    projects["fuel"] = np.where(canonical, key.to_numpy(dtype=object), fuel.to_numpy(dtype=object))


def _check_co2_range(projects: pd.DataFrame, found: _Found) -> None:
    """``co2_low <= co2_reduction <= co2_high`` where given, and ``co2_low <= co2_high``."""
    low, high = projects["co2_low"].to_numpy(dtype=float), projects["co2_high"].to_numpy(dtype=float)
    if np.isnan(low).all() and np.isnan(high).all():
        return
    value = projects["co2_reduction"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        low_wrong = (low > high) | (low > value)
        high_wrong = ~low_wrong & (value > high)

    def details(i: int) -> dict[str, object]:
        return {k: ("—" if np.isnan(v) else f"{v:g}")
                for k, v in (("low", low[i]), ("value", value[i]), ("high", high[i]))}
    found.add("co2_range_order", np.flatnonzero(low_wrong), "co2_low", details)
    found.add("co2_range_order", np.flatnonzero(high_wrong), "co2_high", details)


def _check_cycles(parsed: Parsed, problems: list[Problem]) -> None:
    """Report each prerequisite cycle once, at the row of its first project.

    Projects that cannot be on a cycle are peeled off first, all at once per
    round (no prerequisite left among the remaining projects); only what is
    left, usually nothing, is walked one project at a time.
    """
    projects = parsed.frame
    ids = projects["project_id"].to_numpy(dtype=object)
    requires = projects["requires"].to_numpy(dtype=object)
    listed = np.flatnonzero(pd.notna(requires) & pd.notna(ids))
    if not len(listed):
        return
    counts = np.fromiter(map(len, requires[listed]), np.int64, len(listed))
    source = np.repeat(listed, counts)
    target_ids = np.fromiter(chain.from_iterable(requires[listed]), object, int(counts.sum()))
    index = pd.Index(ids)
    first = ~index.duplicated(keep="first")
    lookup = pd.Series(np.arange(len(ids)), index=index)[first]
    target = lookup.reindex(target_ids).to_numpy()
    keep = ~np.isnan(target)
    source, target = source[keep], target[keep].astype(np.int64)
    keep = source != target  # requiring itself is reported on its own
    source, target = source[keep], target[keep]
    alive = np.zeros(len(ids), bool)
    alive[source] = True
    while True:
        live_edges = alive[source] & alive[target]
        out_degree = np.bincount(source[live_edges], minlength=len(ids))
        peel = alive & (out_degree == 0)
        if not peel.any():
            break
        alive &= ~peel
    if not alive.any():
        return
    graph: dict[str, list[str]] = {}
    for s_, t_ in zip(source, target):
        if alive[s_] and alive[t_]:
            graph.setdefault(ids[s_], []).append(ids[t_])
    order = [ids[i] for i in np.flatnonzero(alive) if ids[i] in graph]
    rows = dict(zip(ids, zip(projects["src_file"], projects["src_row"])))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()
    for start in order:
        if state.get(start):
            continue
        stack = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif child in graph and state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    file, row = rows[cycle[0]]
                    problems.append(Problem("requires_cycle", file, int(row), "requires",
                                            {"cycle": " → ".join(cycle)}, header=parsed.header("requires")))
            elif child in graph and not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph[child])))


def _suggest_value(value: str, known: pd.Index | list[str]) -> str:
    match = difflib.get_close_matches(str(value), [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'? / 是否为“{match[0]}”？" if match else ""


def _targets_from_frame(frame: pd.DataFrame, products: pd.DataFrame, problems: list[Problem]) -> list[Target]:
    targets = []
    for row in frame.itertuples():
        bad = not row.kind  # a blank kind is already reported as required_empty
        if row.kind and row.kind not in TARGET_KINDS:
            problems.append(Problem("unknown_target_kind", row.src_file, row.src_row, "kind", {"value": row.kind}))
            bad = True
        weight = row.weight or "capacity"
        if weight not in TARGET_WEIGHTS:
            problems.append(Problem("unknown_weight", row.src_file, row.src_row, "weight", {"value": weight}))
            bad = True
        for product in row.products or ():
            if product not in products.index:
                problems.append(Problem("unknown_product", row.src_file, row.src_row, "products", {
                    "value": product, "suggestion": _suggest_value(product, products.index)}))
                bad = True
        weighted = row.kind in WEIGHTED_SHARE_KINDS
        if weighted and _present(row.value) and row.value > 1:
            problems.append(Problem("share_above_one", row.src_file, row.src_row, "value", {"value": row.value}))
            bad = True
        if not bad and weight == "capacity" and weighted and "unit" in products.columns:
            units = sorted({str(u).strip() for u in products.loc[list(row.products), "unit"]
                            if pd.notna(u) and str(u).strip()})
            if len(units) > 1:
                problems.append(Problem("mixed_units", row.src_file, row.src_row, "weight",
                                        {"units": ", ".join(units)}))
                bad = True
        if not bad and row.target_id and _present(row.value):
            targets.append(Target(row.target_id, row.kind, tuple(row.products), float(row.value), weight,
                                  int(row.year) if _present(row.year) else None, row.name_en or "",
                                  row.name_zh or "", row.source or ""))
    return targets


# --- the flat one-sheet layout ----------------------------------------------

#: In the flat layout these headers name the facility's own name column.
_FLAT_FACILITY_NAME = {"facility_name", "设施名称", "名称", "工厂名称"}


def _split_flat(table: RawTable, problems: list[Problem]) -> tuple[Parsed | None, Parsed | None]:
    """Split one row-per-project sheet into facilities and projects.

    Facility columns repeat on each row of a facility; rows that disagree are
    an error naming them, never resolved by picking one.
    """
    written = [str(h) for h in (table.headers if table.headers is not None else table.frame.columns)]
    if len(written) != table.frame.shape[1]:
        written = [str(h) for h in table.frame.columns]
    written = [_header_label(h, i) for i, h in enumerate(written)]
    facility_columns = ["facility_id"] + [c for c in FACILITIES.names if c not in ("facility_id", "name")]
    facility_at, project_at = [], []
    for i, header in enumerate(written):
        if header.strip().lower() in _FLAT_FACILITY_NAME:
            facility_at.append((i, "name"))
            continue
        as_project = canonical_header(header, PROJECTS)
        name = as_project if as_project in PROJECTS.names else canonical_header(header, FACILITIES)
        if name in facility_columns:
            facility_at.append((i, header))
        if name not in facility_columns[1:]:
            project_at.append(i)
    facility_part = table.frame.iloc[:, [i for i, _ in facility_at]]
    facility_raw = RawTable("facilities", table.file, facility_part, table.rows,
                            headers=[h for _, h in facility_at])
    # A facility id repeats on every row of its projects: that is the layout, not a duplicate.
    all_facilities = _parse_table(facility_raw, FACILITIES, problems, unique=False)
    project_raw = RawTable("projects", table.file, table.frame.iloc[:, project_at], table.rows,
                           headers=[written[i] for i in project_at])
    projects = _parse_table(project_raw, PROJECTS, problems)
    if all_facilities is None:
        return None, projects
    with_id = all_facilities.subset(all_facilities.frame["facility_id"].notna().to_numpy())
    frame = with_id.frame
    groups = frame.groupby("facility_id", sort=False)
    for column in FACILITIES.names[1:]:
        varies = groups[column].nunique(dropna=True)
        for facility_id in varies.index[varies.to_numpy() > 1]:
            rows = frame.loc[frame["facility_id"] == facility_id, "src_row"]
            problems.append(Problem("flat_conflict", table.file, int(rows.iloc[0]), column, {
                "facility": facility_id, "column": column, "rows": ", ".join(str(r) for r in rows)},
                header=all_facilities.header(column)))
    return with_id.subset(~frame["facility_id"].duplicated(keep="first").to_numpy()), projects
