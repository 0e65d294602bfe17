"""The DuckDB store, imports and exports, on real files and a real database file."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from optimizer import load_dataset, optimize
from optimizer.answers.diagnosis import diagnose
from optimizer.data.checks import build_dataset
from optimizer.data.dataset import EmissionFactors
from optimizer.data.instance import prepare
from optimizer.data.reading import read_bytes
from optimizer.outputs.export import dataset_workbook, dataset_zip, portfolio_csv, portfolio_table, portfolio_workbook
from storage.importing import import_upload
from storage.store import SAMPLE_NAME, Store, StoreError

from .conftest import SAMPLE, TINY_FACILITIES, TINY_PROJECTS


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "test.duckdb")
    yield store
    store.close()


def _blanks_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """A blank cell is None whichever way it was made (checks leaves an absent optional column as None
    objects, DuckDB hands a NULL number back as NaN); every other value stays as it is."""
    return frame.astype(object).where(frame.notna(), None)


def assert_same_dataset(a, b):
    for table in ("facilities", "projects", "products"):
        left, right = getattr(a, table), getattr(b, table)
        assert list(left.columns) == list(right.columns), table
        pd.testing.assert_frame_equal(_blanks_as_none(left), _blanks_as_none(right), check_dtype=False, obj=table)
    assert a.targets == b.targets


def test_a_new_store_is_seeded_with_the_illustrative_sample(store):
    assert store.dataset_names() == [SAMPLE_NAME]
    info = store.dataset_info()
    assert bool(info.loc[0, "illustrative"])
    assert "ILLUSTRATIVE" in info.loc[0, "source_file"]


def test_store_round_trip_is_exact(store):
    assert_same_dataset(load_dataset(SAMPLE, name=SAMPLE_NAME), store.load_dataset(SAMPLE_NAME))


@pytest.mark.parametrize("writer", [dataset_workbook, dataset_zip])
def test_export_then_import_gives_identical_tables(writer, tmp_path):
    original = load_dataset(SAMPLE, name="x")
    suffix = ".xlsx" if writer is dataset_workbook else ".zip"
    again = build_dataset(read_bytes(f"dataset{suffix}", writer(original)), name="x")
    assert_same_dataset(original, again)


def test_round_trip_keeps_formula_like_text_plain(tmp_path):
    projects = TINY_PROJECTS.replace("membrane light", "=HYPERLINK(\"http://x\")")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "facilities.csv").write_text(TINY_FACILITIES, encoding="utf-8")
    (folder / "projects.csv").write_text(projects, encoding="utf-8")
    original = load_dataset(folder, name="x")
    workbook = dataset_workbook(original)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["projects"]
    names = [row[2].value for row in sheet.iter_rows(min_row=2)]
    assert "'=HYPERLINK(\"http://x\")" in names  # inert in a spreadsheet
    assert all(row[2].data_type == "s" for row in sheet.iter_rows(min_row=2))
    again = build_dataset(read_bytes("d.xlsx", workbook), name="x")
    assert again.projects.loc["P2", "name"] == "=HYPERLINK(\"http://x\")"


def test_failed_import_leaves_the_store_exactly_as_before(store):
    good = ("facilities.csv", TINY_FACILITIES), ("projects.csv", TINY_PROJECTS)
    assert import_upload(store, "tiny", "tiny.zip", _zip(good)).ok
    before = store.snapshot()
    broken = ("facilities.csv", TINY_FACILITIES), ("projects.csv", TINY_PROJECTS.replace("3000", "lots"))
    outcome = import_upload(store, "tiny", "tiny.zip", _zip(broken))
    assert not outcome.ok
    assert any(p.code == "not_a_number" and p.row == 2 and p.column == "capex" for p in outcome.problems)
    after = store.snapshot()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)
    log = store.import_log()
    assert list(log["ok"][:2]) == [False, True]
    assert "lots" in log["messages"].iloc[0]


def test_a_save_that_fails_midway_rolls_back(store, monkeypatch):
    """The database refuses a row (a CHECK) after earlier tables were written: nothing lands."""
    dataset = load_dataset(SAMPLE, name="x")
    before = store.snapshot()
    bad = dataset.projects.copy()
    bad.iloc[-1, bad.columns.get_loc("capex")] = -1.0  # passes no check: written straight to the store
    broken = type(dataset)(dataset.facilities, bad, dataset.products, dataset.targets, name="x")
    with pytest.raises(Exception):
        store.save_dataset("x", broken)
    after = store.snapshot()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


def test_two_threads_import_and_read_at_once(store):
    errors: list[BaseException] = []
    files = _zip((("facilities.csv", TINY_FACILITIES), ("projects.csv", TINY_PROJECTS)))

    def writer(number):
        try:
            for round_ in range(5):
                assert import_upload(store, f"list{number}", "tiny.zip", files).ok
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def reader():
        try:
            for _ in range(20):
                dataset = store.load_dataset(SAMPLE_NAME)
                assert len(dataset.projects) > 200
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)] + [threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert set(store.dataset_names()) == {SAMPLE_NAME, "list0", "list1"}
    assert len(store.load_dataset("list1").projects) == 7


def test_scenarios_save_compare_delete(store):
    store.save_scenario(SAMPLE_NAME, "base", {"budget": 300000.0}, {"co2_reduction_t": 1.0, "selected": ["a"]})
    store.save_scenario(SAMPLE_NAME, "base", {"budget": 400000.0}, {"co2_reduction_t": 2.0, "selected": ["b"]})
    store.save_scenario(SAMPLE_NAME, "high", {"budget": float("nan")}, {"gap": float("inf")})
    assert store.scenario_names(SAMPLE_NAME) == ["base", "high"]
    settings, result = store.load_scenario(SAMPLE_NAME, "base")
    assert settings == {"budget": 400000.0} and result["selected"] == ["b"]
    assert store.load_scenario(SAMPLE_NAME, "high") == ({"budget": None}, {"gap": None})
    store.delete_scenario(SAMPLE_NAME, "base")
    assert store.scenario_names(SAMPLE_NAME) == ["high"]


def test_a_second_process_gets_a_clear_lock_message(tmp_path):
    import subprocess
    import sys
    import time

    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('ok', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreError) as caught:
            Store(path, lock_wait=0.5)  # the holder keeps the file far longer than the store waits
        assert caught.value.code == "locked"
        assert str(holder.pid) in caught.value.text("en")
        assert "占用" in caught.value.text("zh")
    finally:
        holder.kill()
        holder.wait()
        time.sleep(0.1)


def test_a_call_waits_while_another_process_holds_the_file_for_a_moment(tmp_path):
    """The store opens the file per call: another process (a backup, the command line) may hold it between
    calls, and a call made meanwhile waits for it instead of failing."""
    import subprocess
    import sys

    path = tmp_path / "shared.duckdb"
    store = Store(path, seed=False)
    store.save_scenario("d", "before", {"budget": 1}, {"status": "optimal"})
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "c.execute(\"INSERT INTO import_log (logged_at, dataset, ok) "
                               "VALUES (now(), 'other', TRUE)\"); "
                               "print('ok', flush=True); time.sleep(1.5); c.close()"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"  # the other process holds the file now
        store.save_scenario("d", "during", {"budget": 2}, {"status": "optimal"})
        assert store.scenario_names("d") == ["before", "during"]
        assert "other" in set(store.import_log()["dataset"])  # the other process's write is there too
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert caught.value.code == "corrupt"
    assert "sample" in caught.value.text("en")


def test_sample_targets_bind():
    """A small budget cannot meet the plan's targets; a larger one can, and the diagnosis says how much."""
    dataset = load_dataset(SAMPLE)
    small = optimize(dataset, budget=50_000)
    assert small.status == "infeasible"
    least = diagnose(prepare(dataset), dataset.targets, budget=50_000).least_budget
    assert 50_000 < least < 300_000
    enough = optimize(dataset, budget=least * 1.001)
    assert enough.status in ("optimal", "feasible")
    assert all(t.met for t in enough.targets)
    assert not all(t.met for t in small.targets)


def test_portfolio_downloads_hold_the_chosen_projects():
    dataset = load_dataset(SAMPLE, name="s")
    factors = EmissionFactors.default()
    instance = prepare(dataset, factors)
    result = optimize(instance, budget=300_000, targets=dataset.targets)
    table = portfolio_table(dataset, instance, result)
    csv = pd.read_csv(io.BytesIO(portfolio_csv(table)), encoding="utf-8-sig")
    assert sorted(csv["project_id"]) == sorted(result.selected)
    assert "capex (万元)" in csv.columns and "co2_cut (tCO2/yr)" in csv.columns
    assert csv["co2_cut (tCO2/yr)"].sum() == pytest.approx(result.co2_reduction_t)
    sheets = pd.read_excel(io.BytesIO(portfolio_workbook(dataset, instance, result, factors)), sheet_name=None)
    assert list(sheets)[:6] == ["summary", "portfolio", "targets", "assumptions", "sources", "run_record"]
    assert [name for name in sheets if name.startswith("data_")] == [
        "data_facilities", "data_projects", "data_products", "data_targets"]
    summary = dict(zip(sheets["summary"]["item"], sheets["summary"]["value"]))
    assert float(summary["spend"]) == pytest.approx(result.spend)
    assert summary["solver_status"] == result.status
    assert summary["data_note"].startswith("ILLUSTRATIVE")
    assumptions = sheets["assumptions"]
    assert "grid_fujian_2023" in set(assumptions["id"].dropna())


def _zip(files) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files:
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def test_new_project_columns_round_trip(store):
    """fuel, lead_time_years, co2_low and co2_high are stored and read back as written."""
    projects = TINY_PROJECTS.replace("retire\n", "retire,fuel,lead_time_years,co2_low,co2_high\n", 1)
    lines = projects.splitlines()
    lines[1] += ",natural_gas,2,2000,3000"
    dataset = build_dataset(read_bytes("tiny.zip", _zip([("facilities.csv", TINY_FACILITIES),
                                                           ("projects.csv", "\n".join(lines) + "\n")])), name="new")
    store.save_dataset("new", dataset)
    back = store.load_dataset("new").projects.loc["P1"]
    assert (back["fuel"], int(back["lead_time_years"]), back["co2_low"], back["co2_high"]) == \
        ("natural_gas", 2, 2000.0, 3000.0)


def test_a_file_written_before_the_new_columns_opens_and_gets_them(tmp_path):
    """A database from before fuel/lead_time_years/co2_low/co2_high is read, and gains the columns."""
    import duckdb

    path = tmp_path / "old.duckdb"
    old = Store(path)
    old.close()
    with duckdb.connect(str(path)) as connection:
        for column in ("fuel", "lead_time_years", "co2_low", "co2_high"):
            connection.execute(f"ALTER TABLE projects DROP COLUMN {column}")
    reopened = Store(path)
    try:
        assert SAMPLE_NAME in reopened.dataset_names()
        assert "co2_low" in reopened.load_dataset(SAMPLE_NAME).projects.columns
    finally:
        reopened.close()


def test_all_scenarios_of_a_dataset_in_one_read(store):
    store.save_scenario(SAMPLE_NAME, "a", {"budget": 1.0}, {"status": "optimal"})
    store.save_scenario(SAMPLE_NAME, "b", {"budget": 2.0}, {"status": "infeasible"})
    assert store.scenarios(SAMPLE_NAME) == {"a": ({"budget": 1.0}, {"status": "optimal"}),
                                            "b": ({"budget": 2.0}, {"status": "infeasible"})}
    assert list(store.scenarios(SAMPLE_NAME)) == store.scenario_names(SAMPLE_NAME)
    assert store.scenarios("nothing") == {}


# --- dataset versions ---------------------------------------------------------


def test_every_import_is_a_kept_version_that_can_be_diffed_and_restored(tmp_path):
    """Versions are kept, scenarios name theirs, two versions diff row by row, any version restores."""
    from optimizer.data.canonical import data_hash
    from optimizer.data.versions import diff_datasets

    store = Store(tmp_path / "versions.duckdb", seed=False)
    first = load_dataset(SAMPLE, name="list")
    assert store.save_dataset("list", first) == 1
    store.save_scenario("list", "s1", {"budget": 1}, {"status": "optimal"})
    edited = first.projects.copy()
    edited.loc[edited.index[0], "capex"] = edited["capex"].iloc[0] + 100
    dropped = edited.index[1]
    second = replace(first, projects=edited.drop(index=dropped))
    assert store.save_dataset("list", second) == 2

    versions = store.versions("list")
    assert list(versions["version"]) == [2, 1]
    assert versions.set_index("version").at[1, "data_hash"] == data_hash(first)
    assert store.scenario_versions("list")["s1"] == (1, data_hash(first))
    assert data_hash(store.load_version("list", 1)) == data_hash(first)

    changes = diff_datasets(store.load_version("list", 1), store.load_version("list", 2))
    assert {(c.table, c.key, c.change) for c in changes} == {
        ("projects", str(first.projects.index[0]), "changed"), ("projects", str(dropped), "removed")}
    changed = next(c for c in changes if c.change == "changed")
    assert changed.columns == ("capex",)

    assert store.restore_version("list", 1) == 3
    assert data_hash(store.load_dataset("list")) == data_hash(first)
    assert list(store.versions("list")["version"]) == [3, 2, 1]


def test_a_file_from_before_versions_gets_version_1(tmp_path):
    """Opening an older file keeps its data and versions what is there."""
    path = tmp_path / "old.duckdb"
    store = Store(path, seed=False)
    store.save_dataset("list", load_dataset(SAMPLE, name="list"))
    with store._cursor() as cursor:  # as written before versions were kept
        cursor.execute("DELETE FROM dataset_versions")
    store.close()
    reopened = Store(path, seed=False)
    assert list(reopened.versions("list")["version"]) == [1]
    assert reopened.table_counts()["projects"] > 0


# --- database faults ---------------------------------------------


def test_a_save_into_a_deleted_file_is_refused_not_lost(tmp_path):
    path = tmp_path / "gone.duckdb"
    store = Store(path, seed=False)
    path.unlink()  # someone deletes the file while the app runs
    with pytest.raises(StoreError) as caught:
        store.save_scenario("x", "s", {"budget": 1}, {"status": "optimal"})
    assert caught.value.code == "gone" and "refused" in caught.value.text("en")
    assert "拒绝" in caught.value.text("zh")


def test_a_damaged_log_is_not_called_a_corrupt_file_and_only_the_log_may_move(tmp_path):
    path = tmp_path / "wal.duckdb"
    store = Store(path, seed=False)
    store.save_dataset("list", load_dataset(SAMPLE, name="list"))
    store.close()
    raw = duckdb.connect(str(path))  # leave a real write-ahead log behind, then damage it
    raw.execute("PRAGMA disable_checkpoint_on_shutdown")
    raw.execute("INSERT INTO import_log (logged_at, dataset, ok) VALUES (now(), 'x', TRUE)")
    raw.close()
    healthy = path.read_bytes()
    log = Path(str(path) + ".wal")
    damaged = bytearray(log.read_bytes())
    damaged[8:40] = b"\xff" * 32
    log.write_bytes(bytes(damaged))
    with pytest.raises(StoreError) as caught:
        Store(path, seed=False)
    assert caught.value.code == "damaged_log", caught.value.detail
    assert caught.value.may_move_aside
    assert path.read_bytes() == healthy  # diagnosing it moved nothing


def test_faults_are_told_apart_and_healthy_files_never_move(tmp_path):
    from storage.store import opening_error

    path = tmp_path / "x.duckdb"
    cases = {PermissionError(13, "Permission denied"): "read_only",
             OSError(28, "No space left on device"): "disk_full",
             duckdb.IOException('IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held'): "locked"}
    for error, code in cases.items():
        fault = opening_error(path, error)
        assert fault.code == code
        assert not fault.may_move_aside or code == "corrupt"
        assert fault.text("zh") and fault.text("en") != fault.text("zh")
    path.write_bytes(b"not a database" * 100)
    assert opening_error(path, duckdb.IOException("IO Error: not a valid DuckDB database file")).code == "corrupt"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes through file permissions")
def test_a_read_only_file_is_reported_as_such(tmp_path):
    path = tmp_path / "ro.duckdb"
    Store(path, seed=False).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError) as caught:
            Store(path, seed=False).save_scenario("x", "s", {}, {})
        assert caught.value.code == "read_only"
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)
