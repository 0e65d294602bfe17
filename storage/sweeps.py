"""Sweep results kept in a DuckDB file beside the app's data: one table per process of taking them in.

A sweep (``python -m optimizer sweep --results FILE.parquet``) writes Parquet;
the app or an analyst takes it into a DuckDB file here, under a name, and
reads it back for charts. Every SQL statement binds its values; the table
name is fixed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

TABLE = "sweep_results"


def save_sweep(database: Path | str, name: str, parquet: Path | str) -> int:
    """Take the sweep file ``parquet`` into ``database`` under ``name`` (replacing a sweep of that name)."""
    frame = pd.read_parquet(Path(parquet))
    frame.insert(0, "sweep", name)
    with duckdb.connect(str(database)) as con:
        con.begin()
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} AS SELECT * FROM incoming WITH NO DATA")
        con.execute(f"DELETE FROM {TABLE} WHERE sweep = ?", [name])
        con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM incoming")
        con.commit()
    return len(frame)


def load_sweep(database: Path | str, name: str) -> pd.DataFrame:
    """The rows of sweep ``name``, in the order they were written."""
    with duckdb.connect(str(database), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {TABLE} WHERE sweep = ?", [name]).df()
    return frame.drop(columns="sweep")
