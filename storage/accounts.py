"""A password login against the accounts of a store: lockout and constant-time answers.

The rules (how many failures lock, for how long) are in :mod:`storage.access`; the counts are kept
in the database file (:meth:`storage.store.Store.record_login`), so they survive a restart and are
shared by every session of the app.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .access import Actor, verify_password
from .store import Store


def authenticate(store: Store, name: str, password: str, now: datetime | None = None) -> tuple[str, Actor | None]:
    """Check a name and password: ``("ok", actor)``, ``("locked", None)`` or ``("bad", None)``.

    An unknown name, a disabled account, an OpenID-only account and a wrong password all answer
    ``"bad"`` after the same scrypt work, so the answer does not tell which names exist. A locked
    account answers ``"locked"`` without checking the password (and without counting it).
    """
    now = now or datetime.now(UTC).replace(tzinfo=None)
    user = store.user(name.strip())
    if user is not None and user["locked_until"] is not None and user["locked_until"] > now:
        return "locked", None
    stored = user["password_hash"] if user is not None and not user["disabled"] else None
    if not verify_password(password, stored):
        if user is not None:
            store.record_login(user["name"], ok=False, now=now)
        return "bad", None
    assert user is not None  # verify_password is False without a stored hash
    store.record_login(user["name"], ok=True, now=now)
    return "ok", Actor(str(user["name"]), str(user["role"]), user["team"])
