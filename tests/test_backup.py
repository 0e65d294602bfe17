"""``python -m optimizer backup`` / ``restore`` on real DuckDB files, run as a user runs them (a subprocess).

A restore brings back data that was changed or lost; a backup taken while another process keeps
writing to the file (as the app does) is one consistent snapshot; bad paths and bad files exit 2 and
change nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from optimizer import load_dataset
from storage.store import SAMPLE_NAME, Store, summarize_file

from .conftest import ROOT, SAMPLE, start_busy_writer, write_tables


def cli(*args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def snapshot(path: Path) -> dict[str, pd.DataFrame]:
    store = Store(path, seed=False)
    try:
        return store.snapshot()
    finally:
        store.close()


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert set(a) == set(b)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def test_a_restore_brings_back_changed_and_lost_data(tmp_path):
    db = tmp_path / "app.duckdb"
    store = Store(db)
    store.save_dataset("tiny", load_dataset(write_tables(tmp_path / "tiny"), name="tiny"), source_file="tiny")
    store.save_scenario(SAMPLE_NAME, "base", {"budget": 300000.0}, {"status": "optimal", "selected": ["a"]})
    store.close()
    before = snapshot(db)

    made = cli("backup", "--db", db, "--to", tmp_path)
    assert made.returncode == 0, made.stderr
    backup = next(tmp_path.glob("app-*.duckdb"))
    assert str(backup) in made.stdout

    time.sleep(0.01)  # the change below is later than the backup's last change
    store = Store(db, seed=False)
    store.delete_scenario(SAMPLE_NAME, "base")
    store.save_scenario(SAMPLE_NAME, "later", {"budget": 1.0}, {"status": "optimal"})
    store.close()
    changed = snapshot(db)

    refused = cli("restore", backup, "--db", db)
    assert refused.returncode == 2 and "after the backup" in refused.stderr and "--force" in refused.stderr
    assert_same(snapshot(db), changed)  # refused: nothing changed, nothing kept aside
    assert not list(tmp_path.glob("*.before-restore-*"))

    forced = cli("restore", backup, "--db", db, "--force")
    assert forced.returncode == 0, forced.stderr
    assert_same(snapshot(db), before)
    kept = next(tmp_path.glob("app.before-restore-*.duckdb"))
    assert str(kept) in forced.stdout
    assert_same(snapshot(kept), changed)  # the replaced database is kept, whole

    db.unlink()  # the database is lost
    again = cli("restore", backup, "--db", db)
    assert again.returncode == 0, again.stderr
    assert_same(snapshot(db), before)
    assert Store(db, seed=False).load_dataset("tiny").projects.index.tolist() == [f"P{k}" for k in range(1, 8)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file left behind


def test_a_backup_taken_while_another_process_writes_is_consistent(tmp_path):
    """The writer keeps the file busy as the app does (a whole dataset and a scenario, over and over); each
    backup waits for its turn, and each copy holds every dataset whole and every scenario whole."""
    db = tmp_path / "live.duckdb"
    Store(db).close()
    sample = load_dataset(SAMPLE, name=SAMPLE_NAME)
    writer = start_busy_writer(db)
    try:
        assert writer.stdout.readline().strip() == "1"  # the writer is writing
        backups = []
        for number in range(3):
            made = cli("backup", "--db", db, "--to", tmp_path / f"b{number}.duckdb")
            assert made.returncode == 0, made.stderr
            backups.append(tmp_path / f"b{number}.duckdb")
        writes_after = writer.stdout.readline().strip()
        assert writer.poll() is None, "the writer died while the backups ran"
    finally:
        writer.kill()
        writer.wait()
    assert int(writes_after) > 1  # it went on writing between and after the backups

    for path in backups:
        summary = summarize_file(path)
        assert not summary.missing()
        copy = Store(path, seed=False)
        try:
            info = copy.dataset_info().set_index("name")
            assert info.loc[SAMPLE_NAME, "projects"] == len(sample.projects)
            if "copy" in info.index:  # whole or absent, never half
                assert info.loc["copy", "projects"] == len(sample.projects)
                assert info.loc["copy", "facilities"] == len(sample.facilities)
                versions = copy.versions("copy")
                assert list(versions["version"]) == list(range(len(versions), 0, -1))
            for name in copy.scenario_names(SAMPLE_NAME):
                _, result = copy.load_scenario(SAMPLE_NAME, name)
                assert len(result["selected"]) == len(sample.projects)
            log = copy.import_log()
            assert log["id"].is_unique
            copy.log_failed_import("x", "x.csv", ["a later import into the copy still gets a fresh id"])
        finally:
            copy.close()


def test_bad_paths_and_bad_files_exit_2_and_change_nothing(tmp_path):
    db = tmp_path / "app.duckdb"
    Store(db, seed=False).close()
    before = db.read_bytes()

    cases = {
        "no database": cli("backup", "--db", tmp_path / "missing.duckdb", "--to", tmp_path / "b.duckdb"),
        "no folder": cli("backup", "--db", db, "--to", tmp_path / "nowhere" / "b.duckdb"),
        "onto itself": cli("backup", "--db", db, "--to", db, "--force"),
        "no backup": cli("restore", tmp_path / "missing.duckdb", "--db", db),
        "restore into no folder": cli("restore", db, "--db", tmp_path / "nowhere" / "app.duckdb"),
        "bad wait": cli("backup", "--db", db, "--wait", "-1"),
    }
    not_a_database = tmp_path / "notes.duckdb"
    not_a_database.write_bytes(b"not a database" * 1000)
    cases["not a database"] = cli("restore", not_a_database, "--db", db)
    import duckdb

    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INTEGER)").close()
    cases["another app's database"] = cli("restore", other, "--db", db)
    (tmp_path / "taken.duckdb").write_bytes(b"x")
    cases["existing backup"] = cli("backup", "--db", db, "--to", tmp_path / "taken.duckdb")

    for name, done in cases.items():
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.strip(), name
    assert "lacks the tables" in cases["another app's database"].stderr
    assert "not a readable DuckDB database" in cases["not a database"].stderr
    assert (tmp_path / "taken.duckdb").read_bytes() == b"x"
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.duckdb", "notes.duckdb", "other.duckdb",
                                                          "taken.duckdb"]
