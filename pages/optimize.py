"""Optimize: budget, objective, targets and solver settings; the portfolio and why."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from optimizer.export import portfolio_table
from ui import charts
from ui.i18n import language, num, pct, t, target_name
from ui.state import (context, current_result, least_budget_rounded, portfolio_files, set_budget, solve_key,
                      target_overrides, target_prices_cached)

s = st.session_state
ctx = context()
dataset, instance = ctx.dataset, ctx.instance

st.title(t("page_optimize"))
st.caption(t("optimize_intro"))

# --- inputs -----------------------------------------------------------------

slider_max = float(max(100_000, math.ceil(instance.capex.sum() / 10_000) * 10_000))
s["_slider_max"] = slider_max
s.setdefault("budget_input", float(s["_budget"]))
s.setdefault("budget_slider", min(float(s["_budget"]), slider_max))
s.setdefault("objective", s["_objective"])
s.setdefault("co2_goal", float(s["_co2_goal"]))


def _slider_moved() -> None:
    set_budget(s["budget_slider"])


def _input_typed() -> None:
    set_budget(s["budget_input"])


left, right = st.columns([3, 2])
with left:
    st.radio(t("objective"), ["co2", "cost"], key="objective", horizontal=True,
             format_func=lambda o: t(f"objective_{o}"))
    s["_objective"] = s["objective"]
    if s["_objective"] == "co2":
        st.slider(t("budget_slider"), min_value=0.0, max_value=slider_max, step=1_000.0, key="budget_slider",
                  on_change=_slider_moved, format="%.0f")
        st.number_input(t("budget_input"), min_value=0.0, max_value=1e12, step=1_000.0, key="budget_input",
                        on_change=_input_typed, format="%.0f")
    else:
        st.number_input(t("co2_goal"), min_value=0.0, step=10_000.0, key="co2_goal", format="%.0f")
        s["_co2_goal"] = float(s["co2_goal"])

with right:
    with st.expander(t("solver_settings")):
        s.setdefault("solver", s["_solver"])
        s.setdefault("time_limit", float(s["_time_limit"]))
        s.setdefault("gap", float(s["_gap"]))
        st.radio(t("solver"), ["highs", "cbc"], key="solver", horizontal=True)
        st.number_input(t("time_limit"), min_value=1.0, max_value=3600.0, step=10.0, key="time_limit")
        st.number_input(t("gap"), min_value=0.0, max_value=0.5, step=0.001, key="gap", format="%.4f")
        s["_solver"], s["_time_limit"], s["_gap"] = s["solver"], float(s["time_limit"]), float(s["gap"])

# targets: the plan defaults, each switchable and editable
st.subheader(t("targets_header"))
st.caption(t("targets_help"))
overrides = target_overrides(ctx.name)
if s.get("_editor_dataset") != ctx.name or "targets_editor" not in s:
    s.pop("targets_editor", None)
    s["_editor_dataset"] = ctx.name
    s["_editor_base"] = {k: list(v) for k, v in overrides.items()}
base = s["_editor_base"]
editor_rows = pd.DataFrame([{
    "target_id": target.target_id,
    "name": target_name(target.name_en, target.name_zh, target.target_id),
    "kind": t(f"kind_{target.kind}"),
    "enabled": bool(base.get(target.target_id, [target.value, target.enabled])[1]),
    "value": float(base.get(target.target_id, [target.value, target.enabled])[0]),
} for target in dataset.targets])
edited = st.data_editor(
    editor_rows, key="targets_editor", hide_index=True, width="stretch", num_rows="fixed",
    disabled=["target_id", "name", "kind"],
    column_config={
        "target_id": st.column_config.TextColumn(t("col_id")),
        "name": st.column_config.TextColumn(t("col_target"), width="large"),
        "kind": st.column_config.TextColumn(t("col_kind")),
        "enabled": st.column_config.CheckboxColumn(t("col_enabled")),
        "value": st.column_config.NumberColumn(t("col_value"), min_value=0.0, format="%.4g"),
    },
)
kinds = {target.target_id: target.kind for target in dataset.targets}
for row in edited.itertuples():
    value = float(row.value) if pd.notna(row.value) else 0.0
    if kinds[row.target_id] == "benchmark_share_min" and value > 1:
        st.warning(f"{row.target_id}: {value} > 1 → 1")
        value = 1.0
    overrides[row.target_id] = [value, bool(row.enabled)]

# --- the result ---------------------------------------------------------------

key = solve_key(ctx)
with st.spinner("…"):
    result = current_result(ctx)


def show_result(result, key) -> None:
    """KPIs, targets, charts, chosen projects and downloads of one result."""
    lang = language()
    if result.status == "optimal":
        st.success(t("status_optimal"))
    else:
        st.warning(t("status_feasible", gap=pct(result.gap, 2)))
    budget = result.budget
    cards = st.columns(6)
    cards[0].metric(t("kpi_co2"), num(result.co2_reduction_t))
    cards[1].metric(t("kpi_spend"), num(result.spend))
    cards[2].metric(t("kpi_left"), num(budget - result.spend) if budget is not None else "—")
    cards[3].metric(t("kpi_ratio"), num(result.co2_reduction_t / result.spend, 2) if result.spend else "—")
    cards[4].metric(t("kpi_gap"), pct(result.gap, 2))
    cards[5].metric(t("kpi_projects"), num(len(result.selected)))

    st.subheader(t("targets_result"))
    rows = []
    for o in result.targets:
        share = o.kind != "min_line_capacity"
        fmt = (lambda v: pct(v)) if share else num
        rows.append({t("col_target"): target_name(o.name_en, o.name_zh, o.target_id),
                     t("col_before"): fmt(o.before), t("col_after"): fmt(o.after),
                     t("col_required"): pct(o.required, 0) if share else num(o.required),
                     t("col_met"): t("yes") if o.met else t("no")})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

    projects = dataset.projects.assign(co2_t=instance.co2, chosen=result.chosen).reset_index()
    projects["sector"] = projects["facility_id"].map(dataset.facilities["sector"])
    st.subheader(t("charts"))
    st.altair_chart(charts.finish(charts.mac_curve(projects), 340), width="stretch")
    left, right = st.columns(2)
    share = charts.share_chart([o.to_dict() for o in result.targets])
    if share is not None:
        left.altair_chart(charts.finish(share, 300), width="stretch")
    if result.chosen.any():
        right.altair_chart(charts.finish(charts.sector_chart(projects[projects["chosen"]]), 300), width="stretch")

    if result.objective == "co2" and budget is not None:
        if st.button(t("prices_button"), key="target_prices", help=t("prices_help")):
            with st.spinner("…"):
                s["_prices"] = (key, target_prices_cached(key[0], key[1], key[2], budget, key[6], key[7],
                                                          key[8], key[9]))
        if s.get("_prices") and s["_prices"][0] == key:
            prices = s["_prices"][1].copy()
            names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in dataset.targets}
            prices["target_id"] = prices["target_id"].map(names)
            st.dataframe(prices[["target_id", "co2_without_t", "price_t"]].rename(columns={
                "target_id": t("col_target"), "co2_without_t": t("col_without"), "price_t": t("col_price")}),
                hide_index=True, width="stretch",
                column_config={t("col_without"): st.column_config.NumberColumn(format="localized"),
                               t("col_price"): st.column_config.NumberColumn(format="localized")})

    st.subheader(t("chosen_projects"))
    table = portfolio_table(dataset, instance, result)
    name_col = "facility_name"
    shown = table[["project_id", "name", "facility_id", name_col, "category", "capex", "co2_t",
                   "abatement_cost_cny_per_t", "payback_years"]].copy()
    shown.insert(6, "ratio", shown["co2_t"] / shown["capex"].where(shown["capex"] > 0))
    shown = shown.round({"co2_t": 0, "abatement_cost_cny_per_t": 0, "payback_years": 1})
    st.dataframe(shown.rename(columns={
        "project_id": t("col_id"), "name": t("col_name"), "facility_id": t("col_facility"),
        name_col: t("col_facility") + " · " + t("col_name"), "category": t("col_category"),
        "capex": t("col_capex"), "co2_t": t("col_co2"), "ratio": t("col_ratio"),
        "abatement_cost_cny_per_t": "CNY/tCO₂", "payback_years": "payback (yr)" if lang == "en" else "回收期（年）"}),
        hide_index=True, width="stretch",
        column_config={t("col_capex"): st.column_config.NumberColumn(format="localized"),
                       t("col_co2"): st.column_config.NumberColumn(format="localized"),
                       t("col_ratio"): st.column_config.NumberColumn(format="%.2f"),
                       "CNY/tCO₂": st.column_config.NumberColumn(format="localized")})
    csv_bytes, xlsx_bytes = portfolio_files(*key)
    d1, d2 = st.columns(2)
    d1.download_button(t("download_csv"), csv_bytes, file_name=f"portfolio_{ctx.name}.csv", mime="text/csv",
                       key="download_csv")
    d2.download_button(t("download_xlsx"), xlsx_bytes, file_name=f"portfolio_{ctx.name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="download_xlsx")


st.header(t("results"))
if result.has_portfolio:
    s["_last_good"] = (key, result)
    show_result(result, key)
else:
    if result.status == "infeasible":
        diagnosis = result.diagnosis or {}
        summary = diagnosis.get("summary_zh" if language() == "zh" else "summary_en") or ""
        st.error(f"**{t('infeasible')}**\n\n{summary}")
        least = least_budget_rounded(diagnosis)
        if least is not None and result.objective == "co2":
            st.button(t("use_least_budget", budget=num(least)), key="use_least_budget", type="primary",
                      on_click=set_budget, args=(least,))
    elif result.status == "no_solution":
        st.error(t("status_no_solution", message=result.message))
    else:
        st.error(t("status_other", status=result.status, message=result.message))
    last = s.get("_last_good")
    if last and last[0][1] == ctx.name and last[0][2] == ctx.version:
        st.info(t("last_good", budget=num(last[1].budget)))
        show_result(last[1], last[0])
