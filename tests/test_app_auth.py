"""Login, roles and team data in the real app, driven through streamlit.testing.v1.AppTest.

Each test has its own DuckDB file; accounts are made with the store, as ``python -m storage users
add`` makes them. "Crafted" clicks press a button the page disabled: AppTest sends the click
anyway, as a hand-made websocket message would (Streamlit 1.67 discards it server-side), and a forged
actor in the session state is recomputed every run; the store refuses what gets through
(tests/test_access.py), so nothing is written either way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optimizer.data.checks import load_dataset
from storage.access import LOCK_AFTER, Actor, hash_password
from storage.store import SAMPLE_NAME, Store

from .conftest import write_tables

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Actor("root-admin", "admin", None)
PASSWORD = "correct horse battery"


def _app(path: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("RETROFIT_DB", str(path))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at


def _accounts(path: Path, tmp_path: Path, **users: tuple[str, str | None]) -> None:
    """A file with the tiny dataset of team A, a scenario of team B, and the given accounts."""
    store = Store(path)
    store.add_user("root-admin", "admin", None, hash_password(PASSWORD), actor=ADMIN)
    for name, (role, team) in users.items():
        store.add_user(name, role, team, hash_password(PASSWORD), actor=ADMIN)
    store.save_dataset("tiny", load_dataset(write_tables(tmp_path / "tiny"), name="tiny"),
                       actor=Actor("a1", "analyst", "A"))
    store.save_scenario(SAMPLE_NAME, "team B plan", {"budget": 1000.0}, {"status": "optimal"},
                        actor=Actor("b1", "analyst", "B"))
    store.close()


def _login(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    if not at.text_input:  # not run yet
        at.run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    _button(at, "登录").click().run()  # the form's submit button
    return at


def _crafted_click(button):
    """Press a disabled button the way a hand-made websocket message would (AppTest itself refuses)."""
    button.proto.disabled = False
    return button.click()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def _store_after(path: Path) -> Store:
    return Store(path, seed=False)


def test_without_accounts_a_laptop_is_single_user_mode_and_works_as_before(tmp_path, monkeypatch):
    at = _app(tmp_path / "single.duckdb", monkeypatch)
    at.run()
    assert not at.exception
    assert any("单用户模式" in c for c in _texts(at.sidebar, "caption"))
    at.sidebar.radio(key="language").set_value("en").run()
    assert any("Single-user mode" in c for c in _texts(at.sidebar, "caption"))
    _page(at, "scenarios")
    at.text_input(key="scenario_name").input("mine").run()
    at.button(key="save_scenario").click().run()
    assert not at.exception
    _page(at, "admin")  # the laptop's user is its admin: the audit log names the write
    assert any("save scenario" in set(df.value["action"]) for df in at.dataframe if "action" in df.value.columns)


def test_the_sample_name_is_reserved_in_the_app_even_for_a_crafted_click(tmp_path, monkeypatch):
    path = tmp_path / "reserved.duckdb"
    at = _app(path, monkeypatch)
    at.run()
    _page(at, "projects")
    at.text_input(key="edit_save_name").input(SAMPLE_NAME).run()
    assert at.button(key="edit_save").disabled
    assert any("保留名称" in c for c in _texts(at, "caption"))
    _crafted_click(at.button(key="edit_save")).run()  # pressed anyway: nothing is written
    assert not at.exception
    at.text_input(key="upload_name").input("Fuzhou_Sample").run()
    assert at.button(key="upload_button").disabled
    store = _store_after(path)
    assert len(store.versions(SAMPLE_NAME)) == 1 and bool(store.dataset_info().loc[0, "illustrative"])
    store.close()


def test_with_accounts_nothing_shows_before_login_and_a_wrong_password_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "login.duckdb"
    _accounts(path, tmp_path, v_login=("viewer", "A"))
    at = _app(path, monkeypatch)
    at.run()
    assert not at.exception
    assert at.text_input(key="login_password") is not None
    assert not at.dataframe and not at.metric and not at.sidebar.selectbox  # no data before login
    _login(at, "v_login", "not the password")
    assert any("不正确" in e for e in _texts(at, "error"))
    at.radio(key="login_language").set_value("en").run()  # the login page speaks both languages
    assert at.title[0].value == "Log in"
    at.radio(key="login_language").set_value("zh").run()
    _login(at, "v_login")
    assert not at.exception
    assert any("v\\_login" in c and "查看者" in c for c in _texts(at.sidebar, "caption"))  # escaped for markdown


def test_a_viewer_reads_and_solves_but_every_write_is_disabled_and_refused(tmp_path, monkeypatch):
    path = tmp_path / "viewer.duckdb"
    _accounts(path, tmp_path, v_only=("viewer", "A"))
    at = _login(_app(path, monkeypatch), "v_only")
    _page(at, "optimize")  # solving is a viewer's right
    assert at.metric
    _page(at, "scenarios")
    at.text_input(key="scenario_name").input("viewer plan").run()
    assert at.button(key="save_scenario").disabled
    assert any("查看者" in c for c in _texts(at, "caption"))
    assert at.button(key="delete_scenario").disabled
    _crafted_click(at.button(key="save_scenario")).run()  # crafted: pressed although disabled
    at.session_state["_auth_actor"] = Actor("v_only", "admin", None)  # a forged actor is recomputed every run
    at.run()
    _crafted_click(at.button(key="save_scenario")).run()
    _crafted_click(at.button(key="delete_scenario")).run()
    _page(at, "projects")
    assert at.button(key="upload_button").disabled and at.button(key="edit_save").disabled
    store = _store_after(path)
    assert store.scenario_names(SAMPLE_NAME) == ["team B plan"]
    assert set(store.audit_log()["user_name"]) <= {"root-admin", "a1", "b1", "system", "v_only"}
    assert "save scenario" not in set(store.audit_log().query("user_name == 'v_only'")["action"])
    store.close()


def test_an_analyst_saves_in_their_team_not_over_another_and_can_undo_a_delete(tmp_path, monkeypatch):
    path = tmp_path / "analyst.duckdb"
    _accounts(path, tmp_path, a_user=("analyst", "A"))
    at = _login(_app(path, monkeypatch), "a_user")
    _page(at, "scenarios")
    at.selectbox(key="scenario_pick").set_value("team B plan").run()
    assert at.button(key="delete_scenario").disabled  # team B's
    assert any("“B”" in c for c in _texts(at, "caption"))
    _crafted_click(at.button(key="delete_scenario")).run()  # crafted: nothing happens
    assert not at.exception and "team B plan" in at.selectbox(key="scenario_pick").options
    at.text_input(key="scenario_name").input("team B plan").run()  # overwriting B's under its name
    assert at.button(key="save_scenario").disabled
    at.text_input(key="scenario_name").input("A plan").run()
    assert not at.button(key="save_scenario").disabled
    at.button(key="save_scenario").click().run()
    assert not at.exception
    at.selectbox(key="scenario_pick").set_value("A plan").run()
    at.button(key="delete_scenario").click().run()
    assert any("A plan" in s for s in _texts(at, "success"))
    at.selectbox(key="deleted_pick").set_value("A plan").run()
    at.button(key="restore_scenario").click().run()
    assert any("已恢复" in s for s in _texts(at, "success"))
    store = _store_after(path)
    assert set(store.scenario_names(SAMPLE_NAME)) == {"team B plan", "A plan"}
    assert store.scenario_owners(SAMPLE_NAME)["A plan"] == ("A", "a_user")
    actions = list(store.audit_log().query("user_name == 'a_user'")["action"])
    assert actions == ["restore scenario", "delete scenario", "save scenario"]
    store.close()


def test_repeated_wrong_passwords_lock_the_account_in_the_app(tmp_path, monkeypatch):
    path = tmp_path / "lock.duckdb"
    _accounts(path, tmp_path, lock_me=("analyst", "A"))
    at = _app(path, monkeypatch)
    at.run()
    for _ in range(LOCK_AFTER):
        _login(at, "lock_me", "wrong password!!")
    _login(at, "lock_me")  # the right password, but locked
    assert any("锁定" in e for e in _texts(at, "error"))
    assert at.text_input(key="login_password") is not None  # still the login page


def test_an_idle_or_reset_session_expires(tmp_path, monkeypatch):
    path = tmp_path / "expire.duckdb"
    _accounts(path, tmp_path, idle=("analyst", "A"))
    at = _login(_app(path, monkeypatch), "idle")
    assert any("idle" in c for c in _texts(at.sidebar, "caption"))
    record = dict(at.session_state["_auth_login"])
    record["seen"] -= 31 * 60  # 31 minutes without a click
    at.session_state["_auth_login"] = record
    at.run()
    assert any("过期" in i for i in _texts(at, "info")) and not at.sidebar.selectbox


def test_an_admin_sees_users_and_audit_and_manages_accounts(tmp_path, monkeypatch):
    path = tmp_path / "admin.duckdb"
    _accounts(path, tmp_path, boss=("admin", None))
    at = _login(_app(path, monkeypatch), "boss")
    _page(at, "admin")
    names = [df.value for df in at.dataframe if "has_password" in df.value.columns]
    assert names and "boss" in set(names[0]["name"])
    assert "scrypt" not in " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    at.text_input(key="user_add_name").input("newbie")
    at.selectbox(key="user_add_role").set_value("analyst")
    at.text_input(key="user_add_team").input("C")
    at.text_input(key="user_add_password").input("a long enough password")
    _button(at, "添加账号").click().run()
    assert not at.exception
    store = _store_after(path)
    assert store.user("newbie") is not None and store.user("newbie")["team"] == "C"
    store.close()


@pytest.mark.parametrize("email,role_label", [("ann@example.com", "分析员"), ("stranger@example.com", "查看者")])
def test_an_openid_identity_gets_its_accounts_role(tmp_path, monkeypatch, email, role_label):
    """st.login configured: the identity Streamlit's cookie carries maps to the account of that e-mail
    (analyst of team A); an identity with no account is a viewer. (The browser round trip through a
    real provider is tests/e2e/test_oidc_login.py.)"""
    path = tmp_path / "oidc.duckdb"
    store = Store(path)
    store.add_user("ann@example.com", "analyst", "A", None, actor=ADMIN)
    store.close()
    at = _app(path, monkeypatch)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "app", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.user = {"is_logged_in": False}
    at.run()
    assert at.button(key="login_oidc") is not None and not at.sidebar.selectbox
    at.user = {"is_logged_in": True, "email": email, "sub": "42"}
    at.run()
    assert not at.exception
    assert any(email in c and role_label in c for c in _texts(at.sidebar, "caption"))


@pytest.mark.parametrize("configured", ["password", "oidc"])
def test_with_logins_a_broken_file_offers_no_visitor_a_new_database(tmp_path, monkeypatch, configured):
    """Anyone could press "new database" and switch every user to an empty file: with logins
    configured the button is gone, the file stays where it is, and the message says an admin acts."""
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    at = _app(path, monkeypatch)
    if configured == "password":
        monkeypatch.setenv("RETROFIT_AUTH", "password")
    else:
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                              "client_id": "app", "client_secret": "s",
                              "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.run()
    assert not at.exception
    assert at.error and not [b for b in at.button if b.key == "new_database"]
    assert any("管理员" in i for i in _texts(at, "info"))
    assert path.exists() and not list(tmp_path.glob("broken.duckdb.broken-*"))


def test_password_guessing_is_rate_limited_per_name(tmp_path, monkeypatch):
    """Guesses at a name with no account cannot lock anything in the file, so the process limits them:
    after 10 a minute the form answers "too many attempts" without checking."""
    path = tmp_path / "rate.duckdb"
    _accounts(path, tmp_path)
    at = _app(path, monkeypatch)
    at.run()
    for _ in range(10):
        _login(at, "no-such-user-rate", "guess guess guess")
        assert any("不正确" in e for e in _texts(at, "error"))
    _login(at, "no-such-user-rate", "guess guess guess")
    assert any("过于频繁" in e for e in _texts(at, "error"))


def test_an_openid_login_expires_too(tmp_path, monkeypatch):
    """A provider login past its 8 hours is ended here (st.logout drops Streamlit's identity cookie)."""
    path = tmp_path / "oidc-expire.duckdb"
    store = Store(path)
    store.add_user("old@example.com", "analyst", "A", None, actor=ADMIN)
    store.close()
    at = _app(path, monkeypatch)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "app", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.user = {"is_logged_in": True, "email": "old@example.com", "sub": "7"}
    at.run()
    assert any("old@example.com" in c for c in _texts(at.sidebar, "caption"))
    record = dict(at.session_state["_auth_login"])
    record["since"] -= 9 * 3600
    at.session_state["_auth_login"] = record
    at.run()
    assert not at.exception
    assert any("过期" in i for i in _texts(at, "info")) and at.button(key="login_oidc") is not None
    assert not at.sidebar.selectbox


def test_an_openid_login_counts_its_age_from_the_providers_sign_in(tmp_path, monkeypatch):
    """A new browser tab does not restart the clock: the id_token's iat is when the login began."""
    import time

    path = tmp_path / "oidc-iat.duckdb"
    Store(path).close()
    at = _app(path, monkeypatch)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "app", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.user = {"is_logged_in": True, "email": "tab@example.com", "sub": "8", "iat": int(time.time()) - 9 * 3600}
    at.run()
    assert not at.exception
    assert any("过期" in i for i in _texts(at, "info")) and not at.sidebar.selectbox
