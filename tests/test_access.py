"""Login, roles and team data at the storage layer, on real DuckDB files.

Each test writes through :class:`storage.store.Store` as a page would, with the actor a session
would hand it, and checks what the file holds afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from optimizer.data.checks import load_dataset
from storage.access import (
    LOCAL,
    LOCK_AFTER,
    AccessDenied,
    Actor,
    RateLimiter,
    hash_password,
    verify_password,
)
from storage.accounts import authenticate
from storage.importing import import_upload
from storage.store import SAMPLE_NAME, Store

from .conftest import ROOT, write_tables

ADMIN = Actor("ada", "admin", None)
ANALYST_A = Actor("ann", "analyst", "A")
ANALYST_B = Actor("bob", "analyst", "B")
VIEWER = Actor("vic", "viewer", "A")
PASSWORD = "correct horse battery"


@pytest.fixture
def tiny(tmp_path):
    return load_dataset(write_tables(tmp_path / "tiny"), name="tiny")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "access.duckdb")
    yield store
    store.close()


@pytest.fixture
def team_store(store):
    """A file with accounts: an admin, analysts of teams A and B, a viewer."""
    store.add_user("ada", "admin", None, hash_password(PASSWORD), actor=ADMIN)
    store.add_user("ann", "analyst", "A", hash_password(PASSWORD), actor=ADMIN)
    store.add_user("bob", "analyst", "B", None, actor=ADMIN)
    store.add_user("vic", "viewer", "A", None, actor=ADMIN)
    return store


def test_passwords_are_salted_scrypt_hashes_checked_in_constant_time():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$") and PASSWORD not in first  # salted
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, None)  # an OpenID-only account has no password
    assert not verify_password(PASSWORD, "scrypt$garbage")
    with pytest.raises(AccessDenied):
        hash_password("short")


def test_the_sample_name_is_reserved_for_everyone(store, tiny):
    for name in (SAMPLE_NAME, " FUZHOU_SAMPLE "):
        for actor in (None, LOCAL, ADMIN):
            with pytest.raises(AccessDenied) as refused:
                store.save_dataset(name, tiny, actor=actor)
            assert refused.value.code == "reserved"
    with pytest.raises(AccessDenied):
        store.restore_version(SAMPLE_NAME, 1)
    with pytest.raises(AccessDenied):  # refused before the file is read
        import_upload(store, SAMPLE_NAME, "x.csv", b"garbage")
    info = store.dataset_info().set_index("name")
    assert bool(info.loc[SAMPLE_NAME, "illustrative"]) and len(store.versions(SAMPLE_NAME)) == 1
    assert len(store.import_log()) == 1  # the seeding only: nothing was read or logged


def test_without_accounts_the_laptop_user_writes_as_today(store, tiny):
    store.save_dataset("tiny", tiny)
    store.save_scenario("tiny", "s", {"budget": 1.0}, {"status": "optimal"})
    store.delete_scenario("tiny", "s")
    log = store.audit_log()
    assert list(log["action"])[:3] == ["delete scenario", "save scenario", "save dataset"]
    assert set(log["user_name"][:3]) == {"local"}


def test_once_the_file_has_accounts_an_anonymous_write_is_refused(team_store, tiny):
    before = team_store.snapshot()
    for write in (lambda: team_store.save_dataset("tiny", tiny),
                  lambda: team_store.save_dataset("tiny", tiny, actor=LOCAL),  # a forged "single user"
                  lambda: team_store.save_scenario(SAMPLE_NAME, "s", {}, {}),
                  lambda: import_upload(team_store, "tiny", "x.csv", b"a,b")):
        with pytest.raises(AccessDenied) as refused:
            write()
        assert refused.value.code == "login_required"
    after = team_store.snapshot()
    assert all(before[t].equals(after[t]) for t in before)


def test_a_viewer_reads_and_solves_but_writes_nothing(team_store, tiny):
    with pytest.raises(AccessDenied) as refused:
        team_store.save_dataset("tiny", tiny, actor=VIEWER)
    assert refused.value.code == "viewer"
    assert "查看者" in refused.value.text("zh") and "Viewers" in refused.value.text("en")
    with pytest.raises(AccessDenied):
        team_store.save_scenario(SAMPLE_NAME, "mine", {}, {}, actor=VIEWER)
    with pytest.raises(AccessDenied):
        team_store.add_user("eve", "admin", None, None, actor=VIEWER)
    assert team_store.load_dataset(SAMPLE_NAME).projects.shape[0] > 0  # reading is open
    assert "tiny" not in team_store.dataset_names() and team_store.scenario_names(SAMPLE_NAME) == []


def test_analysts_write_within_their_team_and_admins_everywhere(team_store, tiny):
    team_store.save_dataset("tiny", tiny, actor=ANALYST_A)
    team_store.save_dataset("tiny", tiny, actor=ANALYST_A)  # own team: a new version
    assert team_store.dataset_team("tiny") == (True, "A")
    with pytest.raises(AccessDenied) as refused:
        team_store.save_dataset("tiny", tiny, actor=ANALYST_B)
    assert refused.value.code == "other_team" and "“A”" in refused.value.text("en")
    with pytest.raises(AccessDenied):
        team_store.restore_version("tiny", 1, actor=ANALYST_B)
    team_store.restore_version("tiny", 1, actor=ADMIN)  # an admin writes in any team, the team stays
    assert team_store.dataset_team("tiny") == (True, "A") and len(team_store.versions("tiny")) == 3

    team_store.save_scenario("tiny", "plan", {"budget": 1.0}, {"status": "optimal"}, actor=ANALYST_A)
    with pytest.raises(AccessDenied):  # another team can neither overwrite nor delete it
        team_store.save_scenario("tiny", "plan", {"budget": 9.0}, {"status": "optimal"}, actor=ANALYST_B)
    with pytest.raises(AccessDenied):
        team_store.delete_scenario("tiny", "plan", actor=ANALYST_B)
    assert team_store.load_scenario("tiny", "plan")[0] == {"budget": 1.0}
    team_store.save_scenario("tiny", "b-plan", {"budget": 2.0}, {}, actor=ANALYST_B)  # reading A's data is open
    assert team_store.scenario_owners("tiny") == {"plan": ("A", "ann"), "b-plan": ("B", "bob")}


def test_rows_from_before_accounts_belong_to_no_team_and_only_admins_change_them(team_store, tiny):
    team_store.save_dataset("legacy", tiny, actor=ADMIN)  # an admin with no team: a dataset of no team
    with pytest.raises(AccessDenied) as refused:
        team_store.save_dataset("legacy", tiny, actor=ANALYST_A)
    assert refused.value.code == "no_team"


def test_every_write_is_audited_with_user_and_time(team_store, tiny):
    team_store.save_dataset("tiny", tiny, actor=ANALYST_A)
    team_store.save_scenario("tiny", "plan", {}, {}, actor=ANALYST_A)
    team_store.delete_scenario("tiny", "plan", actor=ANALYST_A)
    team_store.restore_scenario("tiny", "plan", actor=ADMIN)
    log = team_store.audit_log()
    mine = log[log["dataset"] == "tiny"]
    assert list(mine["action"]) == ["restore scenario", "delete scenario", "save scenario", "save dataset"]
    assert list(mine["user_name"]) == ["ada", "ann", "ann", "ann"]
    assert mine["logged_at"].notna().all()
    imports = team_store.import_log()
    assert imports.loc[imports["dataset"] == "tiny", "user_name"].tolist() == ["ann"]
    import_upload(team_store, "tiny", "bad.csv", b"not,a\nproject,list", actor=ANALYST_A)  # refused: logged
    assert team_store.import_log().iloc[0][["dataset", "ok", "user_name"]].tolist() == ["tiny", False, "ann"]
    assert list(team_store.versions("tiny")["version"]) == [1]
    assert {"add user"} <= set(log["action"])


def test_deletes_are_soft_and_can_be_undone(team_store, tiny):
    team_store.save_dataset("tiny", tiny, actor=ANALYST_A)
    team_store.save_scenario("tiny", "plan", {"budget": 5.0}, {"status": "optimal"}, actor=ANALYST_A)
    team_store.delete_scenario("tiny", "plan", actor=ANALYST_A)
    assert team_store.scenario_names("tiny") == [] and "plan" not in team_store.scenarios("tiny")
    deleted = team_store.deleted_scenarios("tiny")
    assert list(deleted["name"]) == ["plan"] and list(deleted["deleted_by"]) == ["ann"]
    with pytest.raises(AccessDenied):
        team_store.restore_scenario("tiny", "plan", actor=ANALYST_B)
    team_store.restore_scenario("tiny", "plan", actor=ANALYST_A)
    assert team_store.load_scenario("tiny", "plan")[0] == {"budget": 5.0}
    assert team_store.deleted_scenarios("tiny").empty


def test_a_file_from_before_accounts_keeps_its_data_and_gains_the_new_tables(tmp_path, tiny):
    """The schema migration: a file written by the previous release (no team columns, no users or audit
    tables) opens with every row kept, those rows belonging to no team."""
    path = tmp_path / "old.duckdb"
    store = Store(path)
    store.save_dataset("tiny", tiny)
    store.save_scenario("tiny", "old plan", {"budget": 3.0}, {"status": "optimal"})
    store.close()
    with duckdb.connect(str(path)) as con:  # make it look like the file of the release before this one
        con.execute("DROP TABLE users")
        con.execute("DROP TABLE audit_log")
        for table, column in (("datasets", "team"), ("datasets", "created_by"), ("dataset_versions", "saved_by"),
                              ("scenarios", "team"), ("scenarios", "saved_by"), ("scenarios", "deleted_at"),
                              ("scenarios", "deleted_by")):
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    reopened = Store(path)
    assert reopened.dataset_names() == [SAMPLE_NAME, "tiny"]
    assert reopened.load_scenario("tiny", "old plan")[0] == {"budget": 3.0}
    assert reopened.dataset_team("tiny") == (True, None) and reopened.users().empty
    reopened.delete_scenario("tiny", "old plan")  # still the single user: works as before
    assert reopened.deleted_scenarios("tiny")["name"].tolist() == ["old plan"]
    reopened.close()


def test_repeated_failures_lock_the_account_and_a_reset_ends_sessions(team_store):
    ok, user = authenticate(team_store, "ann", PASSWORD)
    assert ok == "ok" and user is not None and user.role == "analyst" and user.team == "A"
    epoch = team_store.user("ann")["session_epoch"]
    for _ in range(LOCK_AFTER):
        assert authenticate(team_store, "ann", "wrong password!")[0] == "bad"
    assert authenticate(team_store, "ann", PASSWORD)[0] == "locked"  # even the right password, while locked
    later = team_store.user("ann")["locked_until"] + timedelta(seconds=1)
    assert authenticate(team_store, "ann", PASSWORD, now=later)[0] == "ok"
    assert authenticate(team_store, "nobody", PASSWORD)[0] == "bad"  # unknown names look like wrong passwords
    assert authenticate(team_store, "bob", PASSWORD)[0] == "bad"  # OpenID-only: no password login
    team_store.update_user("ann", actor=ADMIN, password_hash=hash_password("another long one"))
    assert team_store.user("ann")["session_epoch"] == epoch + 1
    team_store.update_user("vic", actor=ADMIN, disabled=True)
    assert authenticate(team_store, "vic", PASSWORD)[0] == "bad"
    log = team_store.audit_log()
    assert "locked for 15 min" in set(log["detail"])
    with pytest.raises(AccessDenied) as refused:
        team_store.update_user("ada", actor=ADMIN, role="viewer")
    assert refused.value.code == "last_admin"


def test_the_rate_limiter_bounds_attempts_per_key():
    limiter = RateLimiter(attempts=3, window=60)
    assert [limiter.allow("ann", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("bob", now=3)  # per key
    assert limiter.allow("ann", now=61.5)  # the window moves on


def _cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "storage", "--db", str(db), *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, timeout=120)


def test_a_mistyped_database_path_is_an_error_not_a_new_database(tmp_path):
    """``users add ada2 --role admin --db typo.duckbd`` would have made a new database with a new admin in it."""
    typo = tmp_path / "typo.duckbd"
    for args in (("users", "add", "ada2", "--role", "admin", "--oidc"), ("users", "list"), ("audit",)):
        done = _cli(typo, *args)
        assert done.returncode == 2 and "no database at" in done.stderr and "--create" in done.stderr
        assert "Traceback" not in done.stderr
    assert not typo.exists()
    assert _cli(typo, "--create", "users", "list").returncode == 0 and typo.exists()


def test_the_users_cli_adds_resets_and_lists_accounts_never_showing_a_hash(tmp_path):
    db = tmp_path / "cli.duckdb"
    added = _cli(db, "--create", "users", "add", "ann", "--role", "analyst", "--team", "A", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert _cli(db, "users", "add", "bob", "--role", "analyst", stdin=PASSWORD + "\n").returncode == 2  # no team
    weak = _cli(db, "users", "add", "eve", "--role", "viewer", stdin="short\n")
    assert weak.returncode == 2 and "at least" in weak.stderr and "Traceback" not in weak.stderr
    assert _cli(db, "users", "add", "al@example.com", "--role", "admin", "--oidc").returncode == 0
    assert _cli(db, "users", "reset", "ann", stdin="a brand new password\n").returncode == 0
    assert _cli(db, "users", "reset", "nobody", stdin="a brand new password\n").returncode == 2
    assert _cli(db, "users", "set", "ann", "--role", "viewer").returncode == 0
    listed = _cli(db, "users", "list")
    assert "ann" in listed.stdout and "al@example.com" in listed.stdout and "scrypt" not in listed.stdout
    store = Store(db)
    assert authenticate(store, "ann", "a brand new password")[0] == "ok"
    assert authenticate(store, "ann", PASSWORD)[0] == "bad"
    assert store.user("ann")["role"] == "viewer" and store.user("al@example.com")["password_hash"] is None
    assert set(store.audit_log()["user_name"]) >= {f"cli:{__import__('getpass').getuser()}"}
    store.close()
