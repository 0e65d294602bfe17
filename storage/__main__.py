"""``python -m storage``: manage the accounts of a database file from the server's shell.

Whoever runs this can read and write the database file anyway, so the command acts as an admin
(recorded in the audit log as ``cli:<login name>``). Passwords are read from the terminal without
echo (asked twice), or as one line from standard input when it is not a terminal; never from the
command line, where other users could see them in the process list.

    python -m storage users add NAME --role analyst --team TEAM      # asks for the password
    python -m storage users add alice@example.com --role admin --oidc  # logs in via OpenID Connect only
    python -m storage users reset NAME                               # new password; ends open sessions
    python -m storage users set NAME [--role R] [--team T] [--disable | --enable] [--unlock]
    python -m storage users list
    python -m storage audit [--limit 50]

``--db PATH`` picks the file (default: ``RETROFIT_DB``, else ``data/retrofit.duckdb``). Exit status 0
when done, 2 with a message when refused (unknown user, weak password, the file held by the app...).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from .access import AccessDenied, Actor, hash_password
from .store import Store, StoreError, default_path


def _actor() -> Actor:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Actor(f"cli:{login}", "admin", None)


def read_password(stdin: TextIO | None = None) -> str:
    """The new password: asked twice without echo on a terminal, else the first line of stdin."""
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise SystemExit("error: the two passwords differ; nothing was changed")
        return first
    return stream.readline().rstrip("\r\n")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m storage", description="Accounts and audit log of the database.")
    top.add_argument("--db", help="database file (default: RETROFIT_DB, else data/retrofit.duckdb)")
    top.add_argument("--create", action="store_true", help="create the database file if it does not exist")
    groups = top.add_subparsers(dest="group", required=True)
    users = groups.add_parser("users", help="add, reset, change or list accounts").add_subparsers(
        dest="command", required=True)
    add = users.add_parser("add", help="a new account (password from the terminal or stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("viewer", "analyst", "admin"))
    add.add_argument("--team", default=None, help="the team whose datasets and scenarios the account may write")
    add.add_argument("--oidc", action="store_true", help="no password: the account logs in through OpenID Connect "
                                                         "(its name is the e-mail the provider sends)")
    reset = users.add_parser("reset", help="a new password for an account (ends its open sessions, unlocks it)")
    reset.add_argument("name")
    change = users.add_parser("set", help="change an account's role or team, disable, enable or unlock it")
    change.add_argument("name")
    change.add_argument("--role", choices=("viewer", "analyst", "admin"))
    change.add_argument("--team")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true")
    state.add_argument("--enable", action="store_true")
    change.add_argument("--unlock", action="store_true", help="clear failed logins and a lock")
    users.add_parser("list", help="every account (never its hash)")
    audit = groups.add_parser("audit", help="the newest writes: who, when, what")
    audit.add_argument("--limit", type=int, default=50)
    return top


#: The most audit rows one listing prints.
MAX_AUDIT_ROWS = 100_000


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.group == "audit" and not 1 <= args.limit <= MAX_AUDIT_ROWS:
        print(f"error: --limit must be within 1–{MAX_AUDIT_ROWS:,}, not {args.limit:,}", file=sys.stderr)
        return 2
    path = Path(args.db) if args.db else default_path()
    if not path.exists() and not args.create:
        # A mistyped --db would otherwise be a new, empty database (with, say, a new admin in it).
        print(f"error: no database at {path}; check the path, or add --create to make a new one", file=sys.stderr)
        return 2
    try:
        store = Store(path)
    except StoreError as error:
        print(f"error: {error.text('en')}", file=sys.stderr)
        return 2
    try:
        return _run(store, args)
    except AccessDenied as error:
        print(f"error: {error.text('en')}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _run(store: Store, args: argparse.Namespace) -> int:
    actor = _actor()
    if args.group == "audit":
        print(store.audit_log(args.limit).to_string(index=False))
        return 0
    if args.command == "list":
        print(store.users().to_string(index=False))
        return 0
    if args.command == "add":
        if args.role == "analyst" and not args.team:
            print("error: an analyst needs --team (analysts write within their team)", file=sys.stderr)
            return 2
        if store.user(args.name.strip()) is not None:
            print(f"error: {args.name} exists; use `users reset` or `users set`", file=sys.stderr)
            return 2
        digest = None if args.oidc else hash_password(read_password())
        store.add_user(args.name, args.role, args.team, digest, actor=actor)
        print(f"added {args.name.strip()} ({args.role}, team {args.team or '-'})")
        return 0
    if store.user(args.name) is None:
        raise AccessDenied("unknown_user", name=args.name)
    if args.command == "reset":
        store.update_user(args.name, actor=actor, password_hash=hash_password(read_password()), unlock=True)
        print(f"new password set for {args.name}; its open sessions end at their next click")
        return 0
    disabled = True if args.disable else False if args.enable else None
    store.update_user(args.name, actor=actor, role=args.role, team=args.team, disabled=disabled, unlock=args.unlock)
    print(f"updated {args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
