"""Scenarios: save the current settings and result, list, compare side by side, load, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.i18n import num, pct, t, target_name
from ui.state import apply_settings, context, current_result, settings_dict

s = st.session_state
ctx = context()
store = ctx.store

st.title(t("page_scenarios"))
st.caption(t("scenarios_intro"))

# --- save -------------------------------------------------------------------------

settings = settings_dict(ctx)
with st.expander(t("current_settings")):
    st.json(settings)
c1, c2 = st.columns([3, 1])
c1.text_input(t("scenario_name"), key="scenario_name")
if c2.button(t("save_scenario"), key="save_scenario", type="primary"):
    name = (s.get("scenario_name") or "").strip()
    if not name:
        st.warning(t("need_name"))
    else:
        with st.spinner("…"):
            result = current_result(ctx)
        store.save_scenario(ctx.name, name, settings, result.to_dict())
        s["_scenario"] = name
        s["compare"] = list(dict.fromkeys([*s.get("compare", []), name]))
        st.success(t("saved", name=name))
        if not result.has_portfolio:
            st.warning(t("need_result", status=result.status))

# --- list -------------------------------------------------------------------------

st.subheader(t("saved_scenarios"))
names = store.scenario_names(ctx.name)
if not names:
    st.info(t("no_scenarios"))
    st.stop()

loaded = {name: store.load_scenario(ctx.name, name) for name in names}


def _kpis(name: str) -> dict:
    settings, result = loaded[name]
    spend, co2 = result.get("spend") or 0.0, result.get("co2_reduction_t") or 0.0
    return {
        t("scenario_name"): name,
        t("objective"): t(f"objective_{settings.get('objective', 'co2')}"),
        t("col_budget"): num(settings.get("budget")) if settings.get("objective", "co2") == "co2" else "—",
        t("co2_goal"): num(settings.get("co2_goal")),
        t("col_status"): result.get("status"),
        t("kpi_co2"): num(co2),
        t("kpi_spend"): num(spend),
        t("kpi_ratio"): num(co2 / spend, 2) if spend else "—",
        t("kpi_gap"): pct(result.get("gap"), 2),
        t("kpi_projects"): num(len(result.get("selected") or [])),
    }


st.dataframe(pd.DataFrame([_kpis(n) for n in names]), hide_index=True, width="stretch")

# --- compare ----------------------------------------------------------------------

default = [n for n in names[-2:]]
s.setdefault("compare", default)
s["compare"] = [n for n in s["compare"] if n in names]
picked = st.multiselect(t("compare"), names, key="compare")
if picked:
    st.markdown(f"**{t('compare_kpis')}**")
    kpis = pd.DataFrame([_kpis(n) for n in picked]).set_index(t("scenario_name")).T
    st.dataframe(kpis, width="stretch")

    st.markdown(f"**{t('compare_targets')}**")
    rows: dict[str, dict] = {}
    for name in picked:
        for o in loaded[name][1].get("targets") or []:
            label = target_name(o.get("name_en", ""), o.get("name_zh", ""), o["target_id"])
            row = rows.setdefault(label, {t("col_target"): label})
            value = o.get("after")
            shown = pct(value) if o.get("kind") != "min_line_capacity" else num(value)
            row[name] = f"{shown} {'✅' if o.get('met') else '❌'}"
    st.dataframe(pd.DataFrame(list(rows.values())), hide_index=True, width="stretch")

    reference = picked[0]
    ref_selected = set(loaded[reference][1].get("selected") or [])
    projects = ctx.dataset.projects
    for name in picked[1:]:
        selected = set(loaded[name][1].get("selected") or [])
        added, dropped = sorted(selected - ref_selected), sorted(ref_selected - selected)
        st.markdown(f"**{name}**")
        a, d = st.columns(2)
        for column, ids, label in ((a, added, "added"), (d, dropped, "dropped")):
            column.caption(t(label, ref=reference) + f" ({len(ids)})")
            if ids:
                known = [i for i in ids if i in projects.index]
                column.dataframe(projects.loc[known, ["name", "facility_id", "category", "capex"]].reset_index(),
                                 hide_index=True, width="stretch")
            else:
                column.write(t("none"))

# --- load / delete ----------------------------------------------------------------

st.divider()
l1, l2, l3 = st.columns([3, 1, 1])
target = l1.selectbox(t("scenario_pick"), names, key="scenario_pick")


def _load(name: str) -> None:
    apply_settings(loaded_settings[name])
    s["_scenario"] = name


loaded_settings = {name: loaded[name][0] for name in names}
if l2.button(t("load_scenario"), key="load_scenario", on_click=_load, args=(target,)):
    st.success(t("loaded", name=target))
if l3.button(t("delete_scenario"), key="delete_scenario"):
    store.delete_scenario(ctx.name, target)
    if s.get("_scenario") == target:
        s["_scenario"] = None
    st.rerun()
