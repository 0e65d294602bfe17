"""Every call the app makes into the optimizer library, in one module, cached on the question.

Pages never import :mod:`optimizer` themselves: they ask here, passing the :class:`Settings` on
screen. Library calls use keyword arguments after the data, so a change of the library's
signatures is a change of this one file.

``solve(settings)`` is the heart: one cached solve per distinct question and database file. A
diagnosis is asked for separately, only when a result is infeasible.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from optimizer.dataset import DATA_DIR, Dataset, EmissionFactors, Target, load_emission_factors
from optimizer.instance import Instance, prepare
from optimizer.model import PolicyOptions
from optimizer.problems import Problem
from optimizer.solve import PortfolioResult, SolverSettings, optimize
from optimizer.target_kinds import TargetKind, kind_of
from optimizer.targets import TargetOutcome
from storage.store import Store

from .datastore import DatasetInfo, get_store
from .settings import Limits, Settings

MIN_BUDGET_MAX = 100_000.0


# --- data -------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=16)
def _dataset(path: str, name: str, version: str) -> Dataset:
    return _store_for(path).load_dataset(name)


def _store_for(path: str) -> Store:
    store = get_store()
    if str(store.path) != path:  # the process's file changed (a new database was started)
        raise RuntimeError(f"store {path} is no longer open")
    return store


def factors(settings: Settings) -> EmissionFactors:
    """The emission factors of the question: the grid factor chosen by id (and value, if set), and
    the shipped fuel factors with the analyst's values per fuel (``fuel_factors``: fuel key → tCO2/tce)."""
    table = load_emission_factors()
    grid_id = settings.grid_factor_id if settings.grid_factor_id in table.index else EmissionFactors.default().grid_id
    chosen = EmissionFactors.from_table(table, grid_id, "fuel_coal")
    return chosen.with_changes(grid_t_per_mwh=settings.grid_factor, fuels=dict(settings.fuel_factors))


def _factors_key(settings: Settings) -> tuple[Any, ...]:
    return settings.grid_factor_id, settings.grid_factor, settings.fuel_factors


@st.cache_resource(show_spinner=False, max_entries=16)
def _instance(path: str, name: str, version: str, factors_key: tuple[Any, ...]) -> Instance:
    grid_id, grid_value, fuel = factors_key
    chosen = factors(Settings(grid_factor_id=grid_id, grid_factor=grid_value, fuel_factors=fuel))
    return prepare(_dataset(path, name, version), chosen)


def _path() -> str:
    return str(get_store().path)


def store_path() -> str:
    """The database file of this process: part of every cache key, so two files never share a result."""
    return _path()


def dataset(settings: Settings) -> Dataset:
    return _dataset(_path(), settings.dataset, settings.dataset_version)


def instance(settings: Settings) -> Instance:
    return _instance(_path(), settings.dataset, settings.dataset_version, _factors_key(settings))


def budget_max(settings: Settings) -> float:
    """The top of the budget slider: every project's capex, rounded up to 10,000 万元 (more buys nothing)."""
    total = float(instance(settings).capex.sum())
    return float(max(MIN_BUDGET_MAX, math.ceil(total / 10_000) * 10_000))


def limits(settings: Settings, info: DatasetInfo, names: tuple[str, ...]) -> Limits:
    """What the dataset ``info`` allows, for :meth:`Settings.checked`."""
    on = replace(settings, dataset=info.name, dataset_version=info.version)
    targets = {t.target_id: (t.kind, t.enabled, float(t.value)) for t in dataset(on).targets}
    return Limits(info.name, info.version, budget_max(on), targets, names)


def targets(settings: Settings) -> list[Target]:
    """The dataset's targets with the analyst's switches and values applied."""
    out = []
    for target in dataset(settings).targets:
        chosen = settings.target(target.target_id)
        out.append(replace(target, enabled=chosen.enabled, value=chosen.value) if chosen else target)
    return out


def kind(name: str) -> TargetKind:
    """What a target kind means (share or count, label, format), from the library's one table."""
    return kind_of(name)


# --- solving ----------------------------------------------------------------------------------


def options(settings: Settings) -> PolicyOptions:
    """How the plans are read: the compliance margin and who pays for closures by order.

    ``Settings.margin`` is in share points (2.0 = 2 points); the library takes a fraction (0.02)."""
    return PolicyOptions(margin=settings.margin / 100.0, order_capex_in_budget=settings.order_capex_in_budget)


def solver_settings(settings: Settings) -> SolverSettings:
    return SolverSettings(solver=settings.solver, time_limit=settings.time_limit, gap=settings.gap)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Solved:
    """A result and, when it is infeasible, why (the diagnosis as a dict)."""

    result: PortfolioResult
    diagnosis: dict[str, Any] | None


def _diagnose(settings: Settings, result: PortfolioResult) -> dict[str, Any] | None:
    """Ask the library why a question is infeasible: unreachable targets or the least budget, and the
    closest portfolio within the budget (kept on the result too, for the downloads)."""
    if result.status != "infeasible":
        return None
    from optimizer.diagnosis import diagnose

    diagnosis = diagnose(instance(settings), targets(settings), objective=settings.objective,
                         budget=settings.solve_budget(), co2_goal=settings.solve_goal(),
                         options=options(settings), settings=solver_settings(settings))
    result.diagnosis, result.closest = diagnosis.to_dict(), diagnosis.closest
    return result.diagnosis


@st.cache_data(show_spinner=False, max_entries=256)
def _solve(path: str, settings: Settings) -> Solved:
    result = optimize(instance(settings), budget=settings.solve_budget(), objective=settings.objective,
                      co2_goal=settings.solve_goal(), targets=targets(settings), options=options(settings),
                      settings=solver_settings(settings))
    return Solved(result, _diagnose(settings, result))


def solve(settings: Settings) -> Solved:
    """The portfolio for the question on screen (solved once per distinct question and database file)."""
    return _solve(_path(), settings)


@st.cache_data(show_spinner=False, max_entries=32)
def _most_co2(path: str, settings: Settings) -> PortfolioResult:
    return optimize(instance(settings), budget=None, objective="co2", co2_goal=None, targets=targets(settings),
                    options=options(settings), settings=solver_settings(settings))


def most_co2(settings: Settings) -> PortfolioResult:
    """The most CO2 any budget buys while meeting the targets (alternatives counted once, not added up)."""
    return _most_co2(_path(), replace(settings, objective="co2", budget=0.0))


def least_budget(diagnosis: dict[str, Any] | None) -> float | None:
    """The diagnosis's least budget rounded up to a whole 万元."""
    if not diagnosis or diagnosis.get("least_budget") is None:
        return None
    return float(math.ceil(float(diagnosis["least_budget"]) - 1e-9))


@st.cache_data(show_spinner=False, max_entries=32)
def _target_prices(path: str, settings: Settings) -> pd.DataFrame:
    from optimizer.prices import target_prices as prices

    return prices(instance(settings), targets(settings), settings.budget, solver_settings(settings),
                  options(settings))


def target_prices(settings: Settings) -> pd.DataFrame:
    """How much more CO2 the budget buys with each target switched off."""
    return _target_prices(_path(), settings)


def frontier(settings: Settings, low: float, high: float, points: int,
             progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The frontier from ``low`` to ``high`` 万元 at ``points`` budgets, beside the MAC pick."""
    from optimizer.frontier import budget_range
    from optimizer.frontier import frontier as trace

    return trace(instance(settings), targets(settings), budget_range(low, high, points),
                 settings=solver_settings(settings), progress=progress, options=options(settings),
                 rate=settings.discount_rate)


def frontier_diagnosis(settings: Settings, high: float) -> dict[str, Any] | None:
    """Why no budget up to ``high`` meets the targets (the diagnosis at the highest budget)."""
    at_top = replace(settings, objective="co2", budget=float(high))
    solved = solve(at_top)
    return solved.diagnosis


def today(settings: Settings) -> list[TargetOutcome]:
    """Each enabled target before any project."""
    from optimizer.targets import evaluate_targets

    inst = instance(settings)
    return evaluate_targets(inst, targets(settings), np.zeros(inst.n_projects, dtype=bool))


# --- tables and files -------------------------------------------------------------------------


def projects_with_co2(settings: Settings) -> pd.DataFrame:
    """The projects with their CO2 cut (t/yr) under the question's factors and their facility's sector."""
    data, inst = dataset(settings), instance(settings)
    projects = data.projects.assign(co2_t=inst.co2).reset_index()
    projects["sector"] = projects["facility_id"].map(data.facilities["sector"])
    return projects


def portfolio_table(settings: Settings, result: PortfolioResult) -> pd.DataFrame:
    from optimizer.export import portfolio_table as table

    return table(dataset(settings), instance(settings), result, discount_rate=settings.discount_rate)


@st.cache_data(show_spinner=False, max_entries=32)
def _portfolio_files(path: str, settings: Settings) -> tuple[bytes, bytes]:
    from optimizer.export import portfolio_csv, portfolio_workbook
    from optimizer.export import portfolio_table as table

    result = _solve(path, settings).result
    data, inst = dataset(settings), instance(settings)
    csv = portfolio_csv(table(data, inst, result, discount_rate=settings.discount_rate))
    workbook = portfolio_workbook(data.with_targets(targets(settings)), inst, result, factors(settings),
                                  discount_rate=settings.discount_rate, settings=settings.to_assumptions())
    return csv, workbook


def portfolio_csv(settings: Settings) -> bytes:
    return _portfolio_files(_path(), settings)[0]


def portfolio_xlsx(settings: Settings) -> bytes:
    return _portfolio_files(_path(), settings)[1]


@st.cache_data(show_spinner=False)
def template_workbook() -> bytes:
    from optimizer.export import template_workbook as template

    return template()


@st.cache_data(show_spinner=False, max_entries=8)
def _dataset_workbook(path: str, name: str, version: str) -> bytes:
    from optimizer.export import dataset_workbook

    return dataset_workbook(_dataset(path, name, version))


def dataset_workbook(settings: Settings) -> bytes:
    return _dataset_workbook(_path(), settings.dataset, settings.dataset_version)


def dataset_tables(settings: Settings) -> dict[str, pd.DataFrame]:
    from optimizer.export import dataset_tables as tables

    return tables(dataset(settings))


def reference_table(name: str) -> pd.DataFrame:
    """A shipped reference table (products.csv, targets.csv, emission_factors.csv)."""
    return _reference(name)


@st.cache_data(show_spinner=False)
def _reference(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name)


def check_edited_projects(tables: dict[str, pd.DataFrame], edited_projects: pd.DataFrame,
                          name: str) -> tuple[list[Problem], Dataset | None]:
    """Check a dataset whose projects table was edited in the app, the way an upload is checked.

    Returns every problem (with table, row and column as a spreadsheet would number them) and
    None, or no problem and the dataset.
    """
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


# --- assumptions, accounting, the run record and the meeting pack (issues 10 and 14) ---------------

#: The fuels whose factor the analyst may set (keys of data/emission_factors.csv's fuel rows).
FUELS: tuple[str, ...] = ("coal", "natural_gas", "coke", "oil")


def grid_rows() -> pd.DataFrame:
    """The grid rows of the shipped emission factors: factor_id (index), value, name_en, name_zh."""
    table = load_emission_factors()
    return table[table["kind"] == "grid"]


def shipped_fuel_factors() -> dict[str, float]:
    """Each fuel's shipped factor (tCO2/tce), before the analyst's changes."""
    return dict(factors(Settings()).with_changes().fuels)


def record_settings(settings: Settings) -> dict[str, Any]:
    """The settings dict of the run record: the question as solved (only settings ``rerun`` honours; the
    workbook's assumptions sheet carries the whole Settings value)."""
    from optimizer.record import run_settings

    return run_settings(objective=settings.objective, budget=settings.solve_budget(), co2_goal=settings.solve_goal(),
                        targets=targets(settings), factors=factors(settings), discount_rate=settings.discount_rate,
                        margin=options(settings).margin or None,
                        order_capex_in_budget=None if settings.order_capex_in_budget else False)


def record(settings: Settings, result: PortfolioResult) -> Any:
    """The run record of ``result`` solved for the question (a :class:`optimizer.record.RunRecord`)."""
    from optimizer.record import make_record

    return make_record(dataset(settings), result, solver_settings=solver_settings(settings),
                       settings=record_settings(settings))


def closest_result(settings: Settings) -> PortfolioResult | None:
    """The closest portfolio of an infeasible question as a full result (accounting, targets), or None."""
    solved = solve(settings)
    closest = solved.result.closest
    if not closest:
        return None
    from optimizer.solve import SolveOutcome, make_result

    inst = instance(settings)
    chosen = np.isin(inst.project_ids.astype(str), [str(i) for i in closest["selected"]])
    outcome = SolveOutcome(status=closest.get("status") or "feasible", objective=None, bound=None,
                           gap=closest.get("gap"), seconds=0.0, chosen=chosen)
    return make_result(inst, targets(settings), outcome, "co2", settings.solve_budget(), None, 0.0,
                       solver_settings(settings).solver, options(settings))


def _result_for(path: str, settings: Settings, which: str) -> PortfolioResult:
    if which == "closest":
        found = closest_result(settings)
        if found is None:
            raise ValueError("no closest portfolio for this question")
        return found
    return _solve(path, settings).result


@st.cache_data(show_spinner=False, max_entries=32)
def _files(path: str, settings: Settings, lang: str, which: str) -> tuple[bytes, bytes]:
    from optimizer.export import portfolio_csv as csv_of
    from optimizer.export import portfolio_table as table
    from optimizer.export import portfolio_workbook

    result = _result_for(path, settings, which)
    data, inst = dataset(settings), instance(settings)
    run = record(settings, result)
    csv = csv_of(table(data, inst, result, discount_rate=settings.discount_rate), run, lang)
    workbook = portfolio_workbook(data.with_targets(targets(settings)), inst, result, factors(settings),
                                  discount_rate=settings.discount_rate, settings=settings.to_assumptions(),
                                  lang=lang, record=run, data=data)
    return csv, workbook


def result_csv(settings: Settings, lang: str, which: str = "optimum") -> bytes:
    """The portfolio (``optimum``) or the closest portfolio (``closest``) as CSV in ``lang``, run record on top."""
    return _files(_path(), settings, lang, which)[0]


def result_xlsx(settings: Settings, lang: str, which: str = "optimum") -> bytes:
    """The portfolio workbook in ``lang`` with its run record and assumptions (the Settings value)."""
    return _files(_path(), settings, lang, which)[1]


PACK_FRONTIER_POINTS = 9


@st.cache_data(show_spinner=False, max_entries=8)
def _meeting_pack(path: str, settings: Settings, lang: str) -> bytes:
    from optimizer.frontier import budget_range
    from optimizer.frontier import frontier as trace
    from optimizer.report import build_pack

    result = _solve(path, settings).result
    if result.status == "infeasible" and result.closest is None:
        _diagnose(settings, result)
    top = min(2 * (settings.solve_budget() or result.spend or 0.0), budget_max(settings))
    table = None
    if top > 0:
        table = trace(instance(settings), targets(settings), budget_range(0.0, top, PACK_FRONTIER_POINTS),
                      settings=solver_settings(settings), options=options(settings), rate=settings.discount_rate)
    return build_pack(dataset(settings).with_targets(targets(settings)), result, lang=lang,
                      record=record(settings, result), frontier=table, instance=instance(settings),
                      factors=factors(settings), discount_rate=settings.discount_rate)


def meeting_pack(settings: Settings, lang: str) -> bytes:
    """The meeting pack (.pptx) of the question, built once per question and language."""
    return _meeting_pack(_path(), settings, lang)


@st.cache_data(show_spinner=False, max_entries=4)
def _meeting_pack_pdf(path: str, settings: Settings, lang: str) -> bytes:
    from optimizer.report import pptx_to_pdf

    return pptx_to_pdf(_meeting_pack(path, settings, lang))


def meeting_pack_pdf(settings: Settings, lang: str) -> bytes:
    """The meeting pack as PDF (LibreOffice converts the deck)."""
    return _meeting_pack_pdf(_path(), settings, lang)


def can_make_pdf() -> bool:
    import shutil

    return bool(shutil.which("soffice") or shutil.which("libreoffice"))
