"""Reading project lists as analysts keep them: workbooks, CSV in any Chinese encoding, zips.

This module only turns bytes into tables of raw cells; judging the cells is
:mod:`optimizer.data.checks`' job. Files are parsed, never executed, and nothing
is written to disk: zips are read in memory with limits on size, depth and
paths.

The work is limited before it starts, not only the bytes: a CSV's columns
are counted on its header line before pandas sees it (pandas renames
repeated headers in quadratic time), and a workbook's rows and cells are
counted in the XML of every sheet its relationships name, whatever the part
is called and whatever namespace prefix it uses, before openpyxl parses it.
Workbooks are read the way CSV is: cells as stored (``NA`` stays text), a
formula without a saved result is reported, hidden sheets are marked.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from optimizer.data.problems import DataError, Problem
from optimizer.data.schema import TABLE_ALIASES, TABLES, canonical_header

#: Largest file accepted, also set as ``server.maxUploadSize`` in ``.streamlit/config.toml``.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest uncompressed content of a zip, against decompression bombs.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
#: Most rows in one table; a province-wide list has tens of thousands.
MAX_ROWS = 200_000
#: Most columns in one table (the contract has under 30; extra columns are kept, within reason).
MAX_COLUMNS = 256
#: Most cells in one workbook (200,000 rows of 26 columns is 5.2 million).
MAX_CELLS = 10_000_000
#: Largest XML part of a workbook that is not a sheet (workbook.xml, relationships, shared strings).
MAX_XML_BYTES = 64 * 1024 * 1024

ENCODINGS = ("utf-8-sig", "gb18030")
_LEADING_SPACE = re.compile(r"\s*")

#: What reading a damaged or encrypted zip member can raise.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError, ValueError)


@dataclass
class RawTable:
    """A table as read: string or number cells, headers as written.

    ``rows`` holds the spreadsheet row number of each row of ``frame`` (the
    header is row 1), so a problem is reported where the analyst will look.
    """

    name: str
    file: str
    frame: pd.DataFrame
    rows: list[int] | np.ndarray
    #: The header cells as written, one per column of ``frame`` (None: the frame's column labels).
    headers: list[str] | None = None
    #: Where the table came from in full (``list.zip/2024/projects.csv``), for messages naming two tables.
    origin: str = ""
    #: A hidden workbook sheet.
    hidden: bool = False
    #: Problems found while reading this table (a formula without a saved result, ...).
    problems: list[Problem] = field(default_factory=list)


def read_path(path: str | Path) -> list[RawTable]:
    """Read a folder of CSVs, a workbook, a zip or one flat CSV from disk."""
    path = Path(path)
    if path.is_dir():
        tables = []
        for member in sorted(path.iterdir()):
            if member.suffix.lower() == ".csv":
                if member.stat().st_size > MAX_FILE_BYTES:
                    raise DataError([_too_large(member.name, member.stat().st_size)])
                for table in read_bytes(member.name, member.read_bytes()):
                    table.origin = f"{path.name}/{member.name}"
                    tables.append(table)
        if not tables:
            raise DataError([Problem("missing_table", path.name, details={"table": "facilities", "found": "—"})])
        return tables
    if not path.exists():
        raise DataError([Problem("unreadable", str(path), details={"reason": "no such file or folder"})])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError([_too_large(path.name, path.stat().st_size)])
    return read_bytes(path.name, path.read_bytes())


def read_bytes(filename: str, data: bytes) -> list[RawTable]:
    """Read an uploaded file by its name's extension: .xlsx, .csv or .zip."""
    if len(data) > MAX_FILE_BYTES:
        raise DataError([_too_large(filename, len(data))])
    if not data.strip():
        raise DataError([Problem("empty_file", filename)])
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix == ".xlsx":
        return _read_workbook(filename, data)
    if suffix == ".csv":
        return [_read_csv(filename, data)]
    if suffix == ".zip":
        return _read_zip(filename, data)
    raise DataError([Problem("unsupported_type", filename)])


def table_name(label: str) -> str:
    """The table a sheet or file name stands for, or ``flat`` for any other name."""
    stem = PurePosixPath(label).stem.strip().lower()
    for table, aliases in TABLE_ALIASES.items():
        if stem in aliases:
            return table
    return "flat"


def _too_large(filename: str, size: int) -> Problem:
    return Problem("too_large", filename, details={"size_mb": size / 2**20, "limit_mb": MAX_FILE_BYTES / 2**20})


# --- CSV ----------------------------------------------------------------------


def _read_csv(filename: str, data: bytes) -> RawTable:
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError([Problem("unreadable", filename, details={
            "reason": "not UTF-8 or GBK/GB18030 text / 不是 UTF-8 或 GBK 编码的文本"})])
    if "\x00" in text:
        raise DataError([Problem("unreadable", filename, details={"reason": "binary content, not CSV text"})])
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # old Mac line ends: one convention for numpy and pandas
    # Blank lines are rows in a spreadsheet: keep them while numbering rows, then drop them.
    # ``\s*`` matches every string (the empty prefix at worst); no match would mean no blank prefix.
    prefix_match = _LEADING_SPACE.match(text)
    blank_prefix = prefix_match.group() if prefix_match is not None else ""
    leading = blank_prefix.splitlines(keepends=True)
    complete = [line for line in leading if line.endswith(("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
                                                          "\x85", "\u2028", "\u2029"))]
    lead = len(complete)
    body = text[sum(len(line) for line in complete):]
    try:
        header = next(csv.reader(io.StringIO(body, newline="")), [])
    except csv.Error:
        header = None
    if header is not None and len(header) > MAX_COLUMNS:
        raise DataError([Problem("too_many_columns", filename, 1 + lead, details={
            "columns": len(header), "limit": MAX_COLUMNS})])
    scan = _record_widths(body)
    widths = None if scan is None else scan[0]
    if scan is None:
        _check_row_widths(filename, body, lead)
    elif header is not None:
        _check_widths(filename, lead, len(header), *scan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "loss of data with index_col=False": refused above when it matters
        try:
            frame = pd.read_csv(io.StringIO(body), dtype=object, keep_default_na=False, na_filter=False,
                                index_col=False, skip_blank_lines=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise DataError([Problem("unreadable", filename, details={"reason": str(error).strip()})]) from None
    if widths is not None and header is not None and len(widths) - 1 != len(frame):
        _check_row_widths(filename, body, lead)  # our count disagrees with pandas': check the slow, exact way
    if header is None or len(header) != frame.shape[1]:
        header = [str(c) for c in frame.columns]
    blank = _blank_rows(frame)
    rows = np.flatnonzero(~blank) + lead + 2
    if blank.any():
        frame = frame[~blank].reset_index(drop=True)
    _check_rows(filename, frame)
    return RawTable(table_name(filename), filename, frame, rows, headers=header)


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces (NaN where a short row had no cell)."""
    n = len(frame)
    if frame.shape[1] == 0 or n == 0:
        return np.zeros(n, bool)
    filled = np.zeros(n, bool)
    firsts = np.full(n, "", dtype=object)
    for i in range(frame.shape[1]):
        cells = frame.iloc[:, i].to_numpy(dtype=object)
        here = cells != ""
        if infer_dtype(cells, skipna=False) != "string":
            here &= ~pd.isna(cells)
        new = here & ~filled
        firsts[new] = cells[new]
        filled |= here
    # A row is blank only if its first filled cell is spaces; check those few rows whole.
    spaces = np.flatnonzero(filled & pc.utf8_is_space(pa.array(firsts, type=pa.string())).to_numpy(
        zero_copy_only=False))
    blank = ~filled
    for r in spaces:
        blank[r] = all(pd.isna(c) or not str(c).strip() for c in frame.iloc[r])
    return blank


#: What :func:`_record_widths` finds: the widths, the bytes, the separator mask and the record starts.
_Widths = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: A sheet's rows as read: (row number, the row's cell values).
_SheetRows = Iterator[tuple[int, tuple[object, ...]]]
#: A worksheet: (title, part, state, rows).
_Sheet = tuple[str, str, str, _SheetRows]


def _record_widths(text: str) -> _Widths | None:
    """Fields in each CSV record, counted with numpy over the bytes (quote-aware).

    Returns the widths and what :func:`_check_widths` needs, or None when
    the quoting is not the plain kind (a quote inside an unquoted field):
    then the csv module decides, row by row. A blank line counts one field.
    """
    raw = np.frombuffer(text.encode("utf-8"), np.uint8)
    if not len(raw):
        return None
    separator, newline = raw == 44, raw == 10
    quote = raw == 34
    if quote.any():
        inside = np.bitwise_xor.accumulate(quote.view(np.uint8)).astype(bool)
        quotes = np.flatnonzero(quote)
        opening = quotes[inside[quotes]]
        closing = quotes[~inside[quotes]]
        before = raw[np.maximum(opening - 1, 0)]
        ok_open = (opening == 0) | np.isin(before, (44, 10, 13, 34))
        after = np.append(raw, 10)[closing + 1]
        ok_close = np.isin(after, (44, 10, 13, 34))
        if not (ok_open.all() and ok_close.all()) or inside[-1]:
            return None
        separator &= ~inside
        newline &= ~inside
    ends = np.flatnonzero(newline)
    starts = np.concatenate(([0], ends + 1))
    starts = starts[starts < len(raw)]
    widths = np.add.reduceat(separator, starts, dtype=np.int64) + 1
    return widths, raw, separator, starts


def _check_widths(filename: str, lead: int, width: int, widths: np.ndarray, raw: np.ndarray,
                  separator: np.ndarray, starts: np.ndarray) -> None:
    """Refuse rows with filled cells beyond the header: pandas would drop them silently.

    Empty cells there (a stray trailing comma, common in exports) are harmless.
    """
    wide = np.flatnonzero(widths > width)
    wide = wide[wide > 0]
    if not len(wide):
        return
    positions = np.flatnonzero(separator)
    first_separator = np.searchsorted(positions, starts[wide])
    tail_start = positions[first_separator + width - 1]  # the separator after the last header column
    ends = np.append(starts, len(raw))[wide + 1]
    significant = ~np.isin(raw, (44, 32, 9, 13, 10, 34)) | (raw == 44) & ~separator
    bounds = np.empty(2 * len(wide), np.int64)
    bounds[0::2], bounds[1::2] = tail_start, ends
    counts = np.add.reduceat(np.append(significant, False), bounds, dtype=np.int64)[0::2]
    bad = wide[counts > 0]
    if len(bad):
        raise DataError([Problem("extra_cells", filename, lead + 1 + int(r), details={"count": int(widths[r] - width)})
                         for r in bad[:100]])


def _check_row_widths(filename: str, text: str, lead: int) -> None:
    """:func:`_check_widths` by the csv module, for quoting numpy cannot follow."""
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        width = len(next(records, []))
        problems = [Problem("extra_cells", filename, lead + 2 + number, details={"count": len(record) - width})
                    for number, record in enumerate(records)
                    if len(record) > width and any(cell.strip() for cell in record[width:])]
    except csv.Error:
        return  # malformed quoting: pandas reports it as unreadable
    if problems:
        raise DataError(problems[:100])


# --- workbooks ----------------------------------------------------------------

#: A start tag with any namespace prefix (or none): ``<row``, ``<x:row``.
_PREFIX = rb"<(?:[A-Za-z_][\w.\-]*:)?"
_ROW = re.compile(_PREFIX + rb"row[\s/>]")
_CELL = re.compile(_PREFIX + rb"c[\s/>]")
_SHARED = re.compile(_PREFIX + rb"si[\s/>]")
#: A formula element not followed by a saved value (``<v>`` with content).
_FORMULA_NO_VALUE = re.compile(
    _PREFIX + rb"f(?:\s[^>]*)?(?:/>|>[^<]*</(?:[A-Za-z_][\w.\-]*:)?f>)"
    rb"(?!\s*<(?:[A-Za-z_][\w.\-]*:)?v(?:\s[^>]*)?>[^<])")
_TAIL = 16384


def _read_workbook(filename: str, data: bytes) -> list[RawTable]:
    formulas = _check_workbook_size(filename, data)
    try:
        sheets = _open_sheets(data)
    except DataError:
        raise
    except Exception as error:  # openpyxl raises many types for corrupt or encrypted files
        reason = "not a valid .xlsx workbook (corrupt, password-protected or renamed) / 不是有效的 xlsx 工作簿"
        raise DataError([Problem("unreadable", filename, details={"reason": reason})]) from error
    tables = []
    try:
        for title, part, state, rows in sheets:
            table = _read_sheet(filename, title, state, rows, formulas.get(part, 0), data)
            if table is not None:
                tables.append(table)
    except DataError:
        raise
    except Exception as error:
        reason = "damaged workbook (a sheet cannot be read) / 工作簿已损坏"
        raise DataError([Problem("unreadable", filename, details={"reason": reason})]) from error
    if not tables:
        raise DataError([Problem("empty_file", filename)])
    return tables


def _open_sheets(data: bytes, data_only: bool = True) -> list[_Sheet]:
    """(title, part, state, rows) of each worksheet; ``rows`` yields (row number, tuple of values).

    openpyxl's own reader, without its read-only worksheet's first pass over
    the whole sheet looking for a size element the sheet may not have.
    """
    import openpyxl
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        reader.read_theme()
        apply_stylesheet(reader.archive, reader.wb)
    book = reader.wb
    if not isinstance(book, openpyxl.Workbook):
        raise TypeError("not a workbook")

    def rows(part: str) -> _SheetRows:
        with reader.archive.open(part) as source:
            parser = WorkSheetParser(source, reader.shared_strings, data_only=data_only, epoch=book.epoch,
                                     date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
            for number, cells in parser.parse():
                if not cells:
                    yield number, ()
                    continue
                values = [None] * max(c["column"] for c in cells)
                for cell in cells:
                    values[cell["column"] - 1] = cell["value"]
                yield number, tuple(values)

    sheets = []
    for sheet, rel in reader.parser.find_sheets():
        if rel.target not in reader.valid_files or "chartsheet" in (rel.Type or ""):
            continue
        sheets.append((sheet.name, rel.target, sheet.state or "visible", rows(rel.target)))
    return sheets


def _read_sheet(filename: str, title: str, state: str, sheet_rows: _SheetRows, formulas_without_value: int,
                data: bytes) -> RawTable | None:
    """One sheet's cells as written: header = its first non-blank row, rows numbered as Excel shows them."""
    label = f"{filename} [{title}]"
    header_values: tuple[object, ...] | None = None
    header_row = 0
    records: list[tuple[object, ...]] = []
    numbers: list[int] = []
    for number, values in sheet_rows:
        first = values[0] if values else None
        if (first is None or (isinstance(first, str) and not first.strip())) and not any(
                v is not None and not (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if header_values is None:
            header_values, header_row = values, number
            if len(header_values) > MAX_COLUMNS:
                raise DataError([Problem("too_many_columns", label, number, details={
                    "columns": len(header_values), "limit": MAX_COLUMNS})])
            continue
        if len(values) > MAX_COLUMNS:
            raise DataError([Problem("too_many_columns", label, number, details={
                "columns": len(values), "limit": MAX_COLUMNS})])
        records.append(values)
        numbers.append(number)
        if len(records) > MAX_ROWS:
            raise DataError([Problem("too_many_rows", label, details={"rows": len(records), "limit": MAX_ROWS})])
    if header_values is None:
        return None
    header = list(header_values)
    while header and (header[-1] is None or (isinstance(header[-1], str) and not header[-1].strip())):
        header.pop()
    width = max([len(header)] + [_filled_width(r) for r in records])
    if width == 0:
        return None
    header = header + [None] * (width - len(header))
    written = ["" if h is None else _cell_header(h) for h in header]
    cells = np.empty((len(records), width), dtype=object)
    if records:
        padding = (None,) * width
        cells[:] = [r if len(r) == width else (r + padding)[:width] for r in records]
    frame = pd.DataFrame({i: pd.Series(cells[:, i], dtype=object) for i in range(width)})
    frame.columns = [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(written)]
    table = RawTable(table_name(title), label, frame, np.asarray(numbers, np.int64), headers=written,
                     hidden=state != "visible")
    if formulas_without_value:
        table.problems = _formula_problems(data, title, label, written, header_row, cells, numbers)
    return table


def _filled_width(record: tuple[object, ...]) -> int:
    for i in range(len(record) - 1, -1, -1):
        if record[i] is not None:
            return i + 1
    return 0


def _cell_header(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _formula_problems(data: bytes, title: str, label: str, headers: list[str], header_row: int,
                      cells: np.ndarray, numbers: list[int]) -> list[Problem]:
    """Cells holding a formula whose result was never saved (openpyxl reads them as blank).

    Found by reading the sheet a second time for its formulas; done only when
    the sheet's XML has a formula without a value, so other files pay nothing.
    """
    spec = TABLES.get(table_name(title))
    row_of = {number: i for i, number in enumerate(numbers)}
    problems = []
    sheet_rows = next(rows for name, _, _, rows in _open_sheets(data, data_only=False) if name == title)
    for number, values in sheet_rows:
        for column, value in enumerate(values):
            if not (isinstance(value, str) and value.startswith("=")) and type(value).__name__ not in (
                    "ArrayFormula", "DataTableFormula"):
                continue
            i = row_of.get(number)
            if number == header_row or (i is not None and column < cells.shape[1] and cells[i, column] is None):
                header = headers[column] if column < len(headers) else ""
                name = canonical_header(header, spec) if spec and header.strip() else ""
                problems.append(Problem("formula_without_value", label, number, name or _letter(column),
                                        header=header.strip()))
    return problems


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column + 1)


def _check_workbook_size(filename: str, data: bytes) -> dict[str, int]:
    """Refuse a workbook too big to parse before parsing it; return formulas without values per sheet part.

    An .xlsx is a zip: its uncompressed size is checked against bombs. The
    sheets are found the way Excel finds them, through the workbook part's
    relationships (not by guessing ``xl/worksheets/sheetN.xml``), and their
    rows and cells are counted in the raw XML by a streaming scan that accepts
    any namespace prefix, so a million-row workbook is refused in a second
    instead of parsed for minutes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        return {}  # not a workbook at all: the parser says so in its own words
    formulas: dict[str, int] = {}
    with archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
            raise DataError([Problem("unsafe_zip", filename, details={
                "member": "xlsx", "reason": "uncompressed size over the limit"})])
        names = {info.filename: info for info in infos}
        sheets, shared = _sheet_parts(archive, names)
        if sheets is None:  # relationships unreadable: count every XML part, to be safe
            sheets = [name for name in names if name.lower().endswith(".xml")]
        cells_total = 0
        try:
            for part in sheets:
                if part not in names:
                    continue
                rows, cells, no_value = _scan_sheet(archive, names[part])
                if rows - 1 > MAX_ROWS:  # less the header
                    raise DataError([Problem("too_many_rows", filename, details={"rows": rows - 1, "limit": MAX_ROWS})])
                cells_total += cells
                formulas[part] = no_value
            if shared in names and names[shared].file_size // 9 > MAX_CELLS:  # an <si> is 9 bytes or more
                cells_total += _count(archive, names[shared], _SHARED)
        except ZIP_ERRORS:
            raise DataError([Problem("unreadable", filename, details={
                "reason": "damaged workbook (a sheet cannot be unpacked) / 工作簿已损坏"})]) from None
        if cells_total > MAX_CELLS:
            raise DataError([Problem("too_many_cells", filename, details={"cells": cells_total, "limit": MAX_CELLS})])
    return formulas


def _sheet_parts(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> tuple[list[str] | None, str]:
    """The part of every sheet the workbook lists, and the shared strings part, from its relationships."""
    try:
        workbook = "xl/workbook.xml"
        root_rels = _xml(archive, names, "_rels/.rels")
        if root_rels is not None:
            for rel in root_rels.iter():
                if _local(rel.tag) == "Relationship" and rel.get("Type", "").endswith("/officeDocument"):
                    workbook = _resolve("", rel.get("Target", ""))
        base = posixpath.dirname(workbook)
        targets, shared = {}, ""
        rels = _xml(archive, names, posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels"))
        for rel in (rels.iter() if rels is not None else ()):
            if _local(rel.tag) == "Relationship":
                target = _resolve(base, rel.get("Target", ""))
                targets[rel.get("Id")] = target
                if rel.get("Type", "").endswith("/sharedStrings"):
                    shared = target
        book = _xml(archive, names, workbook)
        if book is None:
            return None, shared
        parts = []
        for sheet in book.iter():
            if _local(sheet.tag) == "sheet":
                rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
                if rid in targets:
                    parts.append(targets[rid])
        return parts, shared
    except (ElementTree.ParseError, *ZIP_ERRORS):
        return None, ""


def _xml(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], name: str) -> ElementTree.Element | None:
    info = names.get(name)
    if info is None:
        return None
    if info.file_size > MAX_XML_BYTES:
        raise ValueError("workbook part too large")
    return ElementTree.fromstring(archive.read(info))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _resolve(base: str, target: str) -> str:
    target = target.replace("\\", "/")
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    return posixpath.normpath(path)


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int, int]:
    """Rows, cells and formulas without a saved value in one sheet's XML, streamed in 1 MB blocks.

    Rows and cells are first bounded from above with plain byte counts (every
    row start tag is a ``<row`` or a ``:row``, every cell one ``<``); only a
    part whose bound is over a limit is counted exactly, by a regex that takes
    any namespace prefix. Over-counting is safe, under-counting is not.
    """
    rows = cells = no_value = 0
    with archive.open(info) as member:
        tail = b""
        while chunk := member.read(1 << 20):
            block = tail + chunk  # a tag cut at the block's end is whole in the next one (counted twice: safe)
            rows += block.count(b"<row") + block.count(b":row")
            cells += block.count(b"<")
            if b"f>" in block or b"<f " in block or b":f " in block:
                no_value += len(_FORMULA_NO_VALUE.findall(block))
            tail = block[-_TAIL:]
    if rows > MAX_ROWS + 1:
        rows = _count(archive, info, _ROW)
    if cells > MAX_CELLS:
        cells = _count(archive, info, _CELL)
    return rows, cells, no_value


def _count(archive: zipfile.ZipFile, info: zipfile.ZipInfo, pattern: re.Pattern[bytes]) -> int:
    """Exact count of start tags (any namespace prefix) in a part, streamed."""
    total, tail = 0, b""
    with archive.open(info) as member:
        while True:
            chunk = member.read(1 << 20)
            block = tail + chunk
            # Tags starting in the last _TAIL bytes are counted with the next block (or now, at the end).
            limit = len(block) if not chunk else max(len(block) - _TAIL, 0)
            total += sum(1 for m in pattern.finditer(block) if m.start() < limit)
            tail = block[limit:]
            if not chunk:
                break
    return total


# --- zips ----------------------------------------------------------------------


def _read_zip(filename: str, data: bytes) -> list[RawTable]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise DataError([Problem("unreadable", filename, details={"reason": "not a valid zip file"})]) from None
    problems, tables, total = [], [], 0
    with archive:
        for info in archive.infolist():
            name = info.filename
            if not name or name.endswith("/") or PurePosixPath(name).name.startswith(".") or "__MACOSX" in name:
                continue
            path = PurePosixPath(name.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts:
                problems.append(Problem("unsafe_zip", filename, details={
                    "member": name, "reason": "path outside the archive"}))
                continue
            suffix = path.suffix.lower()
            if suffix == ".zip":
                problems.append(Problem("unsafe_zip", filename, details={
                    "member": name, "reason": "nested zip files are not read"}))
                continue
            if suffix not in (".csv", ".xlsx"):
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES or info.file_size > MAX_FILE_BYTES:
                problems.append(Problem("unsafe_zip", filename, details={
                    "member": name, "reason": "uncompressed size over the limit"}))
                break
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_FILE_BYTES + 1)
            except ZIP_ERRORS:
                problems.append(Problem("unreadable", f"{filename}/{name}", details={
                    "reason": "damaged or encrypted in the zip / 压缩包内文件损坏或已加密"}))
                continue
            try:
                label = f"{filename}/{path.name}"
                for table in read_bytes(label, content):
                    table.origin = f"{filename}/{path}" + table.file[len(label):]  # the folder too: a/ and b/
                    tables.append(table)
            except DataError as error:
                problems += error.problems
    if problems:
        raise DataError(problems)
    if not tables:
        raise DataError([Problem("missing_table", filename, details={"table": "facilities", "found": "—"})])
    return tables


def _check_rows(label: str, frame: pd.DataFrame) -> None:
    if len(frame) > MAX_ROWS:
        raise DataError([Problem("too_many_rows", label, details={"rows": len(frame), "limit": MAX_ROWS})])
