"""Overview: facilities and capacity, where each target stands today, the projects' potential."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from optimizer.targets import evaluate_targets
from ui import charts
from ui.i18n import language, num, pct, sector_name, t, target_name
from ui.state import context, current_targets

ctx = context()
dataset, instance = ctx.dataset, ctx.instance

st.title(t("page_overview"))
st.caption(t("overview_intro"))

cols = st.columns(4)
cols[0].metric(t("n_facilities"), num(len(dataset.facilities)))
cols[1].metric(t("n_projects"), num(len(dataset.projects)))
cols[2].metric(t("co2_potential"), num(instance.co2.sum()))
cols[3].metric(t("capex_all"), num(instance.capex.sum()))

st.subheader(t("capacity_by"))
products = dataset.products
name_column = "name_zh" if language() == "zh" else "name_en"
capacity = (dataset.facilities.groupby(["sector", "product"], as_index=False)
            .agg(facilities=("capacity", "size"), capacity=("capacity", "sum")))
capacity["product_name"] = capacity["product"].map(
    lambda p: products.loc[p, name_column] if p in products.index and pd.notna(products.loc[p, name_column]) else p)
capacity["unit"] = capacity["product"].map(lambda p: products.loc[p, "unit"] if p in products.index else "")
capacity["sector"] = capacity["sector"].map(sector_name)
st.dataframe(
    capacity[["sector", "product_name", "facilities", "capacity", "unit"]].rename(columns={
        "sector": t("col_sector"), "product_name": t("col_product"), "facilities": t("col_facilities"),
        "capacity": t("col_capacity"), "unit": t("col_unit")}),
    hide_index=True, width="stretch",
    column_config={t("col_capacity"): st.column_config.NumberColumn(format="localized")},
)

st.subheader(t("targets_today"))
outcomes = evaluate_targets(instance, current_targets(ctx), np.zeros(instance.n_projects, dtype=bool))
rows = []
for o in outcomes:
    share = o.kind != "min_line_capacity"
    rows.append({
        t("col_target"): target_name(o.name_en, o.name_zh, o.target_id),
        t("col_kind"): t(f"kind_{o.kind}"),
        t("col_before"): pct(o.before) if share else num(o.before),
        t("col_required"): pct(o.required, 0) if share else num(o.required),
        t("col_met"): t("yes") if o.met else t("no"),
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
chart = charts.share_chart([o.to_dict() for o in outcomes], after=False)
if chart is not None:
    st.altair_chart(charts.finish(chart, 260), width="stretch")

st.subheader(t("potential_by"))
projects = dataset.projects.assign(co2_t=instance.co2)
projects["sector"] = projects["facility_id"].map(dataset.facilities["sector"])
summary = projects.groupby(["sector", "category"], as_index=False).agg(
    projects=("capex", "size"), co2_t=("co2_t", "sum"), capex=("capex", "sum")).round({"co2_t": 0, "capex": 0})
left, right = st.columns(2)
left.altair_chart(charts.finish(charts.sector_chart(projects, "co2_t", "potential_by", "col_co2")), width="stretch")
right.altair_chart(charts.finish(charts.sector_chart(projects, "capex", "potential_by", "col_capex")), width="stretch")
summary["sector"] = summary["sector"].map(sector_name)
st.dataframe(summary.rename(columns={
    "sector": t("col_sector"), "category": t("col_category"), "projects": t("col_projects"),
    "co2_t": t("col_co2"), "capex": t("col_capex")}), hide_index=True, width="stretch",
    column_config={t("col_co2"): st.column_config.NumberColumn(format="localized"),
                   t("col_capex"): st.column_config.NumberColumn(format="localized")})
