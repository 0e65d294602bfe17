"""Altair charts of the app; every title and axis label comes from ui.i18n."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from optimizer.program.kinds import kind_of

from . import compute
from .i18n import category_name, language, sector_name, t, target_name
from .settings import Settings

FONT = "Noto Sans CJK SC, sans-serif"
CHOSEN_COLOR = "#1f6f54"
OTHER_COLOR = "#c9d3cf"


def finish(chart: Any, height: int = 320) -> Any:
    """Common look: the CJK font everywhere, container width."""
    return (chart.properties(height=height, width="container")
            .configure(font=FONT)
            .configure_axis(labelFont=FONT, titleFont=FONT)
            .configure_legend(labelFont=FONT, titleFont=FONT)
            .configure_title(font=FONT))


def mac_curve(projects: pd.DataFrame) -> alt.Chart:
    """Projects sorted by tCO2 per 万元, one bar each, as wide as its CO2 cut; chosen ones highlighted.

    ``projects`` needs columns project_id, name, co2_t, capex, chosen (bool).
    """
    frame = projects[projects["co2_t"] > 0].copy()
    frame["ratio"] = np.where(frame["capex"] > 0, frame["co2_t"] / frame["capex"].where(frame["capex"] > 0), np.nan)
    top = frame["ratio"].max(skipna=True)
    frame["ratio"] = frame["ratio"].fillna(top if np.isfinite(top) else 0.0)
    frame = frame.sort_values("ratio", ascending=False, kind="stable")
    frame["x_end"] = frame["co2_t"].cumsum()
    frame["x_start"] = frame["x_end"] - frame["co2_t"]
    frame["status"] = np.where(frame["chosen"], t("chosen"), t("not_chosen"))
    return alt.Chart(frame).mark_rect(stroke="white", strokeWidth=0.2).encode(
        x=alt.X("x_start:Q", title=t("cum_co2")),
        x2="x_end:Q",
        y=alt.Y("ratio:Q", title=t("col_ratio")),
        y2=alt.datum(0),
        color=alt.Color("status:N", title="", scale=alt.Scale(domain=[t("chosen"), t("not_chosen")],
                                                              range=[CHOSEN_COLOR, OTHER_COLOR])),
        tooltip=[alt.Tooltip("project_id:N", title=t("col_id")), alt.Tooltip("name:N", title=t("col_name")),
                 alt.Tooltip("co2_t:Q", title=t("col_co2"), format=",.0f"),
                 alt.Tooltip("capex:Q", title=t("col_capex"), format=",.0f"),
                 alt.Tooltip("ratio:Q", title=t("col_ratio"), format=",.2f")],
    ).properties(title=t("mac_curve"))


def share_height(outcomes: Sequence[Any], after: bool = True) -> int:
    """Height for :func:`share_chart`: room for every share target's bars and its label."""
    shares = sum(1 for o in outcomes if kind_of(o["kind"] if isinstance(o, dict) else o.kind).is_share)
    return max(160, shares * (46 if after else 30) + 70)


def share_chart(outcomes: list[dict[str, Any]], after: bool = True) -> alt.LayerChart | alt.FacetChart | None:
    """Share targets: today (and after) as bars, the required share as a red tick."""
    rows = []
    for o in outcomes:
        if not kind_of(o["kind"]).is_share:
            continue
        label = target_name(o["name_en"], o["name_zh"], o["target_id"])
        pairs = ((t("col_before"), o["before"]), (t("col_after"), o["after"])) if after else \
            ((t("col_before"), o["before"]),)
        for series, value in pairs:
            if value is not None:
                rows.append({"target": label, "series": series, "share": value, "required": o["required"]})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    base = alt.Chart(frame)
    bars = base.mark_bar().encode(
        y=alt.Y("target:N", title="", sort=None, axis=alt.Axis(labelLimit=420, labelFontSize=13)),
        yOffset=alt.YOffset("series:N", sort=[t("col_before"), t("col_after")]),
        x=alt.X("share:Q", title=t("share"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=t("series"), sort=[t("col_before"), t("col_after")],
                        scale=alt.Scale(range=["#a7b8c9", CHOSEN_COLOR]), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("target:N", title=t("col_target")), alt.Tooltip("series:N", title=t("series")),
                 alt.Tooltip("share:Q", format=".1%", title=t("share")),
                 alt.Tooltip("required:Q", format=".0%", title=t("col_required"))],
    )
    required = base.transform_aggregate(required="max(required)", groupby=["target"]).mark_tick(
        color="#d62728", thickness=3, size=28).encode(
        y=alt.Y("target:N", sort=None), x="required:Q",
        tooltip=[alt.Tooltip("required:Q", format=".0%", title=t("col_required"))])
    return alt.layer(bars, required).properties(title=t("share_chart"))


def sector_chart(chosen: pd.DataFrame, value: str = "co2_t", title_key: str = "sector_chart",
                 axis_key: str = "col_co2") -> alt.Chart:
    """Stacked bars: ``value`` by sector, coloured by project category."""
    frame = chosen.assign(category=chosen["category"].map(category_name)).groupby(
        ["sector", "category"], as_index=False)[value].sum()
    frame["sector_label"] = frame["sector"].map(sector_name)
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("sector_label:N", title=t("col_sector"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{value}:Q", title=t(axis_key), axis=alt.Axis(format=",.0f")),
        color=alt.Color("category:N", title=t("col_category")),
        tooltip=[alt.Tooltip("sector_label:N", title=t("col_sector")),
                 alt.Tooltip("category:N", title=t("col_category")),
                 alt.Tooltip(f"{value}:Q", title=t(axis_key), format=",.0f")],
    ).properties(title=t(title_key))


def frontier_chart(table: pd.DataFrame, current_budget: float | None) -> alt.LayerChart | alt.FacetChart:
    """CO2 vs budget for the optimum and its comparators, with the current budget as a rule."""
    series = [("co2_t", "optimum", CHOSEN_COLOR), ("mac_co2_t", "mac_pick", "#e08a2c"),
              ("greedy_co2_t", "greedy_pick", "#7a5195")]
    series = [(column, t(key), color) for column, key, color in series if column in table]
    long = pd.concat([pd.DataFrame({"budget": table["budget"], "co2": table[column], "series": label})
                      for column, label, _ in series])
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("budget:Q", title=t("col_budget"), axis=alt.Axis(format=",.0f")),
        y=alt.Y("co2:Q", title=t("col_co2"), axis=alt.Axis(format=",.0f")),
        color=alt.Color("series:N", title="", scale=alt.Scale(domain=[label for _, label, _ in series],
                                                              range=[color for _, _, color in series]),
                        legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=0)),
        tooltip=[alt.Tooltip("series:N", title=t("series")),
                 alt.Tooltip("budget:Q", title=t("col_budget"), format=",.0f"),
                 alt.Tooltip("co2:Q", title=t("col_co2"), format=",.0f")],
    )
    layers = [lines]
    if current_budget is not None:
        rule = alt.Chart(pd.DataFrame({"budget": [current_budget], "label": [t("current_budget")]}))
        layers.append(rule.mark_rule(color="#d62728", strokeDash=[6, 4]).encode(
            x="budget:Q", tooltip=[alt.Tooltip("budget:Q", title=t("current_budget"), format=",.0f")]))
        layers.append(rule.mark_text(align="left", baseline="top", dx=4, color="#d62728").encode(
            x="budget:Q", y=alt.value(4), text="label:N"))
    return alt.layer(*layers).properties(title=t("frontier_chart"))


# --- cached chart specs: built once per question and language, not on every rerun -------------------


def _spec(chart: Any, height: int) -> dict[str, Any]:
    spec: dict[str, Any] = finish(chart, height).to_dict()
    return spec


@st.cache_data(show_spinner=False, max_entries=64)
def _optimize_specs(path: str, settings: Settings, lang: str) -> list[dict[str, Any]]:
    result = compute.solve(settings).result
    projects = compute.projects_with_co2(settings).assign(chosen=result.chosen)
    specs = [_spec(mac_curve(projects), 340)]
    share = share_chart([o.to_dict() for o in result.targets])
    if share is not None:  # full width: target names are long, a half-width chart squeezes the bars
        specs.append(_spec(share, share_height(result.targets)))
    if result.chosen.any():
        specs.append(_spec(sector_chart(projects[projects["chosen"]]), 300))
    return specs


def optimize_specs(settings: Settings) -> list[dict[str, Any]]:
    """The Optimize page's charts for the question on screen (MAC curve, targets, sectors) as Vega-Lite specs."""
    return _optimize_specs(compute.store_path(), settings, language())


@st.cache_data(show_spinner=False, max_entries=32)
def _overview_specs(path: str, settings: Settings, lang: str) -> dict[str, dict[str, Any] | None]:
    outcomes = compute.today(settings)
    projects = compute.projects_with_co2(settings)
    share = share_chart([o.to_dict() for o in outcomes], after=False)
    return {
        "share": _spec(share, share_height(outcomes, after=False)) if share is not None else None,
        "co2": _spec(sector_chart(projects, "co2_t", "potential_co2", "col_co2"), 320),
        "capex": _spec(sector_chart(projects, "capex", "potential_capex", "col_capex"), 320),
    }


def overview_specs(settings: Settings) -> dict[str, dict[str, Any] | None]:
    """The Overview page's charts (targets today, potential by sector) as Vega-Lite specs."""
    return _overview_specs(compute.store_path(), settings, language())


# --- the roadmap ------------------------------------------------------------------------

SECTOR_SCHEME: Any = "tableau10"


def gantt_chart(schedule: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Projects by facility and year: a bar from the start of build to the in-service year, a diamond at it.

    ``schedule`` is :func:`ui.compute.roadmap_schedule`'s table. Projects of one facility sit side
    by side in its row (``slot``); bars are coloured by sector, labelled in the chosen language.
    """
    frame = schedule.drop(columns=["capex_by_year"], errors="ignore")
    frame["sector_label"] = frame["sector"].map(sector_name)
    frame["slot"] = frame.groupby("facility_id").cumcount()
    frame["label"] = frame["facility_name"].astype(str)
    frame["build_start"] = frame["start_year"].astype(float)
    frame["build_end"] = frame["in_service_year"].astype(float)
    frame["service_end"] = frame["in_service_year"].astype(float) + 0.95
    order = frame.sort_values(["in_service_year", "facility_id"])["label"].drop_duplicates().tolist()
    y = alt.Y("label:N", title=t("col_facility"), sort=order, axis=alt.Axis(labelLimit=220))
    tooltip = [alt.Tooltip("project_id:N", title=t("col_id")), alt.Tooltip("name:N", title=t("col_name")),
               alt.Tooltip("label:N", title=t("col_facility")),
               alt.Tooltip("sector_label:N", title=t("col_sector")),
               alt.Tooltip("start_year:Q", title=t("col_start_year"), format="d"),
               alt.Tooltip("in_service_year:Q", title=t("col_in_service"), format="d"),
               alt.Tooltip("capex:Q", title=t("col_capex"), format=",.0f"),
               alt.Tooltip("co2_t:Q", title=t("col_co2"), format=",.0f")]
    color = alt.Color("sector_label:N", title=t("col_sector"), scale=alt.Scale(scheme=SECTOR_SCHEME),
                      legend=alt.Legend(orient="top"))
    base = alt.Chart(frame).encode(y=y, yOffset=alt.YOffset("slot:N"), tooltip=tooltip)
    years = sorted({*frame["start_year"].astype(int), *frame["in_service_year"].astype(int)}) or [0]
    x_scale = alt.Scale(domain=[min(years), max(years) + 1], nice=False)
    x = alt.X("build_start:Q", title=t("col_year"), scale=x_scale,
              axis=alt.Axis(format="d", tickMinStep=1, values=list(range(min(years), max(years) + 2))))
    build = base.mark_bar(opacity=0.45, height={"band": 0.9}).encode(x=x, x2="build_end:Q", color=color)
    service = base.mark_bar(height={"band": 0.9}).encode(x=alt.X("build_end:Q"), x2="service_end:Q", color=color)
    return alt.layer(build, service).properties(title=t("gantt_chart"))


def gantt_height(schedule: pd.DataFrame) -> int:
    """Room for every facility's row, each as tall as its projects side by side need (at most 2,400 px)."""
    if schedule.empty:
        return 220
    rows = schedule["facility_id"].nunique()
    slots = int(schedule.groupby("facility_id").size().max())
    return int(min(2400, max(220, rows * (14 + 7 * slots) + 90)))


def spend_chart(spend: dict[int, float], budget: dict[int, float] | None) -> alt.LayerChart | alt.FacetChart:
    """Spend per year as bars, each year's budget as a red tick."""
    frame = pd.DataFrame({"year": [str(y) for y in spend], "spend": list(spend.values()),
                          "budget": [None if budget is None else budget.get(y) for y in spend]})
    base = alt.Chart(frame).encode(x=alt.X("year:O", title=t("col_year"), axis=alt.Axis(labelAngle=0)))
    tooltip = [alt.Tooltip("year:O", title=t("col_year")),
               alt.Tooltip("spend:Q", title=t("col_spend"), format=",.0f"),
               alt.Tooltip("budget:Q", title=t("col_budget"), format=",.0f")]
    bars = base.mark_bar(color=CHOSEN_COLOR).encode(
        y=alt.Y("spend:Q", title=t("col_spend"), axis=alt.Axis(format=",.0f")), tooltip=tooltip)
    ticks = base.mark_tick(color="#d62728", thickness=3, size=40).encode(y="budget:Q", tooltip=tooltip)
    return alt.layer(bars, ticks).properties(title=t("spend_chart"))


def targets_by_year_chart(rows: list[dict[str, Any]],
                          names: dict[str, str]) -> alt.LayerChart | alt.FacetChart | None:
    """One line per share target over the years, its required level dashed, its deadline as a rule."""
    frame = pd.DataFrame([r for r in rows if kind_of(r["kind"]).is_share])
    if frame.empty:
        return None
    frame["target"] = frame["target_id"].map(names).fillna(frame["target_id"])
    frame["year_text"] = frame["year"].astype(str)
    frame["met_text"] = frame["met"].map({True: t("yes"), False: t("no")})
    color = alt.Color("target:N", title=t("col_target"), legend=alt.Legend(orient="bottom", columns=1,
                                                                            labelLimit=600))
    tooltip = [alt.Tooltip("target:N", title=t("col_target")), alt.Tooltip("year:O", title=t("col_year")),
               alt.Tooltip("value:Q", title=t("col_after"), format=".1%"),
               alt.Tooltip("required:Q", title=t("col_required"), format=".1%"),
               alt.Tooltip("met_text:N", title=t("col_met"))]
    base = alt.Chart(frame)
    x = alt.X("year:O", title=t("col_year"), axis=alt.Axis(labelAngle=0))
    lines = base.mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title=t("share"), axis=alt.Axis(format="%")), color=color, tooltip=tooltip)
    required = base.mark_line(strokeDash=[5, 4], opacity=0.8).encode(x=x, y="required:Q", color=color,
                                                                     tooltip=tooltip)
    deadlines = frame.dropna(subset=["deadline"]).drop_duplicates("target_id")
    deadlines = deadlines.assign(deadline_year=deadlines["deadline"].astype(int))
    rule = alt.Chart(deadlines).mark_point(shape="triangle-down", size=160, filled=True, opacity=1).encode(
        x=alt.X("deadline_year:O"), y="required:Q", color=color,
        tooltip=[alt.Tooltip("target:N", title=t("col_target")),
                 alt.Tooltip("deadline_year:O", title=t("col_deadline")),
                 alt.Tooltip("required:Q", title=t("col_required"), format=".1%")])
    return alt.layer(required, lines, rule).properties(title=t("targets_by_year_chart"))


def co2_by_sector_chart(schedule: pd.DataFrame, years: list[int]) -> alt.Chart:
    """CO2 cut in each year of the horizon, stacked by sector (a project counts from its in-service year)."""
    rows = []
    for year in years:
        running = schedule[schedule["in_service_year"] <= year]
        for sector, co2 in running.groupby("sector")["co2_t"].sum().items():
            rows.append({"year": str(year), "sector_label": sector_name(str(sector)), "co2_t": float(co2)})
    frame = pd.DataFrame(rows, columns=["year", "sector_label", "co2_t"])
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("year:O", title=t("col_year"), axis=alt.Axis(labelAngle=0), sort=[str(y) for y in years]),
        y=alt.Y("co2_t:Q", title=t("col_co2"), axis=alt.Axis(format=",.0f")),
        color=alt.Color("sector_label:N", title=t("col_sector"), scale=alt.Scale(scheme=SECTOR_SCHEME)),
        tooltip=[alt.Tooltip("year:O", title=t("col_year")), alt.Tooltip("sector_label:N", title=t("col_sector")),
                 alt.Tooltip("co2_t:Q", title=t("col_co2"), format=",.0f")],
    ).properties(title=t("co2_by_year_chart"))


def spec(chart: Any, height: int) -> dict[str, Any]:
    """A chart as a Vega-Lite spec with the app's common look."""
    return _spec(chart, height)
