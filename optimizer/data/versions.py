"""What changed between two versions of a project list: rows added, removed and changed.

The store keeps every import as a version; this compares two of them table
by table, by each table's key, on the cells as the run record's hash reads
them (so "changed" here means exactly "the data hash differs because of this
row").
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.data.canonical import cell, contract_tables
from optimizer.data.dataset import Dataset
from optimizer.data.schema import TABLES


@dataclass(frozen=True)
class RowChange:
    """One row of one table: added, removed, or changed in some columns (with old → new values)."""

    table: str
    key: str
    change: str
    columns: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


def diff_datasets(old: Dataset, new: Dataset) -> list[RowChange]:
    """Every row added, removed or changed from ``old`` to ``new``, table by table, in key order."""
    changes: list[RowChange] = []
    old_tables, new_tables = contract_tables(old), contract_tables(new)
    for name in ("facilities", "projects", "products", "targets"):
        key = TABLES[name].key
        before, after = _cells(old_tables[name], key), _cells(new_tables[name], key)
        for k in sorted(set(after) - set(before)):
            changes.append(RowChange(name, k, "added"))
        for k in sorted(set(before) - set(after)):
            changes.append(RowChange(name, k, "removed"))
        for k in sorted(set(before) & set(after)):
            a, b = before[k], after[k]
            columns = tuple(c for c in sorted(set(a) | set(b)) if a.get(c, "") != b.get(c, ""))
            if columns:
                changes.append(RowChange(name, k, "changed", columns, tuple(a.get(c, "") for c in columns),
                                         tuple(b.get(c, "") for c in columns)))
    return changes


def changes_table(changes: list[RowChange]) -> pd.DataFrame:
    """The changes as one table for a page or a download."""
    return pd.DataFrame([{"table": c.table, "key": c.key, "change": c.change, "columns": ", ".join(c.columns),
                          "before": "; ".join(c.before), "after": "; ".join(c.after)} for c in changes],
                        columns=["table", "key", "change", "columns", "before", "after"])


def _cells(frame: pd.DataFrame, key: str) -> dict[str, dict[str, str]]:
    """key -> {column: cell as the hash writes it}; blank cells are left out, so a blank column equals none."""
    rows: dict[str, dict[str, str]] = {}
    columns = [str(c) for c in frame.columns]
    for values in frame.itertuples(index=False, name=None):
        cells = {c: cell(v) for c, v in zip(columns, values)}
        rows[cells[key]] = {c: v for c, v in cells.items() if v != ""}
    return rows
