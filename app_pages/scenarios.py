"""Scenarios: save the current question and its result, list, compare side by side, load, delete."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import auth, compute, session
from ui.datastore import get_store, saved_scenarios
from ui.i18n import category_name, escape_markdown, num, pct, status_name, t, target_name
from ui.settings import Settings
from ui.views import BLANK, TABLE, no_none, number_config


def render_save(settings: Settings) -> None:
    with st.expander(t("current_settings")):
        st.json(settings.to_dict())
    c1, c2 = st.columns([3, 1])
    c1.text_input(t("scenario_name"), key="scenario_name")
    typed = (st.session_state.get("scenario_name") or "").strip()
    refused = auth.scenario_refusal(get_store(), settings.dataset, typed or None)
    if refused:
        st.caption(f"🔒 {refused}")
    if c2.button(t("save_scenario"), key="save_scenario", type="primary", disabled=bool(refused), help=refused):
        name = (st.session_state.get("scenario_name") or "").strip()
        if not name:
            st.warning(t("need_name"))
            return
        with st.spinner("…"):
            result = compute.solve(settings).result
        get_store().save_scenario(settings.dataset, name, settings.to_dict(), result.to_dict(), actor=auth.actor())
        session.scenario_saved(name)
        st.session_state["compare"] = list(dict.fromkeys([*st.session_state.get("compare", []), name]))
        st.success(t("saved", name=name))
        if not result.has_portfolio:
            st.warning(t("need_result", status=status_name(result.status)))


def kpis(name: str, stored: dict[str, Any], result: dict[str, Any]) -> dict[str, str]:
    spend, co2 = result.get("spend") or 0.0, result.get("co2_reduction_t") or 0.0
    objective = stored.get("objective", "co2")
    return {
        t("scenario_name"): name,
        t("objective"): t(f"objective_{objective}") if objective in ("co2", "cost") else str(objective),
        t("col_budget"): num(stored.get("budget")) if objective == "co2" else "—",
        t("co2_goal"): num(stored.get("co2_goal")) if objective == "cost" else "—",
        t("col_status"): status_name(result.get("status")),
        t("kpi_co2"): num(co2),
        t("kpi_spend"): num(spend),
        t("kpi_ratio"): num(co2 / spend, 2) if spend else "—",
        t("kpi_gap"): pct(result.get("gap"), 2),
        t("kpi_projects"): num(len(result.get("selected") or [])),
    }


def render_compare(settings: Settings, names: list[str], loaded: dict[str, tuple[dict, dict]]) -> None:
    st.session_state.setdefault("compare", names[-2:])
    st.session_state["compare"] = [n for n in st.session_state["compare"] if n in names]
    picked = st.multiselect(t("compare"), names, key="compare")
    if not picked:
        return
    st.markdown(f"**{t('compare_kpis')}**")
    table = pd.DataFrame([kpis(n, *loaded[n]) for n in picked]).set_index(t("scenario_name")).T
    st.dataframe(table, width="stretch", placeholder=BLANK)

    st.markdown(f"**{t('compare_targets')}**")
    rows: dict[str, dict[str, str]] = {}
    for name in picked:
        for o in loaded[name][1].get("targets") or []:
            label = target_name(o.get("name_en", ""), o.get("name_zh", ""), o["target_id"])
            row = rows.setdefault(label, {t("col_target"): label})
            shown = compute.kind(o.get("kind", "")).format(o.get("after"))
            row[name] = f"{shown} {'✅' if o.get('met') else '❌'}"
    st.dataframe(pd.DataFrame(list(rows.values())), **TABLE)

    reference = picked[0]
    ref_selected = set(loaded[reference][1].get("selected") or [])
    projects = compute.dataset(settings).projects
    for name in picked[1:]:
        selected = set(loaded[name][1].get("selected") or [])
        added, dropped = sorted(selected - ref_selected), sorted(ref_selected - selected)
        st.markdown(f"**{escape_markdown(name)}**")
        columns = st.columns(2)
        for column, ids, label in ((columns[0], added, "added"), (columns[1], dropped, "dropped")):
            column.caption(t(label, ref=reference) + f" ({len(ids)})")
            known = [i for i in ids if i in projects.index]
            if not known:
                column.write(t("none"))
                continue
            part = projects.loc[known, ["name", "facility_id", "category", "capex"]].reset_index()
            part["category"] = part["category"].map(category_name)
            column.dataframe(no_none(part.rename(columns={
                "project_id": t("col_id"), "name": t("col_name"), "facility_id": t("col_facility"),
                "category": t("col_category"), "capex": t("col_capex")})), **TABLE,
                column_config=number_config(t("col_capex")))


def render_load_delete(settings: Settings, names: list[str], loaded: dict[str, tuple[dict, dict]]) -> None:
    st.divider()
    l1, l2, l3 = st.columns([3, 1, 1])
    target = l1.selectbox(t("scenario_pick"), names, key="scenario_pick")
    if l2.button(t("load_scenario"), key="load_scenario", on_click=session.load_scenario,
                 args=(target, loaded[target][0])):
        st.success(t("loaded", name=target))
    refused = auth.scenario_refusal(get_store(), settings.dataset, target)
    if refused:
        st.caption(f"🔒 {refused}")
    if l3.button(t("delete_scenario"), key="delete_scenario", disabled=bool(refused), help=refused):
        get_store().delete_scenario(settings.dataset, target, actor=auth.actor())
        session.forget_scenario(target)
        session.set_view("scenario_deleted", target)
        st.rerun()


def render_deleted(settings: Settings) -> None:
    """Deleted scenarios are kept: list them and restore one (the undo of a delete)."""
    store = get_store()
    deleted = store.deleted_scenarios(settings.dataset)
    for key, label in (("scenario_deleted", "deleted_scenario"), ("scenario_restored", "restored_scenario")):
        done = session.view(key, None)
        if done:
            st.success(t(label, name=done))
            session.set_view(key, None)  # said once
    if deleted.empty:
        return
    with st.expander(f"{t('deleted_scenarios')} ({len(deleted)})"):
        st.dataframe(deleted.rename(columns={"name": t("scenario_name"), "team": t("col_team"),
                                             "saved_by": t("col_saved_by"), "deleted_at": t("col_deleted_at"),
                                             "deleted_by": t("col_deleted_by")}), **TABLE)
        r1, r2 = st.columns([3, 1])
        chosen = r1.selectbox(t("scenario_pick"), list(deleted["name"]), key="deleted_pick")
        refused = auth.scenario_refusal(store, settings.dataset, chosen)
        if refused:
            st.caption(f"🔒 {refused}")
        if r2.button(t("restore_scenario"), key="restore_scenario", disabled=bool(refused), help=refused):
            store.restore_scenario(settings.dataset, chosen, actor=auth.actor())
            session.set_view("scenario_restored", chosen)
            st.rerun()


settings = session.settings()
st.title(t("page_scenarios"))
st.caption(t("scenarios_intro"))
render_save(settings)

st.subheader(t("saved_scenarios"))
loaded = saved_scenarios(settings.dataset)
names = list(loaded)
if not names:
    st.info(t("no_scenarios"))
else:
    st.dataframe(pd.DataFrame([kpis(n, *loaded[n]) for n in names]), **TABLE)
    render_compare(settings, names, loaded)
    render_load_delete(settings, names, loaded)
render_deleted(settings)
