"""Alternatives: near-optimal portfolios, what to cut first, and how sure the portfolio is to meet the targets.

Everything here answers the question on screen (the Optimize page's budget and targets). The
count, the slack and the draws are page settings; the projects excluded with one click are part of
the question (``Settings.excluded``: the link, scenarios and workbooks carry them), and the
alternatives leave them out. Every section has its download.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import compute, session
from ui.i18n import language, num, pct, t, target_name
from ui.settings import Settings
from ui.views import TABLE, kpi_cards, monte_carlo_table, number_config, render_excluded

LABEL_ORDER = {"must_have": 0, "swappable": 1, "never": 2}


def persisted(key: str, default: Any) -> None:
    """A page widget's value survives a visit to another page (kept in the session's view state)."""
    if key not in st.session_state:
        st.session_state[key] = session.view(key, default)


def render_inputs() -> tuple[int, float]:
    persisted("alt_count", 5)
    persisted("alt_slack", 2.0)
    left, right = st.columns(2)
    left.number_input(t("alt_count"), min_value=2, max_value=10, step=1, key="alt_count",
                      on_change=session.keep_view, args=("alt_count",))
    right.number_input(t("alt_slack"), min_value=0.0, max_value=20.0, step=0.5, format="%.1f", key="alt_slack",
                       on_change=session.keep_view, args=("alt_slack",), help=t("alt_slack_help"))
    return int(st.session_state["alt_count"]), float(st.session_state["alt_slack"]) / 100


def matrix_table(settings: Settings, result: Any) -> pd.DataFrame:
    """Projects chosen in any alternative × alternatives (✓), with the label, name and facility."""
    data = compute.dataset(settings)
    chosen = [set(a.selected) for a in result.alternatives]
    ids = sorted({p for s in chosen for p in s}, key=lambda p: (LABEL_ORDER.get(result.labels.get(p, ""), 3), p))
    rows = []
    for pid in ids:
        row = {"project_id": pid, "name": data.projects.at[pid, "name"] if "name" in data.projects else "",
               "facility_id": data.projects.at[pid, "facility_id"],
               "label": t(f"label_{result.labels.get(pid, 'never')}")}
        for i, selected in enumerate(chosen, start=1):
            row[t("alt_name", i=i)] = "✓" if pid in selected else ""
        rows.append(row)
    return pd.DataFrame(rows)


def summary_table(result: Any) -> pd.DataFrame:
    best = result.alternatives[0].co2_reduction_t if result.alternatives else 0.0
    return pd.DataFrame([{
        t("col_alternative"): t("alt_name", i=i), t("col_co2"): round(a.co2_reduction_t),
        t("col_capex"): round(a.spend),
        t("col_vs_best"): pct((a.co2_reduction_t - best) / best, 2) if best else "—",
        t("col_projects"): len(a.selected), t("col_distance"): a.distance,
    } for i, a in enumerate(result.alternatives, start=1)])


def _exclude_from_editor(key: str, ids: list[str]) -> None:
    """The matrix's ``on_change``: a ticked "exclude" box leaves that project out, and the page re-solves."""
    settings = session.settings()
    edits = st.session_state[key].get("edited_rows", {})
    chosen = [ids[int(index)] for index, cells in edits.items() if cells.get("exclude")]
    if chosen:
        session.set_excluded(settings, (*session.excluded(settings), *chosen))


def render_alternatives(settings: Settings, count: int, slack: float) -> Any:
    with st.spinner(t("alt_solving")):
        result = compute.alternatives(settings, count, slack)  # without the question's excluded projects
    if not result.alternatives:
        st.error(t("alt_none", status=result.status))
        return None
    labels = list(result.labels.values())
    kpi_cards([(t("label_must_have"), num(labels.count("must_have"))),
               (t("label_swappable"), num(labels.count("swappable"))),
               (t("alt_found"), num(len(result.alternatives)))])
    st.dataframe(summary_table(result), **TABLE, column_config=number_config(t("col_co2"), t("col_capex")))
    if result.message:
        st.caption(t("alt_message", message=result.message))
    st.subheader(t("alt_matrix"))
    st.caption(t("exclude_help"))
    matrix = matrix_table(settings, result)
    shown = matrix.assign(exclude=False)
    shown = shown[["exclude", *matrix.columns]]
    key = f"alt_matrix_{abs(hash((settings, count, slack))) % 10**12}"  # the settings carry the exclusions
    st.data_editor(shown, key=key, **TABLE, num_rows="fixed", disabled=list(matrix.columns),
                   on_change=_exclude_from_editor, args=(key, list(matrix["project_id"])),
                   column_config={
                       "exclude": st.column_config.CheckboxColumn(t("col_exclude"), width="small"),
                       "project_id": st.column_config.TextColumn(t("col_id")),
                       "name": st.column_config.TextColumn(t("col_name")),
                       "facility_id": st.column_config.TextColumn(t("col_facility")),
                       "label": st.column_config.TextColumn(t("col_label")),
                   })
    never = sum(1 for v in labels if v == "never")
    st.caption(t("never_count", n=never))
    # The workbook is built now (small), and a click does not rerun the page: a deferred file can be swept
    # away by another session's run before the browser fetches it (see SECURITY.md, the soak).
    workbook = compute.alternatives_xlsx(settings, matrix, summary_table(result))
    st.download_button(t("download_alternatives"), workbook, on_click="ignore",
                       file_name=f"alternatives_{settings.dataset}.xlsx", key="download_alternatives",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return result


def render_cut_first(settings: Settings) -> None:
    st.subheader(t("cut_first_header"))
    with st.spinner(t("alt_solving")):
        cut = compute.cut_first(settings)
    st.info(t("cut_nested") if cut.all_nested else t("cut_not_nested"))
    table = pd.DataFrame([{
        t("col_cut"): f"−{level.cut:.0%}" if level.cut else "0%", t("col_budget"): round(level.budget),
        t("col_co2"): round(level.co2_reduction_t),
        t("col_nested"): t("yes_plain") if level.nested else t("no_plain"),
        t("col_leaves"): "、".join(level.leaves) or "—", t("col_enters"): "、".join(level.enters) or "—",
    } for level in cut.levels])
    # A static table: the lists of projects that leave or enter wrap instead of running off the screen.
    shown = table.assign(**{column: table[column].map(num) for column in (t("col_budget"), t("col_co2"))})
    st.table(shown.set_index(t("col_cut")))
    st.download_button(t("download_cut_first"), compute.table_csv(table), mime="text/csv",
                       file_name=f"cut_first_{settings.dataset}_{language()}.csv", key="download_cut_first",
                       on_click="ignore")


def render_monte_carlo(settings: Settings) -> None:
    st.subheader(t("mc_header"))
    persisted("mc_draws", 10_000)
    st.columns([1, 3])[0].number_input(t("mc_draws"), min_value=1_000, max_value=100_000, step=1_000, key="mc_draws",
                                       on_change=session.keep_view, args=("mc_draws",))
    solved = compute.solve(settings)
    if not solved.result.has_portfolio:
        st.info(t("mc_no_portfolio"))
        return
    draws = int(st.session_state["mc_draws"])
    with st.spinner("…"):
        mc = compute.monte_carlo(settings, draws, 0)
    quantiles = mc.co2_quantiles[0]
    kpi_cards([(t("kpi_p_all"), pct(mc.all_met_probability[0])), (t("kpi_p10"), num(quantiles["p10"])),
               (t("kpi_p50"), num(quantiles["p50"])), (t("kpi_p90"), num(quantiles["p90"]))], per_row=4)
    names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}
    st.dataframe(pd.DataFrame([{t("col_target"): names.get(tid, tid), t("col_p_met"): pct(p[0])}
                               for tid, p in mc.met_probability.items()]), **TABLE)
    st.caption(t("mc_caption", draws=num(mc.draws), seed=mc.seed))
    st.download_button(t("download_monte_carlo"), compute.table_csv(monte_carlo_table(mc, names)),
                       mime="text/csv", file_name=f"monte_carlo_{settings.dataset}_{language()}.csv",
                       key="download_monte_carlo", on_click="ignore")


def render_robust(settings: Settings) -> None:
    st.subheader(t("robust_header"))
    persisted("robust_percent", 90)
    st.slider(t("robust_probability"), min_value=5, max_value=99, step=1, format="%d%%", key="robust_percent",
              on_change=session.keep_view, args=("robust_percent",))
    probability = int(st.session_state["robust_percent"]) / 100
    if st.button(t("robust_button"), key="robust_button", help=t("robust_help")):
        session.set_view("robust_for", (settings, probability))
    if session.view("robust_for", None) != (settings, probability):
        return
    with st.spinner(t("robust_solving")):
        robust = compute.robust(settings, probability)
    if not robust.has_portfolio:
        if robust.reach is None:
            st.error(t("robust_none", status=robust.status))
            return
        render_reach(settings, robust.reach)
        if not robust.reach.within_budget:
            return
        with st.spinner(t("robust_solving")):
            robust = compute.robust(settings, robust.reach.within_budget)
        if not robust.has_portfolio:  # (the reach was solved on the same scenarios: not expected)
            st.error(t("robust_none", status=robust.status))
            return
    kpi_cards([
        (t("kpi_robust_co2"), num(robust.co2_reduction_t)),
        (t("kpi_det_co2"), num(robust.deterministic_co2_t)),
        (t("kpi_price_confidence"), num(robust.price_of_confidence_t)),
        (t("kpi_in_sample"), pct(robust.in_sample_probability)),
        (t("kpi_out_sample"), pct(robust.out_of_sample_probability)),
        (t("kpi_det_out_sample"), pct(robust.deterministic_out_of_sample_probability)),
    ])
    st.caption(t("robust_caption", scenarios=robust.scenarios, seed=robust.seed))
    st.download_button(t("download_robust"), robust_workbook(settings, robust),
                       file_name=f"robust_{settings.dataset}_{language()}.xlsx", key="download_robust",
                       on_click="ignore", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def render_reach(settings: Settings, reach: Any) -> None:
    """Why no portfolio reaches the probability asked for: how far one gets, what it would cost, what caps it."""
    lines = [t("robust_unreachable", p=pct(reach.probability, 0))]
    if reach.within_budget:
        lines.append(t("robust_reach_budget", budget=num(settings.budget), within=pct(reach.within_budget, 0),
                       anywhere=pct(reach.any_budget, 0)))
    else:
        lines.append(t("robust_nothing"))
    if reach.budget_needed is not None:
        lines.append(t("robust_budget_needed", p=pct(reach.probability, 0), budget=num(reach.budget_needed)))
    names = {tg.target_id: target_name(tg.name_en, tg.name_zh, tg.target_id) for tg in compute.targets(settings)}
    for target_id in reach.limiting_targets:
        lines.append(t("robust_limiting", target=names.get(target_id, target_id),
                       p=pct(reach.per_target[target_id], 0)))
    if reach.within_budget:
        lines.append(t("robust_fallback", p=pct(reach.within_budget, 0)))
    st.warning("\n\n".join(lines))


def robust_workbook(settings: Settings, robust: Any) -> bytes:
    """The robust pick's figures and its projects (marked when the deterministic optimum has them too)."""
    figures = [
        (t("robust_probability"), robust.probability), (t("kpi_robust_co2"), robust.co2_reduction_t),
        (t("col_capex"), robust.spend), (t("kpi_det_co2"), robust.deterministic_co2_t),
        (t("kpi_price_confidence"), robust.price_of_confidence_t),
        (t("kpi_in_sample"), robust.in_sample_probability), (t("kpi_out_sample"), robust.out_of_sample_probability),
        (t("kpi_det_out_sample"), robust.deterministic_out_of_sample_probability),
        ("scenarios", robust.scenarios), ("seed", robust.seed), ("status", robust.status),
    ]
    summary = pd.DataFrame(figures, columns=[t("col_figure"), t("col_figure_value")])
    data = compute.dataset(settings)
    projects = compute.projects_with_co2(settings).set_index("project_id")
    deterministic = set(robust.deterministic_selected)
    picked = pd.DataFrame([{
        t("col_id"): pid, t("col_name"): data.projects.at[pid, "name"] if "name" in data.projects else "",
        t("col_facility"): projects.at[pid, "facility_id"], t("col_capex"): float(projects.at[pid, "capex"]),
        t("col_co2"): round(float(projects.at[pid, "co2_t"])),
        t("col_in_deterministic"): t("yes_plain") if pid in deterministic else t("no_plain"),
    } for pid in robust.selected])
    return compute.tables_xlsx(settings, {"robust": summary, "projects": picked})


settings = session.settings()
st.title(t("page_alternatives"))
st.caption(t("alternatives_intro", budget=num(settings.budget)))
count, slack = render_inputs()
render_excluded(settings)
render_alternatives(settings, count, slack)
render_cut_first(settings)
render_monte_carlo(settings)
render_robust(settings)
