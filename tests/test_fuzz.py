"""Fuzzing the importer: any bytes, any cell, any header give a dataset or a list of problems, never a crash.

The contract checked on every example:

* ``read_bytes`` + ``build_dataset`` return a :class:`Dataset` or raise :class:`DataError` carrying at least one
  problem, each of which renders in English and Chinese;
* a dataset that loads can be optimized, with an honest status (optimal, feasible or infeasible);
* an upload the importer refuses leaves the store exactly as it was.

About 300 examples in all, well under a minute. ``FUZZ_EXAMPLES=3000 pytest tests/test_fuzz.py`` fuzzes longer;
``tests/fuzz_atheris.py`` is a coverage-guided harness of the same contract, run by hand.

The crashes these fuzzers found have regression tests at the end of this file.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
import zipfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from optimizer import optimize
from optimizer.data.checks import build_dataset
from optimizer.data.dataset import Dataset
from optimizer.data.problems import DataError
from optimizer.data.reading import read_bytes
from storage.access import AccessDenied, is_reserved
from storage.importing import import_upload
from storage.store import SAMPLE_NAME, Store

from .conftest import TINY_FACILITIES, TINY_PROJECTS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))


def _fuzz(share: float):
    """Settings for one test: its share of the example budget, no deadline (a solve may take a while)."""
    return settings(max_examples=max(10, int(EXAMPLES * share)), deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example, HealthCheck.filter_too_much])


# --- the contract -------------------------------------------------------------------------------


def _assert_problems_render(error: DataError) -> None:
    assert error.problems, "DataError without any problem"
    for problem in error.problems:
        for language in ("en", "zh"):
            text = problem.text(language)
            assert isinstance(text, str) and text.strip(), (problem, language)


def load(files: list[tuple[str, bytes]]) -> Dataset | None:
    """Read and check uploaded files; the dataset, or None after checking the problems."""
    try:
        tables = []
        for filename, data in files:
            tables += read_bytes(filename, data)
        dataset = build_dataset(tables, name="fuzz")
    except DataError as error:
        _assert_problems_render(error)
        event(f"refused: {sorted({p.code for p in error.problems})[0]}")
        return None
    assert isinstance(dataset, Dataset)
    event("loaded")
    return dataset


# --- building blocks ----------------------------------------------------------------------------


def _rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text))]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate member names are part of the fuzz
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for sheet, rows in sheets.items():
            header = [ILLEGAL_CHARACTERS_RE.sub("", str(h)) for h in rows[0]]
            body = [[ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row] for row in rows[1:]]
            width = len(header)
            body = [(row + [None] * width)[:width] for row in body]
            pd.DataFrame(body, columns=pd.Index(header, dtype=object)).to_excel(writer, sheet_name=sheet, index=False)
    return out.getvalue()


FACILITY_ROWS, PROJECT_ROWS = _rows(TINY_FACILITIES), _rows(TINY_PROJECTS)
VALID_CSV = {"facilities.csv": TINY_FACILITIES.encode(), "projects.csv": TINY_PROJECTS.encode()}
VALID_ZIP = _zip(list(VALID_CSV.items()))
VALID_XLSX = _workbook({"facilities": FACILITY_ROWS, "projects": PROJECT_ROWS})
VALID_GBK = TINY_PROJECTS.encode("gb18030")
BASES = [VALID_CSV["facilities.csv"], VALID_CSV["projects.csv"], VALID_ZIP, VALID_XLSX, VALID_GBK,
         _zip(list(VALID_CSV.items()), zipfile.ZIP_STORED)]

NAMES = ["facilities", "projects", "清单", "设施", "项目", "products", "targets", "list", "../../etc/passwd",
         "a b", ".hidden", "CON", "x" * 300]
SUFFIXES = [".csv", ".xlsx", ".zip", ".CSV", ".Xlsx", ".ZIP"]

MEMBER_NAMES = ["facilities.csv", "projects.csv", "products.csv", "targets.csv", "flat.csv", "设施.csv",
                "项目.csv", "data/projects.csv", "../facilities.csv", "/abs/projects.csv", "a\\..\\..\\x.csv",
                "nested.zip", "__MACOSX/._projects.csv", ".DS_Store", "readme.txt", "book.xlsx", "projects.xlsx",
                "dir/"]

NASTY = ["", " ", "nan", "NaN", "NULL", "None", "#N/A", "inf", "-inf", "Infinity", "-0", "0", "0.0", "-1",
         "1e308", "1e309", "-1e309", "1e12", "1e13", "9" * 400, "1,000", "1_000", "0x10", "１２３", "３０００",
         "٣٠٠", "１e３", "=cmd|' /C calc'!A0", "=1+1", "+1", "-2+3", "@SUM(A1:A9)", "'=1+1", "\t=1", "\x00",
         "\x1b[31m", "\x7f", "\r", "\n", "\r\n", '"', '""', ",", ";", "；", "\u202e", "\ufeff", "\u2028",
         "a" * 600, "F1", "F2", "F3", "P1", "P5", "g1", "P1;P2", "P1；P4", "true", "false", "是", "否", "1", "yes",
         "steel", "钢铁", "caustic_soda_liquid_30", "{value}", "{0}", "%s", "' OR 1=1 --",
         "x'); DROP TABLE projects; --"]

HEADERS = ["", " ", "nan", "Unnamed: 0", "facility_id", "project_id", "capex", "CAPEX ", "Capex", "投资",
           "设施编号", "项目编号", "产能", "co2_reduction", "retire", "requires", "name", "名称", "facility_name",
           "=cmd|' /C calc'!A0", "\x00", "id", "facility", "sector", "product"]

cells = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=20),
    st.from_regex(r"-?[0-9]{1,18}(\.[0-9]{0,8})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
headers = st.one_of(st.sampled_from(HEADERS), st.text(max_size=12))


@st.composite
def mutated(draw, base: bytes) -> bytes:
    """``base`` with a few bytes flipped, inserted, deleted, or the file cut short."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        operation = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "repeat"]))
        if operation == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "set":
            data[at] = draw(st.sampled_from([0, 0xFF, 0x7F, ord(","), ord('"'), ord("\n"), ord("P"), ord("K")]))
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif operation == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
    return bytes(data)


@st.composite
def member_mutated_xlsx(draw) -> bytes:
    """The valid workbook with one of its XML parts damaged and re-zipped (a well-formed zip, broken inside)."""
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    index = draw(st.integers(0, len(parts) - 1))
    parts[index] = (parts[index][0], draw(mutated(parts[index][1])))
    return _zip(parts)


@st.composite
def random_zip(draw) -> bytes:
    contents = st.one_of(st.binary(max_size=200), st.sampled_from(BASES), st.builds(str.encode, cells))
    members = draw(st.lists(st.tuples(st.one_of(st.sampled_from(MEMBER_NAMES), st.text(min_size=1, max_size=20)),
                                      contents), max_size=5))
    try:
        data = _zip(members, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))
    except (ValueError, UnicodeEncodeError, IndexError):  # a name zipfile itself refuses to write (e.g. '/')
        data = VALID_ZIP
    return draw(mutated(data)) if draw(st.booleans()) else data


@st.composite
def damaged_member_zip(draw) -> bytes:
    """A zip whose directory is intact but one member's data or header fields are damaged."""
    data = bytearray(draw(st.sampled_from([VALID_ZIP, BASES[-1], VALID_XLSX])))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = draw(st.sampled_from(archive.infolist()))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    where = draw(st.sampled_from(["data", "flags", "method", "sizes"]))
    if where == "data" and info.compress_size:
        at = start + draw(st.integers(0, info.compress_size - 1))
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif where == "flags":
        data[info.header_offset + 6] ^= draw(st.sampled_from([1, 8, 64]))
    elif where == "method":
        data[info.header_offset + 8] = draw(st.sampled_from([1, 9, 12, 14, 99, 255]))
    else:
        at = info.header_offset + draw(st.sampled_from([14, 18, 22]))  # crc, compressed and file size
        data[at:at + 4] = draw(st.binary(min_size=4, max_size=4))
    return bytes(data)


raw_files = st.tuples(
    st.builds(str.__add__, st.one_of(st.sampled_from(NAMES), st.text(max_size=10)), st.sampled_from(SUFFIXES)),
    st.one_of(st.binary(max_size=2000), st.sampled_from(BASES).flatmap(mutated), member_mutated_xlsx(),
              random_zip(), damaged_member_zip()),
)


@st.composite
def edited_tables(draw) -> dict[str, list[list[str]]]:
    """The tiny tables with random cells replaced, headers renamed or deleted, rows dropped or added."""
    tables = {"facilities": [list(r) for r in FACILITY_ROWS], "projects": [list(r) for r in PROJECT_ROWS]}
    for _ in range(draw(st.integers(0, 6)) if draw(st.booleans()) else draw(st.integers(0, 2))):
        rows = tables[draw(st.sampled_from(sorted(tables)))]
        operation = draw(st.sampled_from(["cell"] * 6 + ["rename", "delete_column", "delete_row", "copy_row",
                                                           "extra_column", "ragged"]))
        width = len(rows[0])
        if operation == "cell" and len(rows) > 1:
            row = rows[draw(st.integers(1, len(rows) - 1))]
            if row:
                row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        elif operation == "rename" and width:
            rows[0][draw(st.integers(0, width - 1))] = draw(headers)
        elif operation == "delete_column" and width:
            column = draw(st.integers(0, width - 1))
            for row in rows:
                del row[column:column + 1]  # a short (ragged) row may not have it
        elif operation == "delete_row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif operation == "copy_row" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        elif operation == "extra_column":
            rows[0].append(draw(headers))
            for row in rows[1:]:
                row.append(draw(cells))
        elif operation == "ragged" and len(rows) > 1:
            row = rows[draw(st.integers(1, len(rows) - 1))]
            if draw(st.booleans()):
                row.append(draw(cells))
            elif row:
                row.pop()
    return tables


@st.composite
def structured_upload(draw, one_file: bool = False) -> list[tuple[str, bytes]]:
    """The edited tables as an upload: two CSVs, a zip of them, a workbook or one flat CSV."""
    tables = draw(edited_tables())
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    texts = {name: _csv(rows).encode(encoding) for name, rows in tables.items()}
    shape = draw(st.sampled_from(["zip", "xlsx", "flat"] if one_file else ["csv", "zip", "xlsx", "flat"]))
    if shape == "csv":
        return [(f"{name}.csv", data) for name, data in texts.items()]
    if shape == "zip":
        return [("upload.zip", _zip([(f"{name}.csv", data) for name, data in texts.items()]))]
    if shape == "xlsx":
        return [("upload.xlsx", _workbook(tables))]
    # one row per project, facility columns repeated (the flat layout)
    def as_frame(rows):
        width = len(rows[0])
        return pd.DataFrame([(row + [""] * width)[:width] for row in rows[1:]], columns=range(width))

    facilities, projects = as_frame(tables["facilities"]), as_frame(tables["projects"])
    try:
        facilities.columns = tables["facilities"][0]
        projects.columns = tables["projects"][0]
        flat = projects.merge(facilities.drop(columns=["name"], errors="ignore"), on="facility_id", how="left")
    except (KeyError, ValueError):  # a header the edit removed or duplicated: send the projects alone
        flat = projects
    flat = flat.loc[:, ~pd.Index(flat.columns).duplicated()]
    return [("清单.csv", flat.to_csv(index=False).encode(encoding))]


budgets = st.one_of(st.floats(min_value=0, max_value=20_000), st.sampled_from([0.0, 1.0, 3_800.0, 1e6, 1e12]))


# --- (a) arbitrary bytes ------------------------------------------------------------------------


@_fuzz(0.35)
@given(raw_files)
def test_any_bytes_give_a_dataset_or_problems(file):
    filename, data = file
    note(f"{filename!r}: {len(data)} bytes")
    load([(filename, data)])


# --- (b) valid lists with hostile cells and headers ---------------------------------------------


@pytest.mark.slow
@_fuzz(0.4)
@given(structured_upload(), budgets)
def test_edited_lists_give_a_dataset_or_problems_and_solve(files, budget):
    note(repr(files)[:2000])
    dataset = load(files)
    if dataset is None:
        return
    result = optimize(dataset, budget=budget)
    assert result.status in {"optimal", "feasible", "infeasible"}, (result.status, budget)
    event(f"solved: {result.status}")


# --- (c) a refused upload leaves the store as it was ---------------------------------------------


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")
    assert import_upload(store, "tiny", "tiny.zip", VALID_ZIP).ok
    yield store
    store.close()


def _frames_equal(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


@_fuzz(0.25)
@given(upload=st.one_of(raw_files.map(lambda f: [f]), structured_upload(one_file=True)),
       name=st.one_of(st.sampled_from(["tiny", SAMPLE_NAME, "fuzz", "x'); DROP TABLE datasets; --", "名单"]),
                      st.text(min_size=1, max_size=30)))
@pytest.mark.slow
def test_a_refused_upload_leaves_the_store_unchanged(fuzz_store, upload, name):
    (filename, data), = upload
    before = fuzz_store.snapshot()
    log_rows = len(fuzz_store.import_log())
    if is_reserved(name, SAMPLE_NAME):  # the sample's name: refused before reading
        event("reserved")
        with pytest.raises(AccessDenied):
            import_upload(fuzz_store, name, filename, data)
        _frames_equal(before, fuzz_store.snapshot())
        assert len(fuzz_store.import_log()) == log_rows
        return
    outcome = import_upload(fuzz_store, name, filename, data)
    if outcome.ok:
        event("stored")
        assert name in fuzz_store.dataset_names()
        assert len(fuzz_store.import_log()) == log_rows + 1
        reloaded = fuzz_store.load_dataset(name)
        assert sorted(reloaded.projects.index) == sorted(outcome.dataset.projects.index)
        return
    event("refused")
    assert outcome.problems
    _frames_equal(before, fuzz_store.snapshot())
    log = fuzz_store.import_log()
    assert len(log) == log_rows + 1 and not log["ok"].iloc[0]
    assert set(fuzz_store.table_counts()) >= {"datasets", "projects", "scenarios"}  # no table was dropped


# --- regression tests of the crashes the fuzzers found ---------------------------------------------


def _stored_zip(text: bytes) -> bytes:
    return _zip([("facilities.csv", text)], zipfile.ZIP_STORED)


def _damaged_crc() -> bytes:
    data = bytearray(_stored_zip(b"facility_id,sector\nF1,steel\n"))
    data[data.index(b"F1,steel")] = ord("G")
    return bytes(data)


def _encrypted_flag() -> bytes:
    data = bytearray(_stored_zip(b"facility_id,sector\nF1,steel\n"))
    data[6] |= 1
    data[data.index(b"PK\x01\x02") + 8] |= 1
    return bytes(data)


@pytest.mark.parametrize("data", [_damaged_crc(), _encrypted_flag()], ids=["bad_crc", "encrypted"])
def test_fuzz_found_damaged_zip_member_is_a_problem(data):
    with pytest.raises(DataError) as error:
        read_bytes("list.zip", data)
    assert error.value.problems[0].code == "unreadable"


def _damaged_sheet_xlsx() -> bytes:
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    data = bytearray(_zip(parts, zipfile.ZIP_STORED))
    data[data.index(b"<sheetData>") + 3] ^= 0x20  # the stored bytes no longer match the member's CRC
    return bytes(data)


def test_fuzz_found_damaged_workbook_sheet_is_a_problem():
    with pytest.raises(DataError) as error:
        read_bytes("list.xlsx", _damaged_sheet_xlsx())
    assert error.value.problems[0].code == "unreadable"


def test_fuzz_found_tiny_budget_solves():
    dataset = build_dataset(read_bytes("facilities.csv", VALID_CSV["facilities.csv"])
                            + read_bytes("projects.csv", VALID_CSV["projects.csv"]))
    assert optimize(dataset, budget=1e-12).status == "infeasible"


def test_fuzz_found_flat_sheet_without_rows_is_a_problem():
    header = "facility_id,sector,product,capacity,energy_intensity,project_id,capex,co2_reduction\n"
    with pytest.raises(DataError):
        build_dataset(read_bytes("清单.csv", header.encode()))


def test_fuzz_found_formula_header_is_exported_inert():
    import openpyxl

    from optimizer.outputs.export import dataset_workbook

    projects = "\n".join(line + (",x" if i else ',=HYPERLINK("http://example.invalid")')
                         for i, line in enumerate(TINY_PROJECTS.splitlines())) + "\n"
    dataset = build_dataset(read_bytes("facilities.csv", VALID_CSV["facilities.csv"])
                            + read_bytes("projects.csv", projects.encode()))
    sheet = openpyxl.load_workbook(io.BytesIO(dataset_workbook(dataset)))["projects"]
    assert all(cell.data_type != "f" for cell in sheet[1])


# --- a guarantee SECURITY.md states: workbook formulas are never evaluated ------------------------


def test_a_workbook_formula_is_not_evaluated():
    """A live formula in an uploaded workbook is never computed: with no cached value it is reported, once."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(VALID_XLSX))
    book["projects"]["E2"] = "=1000+2000"  # capex of P1, as a formula with no cached value
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(DataError) as error:
        build_dataset(read_bytes("list.xlsx", out.getvalue()))
    assert [(p.code, p.row, p.column) for p in error.value.problems] == [("formula_without_value", 2, "capex")]
