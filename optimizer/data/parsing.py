"""Raw cells to typed columns, a whole column at a time.

A column is parsed with pandas/numpy operations over all its cells; Python
looks at single cells only where a cell has a problem (to word the message)
or where the workbook stored something unusual (a date in a number column).
The messages are those of the cell-by-cell parser this replaces: the same
code, the same quoted value, at the same file, row and column.

Numbers accept what Excel and WPS exports contain: surrounding spaces,
full-width digits (``１２３``), spaces between digit groups and thousands
separators (``1,500``, ``12,345.6``, ``８００，０００``). A comma that is not
a thousands separator (``1,5``, ``1,50``, ``1.234,5``) is refused as a
possible decimal comma: read as a separator it would turn 1.5 into 15.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from optimizer.data.problems import Problem
from optimizer.data.schema import FALSE_WORDS, TRUE_WORDS, Column, unescape_cell

#: Numbers beyond this are taken as a unit mistake (1e12 万元 is 10^16 CNY).
MAX_NUMBER = 1e12
#: Longest text cell kept.
MAX_TEXT = 500
#: Cell problems of one kind listed per column; the rest are counted in one "more problems" line.
MAX_CELL_PROBLEMS = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Digits grouped by thousands separators, after NFKC (full-width digits and commas are ASCII then).
_THOUSANDS = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
_LIST_SPLIT = r"[;；,，]"


class Cells:
    """Where one column's problems are reported: file, spreadsheet rows, column, the user's header."""

    def __init__(self, file: str, rows: np.ndarray, column: str, header: str, problems: list[Problem]):
        self.file, self.rows, self.column, self.header, self.problems = file, rows, column, header, problems

    def report(self, code: str, positions: np.ndarray | list[int],
               details: Callable[[int], dict[str, object]] = lambda i: {}) -> None:
        """One problem per position (capped at :data:`MAX_CELL_PROBLEMS`, the rest counted)."""
        positions = np.asarray(positions, dtype=np.int64)
        for i in positions[:MAX_CELL_PROBLEMS]:
            self.problems.append(Problem(code, self.file, int(self.rows[i]), self.column, details(int(i)),
                                         header=self.header))
        if len(positions) > MAX_CELL_PROBLEMS:
            self.problems.append(Problem("more_problems", self.file, None, self.column,
                                         {"count": len(positions) - MAX_CELL_PROBLEMS}, header=self.header))


# --- blanks and text --------------------------------------------------------


def _is_str_array(values: np.ndarray) -> bool:
    return infer_dtype(values, skipna=True) in ("string", "empty")


def _missing(values: np.ndarray) -> np.ndarray:
    """Missing cells (None, NaN); a column of text only (a CSV's) has none, found in one quick pass."""
    if not len(values) or infer_dtype(values, skipna=False) == "string":
        return np.zeros(len(values), bool)
    return pd.isna(values)


def _cell_text(cell: object) -> str:
    """A non-text cell (a workbook number, date or yes/no) as the text it stands for."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # an id typed as 101 in Excel arrives as 101.0
    return str(cell)


def as_text(values: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Every cell as a ``str`` ("" for a missing one), and which cells were missing."""
    missing = _missing(values)
    if _is_str_array(values):
        text = values.copy() if missing.any() else values
        if missing.any():
            text[missing] = ""
    else:
        text = np.array(["" if gone else (cell if isinstance(cell, str) else _cell_text(cell))
                         for cell, gone in zip(values, missing)], dtype=object)
    return pd.Series(text, dtype=object, copy=False), missing


def _arrow(text: pd.Series | np.ndarray) -> pa.Array:
    return pa.array(np.asarray(text, dtype=object), type=pa.string())


def _objects(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False)


def clean_text(values: np.ndarray) -> pd.Series:
    """Text as kept: control characters dropped, spaces trimmed, an export's formula escape undone.

    Done in Arrow over the whole column (its whitespace is Python's ``str.strip`` set).
    """
    return _clean(values)[0]


def _clean(values: np.ndarray) -> tuple[pd.Series, pa.Array | None]:
    """:func:`clean_text`, and the cleaned column in Arrow (None if empty) for more work on it."""
    text, _ = as_text(values)
    if not len(text):
        return text, None
    original = _arrow(text)
    arrow = original
    if pc.any(pc.match_substring_regex(arrow, _CONTROL.pattern)).as_py():
        arrow = pc.replace_substring_regex(arrow, _CONTROL.pattern, "")
    arrow = pc.utf8_trim_whitespace(arrow)
    quoted = pc.starts_with(arrow, "'")
    if pc.any(quoted).as_py():
        mask = _objects(quoted).astype(bool)
        out = _objects(arrow).copy()
        out[mask] = [unescape_cell(t) for t in out[mask]]
        return pd.Series(out, dtype=object, copy=False), _arrow(out)
    if arrow.equals(original):
        return text, arrow  # nothing to clean: keep the cells as they are, no new objects
    return pd.Series(_objects(arrow), dtype=object, copy=False), arrow


def shown(cell: object) -> str:
    """A cell as quoted in a message (long cells shortened)."""
    text = _cell_text(cell) if isinstance(cell, float) and math.isfinite(cell) else str(cell)
    return text if len(text) <= 40 else text[:37] + "..."


# --- one column ---------------------------------------------------------------


def parse_column(values: np.ndarray, column: Column, where: Cells,
                 nonnegative: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Typed values of one column, and a mask of the cells that had a problem.

    Text columns give objects (None for blank), lists tuples (None for blank),
    yes/no columns bools (blank = False), number columns floats (NaN for blank)
    and whole-number columns int64 when every cell is filled, else floats.
    ``nonnegative`` also refuses negative whole numbers.
    """
    values = np.asarray(values, dtype=object)
    if column.type == "text":
        result, bad, blank = _text_column(values, where)
    elif column.type == "list":
        result, bad, blank = _list_column(values)
    elif column.type == "bool":
        return _bool_column(values, where)
    else:
        result, bad, blank = _number_column(values, column.type, where, nonnegative)
    if column.required:
        where.report("required_empty", np.flatnonzero(blank & ~bad))
    return result, bad


def _text_column(values: np.ndarray, where: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text, arrow = _clean(values)
    out = text.to_numpy(dtype=object)
    blank = out == ""
    lengths = np.zeros(0, np.int64) if arrow is None else pc.utf8_length(arrow).to_numpy()
    too_long = lengths > MAX_TEXT
    out = out.copy()
    out[blank] = None
    if too_long.any():
        where.report("text_too_long", np.flatnonzero(too_long),
                     lambda i: {"length": int(lengths[i]), "limit": MAX_TEXT})
        out[too_long] = None
    return out, too_long, blank


def _list_column(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = clean_text(values)
    blank = text.to_numpy(dtype=object) == ""
    out = np.full(len(text), None, dtype=object)
    filled = np.flatnonzero(~blank)
    if len(filled):
        cells = text.iloc[filled]
        split = cells.str.contains(_LIST_SPLIT, regex=True).to_numpy(dtype=bool)
        out[filled[~split]] = [(cell,) for cell in cells[~split]]
        if split.any():
            parts = cells[split].str.split(_LIST_SPLIT, regex=True)
            out[filled[split]] = [tuple(p.strip() for p in cell if p.strip()) for cell in parts]
    return out, np.zeros(len(text), bool), blank


def _bool_column(values: np.ndarray, where: Cells) -> tuple[np.ndarray, np.ndarray]:
    text, _ = as_text(values)
    arrow = pa.array(text.to_numpy(dtype=object), type=pa.string())
    words = pd.Series(pc.utf8_lower(pc.utf8_trim_whitespace(arrow)).to_numpy(zero_copy_only=False), dtype=object)
    blank = (words == "").to_numpy(dtype=bool)
    is_true = words.isin(TRUE_WORDS).to_numpy(dtype=bool)
    is_false = words.isin(FALSE_WORDS).to_numpy(dtype=bool)
    if _is_str_array(values):
        out, is_real = is_true, np.zeros(len(values), bool)
    else:  # a workbook's TRUE/FALSE cells are yes/no values already
        is_real = np.fromiter((isinstance(v, (bool, np.bool_)) for v in values), bool, len(values))
        out = np.where(is_real, np.where(is_real, values, False).astype(bool), is_true)
    bad = ~is_true & ~is_false & ~is_real & ~blank
    where.report("not_bool", np.flatnonzero(bad), lambda i: {"value": shown(values[i])})
    out = out.astype(bool)
    out[bad] = False
    return out, bad


def _number_column(values: np.ndarray, kind: str, where: Cells,
                   nonnegative: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    numbers, blank, failed = _numbers(values, where)
    ok = ~blank & ~failed
    with np.errstate(invalid="ignore"):
        not_finite = ok & ~np.isfinite(numbers)
        large = ok & ~not_finite & (np.abs(numbers) > MAX_NUMBER)
        fine = ok & ~not_finite & ~large
        whole = np.floor(numbers) == numbers
        not_integer = fine & ~whole if kind == "integer" else np.zeros(len(values), bool)
        negative = fine & ~not_integer & (numbers < 0) if (kind == "nonnegative" or nonnegative) else None
        not_positive = fine & (numbers <= 0) if kind == "positive" else None
    where.report("not_finite", np.flatnonzero(not_finite), lambda i: {"value": shown(values[i])})
    where.report("too_large_value", np.flatnonzero(large), lambda i: {"value": shown(values[i]), "limit": MAX_NUMBER})
    bad = failed | not_finite | large
    if kind == "integer":
        where.report("not_integer", np.flatnonzero(not_integer), lambda i: {"value": shown(values[i])})
        bad |= not_integer
    if negative is not None:
        where.report("negative", np.flatnonzero(negative), lambda i: {"value": shown(values[i])})
        bad |= negative
    if not_positive is not None:
        where.report("not_positive", np.flatnonzero(not_positive), lambda i: {"value": shown(values[i])})
        bad |= not_positive
    numbers = numbers.copy()
    numbers[bad] = np.nan
    if kind == "integer" and len(numbers) and not (blank | bad).any():
        return numbers.astype(np.int64), bad, blank
    return numbers, bad, blank


def _numbers(values: np.ndarray, where: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats of a column (NaN where blank or not a number), the blank cells and the cells refused."""
    n = len(values)
    numbers = np.full(n, np.nan)
    failed = np.zeros(n, bool)
    missing = _missing(values)
    if _is_str_array(values):
        blank = missing | (values == "")
        strings = np.flatnonzero(~blank)
        try:
            numbers[strings] = values[strings].astype(float)  # Python's float() on each cell, in C
            return numbers, blank, failed
        except (ValueError, TypeError):
            pass
        stripped = _objects(pc.utf8_trim_whitespace(_arrow(np.where(missing, "", values))))
        blank = missing | (stripped == "")
        strings = np.flatnonzero(~blank)
    else:
        kinds = np.array([0 if gone else 1 if isinstance(v, str) else
                          2 if isinstance(v, (bool, np.bool_)) else
                          3 if isinstance(v, (int, float, np.integer, np.floating)) else 4
                          for v, gone in zip(values, missing)], dtype=np.int8)
        text = np.array([v if k == 1 else "" for v, k in zip(values, kinds)], dtype=object)
        stripped = _objects(pc.utf8_trim_whitespace(_arrow(text)))
        blank = (kinds == 0) | ((kinds == 1) & (stripped == ""))
        real = np.flatnonzero(kinds == 3)
        numbers[real] = values[real].astype(float)
        odd = np.flatnonzero((kinds == 2) | (kinds == 4))  # yes/no or a date in a number column
        if len(odd):
            where.report("not_a_number", odd, lambda i: {"value": shown(values[i])})
            failed[odd] = True
        strings = np.flatnonzero((kinds == 1) & ~blank)
    if len(strings):
        cells = stripped[strings]
        try:
            numbers[strings] = cells.astype(float)  # Python's float() on each cell, in C
        except (ValueError, TypeError):
            parsed, refused = _numbers_from_text(cells, values[strings], where, strings)
            numbers[strings] = parsed
            failed[strings[refused]] = True
    return numbers, blank, failed


def _numbers_from_text(cells: np.ndarray, originals: np.ndarray, where: Cells,
                       positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slower path for text that is not a plain number: normalise, then judge commas."""
    arrow = pc.utf8_normalize(_arrow(cells), form="NFKC")
    arrow = pc.replace_substring(pc.utf8_trim_whitespace(arrow), " ", "")
    refused = np.zeros(len(cells), bool)
    comma = _objects(pc.match_substring(arrow, ",")).astype(bool)
    if comma.any():
        grouped = _objects(pc.match_substring_regex(arrow, f"^{_THOUSANDS}$")).astype(bool)
        stray = np.flatnonzero(comma & ~grouped)
        text = _objects(arrow)
        suggestions: dict[int, str] = {}
        for i in stray:
            suggestion = _decimal_suggestion(text[i])
            if suggestion is not None:
                suggestions[int(i)] = suggestion
        refused[list(suggestions)] = True
        malformed = np.zeros(len(cells), bool)  # "1,,5", "1,5,0": no number, whichever way the comma reads
        malformed[[i for i in stray if i not in suggestions]] = True
        where.report("decimal_comma", positions[list(suggestions)],
                     lambda p: {"value": shown(originals[np.searchsorted(positions, p)]),
                                "suggestion": suggestions[int(np.searchsorted(positions, p))]})
        arrow = pc.replace_substring(arrow, ",", "")
    text = _objects(arrow)
    out = np.full(len(cells), np.nan)
    try:
        out[:] = text.astype(float)
        bad = np.zeros(len(cells), bool)
    except (ValueError, TypeError):
        floats = [_float_or_none(t) for t in text]
        bad = np.fromiter((f is None for f in floats), bool, len(floats))
        out[:] = [np.nan if f is None else f for f in floats]
    if comma.any():
        bad |= malformed
    bad &= ~refused
    where.report("not_a_number", positions[bad], lambda p: {"value": shown(originals[np.searchsorted(positions, p)])})
    out[refused | bad] = np.nan
    return out, refused | bad


def _decimal_suggestion(text: str) -> str | None:
    """``1,5`` -> ``1.5``, ``1.234,5`` -> ``1234.5``: a comma that reads as a decimal mark, else None."""
    match = re.fullmatch(r"([+-]?[0-9.]*[0-9]),([0-9]+)", text)
    if not match:
        return None
    return match.group(1).replace(".", "") + "." + match.group(2)


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
