"""Retrofit portfolio optimizer: the Streamlit entry point.

Every run: the question is read and checked (:func:`ui.session.start`, which also reads a shared
link once and writes the link back), the sidebar shows language and dataset, notices say what a
link or scenario had to change, and the chosen page runs inside the error guard.
"""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.errors import guarded
from ui.i18n import LANGUAGES, num, t
from ui.views import show_notices

st.set_page_config(page_title="Retrofit portfolio optimizer · 改造项目组合优化", page_icon="🏭", layout="wide")

# url paths differ from the file names on purpose: with a pages/ folder, Streamlit (AppTest on every run, the
# server until st.navigation first runs) resolves a URL equal to a file name as a legacy page and runs that file
# without app.py, i.e. without the sidebar. A URL it cannot resolve falls back to app.py, which navigates.
PAGES = [
    ("pages/overview.py", "page_overview", "🏭", "overview-page"),
    ("pages/projects.py", "page_projects", "📋", "project-list"),
    ("pages/optimize.py", "page_optimize", "🎯", "portfolio"),
    ("pages/frontier.py", "page_frontier", "📈", "budget-frontier"),
    ("pages/scenarios.py", "page_scenarios", "🗂️", "saved-scenarios"),
    ("pages/method.py", "page_method", "📐", "method-and-sources"),
]


def sidebar() -> None:
    from ui.datastore import datasets, get_store

    store = get_store()
    infos = datasets(store)
    with st.sidebar:
        st.radio(t("language"), list(LANGUAGES), key="language", horizontal=True,
                 format_func=LANGUAGES.__getitem__, on_change=session.keep_language)
        if st.session_state.get("new_database_done"):
            st.success(t("new_database_done", path=st.session_state.pop("new_database_done")))
        st.selectbox(t("dataset"), list(infos), key="dataset", on_change=session.keep, args=("dataset",))
        chosen = infos[session.settings().dataset]
        if chosen.illustrative:
            st.warning(t("illustrative"))
        st.caption(f"{num(chosen.facilities)} {t('n_facilities')} · {num(chosen.projects)} {t('n_projects')}")


def main() -> None:
    session.start()
    sidebar()
    show_notices(session.take_notices())
    pages = [st.Page(path, title=t(title), icon=icon, url_path=url, default=(url == "overview-page"))
             for path, title, icon, url in PAGES]
    st.navigation(pages).run()


guarded(main)
