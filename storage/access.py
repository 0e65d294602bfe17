"""Who may do what: actors, roles, the rules the store enforces, password hashes and login throttling.

Pure Python, no SQL and no Streamlit: :class:`storage.store.Store` asks :func:`check` before every
write, so a page that forgot to hide a button, or a crafted session that presses a hidden one,
still cannot write what its role may not.

Roles:

* ``viewer``  - meetings: read every dataset and scenario, solve; no write at all;
* ``analyst`` - also import, edit and restore datasets, save, delete and restore scenarios, all
  within their own team;
* ``admin``   - everything, in every team, plus users and teams (and a new database file).

With no user in the database and no login configured, the app acts as :data:`LOCAL`, the single
user of a laptop, who may do everything but write under the sample's reserved name.

Passwords are hashed with :func:`hashlib.scrypt` (salted, memory-hard; stdlib), compared in constant
time. Repeated failures lock an account for a while (:data:`LOCK_AFTER`, :data:`LOCK_MINUTES`, kept
in the database so a restart does not reset them), and :class:`RateLimiter` bounds login attempts per
name and per browser session in the running process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import deque
from dataclasses import dataclass

ROLES = ("viewer", "analyst", "admin")

#: Consecutive failed logins after which an account is locked, and for how long.
LOCK_AFTER = 5
LOCK_MINUTES = 15
#: Login attempts allowed per name (and per browser session) in :data:`RATE_WINDOW_SECONDS`.
RATE_ATTEMPTS = 10
RATE_WINDOW_SECONDS = 60.0
#: A login lasts at most this long, and ends after this long without any activity.
SESSION_MAX_HOURS = 8.0
SESSION_IDLE_MINUTES = 30.0

#: scrypt cost (n=2**15, r=8, p=1: 32 MiB and about 0.1 s a hash; OWASP's cheat sheet lists n=2**17 first and
#: accepts lower n with this r and p) and the salt length. The parameters are stored with each hash, so they
#: can be raised later without invalidating existing passwords.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Actor:
    """Who is writing: a user name, a role and a team (``None`` for no team).

    ``single_user`` marks :data:`LOCAL`, the laptop's only user when no login is configured.
    """

    name: str
    role: str
    team: str | None = None
    single_user: bool = False

    @property
    def may_write(self) -> bool:
        return self.role in ("analyst", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


#: The single user of an app with no login configured and no user in its database.
LOCAL = Actor("local", "admin", None, single_user=True)
#: The store itself (seeding the shipped sample); never handed to a page.
SYSTEM = Actor("system", "admin", None)


class AccessDenied(Exception):
    """A write the actor may not make; ``text(language)`` says why in Chinese or English."""

    MESSAGES: dict[str, tuple[str, str]] = {
        "login_required": ("请先登录：此数据库有用户账号，匿名写入被拒绝。",
                           "Log in first: this database has user accounts, so an anonymous write is refused."),
        "viewer": ("查看者只能浏览和求解，不能导入、保存或删除。",
                   "Viewers can read and solve, but not import, save or delete."),
        "other_team": ("“{name}”属于团队“{team}”，只有该团队的分析员或管理员可以修改。",
                       "“{name}” belongs to team “{team}”: only that team's analysts or an admin may change it."),
        "no_team": ("“{name}”不属于任何团队，只有管理员可以修改。",
                    "“{name}” belongs to no team: only an admin may change it."),
        "analyst_without_team": ("您的账号没有团队，无法保存；请管理员为您指定团队。",
                                 "Your account has no team, so you cannot save; ask an admin to give you one."),
        "reserved": ("“{name}”是示例数据的保留名称，任何人都不能以此名称导入或保存；请换一个名称。",
                     "“{name}” is the sample's reserved name: no one may import or save under it. Choose another "
                     "name."),
        "admin_only": ("只有管理员可以管理用户、团队和数据库文件。",
                       "Only an admin may manage users, teams and the database file."),
        "unknown_user": ("没有名为“{name}”的用户。", "There is no user named “{name}”."),
        "bad_role": ("角色必须是 viewer、analyst 或 admin。", "The role must be viewer, analyst or admin."),
        "weak_password": ("密码至少需要 {length} 个字符。", "A password needs at least {length} characters."),
        "bad_name": ("用户名不能为空，不能含控制字符。", "A user name must not be empty or hold control characters."),
        "last_admin": ("不能移除最后一个管理员。", "The last admin cannot be removed."),
    }

    def __init__(self, code: str, **values: object):
        self.code, self.values = code, values
        super().__init__(self.text("en"))

    def text(self, language: str = "en") -> str:
        zh, en = self.MESSAGES[self.code]
        return (zh if language == "zh" else en).format(length=MIN_PASSWORD_LENGTH, **self.values)


# --- the rules -----------------------------------------------------------------------------------


def is_reserved(name: str, reserved: str) -> bool:
    """Whether ``name`` is the reserved name, also written with other case or surrounding blanks."""
    return name.strip().casefold() == reserved.casefold()


def check_write(actor: Actor, name: str, owner_team: str | None, exists: bool) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` may write the dataset or scenario ``name``.

    ``owner_team`` is the team the thing belongs to (``exists`` False: it does not exist yet and
    will belong to the actor's team). Admins write anything; analysts write within their team.
    """
    if not actor.may_write:
        raise AccessDenied("viewer")
    if actor.is_admin:
        return
    if not actor.team:
        raise AccessDenied("analyst_without_team")
    if exists and owner_team is None:
        raise AccessDenied("no_team", name=name)
    if exists and owner_team != actor.team:
        raise AccessDenied("other_team", name=name, team=owner_team)


def check_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise AccessDenied("admin_only")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise AccessDenied("bad_role")


def check_user_name(name: str) -> str:
    """The name stripped; refused when empty or holding control characters."""
    name = name.strip()
    if not name or any(ord(c) < 32 or ord(c) == 127 for c in name) or len(name) > 200:
        raise AccessDenied("bad_name")
    return name


# --- passwords -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """A salted scrypt hash, stored as ``scrypt$n$r$p$salt$hash`` (base64): never the password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessDenied("weak_password")
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the stored hash (constant-time compare).

    With no stored hash (an OpenID-only account, or an unknown name) a dummy hash is still
    computed, so the answer takes as long as for a real account.
    """
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        _scrypt(password, b"\0" * SALT_BYTES, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    return hmac.compare_digest(expected, actual)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# --- throttling ----------------------------------------------------------------------------------


class RateLimiter:
    """At most ``attempts`` in any ``window`` seconds per key (a user name, a browser session), thread-safe."""

    def __init__(self, attempts: int = RATE_ATTEMPTS, window: float = RATE_WINDOW_SECONDS):
        self.attempts, self.window = attempts, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one attempt for ``key``; False (and not counted) when it is over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and now - seen[0] > self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                return False
            seen.append(now)
            if len(self._seen) > 10_000:  # forget idle keys so guessing many names cannot grow memory
                for stale in [k for k, v in self._seen.items() if not v or now - v[-1] > self.window]:
                    del self._seen[stale]
            return True
