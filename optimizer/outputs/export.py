"""Writing what analysts take away: the portfolio, the dataset, a blank template.

Workbooks are written with xlsxwriter: headers in the user's language with
their units (``投资（万元）`` / ``capex (万元)``; the import reads both back),
numbers as numbers with thousands separators, a frozen header row, widths fit
to the content, and a ``run_record`` sheet in every workbook
(:mod:`optimizer.outputs.record`).

A portfolio workbook also carries the data it was solved on, as sheets
``data_facilities``, ``data_projects``, ``data_products`` and ``data_targets``
(the dataset workbook's tables under a prefix, so they never mix with the
result's own ``targets`` sheet): ``python -m optimizer rerun book.xlsx``
solves again from it alone.

Every text cell that a spreadsheet could run as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) is written as a string
with a leading apostrophe; :func:`~optimizer.schema.unescape_cell` undoes it
on import, so a dataset written here reads back identical. The portfolio CSV
opens with the run record as ``# `` comment lines: read it back with
``pandas.read_csv(..., comment='#')`` (text cells are quoted, so a ``#``
inside a name is kept).
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.data.canonical import contract_tables, data_hash
from optimizer.data.dataset import Dataset, EmissionFactors
from optimizer.data.economics import DEFAULT_DISCOUNT_RATE, portfolio_economics, project_economics
from optimizer.data.instance import Instance
from optimizer.data.schema import FACILITIES, PRODUCTS, PROJECTS, TARGETS, TableSpec, escape_cell, unescape_cell
from optimizer.outputs.record import RunRecord, is_illustrative, make_record, product_version
from optimizer.program.kinds import kind_of
from optimizer.program.targets import verdict
from optimizer.solving.solve import PortfolioResult, SolverSettings

if TYPE_CHECKING:  # xlsxwriter ships no type information: this is for the reader
    from xlsxwriter.worksheet import Worksheet

__all__ = [
    "COMPUTED_HEADERS", "assumptions_table", "dataset_tables", "dataset_workbook", "dataset_zip", "header",
    "is_illustrative", "portfolio_csv", "portfolio_table", "portfolio_workbook", "sources_table", "summary_table",
    "targets_table", "template_workbook", "DATA_SHEET_PREFIX",
]

#: Prefix of the sheets of a portfolio workbook that carry the data it was solved on.
DATA_SHEET_PREFIX = "data_"
#: Workbook sheets by name: the table, and the contract it follows (None: a report table).
Sheets = dict[str, tuple[pd.DataFrame, TableSpec | None]]

ILLUSTRATIVE_NOTE = ("ILLUSTRATIVE sample data: invented plants and projects, not real Fuzhou data / "
                     "示例数据：设施与项目均为虚构，不是福州实际数据")

#: Units of the contract's fixed-unit columns: (English, Chinese).
UNITS: dict[str, tuple[str, str]] = {
    "capex": ("万元", "万元"),
    "co2_reduction": ("tCO2/yr", "吨CO2/年"), "co2_low": ("tCO2/yr", "吨CO2/年"), "co2_high": ("tCO2/yr", "吨CO2/年"),
    "energy_saving_tce": ("tce/yr", "吨标准煤/年"),
    "electricity_saving_mwh": ("MWh/yr", "兆瓦时/年"),
    "annual_saving": ("万元/yr", "万元/年"),
    "lifetime_years": ("years", "年"), "lead_time_years": ("years", "年"),
    "capacity": ("unit/yr", "单位/年"),
    "energy_intensity": ("kgce/unit", "千克标准煤/单位产品"),
    "energy_intensity_after": ("kgce/unit", "千克标准煤/单位产品"),
}

#: Computed and result columns: key -> (English name, Chinese name, English unit, Chinese unit).
COMPUTED: dict[str, tuple[str, str, str, str]] = {
    "co2_t": ("co2_cut", "核算减排量", "tCO2/yr", "吨CO2/年"),
    "annualised_capex_wan": ("annualised_capex", "年化投资", "万元/yr", "万元/年"),
    "abatement_cost_cny_per_t": ("abatement_cost", "减排成本", "CNY/tCO2", "元/吨CO2"),
    "payback_years": ("payback", "投资回收期", "years", "年"),
    "facility_name": ("facility_name", "设施名称", "", ""),
    "facility_sector": ("facility_sector", "所属行业", "", ""),
    "facility_product": ("facility_product", "设施产品", "", ""),
}

#: English headers of the computed columns, as the CSV has always written them.
COMPUTED_HEADERS = {key: f"{en} ({unit})" for key, (en, _, unit, _) in COMPUTED.items() if unit}

#: Headers of the report tables (summary, targets, assumptions, sources, run record): key -> (en, zh).
LABELS: dict[str, tuple[str, str]] = {
    "item": ("item", "item"), "label": ("indicator", "指标"), "value": ("value", "数值"), "unit": ("unit", "单位"),
    "target_id": ("target_id", "目标编号"), "name": ("name", "名称"), "kind": ("kind", "类型"),
    "before": ("before", "现状"), "after": ("after", "实施后"), "required": ("required", "要求"),
    "met": ("met", "是否达标"), "id": ("id", "编号"), "source": ("source", "来源"),
    "year": ("year judged", "考核年份"), "due": ("due", "原定年份"), "overdue": ("overdue", "已逾期"),
    "binding": ("binding", "是否考核"),
    "name_en": ("name_en", "英文名称"), "name_zh": ("name_zh", "中文名称"),
    "rows": ("rows", "行数"), "table": ("table", "表"), "field": ("field", "字段"), "meaning": ("meaning", "说明"),
}

#: Summary rows: key -> (English label, Chinese label).
SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "dataset": ("Dataset", "数据集"), "data_note": ("Data status", "数据状态"),
    "objective": ("Objective", "优化目标"), "budget": ("Budget", "预算"), "co2_goal": ("CO2 goal", "减排目标"),
    "as_of_year": ("In service by (targets judged in)", "投运年份（按此年考核目标）"),
    "first_year": ("Work may start from", "最早开工年份"),
    "spend": ("Spend", "投资"), "budget_used": ("Share of budget used", "预算使用比例"),
    "co2_cut": ("CO2 cut", "减排量"), "co2_structural": ("of which closures (structural)", "其中：淘汰关停（结构性）"),
    "co2_technical": ("of which retrofits (technical)", "其中：技术改造"),
    "energy_saving": ("Energy saved", "节能量"),
    "co2_per_wan": ("CO2 cut per 万元", "每万元减排量"), "projects_chosen": ("Projects chosen", "入选项目数"),
    "closed_by_order": ("Closed by order", "依规淘汰关停"),
    "solver": ("Solver", "求解器"), "solver_status": ("Solver status", "求解状态"),
    "proven_gap": ("Proven optimality gap", "已证明最优间隙"), "bound": ("Bound", "目标界"),
    "solve_time": ("Solve time", "求解时间"),
    "annualised_capex": ("Annualised capex", "年化投资"), "annual_saving": ("Annual saving", "年节约费用"),
    "abatement_cost": ("Abatement cost", "减排成本"), "payback": ("Payback", "投资回收期"),
    "written_at": ("Written at", "生成时间"), "targets_header": ("Targets: before → after", "目标：现状 → 实施后"),
}

UNIT_LABELS: dict[str, str] = {"tCO2/yr": "吨CO2/年", "万元/yr": "万元/年", "years": "年", "s": "秒",
                               "fraction of the optimum": "占最优值比例", "objective units": "目标函数单位",
                               "tCO2/yr per 万元": "吨CO2/年/万元", "tce/yr": "吨标准煤/年", "CNY/tCO2": "元/吨CO2",
                               "fraction": "比例", "facilities": "个设施"}


def label(key: str, lang: str) -> str:
    en, zh = LABELS.get(key, (key, key))
    return zh if lang == "zh" else en


def header(column: str, lang: str = "en", spec: TableSpec | None = None) -> str:
    """A column's header in ``lang`` with its unit: ``投资（万元）`` / ``capex (万元)``; extras as they are.

    ``spec`` (the table the column belongs to) decides between columns of the
    same name in two tables (``name`` is 名称 for a facility, 项目名称 for a project).
    """
    if column in COMPUTED:
        en, zh, unit_en, unit_zh = COMPUTED[column]
        name, unit = (zh, unit_zh) if lang == "zh" else (en, unit_en)
    else:
        specs = ((spec,) if spec else ()) + (FACILITIES, PROJECTS, PRODUCTS, TARGETS)
        spec_column = next((c for table in specs for c in table.columns if c.name == column), None)
        if spec_column is None:
            return column
        name = spec_column.alias_zh if lang == "zh" else column
        unit_en, unit_zh = UNITS.get(column, ("", ""))
        unit = unit_zh if lang == "zh" else unit_en
    if not unit:
        return name
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def _table_headers(frame: pd.DataFrame, spec: TableSpec | None, lang: str) -> list[str]:
    """Headers for a contract table: a known column in ``lang`` with its unit, an extra one unchanged."""
    names = set(spec.names) if spec else set()
    return [header(c, lang, spec) if (c in names or c in COMPUTED or spec is None) else str(c)
            for c in frame.columns]


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers (extra columns keep the user's header) made inert."""
    frame = frame.apply(lambda column: column.map(escape_cell) if column.dtype == object or
                        pd.api.types.is_string_dtype(column) else column)
    return frame.set_axis([escape_cell(str(c)) for c in frame.columns], axis=1)


# --- the portfolio ----------------------------------------------------------


def portfolio_table(dataset: Dataset, instance: Instance, result: PortfolioResult,
                    discount_rate: float = DEFAULT_DISCOUNT_RATE) -> pd.DataFrame:
    """The chosen projects: every input column plus CO2 cut, abatement cost and payback."""
    projects = dataset.projects.assign(co2_t=instance.co2)
    chosen = projects[result.chosen] if len(result.chosen) else projects.iloc[:0]
    economics = project_economics(chosen, chosen["co2_t"], discount_rate)
    table = chosen.join(economics).reset_index()
    table["requires"] = table["requires"].map(lambda r: ";".join(r) if isinstance(r, tuple) else "")
    facility = dataset.facilities[["name", "sector", "product"]].add_prefix("facility_")
    table = table.merge(facility, left_on="facility_id", right_index=True, how="left")
    return table


def _accounting(result: PortfolioResult) -> dict:
    """Fields the accounting work adds to a result, read only when present."""
    return {name: getattr(result, name, None) for name in
            ("closed_by_order", "co2_structural_t", "co2_technical_t", "energy_saving_tce", "closest")}


def closed_by_order_text(closed: Sequence[object] | None) -> str:
    """``closed_by_order`` (ids, or dicts with an id and a reason) as one line."""
    if not closed:
        return ""
    parts = []
    for item in closed:
        if isinstance(item, dict):
            ident = item.get("facility_id") or item.get("id") or ""
            reason = item.get("reason_zh") or item.get("reason") or item.get("reason_en") or ""
            parts.append(f"{ident} ({reason})" if reason else str(ident))
        elif isinstance(item, (tuple, list)) and item:
            parts.append(f"{item[0]} ({item[1]})" if len(item) > 1 else str(item[0]))
        else:
            parts.append(str(item))
    return "; ".join(parts)


def summary_table(dataset: Dataset, result: PortfolioResult, portfolio: pd.DataFrame,
                  discount_rate: float = DEFAULT_DISCOUNT_RATE, lang: str = "en") -> pd.DataFrame:
    """KPIs, then each target before → after. Columns: label (in ``lang``), value, unit, item (a stable key)."""
    economics = portfolio_economics(portfolio, portfolio, portfolio["co2_t"])
    extra = _accounting(result)
    closed = extra["closed_by_order"]
    rows = [
        ("dataset", dataset.name, ""),
        *([("data_note", ILLUSTRATIVE_NOTE, "")] if is_illustrative(dataset) else []),
        ("objective", result.objective, ""),
        ("as_of_year", result.as_of_year, ""),
        ("first_year", result.first_year, ""),
        ("budget", result.budget, "万元"),
        ("co2_goal", result.co2_goal, "tCO2/yr"),
        ("spend", result.spend, "万元"),
        ("budget_used", result.spend / result.budget if result.budget else None, "fraction"),
        ("co2_cut", result.co2_reduction_t, "tCO2/yr"),
        *([("co2_structural", extra["co2_structural_t"], "tCO2/yr")] if extra["co2_structural_t"] is not None else []),
        *([("co2_technical", extra["co2_technical_t"], "tCO2/yr")] if extra["co2_technical_t"] is not None else []),
        *([("energy_saving", extra["energy_saving_tce"], "tce/yr")] if extra["energy_saving_tce"] is not None else []),
        ("co2_per_wan", result.co2_reduction_t / result.spend if result.spend else None, "tCO2/yr per 万元"),
        ("projects_chosen", len(result.selected), ""),
        *([("closed_by_order", closed_by_order_text(closed), "facilities")] if closed else []),
        ("solver", result.solver, ""),
        ("solver_status", result.status, ""),
        ("proven_gap", result.gap, "fraction of the optimum"),
        ("bound", result.bound, "objective units"),
        ("solve_time", result.solve_seconds, "s"),
        ("annualised_capex", economics["annualised_capex_wan"], "万元/yr"),
        ("annual_saving", economics["annual_saving_wan"], "万元/yr"),
        ("abatement_cost", economics["abatement_cost_cny_per_t"], "CNY/tCO2"),
        ("payback", economics["payback_years"], "years"),
        ("written_at", datetime.now(UTC).isoformat(timespec="seconds"), "UTC"),
    ]
    out = [(_summary_label(key, lang), value, UNIT_LABELS.get(unit, unit) if lang == "zh" else unit, key)
           for key, value, unit in rows]
    if result.targets:
        out.append((_summary_label("targets_header", lang), None, "", "targets"))
        for target in result.targets:
            name = (target.name_zh if lang == "zh" else target.name_en) or target.target_id
            mark = verdict(target, lang)
            required = ("要求 " if lang == "zh" else "required ") + target_value_text(target.kind, target.required)
            out.append((name, f"{target_value_text(target.kind, target.before)} → "
                              f"{target_value_text(target.kind, target.after)}", f"{required}; {mark}",
                        f"target:{target.target_id}"))
    return pd.DataFrame(out, columns=["label", "value", "unit", "item"])


def _summary_label(key: str, lang: str) -> str:
    en, zh = SUMMARY_LABELS.get(key, (key, key))
    return zh if lang == "zh" else en


def target_value_text(kind: str, value: float | None) -> str:
    """A target's value as shown: a share in %, a count of small lines as a number."""
    return kind_of(kind).format(value)


def targets_table(result: PortfolioResult) -> pd.DataFrame:
    """Each target in the as-of year: before, after, required, met, the year judged, its own date, overdue."""
    columns = ["target_id", "name_en", "name_zh", "kind", "before", "after", "required", "met", "year", "due",
               "overdue", "binding"]
    rows = [{"target_id": t.target_id, "name_en": t.name_en, "name_zh": t.name_zh, "kind": t.kind,
             "before": t.before, "after": t.after, "required": t.required, "met": t.met, "year": t.year,
             "due": t.due, "overdue": t.overdue, "binding": t.binding} for t in result.targets]
    return pd.DataFrame(rows, columns=columns)


def assumptions_table(dataset: Dataset, factors: EmissionFactors, discount_rate: float,
                      settings: dict | None = None) -> pd.DataFrame:
    rows = [
        ("grid_emission_factor", factors.grid_t_per_mwh, "tCO2/MWh", factors.grid_id, factors.grid_source),
        ("fuel_emission_factor", factors.fuel_t_per_tce, "tCO2/tce", factors.fuel_id, factors.fuel_source),
        ("discount_rate", discount_rate, "fraction", "", "assumption for annualising capex"),
    ]
    for key, value in (settings or {}).items():
        if isinstance(value, (dict, list, tuple)):
            value = json.dumps(value, ensure_ascii=False, default=str)
        rows.append((key, value, "", "", "setting"))
    for product, level in dataset.products.iterrows():
        rows.append((f"benchmark:{product}", level["benchmark"], level.get("intensity_unit", ""), "",
                     level.get("source", "")))
        rows.append((f"baseline:{product}", level["baseline"], level.get("intensity_unit", ""), "",
                     level.get("source", "")))
    for target in dataset.targets:
        rows.append((f"target:{target.target_id}", target.value, target.kind,
                     "on" if target.enabled else "off", target.source))
    return pd.DataFrame(rows, columns=["item", "value", "unit", "id", "source"])


def sources_table(dataset: Dataset, factors: EmissionFactors, lang: str = "en") -> pd.DataFrame:
    """Every citation behind the numbers: targets, products, the emission factors used, and the data's own.

    Columns: table, id, name, source. Facility and project sources are
    grouped: one row per distinct source with the ids it covers.
    """
    rows = []
    for target in dataset.targets:
        rows.append(("targets", target.target_id, target.label(lang), target.source))
    names = dataset.products.get("name_zh" if lang == "zh" else "name_en")
    for product, level in dataset.products.iterrows():
        name = names.get(product) if names is not None else ""
        rows.append(("products", str(product), "" if pd.isna(name) else str(name), _text(level.get("source", ""))))
    rows.append(("emission_factors", factors.grid_id, f"{factors.grid_t_per_mwh} tCO2/MWh", factors.grid_source))
    rows.append(("emission_factors", factors.fuel_id, f"{factors.fuel_t_per_tce} tCO2/tce", factors.fuel_source))
    for table, frame in (("facilities", dataset.facilities), ("projects", dataset.projects)):
        if "source" not in frame.columns:
            continue
        sources = frame["source"].map(_text)
        for source, ids in frame.index.to_series().groupby(sources.to_numpy(), sort=False):
            if not source:
                continue
            shown = ", ".join(map(str, ids[:8])) + (f" … (+{len(ids) - 8})" if len(ids) > 8 else "")
            rows.append((table, shown, f"{len(ids)} rows" if lang == "en" else f"{len(ids)} 行", source))
    return pd.DataFrame(rows, columns=["table", "id", "name", "source"])


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _with_units(portfolio: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    return portfolio.set_axis(_table_headers(portfolio, PROJECTS, lang), axis=1)


def portfolio_csv(portfolio: pd.DataFrame, record: RunRecord | None = None, lang: str = "en") -> bytes:
    """The portfolio as UTF-8 CSV with a BOM, so Excel opens Chinese text correctly.

    With a ``record``, the file opens with it as ``# `` comment lines (the
    last one is the whole record as JSON); text cells are quoted, so
    ``pd.read_csv(f, comment='#')`` reads the table back whole.
    """
    text = _safe(_with_units(portfolio, lang)).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
    return (_comment_block(record, lang) + text).encode("utf-8-sig")


def _comment_block(record: RunRecord | None, lang: str) -> str:
    if record is None:
        return ""
    lines = ["run_record / 运行记录"]
    if record.illustrative:
        lines.append(ILLUSTRATIVE_NOTE)
    lines += [f"{key}: {_flat(value)}" for key, value in record.rows() if key not in ("outcome.selected",)]
    lines.append("json: " + record.to_json())
    return "".join("# " + line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines)


def _flat(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def portfolio_workbook(dataset: Dataset, instance: Instance, result: PortfolioResult, factors: EmissionFactors,
                       discount_rate: float = DEFAULT_DISCOUNT_RATE, settings: dict | None = None, *,
                       lang: str = "en", record: RunRecord | None = None, data: Dataset | None = None) -> bytes:
    """The portfolio workbook, built to be kept.

    Sheets: ``summary`` (KPIs and each target before → after), ``portfolio``,
    ``targets``, ``assumptions``, ``sources``, ``run_record`` and the data it
    was solved on (``data_facilities``, ``data_projects``, ``data_products``,
    ``data_targets``). Headers in ``lang`` (``zh`` or ``en``).

    ``record`` is the run record (:func:`optimizer.outputs.record.make_record`); without
    one, one is made from ``settings`` (the solver's gap and time limit are then
    unknown). ``data`` is the dataset as loaded, before target edits, whose
    hash the record holds; it goes into the ``data_*`` sheets (default
    ``dataset``). ``dataset`` is the one solved (with the edited targets).
    """
    portfolio = portfolio_table(dataset, instance, result, discount_rate)
    if record is None:
        record = make_record(dataset, result, solver_settings=SolverSettings(result.solver, None, float("nan")),
                             settings=settings or {})
    data_sheets = {DATA_SHEET_PREFIX + name: (frame, spec) for (name, frame), spec in
                   zip(contract_tables(data if data is not None else dataset).items(),
                       (FACILITIES, PROJECTS, PRODUCTS, TARGETS))}
    sheets: Sheets = {
        "summary": (summary_table(dataset, result, portfolio, discount_rate, lang), None),
        "portfolio": (portfolio, PROJECTS),
        "targets": (targets_table(result), None),
        "assumptions": (assumptions_table(dataset, factors, discount_rate, settings), None),
        "sources": (sources_table(dataset, factors, lang), None),
        "run_record": (record_table(record, lang), None),
        **data_sheets,
    }
    if getattr(result, "closures", None):
        sheets["closed_by_order"] = (closures_table(result.closures, lang), None)
    if getattr(result, "product_intensity", None):
        sheets["energy"] = (energy_table(dataset, result.product_intensity, lang), None)
    if result.closest:
        sheets["closest"] = (closest_table(result.closest), None)
    return _workbook(sheets, lang)


def closures_table(closures: list[dict], lang: str = "en") -> pd.DataFrame:
    """Lines closed by order, each with the target that orders it and how it closes."""
    zh = lang == "zh"
    return pd.DataFrame([{
        ("设施编号" if zh else "facility_id"): c["facility_id"],
        ("目标" if zh else "target_id"): c["target_id"],
        ("产能" if zh else "capacity"): c["capacity"],
        ("淘汰门槛" if zh else "threshold"): c["threshold"],
        ("淘汰项目" if zh else "retirement_projects"): ";".join(c["retirement_projects"]),
        ("原因" if zh else "reason"): c["reason_zh" if zh else "reason_en"]} for c in closures])


def energy_table(dataset: Dataset, rows: list[dict], lang: str = "en") -> pd.DataFrame:
    """Each product's capacity-weighted energy intensity before and after (e.g. 合成氨综合能耗), in its own unit."""
    zh = lang == "zh"
    products = dataset.products
    out = []
    for row in rows:
        product = row["product"]
        known = product in products.index
        name = (products.at[product, "name_zh" if zh else "name_en"] if known else "") or product
        unit = (products.at[product, "intensity_unit"] if known and "intensity_unit" in products.columns else "")
        out.append({("产品" if zh else "product"): name, ("行业" if zh else "sector"): row["sector"],
                    ("能耗单位" if zh else "intensity_unit"): unit or "",
                    ("改造前单位产品能耗" if zh else "intensity_before"): row["intensity_before"],
                    ("改造后单位产品能耗" if zh else "intensity_after"): row["intensity_after"],
                    ("改造前产能" if zh else "capacity_before"): row["capacity_before"],
                    ("改造后在产产能" if zh else "capacity_after"): row["capacity_after"]})
    return pd.DataFrame(out)


def closest_table(closest: dict) -> pd.DataFrame:
    """The closest portfolio's shortfall per target (share points as fractions)."""
    return pd.DataFrame(closest["targets"])


def record_table(record: RunRecord, lang: str = "en") -> pd.DataFrame:
    """The ``run_record`` sheet: field, value (numbers as numbers, lists and dicts as JSON), meaning."""
    text_fields = _text_fields()
    rows = []
    for key, value in record.rows():
        if isinstance(value, (dict, list)) or value is None or isinstance(value, bool) or (
                isinstance(value, str) and key not in text_fields and _parses_as_json(value)):
            value = json.dumps(value, ensure_ascii=False)
        # A cell holds at most 32,767 characters: a long value (a big selection) goes on several rows.
        parts = ([value[start:start + CELL_CHUNK] for start in range(0, max(len(value), 1), CELL_CHUNK)]
                 if isinstance(value, str) else [value])
        for number, part in enumerate(parts):
            rows.append((key, part, _record_meaning(key, lang) if number == 0 else "…"))
    return pd.DataFrame(rows, columns=["field", "value", "meaning"])


CELL_CHUNK = 30_000


def _text_fields() -> set[str]:
    from dataclasses import fields as dataclass_fields

    return {f.name for f in dataclass_fields(RunRecord) if f.type in ("str", "str | None")}


def _parses_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


RECORD_MEANINGS = {
    "dataset_name": ("dataset name", "数据集名称"),
    "data_sha256": ("SHA-256 of the canonical data tables", "规范化数据表的 SHA-256 校验值"),
    "product_version": ("version of this tool", "本工具版本"),
    "solver": ("solver", "求解器"), "solver_version": ("solver and PuLP versions", "求解器与 PuLP 版本"),
    "requested_gap": ("optimality gap requested", "要求的最优间隙"),
    "proven_gap": ("optimality gap proven", "已证明的最优间隙"), "time_limit": ("time limit (s)", "时间上限（秒）"),
    "timestamp": ("when it was solved (UTC)", "求解时间（UTC）"),
    "illustrative": ("true: the shipped ILLUSTRATIVE sample", "是否为示例数据（虚构）"),
    "data_path": ("where the data was read", "数据路径"), "record_version": ("record format version", "记录格式版本"),
}


def _record_meaning(key: str, lang: str) -> str:
    head = key.split(".")[0]
    if key in RECORD_MEANINGS:
        en, zh = RECORD_MEANINGS[key]
    elif head == "settings":
        en, zh = "setting", "设置"
    elif head == "outcome":
        en, zh = "what the solve gave", "求解结果"
    else:
        en = zh = ""
    return zh if lang == "zh" else en


def read_record_workbook(workbook: bytes) -> RunRecord:
    """The run record of a workbook written here (its ``run_record`` sheet)."""
    frame = pd.read_excel(io.BytesIO(workbook), sheet_name="run_record", dtype=object, keep_default_na=False,
                          engine="openpyxl")
    return read_record_sheet(frame)


def read_record_sheet(frame: pd.DataFrame) -> RunRecord:
    """Read a ``run_record`` sheet (read with ``keep_default_na=False``) back into a record."""
    text_fields = _text_fields()
    joined: list[list] = []
    for key, value in zip(frame.iloc[:, 0], frame.iloc[:, 1]):
        key = str(unescape_cell(key))
        value = unescape_cell(value)
        if joined and joined[-1][0] == key and isinstance(value, str):
            joined[-1][1] = (joined[-1][1] or "") + value  # a long value written on several rows
        else:
            joined.append([key, value])
    rows = []
    for key, value in joined:
        if (isinstance(value, float) and math.isnan(value)) or value == "":
            value = None
        elif isinstance(value, str) and key not in text_fields:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        elif key in text_fields and value is not None:
            value = str(value)
        rows.append((key, value))
    return RunRecord.from_rows(rows)


# --- writing a workbook -----------------------------------------------------

_SHARE_KEYS = {"budget_used", "proven_gap"}


def _workbook(sheets: Sheets, lang: str = "en") -> bytes:
    """Write sheets of (frame, spec): typed cells, number formats, frozen header, fitted widths."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False,
                                        "nan_inf_to_errors": False})
    font = {"font_name": "Microsoft YaHei" if lang == "zh" else "Calibri", "font_size": 10}
    formats = {
        "head": book.add_format({**font, "bold": True, "bg_color": "#e6efe9", "border": 1, "text_wrap": True,
                                 "valign": "top"}),
        "text": book.add_format(font),
        "int": book.add_format({**font, "num_format": "#,##0"}),
        "dec1": book.add_format({**font, "num_format": "#,##0.0"}),
        "dec2": book.add_format({**font, "num_format": "#,##0.00"}),
        "dec4": book.add_format({**font, "num_format": "0.0000"}),
        "pct": book.add_format({**font, "num_format": "0.0%"}),
        "pct3": book.add_format({**font, "num_format": "0.000%"}),
    }
    for name, (frame, spec) in sheets.items():
        sheet = book.add_worksheet(name)
        headers = _table_headers(frame, spec, lang) if spec is not None else [label(c, lang) for c in frame.columns]
        widths = [_display_width(h) for h in headers]
        for col, text in enumerate(headers):
            sheet.write_string(0, col, escape_cell(text), formats["head"])
        shares = _share_rows(name, frame)
        for col, column in enumerate(frame.columns):
            values = frame[column].tolist()
            for row, value in enumerate(values, start=1):
                shown = _write(sheet, row, col, value, formats, share=shares[row - 1] and column in
                               ("value", "before", "after", "required"), lang=lang)
                widths[col] = max(widths[col], shown)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(8, width + 2), 60))
        sheet.freeze_panes(1, 0)
        if len(frame):
            sheet.autofilter(0, 0, len(frame), max(0, len(frame.columns) - 1))
    book.close()
    return buffer.getvalue()


def _share_rows(name: str, frame: pd.DataFrame) -> list[bool]:
    """Which rows hold shares (shown in %): share targets, the gap and budget used of the summary."""
    if name == "targets" and "kind" in frame.columns:
        return [kind_of(kind).is_share for kind in frame["kind"]]
    if name == "summary" and "item" in frame.columns:
        return [item in _SHARE_KEYS for item in frame["item"]]
    return [False] * len(frame)


def _write(sheet: Worksheet, row: int, col: int, value: object, formats: dict, share: bool = False,
           lang: str = "en") -> int:
    """Write one typed cell; return its display width."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, (bool, np.bool_)):
        text = ("是" if value else "否") if lang == "zh" else ("true" if value else "false")
        sheet.write_string(row, col, text, formats["text"])
        return _display_width(text)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            sheet.write_string(row, col, "inf" if number > 0 else "-inf", formats["text"])
            return 4
        if share:
            sheet.write_number(row, col, number, formats["pct3" if abs(number) < 0.01 and number else "pct"])
            return 8
        if number.is_integer():
            style = "int"
        elif abs(number) >= 1000:
            style = "dec1"
        elif abs(number) >= 1:
            style = "dec2"
        else:
            style = "dec4"
        sheet.write_number(row, col, number, formats[style])
        return len(f"{number:,.2f}")
    if isinstance(value, tuple):
        value = ";".join(map(str, value))
    text = escape_cell(str(value))
    sheet.write_string(row, col, text, formats["text"])
    return min(_display_width(text), 60)


def _display_width(text: str) -> int:
    """Width in Excel character units: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text)[:80])


# --- the dataset, round trip ------------------------------------------------


def dataset_tables(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The dataset as the four tables of the upload contract (extra columns kept)."""
    return contract_tables(dataset)


def dataset_workbook(dataset: Dataset, lang: str = "en", record: RunRecord | None = None) -> bytes:
    """The dataset as a workbook that uploads back to the same tables, in either language.

    Its ``run_record`` sheet names the data (hash, version, time) when no
    solve ``record`` is given.
    """
    tables = contract_tables(dataset)
    sheets: Sheets = {name: (tables[name], spec) for name, spec in
              (("facilities", FACILITIES), ("projects", PROJECTS), ("products", PRODUCTS), ("targets", TARGETS))}
    sheets["run_record"] = (record_table(record or data_record(dataset), lang), None)
    return _workbook(sheets, lang)


def data_record(dataset: Dataset) -> RunRecord:
    """A record of the data alone (no solve): its name, hash, this tool's version and the time."""
    return RunRecord(dataset_name=dataset.name, data_sha256=data_hash(dataset), product_version=product_version(),
                     solver="", solver_version="", requested_gap=None, proven_gap=None, time_limit=None,
                     timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
                     illustrative=is_illustrative(dataset))


def dataset_zip(dataset: Dataset) -> bytes:
    """The dataset as a zip of UTF-8 CSV files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in dataset_tables(dataset).items():
            archive.writestr(f"{name}.csv", _safe(frame).to_csv(index=False).encode("utf-8-sig"))
    return buffer.getvalue()


# --- the blank template -----------------------------------------------------


def template_workbook(lang: str = "en") -> bytes:
    """A blank workbook with one sheet per table and a README sheet explaining each column."""
    readme = []
    for spec in (FACILITIES, PROJECTS, PRODUCTS, TARGETS):
        for column in spec.columns:
            readme.append({"sheet 工作表": spec.name, "column 列名": column.name, "中文列名": column.alias_zh,
                           "required 必填": "yes 是" if column.required else "no 否",
                           "meaning": column.help_en, "说明": column.help_zh})
    sheets: Sheets = {"README": (pd.DataFrame(readme), None)}
    sheets.update(_blank(spec) for spec in (FACILITIES, PROJECTS))
    return _workbook(sheets, lang)


def _blank(spec: TableSpec) -> tuple[str, tuple[pd.DataFrame, TableSpec]]:
    return spec.name, (pd.DataFrame(columns=spec.names), spec)


def sheet_names(workbook: bytes) -> Sequence[str]:
    """The sheet names of a workbook, in order."""
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(workbook), read_only=True).sheetnames
