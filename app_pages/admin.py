"""Users and audit (admins only): the accounts and their teams, and the record of every write."""

from __future__ import annotations

import streamlit as st

from ui import auth
from ui.datastore import get_store
from ui.i18n import t
from ui.views import TABLE, no_none


def _said(refused: str | None, name: str) -> None:
    if refused:
        st.error(refused)
    else:
        st.success(t("user_saved", name=name))


def render_users() -> None:
    store = get_store()
    st.subheader(t("users_header"))
    if auth.actor().single_user:
        st.info(t("users_single"))
        return
    st.dataframe(no_none(store.users()), **TABLE)
    with st.form("user_add_form", clear_on_submit=True):
        st.markdown(f"**{t('user_add')}**")
        a1, a2, a3 = st.columns(3)
        name = a1.text_input(t("login_name"), key="user_add_name")
        role = a2.selectbox(t("user_role"), auth.ROLES, key="user_add_role", format_func=lambda r: t(f"role_{r}"))
        team = a3.text_input(t("user_team"), key="user_add_team")
        oidc = st.checkbox(t("user_oidc_only"), key="user_add_oidc")
        password = st.text_input(t("login_password"), type="password", key="user_add_password")
        if st.form_submit_button(t("user_add")):
            _said(auth.add_account(store, name, role, team, password, oidc), name)
    names = list(store.users()["name"])
    if not names:
        return
    with st.form("user_change_form"):
        st.markdown(f"**{t('user_change')}**")
        c1, c2, c3 = st.columns(3)
        picked = c1.selectbox(t("user_pick"), names, key="user_change_name")
        new_role = c2.selectbox(t("user_role"), ("", *auth.ROLES), key="user_change_role",
                                format_func=lambda r: t(f"role_{r}") if r else "—")
        new_team = c3.text_input(t("user_team"), key="user_change_team")
        new_password = st.text_input(t("user_new_password"), type="password", key="user_change_password")
        d1, d2 = st.columns(2)
        state = d1.selectbox(t("user_disabled"), ("", "disable", "enable"), key="user_change_disabled",
                             format_func=lambda s: t(f"user_{s}") if s else "—")
        unlock = d2.checkbox(t("user_unlock"), key="user_change_unlock")
        if st.form_submit_button(t("user_save")):
            _said(auth.change_account(store, picked, new_role or None, new_team.strip() or None, new_password,
                                      {"disable": True, "enable": False}.get(state), unlock), picked)


st.title(t("page_admin"))
st.caption(t("admin_intro"))
render_users()
st.subheader(t("audit_log"))
st.dataframe(no_none(get_store().audit_log()), **TABLE)
