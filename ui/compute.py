"""Every call the app makes into the optimizer library, in one module, cached on the question.

Pages never import :mod:`optimizer` themselves: they ask here, passing the :class:`Settings` on
screen. Library calls use keyword arguments after the data, so a change of the library's
signatures is a change of this one file.

``solve(settings)`` is the heart: one cached solve per distinct question and database file. A
diagnosis is asked for separately, only when a result is infeasible.

Every solve or sweep that is really computed (not served from a cache) takes its turn in the
process's worker pool (:func:`ui.workers.turn`): a few at a time, first come first served, with
the place in line shown to whoever waits.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from optimizer.answers.question import Question, TargetChange, answer
from optimizer.data.dataset import DATA_DIR, Dataset, EmissionFactors, Target, load_emission_factors
from optimizer.data.instance import Instance, prepare
from optimizer.data.problems import Problem
from optimizer.program.horizon import AsOf
from optimizer.program.kinds import TargetKind, kind_of
from optimizer.program.model import PolicyOptions
from optimizer.program.targets import TargetOutcome
from optimizer.solving.solve import PortfolioResult, SolverSettings, optimize
from storage.store import Store

from . import workers
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
    return _factors(*_factors_key(settings))


@functools.lru_cache(maxsize=64)
def _factors(grid_factor_id: str, grid_factor: float | None,
             fuel_factors: tuple[tuple[str, float], ...]) -> EmissionFactors:
    """Built once per choice of factors (a page asks for them many times a run)."""
    table = load_emission_factors()
    grid_id = grid_factor_id if grid_factor_id in table.index else EmissionFactors.default().grid_id
    chosen = EmissionFactors.from_table(table, grid_id, "fuel_coal")
    return chosen.with_changes(grid_t_per_mwh=grid_factor, fuels=dict(fuel_factors))


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
    projects = frozenset(map(str, instance(on).project_ids))
    return Limits(info.name, info.version, budget_max(on), targets, names, projects)


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


def as_of(settings: Settings) -> AsOf:
    """When the single-year question is asked and which year it speaks of."""
    from .settings import as_of_years

    return AsOf(*as_of_years(settings, this_year()))


def options(settings: Settings) -> PolicyOptions:
    """How the plans are read: the compliance margin and who pays for closures by order.

    ``Settings.margin`` is in share points (2.0 = 2 points); the library takes a fraction (0.02)."""
    return PolicyOptions(margin=settings.margin / 100.0, order_capex_in_budget=settings.order_capex_in_budget,
                         excluded=settings.excluded)


def solver_settings(settings: Settings) -> SolverSettings:
    """The question's solver settings; its time limit no longer than a worker slot may be held."""
    return SolverSettings(solver=settings.solver, time_limit=workers.capped(settings.time_limit),  # type: ignore[arg-type]
                          gap=settings.gap)


def question(settings: Settings) -> Question:
    """The library's question for the settings on screen (the one value the library, the record and rerun read)."""
    when = as_of(settings)
    return Question(objective=settings.objective, budget=settings.solve_budget(), co2_goal=settings.solve_goal(),
                    first_year=when.first_year, as_of_year=when.year,
                    targets=tuple(TargetChange(t.target_id, t.enabled, t.value) for t in targets(settings)),
                    options=options(settings), factors=factors(settings), discount_rate=settings.discount_rate,
                    solver=solver_settings(settings))


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
    from optimizer.answers.question import explain

    diagnosis = explain(instance(settings), targets(settings), question(settings))
    result.diagnosis, result.closest = diagnosis.to_dict(), diagnosis.closest
    return result.diagnosis


@st.cache_data(show_spinner=False, max_entries=256)
def _solve(path: str, settings: Settings) -> Solved:
    with workers.turn():
        result = answer(instance(settings), targets(settings), question(settings))
        return Solved(result, _diagnose(settings, result))


def solve(settings: Settings) -> Solved:
    """The portfolio for the question on screen (solved once per distinct question and database file)."""
    return _solve(_path(), settings)


@st.cache_data(show_spinner=False, max_entries=32)
def _most_co2(path: str, settings: Settings) -> PortfolioResult:
    with workers.turn():
        return optimize(instance(settings), budget=None, objective="co2", co2_goal=None, targets=targets(settings),
                        options=options(settings), as_of=as_of(settings), settings=solver_settings(settings))


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
    from optimizer.answers.prices import target_prices as prices

    with workers.turn():
        return prices(instance(settings), targets(settings), settings.budget, solver_settings(settings),
                      options(settings), as_of(settings))


def target_prices(settings: Settings) -> pd.DataFrame:
    """How much more CO2 the budget buys with each target switched off."""
    return _target_prices(_path(), settings)


def frontier(settings: Settings, low: float, high: float, points: int,
             progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The frontier from ``low`` to ``high`` 万元 at ``points`` budgets, beside the MAC pick.

    One budget at a time in one worker slot, given up after each budget to whoever waits in line (a
    sweep must not hold a shared server for its whole length)."""
    from optimizer.answers.frontier import budget_range
    from optimizer.answers.frontier import frontier as trace

    budgets = sorted(budget_range(low, high, points))
    parts = []
    with workers.turn() as held:
        for done, budget in enumerate(budgets, 1):
            parts.append(trace(instance(settings), targets(settings), [budget], settings=solver_settings(settings),
                               options=options(settings),
                               as_of=as_of(settings), rate=settings.discount_rate, workers=1))
            if progress is not None:
                progress(done, len(budgets))
            if done < len(budgets):
                held.yield_turn()
    table = pd.concat(parts, ignore_index=True)
    table["marginal_t_per_wan"] = table["co2_t"].diff() / table["budget"].diff()
    return table


def frontier_diagnosis(settings: Settings, high: float) -> dict[str, Any] | None:
    """Why no budget up to ``high`` meets the targets (the diagnosis at the highest budget)."""
    at_top = replace(settings, objective="co2", budget=float(high))
    solved = solve(at_top)
    return solved.diagnosis


def today(settings: Settings) -> list[TargetOutcome]:
    """Each enabled target before any project."""
    from optimizer.program.targets import evaluate_targets

    inst = instance(settings)
    when = as_of(settings)
    return evaluate_targets(inst, targets(settings), when.horizon(), np.zeros(inst.n_projects, dtype=int), when.year)


# --- tables and files -------------------------------------------------------------------------


def projects_with_co2(settings: Settings) -> pd.DataFrame:
    """The projects with their CO2 cut (t/yr) under the question's factors and their facility's sector."""
    data, inst = dataset(settings), instance(settings)
    projects = data.projects.assign(co2_t=inst.co2).reset_index()
    projects["sector"] = projects["facility_id"].map(data.facilities["sector"])
    return projects


def portfolio_table(settings: Settings, result: PortfolioResult) -> pd.DataFrame:
    from optimizer.outputs.export import portfolio_table as table

    return table(dataset(settings), instance(settings), result, discount_rate=settings.discount_rate)


@st.cache_data(show_spinner=False)
def template_workbook() -> bytes:
    from optimizer.outputs.export import template_workbook as template

    return template()


@st.cache_data(show_spinner=False, max_entries=8)
def _dataset_workbook(path: str, name: str, version: str) -> bytes:
    from optimizer.outputs.export import dataset_workbook

    return dataset_workbook(_dataset(path, name, version))


def dataset_workbook(settings: Settings) -> bytes:
    return _dataset_workbook(_path(), settings.dataset, settings.dataset_version)


def dataset_tables(settings: Settings) -> dict[str, pd.DataFrame]:
    from optimizer.outputs.export import dataset_tables as tables

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
    from optimizer.data.checks import build_dataset
    from optimizer.data.problems import DataError
    from optimizer.data.reading import RawTable

    raw = []
    for table, frame in {**tables, "projects": edited_projects}.items():
        frame = frame.reset_index(drop=True).astype(object)
        frame = frame.where(pd.notna(frame), None)
        raw.append(RawTable(table, f"{table} (edited)", frame, list(range(2, len(frame) + 2))))
    try:
        return [], build_dataset(raw, name=name)
    except DataError as error:
        return error.problems, None


# --- assumptions, accounting, the run record and the meeting pack ---------------

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
    """The settings dict of the run record: the question as solved (the workbook's assumptions sheet carries the
    whole Settings value)."""
    return question(settings).to_dict(targets(settings))


def record(settings: Settings, result: PortfolioResult) -> Any:
    """The run record of ``result`` solved for the question (a :class:`optimizer.outputs.record.RunRecord`)."""
    from optimizer.outputs.record import make_record

    return make_record(dataset(settings), result, solver_settings=solver_settings(settings),
                       settings=record_settings(settings))


def closest_result(settings: Settings) -> PortfolioResult | None:
    """The closest portfolio of an infeasible question as a full result (accounting, targets), or None."""
    solved = solve(settings)
    closest = solved.result.closest
    if not closest:
        return None
    from optimizer.program.build import build_model
    from optimizer.solving.solve import SolveOutcome, make_result

    inst = instance(settings)
    model = build_model(inst, targets(settings), as_of(settings).horizon(settings.solve_budget()),
                        options=options(settings))
    chosen = np.isin(inst.project_ids.astype(str), [str(i) for i in closest["selected"]])  # choice p = project p
    outcome = SolveOutcome(status=closest.get("status") or "feasible", objective=None, bound=None,
                           gap=closest.get("gap"), seconds=0.0, chosen=chosen)
    return make_result(model, outcome, "co2", None, 0.0, solver_settings(settings).solver)


def _result_for(path: str, settings: Settings, which: str) -> PortfolioResult:
    if which == "closest":
        found = closest_result(settings)
        if found is None:
            raise ValueError("no closest portfolio for this question")
        return found
    return _solve(path, settings).result


@st.cache_data(show_spinner=False, max_entries=64)
def _csv(path: str, settings: Settings, lang: str, which: str) -> bytes:
    from optimizer.outputs.export import portfolio_csv as csv_of
    from optimizer.outputs.export import portfolio_table as table

    result = _result_for(path, settings, which)
    return csv_of(table(dataset(settings), instance(settings), result, discount_rate=settings.discount_rate),
                  record(settings, result), lang)


@st.cache_data(show_spinner=False, max_entries=32)
def _xlsx(path: str, settings: Settings, lang: str, which: str) -> bytes:
    from optimizer.outputs.export import portfolio_workbook

    result = _result_for(path, settings, which)
    data, inst = dataset(settings), instance(settings)
    return portfolio_workbook(data.with_targets(targets(settings)), inst, result, factors(settings),
                              discount_rate=settings.discount_rate, settings=settings.to_assumptions(),
                              lang=lang, record=record(settings, result), data=data)


def result_csv(settings: Settings, lang: str, which: str = "optimum") -> bytes:
    """The portfolio (``optimum``) or the closest portfolio (``closest``) as CSV in ``lang``, run record on top."""
    return _csv(_path(), settings, lang, which)


def result_xlsx(settings: Settings, lang: str, which: str = "optimum") -> bytes:
    """The portfolio workbook in ``lang`` with its run record and assumptions (the Settings value); built
    apart from the CSV, so a CSV never waits for a workbook."""
    return _xlsx(_path(), settings, lang, which)


PACK_FRONTIER_POINTS = 9


@st.cache_data(show_spinner=False, max_entries=8)
def _meeting_pack(path: str, settings: Settings, lang: str) -> bytes:
    from optimizer.answers.frontier import budget_range
    from optimizer.answers.frontier import frontier as trace
    from optimizer.outputs.report import build_pack

    result = _solve(path, settings).result
    table = None
    with workers.turn():
        if result.status == "infeasible" and result.closest is None:
            _diagnose(settings, result)
        top = min(2 * (settings.solve_budget() or result.spend or 0.0), budget_max(settings))
        if top > 0:
            table = trace(instance(settings), targets(settings), budget_range(0.0, top, PACK_FRONTIER_POINTS),
                          settings=solver_settings(settings), options=options(settings), as_of=as_of(settings),
                          rate=settings.discount_rate)
    return build_pack(dataset(settings).with_targets(targets(settings)), result, lang=lang,
                      record=record(settings, result), frontier=table, instance=instance(settings),
                      factors=factors(settings), discount_rate=settings.discount_rate)


def meeting_pack(settings: Settings, lang: str) -> bytes:
    """The meeting pack (.pptx) of the question, built once per question and language."""
    return _meeting_pack(_path(), settings, lang)


@st.cache_data(show_spinner=False, max_entries=4)
def _meeting_pack_pdf(path: str, settings: Settings, lang: str) -> bytes:
    from optimizer.outputs.report import pptx_to_pdf

    return pptx_to_pdf(_meeting_pack(path, settings, lang))


def meeting_pack_pdf(settings: Settings, lang: str) -> bytes:
    """The meeting pack as PDF (LibreOffice converts the deck)."""
    return _meeting_pack_pdf(_path(), settings, lang)


def can_make_pdf() -> bool:
    import shutil

    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


# --- the roadmap ----------------------------------------------------------------------

#: The least optimality gap a roadmap is solved to (the CLI's default for roadmaps).
ROADMAP_GAP = 5e-3


def this_year() -> int:
    import datetime

    return datetime.date.today().year


def roadmap_budgets(settings: Settings) -> dict[int, float]:
    """Every year of the question's horizon with its budget (万元)."""
    from .settings import roadmap_budgets as budgets

    return budgets(settings, this_year())


def roadmap_horizon(settings: Settings) -> Any:
    """The checked horizon of the question (raises ``RoadmapSettingsError`` naming each bad setting)."""
    from optimizer.program.horizon import make_horizon

    from .settings import roadmap_years

    first, last = roadmap_years(settings, this_year())
    return make_horizon(first, last, budgets=roadmap_budgets(settings), carry_over=settings.carry_over,
                        overdue_deadline=settings.overdue_deadline)


def roadmap_solver(settings: Settings) -> SolverSettings:
    return SolverSettings(solver=settings.solver, time_limit=workers.capped(settings.time_limit),  # type: ignore[arg-type]
                          gap=max(settings.gap, ROADMAP_GAP), core_search=False)


@dataclass(frozen=True)
class Roadmap:
    """A roadmap result, or the settings problems (English, Chinese) that kept it from being solved."""

    result: Any  # optimizer.roadmap.RoadmapResult (imported lazily)
    problems: tuple[tuple[str, str], ...] = ()


@st.cache_data(show_spinner=False, max_entries=64)
def _roadmap(path: str, settings: Settings) -> Roadmap:
    from optimizer.answers.roadmap import plan_roadmap
    from optimizer.program.horizon import RoadmapSettingsError

    try:
        horizon = roadmap_horizon(settings)
    except RoadmapSettingsError as error:
        return Roadmap(None, tuple(error.problems))
    with workers.turn():
        result = plan_roadmap(instance(settings), horizon, targets=targets(settings), options=options(settings),
                              settings=roadmap_solver(settings))
    return Roadmap(result)


def roadmap(settings: Settings) -> Roadmap:
    """The roadmap of the question on screen (most tCO2 over the horizon within the yearly budgets)."""
    return _roadmap(_path(), settings)


@st.cache_data(show_spinner=False, max_entries=16)
def _roadmap_diagnosis(path: str, settings: Settings) -> dict[str, Any]:
    from optimizer.answers.roadmap import diagnose_roadmap

    with workers.turn():
        return diagnose_roadmap(instance(settings), targets(settings), roadmap_horizon(settings),
                                options=options(settings), settings=roadmap_solver(settings)).to_dict()


def roadmap_diagnosis(settings: Settings) -> dict[str, Any]:
    """Why the question has no roadmap: targets missed per year, the earliest year each is met, the closest roadmap."""
    return _roadmap_diagnosis(_path(), settings)


def roadmap_schedule(settings: Settings, schedule: list[dict[str, Any]]) -> pd.DataFrame:
    """The schedule as a table: one row per project, with its name, facility name, start of build and lead."""
    data, inst = dataset(settings), instance(settings)
    frame = pd.DataFrame(schedule, columns=["project_id", "facility_id", "sector", "in_service_year", "capex",
                                            "capex_by_year", "co2_t", "retire"])
    position = {str(pid): i for i, pid in enumerate(inst.project_ids)}
    lead = np.asarray(inst.lead_time, dtype=int)
    frame["lead"] = [int(lead[position[p]]) for p in frame["project_id"]]
    frame["start_year"] = [min(paid) if paid else year for paid, year in
                           zip(frame["capex_by_year"], frame["in_service_year"])]
    frame["name"] = frame["project_id"].map(data.projects["name"]) if "name" in data.projects else ""
    names = data.facilities["name"] if "name" in data.facilities else data.facilities.index.to_series()
    frame["facility_name"] = frame["facility_id"].map(names).fillna(frame["facility_id"])
    frame["category"] = frame["project_id"].map(data.projects["category"]) if "category" in data.projects else None
    return frame


@st.cache_data(show_spinner=False, max_entries=16)
def _roadmap_files(path: str, settings: Settings) -> tuple[bytes, bytes]:
    from optimizer.cli.roadmap import roadmap_workbook

    result = _roadmap(path, settings).result
    workbook = roadmap_workbook(instance(settings), result)
    frame = roadmap_schedule(settings, result.schedule)
    years = list(result.spend_by_year)
    table = frame[["project_id", "name", "facility_id", "sector", "start_year", "in_service_year", "capex",
                   "co2_t"]].copy()
    for year in years:
        table[f"capex_{year}"] = [paid.get(year, 0.0) for paid in frame["capex_by_year"]]
    from optimizer.data.schema import escape_cell

    for column in ("project_id", "name", "facility_id", "sector"):
        table[column] = table[column].map(lambda v: escape_cell(v) if isinstance(v, str) else v)
    return table.to_csv(index=False).encode("utf-8-sig"), workbook


def roadmap_csv(settings: Settings) -> bytes:
    return _roadmap_files(_path(), settings)[0]


def roadmap_xlsx(settings: Settings) -> bytes:
    return _roadmap_files(_path(), settings)[1]


# --- decisions under doubt ---------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def _alternatives(path: str, settings: Settings, count: int, slack: float) -> Any:
    from optimizer.answers.alternatives import near_optimal_alternatives

    with workers.turn():
        return near_optimal_alternatives(instance(settings), budget=float(settings.budget),
                                         targets=targets(settings), count=count, slack=slack,
                                         settings=solver_settings(settings), options=options(settings),
                                         as_of=as_of(settings))


def alternatives(settings: Settings, count: int, slack: float) -> Any:
    """Up to ``count`` portfolios within ``slack`` of the best CO2, without the question's excluded projects."""
    return _alternatives(_path(), settings, int(count), float(slack))


@st.cache_data(show_spinner=False, max_entries=16)
def _cut_first(path: str, settings: Settings) -> Any:
    from optimizer.answers.cutfirst import cut_first as cut

    with workers.turn():
        return cut(instance(settings), budget=float(settings.budget), targets=targets(settings),
                   settings=solver_settings(settings), options=options(settings), as_of=as_of(settings))


def cut_first(settings: Settings) -> Any:
    """Which projects leave first when the budget shrinks by 10/20/30 % (nested where that costs at most the gap)."""
    return _cut_first(_path(), settings)


@st.cache_data(show_spinner=False, max_entries=16)
def _monte_carlo(path: str, settings: Settings, draws: int, seed: int) -> Any:
    from optimizer.answers.uncertainty import project_spreads, simulate

    result = solve(settings).result
    inst = instance(settings)
    spreads = project_spreads(dataset(settings), inst)
    with workers.turn():
        return simulate(inst, targets(settings), result.chosen, spreads, draws=draws, seed=seed,
                        as_of=as_of(settings))


def monte_carlo(settings: Settings, draws: int, seed: int = 0) -> Any:
    """P(each target met) and P10/P50/P90 of the CO2 cut of the question's portfolio (seeded)."""
    return _monte_carlo(_path(), settings, int(draws), int(seed))


@st.cache_data(show_spinner=False, max_entries=8)
def _robust(path: str, settings: Settings, probability: float, scenarios: int, seed: int) -> Any:
    from optimizer.answers.uncertainty import project_spreads, robust_portfolio

    inst = instance(settings)
    spreads = project_spreads(dataset(settings), inst)
    with workers.turn():
        return robust_portfolio(inst, targets(settings), spreads, budget=float(settings.budget),
                                probability=probability, scenarios=scenarios, seed=seed,
                                settings=solver_settings(settings), options=options(settings), as_of=as_of(settings))


def robust(settings: Settings, probability: float = 0.9, scenarios: int = 100, seed: int = 0) -> Any:
    """The portfolio meeting every target with probability ≥ ``probability``, and its price of confidence."""
    return _robust(_path(), settings, float(probability), int(scenarios), int(seed))


def alternatives_xlsx(settings: Settings, matrix: pd.DataFrame, summary: pd.DataFrame) -> bytes:
    """The project × alternative matrix with labels, and each alternative's CO2 and capex, as a workbook."""
    import io

    from optimizer.data.schema import escape_cell

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe = matrix.map(lambda v: escape_cell(v) if isinstance(v, str) else v)
        safe.to_excel(writer, sheet_name="alternatives", index=False)
        summary.to_excel(writer, sheet_name="summary", index=False)
        pd.DataFrame([settings.to_assumptions()]).T.reset_index().set_axis(["item", "value"], axis=1).to_excel(
            writer, sheet_name="assumptions", index=False)
    return buffer.getvalue()


@st.cache_data(show_spinner=False, max_entries=8)
def _roadmap_monte_carlo(path: str, settings: Settings, draws: int, seed: int) -> Any:
    from optimizer.answers.uncertainty import project_spreads, simulate

    result = _roadmap(path, settings).result
    inst = instance(settings)
    in_service = {str(row["project_id"]): int(row["in_service_year"]) for row in result.schedule}
    chosen = np.isin(inst.project_ids.astype(str), list(in_service))
    years = list(roadmap_budgets(settings))
    return simulate(inst, targets(settings), chosen, project_spreads(dataset(settings), inst), draws=draws,
                    seed=seed, in_service=in_service, years=years)


def roadmap_monte_carlo(settings: Settings, draws: int, seed: int = 0) -> Any:
    """P(each target met) and P10/P50/P90 of the CO2 cut in every year of the question's roadmap (seeded)."""
    return _roadmap_monte_carlo(_path(), settings, int(draws), int(seed))


def table_csv(frame: pd.DataFrame) -> bytes:
    """A table as the app's CSV downloads are (UTF-8 with BOM for Excel; text cells escaped against formulas)."""
    from optimizer.data.schema import escape_cell

    safe = frame.map(lambda v: escape_cell(v) if isinstance(v, str) else v)
    return safe.to_csv(index=False).encode("utf-8-sig")


def tables_xlsx(settings: Settings, sheets: dict[str, pd.DataFrame]) -> bytes:
    """Tables as one workbook, one sheet each (text escaped), with the question's assumptions sheet last."""
    import io

    from optimizer.data.schema import escape_cell

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.map(lambda v: escape_cell(v) if isinstance(v, str) else v).to_excel(
                writer, sheet_name=name[:31], index=False)
        pd.DataFrame([settings.to_assumptions()]).T.reset_index().set_axis(["item", "value"], axis=1).to_excel(
            writer, sheet_name="assumptions", index=False)
    return buffer.getvalue()
