"""Retrofit portfolio optimizer: the Streamlit entry point.

Sidebar (language, dataset, the ILLUSTRATIVE warning), query parameters
(dataset, budget, scenario) and the list of pages.
"""

from __future__ import annotations

import streamlit as st

from storage.store import SAMPLE_NAME
from ui.i18n import LANGUAGES, t
from ui.state import apply_settings, dataset_info, get_store, init_settings, set_budget

st.set_page_config(page_title="Retrofit portfolio optimizer · 改造项目组合优化", page_icon="🏭", layout="wide")

init_settings()
# Sidebar choices are also kept under "_" keys: widget state does not survive every page switch.
st.session_state.setdefault("_language", "中文")
st.session_state["language"] = st.session_state["_language"]


def _keep(key: str) -> None:
    st.session_state[f"_{key}"] = st.session_state[key]


with st.sidebar:
    st.radio(t("language"), list(LANGUAGES), key="language", horizontal=True, on_change=_keep, args=("language",))

store = get_store()
if st.session_state.get("_new_database"):
    st.sidebar.success(t("new_database_done", path=st.session_state.pop("_new_database")))
info = dataset_info(store)
names = list(info)


def _read_query_params() -> None:
    """On a session's first run, reopen the view a shared link describes."""
    params = st.query_params
    if params.get("dataset") in info:
        st.session_state["_dataset"] = params["dataset"]
    dataset = st.session_state.get("_dataset", SAMPLE_NAME)
    scenario = params.get("scenario")
    if scenario and dataset in info and scenario in store.scenario_names(dataset):
        settings, _ = store.load_scenario(dataset, scenario)
        apply_settings(settings)
        st.session_state["_scenario"] = scenario
    budget = params.get("budget")
    if budget:
        try:
            set_budget(float(budget))
        except ValueError:
            pass


if not st.session_state.get("_query_read"):
    st.session_state["_query_read"] = True
    _read_query_params()

kept = st.session_state.get("_dataset")
st.session_state["dataset"] = kept if kept in info else SAMPLE_NAME if SAMPLE_NAME in info else names[0]
st.session_state["_dataset"] = st.session_state["dataset"]

with st.sidebar:
    st.selectbox(t("dataset"), names, key="dataset", on_change=_keep, args=("dataset",))
    chosen = st.session_state["dataset"]
    if info[chosen]["illustrative"]:
        st.warning(t("illustrative"))
    st.caption(f"{info[chosen]['facilities']:,} · {info[chosen]['projects']:,} — "
               f"{t('n_facilities')} · {t('n_projects')}")

# url paths differ from the file names on purpose: with a pages/ folder, Streamlit (AppTest on every run, the
# server until st.navigation first runs) resolves a URL equal to a file name as a legacy page and runs that file
# without app.py, i.e. without the sidebar. A URL it cannot resolve falls back to app.py, which navigates.
pages = [
    st.Page("pages/overview.py", title=t("page_overview"), icon="🏭", url_path="overview-page", default=True),
    st.Page("pages/projects.py", title=t("page_projects"), icon="📋", url_path="project-list"),
    st.Page("pages/optimize.py", title=t("page_optimize"), icon="🎯", url_path="portfolio"),
    st.Page("pages/frontier.py", title=t("page_frontier"), icon="📈", url_path="budget-frontier"),
    st.Page("pages/scenarios.py", title=t("page_scenarios"), icon="🗂️", url_path="saved-scenarios"),
    st.Page("pages/method.py", title=t("page_method"), icon="📐", url_path="method-and-sources"),
]
page = st.navigation(pages)
page.run()

# Written after the page ran, so a link always reopens what is on screen.
wanted = {"dataset": st.session_state["dataset"], "budget": f"{st.session_state['_budget']:.0f}"}
if st.session_state.get("_scenario"):
    wanted["scenario"] = st.session_state["_scenario"]
for key, value in wanted.items():
    if st.query_params.get(key) != value:
        st.query_params[key] = value
if "scenario" in st.query_params and not st.session_state.get("_scenario"):
    del st.query_params["scenario"]
