"""``backup`` and ``restore``: a consistent copy of the app's database while the app runs, and the way back.

The command line is an application like the app: these two commands, and only they, reach the
``storage`` package, imported inside :func:`run` so the library itself never depends on it
(``tests/test_architecture.py`` names this module as its one exception).

Both exit 0 on success and 2, with a message and no traceback, on a bad path, a file that is not a
backup, a database held by another process past ``--wait``, or a restore refused because the
database is newer than the backup.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("backup", "restore")
EXIT_REFUSED = 2


def add_commands(commands: argparse._SubParsersAction) -> None:
    db_help = "the app's database file (default: $RETROFIT_DB, else data/retrofit.duckdb)"
    wait_help = "seconds to wait while the app holds the file for a moment (default 60)"
    backup = commands.add_parser("backup", help="copy the app's database consistently, also while the app runs")
    backup.add_argument("--db", type=Path, help=db_help)
    backup.add_argument("--to", type=Path,
                        help="backup file, or a folder for a dated file (default: backups/ beside the database)")
    backup.add_argument("--force", action="store_true", help="replace an existing backup file")
    backup.add_argument("--wait", type=float, default=60.0, help=wait_help)

    restore = commands.add_parser("restore", help="put a backup back in place of the app's database")
    restore.add_argument("backup", type=Path, help="the backup file (made by the backup command)")
    restore.add_argument("--db", type=Path, help=db_help)
    restore.add_argument("--force", action="store_true",
                         help="replace a database changed after the backup was taken (it is still kept aside)")
    restore.add_argument("--wait", type=float, default=60.0, help=wait_help)


def run(args: argparse.Namespace) -> int:
    """Run ``backup`` or ``restore``; 0 on success, 2 with a message when refused."""
    from storage.backup import BackupProblem, backup, restore
    from storage.store import StoreError, default_path

    database = args.db or default_path()
    if args.wait < 0 or args.wait != args.wait:
        print("--wait must be a number of seconds, 0 or more", file=sys.stderr)
        return EXIT_REFUSED
    try:
        if args.command == "backup":
            outcome = backup(database, args.to, force=args.force, wait=args.wait)
            print(f"backup of {database} written to {outcome.path}")
        else:
            outcome = restore(args.backup, database, force=args.force, wait=args.wait)
            print(f"{args.backup} restored to {outcome.path}")
            if outcome.kept:
                print(f"the replaced database is kept at {outcome.kept}")
            print("a running app refuses saves until it is restarted: restart it now")
    except BackupProblem as problem:
        print(f"{args.command} refused: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as error:  # the database itself: locked past --wait, no permission, full disk
        print(f"{args.command} refused: {error.text('en')}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as error:  # a disk full or a permission lost midway: nothing half-written was left
        print(f"{args.command} failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}",
              file=sys.stderr)
        return EXIT_REFUSED
    rows = outcome.summary.counts
    print(f"rows: datasets {rows.get('datasets', 0)}, projects {rows.get('projects', 0)}, "
          f"scenarios {rows.get('scenarios', 0)}, versions {rows.get('dataset_versions', 0)}; "
          f"last change {outcome.summary.last_change or '—'} (UTC)")
    return 0
