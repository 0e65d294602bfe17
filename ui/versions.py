"""Dataset versions for the app: the list, a row-by-row diff of two, and a restore.

The store keeps every import of a dataset; these helpers put that history in
the user's language for the Projects page.
"""

from __future__ import annotations

import pandas as pd

from optimizer.data.versions import diff_datasets

from .auth import actor
from .datastore import get_store
from .i18n import t

CHANGE_KEYS = {"added": "version_added", "removed": "version_removed", "changed": "version_changed"}
TABLE_KEYS = {"facilities": "facilities", "projects": "projects", "products": "products", "targets": "targets"}


def versions(name: str) -> pd.DataFrame:
    """Every kept version of ``name``, newest first, with labelled columns and a short hash."""
    table = get_store().versions(name)
    table["data_hash"] = table["data_hash"].str[:12]
    return table.rename(columns={"version": t("col_version"), "saved_at": t("col_saved_at"),
                                 "source_file": t("col_source_file"), "data_hash": t("col_data_hash"),
                                 "facilities": t("facilities"), "projects": t("projects")})


def version_numbers(name: str) -> list[int]:
    return [int(v) for v in get_store().versions(name)["version"]]


def diff(name: str, old: int, new: int) -> pd.DataFrame:
    """Rows added, removed and changed from version ``old`` to version ``new``, labelled."""
    store = get_store()
    changes = diff_datasets(store.load_version(name, old), store.load_version(name, new))
    return pd.DataFrame([{t("col_table"): t(TABLE_KEYS[c.table]), t("col_key"): c.key,
                          t("col_change"): t(CHANGE_KEYS[c.change]), t("col_columns"): ", ".join(c.columns),
                          t("col_old_value"): "; ".join(c.before), t("col_new_value"): "; ".join(c.after)}
                         for c in changes],
                        columns=[t("col_table"), t("col_key"), t("col_change"), t("col_columns"), t("col_old_value"),
                                 t("col_new_value")])


def restore(name: str, version: int) -> int:
    """Make ``version`` the newest again (kept as a new version); returns the new version's number."""
    return get_store().restore_version(name, version, actor=actor())
