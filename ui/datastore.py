"""The store of this process, and the datasets it holds, for the app.

* One :class:`~storage.store.Store` per database file and process (``st.cache_resource``);
  a locked or corrupt file is reported with ``StoreError.text`` and a button that starts a new
  file from the sample, keeping the old one as a backup.
* A dataset's version is its ``created_at`` in the store, so a re-import under the same name is
  never served stale from a cache.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from storage.store import PATH_VARIABLE, SAMPLE_NAME, Store, StoreError, default_path

from .i18n import escape_markdown, language, t


@dataclass(frozen=True)
class DatasetInfo:
    """One stored dataset as the sidebar lists it."""

    name: str
    version: str
    illustrative: bool
    source_file: str
    facilities: int
    projects: int


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """The store of this process; on a locked or corrupt file, explain and offer a fresh one, then stop."""
    path = str(default_path())
    try:
        return _open_store(path)
    except StoreError as error:
        st.error(f"**{t('store_error_title')}**\n\n{escape_markdown(error.text(language()))}")
        if error.code not in ("locked", "corrupt", "damaged_log"):
            st.stop()  # a healthy file: nothing to move, the message says what to do
        from .auth import configured_mode

        if configured_mode() != "single":  # with logins, no visitor may switch every user to another file
            st.info(t("store_error_admin"))
            st.stop()
        label = "set_log_aside" if error.code == "damaged_log" else "new_database"
        if st.button(t(label), key="new_database"):
            new_path = start_new_database(error)
            st.session_state["new_database_done"] = str(new_path)
            st.rerun()
        st.stop()
        raise  # st.stop() does not return; this keeps type checkers honest


def start_new_database(error: StoreError) -> Path:
    """For a locked file, use a new file next to it; for a damaged log, set only the log aside; for a
    corrupt main file, set it (and its log) aside, kept as a backup. A healthy file is never moved."""
    path = Path(error.path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if error.code == "locked":
        new_path = path.with_name(f"{path.stem}-{stamp}{path.suffix}")
        os.environ[PATH_VARIABLE] = str(new_path)
        return new_path
    if not error.may_move_aside:
        return path
    log = Path(str(path) + ".wal")
    for old in ((log,) if error.code == "damaged_log" else (path, log)):
        if old.exists():
            old.rename(old.with_name(f"{old.name}.broken-{stamp}"))
    _open_store.clear()
    return path


#: path -> (the store's generation when read, its datasets): every run of every session asks for the list
#: twice, and it changes only when the file does.
_DATASETS: dict[str, tuple[tuple[int, ...], dict[str, DatasetInfo]]] = {}


def datasets(store: Store) -> dict[str, DatasetInfo]:
    """Every stored dataset by name, in the order they were stored (read again only after the file changed)."""
    generation = store.generation()
    known = _DATASETS.get(str(store.path))
    if known is not None and known[0] == generation:
        return dict(known[1])
    info = store.dataset_info()
    infos = {str(row["name"]): DatasetInfo(str(row["name"]), str(row["created_at"]), bool(row["illustrative"]),
                                           str(row["source_file"] or ""), int(row["facilities"]),
                                           int(row["projects"]))
             for _, row in info.iterrows()}
    _DATASETS[str(store.path)] = (generation, infos)
    return dict(infos)


_SCENARIOS: dict[tuple[str, str], tuple[tuple[int, ...], dict[str, tuple[dict, dict]]]] = {}


def saved_scenarios(dataset: str) -> dict[str, tuple[dict, dict]]:
    """Every saved scenario of ``dataset``, name -> (settings, result), in the order saved; read from the file
    only after it changed (the scenarios page runs on every click of everyone who has it open).
    The dicts are shared: read them, never change them."""
    store = get_store()
    generation = store.generation()
    key = (str(store.path), dataset)
    known = _SCENARIOS.get(key)
    if known is not None and known[0] == generation:
        return dict(known[1])
    loaded = store.scenarios(dataset)
    _SCENARIOS[key] = (generation, loaded)
    return dict(loaded)


def default_dataset(names: list[str]) -> str:
    return SAMPLE_NAME if SAMPLE_NAME in names else names[0]
