"""Judging raw tables against the contract, and building a :class:`Dataset` from them.

Every problem is collected, never just the first, and each names the file,
the spreadsheet row and the column. No row is silently dropped: a row is
either in the dataset or in a problem.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import defaultdict

import numpy as np
import pandas as pd

from .dataset import DATA_DIR, Dataset, Target, text_as_objects
from .problems import DataError, Problem
from .reading import RawTable, read_path
from .schema import (
    FACILITIES, FALSE_WORDS, PRODUCTS, PROJECTS, SECTOR_ALIASES, TARGET_KINDS, TARGET_WEIGHTS, TARGETS,
    TRUE_WORDS, Column, TableSpec, canonical_header, unescape_cell,
)

#: Numbers beyond this are taken as a unit mistake (1e12 万元 is 10^16 CNY).
MAX_NUMBER = 1e12
#: Longest text cell kept.
MAX_TEXT = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def load_dataset(path, name: str = "") -> Dataset:
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

    if "facilities" not in by_name and "projects" not in by_name and len(by_name.get("flat", [])) == 1:
        facilities, projects = _split_flat(by_name["flat"][0], problems)
    else:
        found = ", ".join(t.file for t in tables) or "—"
        for required in ("facilities", "projects"):
            if required not in by_name:
                problems.append(Problem("missing_table", details={"table": required, "found": found}))
        if problems:
            raise DataError(problems)
        facilities = _parse_table(by_name["facilities"][0], FACILITIES, problems)
        projects = _parse_table(by_name["projects"][0], PROJECTS, problems)

    products = reference_products if reference_products is not None else shipped_products()
    if "products" in by_name:
        own = _parse_table(by_name["products"][0], PRODUCTS, problems)
        if own is not None:
            _check_levels(own, problems)
            own = own.set_index("product")
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
        own_targets = _parse_table(by_name["targets"][0], TARGETS, problems)
        if own_targets is not None:
            targets = _targets_from_frame(own_targets, products, problems)

    if facilities is None or projects is None:
        raise DataError(problems)
    for table, rows in (("facilities", facilities), ("projects", projects)):
        if len(rows) == 0:
            problems.append(Problem("empty_file", table))

    _check_facilities(facilities, products, problems)
    _check_projects(projects, facilities, products, problems)
    if problems:
        raise DataError(problems)
    facilities = facilities.drop(columns=["src_file", "src_row"]).set_index("facility_id")
    projects = projects.drop(columns=["src_file", "src_row"]).set_index("project_id")
    projects["retire"] = projects["retire"].fillna(False).astype(bool)
    return Dataset(text_as_objects(facilities), text_as_objects(projects), products, list(targets), name=name)


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


def _parse_table(table: RawTable, spec: TableSpec, problems: list[Problem]) -> pd.DataFrame | None:
    """Typed columns of one table, or None when a required column is missing."""
    frame = table.frame.copy()
    frame.columns = [canonical_header(c, spec) for c in frame.columns]
    missing = [c for c in spec.columns if c.required and c.name not in frame.columns]
    for column in missing:
        problems.append(Problem("missing_column", table.file, 1, details={
            "column": column.name, "alias": column.alias_zh, "suggestion": _suggest_header(column, frame.columns)}))
    if missing:
        return None
    frame = frame.loc[:, ~frame.columns.duplicated()]
    out = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        cells = frame[column.name] if column.name in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        out[column.name] = _parse_cells(cells, column, table, problems)
    for extra in frame.columns.difference(spec.names, sort=False):
        out[extra] = [_clean_text(v) for v in frame[extra]]
    out["src_file"] = table.file
    out["src_row"] = table.rows
    _check_unique(out, spec.key, table, problems)
    return out


def _parse_cells(cells: pd.Series, column: Column, table: RawTable, problems: list[Problem]) -> list:
    values = []
    for row, cell in zip(table.rows, cells):
        try:
            value = _parse_cell(cell, column)
        except _CellError as error:
            problems.append(Problem(error.code, table.file, row, column.name, error.details))
            value = None
        if value is None and column.required:
            if not any(p.row == row and p.column == column.name and p.file == table.file for p in problems[-1:]):
                problems.append(Problem("required_empty", table.file, row, column.name))
        values.append(value)
    return values


class _CellError(Exception):
    def __init__(self, code: str, **details):
        self.code, self.details = code, details


def _present(value) -> bool:
    """A parsed value that is there (blank numbers become NaN in a frame)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _is_blank(cell) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or (isinstance(cell, str) and not cell.strip())


def _parse_cell(cell, column: Column):
    if _is_blank(cell):
        return False if column.type == "bool" else None
    if column.type == "text":
        text = _clean_text(cell)
        if len(text) > MAX_TEXT:
            raise _CellError("text_too_long", length=len(text), limit=MAX_TEXT)
        return text
    if column.type == "list":
        return tuple(part.strip() for part in re.split(r"[;；,，]", _clean_text(cell)) if part.strip())
    if column.type == "bool":
        word = str(cell).strip().lower()
        if isinstance(cell, bool):
            return cell
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _CellError("not_bool", value=_shown(cell))
    number = _number(cell)
    if column.type == "integer":
        if number != int(number):
            raise _CellError("not_integer", value=_shown(cell))
        return int(number)
    if column.type == "nonnegative" and number < 0:
        raise _CellError("negative", value=_shown(cell))
    if column.type == "positive" and number <= 0:
        raise _CellError("not_positive", value=_shown(cell))
    return number


def _number(cell) -> float:
    if isinstance(cell, bool):
        raise _CellError("not_a_number", value=_shown(cell))
    if isinstance(cell, (int, float, np.integer, np.floating)):
        number = float(cell)
    else:
        text = unicodedata.normalize("NFKC", str(cell)).strip().replace(",", "").replace(" ", "")
        try:
            number = float(text)
        except ValueError:
            raise _CellError("not_a_number", value=_shown(cell)) from None
    if not math.isfinite(number):
        raise _CellError("not_finite", value=_shown(cell))
    if abs(number) > MAX_NUMBER:
        raise _CellError("too_large_value", value=_shown(cell), limit=MAX_NUMBER)
    return number


def _clean_text(cell) -> str:
    if _is_blank(cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # an id typed as 101 in Excel arrives as 101.0
    return unescape_cell(_CONTROL.sub("", str(cell)).strip())


def _shown(cell) -> str:
    text = str(cell)
    return text if len(text) <= 40 else text[:37] + "..."


def _suggest_header(column: Column, present) -> str:
    candidates = {str(c): str(c) for c in present}
    match = difflib.get_close_matches(column.name, list(candidates), n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(column.alias_zh, list(candidates), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'? / 是否为“{match[0]}”？" if match else ""


def _check_unique(frame: pd.DataFrame, key: str, table: RawTable, problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for value, row in zip(frame[key], frame["src_row"]):
        if value is None:
            continue
        if value in first:
            problems.append(Problem("duplicate_id", table.file, row, key, {"value": value, "first_row": first[value]}))
        else:
            first[value] = row


def _check_levels(products: pd.DataFrame, problems: list[Problem]) -> None:
    for row in products.itertuples():
        if _present(row.benchmark) and _present(row.baseline) and row.benchmark > row.baseline:
            problems.append(Problem("baseline_better_than_benchmark", row.src_file, row.src_row, "benchmark",
                                    {"benchmark": row.benchmark, "baseline": row.baseline}))
    products["sector"] = [SECTOR_ALIASES.get(str(s).strip().lower(), s) for s in products["sector"]]


# --- cross-table checks -----------------------------------------------------


def _check_facilities(facilities: pd.DataFrame, products: pd.DataFrame, problems: list[Problem]) -> None:
    sectors = []
    for row in facilities.itertuples():
        sector = SECTOR_ALIASES.get(str(row.sector).strip().lower()) if row.sector else None
        if row.sector and sector is None:
            problems.append(Problem("unknown_sector", row.src_file, row.src_row, "sector", {"value": row.sector}))
        sectors.append(sector or row.sector)
        if row.product and row.product not in products.index:
            problems.append(Problem("unknown_product", row.src_file, row.src_row, "product", {
                "value": row.product, "suggestion": _suggest_value(row.product, products.index)}))
        elif (row.product and _present(row.energy_intensity) and row.energy_intensity <= 0
              and not _exports_energy(products, row.product)):
            problems.append(Problem("not_positive", row.src_file, row.src_row, "energy_intensity",
                                    {"value": row.energy_intensity}))
    facilities["sector"] = sectors


def _exports_energy(products: pd.DataFrame, product) -> bool:
    """A product whose benchmark is <= 0 (a converter): its lines may have negative intensity."""
    if product not in products.index:
        return False
    benchmark = products.at[product, "benchmark"]
    return _present(benchmark) and benchmark <= 0


def _check_projects(projects: pd.DataFrame, facilities: pd.DataFrame, products: pd.DataFrame,
                    problems: list[Problem]) -> None:
    known_facilities = set(facilities["facility_id"].dropna())
    # Negative intensities are real only for net energy exporters (products with a benchmark <= 0).
    exporters = {f for f, p in zip(facilities["facility_id"], facilities["product"]) if _exports_energy(products, p)}
    known_projects = set(projects["project_id"].dropna())
    for row in projects.itertuples():
        if row.facility_id and row.facility_id not in known_facilities:
            problems.append(Problem("unknown_facility", row.src_file, row.src_row, "facility_id", {
                "value": row.facility_id, "suggestion": _suggest_value(row.facility_id, known_facilities)}))
        for required in row.requires or ():
            if required == row.project_id:
                problems.append(Problem("requires_itself", row.src_file, row.src_row, "requires"))
            elif required not in known_projects:
                problems.append(Problem("unknown_requirement", row.src_file, row.src_row, "requires", {"value": required}))
        if not row.retire and not any(_present(getattr(row, c))
                                      for c in ("co2_reduction", "energy_saving_tce", "electricity_saving_mwh")):
            # (a retirement with no figure is credited net of replacement output at benchmark)
            problems.append(Problem("no_saving", row.src_file, row.src_row, "co2_reduction"))
        if row.retire and _present(row.energy_intensity_after):
            problems.append(Problem("retire_with_intensity", row.src_file, row.src_row, "energy_intensity_after"))
        if _present(row.energy_intensity_after) and row.energy_intensity_after <= 0 and row.facility_id not in exporters:
            problems.append(Problem("not_positive", row.src_file, row.src_row, "energy_intensity_after",
                                    {"value": row.energy_intensity_after}))
    _check_cycles(projects, problems)


def _check_cycles(projects: pd.DataFrame, problems: list[Problem]) -> None:
    """Report each prerequisite cycle once, at the row of its first project."""
    graph = {row.project_id: [r for r in (row.requires or ()) if r != row.project_id]
             for row in projects.itertuples() if row.project_id}
    rows = dict(zip(projects["project_id"], zip(projects["src_file"], projects["src_row"])))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset] = set()
    for start in graph:
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
                    problems.append(Problem("requires_cycle", file, row, "requires", {"cycle": " → ".join(cycle)}))
            elif child in graph and not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph[child])))


def _suggest_value(value: str, known) -> str:
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
        if row.kind == "benchmark_share_min" and _present(row.value) and row.value > 1:
            problems.append(Problem("share_above_one", row.src_file, row.src_row, "value", {"value": row.value}))
            bad = True
        if not bad and weight == "capacity" and row.kind == "benchmark_share_min" and "unit" in products.columns:
            units = sorted({str(u).strip() for u in products.loc[list(row.products), "unit"]
                            if pd.notna(u) and str(u).strip()})
            if len(units) > 1:
                problems.append(Problem("mixed_units", row.src_file, row.src_row, "weight", {"units": ", ".join(units)}))
                bad = True
        if not bad and row.target_id and _present(row.value):
            targets.append(Target(row.target_id, row.kind, tuple(row.products), float(row.value), weight,
                                  row.year, row.name_en or "", row.name_zh or "", row.source or ""))
    return targets


# --- the flat one-sheet layout ----------------------------------------------

#: In the flat layout these headers name the facility's own name column.
_FLAT_FACILITY_NAME = {"facility_name", "设施名称", "名称", "工厂名称"}


def _split_flat(table: RawTable, problems: list[Problem]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Split one row-per-project sheet into facilities and projects.

    Facility columns repeat on each row of a facility; rows that disagree are
    an error naming them, never resolved by picking one.
    """
    headers = {}
    for header in table.frame.columns:
        text = str(header).strip()
        if text.lower() in _FLAT_FACILITY_NAME:
            headers[str(header)] = "facility_name"
        else:
            as_project = canonical_header(header, PROJECTS)
            headers[str(header)] = as_project if as_project in PROJECTS.names else canonical_header(header, FACILITIES)
    renamed = table.frame.copy()
    renamed.columns = [headers[str(c)] for c in renamed.columns]
    facility_columns = ["facility_id"] + [c for c in FACILITIES.names if c not in ("facility_id", "name")]
    facility_part = renamed[[c for c in renamed.columns if c in facility_columns or c == "facility_name"]]
    facility_part = facility_part.rename(columns={"facility_name": "name"})
    facility_raw = RawTable("facilities", table.file, facility_part, table.rows)
    facility_problems: list[Problem] = []
    all_facilities = _parse_table(facility_raw, FACILITIES, facility_problems)
    # A facility id repeats on every row of its projects: that is the layout, not a duplicate.
    problems.extend(p for p in facility_problems if p.code != "duplicate_id")
    project_part = renamed[[c for c in renamed.columns if c not in facility_columns[1:] and c != "facility_name"]]
    projects = _parse_table(RawTable("projects", table.file, project_part, table.rows), PROJECTS, problems)
    if all_facilities is None:
        return None, projects
    facilities = []
    for facility_id, group in all_facilities.groupby("facility_id", sort=False, dropna=True):
        for column in FACILITIES.names[1:]:
            values = {v for v in group[column] if _present(v)}
            if len(values) > 1:
                problems.append(Problem("flat_conflict", table.file, int(group["src_row"].iloc[0]), column, {
                    "facility": facility_id, "column": column,
                    "rows": ", ".join(str(r) for r in group["src_row"])}))
        facilities.append(group.iloc[0])
    return pd.DataFrame(facilities, columns=all_facilities.columns).reset_index(drop=True), projects
