"""Import security on real files made here: limits on work, valid files that must
not crash, and silent wrong data that must be refused with a message naming the file, row and column.

Every file is written as bytes (CSV, zip) or by openpyxl, or as the raw XML of a workbook where a
generator other than Excel writes it differently (namespace prefixes, other part names, formulas
with and without saved results). No mocks: the limits of the isolated reader are real rlimits on a
real child process.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimizer import DataError, load_dataset
from optimizer.data import isolation
from optimizer.data.canonical import data_hash
from optimizer.data.isolation import Limits, load_dataset_isolated, run_isolated, start_loading
from optimizer.data.parsing import MAX_CELL_PROBLEMS
from optimizer.data.reading import MAX_CELLS, MAX_COLUMNS, MAX_ROWS

from .conftest import TINY_FACILITIES, TINY_PROJECTS, write_tables
from .test_checks import (
    ZH_FACILITIES,
    ZH_PROJECTS,
    assert_tiny,
    csv_text,
    edited,
    expect,
    problems_of,
    rows_of,
    table_rows,
    tiny,
    workbook_bytes,
)

# --- a workbook written by hand, the way other generators write one ------------------------------


def _cell_xml(prefix: str, ref: str, value) -> str:
    p = f"{prefix}:" if prefix else ""
    if value is None:
        return ""
    if isinstance(value, tuple):  # ("formula", "1000+2000", cached value or None)
        _, formula, cached = value
        cached_xml = "" if cached is None else f"<{p}v>{cached}</{p}v>"
        return f'<{p}c r="{ref}"><{p}f>{formula}</{p}f>{cached_xml}</{p}c>'
    if isinstance(value, (int, float)):
        return f'<{p}c r="{ref}"><{p}v>{value}</{p}v></{p}c>'
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def raw_workbook(sheets: dict[str, list[list]], prefix: str = "x", part: str = "xl/data/part{n}.xml",
                 hidden: tuple[str, ...] = ()) -> bytes:
    """An .xlsx whose sheet XML uses ``prefix`` for the main namespace and is stored at ``part``."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns{":" + prefix if prefix else ""}="{main}"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides, rels, entries = [], [], []
        for n, (name, rows) in enumerate(sheets.items(), start=1):
            path = part.format(n=n)
            body = []
            for r, values in enumerate(rows, start=1):
                cells = "".join(_cell_xml(prefix, f"{openpyxl.utils.get_column_letter(c)}{r}", v)
                                for c, v in enumerate(values, start=1))
                body.append(f'<{p}row r="{r}">{cells}</{p}row>')
            archive.writestr(path, f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}><{p}sheetData>'
                                   + "".join(body) + f"</{p}sheetData></{p}worksheet>")
            overrides.append(f'<Override PartName="/{path}" ContentType="application/'
                             f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
            rels.append(f'<Relationship Id="rId{n}" Type="{rel_ns}/worksheet" Target="/{path}"/>')
            state = ' state="hidden"' if name in hidden else ""
            entries.append(f'<sheet name="{name}" sheetId="{n}"{state} r:id="rId{n}"/>')
        archive.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
                         '"http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
                         'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
                         'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                         + "".join(overrides) + "</Types>")
        archive.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                         f'{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships '
                         'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(rels)
                         + "</Relationships>")
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {xmlns} '
                         f'xmlns:r="{rel_ns}"><{p}sheets>' + "".join(e.replace("<sheet ", f"<{p}sheet ")
                                                                      for e in entries)
                         + f"</{p}sheets></{p}workbook>")
    return out.getvalue()


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- 1. limit the work, not only the bytes -----------------------------------------------------


def test_a_line_of_half_a_million_columns_is_refused_before_pandas(tmp_path):
    """A 14 KB zip: pandas would rename 524,288 duplicate headers for an hour."""
    line = ("a," * 524_288).encode()
    path = _write(tmp_path / "wide.zip", _zip_bytes([("facilities.csv", TINY_FACILITIES.encode()),
                                                    ("projects.csv", line + b"\n")]))
    assert path.stat().st_size < 20_000
    started = time.perf_counter()
    problems = problems_of(path)
    assert time.perf_counter() - started < 5  # milliseconds of work; generous for a busy machine
    expect(problems, "too_many_columns", "wide.zip/projects.csv", 1, columns=524_289, limit=MAX_COLUMNS)


def test_a_data_row_of_half_a_million_cells_is_refused_fast(tmp_path):
    projects = TINY_PROJECTS + "P8,F1" + ",x" * 500_000 + "\n"
    started = time.perf_counter()
    problems = problems_of(tiny(tmp_path, projects=projects))
    assert time.perf_counter() - started < 5
    expect(problems, "extra_cells", "projects.csv", 9)


def test_a_workbook_header_of_too_many_columns_is_refused(tmp_path):
    path = _write(tmp_path / "wide.xlsx", workbook_bytes({
        "facilities": table_rows(TINY_FACILITIES), "projects": [[f"c{i}" for i in range(MAX_COLUMNS + 1)]]}))
    expect(problems_of(path), "too_many_columns", "wide.xlsx [projects]", 1, columns=MAX_COLUMNS + 1)


def test_workbook_rows_are_counted_whatever_the_prefix_or_part_name(tmp_path):
    """Rows in a sheet stored as ``xl/data/part2.xml`` with ``x:`` tags are counted before parsing."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    book = raw_workbook({"facilities": table_rows(TINY_FACILITIES), "projects": [["project_id"]]})
    rows = b"".join(b'<x:row r="%d"><x:c r="A%d"><x:v>1</x:v></x:c></x:row>' % (r, r) for r in range(1, MAX_ROWS + 3))
    sheet = (b'<?xml version="1.0"?><x:worksheet xmlns:x="' + main.encode() + b'"><x:sheetData>' + rows
             + b"</x:sheetData></x:worksheet>")
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, sheet if info.filename == "xl/data/part2.xml" else source.read(info))
    path = _write(tmp_path / "million.xlsx", out.getvalue())
    started = time.perf_counter()
    problems = problems_of(path)
    assert time.perf_counter() - started < 10  # a byte scan, not a parse
    expect(problems, "too_many_rows", "million.xlsx", None, rows=MAX_ROWS + 1)


@pytest.mark.slow
def test_workbook_cells_are_capped_before_parsing(tmp_path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    book = raw_workbook({"facilities": table_rows(TINY_FACILITIES), "projects": [["project_id"]]}, prefix="")
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="' + main.encode() + b'"><sheetData><row r="1">'
             + b"<c/>" * (MAX_CELLS + 1) + b"</row></sheetData></worksheet>")
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, sheet if info.filename == "xl/data/part2.xml" else source.read(info))
    path = _write(tmp_path / "cells.xlsx", out.getvalue())
    expect(problems_of(path), "too_many_cells", "cells.xlsx", None)


def test_a_prefixed_workbook_under_other_part_names_loads(tmp_path):
    path = _write(tmp_path / "other.xlsx", raw_workbook({"facilities": table_rows(TINY_FACILITIES),
                                                         "projects": table_rows(TINY_PROJECTS)}))
    assert_tiny(load_dataset(path))


# --- the isolated reader --------------------------------------------------------------------------


def _big_folder(tmp_path: Path, projects: int = 20_000) -> Path:
    facilities = "facility_id,sector,product,capacity,energy_intensity\n" + "".join(
        f"F{i},steel,sinter,1000,50\n" for i in range(projects // 2))
    body = "project_id,facility_id,capex,co2_reduction\n" + "".join(
        f"P{i},F{i // 2},{i % 97 + 1},{i % 13 + 1}\n" for i in range(projects))
    return write_tables(tmp_path / "big", facilities, body)


def test_isolated_reading_gives_the_same_dataset(tmp_path):
    folder = tiny(tmp_path)
    direct, isolated = load_dataset(folder), load_dataset_isolated(folder)
    for part in ("facilities", "projects", "products"):
        pd.testing.assert_frame_equal(getattr(direct, part), getattr(isolated, part))
    assert direct.targets == isolated.targets and direct.name == isolated.name
    assert isolated.notes["rows_in_file"] == 10
    upload = load_dataset_isolated(workbook_bytes({"facilities": table_rows(TINY_FACILITIES),
                                                   "projects": table_rows(TINY_PROJECTS)}),
                                   name="upload", filename="list.xlsx")
    assert_tiny(upload)
    assert upload.name == "upload"


def test_isolated_reading_raises_the_problems_found(tmp_path):
    folder = tiny(tmp_path, projects=edited(TINY_PROJECTS, 3, capex="abc"))
    with pytest.raises(DataError) as caught:
        load_dataset_isolated(folder)
    expect(caught.value.problems, "not_a_number", "projects.csv", 3, "capex")


def test_a_reader_over_its_time_is_stopped_with_a_message_naming_the_file(tmp_path):
    with pytest.raises(DataError) as caught:
        load_dataset_isolated(_big_folder(tmp_path), limits=Limits(seconds=0.05))
    problem = expect(caught.value.problems, "too_slow", "big", None)
    assert "took too long" in problem.text("en") and "耗时过长" in problem.text("zh")


def test_a_reader_over_its_memory_is_stopped_with_a_message_naming_the_file(tmp_path):
    folder = _big_folder(tmp_path, 2_000)
    note = "x" * 200
    (folder / "projects.csv").write_text("project_id,facility_id,capex,co2_reduction,note\n" + "".join(
        f"P{i},F{i % 1000},1,1,{note}\n" for i in range(150_000)))  # 30 MB: buffers far above 20 MB
    with pytest.raises(DataError) as caught:
        load_dataset_isolated(folder, limits=Limits(memory_bytes=20 * 2**20))
    problem = expect(caught.value.problems, "too_much_memory", "big", None)
    assert "too much memory" in problem.text("en") and "内存" in problem.text("zh")


def test_a_reader_that_dies_is_a_problem_not_a_hang():
    with pytest.raises(DataError) as caught:
        run_isolated(os.abort, (), Limits(seconds=30), "list.xlsx")
    expect(caught.value.problems, "reader_failed", "list.xlsx", None)


@pytest.mark.slow
def test_loading_in_the_background_gives_the_dataset_then_its_hash(tmp_path):
    """The command line's reader: the dataset first (a pipe's worth many times over), then its hash."""
    folder = _big_folder(tmp_path)
    direct = load_dataset(folder)
    loading = start_loading(folder, hashed=True, limits=Limits(seconds=60))
    dataset = loading.dataset()
    pd.testing.assert_frame_equal(direct.projects, dataset.projects)
    assert loading.data_hash() == data_hash(direct)


@pytest.mark.slow
def test_a_hash_finished_in_time_is_read_after_the_time_limit(tmp_path):
    """The caller may solve for longer than the reader's limit: what the child sent in time still counts."""
    loading = start_loading(tiny(tmp_path), hashed=True, limits=Limits(seconds=1.0))
    dataset = loading.dataset()
    time.sleep(1.2)
    assert loading.data_hash() == data_hash(dataset)


@pytest.mark.slow
def test_the_spawned_reader_of_windows_sends_the_same_outcomes(tmp_path):
    """Where there is no fork (Windows) the reader is a spawned process; run here on purpose."""
    folder = tiny(tmp_path)
    child = isolation._SpawnedChild(isolation._work_path, (str(folder), "tiny"), Limits(seconds=60), "tiny",
                                    isolation._hash_of)
    dataset = child.receive(last=False)
    assert_tiny(dataset)
    assert child.receive(last=True) == data_hash(dataset)
    broken = tiny(tmp_path / "broken", projects=edited(TINY_PROJECTS, 3, capex="abc"))
    with pytest.raises(DataError) as caught:
        isolation._SpawnedChild(isolation._work_path, (str(broken), "broken"), Limits(seconds=60), "broken",
                                isolation._hash_of).receive(last=False)
    expect(caught.value.problems, "not_a_number", "projects.csv", 3, "capex")


def test_loading_in_the_background_raises_the_problems_and_the_limits(tmp_path):
    folder = tiny(tmp_path, projects=edited(TINY_PROJECTS, 3, capex="abc"))
    with pytest.raises(DataError) as caught:
        start_loading(folder, hashed=True).dataset()
    expect(caught.value.problems, "not_a_number", "projects.csv", 3, "capex")
    with pytest.raises(DataError) as caught:
        start_loading(_big_folder(tmp_path), hashed=True, limits=Limits(seconds=0.05)).dataset()
    expect(caught.value.problems, "too_slow", "big", None)
    with pytest.raises(ValueError):
        start_loading(folder).data_hash()  # not asked for


# --- 2. valid files must not crash pages: computed names are reserved ------------------------------


@pytest.mark.parametrize("header", ["payback_years", "facility_name", "co2_t", "abatement_cost_cny_per_t",
                                    "Facility Sector", "npv"])
def test_a_column_named_like_a_computed_one_is_refused_with_a_new_name(tmp_path, header):
    rows = rows_of(TINY_PROJECTS)
    for row in rows:
        row[header] = "1"
        row["owner"] = "kept"
    problem = expect(problems_of(tiny(tmp_path, projects=csv_text(rows))), "reserved_column", "projects.csv", 1)
    assert problem.header == header
    assert header in problem.text("en") and header in problem.text("zh")


def test_other_extra_columns_are_still_carried(tmp_path):
    rows = rows_of(TINY_PROJECTS)
    for row in rows:
        row["payback_note"] = "x"
        row["facility"] = "y"  # not the facility_ prefix
    dataset = load_dataset(tiny(tmp_path, projects=csv_text(rows)))
    assert set(dataset.projects["payback_note"]) == {"x"} and set(dataset.projects["facility"]) == {"y"}


# --- 3. silent wrong data -----------------------------------------------------------------------


def test_a_hidden_projects_sheet_beside_a_visible_one_is_ambiguous(tmp_path):
    """A hidden ``projects`` sheet was used instead of the visible ``项目`` sheet."""
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes({
        "设施": table_rows(ZH_FACILITIES), "项目": table_rows(ZH_PROJECTS), "projects": table_rows(TINY_PROJECTS)})))
    book["projects"].sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    path = _write(tmp_path / "清单.xlsx", out.getvalue())
    problem = expect(problems_of(path), "ambiguous_table", table="projects")
    text = problem.text("en")
    assert "清单.xlsx [项目]" in text and "清单.xlsx [projects] (hidden" in text
    assert "隐藏" in problem.text("zh")


def test_two_projects_files_in_a_zip_are_ambiguous(tmp_path):
    path = _write(tmp_path / "list.zip", _zip_bytes([
        ("2023/facilities.csv", TINY_FACILITIES.encode()), ("2023/projects.csv", TINY_PROJECTS.encode()),
        ("2024/projects.csv", edited(TINY_PROJECTS, 2, capex="9").encode())]))
    problem = expect(problems_of(path), "ambiguous_table", table="projects")
    assert problem.details["first"] == "list.zip/2023/projects.csv"
    assert problem.details["second"] == "list.zip/2024/projects.csv"


def test_a_repeated_member_name_in_a_zip_is_ambiguous(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        data = _zip_bytes([("facilities.csv", TINY_FACILITIES.encode()), ("projects.csv", TINY_PROJECTS.encode()),
                           ("projects.csv", edited(TINY_PROJECTS, 2, capex="9").encode())])
    expect(problems_of(_write(tmp_path / "dup.zip", data)), "ambiguous_table", table="projects")


def test_two_headers_for_one_column_are_refused_naming_both(tmp_path):
    projects = TINY_PROJECTS.replace("capex,", "投资,", 1).replace("retire\n", "retire,capex\n", 1)
    projects = "\n".join(line + (",1" if number and line else "") for number, line in
                         enumerate(projects.split("\n"))) + "\n"
    problem = expect(problems_of(tiny(tmp_path, projects=projects)), "duplicate_column", "projects.csv", 1,
                     "capex", first="投资", second="capex")
    assert "'投资'" in problem.text("en") and "“投资”" in problem.text("zh")


def test_two_headers_for_one_column_in_a_workbook(tmp_path):
    projects = table_rows(TINY_PROJECTS)
    projects[0] = ["投资" if h == "capex" else h for h in projects[0]] + ["capex"]
    for row in projects[1:]:
        row.append(1.0)
    path = _write(tmp_path / "list.xlsx", workbook_bytes({"facilities": table_rows(TINY_FACILITIES),
                                                          "projects": projects}))
    expect(problems_of(path), "duplicate_column", "list.xlsx [projects]", 1, "capex", first="投资", second="capex")


def test_a_formula_without_a_saved_value_is_reported_at_its_cell(tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes({"设施": table_rows(ZH_FACILITIES),
                                                             "项目": table_rows(ZH_PROJECTS)})))
    book["项目"]["E3"] = "=1000+500"  # 投资 of P2: openpyxl saves no result
    book["项目"]["F4"] = "=SUM(1,2)"  # 减排量 of P3, its only saving
    out = io.BytesIO()
    book.save(out)
    problems = problems_of(_write(tmp_path / "清单.xlsx", out.getvalue()))
    first = expect(problems, "formula_without_value", "清单.xlsx [项目]", 3, "capex")
    expect(problems, "formula_without_value", "清单.xlsx [项目]", 4, "co2_reduction")
    assert first.header == "投资" and "column 投资" in first.text("en") and "列 投资" in first.text("zh")
    assert [p.code for p in problems] == ["formula_without_value"] * 2  # no "empty" or "no saving" on top


def test_a_formula_with_a_saved_value_loads_its_value(tmp_path):
    projects = table_rows(TINY_PROJECTS)
    projects[1][4] = ("formula", "1000+2000", 3000)
    path = _write(tmp_path / "list.xlsx", raw_workbook({"facilities": table_rows(TINY_FACILITIES),
                                                        "projects": projects}))
    assert load_dataset(path).projects.at["P1", "capex"] == 3000
    projects[1][4] = ("formula", "1000+2000", None)
    path = _write(tmp_path / "no_value.xlsx", raw_workbook({"facilities": table_rows(TINY_FACILITIES),
                                                            "projects": projects}))
    expect(problems_of(path), "formula_without_value", "no_value.xlsx [projects]", 2, "capex")


@pytest.mark.parametrize("word", ["NA", "None", "null", "N/A", "#N/A"])
def test_workbooks_keep_na_words_as_text_like_csv(tmp_path, word):
    """An exclusive group named NA: both alternatives were chosen when workbooks dropped the word."""
    projects = edited(TINY_PROJECTS, 2, exclusive_group=word)
    projects = edited(projects, 3, exclusive_group=word, name=word)
    from_csv = load_dataset(tiny(tmp_path, projects=projects))
    path = _write(tmp_path / "list.xlsx", workbook_bytes({"facilities": table_rows(TINY_FACILITIES),
                                                          "projects": table_rows(projects)}))
    from_xlsx = load_dataset(path)
    for dataset in (from_csv, from_xlsx):
        assert dataset.projects.at["P1", "exclusive_group"] == word == dataset.projects.at["P2", "exclusive_group"]
        assert dataset.projects.at["P2", "name"] == word


@pytest.mark.parametrize("cell,suggestion", [("1,5", "1.5"), ("1,50", "1.50"), ("3000,25", "3000.25"),
                                             ("1.234,5", "1234.5"), ("１，５", "1.5")])
def test_a_decimal_comma_is_refused(tmp_path, cell, suggestion):
    problems = problems_of(tiny(tmp_path, projects=edited(TINY_PROJECTS, 3, capex=cell)))
    problem = expect(problems, "decimal_comma", "projects.csv", 3, "capex", suggestion=suggestion)
    assert f"'{cell}'" in problem.text("en") and len(problems) == 1


@pytest.mark.parametrize("cell,value", [("1,500", 1500), ("12,345.6", 12345.6), ("1,234,567", 1234567),
                                        ("８００，０００", 800000), (" 3,000.0 ", 3000), ("-1,000", None)])
def test_thousands_separators_are_accepted(tmp_path, cell, value):
    projects = edited(TINY_PROJECTS, 6, annual_saving=cell) if "annual_saving" in TINY_PROJECTS else None
    rows = rows_of(TINY_PROJECTS)
    for row in rows:
        row["annual_saving"] = ""
    rows[4]["annual_saving"] = cell
    projects = csv_text(rows)
    dataset = load_dataset(tiny(tmp_path, projects=projects))
    expected = -1000 if value is None else value
    assert dataset.projects.at["P5", "annual_saving"] == pytest.approx(expected)


def test_a_malformed_comma_number_is_not_a_number(tmp_path):
    expect(problems_of(tiny(tmp_path, projects=edited(TINY_PROJECTS, 3, capex="1,,5"))), "not_a_number",
           "projects.csv", 3, "capex")


def test_a_text_cell_in_a_saving_column_gives_one_message(tmp_path):
    problems = problems_of(tiny(tmp_path, projects=edited(TINY_PROJECTS, 4, co2_reduction="四万")))
    assert [(p.code, p.row, p.column) for p in problems] == [("not_a_number", 4, "co2_reduction")]


def test_messages_name_the_users_own_header(tmp_path):
    folder = write_tables(tmp_path / "zh", ZH_FACILITIES, ZH_PROJECTS.replace("P2,F1,离子膜轻量改造,process,1500",
                                                                              "P2,F1,离子膜轻量改造,process,abc"))
    problem = expect(problems_of(folder), "not_a_number", "projects.csv", 3, "capex")
    assert problem.header == "投资"
    assert "column 投资" in problem.text("en") and "列 投资" in problem.text("zh") and "capex" not in problem.text("zh")


def test_problems_are_capped_per_column(tmp_path):
    rows = rows_of(TINY_PROJECTS)
    extra = [dict(rows[4], project_id=f"Q{i}", capex="x") for i in range(MAX_CELL_PROBLEMS + 50)]
    problems = problems_of(tiny(tmp_path, projects=csv_text(rows + extra)))
    assert sum(p.code == "not_a_number" for p in problems) == MAX_CELL_PROBLEMS
    expect(problems, "more_problems", "projects.csv", None, "capex", count=50)


# --- the new optional project columns ------------------------------------------------------------


def _with(column: str, values: dict[int, str]) -> str:
    rows = rows_of(TINY_PROJECTS)
    for row in rows:
        row[column] = ""
    for row_number, value in values.items():
        rows[row_number - 2][column] = value
    return csv_text(rows)


def test_fuel_words_are_keys_of_the_emission_factors(tmp_path):
    projects = _with("fuel", {2: "coal", 3: "天然气", 5: "焦炭", 6: " Natural Gas "})
    dataset = load_dataset(tiny(tmp_path, projects=projects))
    assert list(dataset.projects["fuel"]) == ["coal", "natural_gas", None, "coke", "natural_gas", None, None]


@pytest.mark.parametrize("word", ["电", "电力", "electricity"])
def test_electricity_is_not_a_fuel(tmp_path, word):
    problems = problems_of(tiny(tmp_path, projects=_with("fuel", {5: word})))
    problem = expect(problems, "electricity_as_fuel", "projects.csv", 5, "fuel", value=word)
    assert "electricity_saving_mwh" in problem.text("en") and "节电量" in problem.text("zh")


@pytest.mark.parametrize("word", ["hydrogen", "氢气"])
def test_unknown_fuel_lists_the_known_ones(tmp_path, word):
    problems = problems_of(tiny(tmp_path, projects=_with("fuel", {5: word})))
    problem = expect(problems, "unknown_fuel", "projects.csv", 5, "fuel", value=word)
    assert "coal" in problem.details["known"] and "天然气" in problem.details["known"]


def test_lead_time_is_a_whole_number_not_below_zero(tmp_path):
    problems = problems_of(tiny(tmp_path, projects=_with("lead_time_years", {2: "-1", 3: "1.5", 4: "2"})))
    expect(problems, "negative", "projects.csv", 2, "lead_time_years")
    expect(problems, "not_integer", "projects.csv", 3, "lead_time_years")
    assert len(problems) == 2
    dataset = load_dataset(tiny(tmp_path / "ok", projects=_with("lead_time_years", {2: "0", 4: "3"})))
    assert dataset.projects.at["P3", "lead_time_years"] == 3 and np.isnan(dataset.projects.at["P2", "lead_time_years"])


def test_co2_range_must_hold_the_value(tmp_path):
    rows = rows_of(TINY_PROJECTS)
    for row in rows:
        row["co2_low"] = row["co2_high"] = ""
    rows[2].update(co2_low="45000", co2_high="50000")  # P3 cuts 40,000: below its low end
    rows[4].update(co2_low="50", co2_high="90")        # P5 cuts 100: above its high end
    rows[5].update(co2_low="4000", co2_high="6000")    # P6 cuts 5,000: fine
    rows[0].update(co2_low="30", co2_high="10")        # P1 (no CO2 given): low above high
    problems = problems_of(tiny(tmp_path, projects=csv_text(rows)))
    expect(problems, "co2_range_order", "projects.csv", 4, "co2_low", low="45000", value="40000", high="50000")
    expect(problems, "co2_range_order", "projects.csv", 6, "co2_high")
    expect(problems, "co2_range_order", "projects.csv", 2, "co2_low", value="—")
    assert len(problems) == 3
