"""The DuckDB store: every SQL statement of the product lives in this package.

One file holds named datasets side by side, saved scenarios and an import
log. Every import and every save is one transaction: all of it lands or
none. One connection per process at a time; each call works on its own
cursor, as DuckDB documents for threads. The connection is opened when a
call needs it and closed when the last call using it ends, so the file is
free between calls: a backup (``python -m optimizer backup``) or a second
process gets its turn while the app runs, and a call that finds the file
held waits for it (:data:`LOCK_WAIT`) instead of failing at once.
Parameters are always bound, never formatted into SQL.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from optimizer.data.dataset import DATA_DIR, Dataset, Target, text_as_objects
from optimizer.data.defaults import DATABASE_VARIABLE, database_path
from optimizer.data.plain import jsonable
from optimizer.data.schema import FACILITIES, PRODUCTS, PROJECTS, SECTORS, TARGET_KINDS

from .access import (
    LOCAL,
    LOCK_AFTER,
    LOCK_MINUTES,
    SYSTEM,
    AccessDenied,
    Actor,
    check_admin,
    check_role,
    check_user_name,
    check_write,
    is_reserved,
)

LOG = logging.getLogger("retrofit.store")
PATH_VARIABLE = DATABASE_VARIABLE
SAMPLE_NAME = "fuzhou_sample"
SAMPLE_FOLDER = DATA_DIR / "sample" / "fuzhou"

#: Seconds a call waits for a file another process holds for a moment (a backup, the command line, a
#: second app) before it reports the file as locked.
LOCK_WAIT = 30.0

_SECTORS = ", ".join(f"'{s}'" for s in SECTORS)  # constants of the schema, not user input
_KINDS = ", ".join(f"'{k}'" for k in TARGET_KINDS)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS datasets (
    name TEXT PRIMARY KEY,
    source_file TEXT,
    illustrative BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS facilities (
    dataset TEXT NOT NULL,
    position INTEGER NOT NULL,
    facility_id TEXT NOT NULL,
    name TEXT,
    sector TEXT NOT NULL CHECK (sector IN ({_SECTORS})),
    product TEXT NOT NULL,
    capacity DOUBLE NOT NULL CHECK (capacity > 0),
    energy_intensity DOUBLE NOT NULL,
    district TEXT,
    extra TEXT,
    PRIMARY KEY (dataset, facility_id)
);
CREATE TABLE IF NOT EXISTS projects (
    dataset TEXT NOT NULL,
    position INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    name TEXT,
    category TEXT,
    capex DOUBLE NOT NULL CHECK (capex >= 0),
    co2_reduction DOUBLE CHECK (co2_reduction >= 0),
    energy_saving_tce DOUBLE CHECK (energy_saving_tce >= 0),
    electricity_saving_mwh DOUBLE,
    energy_intensity_after DOUBLE,
    exclusive_group TEXT,
    requires TEXT,
    retire BOOLEAN NOT NULL,
    annual_saving DOUBLE,
    lifetime_years DOUBLE CHECK (lifetime_years > 0),
    earliest_year INTEGER,
    extra TEXT,
    fuel TEXT,
    lead_time_years INTEGER CHECK (lead_time_years >= 0),
    co2_low DOUBLE CHECK (co2_low >= 0),
    co2_high DOUBLE CHECK (co2_high >= 0),
    PRIMARY KEY (dataset, project_id)
);
CREATE TABLE IF NOT EXISTS products (
    dataset TEXT NOT NULL,
    position INTEGER NOT NULL,
    product TEXT NOT NULL,
    name_en TEXT, name_zh TEXT, sector TEXT, unit TEXT, intensity_unit TEXT,
    benchmark DOUBLE NOT NULL,
    baseline DOUBLE NOT NULL,
    source TEXT,
    PRIMARY KEY (dataset, product)
);
CREATE TABLE IF NOT EXISTS targets (
    dataset TEXT NOT NULL,
    position INTEGER NOT NULL,
    target_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({_KINDS})),
    products TEXT NOT NULL,
    value DOUBLE NOT NULL CHECK (value >= 0),
    weight TEXT NOT NULL CHECK (weight IN ('capacity', 'energy')),
    year INTEGER,
    name_en TEXT, name_zh TEXT, source TEXT,
    PRIMARY KEY (dataset, target_id)
);
CREATE TABLE IF NOT EXISTS scenarios (
    dataset TEXT NOT NULL,
    name TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    settings TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (dataset, name)
);
CREATE TABLE IF NOT EXISTS dataset_versions (
    dataset TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    saved_at TIMESTAMP NOT NULL,
    source_file TEXT,
    data_hash TEXT NOT NULL,
    facilities INTEGER NOT NULL,
    projects INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (dataset, version)
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    team TEXT,
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    session_epoch INTEGER NOT NULL DEFAULT 0,
    disabled BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE SEQUENCE IF NOT EXISTS audit_log_id;
CREATE TABLE IF NOT EXISTS audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id'),
    logged_at TIMESTAMP NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT,
    action TEXT NOT NULL,
    dataset TEXT,
    name TEXT,
    detail TEXT
);
CREATE SEQUENCE IF NOT EXISTS import_log_id;
CREATE TABLE IF NOT EXISTS import_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('import_log_id'),
    logged_at TIMESTAMP NOT NULL,
    dataset TEXT NOT NULL,
    file TEXT,
    ok BOOLEAN NOT NULL,
    rows INTEGER,
    messages TEXT
);
"""

#: Columns added after the first release: a file written before them gets them on opening (blank).
ADDED_COLUMNS = (
    ("projects", "fuel", "TEXT"),
    ("projects", "lead_time_years", "INTEGER"),
    ("projects", "co2_low", "DOUBLE"),
    ("projects", "co2_high", "DOUBLE"),
    ("scenarios", "dataset_version", "INTEGER"),
    ("scenarios", "data_hash", "TEXT"),
    # who owns and who wrote each row; scenario deletes are soft (deleted_at set).
    # A file from before keeps its rows with no team: only an admin may change those.
    ("datasets", "team", "TEXT"),
    ("datasets", "created_by", "TEXT"),
    ("dataset_versions", "saved_by", "TEXT"),
    ("scenarios", "team", "TEXT"),
    ("scenarios", "saved_by", "TEXT"),
    ("scenarios", "deleted_at", "TIMESTAMP"),
    ("scenarios", "deleted_by", "TEXT"),
    ("import_log", "user_name", "TEXT"),
)

_DATA_TABLES = ("facilities", "projects", "products", "targets")


class StoreError(Exception):
    """The database cannot be used; ``text(language)`` says why and what to do.

    ``code`` tells the faults apart, because each asks for a different act and
    only one of them may ever move a file aside:

    * ``locked``: another process holds the file (use another file);
    * ``read_only``: no permission to write the file or its folder (healthy: never moved);
    * ``disk_full``: nothing more can be written (healthy: never moved; this save was not made);
    * ``gone``: the file was deleted or replaced while the app ran (this save was refused, so it
      is not silently lost);
    * ``damaged_log``: the main file is intact, its write-ahead log is not (only the log may be
      set aside);
    * ``corrupt``: the main file itself cannot be read (it may be moved aside, kept as a backup).
    """

    def __init__(self, code: str, path: Path, detail: str = ""):
        self.code, self.path, self.detail = code, path, detail
        super().__init__(self.text("en"))

    @property
    def may_move_aside(self) -> bool:
        """Only an unreadable main file, or a damaged log, may be set aside; a healthy file never."""
        return self.code in ("corrupt", "damaged_log")

    def text(self, language: str = "en") -> str:
        zh = language == "zh"
        if self.code == "read_only":
            return (f"没有写入数据库文件 {self.path} 的权限（文件完好，不会被移动）。请让管理员授予写权限，"
                    f"或设置 {PATH_VARIABLE} 使用另一个文件。" if zh else
                    f"No permission to write the database file {self.path} (the file is intact and will not be "
                    f"moved). Ask an administrator for write access, or set {PATH_VARIABLE} to use another file.")
        if self.code == "disk_full":
            return (f"磁盘已满，无法写入数据库文件 {self.path}；本次保存未完成，已有数据不受影响。"
                    "请释放磁盘空间后重试。" if zh else
                    f"The disk is full: the database file {self.path} cannot be written. This save was not made; "
                    "the data already stored is unaffected. Free some space and try again.")
        if self.code == "gone":
            return (f"数据库文件 {self.path} 在运行中被删除或替换；为免数据丢失，本次保存被拒绝。请重启应用。"
                    if zh else
                    f"The database file {self.path} was deleted or replaced while the app was running; this save "
                    "was refused so that it is not silently lost. Restart the app.")
        if self.code == "damaged_log":
            return (f"数据库文件 {self.path} 完好，但其预写日志（.wal）已损坏：{self.detail}。"
                    "可将损坏的日志移到一旁（保留备份）后打开数据库；日志中尚未写入的最后改动将不会载入。"
                    if zh else
                    f"The database file {self.path} is intact but its write-ahead log (.wal) is damaged: "
                    f"{self.detail}. You can set the damaged log aside (kept as a backup) and open the database; "
                    "the last changes only in that log will not be loaded.")
        if self.code == "locked":
            holder = re.search(r"PID (\d+)", self.detail)
            who = f" (process {holder.group(1)})" if holder else ""
            return (f"数据库文件 {self.path} 正被另一个程序{who}占用；请关闭它，或设置 {PATH_VARIABLE} 使用另一个文件。"
                    if language == "zh" else
                    f"The database file {self.path} is held by another program{who}; close it, "
                    f"or set {PATH_VARIABLE} to use another file.")
        return (f"数据库文件 {self.path} 无法打开（可能已损坏）：{self.detail}。"
                "可从示例数据新建数据库，原文件将保留备份。"
                if language == "zh" else
                f"The database file {self.path} cannot be opened (it may be corrupt): {self.detail}. "
                f"You can start a new database from the sample; the old file is kept as a backup.")


def default_path() -> Path:
    return database_path()


class Store:
    """A DuckDB file of datasets, scenarios and the import log."""

    def __init__(self, path: str | Path | None = None, seed: bool = True, lock_wait: float = LOCK_WAIT):
        self.path = Path(path) if path else default_path()
        self.lock_wait = lock_wait
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self.writes = 0  # transactions committed by this object (part of :meth:`generation`)
        connection = self._open()
        try:
            connection.execute(SCHEMA)
            for table, column, kind in ADDED_COLUMNS:  # constants above, not user input
                connection.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
        except (duckdb.Error, OSError) as error:
            raise opening_error(self.path, error) from None
        finally:
            connection.close()
        self._identity = _identity(self.path)
        if seed and not self.dataset_names():
            self.seed_sample()
        self._version_unversioned()

    def close(self) -> None:
        """Close the connection if no call is using it (the next call opens it again)."""
        with self._lock:
            if self._connection is not None and not self._users:
                self._connection.close()
                self._connection = None

    def generation(self) -> tuple[int, ...]:
        """A value that changes whenever the file may have changed: this object's commits and the size and
        time of the file and its log (another process's write). A cache keyed on it is never stale."""
        stamp: list[int] = [self.writes]
        for path in (self.path, Path(str(self.path) + ".wal")):
            try:
                stat = path.stat()
                stamp += [stat.st_mtime_ns, stat.st_size, stat.st_ino]
            except OSError:
                stamp += [0, 0, 0]
        return tuple(stamp)

    # --- plumbing -----------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A read-write connection, waiting up to ``lock_wait`` seconds while another process holds the file."""
        try:
            return _connect_waiting(self.path, self.lock_wait)
        except (duckdb.Error, OSError) as error:
            raise opening_error(self.path, error) from None

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the process's connection, opened for the first concurrent call and closed by the last.

        A file deleted or replaced since the store opened it is never opened again (that would start a
        new, empty file): the call is refused as ``gone``.
        """
        with self._lock:
            if self._connection is None:
                if _identity(self.path) != self._identity:
                    raise StoreError("gone", self.path)
                self._connection = self._open()
            self._users += 1
            try:
                cursor = self._connection.cursor()
            except BaseException:
                self._release()
                raise
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._release()

    def _release(self) -> None:
        """One call fewer; the last one closes the connection (DuckDB folds the log into the file)."""
        self._users -= 1
        if self._users == 0 and self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.close()
            except (duckdb.Error, OSError) as error:  # the commit is in the log already; nothing is lost
                LOG.warning("closing %s: %s", self.path, error)

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All statements inside land together or not at all.

        Refused before it starts when the file was deleted or replaced since it
        was opened (the write would go to an unlinked file and vanish on
        restart); a full disk or lost permission becomes a :class:`StoreError`
        that says so, never a raw traceback.
        """
        if _identity(self.path) != self._identity:
            raise StoreError("gone", self.path)
        with self._cursor() as cursor:
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield cursor
            except BaseException as error:
                cursor.execute("ROLLBACK")
                if isinstance(error, (duckdb.Error, OSError)) and _write_fault(error):
                    raise StoreError(_write_fault(error), self.path, str(error).splitlines()[0]) from None
                raise
            try:
                cursor.execute("COMMIT")
            except (duckdb.Error, OSError) as error:
                if _write_fault(error):
                    raise StoreError(_write_fault(error), self.path, str(error).splitlines()[0]) from None
                raise
            self.writes += 1

    # --- datasets -----------------------------------------------------------

    # --- who may write ------------------------------------------------------

    def has_users(self) -> bool:
        """Whether this file has user accounts (then every write needs a logged-in actor)."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT count(*) FROM users").fetchone()
        return bool(row and row[0])

    def resolve(self, actor: Actor | None) -> Actor:
        """The actor of a write: ``None`` is the laptop's single user, refused once the file has users."""
        if actor is not None and not actor.single_user:
            return actor
        if self.has_users():  # the laptop's single user does not exist once the file has accounts
            raise AccessDenied("login_required")
        return LOCAL

    def check_dataset_write(self, name: str, actor: Actor | None = None) -> Actor:
        """Raise :class:`AccessDenied` unless ``actor`` may import or save dataset ``name``; returns the actor.

        The sample's name is reserved for everyone; an existing dataset is written only by its
        team's analysts or an admin.
        """
        who = self.resolve(actor)
        if is_reserved(name, SAMPLE_NAME):
            raise AccessDenied("reserved", name=name)
        with self._cursor() as cursor:
            row = cursor.execute("SELECT team FROM datasets WHERE name = ?", [name]).fetchone()
        check_write(who, name, row[0] if row else None, row is not None)
        return who

    def dataset_team(self, name: str) -> tuple[bool, str | None]:
        """(whether dataset ``name`` exists, its team)."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT team FROM datasets WHERE name = ?", [name]).fetchone()
        return (row is not None, row[0] if row else None)

    def scenario_team(self, dataset: str, name: str) -> tuple[bool, str | None]:
        """(whether scenario ``name`` of ``dataset`` exists, deleted or not, its team)."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT team FROM scenarios WHERE dataset = ? AND name = ?",
                                 [dataset, name]).fetchone()
        return (row is not None, row[0] if row else None)

    def _check_scenario_write(self, dataset: str, name: str, actor: Actor | None) -> Actor:
        who = self.resolve(actor)
        exists, team = self.scenario_team(dataset, name)
        check_write(who, name, team, exists)
        return who

    @staticmethod
    def _audit(cursor: duckdb.DuckDBPyConnection, actor: Actor, action: str, dataset: str | None = None,
               name: str | None = None, detail: str = "") -> None:
        """One line of the audit log, in the same transaction as the write it records."""
        cursor.execute("INSERT INTO audit_log (logged_at, user_name, role, team, action, dataset, name, detail) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [_now(), actor.name, actor.role, actor.team, action, dataset, name, detail])

    def audit_log(self, limit: int = 1000) -> pd.DataFrame:
        """The newest writes first: when, who (name, role, team), what (action, dataset, name, detail)."""
        with self._cursor() as cursor:
            return cursor.execute("SELECT logged_at, user_name, role, team, action, dataset, name, detail "
                                  "FROM audit_log ORDER BY id DESC LIMIT ?", [int(limit)]).df()

    # --- datasets -----------------------------------------------------------

    def seed_sample(self) -> None:
        """Store the illustrative Fuzhou sample under its reserved name ``fuzhou_sample`` (no team)."""
        from optimizer.data.checks import load_dataset

        self._write_dataset(SAMPLE_NAME, load_dataset(SAMPLE_FOLDER, name=SAMPLE_NAME),
                            source_file="data/sample/fuzhou (ILLUSTRATIVE)", illustrative=True, rows_in_file=None,
                            actor=SYSTEM, action="seed sample")

    def dataset_names(self) -> list[str]:
        with self._cursor() as cursor:
            return [row[0] for row in cursor.execute("SELECT name FROM datasets ORDER BY created_at, name").fetchall()]

    def dataset_info(self) -> pd.DataFrame:
        with self._cursor() as cursor:
            return cursor.execute("""
                SELECT d.name, d.source_file, d.illustrative, d.created_at,
                       (SELECT count(*) FROM facilities f WHERE f.dataset = d.name) AS facilities,
                       (SELECT count(*) FROM projects p WHERE p.dataset = d.name) AS projects
                       , d.team, d.created_by
                FROM datasets d ORDER BY d.created_at, d.name""").df()

    def save_dataset(self, name: str, dataset: Dataset, source_file: str = "", illustrative: bool = False,
                     rows_in_file: int | None = None, *, actor: Actor | None = None) -> int:
        """Store ``dataset`` under ``name`` as its newest version, in one transaction; returns the version.

        The tables hold the newest version, the one every page reads; every
        version, this one included, is also kept whole in ``dataset_versions``
        (a zip of the contract's CSV files with its SHA-256), so any of them can
        be shown, compared or restored.

        ``actor`` must be allowed to write ``name`` (:meth:`check_dataset_write`: never the
        sample's reserved name; an existing dataset only by its team or an admin), else
        :class:`~storage.access.AccessDenied` and nothing is written. A new dataset belongs to the
        actor's team; the write is recorded in the audit log with the actor and the time.
        """
        who = self.check_dataset_write(name, actor)
        return self._write_dataset(name, dataset, source_file, illustrative, rows_in_file, who, "save dataset")

    def _write_dataset(self, name: str, dataset: Dataset, source_file: str, illustrative: bool,
                       rows_in_file: int | None, actor: Actor, action: str) -> int:
        tables = _dataset_rows(name, dataset)
        content, digest = _archive(dataset)
        with self._transaction() as cursor:
            owner = cursor.execute("SELECT team FROM datasets WHERE name = ?", [name]).fetchone()
            if actor != SYSTEM:  # checked again inside the transaction: no other write slipped in between
                check_write(actor, name, owner[0] if owner else None, owner is not None)
            team = owner[0] if owner else actor.team
            row = cursor.execute("SELECT coalesce(max(version), 0) + 1 FROM dataset_versions WHERE dataset = ?",
                                 [name]).fetchone()
            version = int(row[0]) if row else 1
            cursor.execute("INSERT INTO dataset_versions (dataset, version, saved_at, source_file, data_hash, "
                           "facilities, projects, content, saved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [name, version, _now(), source_file, digest, len(dataset.facilities),
                            len(dataset.projects), content, actor.name])
            for table in _DATA_TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE dataset = ?", [name])
            cursor.execute("DELETE FROM datasets WHERE name = ?", [name])
            cursor.execute("INSERT INTO datasets (name, source_file, illustrative, created_at, team, created_by) "
                           "VALUES (?, ?, ?, ?, ?, ?)", [name, source_file, illustrative, _now(), team, actor.name])
            for table, frame in tables.items():
                cursor.register("incoming", frame)
                columns = ", ".join(frame.columns)
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming")
                cursor.unregister("incoming")
            cursor.execute("INSERT INTO import_log (logged_at, dataset, file, ok, rows, messages, user_name) "
                           "VALUES (?, ?, ?, TRUE, ?, '', ?)",
                           [_now(), name, source_file, rows_in_file if rows_in_file is not None
                            else len(dataset.facilities) + len(dataset.projects), actor.name])
            self._audit(cursor, actor, action, name, None, f"version {version} from {source_file}")
        return version

    # --- versions -----------------------------------------------------------

    def versions(self, name: str) -> pd.DataFrame:
        """Every kept version of a dataset, newest first: version, saved_at, source_file, data_hash, counts."""
        with self._cursor() as cursor:
            return cursor.execute("SELECT version, saved_at, source_file, data_hash, facilities, projects "
                                  "FROM dataset_versions WHERE dataset = ? ORDER BY version DESC", [name]).df()

    def current_version(self, name: str) -> tuple[int, str] | None:
        """(version, data hash) of the newest version of a dataset, or None."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT version, data_hash FROM dataset_versions WHERE dataset = ? "
                                 "ORDER BY version DESC LIMIT 1", [name]).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def load_version(self, name: str, version: int) -> Dataset:
        """A kept version of a dataset, read back through the same checks as an upload."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT content FROM dataset_versions WHERE dataset = ? AND version = ?",
                                 [name, int(version)]).fetchone()
        if row is None:
            raise KeyError(f"{name} version {version}")
        from optimizer.data.checks import build_dataset
        from optimizer.data.reading import read_bytes

        return build_dataset(read_bytes(f"{name}-v{version}.zip", bytes(row[0])), name=name)

    def restore_version(self, name: str, version: int, *, actor: Actor | None = None) -> int:
        """Make a kept version the newest again (as a new version: history is never rewritten).

        The same rule as a save: only the dataset's team or an admin, never the sample's name.
        """
        who = self.check_dataset_write(name, actor)
        old = self.load_version(name, version)
        with self._cursor() as cursor:
            row = cursor.execute("SELECT illustrative FROM datasets WHERE name = ?", [name]).fetchone()
        return self._write_dataset(name, old, f"restored from version {int(version)}",
                                   bool(row[0]) if row else False, None, who, "restore version")

    def _version_unversioned(self) -> None:
        """A file written before versions were kept gets its datasets' present content as version 1."""
        with self._cursor() as cursor:
            names = [r[0] for r in cursor.execute(
                "SELECT name FROM datasets WHERE name NOT IN (SELECT dataset FROM dataset_versions)").fetchall()]
        for name in names:
            dataset = self.load_dataset(name)
            content, digest = _archive(dataset)
            with self._transaction() as cursor:
                cursor.execute("INSERT INTO dataset_versions (dataset, version, saved_at, source_file, data_hash, "
                               "facilities, projects, content, saved_by) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                               [name, _now(), "present content when versions began", digest,
                                len(dataset.facilities), len(dataset.projects), content, SYSTEM.name])

    def log_failed_import(self, name: str, file: str, messages: list[str], *, actor: Actor | None = None) -> None:
        """Record a refused import, with who tried it; the data tables are not touched."""
        who = actor.name if actor is not None else (LOCAL.name if not self.has_users() else None)
        with self._transaction() as cursor:
            cursor.execute("INSERT INTO import_log (logged_at, dataset, file, ok, rows, messages, user_name) "
                           "VALUES (?, ?, ?, FALSE, 0, ?, ?)",
                           [_now(), name, file, "\n".join(messages), who])

    def import_log(self) -> pd.DataFrame:
        with self._cursor() as cursor:
            return cursor.execute("SELECT * FROM import_log ORDER BY id DESC").df()

    def load_dataset(self, name: str) -> Dataset:
        """The dataset stored under ``name``, exactly as saved."""
        with self._cursor() as cursor:
            frames = {table: cursor.execute(f"SELECT * FROM {table} WHERE dataset = ? ORDER BY position", [name]).df()
                      for table in _DATA_TABLES}
        if frames["facilities"].empty and name not in self.dataset_names():
            raise KeyError(name)
        facilities = _with_extra(frames["facilities"], FACILITIES.names).set_index("facility_id")
        projects = _with_extra(frames["projects"], PROJECTS.names).set_index("project_id")
        projects["requires"] = [tuple(r.split(";")) if isinstance(r, str) and r else None for r in projects["requires"]]
        projects["retire"] = projects["retire"].astype(bool)
        products = frames["products"].drop(columns=["dataset", "position"]).set_index("product")
        targets = [Target(r.target_id, r.kind, tuple(r.products.split(";")), float(r.value), r.weight,
                          None if pd.isna(r.year) else int(r.year), r.name_en or "", r.name_zh or "", r.source or "")
                   for r in frames["targets"].itertuples()]
        return Dataset(text_as_objects(facilities), text_as_objects(projects), products, targets, name=name)

    def table_counts(self) -> dict[str, int]:
        """Rows per table, for checks that nothing was half-written."""
        with self._cursor() as cursor:
            return {table: int(cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
                    for table in (*_DATA_TABLES, "datasets", "scenarios")}

    def snapshot(self) -> dict[str, pd.DataFrame]:
        """Every data table's full content, sorted (used by tests to compare before and after)."""
        with self._cursor() as cursor:
            return {table: cursor.execute(f"SELECT * EXCLUDE (created_at) FROM {table} ORDER BY ALL").df()
                    if table == "datasets" else cursor.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
                    for table in (*_DATA_TABLES, "datasets", "scenarios")}

    # --- scenarios ----------------------------------------------------------

    def save_scenario(self, dataset: str, name: str, settings: dict, result: dict, *,
                      actor: Actor | None = None) -> None:
        """Save (or overwrite) a named scenario: its settings, its result, and the data version it was solved on.

        A new scenario belongs to the actor's team; an existing one (also one deleted and not yet
        restored) is overwritten only by its team or an admin. Recorded in the audit log.
        """
        who = self.resolve(actor)
        current = self.current_version(dataset)
        version, digest = current if current else (None, None)
        with self._transaction() as cursor:
            row = cursor.execute("SELECT team FROM scenarios WHERE dataset = ? AND name = ?",
                                 [dataset, name]).fetchone()
            check_write(who, name, row[0] if row else None, row is not None)
            team = row[0] if row else who.team
            cursor.execute("DELETE FROM scenarios WHERE dataset = ? AND name = ?", [dataset, name])
            cursor.execute("INSERT INTO scenarios (dataset, name, saved_at, settings, result, dataset_version, "
                           "data_hash, team, saved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [dataset, name, _now(), _json(settings), _json(result), version, digest, team, who.name])
            self._audit(cursor, who, "save scenario", dataset, name, "overwrote" if row else "new")

    def scenario_versions(self, dataset: str) -> dict[str, tuple[int | None, str | None]]:
        """name -> (dataset version, data hash) each scenario was saved on."""
        with self._cursor() as cursor:
            rows = cursor.execute("SELECT name, dataset_version, data_hash FROM scenarios WHERE dataset = ? "
                                  "AND deleted_at IS NULL", [dataset]).fetchall()
        return {str(n): (None if v is None else int(v), h) for n, v, h in rows}

    def scenario_names(self, dataset: str) -> list[str]:
        with self._cursor() as cursor:
            return [r[0] for r in cursor.execute(
                "SELECT name FROM scenarios WHERE dataset = ? AND deleted_at IS NULL ORDER BY saved_at, name",
                [dataset]).fetchall()]

    def scenarios(self, dataset: str) -> dict[str, tuple[dict, dict]]:
        """Every saved scenario of ``dataset``, name -> (settings, result), in the order saved (one query)."""
        with self._cursor() as cursor:
            rows = cursor.execute("SELECT name, settings, result FROM scenarios WHERE dataset = ? "
                                  "AND deleted_at IS NULL ORDER BY saved_at, name", [dataset]).fetchall()
        return {str(name): (json.loads(settings), json.loads(result)) for name, settings, result in rows}

    def scenario_owners(self, dataset: str) -> dict[str, tuple[str | None, str | None]]:
        """name -> (team, saved by) of every scenario of ``dataset`` not deleted."""
        with self._cursor() as cursor:
            rows = cursor.execute("SELECT name, team, saved_by FROM scenarios WHERE dataset = ? "
                                  "AND deleted_at IS NULL", [dataset]).fetchall()
        return {str(n): (team, by) for n, team, by in rows}

    def load_scenario(self, dataset: str, name: str) -> tuple[dict, dict]:
        """(settings, result) of a saved scenario."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT settings, result FROM scenarios WHERE dataset = ? AND name = ? "
                                 "AND deleted_at IS NULL", [dataset, name]).fetchone()
        if row is None:
            raise KeyError(name)
        return json.loads(row[0]), json.loads(row[1])

    def delete_scenario(self, dataset: str, name: str, *, actor: Actor | None = None) -> None:
        """Soft delete: the scenario is hidden, kept, and can be restored (:meth:`restore_scenario`)."""
        who = self._check_scenario_write(dataset, name, actor)
        with self._transaction() as cursor:
            cursor.execute("UPDATE scenarios SET deleted_at = ?, deleted_by = ? WHERE dataset = ? AND name = ? "
                           "AND deleted_at IS NULL", [_now(), who.name, dataset, name])
            self._audit(cursor, who, "delete scenario", dataset, name)

    def deleted_scenarios(self, dataset: str) -> pd.DataFrame:
        """Scenarios of ``dataset`` deleted and not restored, newest deletion first: name, team, deleted_at/by."""
        with self._cursor() as cursor:
            return cursor.execute("SELECT name, team, saved_by, deleted_at, deleted_by FROM scenarios "
                                  "WHERE dataset = ? AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, name",
                                  [dataset]).df()

    def restore_scenario(self, dataset: str, name: str, *, actor: Actor | None = None) -> None:
        """Undo a delete: the scenario is listed again as it was (same team and rule as a delete)."""
        who = self._check_scenario_write(dataset, name, actor)
        with self._transaction() as cursor:
            cursor.execute("UPDATE scenarios SET deleted_at = NULL, deleted_by = NULL WHERE dataset = ? AND name = ?",
                           [dataset, name])
            self._audit(cursor, who, "restore scenario", dataset, name)

    # --- users --------------------------------------------------------------

    def add_user(self, name: str, role: str, team: str | None, password_hash: str | None, *, actor: Actor) -> None:
        """Create an account (``password_hash`` None: it logs in through OpenID Connect only). Admins only."""
        check_admin(actor)
        check_role(role)
        name = check_user_name(name)
        with self._transaction() as cursor:
            cursor.execute("INSERT INTO users (name, role, team, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                           [name, role, team or None, password_hash, _now()])
            self._audit(cursor, actor, "add user", None, name, f"role {role}, team {team or '-'}")

    def user(self, name: str) -> dict[str, Any] | None:
        """One account as a dict (name, role, team, password_hash, failures, locked_until, session_epoch,
        disabled), or None."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT name, role, team, password_hash, failures, locked_until, session_epoch, "
                                 "disabled FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            return None
        keys = ("name", "role", "team", "password_hash", "failures", "locked_until", "session_epoch", "disabled")
        return dict(zip(keys, row))

    def users(self) -> pd.DataFrame:
        """Every account without its hash: name, role, team, created_at, failures, locked_until, disabled."""
        with self._cursor() as cursor:
            return cursor.execute("SELECT name, role, team, password_hash IS NOT NULL AS has_password, created_at, "
                                  "failures, locked_until, disabled FROM users ORDER BY name").df()

    def teams(self) -> list[str]:
        """Every team named by an account, a dataset or a scenario."""
        with self._cursor() as cursor:
            return [r[0] for r in cursor.execute(
                "SELECT team FROM users WHERE team IS NOT NULL UNION SELECT team FROM datasets WHERE team IS NOT NULL "
                "UNION SELECT team FROM scenarios WHERE team IS NOT NULL ORDER BY 1").fetchall()]

    def update_user(self, name: str, *, actor: Actor, role: str | None = None, team: str | None = None,
                    password_hash: str | None = None, disabled: bool | None = None, unlock: bool = False) -> None:
        """Change an account (admins only). A new password, a role change or disabling ends its open sessions
        (its session epoch moves on); the last enabled admin cannot lose the role."""
        check_admin(actor)
        old = self.user(name)
        if old is None:
            raise AccessDenied("unknown_user", name=name)
        if role is not None:
            check_role(role)
        new_role = role or old["role"]
        new_disabled = old["disabled"] if disabled is None else disabled
        with self._transaction() as cursor:
            if old["role"] == "admin" and (new_role != "admin" or new_disabled):
                others = cursor.execute("SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled "
                                        "AND name <> ?", [name]).fetchone()
                if not others or not others[0]:
                    raise AccessDenied("last_admin")
            ends_sessions = (password_hash is not None or new_role != old["role"]
                             or bool(new_disabled and not old["disabled"]))
            cursor.execute("UPDATE users SET role = ?, team = ?, password_hash = ?, disabled = ?, "
                           "failures = CASE WHEN ? THEN 0 ELSE failures END, "
                           "locked_until = CASE WHEN ? THEN NULL ELSE locked_until END, "
                           "session_epoch = session_epoch + ? WHERE name = ?",
                           [new_role, old["team"] if team is None else (team or None),
                            old["password_hash"] if password_hash is None else password_hash, new_disabled,
                            unlock or password_hash is not None, unlock or password_hash is not None,
                            1 if ends_sessions else 0, name])
            changes = [f"{k} {v}" for k, v in (("role", role), ("team", team), ("disabled", disabled)) if v is not None]
            if password_hash is not None:
                changes.append("password reset")
            if unlock:
                changes.append("unlocked")
            self._audit(cursor, actor, "update user", None, name, ", ".join(changes))

    def record_login(self, name: str, ok: bool, now: datetime | None = None) -> None:
        """Count a login: a success clears the failures; the :data:`~storage.access.LOCK_AFTER`-th failure in a row
        locks the account for :data:`~storage.access.LOCK_MINUTES` minutes. Failures and locks are audited."""
        from datetime import timedelta

        now = now or _now()
        with self._transaction() as cursor:
            if ok:
                cursor.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE name = ?", [name])
                return
            row = cursor.execute("UPDATE users SET failures = failures + 1 WHERE name = ? RETURNING failures, role, "
                                 "team", [name]).fetchone()
            if row is None:
                return
            locked = int(row[0]) >= LOCK_AFTER
            if locked:
                cursor.execute("UPDATE users SET locked_until = ?, failures = 0 WHERE name = ?",
                               [now + timedelta(minutes=LOCK_MINUTES), name])
            self._audit(cursor, Actor(name, str(row[1]), row[2]), "login failed", None, name,
                        f"locked for {LOCK_MINUTES} min" if locked else f"failure {int(row[0])}")

    # --- backups (storage/backup.py runs them; the SQL is here) -------------------

    def backup_to(self, target: Path) -> dict[str, int]:
        """Copy the whole database into the new file ``target``; returns the rows per table copied.

        The copy is DuckDB's ``COPY FROM DATABASE`` (tables with their constraints, sequences at their
        current value) inside one transaction with the row counts, so it is one consistent snapshot even
        while other threads of this process write. While it runs this process holds the file, so no
        other process writes either. ``ATTACH`` takes no bound parameter: the path is quoted as a SQL
        string literal.
        """
        with self._cursor() as cursor:
            database = _quoted(str(_one(cursor, "SELECT current_database()")))
            cursor.execute(f"ATTACH '{str(target).replace(chr(39), chr(39) * 2)}' AS backup_copy")
            try:
                cursor.execute("BEGIN TRANSACTION")
                try:
                    counts = _summary(cursor).counts
                    cursor.execute(f"COPY FROM DATABASE {database} TO backup_copy")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            finally:
                cursor.execute("DETACH backup_copy")
        return counts

    @contextmanager
    def exclusive(self) -> Iterator[FileSummary]:
        """Hold the file (no other process can open it) with its log folded in (``CHECKPOINT``), so the
        file on disk is whole and stays as it is until the block ends; yields its summary."""
        with self._cursor() as cursor:
            cursor.execute("CHECKPOINT")
            yield _summary(cursor)


@dataclass(frozen=True)
class FileSummary:
    """What a database file holds: rows per table, and the time of its last recorded change."""

    counts: dict[str, int]
    last_change: datetime | None

    def missing(self) -> list[str]:
        """The app's tables the file lacks (a file without them is not this app's database)."""
        return [table for table in REQUIRED_TABLES if table not in self.counts]


#: The tables every database of this app has (extra tables, from a later version, are fine).
REQUIRED_TABLES = ("datasets", *_DATA_TABLES, "scenarios", "dataset_versions", "import_log")

#: Every table whose rows carry a time of writing: the newest of them is the file's last change.
_CHANGE_TIMES = (("datasets", "created_at"), ("scenarios", "saved_at"), ("dataset_versions", "saved_at"),
                 ("import_log", "logged_at"))


def summarize_file(path: Path, lock_wait: float = LOCK_WAIT) -> FileSummary:
    """Open a database file read-only (a backup, or a copy about to replace the live file) and summarise
    it; an unreadable file raises :class:`StoreError` (``corrupt``), a held one waits, then ``locked``."""
    try:
        connection = _connect_waiting(path, lock_wait, read_only=True)
    except (duckdb.Error, OSError) as error:
        raise opening_error(path, error) from None
    try:
        return _summary(connection)
    except duckdb.Error as error:
        raise StoreError("corrupt", path, str(error).splitlines()[0]) from None
    finally:
        connection.close()


def _summary(cursor: duckdb.DuckDBPyConnection) -> FileSummary:
    tables = [str(r[0]) for r in cursor.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "ORDER BY table_name").fetchall()]
    counts = {table: int(_one(cursor, f"SELECT count(*) FROM {_quoted(table)}")) for table in tables}
    times = [f"SELECT max({column}) FROM {table}" for table, column in _CHANGE_TIMES if table in counts]
    last = _one(cursor, "SELECT max(t) FROM (" + " UNION ALL ".join(times) + ") AS changes(t)") if times else None
    return FileSummary(counts, last)


def _one(cursor: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = cursor.execute(sql).fetchone()
    return None if row is None else row[0]


def _quoted(name: str) -> str:
    """A SQL identifier (a table or database name read from the catalog), double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def _connect_waiting(path: Path, wait: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried with growing, jittered pauses while another process holds the file
    (DuckDB allows one writing process per file), for up to ``wait`` seconds."""
    deadline = time.monotonic() + max(0.0, wait)
    pause = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 1.6, 0.5)


# --- conversions ------------------------------------------------------------


def opening_error(path: Path, error: BaseException) -> StoreError:
    """Why a file would not open, told apart: locked, no permission, disk full, a damaged log, or corrupt.

    A file that fails only because of its write-ahead log is checked by
    opening a copy of the main file alone: if that works, the main file is
    healthy and only the log may be set aside.
    """
    text = str(error)
    first = text.splitlines()[0] if text else type(error).__name__
    low = text.lower()
    if isinstance(error, duckdb.IOException) and "lock" in low:
        return StoreError("locked", path, text)
    fault = _write_fault(error)
    if fault:
        return StoreError(fault, path, first)
    log = Path(str(path) + ".wal")
    if log.exists() and path.exists() and _opens_alone(path):
        return StoreError("damaged_log", path, first)
    return StoreError("corrupt", path, first)


def _write_fault(error: BaseException) -> str:
    """``read_only`` or ``disk_full`` when an error says so, else ''."""
    low = str(error).lower()
    if isinstance(error, PermissionError) or "permission denied" in low or "read-only file system" in low:
        return "read_only"
    if "no space left" in low or "disk full" in low or "not enough space" in low:
        return "disk_full"
    return ""


def _opens_alone(path: Path) -> bool:
    """Whether the main file opens without its write-ahead log (tried on a copy; nothing is moved)."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="retrofit-check-") as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        try:
            duckdb.connect(str(copy), read_only=True).close()
        except duckdb.Error:
            return False
    return True


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file: a deleted or replaced file no longer matches."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _archive(dataset: Dataset) -> tuple[bytes, str]:
    """A version's content (the contract's CSV files, zipped) and its SHA-256 (as in the run record)."""
    from optimizer.data.canonical import data_hash
    from optimizer.outputs.export import dataset_zip

    return dataset_zip(dataset), data_hash(dataset)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)


def _dataset_rows(name: str, dataset: Dataset) -> dict[str, pd.DataFrame]:
    facilities = _split_extra(dataset.facilities.reset_index(), FACILITIES.names)
    projects = _split_extra(dataset.projects.reset_index(), PROJECTS.names)
    projects["requires"] = [";".join(r) if isinstance(r, tuple) and r else None for r in projects["requires"]]
    projects["retire"] = projects["retire"].astype(bool)
    products = dataset.products.reset_index()
    products = products.reindex(columns=PRODUCTS.names)
    targets = dataset.targets_table()
    out = {}
    for table, frame in (("facilities", facilities), ("projects", projects), ("products", products),
                         ("targets", targets)):
        frame = frame.copy()
        frame.insert(0, "position", np.arange(len(frame), dtype=np.int32))
        frame.insert(0, "dataset", name)
        out[table] = frame.astype(object).where(frame.notna(), None)
    return out


def _split_extra(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Contract columns as they are; any other columns packed as JSON into ``extra``."""
    extras = [c for c in frame.columns if c not in names]
    out = frame.reindex(columns=names)
    out["extra"] = [json.dumps({c: row[c] for c in extras}, ensure_ascii=False) if extras else None
                    for _, row in frame[extras].iterrows()] if extras else None
    return out


def _with_extra(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    out = frame[names].copy()
    if frame["extra"].notna().any():
        extra = pd.DataFrame([json.loads(e) if isinstance(e, str) else {} for e in frame["extra"]], index=frame.index)
        out = pd.concat([out, extra], axis=1)
    return out
