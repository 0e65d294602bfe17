"""Small render functions the pages share: notices, KPI cards, target tables, upload problems.

Every text comes from :mod:`ui.i18n`; every number is formatted here; a target's kind is read
from the library's one table (``compute.kind``), never tested by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from optimizer.data.problems import MESSAGES, Problem, where_text
from optimizer.data.schema import TABLES

from . import compute
from .i18n import escape_markdown, field_name, language, t, target_name
from .settings import Notice, Settings

#: Columns whose text in a number cell already explains a row that seems to give no saving.
SAVING_COLUMNS = ("co2_reduction", "energy_saving_tce", "electricity_saving_mwh")
#: What a table shows for a missing value (Streamlit's own default is the word None).
BLANK = "—"
#: Keyword arguments of every table the pages show: no index, the blank placeholder, full width.
TABLE: dict[str, Any] = {"hide_index": True, "placeholder": BLANK, "width": "stretch"}


def show_notices(notices: Sequence[Notice]) -> None:
    """What a link, a scenario or a dataset switch changed, once, at the top of the page."""
    for notice in notices:
        values = notice.kwargs()
        if "field" in values:
            values["field"] = field_name(values["field"])
        st.warning(t(notice.code, **values), icon="ℹ️")


def render_excluded(settings: Settings) -> None:
    """The projects the analyst excluded (every solve leaves them out), with a button to bring them all back."""
    from . import session

    excluded = session.excluded(settings)
    if not excluded:
        return
    left, right = st.columns([4, 1])
    left.info(t("excluded_list", projects="、".join(excluded)))  # t() escapes the ids for markdown
    right.button(t("restore_all"), key="restore_all", on_click=session.set_excluded, args=(settings, ()))


def kpi_cards(items: Sequence[tuple[str, str]], per_row: int = 3) -> None:
    """Figures as metric cards, ``per_row`` to a row, so every value shows whole on a laptop screen."""
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        for column, (label, value) in zip(columns, items[start:start + per_row]):
            column.metric(label, value)


def kind_label(kind: str) -> str:
    return compute.kind(kind).label(language())


def target_verdict(outcome: Any) -> str:
    """Met or not in the year judged, "overdue" where the plan's date has passed (a TargetOutcome or its dict)."""
    from optimizer.program.targets import TargetOutcome, verdict

    if isinstance(outcome, Mapping):
        fields = {k: outcome[k] for k in TargetOutcome.__dataclass_fields__ if k in outcome}
        if "value" in outcome and "after" not in fields:  # a roadmap's row
            fields["after"] = outcome["value"]
        outcome = TargetOutcome(**{"before": None, "after": None, "name_en": "", "name_zh": "", **fields})
    return verdict(outcome, language())


def target_rows(outcomes: Iterable[Any], after: bool = True, with_kind: bool = True) -> pd.DataFrame:
    """Targets (TargetOutcome or its dict) as rows: name, (kind,) today, (after,) required, met."""
    rows = []
    for o in outcomes:
        get = o.get if isinstance(o, Mapping) else lambda key, o=o: getattr(o, key)
        kind = compute.kind(str(get("kind")))
        row = {t("col_target"): target_name(get("name_en") or "", get("name_zh") or "", str(get("target_id")))}
        if with_kind:
            row[t("col_kind")] = kind.label(language())
        row[t("col_before")] = kind.format(get("before"))
        if after:
            row[t("col_after")] = kind.format(get("after"))
        row[t("col_required")] = kind.format(get("required"), 0)
        row[t("col_met")] = target_verdict(o)
        rows.append(row)
    return pd.DataFrame(rows)


# --- upload and edit problems, in the user's own words ----------------------------------------------


def problem_texts(problems: Sequence[Problem], headers: Mapping[str, Mapping[str, str]] | None = None,
                  lang: str | None = None) -> list[str]:
    """Each problem as one line in one language, naming the column as the user wrote its header.

    ``headers`` maps a file to ``{contract column: the user's header}``; a column the file does not
    have is named by its Chinese alias in Chinese, by its contract name in English. A row whose
    saving column holds text is not told a second time that it "gives no saving".
    """
    lang = lang or language()
    headers = headers or {}
    explained = {(p.file, p.row) for p in problems if p.column in SAVING_COLUMNS and p.code != "no_saving"}
    out = []
    for p in problems:
        if p.code == "no_saving" and (p.file, p.row) in explained:
            continue
        shown = p.header or _column_label(p.column, headers.get(p.file, {}), lang)
        where = where_text(p.file, p.row, shown, lang)  # type: ignore[arg-type]
        body = _body(p, headers.get(p.file, {}), lang)
        out.append(f"{where}{'：' if lang == 'zh' else ': '}{body}" if where else body)
    return out


def _column_label(column: str, own: Mapping[str, str], lang: str) -> str:
    if not column:
        return ""
    if column in own:
        return own[column]
    for spec in TABLES.values():
        if column in spec.names:
            return spec.column(column).alias_zh if lang == "zh" else column
    return column


def _body(p: Problem, own: Mapping[str, str], lang: str) -> str:
    details = dict(p.details)
    if "column" in details and p.code != "missing_column":
        details["column"] = _column_label(str(details["column"]), own, lang)
    suggestion = str(details.get("suggestion") or "")
    match = re.search(r"did you mean '(.+?)'", suggestion)
    if match:
        guess = match.group(1)
        details["suggestion"] = f"；是否为“{guess}”？" if lang == "zh" else f"; did you mean '{guess}'?"
    if p.code == "missing_column" and lang == "zh":
        return f"缺少必填列“{details['alias']}”{details.get('suggestion', '')}"
    if p.code == "no_saving":
        names = "、".join(_column_label(c, own, lang) for c in SAVING_COLUMNS) if lang == "zh" else \
            ", ".join(_column_label(c, own, lang) for c in SAVING_COLUMNS)
        return (f"{names}均未填写；请至少填写一项" if lang == "zh" else f"gives none of {names}; fill at least one")
    return MESSAGES[p.code][lang].format(**details)


def show_problems(problems: Sequence[Problem], headers: Mapping[str, Mapping[str, str]] | None = None) -> None:
    texts = problem_texts(problems, headers)
    st.error(t("upload_failed", n=len(texts)) + "\n\n" + "\n".join(f"- {escape_markdown(x)}" for x in texts))


def number_config(*labels: str) -> dict[str, Any]:
    """Localised number columns for st.dataframe."""
    return {label: st.column_config.NumberColumn(format="localized") for label in labels}


def no_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank text cells as '—', never the word None."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).where(out[column].notna(), "—")
    return out



def monte_carlo_table(mc: Any, names: Mapping[str, str]) -> pd.DataFrame:
    """A Monte Carlo result as one row per year: P(every target met), P(each target met), CO2 P10/P50/P90.

    Probabilities are shares (0-1), CO2 in whole t/yr; ``names`` maps target ids to the names shown. A
    portfolio's one column (no year) is labelled "all in service".
    """
    rows = []
    for i, year in enumerate(mc.years):
        row: dict[str, Any] = {t("col_year"): t("mc_whole_portfolio") if year is None else str(year),
                               t("col_p_all"): round(mc.all_met_probability[i], 4)}
        for target_id, probabilities in mc.met_probability.items():
            row[names.get(target_id, target_id)] = round(probabilities[i], 4)
        quantiles = mc.co2_quantiles[i]
        row.update({t("col_p10"): round(quantiles["p10"]), t("col_p50"): round(quantiles["p50"]),
                    t("col_p90"): round(quantiles["p90"])})
        rows.append(row)
    return pd.DataFrame(rows)


def monte_carlo_by_year(mc: Any, names: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same figures read across the years: P(met) rows (every target, then each) and CO2 rows (P10/P50/P90).

    Years are the columns, so a long horizon stays narrower than long target names would.
    """
    years = [t("mc_whole_portfolio") if y is None else str(y) for y in mc.years]
    probabilities = [{t("col_target"): t("col_p_all"), **dict(zip(years, mc.all_met_probability))}]
    probabilities += [{t("col_target"): names.get(target_id, target_id), **dict(zip(years, values))}
                      for target_id, values in mc.met_probability.items()]
    co2 = [{t("col_figure"): t(f"col_{q}"), **{y: round(quantiles[q]) for y, quantiles in zip(years, mc.co2_quantiles)}}
           for q in ("p10", "p50", "p90")]
    return pd.DataFrame(probabilities), pd.DataFrame(co2)


def probability_config(frame: pd.DataFrame, *skip: str) -> dict[str, Any]:
    """Show every share column of ``frame`` (all but ``skip``) as a percentage with one decimal."""
    return {column: st.column_config.NumberColumn(format="percent") for column in frame.columns
            if column not in skip}
