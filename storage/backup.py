"""Backups of the app's database while the app runs, and restores that never leave half a file.

``backup`` copies the live file through the store (:meth:`Store.backup_to`: one transaction, while
this process holds the file, so nothing else writes during the copy) into a hidden partial file next
to the destination, checks that the copy opens and holds every row counted, then renames it into
place. The app opens the file only for the length of a call (:mod:`storage.store`), so a backup waits
at most for the call in progress.

``restore`` checks the backup first (it opens, it is this app's database, a copy of it holds the same
rows), refuses to replace a database changed after the backup was taken unless ``force``, keeps the
replaced file as ``<name>.before-restore-<time>.duckdb``, and swaps the checked copy in with one
rename: at every moment the path holds the old file or the new one, whole. A running app notices the
swap: its next save is refused (``gone``) and asks for a restart, so nothing is written into the old
file and silently lost.

No SQL here: the store owns every statement.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from .store import LOCK_WAIT, FileSummary, Store, StoreError, summarize_file


class BackupProblem(Exception):
    """A backup or restore that was refused or failed; the message says why and what to do (English)."""


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did: the file written, its rows per table, the replaced file kept aside."""

    path: Path
    summary: FileSummary
    kept: Path | None = None


def default_backup_path(database: Path) -> Path:
    """``backups/<name>-<time>.duckdb`` beside the database."""
    return database.parent / "backups" / f"{database.stem}-{time.strftime('%Y%m%d-%H%M%S')}{database.suffix}"


def backup(database: Path, target: Path | None = None, *, force: bool = False, wait: float = LOCK_WAIT) -> Outcome:
    """Copy the database at ``database`` into ``target`` (a file, or a folder to write a dated file into).

    Waits up to ``wait`` seconds while another process (the app, mid-call) holds the file. Refuses a
    missing database, a missing destination folder, an existing file (unless ``force``) and the
    database itself as destination.
    """
    if not database.is_file():
        raise BackupProblem(f"no database file at {database}")
    if target is None:
        target = default_backup_path(database)
        target.parent.mkdir(exist_ok=True)
    elif target.is_dir():
        target = target / default_backup_path(database).name
    if not target.parent.is_dir():
        raise BackupProblem(f"the folder {target.parent} does not exist")
    if target.exists():
        if _same(target, database):
            raise BackupProblem(f"{target} is the database itself: choose another file")
        if not force:
            raise BackupProblem(f"{target} exists: choose another name, or --force to replace it")
    partial = _partial(target, "partial")
    _remove(partial)  # a leftover of a backup killed midway
    try:
        try:
            store = Store(database, seed=False, lock_wait=wait)
        except StoreError as error:
            raise BackupProblem(error.text("en")) from None
        try:
            counts = store.backup_to(partial)
        except StoreError as error:
            raise BackupProblem(error.text("en")) from None
        except Exception as error:  # the copy failed (a full disk, a lost folder): nothing was renamed
            raise BackupProblem(f"the copy failed: {str(error).splitlines()[0]}") from None
        finally:
            store.close()
        summary = _check(partial, counts)
        _sync(partial)
        os.replace(partial, target)
        _sync(target.parent)
        return Outcome(target, summary)
    finally:
        _remove(partial)


def restore(source: Path, database: Path, *, force: bool = False, wait: float = LOCK_WAIT) -> Outcome:
    """Replace the database at ``database`` by the backup ``source``; the replaced file is kept aside.

    Refused (nothing changes) when the backup is missing, is not a database of this app, or when the
    database was changed after the backup was taken and ``force`` is not given.
    """
    if not source.is_file():
        raise BackupProblem(f"no backup file at {source}")
    if not database.parent.is_dir():
        raise BackupProblem(f"the folder {database.parent} does not exist")
    if database.exists() and _same(source, database):
        raise BackupProblem(f"{source} is the database itself")
    wanted = _valid_backup(source)
    partial = _partial(database, "restoring")
    _remove(partial)
    try:
        shutil.copyfile(source, partial)
        _sync(partial)
        _check(partial, wanted.counts)
        if not database.exists():
            os.replace(partial, database)
            _sync(database.parent)
            return Outcome(database, summarize_file(database, wait))
        kept = database.with_name(f"{database.stem}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}"
                                  f"{database.suffix}")
        try:
            store: Store | None = Store(database, seed=False, lock_wait=wait)
        except StoreError as error:
            if not error.may_move_aside:  # locked, no permission, disk full: a healthy file stays as it is
                raise BackupProblem(error.text("en")) from None
            store = None  # the present file cannot be read: it is kept aside as it is, then replaced
        if store is None:
            for old, new in ((database, kept), (_log(database), _log(kept))):
                if old.exists():
                    shutil.copy2(old, new)
            os.replace(partial, database)
            _remove(_log(database))
        else:
            with store.exclusive() as present:  # held, log folded in: the file is whole and stays so
                if _newer(present, wanted) and not force:
                    raise BackupProblem(
                        f"{database} was changed at {present.last_change} (UTC), after the backup "
                        f"({wanted.last_change or 'empty'}): restoring would lose those changes. "
                        "Take a backup of it first, or restore with --force (the replaced file is kept).")
                shutil.copy2(database, kept)
                if os.name != "nt":  # POSIX renames over an open file: swap while still holding it
                    os.replace(partial, database)
            store.close()
            if os.name == "nt":
                os.replace(partial, database)
        _sync(database.parent)
        restored = summarize_file(database, wait)
        if restored.counts != wanted.counts:
            raise BackupProblem(f"{database} does not hold the backup's rows after the restore; "
                                f"the previous file is kept at {kept}")
        return Outcome(database, restored, kept)
    finally:
        _remove(partial)


# --- helpers ---------------------------------------------------------------------------------


def _valid_backup(path: Path) -> FileSummary:
    try:
        summary = summarize_file(path, lock_wait=0)
    except StoreError as error:
        raise BackupProblem(f"{path} is not a readable DuckDB database ({error.code}: {error.detail})") from None
    if summary.missing():
        raise BackupProblem(f"{path} is not a backup of this app's database: it lacks the tables "
                            f"{', '.join(summary.missing())}")
    return summary


def _check(copy: Path, counts: dict[str, int]) -> FileSummary:
    """The copy opens and holds exactly the rows counted in the source."""
    try:
        summary = summarize_file(copy, lock_wait=0)
    except StoreError as error:
        raise BackupProblem(f"the copy does not open ({error.code}: {error.detail}); nothing was replaced") from None
    if summary.counts != counts:
        raise BackupProblem(f"the copy holds {summary.counts}, expected {counts}; nothing was replaced")
    return summary


def _newer(present: FileSummary, backup: FileSummary) -> bool:
    if present.last_change is None:
        return False
    return backup.last_change is None or present.last_change > backup.last_change


def _partial(target: Path, what: str) -> Path:
    """A hidden file beside ``target`` (same file system, so the final rename is atomic)."""
    return target.with_name(f".{target.name}.{what}-{os.getpid()}")


def _log(path: Path) -> Path:
    return Path(str(path) + ".wal")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _remove(path: Path) -> None:
    for leftover in (path, _log(path)):
        with suppress(FileNotFoundError):
            leftover.unlink()


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries, on POSIX) to the disk."""
    if path.is_dir() and os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
