"""The one module that keeps the analyst's question in the session and binds the widgets to it.

Streamlit forgets a widget's value when its page is not shown. The multipage docs' answer
("save your widget values into a separate key") is written here once, for every widget:

* the question lives in ``st.session_state["settings"]`` as one frozen :class:`Settings`;
* before any page draws, :func:`load_widgets` writes every bound widget's key from it
  (the docs' ``load_value``), so no widget can show anything else;
* every bound widget has ``on_change=keep, args=(key,)`` (the docs' ``store_value``), which
  turns the new widget value into a new :class:`Settings`.

A session's first run reads the link (query parameters, or a saved scenario the link names);
every run checks the question against the dataset on screen (:meth:`Settings.checked`), keeps
what it had to change as notices for the page to show, and writes the link back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from . import compute, datastore
from .compute import PortfolioResult
from .i18n import LANGUAGE_KEY
from .settings import (
    LANGUAGES,
    Notice,
    Settings,
    as_of_years,
    check_roadmap,
    roadmap_budgets,
    roadmap_years,
    with_budgets,
)

SETTINGS_KEY = "settings"
SCENARIO_KEY = "scenario_loaded"
NOTICES_KEY = "notices"
PREVIOUS_KEY = "previous_result"


@dataclass(frozen=True)
class Binding:
    """How one widget shows the question, and the question after the user changed the widget."""

    show: Callable[[Settings], Any]
    keep: Callable[[Settings, Any], Settings]


BINDINGS: dict[str, Binding] = {
    "dataset": Binding(lambda s: s.dataset,
                       lambda s, v: replace(s, dataset=str(v), dataset_version="", excluded=())),
    "objective": Binding(lambda s: s.objective, lambda s, v: replace(s, objective=v)),
    "budget_slider": Binding(lambda s: float(s.budget), lambda s, v: replace(s, budget=float(v))),
    "budget_input": Binding(lambda s: float(s.budget), lambda s, v: replace(s, budget=float(v))),
    "co2_goal": Binding(lambda s: float(s.co2_goal), lambda s, v: replace(s, co2_goal=float(v))),
    "solver": Binding(lambda s: s.solver, lambda s, v: replace(s, solver=str(v))),
    "time_limit": Binding(lambda s: float(s.time_limit), lambda s, v: replace(s, time_limit=float(v))),
    "gap": Binding(lambda s: float(s.gap), lambda s, v: replace(s, gap=float(v))),
}

#: The grid selectbox's option for "a value of my own" (the number box beside it).
CUSTOM_GRID = "custom"


def _fuel_binding(fuel: str) -> Binding:
    """A fuel's factor (tCO2/tce): shown as in use, kept only when it differs from the shipped one."""

    def show(s: Settings) -> float:
        return float(dict(compute.factors(s).fuels).get(fuel, 0.0))

    def keep(s: Settings, value: Any) -> Settings:
        mine = {k: v for k, v in s.fuel_factors if k != fuel}
        if float(value) != compute.shipped_fuel_factors().get(fuel):
            mine[fuel] = float(value)
        return replace(s, fuel_factors=tuple(sorted(mine.items())))

    return Binding(show, keep)


def _keep_grid_choice(s: Settings, value: Any) -> Settings:
    if value == CUSTOM_GRID:  # keep the factor in use, now as the analyst's own value
        return replace(s, grid_factor=float(compute.factors(s).grid_t_per_mwh))
    return replace(s, grid_factor_id=str(value), grid_factor=None)


# The assumptions: margin in share points, closures' capex, grid and fuel factors, discount rate in %.
BINDINGS.update({
    "margin": Binding(lambda s: float(s.margin), lambda s, v: replace(s, margin=float(v))),
    "order_capex_in_budget": Binding(lambda s: bool(s.order_capex_in_budget),
                                     lambda s, v: replace(s, order_capex_in_budget=bool(v))),
    "grid_factor_id": Binding(lambda s: CUSTOM_GRID if s.grid_factor is not None else s.grid_factor_id,
                              _keep_grid_choice),
    "grid_factor": Binding(lambda s: float(compute.factors(s).grid_t_per_mwh),
                           lambda s, v: replace(s, grid_factor=float(v))),
    **{f"fuel_factor_{fuel}": _fuel_binding(fuel) for fuel in compute.FUELS},
    "discount_rate": Binding(lambda s: round(float(s.discount_rate) * 100, 6),
                             lambda s, v: replace(s, discount_rate=float(v) / 100)),
})


# --- the question ------------------------------------------------------------------------------


def settings() -> Settings:
    """The question on screen (valid for the dataset on screen once :func:`start` has run)."""
    value = st.session_state.get(SETTINGS_KEY)
    return value if isinstance(value, Settings) else Settings()


def put(new: Settings) -> None:
    """Replace the question (from a callback, or before the widgets are drawn)."""
    st.session_state[SETTINGS_KEY] = new


def keep(key: str) -> None:
    """The ``on_change`` of every bound widget: its new value becomes part of the question."""
    put(BINDINGS[key].keep(settings(), st.session_state[key]))


def set_budget(value: float) -> None:
    """A callback that sets the budget (the least budget button)."""
    put(replace(settings(), budget=float(value), objective="co2"))


def set_targets(changes: list[tuple[str, bool, float]]) -> None:
    """Set several targets at once (the targets editor's callback)."""
    new = settings()
    for target_id, enabled, value in changes:
        new = new.with_target(target_id, enabled, value)
    put(new)


def load_widgets() -> None:
    """Write every bound widget's value from the question (before any widget is drawn)."""
    current = settings()
    for key, binding in BINDINGS.items():
        st.session_state[key] = binding.show(current)
    st.session_state["language"] = language()


# --- language ----------------------------------------------------------------------------------


def language() -> str:
    value = st.session_state.get(LANGUAGE_KEY)
    return value if value in LANGUAGES else "zh"


def keep_language() -> None:
    """The language radio's ``on_change``."""
    if st.session_state.get("language") in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = st.session_state["language"]


# --- notices -----------------------------------------------------------------------------------


def notify(notices: list[Notice]) -> None:
    if notices:
        st.session_state[NOTICES_KEY] = [*st.session_state.get(NOTICES_KEY, []), *notices]


def take_notices() -> list[Notice]:
    """What was changed since the page last showed it (shown once)."""
    notices: list[Notice] = st.session_state.pop(NOTICES_KEY, [])
    return notices


# --- a run ---------------------------------------------------------------------------------------


def start() -> Settings:
    """Run first in every script run: read the link once, check the question, load the widgets, write the link."""
    store = datastore.get_store()
    infos = datastore.datasets(store)
    names = tuple(infos)
    if not names:
        store.seed_sample()
        infos = datastore.datasets(store)
        names = tuple(infos)
    default = datastore.default_dataset(list(names))
    state = st.session_state
    if SETTINGS_KEY not in state:
        put(_from_link(store, names, default))
    current = settings()
    if current.dataset not in infos:
        if current.dataset:
            notify([Notice("notice_unknown_dataset", (("value", current.dataset),))])
        current = replace(current, dataset=default, dataset_version="", targets=())
    limits = compute.limits(current, infos[current.dataset], names)
    current, notices = current.checked(limits)
    notify(notices)
    current, notices = check_roadmap(current, limits.budget_max, this_year())
    notify(notices)
    put(current)
    load_widgets()
    write_link()
    return current


def _from_link(store: Any, names: tuple[str, ...], default: str) -> Settings:
    """The question a session's first link describes: a scenario it names, then its own parameters."""
    params = {key: st.query_params.get(key) or "" for key in st.query_params.keys()}
    if params.get("lang") in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = params["lang"]
    base = Settings(dataset=params.get("dataset") or default)
    scenario = params.get("scenario")
    if scenario and base.dataset in names and scenario in store.scenario_names(base.dataset):
        stored, _ = store.load_scenario(base.dataset, scenario)
        base = Settings.from_dict({**stored, "dataset": base.dataset}, base)
        st.session_state[SCENARIO_KEY] = scenario
    return Settings.from_query(params, base)


def write_link() -> None:
    """Query parameters that reopen what is on screen: the question, the language, a loaded scenario."""
    wanted = {**settings().to_query(), "lang": language()}
    if st.session_state.get(SCENARIO_KEY):
        wanted["scenario"] = st.session_state[SCENARIO_KEY]
    current = {key: st.query_params.get(key) for key in st.query_params.keys()}
    if current != wanted:
        st.query_params.from_dict(wanted)


# --- scenarios ---------------------------------------------------------------------------------


def load_scenario(name: str, stored: dict[str, Any]) -> None:
    """A callback: the question becomes the scenario's (checked on the next run, as a link is)."""
    put(Settings.from_dict({**stored, "dataset": settings().dataset}, settings()))
    st.session_state[SCENARIO_KEY] = name


def scenario_loaded() -> str | None:
    name = st.session_state.get(SCENARIO_KEY)
    return str(name) if name else None


def forget_scenario(name: str | None = None) -> None:
    if name is None or st.session_state.get(SCENARIO_KEY) == name:
        st.session_state[SCENARIO_KEY] = None


def scenario_saved(name: str) -> None:
    st.session_state[SCENARIO_KEY] = name


# --- the last result that had a portfolio ------------------------------------------------------


def remember(question: Settings, result: PortfolioResult) -> None:
    st.session_state[PREVIOUS_KEY] = (question, result)


def previous(question: Settings) -> tuple[Settings, PortfolioResult] | None:
    """The last portfolio shown on this dataset version, if it was for another question."""
    kept = st.session_state.get(PREVIOUS_KEY)
    if not kept:
        return None
    before, result = kept
    same_data = (before.dataset, before.dataset_version) == (question.dataset, question.dataset_version)
    return (before, result) if same_data and before != question else None


# --- page view state (not part of the question) --------------------------------------------------


def view(key: str, default: Any) -> Any:
    return st.session_state.setdefault(f"view_{key}", default)


def set_view(key: str, value: Any) -> None:
    st.session_state[f"view_{key}"] = value


# --- the roadmap's widgets and the alternatives' exclusions --------------------


def this_year() -> int:
    """The calendar year the default horizon starts in."""
    import datetime

    return datetime.date.today().year


def _horizon(s: Settings) -> tuple[int, int]:
    return roadmap_years(s, this_year())


def _overdue(s: Settings) -> int:
    """The overdue deadline in force: the question's, else the first year + 1, within the horizon."""
    first, last = _horizon(s)
    wanted = s.overdue_deadline if s.overdue_deadline is not None else first + 1
    return min(max(wanted, first), last)


def _keep_first(s: Settings, value: Any) -> Settings:
    first = int(value)
    _, last = _horizon(s)
    return replace(s, horizon_start=first, horizon_end=max(last, first))


def _keep_budget_all(s: Settings, value: Any) -> Settings:
    first, last = _horizon(s)
    return with_budgets(s, {year: float(value) for year in range(first, last + 1)})


BINDINGS.update({
    "roadmap_first": Binding(lambda s: _horizon(s)[0], _keep_first),
    "roadmap_last": Binding(lambda s: _horizon(s)[1], lambda s, v: replace(s, horizon_end=int(v))),
    "roadmap_carry_over": Binding(lambda s: bool(s.carry_over), lambda s, v: replace(s, carry_over=bool(v))),
    "roadmap_deadline": Binding(_overdue, lambda s, v: replace(s, overdue_deadline=int(v))),
    "as_of_year": Binding(lambda s: as_of_years(s, this_year())[1], lambda s, v: replace(s, as_of_year=int(v))),
    "roadmap_budget_all": Binding(lambda s: next(iter(roadmap_budgets(s, this_year()).values())),
                                  _keep_budget_all),
})


def set_budgets(budgets: dict[int, float]) -> None:
    """Set some years' budgets (the yearly budget table's callback)."""
    put(with_budgets(settings(), budgets))


def excluded(question: Settings) -> tuple[str, ...]:
    """Projects the analyst excluded from the alternatives (part of the question: link, scenario, sheet)."""
    return question.excluded


def set_excluded(question: Settings, projects: tuple[str, ...]) -> None:
    """A callback: the question on screen with these projects excluded (``question`` names the dataset)."""
    current = settings()
    if current.dataset == question.dataset:
        put(replace(current, excluded=tuple(sorted(set(map(str, projects))))))


def exclude(question: Settings, project_id: str) -> None:
    """A callback: leave one more project out of the alternatives and re-solve."""
    set_excluded(question, (*excluded(question), project_id))


def keep_view(key: str) -> None:
    """The ``on_change`` of a page widget that is not part of the question: remember its value."""
    set_view(key, st.session_state[key])
