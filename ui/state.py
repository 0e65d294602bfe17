"""The store, cached data and solves, and the settings that live in the session.

* One :class:`~storage.store.Store` per database file and process
  (``st.cache_resource``); a locked or corrupt file is reported with
  ``StoreError.text`` and a button that starts a new file from the sample.
* Datasets and their prepared :class:`~optimizer.instance.Instance` are cached
  per (file, name, version); the version is the dataset's ``created_at`` in the
  store, so a re-import under the same name is never served stale.
* Solves are cached with ``st.cache_data`` on every input that matters.
* Settings are kept under ``_``-prefixed session keys, which survive page
  switches (widget keys are dropped when their page is not shown).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st

from optimizer.dataset import Dataset, EmissionFactors, Target
from optimizer.instance import Instance, prepare
from optimizer.solve import PortfolioResult, SolverSettings, optimize
from storage.store import PATH_VARIABLE, SAMPLE_NAME, Store, StoreError, default_path

from .i18n import language, t

DEFAULT_BUDGET = 300_000.0
DEFAULT_CO2_GOAL = 2_000_000.0
DEFAULTS = {
    "_budget": DEFAULT_BUDGET,
    "_objective": "co2",
    "_co2_goal": DEFAULT_CO2_GOAL,
    "_solver": "highs",
    "_time_limit": 60.0,
    "_gap": 0.001,
}


# --- the store --------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """The store of this process; on a locked or corrupt file, explain and offer a fresh one, then stop."""
    path = str(default_path())
    try:
        return _open_store(path)
    except StoreError as error:
        st.error(f"**{t('store_error_title')}**\n\n{error.text(language())}")
        if st.button(t("new_database"), key="new_database"):
            new_path = start_new_database(error)
            st.session_state["_new_database"] = str(new_path)
            st.rerun()
        st.stop()


def start_new_database(error: StoreError) -> Path:
    """Move a corrupt file aside (kept as a backup) or, for a locked file, use a new file next to it."""
    path = Path(error.path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if error.code == "locked":
        new_path = path.with_name(f"{path.stem}-{stamp}{path.suffix}")
        os.environ[PATH_VARIABLE] = str(new_path)
        return new_path
    for old in (path, Path(str(path) + ".wal")):
        if old.exists():
            old.rename(old.with_name(f"{old.name}.broken-{stamp}"))
    _open_store.clear()
    return path


def dataset_info(store: Store) -> dict[str, dict]:
    """name -> {version, illustrative, source_file, facilities, projects}."""
    info = store.dataset_info()
    return {row["name"]: {"version": str(row["created_at"]), "illustrative": bool(row["illustrative"]),
                          "source_file": row["source_file"], "facilities": int(row["facilities"]),
                          "projects": int(row["projects"])} for _, row in info.iterrows()}


@st.cache_resource(show_spinner=False, max_entries=16)
def _dataset(path: str, name: str, version: str) -> Dataset:
    return _open_store(path).load_dataset(name)


@st.cache_resource(show_spinner=False, max_entries=16)
def _instance(path: str, name: str, version: str) -> Instance:
    return prepare(_dataset(path, name, version), EmissionFactors.default())


@dataclass(frozen=True)
class Context:
    """The dataset the sidebar points at, with its cache key."""

    store: Store
    path: str
    name: str
    version: str
    illustrative: bool

    @property
    def dataset(self) -> Dataset:
        return _dataset(self.path, self.name, self.version)

    @property
    def instance(self) -> Instance:
        return _instance(self.path, self.name, self.version)


def context() -> Context:
    """The selected dataset (the sidebar has run before any page)."""
    store = get_store()
    info = dataset_info(store)
    name = st.session_state.get("_dataset") or st.session_state.get("dataset")
    if name not in info:
        name = SAMPLE_NAME if SAMPLE_NAME in info else next(iter(info))
    return Context(store, str(store.path), name, info[name]["version"], info[name]["illustrative"])


# --- settings kept in the session -------------------------------------------


def init_settings() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault("_targets", {})


def target_overrides(name: str) -> dict[str, list]:
    """target_id -> [value, enabled] set by the user for dataset ``name``."""
    return st.session_state.setdefault("_targets", {}).setdefault(name, {})


def current_targets(ctx: Context) -> list[Target]:
    overrides = target_overrides(ctx.name)
    out = []
    for target in ctx.dataset.targets:
        if target.target_id in overrides:
            value, enabled = overrides[target.target_id]
            target = replace(target, value=float(value), enabled=bool(enabled))
        out.append(target)
    return out


def targets_key(targets: list[Target]) -> tuple:
    return tuple((t.target_id, float(t.value), bool(t.enabled)) for t in targets)


def set_budget(value: float) -> None:
    """Set the budget everywhere: the kept value and both widgets (call before they are drawn, or in a callback)."""
    value = max(0.0, float(value))
    st.session_state["_budget"] = value
    st.session_state["budget_input"] = value
    slider_max = st.session_state.get("_slider_max")
    st.session_state["budget_slider"] = min(value, slider_max) if slider_max else value


def settings_dict(ctx: Context) -> dict:
    """The current settings, JSON-ready (what a scenario stores)."""
    s = st.session_state
    return {
        "dataset": ctx.name, "budget": float(s["_budget"]), "objective": s["_objective"],
        "co2_goal": float(s["_co2_goal"]) if s["_objective"] == "cost" else None,
        "targets": {tid: [value, enabled] for tid, value, enabled in targets_key(current_targets(ctx))},
        "solver": s["_solver"], "time_limit": float(s["_time_limit"]), "gap": float(s["_gap"]),
    }


def apply_settings(settings: dict) -> None:
    """Put saved settings back in the session (before widgets are drawn)."""
    s = st.session_state
    set_budget(settings.get("budget", DEFAULT_BUDGET))
    s["_objective"] = settings.get("objective") or "co2"
    if settings.get("co2_goal") is not None:
        s["_co2_goal"] = float(settings["co2_goal"])
    for key in ("solver", "time_limit", "gap"):
        if settings.get(key) is not None:
            s[f"_{key}"] = settings[key]
    if settings.get("dataset") and settings.get("targets") is not None:
        s.setdefault("_targets", {})[settings["dataset"]] = {k: list(v) for k, v in settings["targets"].items()}
    for key in ("objective", "co2_goal", "solver", "time_limit", "gap", "targets_editor"):
        s.pop(key, None)


def solver_settings() -> SolverSettings:
    s = st.session_state
    return SolverSettings(solver=s["_solver"], time_limit=float(s["_time_limit"]), gap=float(s["_gap"]))


# --- solves, cached ---------------------------------------------------------


def _targets_from_key(dataset: Dataset, key: tuple) -> list[Target]:
    by_id = {tid: (value, enabled) for tid, value, enabled in key}
    return [replace(t, value=by_id[t.target_id][0], enabled=by_id[t.target_id][1]) if t.target_id in by_id else t
            for t in dataset.targets]


@st.cache_data(show_spinner=False, max_entries=256)
def _solve(path: str, name: str, version: str, budget: float | None, objective: str, goal: float | None,
           key: tuple, solver: str, time_limit: float, gap: float) -> PortfolioResult:
    dataset = _dataset(path, name, version)
    targets = _targets_from_key(dataset, key)
    return optimize(_instance(path, name, version), budget if objective == "co2" else None, objective,
                    goal if objective == "cost" else None, targets,
                    settings=SolverSettings(solver, time_limit, gap))


def solve_key(ctx: Context) -> tuple:
    s = st.session_state
    objective = s["_objective"]
    return (ctx.path, ctx.name, ctx.version, float(s["_budget"]) if objective == "co2" else None, objective,
            float(s["_co2_goal"]) if objective == "cost" else None, targets_key(current_targets(ctx)),
            s["_solver"], float(s["_time_limit"]), float(s["_gap"]))


def current_result(ctx: Context) -> PortfolioResult:
    """The result of the current settings (solved once per distinct input)."""
    return _solve(*solve_key(ctx))


@st.cache_data(show_spinner=False, max_entries=32)
def portfolio_files(path: str, name: str, version: str, budget, objective, goal, key: tuple, solver: str,
                    time_limit: float, gap: float) -> tuple[bytes, bytes]:
    """CSV and XLSX bytes of a result, built once per result."""
    from optimizer.export import portfolio_csv, portfolio_table, portfolio_workbook

    result = _solve(path, name, version, budget, objective, goal, key, solver, time_limit, gap)
    dataset, instance = _dataset(path, name, version), _instance(path, name, version)
    table = portfolio_table(dataset, instance, result)
    settings = {"budget": budget, "objective": objective, "co2_goal": goal, "solver": solver,
                "time_limit": time_limit, "gap": gap}
    workbook = portfolio_workbook(dataset.with_targets(_targets_from_key(dataset, key)), instance, result,
                                  EmissionFactors.default(), settings=settings)
    return portfolio_csv(table), workbook


@st.cache_data(show_spinner=False, max_entries=32)
def target_prices_cached(path: str, name: str, version: str, budget: float, key: tuple, solver: str,
                         time_limit: float, gap: float):
    from optimizer.prices import target_prices

    dataset = _dataset(path, name, version)
    return target_prices(_instance(path, name, version), _targets_from_key(dataset, key), budget,
                         SolverSettings(solver, time_limit, gap))


def least_budget_rounded(diagnosis: dict | None) -> float | None:
    """The diagnosis's least budget rounded up to a whole 万元."""
    if not diagnosis or diagnosis.get("least_budget") is None:
        return None
    return float(math.ceil(float(diagnosis["least_budget"]) - 1e-9))



# --- edits in the app, checked by the import rules ----------------------------


def check_edited_projects(tables: dict, edited_projects, name: str):
    """Check a dataset whose projects table was edited in the app, the way an upload is checked.

    Returns (problems, dataset): every problem (with table, row and column as
    a spreadsheet would number them) and None, or no problem and the dataset.
    """
    import pandas as pd

    from optimizer.checks import build_dataset
    from optimizer.problems import DataError
    from optimizer.reading import RawTable

    raw = []
    for table, frame in {**tables, "projects": edited_projects}.items():
        frame = frame.reset_index(drop=True).astype(object)
        frame = frame.where(pd.notna(frame), None)
        raw.append(RawTable(table, f"{table} (edited)", frame, list(range(2, len(frame) + 2))))
    try:
        return [], build_dataset(raw, name=name)
    except DataError as error:
        return error.problems, None
