"""Overview: facilities and capacity, where each target stands today, the projects' potential."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import charts, compute, session
from ui.i18n import category_name, language, num, sector_name, t
from ui.settings import Settings
from ui.views import TABLE, kpi_cards, number_config, target_rows


def render_headline(settings: Settings) -> None:
    """Counts, and the most CO2 any budget buys while meeting the targets (alternatives counted once)."""
    data = compute.dataset(settings)
    with st.spinner("…"):
        most = compute.most_co2(settings)
    reachable = most.has_portfolio
    kpi_cards([
        (t("n_facilities"), num(len(data.facilities))),
        (t("n_projects"), num(len(data.projects))),
        (t("co2_most"), num(most.co2_reduction_t) if reachable else "—"),
        (t("capex_most"), num(most.spend) if reachable else "—"),
    ], per_row=4)
    st.caption(t("co2_most_help") if reachable else t("co2_most_none"))


def render_capacity(settings: Settings) -> None:
    st.subheader(t("capacity_by"))
    data = compute.dataset(settings)
    products = data.products
    name_column = "name_zh" if language() == "zh" else "name_en"
    capacity = (data.facilities.groupby(["sector", "product"], as_index=False)
                .agg(facilities=("capacity", "size"), capacity=("capacity", "sum")))

    def product_name(product: str) -> str:
        known = product in products.index and name_column in products.columns
        if known and pd.notna(products.loc[product, name_column]):
            return str(products.loc[product, name_column])
        return product

    capacity["product_name"] = capacity["product"].map(product_name)
    capacity["unit"] = capacity["product"].map(
        lambda p: products.loc[p, "unit"] if p in products.index and pd.notna(products.loc[p, "unit"]) else "—")
    capacity["sector"] = capacity["sector"].map(sector_name)
    st.dataframe(capacity[["sector", "product_name", "facilities", "capacity", "unit"]].rename(columns={
            "sector": t("col_sector"), "product_name": t("col_product"), "facilities": t("col_facilities"),
            "capacity": t("col_capacity"), "unit": t("col_unit")}),
        **TABLE, column_config=number_config(t("col_capacity")))


def render_targets_today(settings: Settings) -> None:
    st.subheader(t("targets_today"))
    outcomes = compute.today(settings)
    st.dataframe(target_rows(outcomes, after=False), **TABLE)
    chart = charts.overview_specs(settings)["share"]
    if chart is not None:
        st.vega_lite_chart(spec=chart, width="stretch")


def render_potential(settings: Settings) -> None:
    st.subheader(t("potential_by"))
    projects = compute.projects_with_co2(settings)
    projects["category"] = projects["category"].map(category_name)
    summary = projects.groupby(["sector", "category"], as_index=False).agg(
        projects=("capex", "size"), co2_t=("co2_t", "sum"), capex=("capex", "sum")).round({"co2_t": 0, "capex": 0})
    specs = charts.overview_specs(settings)
    left, right = st.columns(2)
    left.vega_lite_chart(spec=specs["co2"], width="stretch")
    right.vega_lite_chart(spec=specs["capex"], width="stretch")
    st.caption(t("potential_note"))
    summary["sector"] = summary["sector"].map(sector_name)
    st.dataframe(summary.rename(columns={
        "sector": t("col_sector"), "category": t("col_category"), "projects": t("col_projects"),
        "co2_t": t("col_co2"), "capex": t("col_capex")}), **TABLE,
        column_config=number_config(t("col_co2"), t("col_capex")))


settings = session.settings()
st.title(t("page_overview"))
st.caption(t("overview_intro"))
render_headline(settings)
render_capacity(settings)
render_targets_today(settings)
render_potential(settings)
