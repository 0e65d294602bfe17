"""Optimize: budget, objective, targets and solver settings; the portfolio and why.

Every widget here is bound to the question (ui.session); the result shown is always the one for
the inputs on screen, or is marked as the previous one (no success banner, no downloads).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from ui import charts, compute, session
from ui.i18n import category_name, language, num, pct, t, target_name
from ui.settings import (
    DISCOUNT_RATE_RANGE,
    FUEL_FACTOR_RANGE,
    GAP_RANGE,
    GRID_FACTOR_RANGE,
    HORIZON_RANGE,
    MARGIN_RANGE,
    TIME_LIMIT_RANGE,
    Settings,
)
from ui.views import TABLE, kpi_cards, number_config, render_excluded, target_rows


def render_inputs(settings: Settings) -> None:
    """Objective, budget (slider and exact box, one value) or CO2 goal, solver settings."""
    top = compute.budget_max(settings)
    left, right = st.columns([3, 2])
    with left:
        st.radio(t("objective"), ["co2", "cost"], key="objective", horizontal=True,
                 format_func=lambda o: t(f"objective_{o}"), on_change=session.keep, args=("objective",))
        first = compute.as_of(settings).first_year
        st.number_input(t("as_of_year"), min_value=first, max_value=HORIZON_RANGE[1], step=1, key="as_of_year",
                        on_change=session.keep, args=("as_of_year",), help=t("as_of_year_help", first=first))
        if settings.objective == "co2":
            st.slider(t("budget_slider"), min_value=0.0, max_value=top, step=1_000.0, key="budget_slider",
                      on_change=session.keep, args=("budget_slider",), format="%.0f")
            st.number_input(t("budget_input"), min_value=0.0, max_value=top, step=1_000.0, key="budget_input",
                            on_change=session.keep, args=("budget_input",), format="%.0f",
                            help=t("budget_max_help", budget=num(top)))
        else:
            st.number_input(t("co2_goal"), min_value=0.0, step=10_000.0, key="co2_goal", format="%.0f",
                            on_change=session.keep, args=("co2_goal",))
    with right, st.expander(t("solver_settings")):
        st.radio(t("solver"), ["highs", "cbc"], key="solver", horizontal=True,
                 on_change=session.keep, args=("solver",))
        st.number_input(t("time_limit"), min_value=TIME_LIMIT_RANGE[0], max_value=TIME_LIMIT_RANGE[1],
                        step=10.0, key="time_limit", on_change=session.keep, args=("time_limit",))
        st.number_input(t("gap"), min_value=GAP_RANGE[0], max_value=GAP_RANGE[1], step=0.001, key="gap",
                        format="%.4f", on_change=session.keep, args=("gap",))


def render_assumptions() -> None:
    """Margin, who pays closures by order, grid and fuel factors, discount rate: all part of the question."""
    with st.expander(t("assumptions")):
        st.caption(t("assumptions_help"))
        margin, rate, grid_pick, grid_value = st.columns([1, 1, 2, 1])
        margin.number_input(t("margin"), min_value=MARGIN_RANGE[0], max_value=MARGIN_RANGE[1], step=0.5,
                            format="%.1f", key="margin", help=t("margin_help"),
                            on_change=session.keep, args=("margin",))
        rate.number_input(t("discount_rate"), min_value=DISCOUNT_RATE_RANGE[0] * 100,
                          max_value=DISCOUNT_RATE_RANGE[1] * 100, step=0.5, format="%.2f", key="discount_rate",
                          help=t("discount_rate_help"), on_change=session.keep, args=("discount_rate",))
        grid = compute.grid_rows()
        name = "name_zh" if language() == "zh" else "name_en"

        def grid_label(option: str) -> str:
            if option == session.CUSTOM_GRID:
                return t("grid_custom")
            return f"{float(grid.at[option, 'value']):.4f} · {grid.at[option, name]}"

        grid_pick.selectbox(t("grid_factor_id"), [*grid.index, session.CUSTOM_GRID], key="grid_factor_id",
                            format_func=grid_label, on_change=session.keep, args=("grid_factor_id",))
        grid_value.number_input(t("grid_factor"), min_value=GRID_FACTOR_RANGE[0], max_value=GRID_FACTOR_RANGE[1],
                                step=0.01, format="%.4f", key="grid_factor", help=t("grid_factor_help"),
                                on_change=session.keep, args=("grid_factor",))
        st.toggle(t("order_capex_in_budget"), key="order_capex_in_budget", help=t("order_capex_help"),
                  on_change=session.keep, args=("order_capex_in_budget",))
        st.markdown(f"**{t('fuel_factors')}**")
        for column, fuel in zip(st.columns(len(compute.FUELS)), compute.FUELS):
            key = f"fuel_factor_{fuel}"
            column.number_input(t(f"fuel_{fuel}"), min_value=FUEL_FACTOR_RANGE[0], max_value=FUEL_FACTOR_RANGE[1],
                                step=0.01, format="%.3f", key=key, on_change=session.keep, args=(key,))


def _keep_targets(key: str, ids: list[str], rows: pd.DataFrame) -> None:
    """The targets editor's ``on_change``: its edited cells become part of the question."""
    edits = st.session_state[key].get("edited_rows", {})
    changes = []
    for index, cells in edits.items():
        row = rows.iloc[int(index)]
        value = cells.get("value", row["value"])
        value = float(row["value"]) if value is None or pd.isna(value) else float(value)
        changes.append((ids[int(index)], bool(cells.get("enabled", row["enabled"])), value))
    session.set_targets(changes)


def render_targets_editor(settings: Settings) -> None:
    """The plan's targets, each switchable and editable; drawn from the question every run."""
    st.subheader(t("targets_header"))
    st.caption(t("targets_help"))
    lang = language()
    chosen = compute.targets(settings)
    rows = pd.DataFrame([{
        "enabled": target.enabled,
        "name": target_name(target.name_en, target.name_zh, target.target_id),
        "value": float(target.value),
        "meaning": compute.kind(target.kind).value_label(lang),
    } for target in chosen])
    # The key follows the question, so an outside change (scenario, link, dataset) redraws the editor.
    digest = hashlib.sha1(repr((settings.dataset, settings.dataset_version, settings.targets)).encode()).hexdigest()
    key = f"targets_editor_{digest[:12]}"
    st.data_editor(rows, key=key, **TABLE, num_rows="fixed", disabled=["name", "meaning"],
        on_change=_keep_targets, args=(key, [target.target_id for target in chosen], rows),
        column_config={
            "enabled": st.column_config.CheckboxColumn(t("col_enabled"), width="small"),
            "name": st.column_config.TextColumn(t("col_target"), width="large"),
            "value": st.column_config.NumberColumn(t("col_value"), min_value=0.0, format="%.4g", width="small"),
            "meaning": st.column_config.TextColumn(t("col_value_meaning"), width="small"),
        },
    )


def render_status(result: compute.PortfolioResult) -> None:
    if result.status == "optimal":
        st.success(t("status_optimal"))
    else:
        st.warning(t("status_feasible", gap=pct(result.gap, 2)))
    st.caption(t("as_of_caption", year=result.as_of_year, first=result.first_year, late=num(len(result.cannot_fit))))


def render_kpis(result: compute.PortfolioResult) -> None:
    budget = result.budget
    kpi_cards([
        (t("kpi_co2"), num(result.co2_reduction_t)),
        (t("kpi_spend"), num(result.spend)),
        (t("kpi_left"), num(budget - result.spend) if budget is not None else "—"),
        (t("kpi_ratio"), num(result.co2_reduction_t / result.spend, 2) if result.spend else "—"),
        (t("kpi_gap"), pct(result.gap, 2)),
        (t("kpi_projects"), num(len(result.selected))),
        (t("kpi_technical"), num(result.co2_technical_t)),
        (t("kpi_structural"), num(result.co2_structural_t)),
        (t("kpi_energy"), num(result.energy_saving_tce)),
    ])


def render_closures(settings: Settings, result: compute.PortfolioResult) -> None:
    """Lines the plans close by order, with the reason in the user's language (a static table: the reason wraps)."""
    if not result.closures:
        return
    st.subheader(t("closures_header"))
    st.caption(t("closures_help"))
    facilities = compute.dataset(settings).facilities
    reason = "reason_zh" if language() == "zh" else "reason_en"
    rows = pd.DataFrame([{
        t("col_id"): c["facility_id"],
        t("col_facility"): str(facilities.at[c["facility_id"], "name"]) if c["facility_id"] in facilities.index
        else c["facility_id"],
        t("col_reason"): c.get(reason) or "—",
    } for c in result.closures])
    with st.container(key="closures_table"):
        st.table(rows.style.hide(axis="index"))


def render_intensity(settings: Settings, result: compute.PortfolioResult) -> None:
    """Each product's capacity-weighted intensity before → after, by its name and in its own unit."""
    if not result.product_intensity:
        return
    st.subheader(t("intensity_header"))
    st.caption(t("intensity_help"))
    products = compute.dataset(settings).products
    name = "name_zh" if language() == "zh" else "name_en"
    rows = []
    for row in result.product_intensity:
        product = row["product"]
        known = product in products.index
        rows.append({
            t("col_product"): (str(products.at[product, name]) if known else "") or product,
            t("col_int_unit"): str(products.at[product, "intensity_unit"]) if known else "—",
            t("col_int_before"): row["intensity_before"],
            t("col_int_after"): row["intensity_after"],
            t("col_capacity"): row["capacity_before"],
            t("col_capacity_after"): row["capacity_after"],
        })
    config = {label: st.column_config.NumberColumn(format="%.1f")
              for label in (t("col_int_before"), t("col_int_after"))}
    config.update(number_config(t("col_capacity"), t("col_capacity_after")))
    st.dataframe(pd.DataFrame(rows), **TABLE, column_config=config)


def render_target_outcomes(result: compute.PortfolioResult) -> None:
    st.subheader(t("targets_result", year=result.as_of_year))
    # No kind column here (the Overview has it): today, after, required and met stay on a laptop screen.
    st.dataframe(target_rows(result.targets, with_kind=False), **TABLE)


def render_charts(settings: Settings) -> None:
    """MAC curve, targets and sectors, full width (specs built once per question and language)."""
    st.subheader(t("charts"))
    for spec in charts.optimize_specs(settings):
        st.vega_lite_chart(spec=spec, width="stretch")


def render_prices(settings: Settings, result: compute.PortfolioResult) -> None:
    if result.objective != "co2" or result.budget is None:
        return
    if st.button(t("prices_button"), key="target_prices", help=t("prices_help")):
        session.set_view("prices_for", settings)
    if session.view("prices_for", None) != settings:
        return
    with st.spinner("…"):
        prices = compute.target_prices(settings).copy()
    names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}
    prices["target_id"] = prices["target_id"].map(names)
    shown = prices[["target_id", "co2_without_t", "price_t"]].rename(columns={
        "target_id": t("col_target"), "co2_without_t": t("col_without"), "price_t": t("col_price")})
    st.dataframe(shown, **TABLE, column_config=number_config(t("col_without"), t("col_price")))


def render_chosen(settings: Settings, result: compute.PortfolioResult) -> None:
    st.subheader(t("chosen_projects"))
    table = compute.portfolio_table(settings, result)
    shown = table[["project_id", "name", "facility_name", "category", "capex", "co2_t",
                   "abatement_cost_cny_per_t", "payback_years"]].copy()
    shown.insert(6, "ratio", shown["co2_t"] / shown["capex"].where(shown["capex"] > 0))
    shown["category"] = shown["category"].map(category_name)
    shown = shown.round({"co2_t": 0, "abatement_cost_cny_per_t": 0, "payback_years": 1})
    labels = {"project_id": t("col_id"), "name": t("col_name"), "facility_name": t("col_facility"),
              "category": t("col_category"), "capex": t("col_capex"), "co2_t": t("col_co2"), "ratio": t("col_ratio"),
              "abatement_cost_cny_per_t": t("col_abatement_cost"), "payback_years": t("col_payback")}
    config = number_config(t("col_capex"), t("col_co2"), t("col_abatement_cost"))
    config[t("col_ratio")] = st.column_config.NumberColumn(format="%.2f")
    st.dataframe(shown.rename(columns=labels), **TABLE, column_config=config)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def render_downloads(settings: Settings) -> None:
    """The portfolio files in the user's language with their run record, and the meeting pack, cached on the
    question. The CSV is small and handed over as bytes; the workbook and the pack are built only when their
    button is pressed (a callable is deferred by Streamlit). No download reruns the page (``on_click="ignore"``):
    a rerun per click cost a whole page run and, on a busy server, let Streamlit's clean-up of unused files
    remove a deferred file before the browser fetched it."""
    lang = language()
    columns = st.columns(4 if compute.can_make_pdf() else 3)
    columns[0].download_button(t("download_csv"), compute.result_csv(settings, lang), on_click="ignore",
                               file_name=f"portfolio_{settings.dataset}.csv", mime="text/csv", key="download_csv")
    columns[1].download_button(t("download_xlsx"), lambda: compute.result_xlsx(settings, lang), on_click="ignore",
                               file_name=f"portfolio_{settings.dataset}.xlsx", mime=XLSX, key="download_xlsx")
    columns[2].download_button(t("meeting_pack"), lambda: compute.meeting_pack(settings, lang), on_click="ignore",
                               file_name=f"meeting_pack_{settings.dataset}_{lang}.pptx", mime=PPTX,
                               key="download_pack", help=t("meeting_pack_help"), type="primary")
    if compute.can_make_pdf():
        columns[3].download_button(t("meeting_pack_pdf"), lambda: compute.meeting_pack_pdf(settings, lang),
                                   on_click="ignore", file_name=f"meeting_pack_{settings.dataset}_{lang}.pdf",
                                   mime="application/pdf", key="download_pack_pdf", help=t("meeting_pack_help"))


def render_closest(settings: Settings, result: compute.PortfolioResult) -> None:
    """Under the diagnosis: the closest portfolio within the budget, each target's shortfall in red, downloadable."""
    closest = result.closest
    if not closest:
        return
    st.subheader(t("closest_header"))
    st.info(t("closest_summary", co2=num(closest["co2_reduction_t"]), spend=num(closest["spend"]),
              n=num(len(closest["selected"])), short=num(closest["total_shortfall"] * 100, 2)))
    names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}
    kinds = {tg.target_id: compute.kind(tg.kind) for tg in compute.targets(settings)}
    rows = pd.DataFrame([{
        t("col_target"): names.get(row["target_id"], row["target_id"]),
        t("col_after"): kinds[row["target_id"]].format(row["after"]) if row["target_id"] in kinds else row["after"],
        t("col_required"): kinds[row["target_id"]].format(row["required"], 0) if row["target_id"] in kinds
        else row["required"],
        t("col_shortfall_pts"): float(row["shortfall"]) * 100,
    } for row in closest["targets"]])
    short = t("col_shortfall_pts")
    styled = rows.style.map(lambda v: "color: #d62728; font-weight: 600" if v > 1e-9 else "", subset=[short]) \
        .format({short: "{:.2f}"})
    with st.container(key="closest_table"):
        st.dataframe(styled, **TABLE)
    full = compute.closest_result(settings)
    if full is not None:
        with st.expander(t("closest_projects", n=num(len(full.selected)))):
            render_chosen(settings, full)
    lang = language()
    left, right = st.columns(2)
    left.download_button(t("download_closest_csv"), compute.result_csv(settings, lang, "closest"), on_click="ignore",
                         file_name=f"closest_{settings.dataset}.csv", mime="text/csv", key="download_closest_csv")
    right.download_button(t("download_closest_xlsx"), lambda: compute.result_xlsx(settings, lang, "closest"),
                          on_click="ignore", file_name=f"closest_{settings.dataset}.xlsx", mime=XLSX,
                          key="download_closest_xlsx")


def render_result(settings: Settings, result: compute.PortfolioResult) -> None:
    """A result for the inputs on screen: status, figures, targets, charts, projects, downloads."""
    render_status(result)
    render_kpis(result)
    render_target_outcomes(result)
    render_closures(settings, result)
    render_intensity(settings, result)
    render_charts(settings)
    render_prices(settings, result)
    render_chosen(settings, result)
    render_downloads(settings)


def render_no_portfolio(settings: Settings, solved: compute.Solved) -> None:
    """Why the inputs on screen have no portfolio, and the one-click fix when there is one."""
    result = solved.result
    if result.status == "infeasible":
        diagnosis = solved.diagnosis or {}
        summary = diagnosis.get("summary_zh" if language() == "zh" else "summary_en") or ""
        st.error(f"**{t('infeasible')}**\n\n{summary}")
        least = compute.least_budget(diagnosis)
        if least is not None and result.objective == "co2" and least <= compute.budget_max(settings):
            st.button(t("use_least_budget", budget=num(least)), key="use_least_budget", type="primary",
                      on_click=session.set_budget, args=(least,))
        render_closest(settings, result)
    elif result.status == "no_solution":
        st.error(t("status_no_solution", message=result.message))
    else:
        st.error(t("status_other", status=result.status, message=result.message))


def render_previous(settings: Settings) -> None:
    """The last portfolio, clearly marked as not the answer to the inputs on screen."""
    previous = session.previous(settings)
    if previous is None:
        return
    before, result = previous
    st.divider()
    st.warning(t("previous_result", budget=num(before.budget)), icon="🕘")
    with st.container(border=True):
        render_kpis(result)
        render_target_outcomes(result)
        render_chosen(before, result)


settings = session.settings()
st.title(t("page_optimize"))
st.caption(t("optimize_intro"))
render_inputs(settings)
render_excluded(settings)
render_assumptions()
render_targets_editor(settings)

st.header(t("results"))
with st.spinner("…"):
    solved = compute.solve(settings)
if solved.result.has_portfolio:
    session.remember(settings, solved.result)
    render_result(settings, solved.result)
else:
    render_no_portfolio(settings, solved)
    render_previous(settings)
