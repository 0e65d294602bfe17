"""Retrofit portfolio optimizer: the Streamlit entry point.

Every run: the question is read and checked (:func:`ui.session.start`, which also reads a shared
link once and writes the link back), the sidebar shows language and dataset, notices say what a
link or scenario had to change, and the chosen page runs inside the error guard.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, session
from ui.errors import guarded
from ui.i18n import LANGUAGES, num, t
from ui.views import show_notices

st.set_page_config(page_title="Retrofit portfolio optimizer · 改造项目组合优化", page_icon="🏭", layout="wide")

# The page scripts live in app_pages/, not pages/: with a pages/ folder Streamlit also registers its files as
# legacy pages, so a shared link such as /portfolio opened on a fresh server showed a "Page not found" dialog
# (and made the page inert) until st.navigation had run once. The url paths are kept, so old links still work.
PAGES = [
    ("app_pages/overview.py", "page_overview", "🏭", "overview-page"),
    ("app_pages/projects.py", "page_projects", "📋", "project-list"),
    ("app_pages/optimize.py", "page_optimize", "🎯", "portfolio"),
    ("app_pages/frontier.py", "page_frontier", "📈", "budget-frontier"),
    ("app_pages/roadmap.py", "page_roadmap", "🗓️", "roadmap"),
    ("app_pages/alternatives.py", "page_alternatives", "🔀", "alternatives"),
    ("app_pages/scenarios.py", "page_scenarios", "🗂️", "saved-scenarios"),
    ("app_pages/method.py", "page_method", "📐", "method-and-sources"),
]
#: Shown to admins only (and to the single user of a laptop): accounts, teams and the audit log.
ADMIN_PAGES = [("app_pages/admin.py", "page_admin", "🔐", "users-and-audit")]


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
        auth.sidebar(store)


def main() -> None:
    from ui.datastore import get_store

    who = auth.gate(get_store())  # stops with the login page while nobody is logged in
    session.start()
    sidebar()
    show_notices(session.take_notices())
    listed = PAGES + (ADMIN_PAGES if who.is_admin else [])
    pages = [st.Page(path, title=t(title), icon=icon, url_path=url, default=(url == "overview-page"))
             for path, title, icon, url in listed]
    st.navigation(pages).run()


guarded(main)
