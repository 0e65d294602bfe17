"""Reading project lists as analysts keep them: workbooks, CSV in any Chinese encoding, zips.

This module only turns bytes into tables of raw cells; judging the cells is
:mod:`optimizer.checks`' job. Files are parsed, never executed, and nothing
is written to disk: zips are read in memory with limits on size, depth and
paths.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from .problems import DataError, Problem
from .schema import TABLE_ALIASES

#: Largest file accepted, also set as ``server.maxUploadSize`` in ``.streamlit/config.toml``.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest uncompressed content of a zip, against decompression bombs.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
#: Most rows in one table; a province-wide list has tens of thousands.
MAX_ROWS = 200_000

ENCODINGS = ("utf-8-sig", "gb18030")

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
    rows: list[int]


def read_path(path: str | Path) -> list[RawTable]:
    """Read a folder of CSVs, a workbook, a zip or one flat CSV from disk."""
    path = Path(path)
    if path.is_dir():
        tables = []
        for member in sorted(path.iterdir()):
            if member.suffix.lower() == ".csv":
                tables += read_bytes(member.name, member.read_bytes())
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
    # Blank lines are rows in a spreadsheet: keep them while numbering rows, then drop them.
    lines = text.splitlines(keepends=True)
    lead = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    _check_row_widths(filename, "".join(lines[lead:]), lead)
    try:
        frame = pd.read_csv(io.StringIO("".join(lines[lead:])), dtype=str, keep_default_na=False, index_col=False,
                            skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError([Problem("unreadable", filename, details={"reason": str(error).strip()})]) from None
    blank = frame.apply(lambda column: column.str.strip() == "").all(axis=1).to_numpy()
    rows = [lead + 2 + i for i in range(len(frame)) if not blank[i]]
    frame = frame[~blank].reset_index(drop=True)
    _check_rows(filename, frame)
    return RawTable(table_name(filename), filename, frame, rows)


def _check_row_widths(filename: str, text: str, lead: int) -> None:
    """Refuse rows with filled cells beyond the header: pandas would drop them silently.

    Empty cells there (a stray trailing comma, common in exports) are harmless.
    """
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


def _read_workbook(filename: str, data: bytes) -> list[RawTable]:
    _check_workbook_size(filename, data)
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as error:  # openpyxl raises many types for corrupt or encrypted files
        reason = "not a valid .xlsx workbook (corrupt, password-protected or renamed) / 不是有效的 xlsx 工作簿"
        raise DataError([Problem("unreadable", filename, details={"reason": reason})]) from error
    tables = []
    for sheet, frame in sheets.items():
        if len(frame.columns) == 0:
            continue
        frame = frame.dropna(how="all")  # blank rows between data rows are common in workbooks
        label = f"{filename} [{sheet}]"
        _check_rows(label, frame)
        rows = [int(i) + 2 for i in frame.index]
        tables.append(RawTable(table_name(str(sheet)), label, frame.reset_index(drop=True), rows))
    if not tables:
        raise DataError([Problem("empty_file", filename)])
    return tables


def _check_workbook_size(filename: str, data: bytes) -> None:
    """Refuse a workbook too big to parse before parsing it.

    An .xlsx is a zip: its uncompressed size is checked against bombs, and
    the rows of each sheet are counted in its raw XML (a byte count, no
    parsing), so a million-row workbook is refused in a second instead of
    parsed for minutes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        return  # not a workbook at all: the parser says so in its own words
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
            raise DataError([Problem("unsafe_zip", filename, details={
                "member": "xlsx", "reason": "uncompressed size over the limit"})])
        for info in archive.infolist():
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", info.filename):
                try:
                    rows = _count_xml_rows(archive, info) - 1  # less the header
                except ZIP_ERRORS:
                    raise DataError([Problem("unreadable", filename, details={
                        "reason": "damaged workbook (a sheet cannot be unpacked) / 工作簿已损坏"})]) from None
                if rows > MAX_ROWS:
                    raise DataError([Problem("too_many_rows", filename, details={"rows": rows, "limit": MAX_ROWS})])


def _count_xml_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    count, tail = 0, b""
    with archive.open(info) as member:
        while chunk := member.read(1 << 20):
            block = tail + chunk
            count += block.count(b"<row ") + block.count(b"<row>")
            tail = block[-5:]
            count -= tail.count(b"<row ") + tail.count(b"<row>")  # counted again with the next chunk
    return count + tail.count(b"<row ") + tail.count(b"<row>")


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
                problems.append(Problem("unsafe_zip", filename, details={"member": name, "reason": "path outside the archive"}))
                continue
            suffix = path.suffix.lower()
            if suffix == ".zip":
                problems.append(Problem("unsafe_zip", filename, details={"member": name, "reason": "nested zip files are not read"}))
                continue
            if suffix not in (".csv", ".xlsx"):
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES or info.file_size > MAX_FILE_BYTES:
                problems.append(Problem("unsafe_zip", filename, details={"member": name, "reason": "uncompressed size over the limit"}))
                break
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_FILE_BYTES + 1)
            except ZIP_ERRORS:
                problems.append(Problem("unreadable", f"{filename}/{name}", details={
                    "reason": "damaged or encrypted in the zip / 压缩包内文件损坏或已加密"}))
                continue
            try:
                tables += read_bytes(f"{filename}/{path.name}", content)
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
