"""Defaults the command line needs before anything heavy is imported (it starts in well under a second)."""

import os
from pathlib import Path

#: The environment variable naming the app's DuckDB file, and the file used without it.
DATABASE_VARIABLE = "RETROFIT_DB"
DEFAULT_DATABASE = Path(__file__).resolve().parents[2] / "data" / "retrofit.duckdb"


def database_path() -> Path:
    """The app's database file, as the app, the store commands and the command line find it."""
    return Path(os.environ.get(DATABASE_VARIABLE) or DEFAULT_DATABASE)

#: Real discount rate used unless the user sets another (8 % is common in Chinese feasibility studies).
DEFAULT_DISCOUNT_RATE = 0.08
#: The plans run to 2030: the last year of a roadmap unless the user sets another.
DEFAULT_LAST_YEAR = 2030
