"""Frontier: the most CO2 each budget buys while meeting the targets, beside the MAC ranking pick."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from optimizer.frontier import budget_range, frontier
from ui import charts
from ui.i18n import pct, t, target_name
from ui.state import context, current_targets, solver_settings, targets_key

s = st.session_state
ctx = context()
dataset, instance = ctx.dataset, ctx.instance

st.title(t("page_frontier"))
st.caption(t("frontier_intro"))

s.setdefault("_frontier_range", (0.0, 800_000.0, 17))
with st.form("frontier_form"):
    c1, c2, c3 = st.columns(3)
    low = c1.number_input(t("budget_low"), min_value=0.0, value=float(s["_frontier_range"][0]), step=10_000.0,
                          format="%.0f", key="frontier_low")
    high = c2.number_input(t("budget_high"), min_value=0.0, value=float(s["_frontier_range"][1]), step=10_000.0,
                           format="%.0f", key="frontier_high")
    points = c3.number_input(t("points"), min_value=2, max_value=101, value=int(s["_frontier_range"][2]), step=1,
                             key="frontier_points")
    if st.form_submit_button(t("compute")):
        s["_frontier_range"] = (float(min(low, high)), float(max(low, high)), int(points))

low, high, points = s["_frontier_range"]
targets = current_targets(ctx)
settings = solver_settings()
key = (ctx.path, ctx.name, ctx.version, low, high, points, targets_key(targets), settings)
stored = s.get("_frontier")
if not stored or stored[0] != key:
    bar = st.progress(0.0, text=t("computing", i=0, n=points))

    def _progress(done: int, total: int) -> None:
        bar.progress(done / total, text=t("computing", i=done, n=total))

    table = frontier(instance, targets, budget_range(low, high, points), settings, progress=_progress)
    bar.empty()
    s["_frontier"] = stored = (key, table)
table: pd.DataFrame = stored[1]

current = float(s["_budget"]) if s.get("_objective", "co2") == "co2" else None
st.altair_chart(charts.finish(charts.frontier_chart(table, current), 380), width="stretch")

st.subheader(t("frontier_table"))
names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in dataset.targets}
shown = pd.DataFrame({
    t("col_budget"): table["budget"],
    t("col_status"): table["status"],
    t("col_opt_co2"): table["co2_t"].round(0),
    t("col_mac_co2"): table["mac_co2_t"].round(0),
    t("col_shortfall"): table["mac_shortfall_t"].round(0),
    "gap": table["gap"].map(lambda g: pct(g, 2) if g is not None and pd.notna(g) else "—"),
    t("col_broken"): table["mac_broken_targets"].map(
        lambda text: "；".join(names.get(i, i) for i in text.split(";")) if text else "—"),
})
numbers = st.column_config.NumberColumn(format="localized")
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={t("col_budget"): numbers, t("col_opt_co2"): numbers, t("col_mac_co2"): numbers,
                            t("col_shortfall"): numbers})
st.download_button("CSV", table.to_csv(index=False).encode("utf-8-sig"), file_name=f"frontier_{ctx.name}.csv",
                   mime="text/csv", key="download_frontier")
