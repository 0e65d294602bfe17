"""Altair charts of the app; every title and axis label comes from ui.i18n."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from optimizer.target_kinds import kind_of

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
