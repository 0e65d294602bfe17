"""Import checks on real files: every problem code, where it is reported, and files that must load.

Each broken input is written to disk as bytes (CSV) or by openpyxl / pandas
(xlsx) and loaded through :func:`optimizer.load_dataset`, the way the
command line and the app read it. A problem must name the file, the
spreadsheet row (header = row 1) and the column, and be told in Chinese too.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer import DataError, load_dataset, shipped_products
from optimizer.data.checks import MAX_NUMBER, MAX_TEXT, build_dataset
from optimizer.data.problems import MESSAGES, Problem
from optimizer.data.reading import MAX_FILE_BYTES, MAX_ROWS, read_bytes

from .conftest import TINY_FACILITIES, TINY_PROJECTS, write_tables

CJK = re.compile(r"[\u4e00-\u9fff]")

#: Message codes with a test below; checked against MESSAGES so a new code cannot go untested.
TESTED_CODES: set[str] = set()


# --- helpers ----------------------------------------------------------------


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def csv_text(rows: list[dict], header: list[str] | None = None) -> str:
    header = header or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def edited(text: str, row: int, **cells) -> str:
    """``text`` (a CSV) with cells of spreadsheet row ``row`` (header = 1) replaced."""
    rows = rows_of(text)
    rows[row - 2].update(cells)
    return csv_text(rows, list(rows_of(text)[0]))


def problems_of(path) -> list[Problem]:
    """Load ``path`` expecting a DataError, and return its problems."""
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    problems = caught.value.problems
    assert problems, "a DataError must carry at least one problem"
    for problem in problems:  # every message renders in both languages
        problem.text("en")
        problem.text("zh")
    return problems


def expect(problems: list[Problem], code: str, file: str | None = None, row: int | None | str = "any",
           column: str | None = None, details: dict | None = None, **more) -> Problem:
    """The problem with ``code`` at file/row/column; its Chinese text must contain Chinese."""
    TESTED_CODES.add(code)
    details = {**(details or {}), **more}
    matches = [p for p in problems if p.code == code
               and (file is None or p.file == file)
               and (row == "any" or p.row == row)
               and (column is None or p.column == column)
               and all(str(p.details.get(k)) == str(v) for k, v in details.items())]
    assert matches, f"no {code} at {file} row {row} column {column} {details} among:\n" + "\n".join(
        f"  {p.code} {p.file!r} {p.row} {p.column!r} {p.details}" for p in problems)
    problem = matches[0]
    body_zh = MESSAGES[code]["zh"].format(**problem.details)
    assert CJK.search(body_zh), body_zh
    assert CJK.search(problem.text("zh"))
    assert problem.text("en")
    return problem


def tiny(tmp_path: Path, facilities: str = TINY_FACILITIES, projects: str = TINY_PROJECTS, **extra: str) -> Path:
    folder = write_tables(tmp_path / "list", facilities, projects)
    for name, text in extra.items():
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8"))
    return folder


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx written by openpyxl; every str cell is stored as text, never as a formula."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is None:
                    continue
                cell = sheet.cell(r, c, value)
                if isinstance(value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_rows(text: str) -> list[list]:
    """A CSV as lists of cells, numbers as numbers (the way Excel stores them)."""
    out = []
    for number, row in enumerate(csv.reader(io.StringIO(text))):
        cells = []
        for cell in row:
            try:
                cells.append(float(cell) if number and cell.strip() else (cell or None))
            except ValueError:
                cells.append(cell)
        out.append(cells)
    return out


# --- cell problems, one per code ---------------------------------------------

# (table, spreadsheet row, column, bad value, code)
CELL_CASES = [
    ("facilities", 2, "capacity", "abc", "not_a_number"),
    ("facilities", 3, "capacity", "12 吨", "not_a_number"),
    ("facilities", 2, "capacity", "nan", "not_finite"),
    ("facilities", 3, "capacity", "NaN", "not_finite"),
    ("facilities", 4, "capacity", "inf", "not_finite"),
    ("facilities", 2, "energy_intensity", "-Infinity", "not_finite"),
    ("facilities", 3, "capacity", "1e400", "not_finite"),
    ("facilities", 4, "capacity", "5e12", "too_large_value"),
    ("facilities", 2, "capacity", "0", "not_positive"),
    ("facilities", 3, "capacity", "-100", "not_positive"),
    ("facilities", 4, "energy_intensity", "0", "not_positive"),
    ("facilities", 3, "energy_intensity", "", "required_empty"),
    ("facilities", 2, "facility_id", "  ", "required_empty"),
    ("facilities", 4, "name", "长" * (MAX_TEXT + 1), "text_too_long"),
    ("projects", 3, "capex", "-1", "negative"),
    ("projects", 4, "capex", "", "required_empty"),
    ("projects", 5, "capex", "1.5e13", "too_large_value"),
    ("projects", 6, "co2_reduction", "-5", "negative"),
    ("projects", 7, "capex", "三百", "not_a_number"),
    ("projects", 8, "energy_saving_tce", "inf", "not_finite"),
    ("projects", 2, "lifetime_years", "0", "not_positive"),
    ("projects", 3, "energy_intensity_after", "0", "not_positive"),
    ("projects", 4, "earliest_year", "2024.5", "not_integer"),
    ("projects", 5, "earliest_year", "soon", "not_a_number"),
    ("projects", 6, "retire", "maybe", "not_bool"),
    ("projects", 7, "facility_id", "F9", "unknown_facility"),
    ("projects", 8, "requires", "P99", "unknown_requirement"),
    ("projects", 5, "requires", "P4;P5", "requires_itself"),
]


def _with_extra_columns(text: str) -> str:
    rows = rows_of(text)
    for row in rows:
        row.setdefault("lifetime_years", "")
        row.setdefault("earliest_year", "")
    return csv_text(rows)


@pytest.mark.parametrize("table,row,column,value,code", CELL_CASES,
                         ids=[f"{c[4]}-{c[0]}-{c[2]}-{c[1]}" for c in CELL_CASES])
def test_cell_problem_is_reported_at_its_cell(tmp_path, table, row, column, value, code):
    facilities, projects = TINY_FACILITIES, _with_extra_columns(TINY_PROJECTS)
    if table == "facilities":
        facilities = edited(facilities, row, **{column: value})
    else:
        projects = edited(projects, row, **{column: value})
    problems = problems_of(tiny(tmp_path, facilities, projects))
    expect(problems, code, f"{table}.csv", row, column)


def test_values_are_quoted_in_messages(tmp_path):
    projects = edited(TINY_PROJECTS, 3, capex="abc")
    problem = expect(problems_of(tiny(tmp_path, projects=projects)), "not_a_number", "projects.csv", 3, "capex")
    assert "'abc'" in problem.text("en")
    assert "projects.csv" in problem.text("zh") and "第 3 行" in problem.text("zh") and "“abc”" in problem.text("zh")


def test_too_large_value_names_the_limit(tmp_path):
    facilities = edited(TINY_FACILITIES, 2, capacity=str(MAX_NUMBER * 10))
    problem = expect(problems_of(tiny(tmp_path, facilities)), "too_large_value", "facilities.csv", 2, "capacity")
    assert "1e+12" in problem.text("en")


def test_unknown_sector_and_product(tmp_path):
    facilities = edited(TINY_FACILITIES, 2, sector="textile")
    facilities = edited(facilities, 3, product="caustic_soda_liquid30")
    problems = problems_of(tiny(tmp_path, facilities))
    expect(problems, "unknown_sector", "facilities.csv", 2, "sector", value="textile")
    product = expect(problems, "unknown_product", "facilities.csv", 3, "product", value="caustic_soda_liquid30")
    assert "caustic_soda_liquid_30" in product.details["suggestion"]


def test_unknown_facility_suggests_a_close_id(tmp_path):
    facilities = TINY_FACILITIES.replace("F3,", "LINE-03,")
    projects = TINY_PROJECTS.replace(",F3,", ",LINE-3,")
    problems = problems_of(tiny(tmp_path, facilities, projects))
    problem = expect(problems, "unknown_facility", "projects.csv", 7, "facility_id", value="LINE-3")
    expect(problems, "unknown_facility", "projects.csv", 8, "facility_id", value="LINE-3")
    assert "LINE-03" in problem.text("en")


def test_duplicate_ids_name_the_first_row(tmp_path):
    facilities = TINY_FACILITIES + "F2,dup,steel,sinter,100,50\n"
    projects = edited(TINY_PROJECTS, 6, project_id="P2")
    problems = problems_of(tiny(tmp_path, facilities, projects))
    expect(problems, "duplicate_id", "facilities.csv", 5, "facility_id", value="F2", first_row=3)
    expect(problems, "duplicate_id", "projects.csv", 6, "project_id", value="P2", first_row=3)


def test_no_saving_column_filled(tmp_path):
    projects = edited(TINY_PROJECTS, 8, electricity_saving_mwh="")  # P7 solar loses its only saving
    expect(problems_of(tiny(tmp_path, projects=projects)), "no_saving", "projects.csv", 8, "co2_reduction")


def test_retirement_with_intensity_after(tmp_path):
    projects = edited(TINY_PROJECTS, 4, energy_intensity_after="300")  # P3 retires F2
    expect(problems_of(tiny(tmp_path, projects=projects)), "retire_with_intensity", "projects.csv", 4,
           "energy_intensity_after")


def test_requires_unknown_project(tmp_path):
    projects = edited(TINY_PROJECTS, 2, requires="P5;PX")
    problems = problems_of(tiny(tmp_path, projects=projects))
    expect(problems, "unknown_requirement", "projects.csv", 2, "requires", value="PX")
    assert not [p for p in problems if p.details.get("value") == "P5"]


def test_two_cycle_is_reported_once(tmp_path):
    projects = edited(TINY_PROJECTS, 6, requires="P4")  # P4 requires P5 already
    problems = problems_of(tiny(tmp_path, projects=projects))
    cycles = [p for p in problems if p.code == "requires_cycle"]
    assert len(cycles) == 1, cycles
    problem = expect(problems, "requires_cycle", "projects.csv", column="requires")
    assert problem.row in (5, 6)
    assert set(problem.details["cycle"].split(" → ")) == {"P4", "P5"}


def test_three_cycle_is_reported_once(tmp_path):
    projects = edited(TINY_PROJECTS, 6, requires="P7")   # P4 -> P5 -> P7 -> P4
    projects = edited(projects, 8, requires="P4")
    problems = problems_of(tiny(tmp_path, projects=projects))
    cycles = [p for p in problems if p.code == "requires_cycle"]
    assert len(cycles) == 1, cycles
    problem = cycles[0]
    assert problem.file == "projects.csv" and problem.row in (5, 6, 8) and problem.column == "requires"
    members = problem.details["cycle"].split(" → ")
    assert set(members) == {"P4", "P5", "P7"} and members[0] == members[-1] and len(members) == 4
    expect(problems, "requires_cycle")


def test_chain_without_cycle_loads(tmp_path):
    projects = edited(TINY_PROJECTS, 8, requires="P4")  # P7 -> P4 -> P5, no cycle
    dataset = load_dataset(tiny(tmp_path, projects=projects))
    assert dataset.projects.at["P7", "requires"] == ("P4",)


# --- products and targets tables --------------------------------------------

PRODUCTS_HEADER = "product,sector,unit,benchmark,baseline\n"
TARGETS_HEADER = "target_id,kind,products,value,weight\n"


def test_products_benchmark_worse_than_baseline(tmp_path):
    products = PRODUCTS_HEADER + "caustic_soda_liquid_30,石化化工,t,300,340\nmy_glass,建材,box,20,12\n"
    problems = problems_of(tiny(tmp_path, products=products))
    expect(problems, "baseline_better_than_benchmark", "products.csv", 3, "benchmark")
    assert not [p for p in problems if p.code == "baseline_better_than_benchmark" and p.row == 2]


def test_products_missing_level(tmp_path):
    products = PRODUCTS_HEADER + "caustic_soda_liquid_30,石化化工,t,,340\n"
    expect(problems_of(tiny(tmp_path, products=products)), "required_empty", "products.csv", 2, "benchmark")


def test_target_problems(tmp_path):
    targets = TARGETS_HEADER + "\n".join([
        "t_ok,benchmark_share_min,caustic_soda_liquid_30,0.8,capacity",
        "t_kind,share_at_least,caustic_soda_liquid_30,0.8,capacity",
        "t_weight,benchmark_share_min,caustic_soda_liquid_30,0.8,tonnes",
        "t_share,benchmark_share_min,caustic_soda_liquid_30,80,capacity",
        "t_units,benchmark_share_min,caustic_soda_liquid_30;ceramic_tile_mid_absorption,0.3,capacity",
        "t_product,baseline_all,caustic_soda_liquid_30;caustic_soda_liquid30,1,capacity",
        "t_negative,min_line_capacity,ceramic_tile_mid_absorption,-5,capacity",
    ]) + "\n"
    problems = problems_of(tiny(tmp_path, targets=targets))
    expect(problems, "unknown_target_kind", "targets.csv", 3, "kind", value="share_at_least")
    expect(problems, "unknown_weight", "targets.csv", 4, "weight", value="tonnes")
    expect(problems, "share_above_one", "targets.csv", 5, "value")
    mixed = expect(problems, "mixed_units", "targets.csv", 6, "weight")
    assert "m2" in mixed.details["units"] and "t" in mixed.details["units"].split(", ")
    expect(problems, "unknown_product", "targets.csv", 7, "products", value="caustic_soda_liquid30")
    expect(problems, "negative", "targets.csv", 8, "value")
    assert not [p for p in problems if p.row == 2], "the valid target must not be reported"


def test_mixed_units_allowed_with_energy_weight(tmp_path):
    targets = TARGETS_HEADER + "t,benchmark_share_min,caustic_soda_liquid_30;ceramic_tile_mid_absorption,0.3,energy\n"
    dataset = load_dataset(tiny(tmp_path, targets=targets))
    assert [t.target_id for t in dataset.targets] == ["t"] and dataset.targets[0].weight == "energy"


def test_user_products_override_shipped_level_and_add_new(tmp_path):
    products = (PRODUCTS_HEADER + "caustic_soda_liquid_30,石化化工,t,330,345\n"
                "my_glass,建材,box,10,12\n")
    facilities = TINY_FACILITIES + "F4,glass,建材,my_glass,1000,11\n"
    dataset = load_dataset(tiny(tmp_path, facilities, products=products))
    assert dataset.products.at["caustic_soda_liquid_30", "benchmark"] == 330
    assert dataset.products.at["caustic_soda_liquid_30", "baseline"] == 345
    assert dataset.products.at["my_glass", "sector"] == "building_materials"
    assert dataset.products.at["caustic_soda_liquid_45", "benchmark"] == 420  # untouched shipped row
    assert dataset.products.index.is_unique


def test_user_products_override_keeps_shipped_fields_left_blank(tmp_path):
    """A products table with only the levels keeps the shipped unit and names, not the shipped source."""
    products = "product,sector,benchmark,baseline\ncaustic_soda_liquid_30,石化化工,300,340\n"
    targets = TARGETS_HEADER + "soda,benchmark_share_min,caustic_soda_liquid_30;caustic_soda_liquid_45,0.8,capacity\n"
    shipped_source = shipped_products().at["caustic_soda_liquid_30", "source"]
    dataset = load_dataset(tiny(tmp_path, products=products, targets=targets))
    row = dataset.products.loc["caustic_soda_liquid_30"]
    assert row["benchmark"] == 300 and row["baseline"] == 340
    assert row["unit"] == "t" and row["intensity_unit"] == "kgce/t" and row["name_zh"] == "烧碱（液碱≥30%）"
    assert row["source"] != shipped_source
    assert [t.target_id for t in dataset.targets] == ["soda"]


def test_mixed_units_with_a_unitless_user_product_does_not_crash(tmp_path):
    products = "product,sector,benchmark,baseline\nmy_soda,石化化工,300,340\n"
    targets = TARGETS_HEADER + "soda,benchmark_share_min,caustic_soda_liquid_30;my_soda,0.8,capacity\n"
    dataset = load_dataset(tiny(tmp_path, products=products, targets=targets))
    assert dataset.targets[0].products == ("caustic_soda_liquid_30", "my_soda")


# --- file problems ----------------------------------------------------------


def test_empty_csv(tmp_path):
    folder = tiny(tmp_path)
    (folder / "projects.csv").write_bytes(b"")
    expect(problems_of(folder), "empty_file", "projects.csv", None)


def test_whitespace_only_file(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"  \r\n\t ")
    expect(problems_of(path), "empty_file", "list.xlsx", None)


def test_renamed_binary_xlsx(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(os.urandom(4096))
    problem = expect(problems_of(path), "unreadable", "list.xlsx", None)
    assert "xlsx" in problem.details["reason"]


def test_binary_content_in_csv(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"facility_id,capacity\nF1,\x00\x01\x02\n")
    expect(problems_of(path), "unreadable", "list.csv", None)


def test_ragged_csv_names_the_row_not_a_traceback(tmp_path):
    folder = tiny(tmp_path)
    (folder / "projects.csv").write_bytes(TINY_PROJECTS.encode() + b"P8,F1,x,y,1,2,3,4,5,6,7,8,9,10,11\n")
    expect(problems_of(folder), "extra_cells", "projects.csv", 9)


def test_invalid_zip(tmp_path):
    path = tmp_path / "list.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    expect(problems_of(path), "unreadable", "list.zip", None)


def test_missing_path(tmp_path):
    expect(problems_of(tmp_path / "nowhere.xlsx"), "unreadable")


def test_unsupported_type(tmp_path):
    path = tmp_path / "list.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)  # an old .xls header
    expect(problems_of(path), "unsupported_type", "list.xls", None)
    text = tmp_path / "list.txt"
    text.write_text(TINY_FACILITIES)
    expect(problems_of(text), "unsupported_type", "list.txt", None)


def test_too_large_file(tmp_path):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as handle:  # sparse: no 50 MB actually written
        handle.truncate(MAX_FILE_BYTES + 1)
    problem = expect(problems_of(path), "too_large", "big.xlsx", None)
    assert problem.details["size_mb"] > problem.details["limit_mb"]


def test_too_many_rows(tmp_path):
    folder = tiny(tmp_path)
    body = "".join(f"Q{i},F1,,,1,1\n" for i in range(MAX_ROWS + 1))
    (folder / "projects.csv").write_bytes(("project_id,facility_id,name,category,capex,co2_reduction\n" + body).encode())
    expect(problems_of(folder), "too_many_rows", "projects.csv", None, rows=MAX_ROWS + 1)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_with_parent_path_is_refused(tmp_path):
    path = _zip(tmp_path / "list.zip", {
        "facilities.csv": TINY_FACILITIES.encode(), "../projects.csv": TINY_PROJECTS.encode()})
    problem = expect(problems_of(path), "unsafe_zip", "list.zip", None, member="../projects.csv")
    assert "outside" in problem.text("en")


def test_zip_with_absolute_path_is_refused(tmp_path):
    path = _zip(tmp_path / "list.zip", {"facilities.csv": TINY_FACILITIES.encode(),
                                         "projects.csv": TINY_PROJECTS.encode(), "/etc/evil.csv": b"a\n1\n"})
    expect(problems_of(path), "unsafe_zip", "list.zip", None)


def test_nested_zip_is_refused(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("projects.csv", TINY_PROJECTS)
    path = _zip(tmp_path / "list.zip", {"facilities.csv": TINY_FACILITIES.encode(), "inner.zip": inner.getvalue()})
    problem = expect(problems_of(path), "unsafe_zip", "list.zip", None, member="inner.zip")
    assert "nested" in problem.text("en")


def test_zip_member_over_size_limit_is_refused(tmp_path):
    path = _zip(tmp_path / "bomb.zip", {"facilities.csv": TINY_FACILITIES.encode(),
                                         "projects.csv": b"0" * (MAX_FILE_BYTES + 10)})
    assert path.stat().st_size < 1_000_000
    expect(problems_of(path), "unsafe_zip", "bomb.zip", None, member="projects.csv")


def test_problems_inside_a_zip_name_the_member(tmp_path):
    projects = edited(TINY_PROJECTS, 4, capex="abc")
    path = _zip(tmp_path / "list.zip", {"data/facilities.csv": TINY_FACILITIES.encode(),
                                         "data/projects.csv": projects.encode()})
    expect(problems_of(path), "not_a_number", "list.zip/projects.csv", 4, "capex")


def test_zip_without_tables(tmp_path):
    path = _zip(tmp_path / "list.zip", {"readme.txt": b"hello"})
    expect(problems_of(path), "missing_table", "list.zip", None)


def test_workbook_without_projects_sheet(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"facilities": table_rows(TINY_FACILITIES), "notes": [["hello"]]}))
    problem = expect(problems_of(path), "missing_table", table="projects")
    assert "list.xlsx [facilities]" in problem.details["found"]


def test_folder_without_csv(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing here")
    expect(problems_of(folder), "missing_table", "empty", None)


def test_missing_column_with_suggestion(tmp_path):
    facilities = TINY_FACILITIES.replace("capacity", "capcity", 1)
    projects = TINY_PROJECTS.replace("capex", "cap_ex", 1).replace("facility_id", "facility", 1)
    problems = problems_of(tiny(tmp_path, facilities, projects))
    capacity = expect(problems, "missing_column", "facilities.csv", 1, details={"column": "capacity"}, alias="产能")
    assert "did you mean 'capcity'" in capacity.text("en") and "capcity" in capacity.text("zh")
    expect(problems, "missing_column", "projects.csv", 1, details={"column": "capex"})
    assert "cap_ex" in next(p for p in problems if p.details.get("column") == "capex").details["suggestion"]
    expect(problems, "missing_column", "projects.csv", 1, details={"column": "facility_id"})


def test_missing_column_without_a_close_header(tmp_path):
    facilities = TINY_FACILITIES.replace("energy_intensity", "zzz", 1)
    problem = expect(problems_of(tiny(tmp_path, facilities)), "missing_column", "facilities.csv", 1,
                     details={"column": "energy_intensity"})
    assert problem.details["suggestion"] == ""


def test_many_problems_in_one_file_are_all_reported(tmp_path):
    projects = edited(TINY_PROJECTS, 2, capex="abc")
    projects = edited(projects, 3, capex="-3")
    projects = edited(projects, 5, facility_id="F8", co2_reduction="", energy_saving_tce="", energy_intensity_after="")
    projects = edited(projects, 7, retire="perhaps")
    projects = edited(projects, 8, requires="P0")
    facilities = edited(TINY_FACILITIES, 3, capacity="inf")
    facilities = edited(facilities, 4, sector="纺织")
    problems = problems_of(tiny(tmp_path, facilities, projects))
    found = {(p.code, p.file, p.row, p.column) for p in problems}
    assert found >= {
        ("not_a_number", "projects.csv", 2, "capex"),
        ("negative", "projects.csv", 3, "capex"),
        ("not_bool", "projects.csv", 7, "retire"),
        ("unknown_requirement", "projects.csv", 8, "requires"),
        ("not_finite", "facilities.csv", 3, "capacity"),
        ("unknown_sector", "facilities.csv", 4, "sector"),
    }, found
    # the cross-table checks run after cell problems, so these appear as well
    assert ("unknown_facility", "projects.csv", 5, "facility_id") in found
    assert ("no_saving", "projects.csv", 5, "co2_reduction") in found
    texts = DataError(problems).texts("zh")
    assert len(texts) == len(problems) and all(CJK.search(t) for t in texts)


def test_problems_in_two_workbook_sheets_are_all_reported(tmp_path):
    facilities = table_rows(TINY_FACILITIES)
    facilities[1][4] = "lots"          # F1 capacity, row 2
    projects = table_rows(TINY_PROJECTS)
    projects[2][4] = -1.0              # P2 capex, row 3
    projects[6][11] = "maybe"          # P6 retire, row 7
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"facilities": facilities, "projects": projects}))
    problems = problems_of(path)
    expect(problems, "not_a_number", "list.xlsx [facilities]", 2, "capacity")
    expect(problems, "negative", "list.xlsx [projects]", 3, "capex")
    expect(problems, "not_bool", "list.xlsx [projects]", 7, "retire")


def test_workbook_blank_rows_keep_spreadsheet_row_numbers(tmp_path):
    projects = table_rows(TINY_PROJECTS)
    projects[4][4] = "x"  # P4 capex
    rows = projects[:3] + [[], []] + projects[3:]  # two blank rows: P3 on row 6, P4 on row 7
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"facilities": table_rows(TINY_FACILITIES), "projects": rows}))
    expect(problems_of(path), "not_a_number", "list.xlsx [projects]", 7, "capex")


def test_csv_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    """A blank line in a CSV is a row in Excel: problems below it must name the row Excel shows."""
    lines = edited(TINY_PROJECTS, 5, capex="x").splitlines(keepends=True)
    projects = "".join(lines[:3] + ["\n", ",,,,,,,,,,,\n"] + lines[3:])  # P4 now on row 7
    problems = problems_of(tiny(tmp_path, projects=projects))
    assert [(p.code, p.row, p.column) for p in problems] == [("not_a_number", 7, "capex")]
    expect(problems, "not_a_number", "projects.csv", 7, "capex")


def test_csv_quoted_line_break_is_one_row(tmp_path):
    """A cell with a line break (Alt+Enter in Excel) stays one spreadsheet row."""
    projects = edited(TINY_PROJECTS, 2, name="膜极距\n改造")
    projects = edited(projects, 3, capex="x")
    problems = problems_of(tiny(tmp_path, projects=projects))
    expect(problems, "not_a_number", "projects.csv", 3, "capex")


def test_flat_conflict_names_the_rows(tmp_path):
    path = tmp_path / "清单.csv"
    path.write_bytes(FLAT.replace("F1,碱厂1,石化化工,caustic_soda_liquid_30,100000,340,P2",
                                  "F1,碱厂1,石化化工,caustic_soda_liquid_30,120000,340,P2").encode("utf-8"))
    problem = expect(problems_of(path), "flat_conflict", "清单.csv", 2, "capacity", facility="F1", rows="2, 3")
    assert "2, 3" in problem.text("en") and "F1" in problem.text("zh")


def test_text_too_long_in_extra_column(tmp_path):
    projects = edited(TINY_PROJECTS, 2, name="x" * (MAX_TEXT + 1))
    expect(problems_of(tiny(tmp_path, projects=projects)), "text_too_long", "projects.csv", 2, "name",
           length=MAX_TEXT + 1, limit=MAX_TEXT)


# --- files that must load ---------------------------------------------------

ZH_FACILITIES = """设施编号,名称,行业,产品,产能,单位产品能耗
F1,碱厂1,石化化工,caustic_soda_liquid_30,100000,340
F2,碱厂2,石化化工,caustic_soda_liquid_30,50000,360
F3,陶瓷1,建材,ceramic_tile_mid_absorption,800000,4.8
"""
ZH_PROJECTS = """项目编号,设施编号,项目名称,类别,投资,减排量,节能量,节电量,改造后单位产品能耗,互斥组,前置项目,淘汰,年节约费用,寿命,最早年份
P1,F1,离子膜改造,process,3000,,2500,,310,g1,,否,100,15,2025
P2,F1,离子膜轻量改造,process,1500,,1000,,330,g1,,否,,,
P3,F2,淘汰2号线,retire,500,40000,,,,,,是,,,
P4,F2,升级,process,4000,,3000,,312,,P5,,,,
P5,F2,准备,process,200,100,,,,,,,,,
P6,F3,淘汰小线,retire,300,5000,,,,,,是,,,
P7,F3,屋顶光伏,solar_rooftop,800,,,2000,,,,,,20,
"""


def assert_tiny(dataset) -> None:
    assert list(dataset.facilities.index) == ["F1", "F2", "F3"]
    assert list(dataset.projects.index) == [f"P{i}" for i in range(1, 8)]
    assert dataset.facilities.at["F3", "sector"] == "building_materials"
    assert dataset.facilities.at["F1", "capacity"] == 100000
    assert dataset.projects.at["P3", "retire"] and dataset.projects.at["P6", "retire"]
    assert not dataset.projects.at["P1", "retire"]
    assert dataset.projects.at["P4", "requires"] == ("P5",)
    assert dataset.projects.at["P1", "capex"] == 3000


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_csv_with_chinese_headers(tmp_path, encoding):
    folder = write_tables(tmp_path / "gbk", ZH_FACILITIES, ZH_PROJECTS, encoding=encoding)
    with pytest.raises(UnicodeDecodeError):
        (folder / "projects.csv").read_bytes().decode("utf-8")  # really not UTF-8
    dataset = load_dataset(folder)
    assert_tiny(dataset)
    assert dataset.facilities.at["F1", "name"] == "碱厂1"
    assert dataset.projects.at["P7", "name"] == "屋顶光伏"
    assert dataset.projects.at["P7", "lifetime_years"] == 20
    assert dataset.projects.at["P1", "earliest_year"] == 2025


def test_utf8_with_bom(tmp_path):
    folder = write_tables(tmp_path / "bom", TINY_FACILITIES, TINY_PROJECTS, encoding="utf-8-sig")
    assert (folder / "facilities.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert_tiny(load_dataset(folder))


def test_headers_any_case_and_spaces(tmp_path):
    facilities = TINY_FACILITIES.replace("facility_id,name,sector", " Facility_ID , NAME,Sector ", 1)
    assert_tiny(load_dataset(tiny(tmp_path, facilities)))


def test_openpyxl_workbook(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"facilities": table_rows(TINY_FACILITIES),
                                     "projects": table_rows(TINY_PROJECTS)}))
    assert_tiny(load_dataset(path))


def test_openpyxl_workbook_with_chinese_sheet_names_and_headers(tmp_path):
    path = tmp_path / "清单.xlsx"
    path.write_bytes(workbook_bytes({"设施": table_rows(ZH_FACILITIES), "项目": table_rows(ZH_PROJECTS)}))
    assert_tiny(load_dataset(path))


def test_pandas_workbook(tmp_path):
    path = tmp_path / "list.xlsx"
    facilities = pd.read_csv(io.StringIO(TINY_FACILITIES))
    projects = pd.read_csv(io.StringIO(TINY_PROJECTS))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        projects.to_excel(writer, sheet_name="projects", index=False)
        facilities.to_excel(writer, sheet_name="facilities", index=False)
        pd.DataFrame({"note": ["ignored"]}).to_excel(writer, sheet_name="README", index=False)
    dataset = load_dataset(path)
    assert_tiny(dataset)


def test_numeric_ids_in_workbook_are_text(tmp_path):
    facilities = table_rows(TINY_FACILITIES.replace("F1,", "101,").replace("F2,", "102,").replace("F3,", "103,"))
    projects = table_rows(TINY_PROJECTS.replace(",F1,", ",101,").replace(",F2,", ",102,").replace(",F3,", ",103,"))
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"facilities": facilities, "projects": projects}))
    dataset = load_dataset(path)
    assert list(dataset.facilities.index) == ["101", "102", "103"]
    assert dataset.projects.at["P1", "facility_id"] == "101"


def test_zip_of_csvs(tmp_path):
    path = _zip(tmp_path / "list.zip", {"list/facilities.csv": TINY_FACILITIES.encode("utf-8-sig"),
                                         "list/projects.csv": ZH_PROJECTS.encode("gbk"),
                                         "__MACOSX/list/._projects.csv": b"\x00\x05junk",
                                         "list/README.txt": b"hello"})
    assert_tiny(load_dataset(path))


FLAT = """facility_id,facility_name,sector,product,capacity,energy_intensity,project_id,name,category,capex,co2_reduction,energy_saving_tce,electricity_saving_mwh,energy_intensity_after,exclusive_group,requires,retire
F1,碱厂1,石化化工,caustic_soda_liquid_30,100000,340,P1,membrane,process,3000,,2500,,310,g1,,
F1,碱厂1,石化化工,caustic_soda_liquid_30,100000,340,P2,membrane light,process,1500,,1000,,330,g1,,
F2,碱厂2,petrochemical,caustic_soda_liquid_30,50000,360,P3,retire F2,retire,500,40000,,,,,,true
F2,碱厂2,petrochemical,caustic_soda_liquid_30,50000,360,P4,upgrade,process,4000,,3000,,312,,P5,
F2,碱厂2,petrochemical,caustic_soda_liquid_30,50000,360,P5,prep,process,200,100,,,,,,
F3,陶瓷1,建材,ceramic_tile_mid_absorption,800000,4.8,P6,retire small,retire,300,5000,,,,,,是
F3,陶瓷1,建材,ceramic_tile_mid_absorption,800000,4.8,P7,solar,solar_rooftop,800,,,2000,,,,
"""


def test_flat_csv(tmp_path):
    path = tmp_path / "清单.csv"
    path.write_bytes(FLAT.encode("gb18030"))
    dataset = load_dataset(path)
    assert_tiny(dataset)
    assert dataset.facilities.at["F2", "name"] == "碱厂2"
    assert dataset.projects.at["P3", "name"] == "retire F2"


def test_flat_workbook_sheet(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"Sheet1": table_rows(FLAT)}))
    assert_tiny(load_dataset(path))


def test_flat_layout_reports_project_problems_with_rows(tmp_path):
    path = tmp_path / "flat.csv"
    text = edited(FLAT, 5, capex="x")
    text = edited(text, 7, product="")
    path.write_bytes(text.encode())
    problems = problems_of(path)
    expect(problems, "not_a_number", "flat.csv", 5, "capex")
    expect(problems, "required_empty", "flat.csv", 7, "product")
    assert not [p for p in problems if p.code == "duplicate_id"]


def test_flat_layout_duplicate_project(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_bytes(edited(FLAT, 3, project_id="P1").encode())
    expect(problems_of(path), "duplicate_id", "flat.csv", 3, "project_id", value="P1", first_row=2)


def test_thousands_separators_and_full_width_digits(tmp_path):
    facilities = edited(TINY_FACILITIES, 2, capacity="100,000")
    facilities = edited(facilities, 4, capacity="８００，０００")
    projects = edited(TINY_PROJECTS, 4, co2_reduction=" 40,000 ")
    projects = edited(projects, 2, capex="3,000.0")
    dataset = load_dataset(tiny(tmp_path, facilities, projects))
    assert_tiny(dataset)
    assert dataset.facilities.at["F3", "capacity"] == 800000
    assert dataset.projects.at["P3", "co2_reduction"] == 40000


def test_extra_columns_are_kept(tmp_path):
    rows = rows_of(TINY_PROJECTS)
    for number, row in enumerate(rows):
        row["Owner Name"] = f"owner {number}"
        row["备注"] = "重点" if number == 0 else ""
    facilities = TINY_FACILITIES.replace("energy_intensity\n", "energy_intensity,permit\n", 1)
    facilities = facilities.replace("340\n", "340,A-1\n").replace("360\n", "360,\n").replace("4.8\n", "4.8,\n")
    dataset = load_dataset(tiny(tmp_path, facilities, csv_text(rows)))
    assert dataset.projects.at["P1", "owner_name"] == "owner 0"
    assert dataset.projects.at["P1", "备注"] == "重点"
    assert dataset.facilities.at["F1", "permit"] == "A-1"


def test_formula_looking_text_stays_plain_text(tmp_path):
    projects = edited(TINY_PROJECTS, 2, name="=SUM(A1)", category="+cmd|' /C calc'!A0")
    projects = edited(projects, 3, name="'=HYPERLINK(\"x\")")  # as this product escapes it on export
    projects = edited(projects, 4, name="@risk")
    dataset = load_dataset(tiny(tmp_path, projects=projects))
    assert dataset.projects.at["P1", "name"] == "=SUM(A1)"
    assert dataset.projects.at["P1", "category"] == "+cmd|' /C calc'!A0"
    assert dataset.projects.at["P2", "name"] == '=HYPERLINK("x")'
    assert dataset.projects.at["P3", "name"] == "@risk"


def test_formula_looking_text_in_workbook_stays_plain_text(tmp_path):
    projects = table_rows(TINY_PROJECTS)
    projects[1][2] = "=SUM(A1)"
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook_bytes({"facilities": table_rows(TINY_FACILITIES), "projects": projects}))
    assert load_dataset(path).projects.at["P1", "name"] == "=SUM(A1)"


def test_read_bytes_and_build_dataset(tmp_path):
    """The upload path of the app: bytes in memory, no file on disk."""
    tables = read_bytes("list.xlsx", workbook_bytes({"facilities": table_rows(TINY_FACILITIES),
                                                     "projects": table_rows(TINY_PROJECTS)}))
    assert_tiny(build_dataset(tables))
    with pytest.raises(DataError) as caught:
        build_dataset(read_bytes("projects.csv", edited(TINY_PROJECTS, 2, capex="x").encode())
                      + read_bytes("facilities.csv", TINY_FACILITIES.encode()))
    expect(caught.value.problems, "not_a_number", "projects.csv", 2, "capex")


def test_every_message_code_is_tested():
    """Each code in MESSAGES is asserted by a test of this file or test_import_security.py (read from source)."""
    source = Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "test_import_security.py").read_text(
        encoding="utf-8")
    tested = {case[4] for case in CELL_CASES} | set(re.findall(r'expect\([^"]*"(\w+)"', source))
    missing = set(MESSAGES) - tested
    assert not missing, f"message codes without a test: {sorted(missing)}"
    assert TESTED_CODES <= set(MESSAGES)


@pytest.mark.slow
def test_a_workbook_over_the_row_limit_is_refused_before_it_is_parsed(tmp_path):
    """Rows are counted in the sheet's XML, so a huge workbook is refused without loading it."""
    from openpyxl import Workbook

    from optimizer.data.reading import MAX_ROWS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("projects")
    sheet.append(["project_id", "facility_id", "capex", "co2_reduction"])
    for number in range(MAX_ROWS + 1):
        sheet.append([f"P{number}", "F1", 1, 1])
    path = tmp_path / "huge.xlsx"
    workbook.save(path)
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    [problem] = caught.value.problems
    assert problem.code == "too_many_rows" and problem.file == "huge.xlsx"
    assert problem.details["rows"] == MAX_ROWS + 1


def test_a_repeated_prerequisite_and_colliding_target_ids_still_solve(tmp_path):
    """'P5;P5' names one prerequisite; ids PuLP would fold to one name ('cs-80', 'cs_80') stay two rows."""
    from optimizer import optimize

    folder = write_tables(tmp_path / "f", projects=TINY_PROJECTS.replace(",P5,", ",P5;P5,"))
    (folder / "targets.csv").write_text(
        "target_id,kind,products,value,weight\n"
        "cs-80,benchmark_share_min,caustic_soda_liquid_30,0.8,capacity\n"
        "cs_80,benchmark_share_min,caustic_soda_liquid_30,0.5,capacity\n", encoding="utf-8")
    dataset = load_dataset(folder)
    result = optimize(dataset, budget=10_000)
    assert result.status == "optimal"
    assert [t.target_id for t in result.targets] == ["cs-80", "cs_80"]


def test_a_negative_intensity_after_is_refused_unless_the_product_exports_energy(tmp_path):
    folder = write_tables(tmp_path / "f", projects=TINY_PROJECTS.replace(",310,", ",-5,"))
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    [problem] = caught.value.problems
    assert (problem.code, problem.row, problem.column) == ("not_positive", 2, "energy_intensity_after")


def test_cells_beyond_the_header_are_refused_not_dropped(tmp_path):
    projects = TINY_PROJECTS.replace("P3,F2,retire F2,retire,500,40000,,,,,,true", "P3,F2,retire F2,retire,500,40000,,,,,,true,oops")
    projects = projects.replace("P1,F1,membrane,process,3000,,2500,,310,g1,,", "P1,F1,membrane,process,3000,,2500,,310,g1,,,")
    folder = write_tables(tmp_path / "f", projects=projects)
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    [problem] = caught.value.problems  # the stray trailing comma on row 2 is harmless
    assert (problem.code, problem.file, problem.row) == ("extra_cells", "projects.csv", 4)
    assert problem.details["count"] == 1
    assert "列标题" in problem.text("zh")
