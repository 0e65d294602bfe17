"""Frontier: the most CO2 each budget buys while meeting the targets, beside two honest comparators.

The MAC pick funds projects in abatement-cost order and ignores the targets; the greedy buys what the
targets need first, then fills the budget in MAC order (``optimizer.ranking``). The headline measures the
optimizer's advantage only where the greedy also meets every target.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import charts, compute, session
from ui.i18n import language, num, pct, status_name, t, target_name
from ui.settings import Settings
from ui.views import TABLE, number_config


def render_range_form(settings: Settings) -> tuple[float, float, int]:
    """Lowest and highest budget and the number of points; applied when the form is sent."""
    top = compute.budget_max(settings)
    low, high, points = session.view("frontier_range", (0.0, min(800_000.0, top), 17))
    with st.form("frontier_form"):
        c1, c2, c3 = st.columns(3)
        new_low = c1.number_input(t("budget_low"), min_value=0.0, max_value=top, value=min(float(low), top),
                                  step=10_000.0, format="%.0f", key="frontier_low")
        new_high = c2.number_input(t("budget_high"), min_value=0.0, max_value=top, value=min(float(high), top),
                                   step=10_000.0, format="%.0f", key="frontier_high")
        new_points = c3.number_input(t("points"), min_value=2, max_value=101, value=int(points), step=1,
                                     key="frontier_points")
        if st.form_submit_button(t("compute")):
            low, high, points = float(min(new_low, new_high)), float(max(new_low, new_high)), int(new_points)
            session.set_view("frontier_range", (low, high, points))
    return float(low), float(high), int(points)


def frontier_table(settings: Settings, low: float, high: float, points: int) -> pd.DataFrame:
    """The frontier for the question on screen, computed once per question and range."""
    key = (settings, low, high, points)
    stored = session.view("frontier", None)
    if stored and stored[0] == key:
        return stored[1]
    bar = st.progress(0.0, text=t("computing", i=0, n=points))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=t("computing", i=done, n=total))

    table = compute.frontier(settings, low, high, points, progress=progress)
    bar.empty()
    session.set_view("frontier", (key, table))
    return table


def render_no_feasible_point(settings: Settings, high: float) -> None:
    """No budget in the range meets the targets: say why, from the diagnosis at the highest budget."""
    diagnosis = compute.frontier_diagnosis(settings, high) or {}
    summary = diagnosis.get("summary_zh" if language() == "zh" else "summary_en") or ""
    least = compute.least_budget(diagnosis)
    text = t("frontier_none", high=num(high))
    if least is not None:
        text += " " + t("frontier_least", budget=num(least))
    st.error(f"**{text}**\n\n{summary}")


def render_table(settings: Settings, table: pd.DataFrame) -> None:
    st.subheader(t("frontier_table"))
    names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}
    shown = pd.DataFrame({
        t("col_budget"): table["budget"],
        t("col_status"): table["status"].map(status_name),
        t("col_opt_co2"): table["co2_t"].round(0),
        t("col_mac_co2"): table["mac_co2_t"].round(0),
        t("col_shortfall"): table["mac_shortfall_t"].round(0),
        t("kpi_gap"): table["gap"].map(lambda g: pct(g, 2) if g is not None and pd.notna(g) else "—"),
        t("col_broken"): table["mac_broken_targets"].map(
            lambda text: "；".join(names.get(i, i) for i in text.split(";")) if text else "—"),
    })
    st.dataframe(shown, **TABLE,
                 column_config=number_config(t("col_budget"), t("col_opt_co2"), t("col_mac_co2"), t("col_shortfall")))
    st.download_button("CSV", table.to_csv(index=False).encode("utf-8-sig"),
                       file_name=f"frontier_{settings.dataset}.csv",
                       mime="text/csv", key="download_frontier", on_click="ignore")


#: The comparators of the frontier table: column prefix in the library's table, label key.
METHODS = (("", "optimum"), ("mac_", "mac_pick"), ("greedy_", "greedy_pick"))


def comparator_rows(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per budget and method: CO2, spend, how much less than the optimum, the targets it breaks."""
    rows = []
    for _, point in table.iterrows():
        for prefix, label in METHODS:
            broken = "" if not prefix else str(point.get(f"{prefix}broken_targets") or "")
            rows.append({
                t("col_budget"): point["budget"],
                t("col_method"): t(label),
                t("col_co2"): point[f"{prefix}co2_t"],
                t("col_spend"): point[f"{prefix}spend"],
                t("col_short_vs_opt"): point[f"{prefix}shortfall_t"] if prefix
                else (0.0 if pd.notna(point["co2_t"]) else float("nan")),
                t("col_broken_targets"): "；".join(names.get(i, i) for i in broken.split(";")) if broken else "—",
            })
    return pd.DataFrame(rows)


def render_advantage(table: pd.DataFrame) -> None:
    """The optimizer's advantage over the greedy at the budgets where the greedy meets every target."""
    fair = table[table["greedy_targets_met"].fillna(False).astype(bool) & table["co2_t"].notna()
                 & table["greedy_co2_t"].notna()]
    if fair.empty:
        st.info(t("frontier_no_greedy"))
        return
    best = fair.loc[fair["greedy_shortfall_t"].idxmax()]
    share = best["greedy_shortfall_t"] / best["greedy_co2_t"] if best["greedy_co2_t"] else None
    with st.container(key="frontier_advantage"):
        st.success(t("frontier_advantage", most=num(best["greedy_shortfall_t"]), share=pct(share),
                     budget=num(best["budget"]), mean=num(fair["greedy_shortfall_t"].mean())))


def render_comparators(settings: Settings, table: pd.DataFrame) -> None:
    st.subheader(t("frontier_comparators"))
    names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}
    shown = comparator_rows(table, names).round({t("col_co2"): 0, t("col_short_vs_opt"): 0})
    with st.container(key="frontier_comparators"):
        st.dataframe(shown, **TABLE, column_config={
            **number_config(t("col_budget"), t("col_co2"), t("col_spend"), t("col_short_vs_opt")),
            t("col_broken_targets"): st.column_config.TextColumn(width="large")})


settings = session.settings()
st.title(t("page_frontier"))
st.caption(t("frontier_intro"))
low, high, points = render_range_form(settings)
table = frontier_table(settings, low, high, points)
if not table["status"].isin(["optimal", "feasible"]).any():
    render_no_feasible_point(settings, high)
current = settings.budget if settings.objective == "co2" else None
render_advantage(table)
st.altair_chart(charts.finish(charts.frontier_chart(table, current), 380), width="stretch")
render_table(settings, table)
render_comparators(settings, table)
