"""Roadmap: which project goes into service in which year, under yearly budgets, and when each target is met.

The horizon, the yearly budgets, carry-over and the overdue deadline are part of the question
(ui.session binds them), so they travel in the link and in scenarios. The roadmap shown is the
one for the inputs on screen; while a new one is solved, or when the new inputs have none, the
last roadmap stays visible marked as the previous one (no success banner, no downloads).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from ui import charts, compute, session
from ui.i18n import category_name, language, num, pct, t, target_name
from ui.settings import HORIZON_RANGE, MAX_HORIZON_YEARS, Settings
from ui.views import (
    TABLE,
    kpi_cards,
    monte_carlo_by_year,
    monte_carlo_table,
    number_config,
    probability_config,
    render_excluded,
)

PREVIOUS_ROADMAP = "previous_roadmap"


def render_inputs(settings: Settings) -> None:
    """Horizon, overdue deadline, carry-over, one budget for every year, and the year → budget table."""
    budgets = compute.roadmap_budgets(settings)
    first, last = min(budgets), max(budgets)
    top = compute.budget_max(settings)
    cols = st.columns(4)
    cols[0].number_input(t("horizon_first"), min_value=HORIZON_RANGE[0], max_value=HORIZON_RANGE[1], step=1,
                         key="roadmap_first", on_change=session.keep, args=("roadmap_first",))
    cols[1].number_input(t("horizon_last"), min_value=first, max_value=min(first + MAX_HORIZON_YEARS - 1,
                                                                            HORIZON_RANGE[1]),
                         step=1, key="roadmap_last", on_change=session.keep, args=("roadmap_last",))
    cols[2].number_input(t("overdue_deadline"), min_value=first, max_value=last, step=1, key="roadmap_deadline",
                         on_change=session.keep, args=("roadmap_deadline",), help=t("overdue_deadline_help"))
    with cols[3]:
        st.write("")
        st.toggle(t("carry_over"), key="roadmap_carry_over", on_change=session.keep,
                  args=("roadmap_carry_over",), help=t("carry_over_help"))
    left, right = st.columns([2, 3])
    left.number_input(t("budget_all_years"), min_value=0.0, max_value=top, step=5_000.0, format="%.0f",
                      key="roadmap_budget_all", on_change=session.keep, args=("roadmap_budget_all",),
                      help=t("budget_all_years_help"))
    with right:
        rows = pd.DataFrame({"year": [str(y) for y in budgets], "budget": list(budgets.values())})
        key = editor_key(budgets)
        st.data_editor(rows, key=key, **TABLE, num_rows="fixed", disabled=["year"],
                       on_change=_keep_budgets, args=(key, list(budgets), rows),
                       column_config={
                           "year": st.column_config.TextColumn(t("col_year"), width="small"),
                           "budget": st.column_config.NumberColumn(t("col_budget"), min_value=0.0, max_value=top,
                                                                   format="localized", required=True),
                       })


def _digest(budgets: dict[int, float]) -> str:
    return hashlib.sha1(repr(sorted(budgets.items())).encode()).hexdigest()[:12]


def editor_key(budgets: dict[int, float]) -> str:
    """The table's key: kept while the budgets are the ones its own edits made (so it is not redrawn under
    the user's hands), new when they changed from outside (the one-figure box, a link, a scenario)."""
    owned = session.view("roadmap_editor", None)
    if owned and owned[0] == _digest(budgets):
        return str(owned[1])
    return f"roadmap_budgets_{_digest(budgets)}"


def _keep_budgets(key: str, years: list[int], rows: pd.DataFrame) -> None:
    """The yearly budget table's ``on_change``: its edited cells become part of the question."""
    changes = {}
    for index, cells in st.session_state[key].get("edited_rows", {}).items():
        value = cells.get("budget")
        if value is not None and not pd.isna(value):
            changes[years[int(index)]] = float(value)
    if changes:
        session.set_budgets(changes)
        session.set_view("roadmap_editor", (_digest(compute.roadmap_budgets(session.settings())), key))


# --- a roadmap ---------------------------------------------------------------------------------------


def target_names(settings: Settings) -> dict[str, str]:
    return {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}


def render_kpis(result: Any) -> None:
    kpi_cards([
        (t("kpi_co2_cumulative"), num(result.co2_cumulative_t)),
        (t("kpi_run_rate", year=result.last_year), num(result.co2_run_rate_t)),
        (t("kpi_spend_total"), num(result.spend_total)),
        (t("kpi_projects"), num(len(result.schedule))),
        (t("kpi_gap"), pct(result.gap, 2)),
        (t("kpi_years"), f"{result.first_year}–{result.last_year}"),
    ])


def year_counts(schedule: pd.DataFrame) -> str:
    """How many projects enter service each year, as one line (also what the browser test reads)."""
    counts = schedule.groupby("in_service_year").size()
    return t("in_service_counts", counts=" · ".join(t("year_count", year=int(y), n=int(n))
                                                     for y, n in counts.items()))


def render_gantt(settings: Settings, result: Any, schedule: pd.DataFrame) -> None:
    st.subheader(t("gantt_header"))
    if schedule.empty:
        st.info(t("no_projects_scheduled"))
        return
    st.vega_lite_chart(spec=charts.spec(charts.gantt_chart(schedule), charts.gantt_height(schedule)),
                       width="stretch")
    st.caption(year_counts(schedule), help=t("gantt_help"))
    shown = schedule[["project_id", "name", "facility_name", "category", "start_year", "in_service_year",
                      "capex", "co2_t"]].copy()
    shown["category"] = shown["category"].map(category_name)
    labels = {"project_id": t("col_id"), "name": t("col_name"), "facility_name": t("col_facility"),
              "category": t("col_category"), "start_year": t("col_start_year"),
              "in_service_year": t("col_in_service"), "capex": t("col_capex"), "co2_t": t("col_co2")}
    with st.expander(t("schedule_table", n=len(shown))):
        st.dataframe(shown.rename(columns=labels), **TABLE, key="roadmap_schedule",
                     column_config={**number_config(t("col_capex"), t("col_co2")),
                                    t("col_start_year"): st.column_config.NumberColumn(format="%d"),
                                    t("col_in_service"): st.column_config.NumberColumn(format="%d")})


def render_charts(settings: Settings, result: Any, schedule: pd.DataFrame) -> None:
    left, right = st.columns(2)
    left.vega_lite_chart(spec=charts.spec(charts.spend_chart(result.spend_by_year, result.budget_by_year), 300),
                         width="stretch")
    right.vega_lite_chart(spec=charts.spec(charts.co2_by_sector_chart(schedule, list(result.co2_by_year)), 300),
                          width="stretch")
    lines = charts.targets_by_year_chart(result.targets_by_year, target_names(settings))
    if lines is not None:
        st.vega_lite_chart(spec=charts.spec(lines, 380), width="stretch")
    render_targets_table(settings, result.targets_by_year)


def render_targets_table(settings: Settings, rows: list[dict[str, Any]]) -> None:
    """Each target: its deadline, the first year it is met, and its level in the last year."""
    names = target_names(settings)
    table = []
    for target_id in dict.fromkeys(r["target_id"] for r in rows):
        mine = [r for r in rows if r["target_id"] == target_id]
        kind = compute.kind(mine[0]["kind"])
        met_years = [r["year"] for r in mine if r["met"]]
        missed = [r["year"] for r in mine if r["binding"] and not r["met"]]
        table.append({t("col_target"): names.get(target_id, target_id),
                      t("col_deadline"): str(mine[0]["deadline"]) if mine[0]["deadline"] is not None else "—",
                      t("col_first_met"): str(min(met_years)) if met_years else "—",
                      t("col_required"): kind.format(mine[-1]["required"], 0),
                      t("col_last_value", year=mine[-1]["year"]): kind.format(mine[-1]["value"]),
                      t("col_missed_years"): ", ".join(str(y) for y in missed) or "—"})
    if table:
        st.dataframe(pd.DataFrame(table), **TABLE)


def render_cannot_fit(result: Any) -> None:
    if result.cannot_fit:
        reason = "reason_zh" if language() == "zh" else "reason_en"
        with st.expander(t("cannot_fit_header", n=len(result.cannot_fit))):
            st.dataframe(pd.DataFrame([{t("col_id"): r["project_id"], t("col_reason"): r[reason]}
                                       for r in result.cannot_fit]), **TABLE)
    if result.closed_by_order:
        st.caption(t("closed_by_order", lines=", ".join(f"{c['facility_id']} ({c['year']})"
                                                          for c in result.closed_by_order)))


def render_downloads(settings: Settings) -> None:
    left, right = st.columns(2)
    left.download_button(t("download_roadmap_xlsx"), lambda: compute.roadmap_xlsx(settings),
                         file_name=f"roadmap_{settings.dataset}.xlsx", key="download_roadmap_xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    right.download_button(t("download_roadmap_csv"), lambda: compute.roadmap_csv(settings),
                          file_name=f"roadmap_{settings.dataset}.csv", mime="text/csv", key="download_roadmap_csv",
                          on_click="ignore")


#: Draws of the roadmap's Monte Carlo (seeded: the same roadmap always shows the same figures).
ROADMAP_DRAWS = 10_000


def render_monte_carlo(settings: Settings) -> None:
    """P(each target met) per year of the roadmap on screen, and P10/P50/P90 of its CO2 cut."""
    st.subheader(t("roadmap_mc_header"))
    mc = compute.roadmap_monte_carlo(settings, ROADMAP_DRAWS)
    names = target_names(settings)
    probabilities, co2 = monte_carlo_by_year(mc, names)
    st.dataframe(probabilities, **TABLE, key="roadmap_mc_probabilities",
                 column_config=probability_config(probabilities, t("col_target")))
    st.dataframe(co2, **TABLE, key="roadmap_mc_co2", column_config=number_config(*co2.columns[1:]))
    st.caption(t("roadmap_mc_caption", draws=num(mc.draws), seed=mc.seed))
    st.download_button(t("download_roadmap_mc"), compute.table_csv(monte_carlo_table(mc, names)), mime="text/csv",
                       file_name=f"roadmap_monte_carlo_{settings.dataset}_{language()}.csv",
                       key="download_roadmap_mc", on_click="ignore")


def render_result(settings: Settings, result: Any) -> None:
    if result.status == "optimal":
        st.success(t("roadmap_optimal", gap=pct(result.gap, 2)))
    else:
        st.warning(t("status_feasible", gap=pct(result.gap, 2)))
    render_kpis(result)
    schedule = compute.roadmap_schedule(settings, result.schedule)
    render_gantt(settings, result, schedule)
    render_charts(settings, result, schedule)
    render_cannot_fit(result)
    render_downloads(settings)
    render_monte_carlo(settings)


# --- no roadmap ----------------------------------------------------------------------------------------


def render_problems(problems: tuple[tuple[str, str], ...]) -> None:
    index = 1 if language() == "zh" else 0
    st.error(f"**{t('roadmap_settings_bad')}**\n\n" + "\n".join(f"- {p[index]}" for p in problems))


def render_diagnosis(settings: Settings) -> None:
    """Which target misses in which year, the earliest year each can be met, and the closest roadmap."""
    with st.spinner(t("diagnosing")):
        diagnosis = compute.roadmap_diagnosis(settings)
    names = target_names(settings)
    missed = diagnosis.get("missed") or []
    if missed:
        st.markdown(f"**{t('missed_header')}**")
        st.dataframe(pd.DataFrame([{
            t("col_target"): names.get(r["target_id"], r["target_id"]), t("col_year"): str(r["year"]),
            t("col_year_value"): "—" if r.get("value") is None else pct(r["value"]),
            t("col_required"): pct(r["required"]),
            t("col_note"): t("line_not_retired", line=r["facility_id"]) if "facility_id" in r else "",
        } for r in missed]), **TABLE)
    earliest = diagnosis.get("earliest") or []
    if earliest:
        st.markdown(f"**{t('earliest_header')}**")
        st.dataframe(pd.DataFrame([{
            t("col_target"): names.get(r["target_id"], r["target_id"]),
            t("col_deadline"): "—" if r["deadline"] is None else str(r["deadline"]),
            t("col_earliest"): str(r["earliest_year"]) if r["earliest_year"] is not None else t("not_in_horizon"),
        } for r in earliest]), **TABLE)
    reason = "reason_zh" if language() == "zh" else "reason_en"
    for row in diagnosis.get("unreachable") or []:
        st.warning(f"{names.get(row['target_id'], row['target_id'])}: {row[reason]}")
    closest = diagnosis.get("closest")
    if closest:
        st.markdown(f"**{t('roadmap_closest_header')}**")
        kpi_cards([(t("kpi_co2_cumulative"), num(closest["co2_cumulative_t"])),
                   (t("kpi_projects"), num(len(closest["schedule"]))),
                   (t("kpi_shortfall"), num(closest["total_shortfall"] * 100, 1))])
        schedule = compute.roadmap_schedule(settings, [
            {**r, "capex_by_year": {int(y): v for y, v in r["capex_by_year"].items()}} for r in closest["schedule"]])
        if not schedule.empty:
            st.vega_lite_chart(spec=charts.spec(charts.gantt_chart(schedule), charts.gantt_height(schedule)),
                               width="stretch")
            st.caption(year_counts(schedule))


def render_no_roadmap(settings: Settings, result: Any) -> None:
    if result.status == "infeasible":
        st.error(f"**{t('roadmap_infeasible')}**")
        render_cannot_fit(result)
        render_diagnosis(settings)
    else:
        st.error(t("status_other", status=result.status, message=result.message))


def previous(settings: Settings) -> tuple[Settings, Any] | None:
    kept = session.view(PREVIOUS_ROADMAP, None)
    if not kept:
        return None
    before, result = kept
    same_data = (before.dataset, before.dataset_version) == (settings.dataset, settings.dataset_version)
    return (before, result) if same_data and before != settings else None


def render_previous(settings: Settings, note: str) -> None:
    """The last roadmap, clearly marked as not the answer to the inputs on screen."""
    kept = previous(settings)
    if kept is None:
        return
    before, result = kept
    st.warning(note, icon="🕘")
    with st.container(border=True):
        render_kpis(result)
        schedule = compute.roadmap_schedule(before, result.schedule)
        if not schedule.empty:
            st.vega_lite_chart(spec=charts.spec(charts.gantt_chart(schedule), charts.gantt_height(schedule)),
                               width="stretch")


settings = session.settings()
st.title(t("page_roadmap"))
st.caption(t("roadmap_intro"))
render_inputs(settings)
render_excluded(settings)
st.header(t("results"))
slot = st.empty()
with slot.container():  # the last roadmap stays on screen, marked, while this one is solved
    render_previous(settings, t("previous_roadmap_solving"))
with st.spinner(t("roadmap_solving")):
    solved = compute.roadmap(settings)
slot.empty()
if solved.problems:
    render_problems(solved.problems)
    render_previous(settings, t("previous_roadmap"))
elif solved.result.has_roadmap:
    session.set_view(PREVIOUS_ROADMAP, (settings, solved.result))
    render_result(settings, solved.result)
else:
    render_no_roadmap(settings, solved.result)
    st.divider()
    render_previous(settings, t("previous_roadmap"))
