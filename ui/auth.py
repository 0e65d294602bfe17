"""Who is using this session, and what they may do: login, roles and team data in the app.

Three modes, chosen by configuration (:func:`mode`):

* ``oidc``: an ``[auth]`` section in ``.streamlit/secrets.toml``. Streamlit's ``st.login`` sends the
  browser to the OpenID Connect provider (through Authlib) and back; the identity is the e-mail the
  provider vouches for (else its ``sub``). Its role and team come from the account of that name in
  the database (``python -m storage users add alice@example.com --role analyst --team T --oidc``); an
  identity with no account is a *viewer* of no team.
* ``password``: the database has accounts (or ``RETROFIT_AUTH=password``): a name and password form
  checked against salted scrypt hashes (:func:`storage.accounts.authenticate`), with lockout after
  repeated failures and a rate limit per name and per client address.
* ``single``: neither: a laptop works as before, as the single local user, labelled "single-user mode".

Every run, :func:`gate` decides the session's :class:`~storage.access.Actor` from server-side state
only (Streamlit's signed identity cookie, or a login record under a session key no widget has, so a
browser cannot set it), re-reads the account (a disabled account, a new password or a new role ends
the session) and ends a login that is too old or idle (:data:`~storage.access.SESSION_MAX_HOURS`,
:data:`~storage.access.SESSION_IDLE_MINUTES`). Pages pass :func:`actor` to every store write, and the
store refuses what the role may not do; the ``*_refusal`` helpers give the same answer beforehand, so
pages can disable a button and say why.
"""

from __future__ import annotations

import os
import time
from typing import Any

import streamlit as st

from storage.access import (
    LOCAL,
    LOCK_MINUTES,
    RATE_ATTEMPTS,
    ROLES,
    SESSION_IDLE_MINUTES,
    SESSION_MAX_HOURS,
    AccessDenied,
    Actor,
    RateLimiter,
    check_write,
    hash_password,
    is_reserved,
)
from storage.accounts import authenticate
from storage.store import SAMPLE_NAME, Store

from .i18n import LANGUAGE_KEY, LANGUAGES, escape_markdown, language, t

#: Session keys that no widget uses: a browser can only change widget values, never these.
LOGIN_KEY = "_auth_login"
ACTOR_KEY = "_auth_actor"
NOTICE_KEY = "_auth_notice"
#: ``RETROFIT_AUTH=password`` asks for a login even before the first account exists (a shared server).
MODE_VARIABLE = "RETROFIT_AUTH"

__all__ = ["ROLES", "actor", "add_account", "change_account", "dataset_refusal", "gate", "mode", "scenario_refusal",
           "sidebar", "write_refusal"]


# --- the mode ----------------------------------------------------------------------------------


def oidc_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit's st.login configuration)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer False
        return False


def configured_mode() -> str:
    """The mode as far as configuration alone tells (used when the database cannot even be opened)."""
    if oidc_configured():
        return "oidc"
    return "password" if os.environ.get(MODE_VARIABLE) == "password" else "single"


def mode(store: Store) -> str:
    """``oidc``, ``password`` (configured, or the database has accounts) or ``single``."""
    configured = configured_mode()
    if configured == "single" and store.has_users():
        return "password"
    return configured


@st.cache_resource(show_spinner=False)
def _limiter() -> RateLimiter:
    """Login attempts of this process per user name (10 a minute)."""
    return RateLimiter()


@st.cache_resource(show_spinner=False)
def _client_limiter() -> RateLimiter:
    """Login attempts of this process per client address (30 a minute: several people may share a proxy)."""
    return RateLimiter(attempts=3 * RATE_ATTEMPTS)


# --- the gate ----------------------------------------------------------------------------------


def gate(store: Store) -> Actor:
    """The actor of this run; shows the login page and stops the run while nobody is logged in."""
    current = mode(store)
    if current == "single":
        st.session_state[ACTOR_KEY] = LOCAL
        return LOCAL
    who = _oidc_actor(store) if current == "oidc" else _password_actor(store)
    if who is None:
        st.session_state.pop(ACTOR_KEY, None)
        _login_page(store, current)
        st.stop()
        raise AssertionError("unreachable")  # st.stop() does not return
    st.session_state[ACTOR_KEY] = who
    return who


def actor() -> Actor:
    """The actor :func:`gate` found for this run (a viewer of no team if it has not run: never more)."""
    who = st.session_state.get(ACTOR_KEY)
    return who if isinstance(who, Actor) else Actor("anonymous", "viewer", None)


def _fresh(record: dict[str, Any], user: dict[str, Any] | None) -> bool:
    """Whether a login record still holds: the account is enabled, unchanged, and the login not too old or idle."""
    now = time.time()
    if user is None or user["disabled"] or int(user["session_epoch"]) != record.get("epoch"):
        return False
    if now - float(record.get("since", 0)) > _hours() * 3600 or now - float(record.get("seen", 0)) > _idle() * 60:
        return False
    record["seen"] = now
    return True


def _hours() -> float:
    return float(os.environ.get("RETROFIT_SESSION_HOURS") or SESSION_MAX_HOURS)


def _idle() -> float:
    return float(os.environ.get("RETROFIT_SESSION_IDLE_MINUTES") or SESSION_IDLE_MINUTES)


def _password_actor(store: Store) -> Actor | None:
    record = st.session_state.get(LOGIN_KEY)
    if not isinstance(record, dict):
        return None
    user = store.user(str(record.get("name", "")))
    if not _fresh(record, user):
        st.session_state.pop(LOGIN_KEY, None)
        st.session_state[NOTICE_KEY] = "session_expired"
        return None
    assert user is not None
    return Actor(str(user["name"]), str(user["role"]), user["team"])


def _identity() -> str | None:
    """The identity the OpenID provider vouched for (its e-mail, else its ``sub``), or None when logged out."""
    if not st.user.is_logged_in:
        return None
    value = st.user.get("email") or st.user.get("sub")
    return str(value) if value else None


def _oidc_actor(store: Store) -> Actor | None:
    identity = _identity()
    if identity is None:
        st.session_state.pop(LOGIN_KEY, None)
        return None
    user = store.user(identity)
    record = st.session_state.get(LOGIN_KEY)
    if not isinstance(record, dict) or record.get("name") != identity:
        if user is not None and user["disabled"]:
            st.error(t("login_disabled", name=identity))
            _logout_button()
            st.stop()
        now = time.time()
        record = {"name": identity, "epoch": int(user["session_epoch"]) if user else 0, "since": _issued(now),
                  "seen": now}
        st.session_state[LOGIN_KEY] = record
    if user is None:  # known to the provider, not to this database: a reader
        now = time.time()
        if now - float(record["since"]) > _hours() * 3600 or now - float(record["seen"]) > _idle() * 60:
            _oidc_expired()
            return None
        record["seen"] = now
        return Actor(identity, "viewer", None)
    if not _fresh(record, user):
        _oidc_expired()
        return None
    return Actor(identity, str(user["role"]), user["team"])


def _issued(default: float) -> float:
    """When the provider signed the identity in (the id_token's ``iat``), so that a login's age counts from
    the sign-in, not from this browser tab; ``default`` when the token says nothing usable."""
    value = st.user.get("iat")
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return min(float(value), default)
        except ValueError:
            pass
    return default


def _oidc_expired() -> None:
    """A provider login past its time: forget it here and drop Streamlit's identity cookie."""
    st.session_state.pop(LOGIN_KEY, None)
    st.session_state[NOTICE_KEY] = "session_expired"
    st.logout()


def _provider() -> str | None:
    """The provider to pass to ``st.login``: a named ``[auth.NAME]`` section, else the default (None)."""
    try:
        section = st.secrets["auth"]
        names = [key for key in section.keys() if hasattr(section[key], "keys")]
    except Exception:
        return None
    return names[0] if names else None


# --- the login page ----------------------------------------------------------------------------


def _keep_login_language() -> None:
    st.session_state[LANGUAGE_KEY] = st.session_state["login_language"]


def _login_page(store: Store, current: str) -> None:
    wanted = st.query_params.get("lang")
    if LANGUAGE_KEY not in st.session_state and wanted in LANGUAGES:  # a shared link's language
        st.session_state[LANGUAGE_KEY] = wanted
    st.session_state["login_language"] = language()
    st.radio(t("language"), list(LANGUAGES), key="login_language", horizontal=True,
             format_func=LANGUAGES.__getitem__, on_change=_keep_login_language)
    st.title(t("login_title"))
    st.caption(t("login_intro"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(notice))
    if current == "oidc":
        st.button(t("login_oidc_button"), key="login_oidc", type="primary", on_click=st.login, args=(_provider(),))
        return
    if not store.has_users():
        st.warning(t("login_no_users"))
        return
    with st.form("login_form"):
        st.text_input(t("login_name"), key="login_name")
        st.text_input(t("login_password"), key="login_password", type="password")
        submitted = st.form_submit_button(t("login_button"), type="primary")
    if submitted:
        _try_login(store, str(st.session_state.get("login_name") or ""),
                   str(st.session_state.get("login_password") or ""))


def _client() -> str:
    """The client's address for rate limiting (the session id where Streamlit cannot tell)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:
        address = st.context.ip_address
    except Exception:
        address = None
    if address:
        return str(address)
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id if ctx else 'none'}"


def _try_login(store: Store, name: str, password: str) -> None:
    if not (_limiter().allow(name.strip().casefold()) and _client_limiter().allow(_client())):
        st.error(t("login_throttled"))
        return
    outcome, who = authenticate(store, name, password)
    if outcome == "locked":
        st.error(t("login_locked", minutes=LOCK_MINUTES))
        return
    if who is None:
        st.error(t("login_bad"))
        return
    user = store.user(who.name)
    now = time.time()
    st.session_state[LOGIN_KEY] = {"name": who.name, "epoch": int(user["session_epoch"]) if user else 0,
                                   "since": now, "seen": now}
    st.session_state.pop("login_password", None)
    st.rerun()


# --- the sidebar -------------------------------------------------------------------------------


def sidebar(store: Store) -> None:
    """Who is logged in (or "single-user mode") and a logout button."""
    who = actor()
    if who.single_user:
        st.caption(t("single_user_mode"))
        return
    st.caption(t("logged_in_as", name=who.name, role=t(f"role_{who.role}"), team=who.team or t("no_team")))
    _logout_button()


def _logout_button() -> None:
    if st.button(t("logout"), key="logout"):
        st.session_state.pop(LOGIN_KEY, None)
        st.session_state.pop(ACTOR_KEY, None)
        if oidc_configured():
            st.logout()
        st.rerun()


# --- what the actor may do (the store's own rules, asked beforehand) ----------------------------


def _reason(error: AccessDenied) -> str:
    return escape_markdown(error.text(language()))


def dataset_refusal(store: Store, name: str) -> str | None:
    """Why the actor may not import or save dataset ``name`` (None: allowed)."""
    who = actor()
    try:
        if is_reserved(name, SAMPLE_NAME):
            raise AccessDenied("reserved", name=name)
        exists, team = store.dataset_team(name)
        check_write(who, name, team, exists)
    except AccessDenied as error:
        return _reason(error)
    return None


def scenario_refusal(store: Store, dataset: str, name: str | None = None) -> str | None:
    """Why the actor may not save (``name`` None: any new scenario) or delete/restore scenario ``name``."""
    who = actor()
    try:
        exists, team = store.scenario_team(dataset, name) if name else (False, None)
        check_write(who, name or "", team, exists)
    except AccessDenied as error:
        return _reason(error)
    return None


def write_refusal() -> str | None:
    """Why the actor may write nothing at all (a viewer), else None."""
    try:
        check_write(actor(), "", None, False)
    except AccessDenied as error:
        return _reason(error)
    return None


# --- accounts (the admin page) -----------------------------------------------------------------


def add_account(store: Store, name: str, role: str, team: str, password: str, oidc_only: bool) -> str | None:
    """Create an account as the logged-in admin; the reason it was refused, or None when done."""
    if role == "analyst" and not team.strip():
        return t("user_need_team")
    try:
        store.add_user(name, role, team.strip() or None, None if oidc_only else hash_password(password),
                       actor=actor())
    except AccessDenied as error:
        return _reason(error)
    except Exception as error:  # a name that exists: DuckDB's constraint error, said plainly
        if "constraint" in str(error).lower():
            return escape_markdown(f"{name}: " + ("已存在" if language() == "zh" else "exists already"))
        raise
    return None


def change_account(store: Store, name: str, role: str | None, team: str | None, password: str,
                   disabled: bool | None, unlock: bool) -> str | None:
    """Change an account as the logged-in admin; the reason it was refused, or None when done."""
    try:
        store.update_user(name, actor=actor(), role=role, team=team,
                          password_hash=hash_password(password) if password else None, disabled=disabled,
                          unlock=unlock)
    except AccessDenied as error:
        return _reason(error)
    return None
