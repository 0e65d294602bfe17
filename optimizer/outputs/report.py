"""The meeting pack: a bilingual deck (python-pptx) of one portfolio, and its PDF.

:func:`build_pack` is a pure function from a dataset and a result to the
bytes of a ``.pptx``; the app needs one call. Slides are made by the
builder functions in :data:`DEFAULT_SLIDES`, each ``builder(pack: Pack)``;
a later slide (the roadmap Gantt, the alternatives) is one more function
put into that list, fed from ``Pack.extras``::

    slides = [*DEFAULT_SLIDES]
    slides.insert(slides.index(frontier_slide) + 1, roadmap_slide)
    build_pack(dataset, result, lang="zh", record=record, slides=slides, extras={"roadmap": plan})

Chinese text: every run names its font for Latin and East Asian script
(``<a:latin>`` and ``<a:ea>``, :data:`FONT`, default Noto Sans CJK SC), so
PowerPoint and LibreOffice pick a CJK font and never a Japanese variant.
Charts are Vega-Lite specs made with Altair and rendered to PNG by
vl-convert with the same font named in the chart config. :func:`pptx_to_pdf`
converts with LibreOffice (``soffice --headless --convert-to pdf``), which
embeds a subset of the fonts it used, so the PDF shows Chinese anywhere; the
machine converting needs ``fonts-noto-cjk`` and ``libreoffice-impress``.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np
import pandas as pd

from optimizer.data.dataset import Dataset, EmissionFactors
from optimizer.data.economics import DEFAULT_DISCOUNT_RATE
from optimizer.data.instance import Instance, prepare
from optimizer.outputs.export import closed_by_order_text, target_value_text
from optimizer.outputs.record import RunRecord, is_illustrative
from optimizer.program.kinds import kind_of
from optimizer.program.targets import TargetOutcome, verdict
from optimizer.solving.solve import PortfolioResult

if TYPE_CHECKING:  # python-pptx and altair load when a pack is built
    import altair as alt
    from pptx.dml.color import RGBColor
    from pptx.presentation import Presentation
    from pptx.shapes.autoshape import Shape
    from pptx.slide import Slide
    from pptx.table import Table
    from pptx.text.text import _Run
    from pptx.util import Length

#: The font of every run and chart: CJK (Simplified Chinese) with Latin glyphs.
FONT = "Noto Sans CJK SC"
GREEN, AMBER, RED, GREY = "1F6F54", "E0A526", "C62828", "8A8F8C"
INK, MUTED, PALE = "1E2A25", "5F6B66", "EEF3F0"
CHOSEN_COLOR, OTHER_COLOR, MAC_COLOR = "#1f6f54", "#c9d3cf", "#e08a2c"
#: Within this many points above its requirement a met share target shows amber.
AMBER_MARGIN = 0.02

#: Every text of the pack: key -> (English, Chinese).
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Industrial energy-saving and CO2 retrofit portfolio", "工业节能降碳改造项目组合"),
    "subtitle": ("Meeting pack", "会议材料"),
    "dataset": ("Dataset", "数据集"),
    "generated": ("Generated", "生成时间"),
    "illustrative": ("ILLUSTRATIVE sample data: the plants, energy use and projects are invented for "
                     "demonstration. Do not quote them as real data.",
                     "示例数据（ILLUSTRATIVE）：设施、能耗与项目均为虚构，仅用于演示，请勿作为实际数据引用。"),
    "real_data": ("Data: {facilities} facilities, {projects} candidate projects · SHA-256 {hash}",
                  "数据：{facilities} 个设施，{projects} 个候选项目 · SHA-256 {hash}"),
    "status_line": ("Solver status: {status} · proven gap {gap}", "求解状态：{status} · 已证明最优间隙 {gap}"),
    "kpis": ("Key figures", "关键指标"),
    "co2_cut": ("CO2 cut", "年减排量"),
    "spend": ("Spend vs budget", "投资 / 预算"),
    "projects": ("Projects chosen", "入选项目"),
    "gap": ("Proven gap", "已证明最优间隙"),
    "t_per_yr": ("tCO2/yr", "吨CO2/年"),
    "wan_t_per_yr": ("", "万吨CO2/年"),
    "of_budget": ("of {budget} 万元 ({share})", "预算 {budget} 万元（{share}）"),
    "no_budget": ("least cost for the CO2 goal", "达到减排目标的最低投资"),
    "of_candidates": ("of {n} candidates", "共 {n} 个候选项目"),
    "gap_note": ("the portfolio is within this of the best possible", "与理论最优的差距上限"),
    "structural": ("Closures (structural): {value} tCO2/yr · retrofits (technical): {tech} tCO2/yr",
                   "淘汰关停（结构性）：{value} 吨CO2/年 · 技术改造：{tech} 吨CO2/年"),
    "energy_saving": ("Energy saved: {value} tce/yr", "节能量：{value} 吨标准煤/年"),
    "closed_by_order": ("Closed by order: {value}", "依规淘汰关停：{value}"),
    "economics": ("Abatement cost {cost} CNY/tCO2 · payback {payback} years",
                  "减排成本 {cost} 元/吨CO2 · 投资回收期 {payback} 年"),
    "no_portfolio": ("No portfolio: {status}. {diagnosis}", "无可行组合：{status}。{diagnosis}"),
    "least_budget": ("The targets need at least {value} 万元.", "满足全部目标至少需要 {value} 万元。"),
    "closest": ("Closest portfolio: {value}", "最接近的组合：{value}"),
    "targets": ("Targets: today → after the portfolio", "目标：现状 → 实施后"),
    "col_target": ("Target", "目标"), "col_before": ("Today", "现状"), "col_after": ("After", "实施后"),
    "col_required": ("Required", "要求"), "col_status": ("Status", "状态"), "col_year": ("Year", "年份"),
    "met": ("met", "达标"), "tight": ("met, tight", "达标（余量小）"), "not_met": ("NOT MET", "未达标"),
    "overdue": (" (overdue)", "（已逾期）"),
    "targets_as_of": ("Targets: today → after the portfolio, in {year}", "目标：现状 → 实施后（{year}年）"),
    "no_measure": ("nothing left to measure", "无可计量产能"),
    "no_targets": ("No target is switched on.", "未启用任何目标。"),
    "legend": ("Green: met · amber: met within 2 points · red: not met",
               "绿：达标 · 黄：达标但余量不足2个百分点 · 红：未达标"),
    "mac": ("Marginal abatement cost curve: projects by tCO2 per 万元", "边际减排曲线：按每万元减排量排序的项目"),
    "mac_x": ("Cumulative CO2 cut (tCO2/yr)", "累计减排量（吨CO2/年）"),
    "mac_y": ("tCO2/yr per 万元", "每万元年减排量（吨CO2/年）"),
    "chosen": ("chosen", "入选"), "not_chosen": ("not chosen", "未入选"),
    "mac_note": ("Each bar is a project, as wide as its CO2 cut. The optimum does not simply fund down the "
                 "ranking: it must also meet the targets.",
                 "每个柱代表一个项目，宽度为其减排量。优化结果并非简单按排序资助，还须满足各项目标。"),
    "frontier": ("Frontier: the most CO2 each budget buys, beside the MAC ranking pick",
                 "有效前沿：各预算下的最大减排量，对比按MAC排序选择"),
    "frontier_x": ("Budget (万元)", "预算（万元）"), "frontier_y": ("CO2 cut (tCO2/yr)", "减排量（吨CO2/年）"),
    "optimum": ("optimum (targets met)", "优化（满足目标）"), "mac_pick": ("MAC ranking pick", "MAC排序法"),
    "this_budget": ("this budget", "本预算"),
    "frontier_note": ("Budgets where the optimum has no point cannot meet the targets.",
                      "优化曲线缺点处的预算无法满足全部目标。"),
    "chosen_projects": ("Chosen projects: the {n} largest CO2 cuts", "入选项目：减排量最大的 {n} 个"),
    "col_id": ("ID", "编号"), "col_name": ("Project", "项目名称"), "col_facility": ("Facility", "设施"),
    "col_capex": ("Capex (万元)", "投资（万元）"), "col_co2": ("CO2 cut (tCO2/yr)", "减排量（吨CO2/年）"),
    "col_ratio": ("tCO2/yr per 万元", "每万元减排量"),
    "others": ("{n} other projects", "其余 {n} 个项目"), "total": ("Total ({n} projects)", "合计（{n} 个项目）"),
    "none_chosen": ("No project is chosen.", "未选择任何项目。"),
    "assumptions": ("Assumptions and sources", "假设与数据来源"),
    "assumptions_head": ("Assumptions", "假设"), "sources_head": ("Sources", "来源"),
    "grid_factor": ("Grid emission factor: {value} tCO2/MWh ({id})", "电网排放因子：{value} 吨CO2/兆瓦时（{id}）"),
    "fuel_factor": ("Fuel emission factor: {value} tCO2/tce ({id})", "燃料排放因子：{value} 吨CO2/吨标准煤（{id}）"),
    "discount": ("Discount rate: {value} (annualises capex for the abatement cost)",
                 "折现率：{value}（用于年化投资、计算减排成本）"),
    "objective_co2": ("Objective: most CO2 cut within the budget", "优化目标：在预算内减排量最大"),
    "objective_cost": ("Objective: least capex reaching {goal} tCO2/yr", "优化目标：达到 {goal} 吨CO2/年的最低投资"),
    "targets_on": ("Targets switched on: {on} of {all}", "启用目标：{on} / {all}"),
    "setting": ("{name}: {value}", "{name}：{value}"),
    "products_sources": ("Benchmark and baseline levels of {n} products: data/products.csv (each row cites "
                         "its source; see the workbook's sources sheet)",
                         "{n} 种产品的标杆与基准水平：data/products.csv（逐行注明出处，见工作簿 sources 表）"),
    "data_sources": ("Project data: {value}", "项目数据：{value}"),
    "record": ("Run record: how to reproduce this portfolio", "运行记录：如何复现本组合"),
    "record_note": ("Rerun: python -m optimizer rerun <record.json | portfolio.xlsx>",
                    "复现：python -m optimizer rerun <记录.json | 组合工作簿.xlsx>"),
    "no_record": ("No run record was given.", "未提供运行记录。"),
    "page": ("{n}", "{n}"),
}

STATUS: dict[str, tuple[str, str]] = {
    "optimal": ("optimal", "最优"), "feasible": ("feasible (stopped with a gap)", "可行（未证明最优）"),
    "infeasible": ("infeasible", "不可行"), "no_solution": ("no solution found", "未找到解"),
    "unbounded": ("unbounded", "无界"), "error": ("solver error", "求解器错误"),
}


def text(key: str, lang: str, /, **values: object) -> str:
    """The text ``key`` in ``lang``, filled with ``values`` (which may hold a ``key`` of their own)."""
    en, zh = TEXT[key]
    template = zh if lang == "zh" else en
    return template.format(**values) if values else template


# --- the pack ---------------------------------------------------------------


@dataclass
class Pack:
    """What every slide builder reads, and the presentation it adds its slide to."""

    dataset: Dataset
    result: PortfolioResult
    lang: str
    record: RunRecord | None
    frontier: pd.DataFrame | None
    instance: Instance
    factors: EmissionFactors
    discount_rate: float
    top_n: int
    font: str
    presentation: Presentation
    #: Data for slides added later (e.g. ``roadmap``, ``alternatives``).
    extras: dict = field(default_factory=dict)
    #: Chart images by name (PNG bytes), rendered once.
    images: dict = field(default_factory=dict)

    def t(self, key: str, /, **values: object) -> str:
        return text(key, self.lang, **values)


SlideBuilder = Callable[[Pack], None]


class PackOptions(TypedDict, total=False):
    """The keyword arguments of :func:`build_pack`, passed on by :func:`build_pack_pdf`."""

    lang: str
    record: RunRecord | None
    frontier: pd.DataFrame | None
    instance: Instance | None
    factors: EmissionFactors | None
    discount_rate: float
    top_n: int
    font: str
    slides: Sequence[SlideBuilder] | None
    extras: dict | None


def build_pack(dataset: Dataset, result: PortfolioResult, *, lang: str = "zh", record: RunRecord | None = None,
               frontier: pd.DataFrame | None = None, instance: Instance | None = None,
               factors: EmissionFactors | None = None, discount_rate: float = DEFAULT_DISCOUNT_RATE,
               top_n: int = 15, font: str = FONT, slides: Sequence[SlideBuilder] | None = None,
               extras: dict | None = None) -> bytes:
    """The meeting pack of ``result`` as ``.pptx`` bytes.

    Parameters
    ----------
    dataset, result:
        The dataset solved (with the targets as solved) and its result.
    lang:
        ``zh`` or ``en``.
    record:
        The run record (:func:`optimizer.outputs.record.make_record`), shown on the last slide.
    frontier:
        A table of :func:`optimizer.answers.frontier.frontier`; without it the frontier slide is left out.
    instance, factors:
        The prepared instance and emission factors, if the caller has them (else prepared here).
    top_n:
        Projects listed on the projects slide; the rest are one line, then the total.
    font:
        The font named on every run and chart (Latin and East Asian).
    slides:
        The slide builders in order (default :data:`DEFAULT_SLIDES`).
    extras:
        Data for further slide builders (``Pack.extras``).
    """
    from pptx import Presentation
    from pptx.util import Inches

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    factors = factors or EmissionFactors.default()
    instance = instance if instance is not None else prepare(dataset, factors)
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = Inches(13.333), Inches(7.5)
    pack = Pack(dataset, result, lang, record, frontier, instance, factors, discount_rate, top_n, font,
                presentation, dict(extras or {}))
    core = presentation.core_properties
    core.title = f"{pack.t('title')} · {pack.t('subtitle')}"
    core.author, core.subject = "retrofit optimizer", dataset.name
    core.language = "zh-CN" if lang == "zh" else "en-US"
    for builder in (DEFAULT_SLIDES if slides is None else slides):
        builder(pack)
    for number, slide in enumerate(presentation.slides, start=1):
        _footer(pack, slide, number)
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


# --- slide builders ---------------------------------------------------------


def title_slide(pack: Pack) -> None:
    from pptx.util import Inches

    slide = _blank(pack)
    band = _rectangle(slide, 0, 0, pack.presentation.slide_width, Inches(0.35))
    _fill(band, GREEN)
    _text(pack, slide, pack.t("title"), Inches(0.8), Inches(1.6), Inches(11.7), Inches(1.2), 36, bold=True)
    _text(pack, slide, pack.t("subtitle"), Inches(0.8), Inches(2.7), Inches(11.7), Inches(0.6), 22, color=MUTED)
    when = (pack.record.timestamp if pack.record and pack.record.timestamp
            else datetime.now(UTC).isoformat(timespec="seconds"))
    lines = [f"{pack.t('dataset')}: {pack.dataset.name}", f"{pack.t('generated')}: {when}",
             pack.t("status_line", status=_status(pack), gap=_gap(pack.result.gap))]
    _lines(pack, slide, lines, Inches(0.8), Inches(3.5), Inches(11.7), Inches(1.4), 16, color=INK)
    if is_illustrative(pack.dataset):
        box = _rectangle(slide, Inches(0.8), Inches(5.2), Inches(11.7), Inches(1.1))
        _fill(box, "FDECEA", line=RED)
        _frame_text(pack, box, pack.t("illustrative"), 18, bold=True, color=RED)
    else:
        digest = pack.record.data_sha256[:16] if pack.record else "—"
        status = pack.t("real_data", facilities=len(pack.dataset.facilities), projects=len(pack.dataset.projects),
                        hash=digest)
        box = _rectangle(slide, Inches(0.8), Inches(5.2), Inches(11.7), Inches(0.8))
        _fill(box, PALE, line=GREEN)
        _frame_text(pack, box, status, 16, color=INK)


def kpi_slide(pack: Pack) -> None:
    from pptx.util import Emu, Inches

    slide = _titled(pack, pack.t("kpis"))
    result = pack.result
    if not result.has_portfolio:
        _no_portfolio(pack, slide)
        return
    co2 = result.co2_reduction_t
    share = result.spend / result.budget if result.budget else None
    tiles = [
        (pack.t("co2_cut"), _big_co2(pack, co2), pack.t("t_per_yr") if pack.lang == "en" or co2 < 1e4
         else f"{_num(co2)} {pack.t('t_per_yr')}"),
        (pack.t("spend"), f"{_num(result.spend)} 万元",
         pack.t("of_budget", budget=_num(result.budget), share=f"{share:.1%}") if share is not None
         else pack.t("no_budget")),
        (pack.t("projects"), f"{len(result.selected)}", pack.t("of_candidates", n=len(pack.dataset.projects))),
        (pack.t("gap"), _gap(result.gap), pack.t("gap_note")),
    ]
    width, gap_in = 2.95, 0.2
    for i, (head, value, note) in enumerate(tiles):
        left = Inches(0.6 + i * (width + gap_in))
        box = _rectangle(slide, left, Inches(1.5), Inches(width), Inches(2.3))
        _fill(box, PALE, line="C9D3CF")
        inner = Emu(left + Inches(0.15))
        _text(pack, slide, head, inner, Inches(1.6), Inches(width - 0.3), Inches(0.45), 15, color=MUTED)
        _text(pack, slide, value, inner, Inches(2.1), Inches(width - 0.3), Inches(0.9),
              30 if _width(value) <= 10 else 22, bold=True, color=GREEN)
        _text(pack, slide, note, inner, Inches(3.0), Inches(width - 0.3), Inches(0.7), 12, color=MUTED)
    lines = []
    structural, technical = getattr(result, "co2_structural_t", None), getattr(result, "co2_technical_t", None)
    if structural is not None or technical is not None:
        lines.append(pack.t("structural", value=_num(structural), tech=_num(technical)))
    saving = getattr(result, "energy_saving_tce", None)
    if saving is not None:
        lines.append(pack.t("energy_saving", value=_num(saving)))
    closed = getattr(result, "closed_by_order", None)
    if closed:
        lines.append(pack.t("closed_by_order", value=_clip(closed_by_order_text(closed), 160)))
    economics = _economics(pack)
    if economics:
        lines.append(economics)
    lines.append(pack.t("status_line", status=_status(pack), gap=_gap(result.gap)))
    _lines(pack, slide, lines, Inches(0.6), Inches(4.2), Inches(12.1), Inches(2.6), 16, color=INK)


def targets_slide(pack: Pack) -> None:
    from pptx.util import Inches

    slide = _titled(pack, pack.t("targets_as_of", year=pack.result.as_of_year))
    outcomes = pack.result.targets
    if not outcomes:
        _text(pack, slide, pack.t("no_targets"), Inches(0.6), Inches(1.6), Inches(12), Inches(0.6), 18)
        return
    years = {t.target_id: t.year for t in pack.dataset.targets}
    header = [pack.t("col_target"), pack.t("col_year"), pack.t("col_before"), pack.t("col_after"),
              pack.t("col_required"), pack.t("col_status")]
    rows, fills = [], []
    for outcome in outcomes:
        name = (outcome.name_zh if pack.lang == "zh" else outcome.name_en) or outcome.target_id
        light, word = _light(outcome)
        required = f"{kind_of(outcome.kind).sense} " + target_value_text(outcome.kind, outcome.required)
        rows.append([_clip(name, 52), str(years.get(outcome.target_id) or ""),
                     target_value_text(outcome.kind, outcome.before), target_value_text(outcome.kind, outcome.after),
                     required, _status_word(pack, outcome, word)])
        fills.append(light)
    table = _table(pack, slide, header, rows, Inches(0.6), Inches(1.4), [5.3, 0.8, 1.3, 1.3, 1.4, 2.0],
                   size=14 if len(rows) <= 8 else 12, align_right=(2, 3, 4))
    for r, colour in enumerate(fills, start=1):
        cell = table.cell(r, 5)
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(colour)
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.color.rgb = _rgb("FFFFFF")
                run.font.bold = True
    _text(pack, slide, pack.t("legend"), Inches(0.6), Inches(6.55), Inches(12), Inches(0.4), 12, color=MUTED)


def mac_slide(pack: Pack) -> None:
    from pptx.util import Inches

    slide = _titled(pack, pack.t("mac"))
    image = pack.images.get("mac") or render_chart(mac_spec(pack))
    pack.images["mac"] = image
    slide.shapes.add_picture(io.BytesIO(image), Inches(0.6), Inches(1.3), width=Inches(12.1))
    _text(pack, slide, pack.t("mac_note"), Inches(0.6), Inches(6.5), Inches(12.1), Inches(0.5), 12, color=MUTED)


def frontier_slide(pack: Pack) -> None:
    from pptx.util import Inches

    if pack.frontier is None or len(pack.frontier) == 0:
        return
    slide = _titled(pack, pack.t("frontier"))
    image = pack.images.get("frontier") or render_chart(frontier_spec(pack))
    pack.images["frontier"] = image
    slide.shapes.add_picture(io.BytesIO(image), Inches(0.6), Inches(1.3), width=Inches(12.1))
    _text(pack, slide, pack.t("frontier_note"), Inches(0.6), Inches(6.5), Inches(12.1), Inches(0.5), 12,
          color=MUTED)


def projects_slide(pack: Pack) -> None:
    from pptx.util import Inches

    result = pack.result
    chosen = result.chosen if len(result.chosen) else np.zeros(len(pack.dataset.projects), bool)
    n = int(chosen.sum())
    top = min(pack.top_n, n)
    slide = _titled(pack, pack.t("chosen_projects", n=top))
    if n == 0:
        _text(pack, slide, pack.t("none_chosen"), Inches(0.6), Inches(1.6), Inches(12), Inches(0.6), 18)
        return
    projects = pack.dataset.projects.assign(co2_t=pack.instance.co2)[chosen]
    facilities = pack.dataset.facilities["name"]
    projects = projects.sort_values("co2_t", ascending=False, kind="stable")
    shown, rest = projects.iloc[:top], projects.iloc[top:]
    rows = []
    for project_id, row in shown.iterrows():
        facility = facilities.get(row["facility_id"]) or row["facility_id"]
        rows.append([str(project_id), _clip(row.get("name") or "", 40), _clip(str(facility), 32),
                     _num(row["capex"]), _num(row["co2_t"]), _ratio(row["co2_t"], row["capex"])])
    if len(rest):
        rows.append(["", pack.t("others", n=len(rest)), "", _num(rest["capex"].sum()), _num(rest["co2_t"].sum()),
                     _ratio(rest["co2_t"].sum(), rest["capex"].sum())])
    rows.append(["", pack.t("total", n=n), "", _num(projects["capex"].sum()), _num(projects["co2_t"].sum()),
                 _ratio(projects["co2_t"].sum(), projects["capex"].sum())])
    header = [pack.t("col_id"), pack.t("col_name"), pack.t("col_facility"), pack.t("col_capex"), pack.t("col_co2"),
              pack.t("col_ratio")]
    size = 12 if len(rows) <= 14 else 10
    table = _table(pack, slide, header, rows, Inches(0.6), Inches(1.3), [1.4, 3.9, 3.2, 1.3, 1.5, 1.2],
                   size=size, align_right=(3, 4, 5), row_height=0.3 if len(rows) <= 14 else 0.27)
    total_rows = [len(rows)] + ([len(rows) - 1] if len(rest) else [])
    for r in total_rows:
        for c in range(6):
            cell = table.cell(r, c)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(PALE)
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.bold = r == len(rows)


def assumptions_slide(pack: Pack) -> None:
    from pptx.util import Inches

    slide = _titled(pack, pack.t("assumptions"))
    factors, result = pack.factors, pack.result
    assumptions = [
        pack.t("objective_co2") if result.objective == "co2" else pack.t("objective_cost", goal=_num(result.co2_goal)),
        pack.t("targets_on", on=sum(t.enabled for t in pack.dataset.targets), all=len(pack.dataset.targets)),
        pack.t("grid_factor", value=f"{factors.grid_t_per_mwh:.4f}", id=factors.grid_id),
        pack.t("fuel_factor", value=f"{factors.fuel_t_per_tce:.4f}", id=factors.fuel_id),
        pack.t("discount", value=f"{pack.discount_rate:.0%}"),
    ]
    if pack.record:
        shown = {"objective", "budget", "co2_goal", "targets", "emission_factors", "discount_rate"}
        for key, value in pack.record.settings.items():
            if key not in shown and value not in (None, [], {}):
                assumptions.append(pack.t("setting", name=key, value=_clip(str(value), 60)))
    _text(pack, slide, pack.t("assumptions_head"), Inches(0.6), Inches(1.3), Inches(5), Inches(0.4), 16, bold=True)
    _lines(pack, slide, assumptions, Inches(0.6), Inches(1.75), Inches(4.9), Inches(5), 12, color=INK, bullet=True)
    sources = []
    for target in pack.dataset.targets:
        sources.append(f"{target.label(pack.lang)}: {_clip(target.source, 120)}")
    sources.append(f"{factors.grid_id}: {_clip(factors.grid_source, 110)}")
    sources.append(f"{factors.fuel_id}: {_clip(factors.fuel_source, 110)}")
    sources.append(pack.t("products_sources", n=len(pack.dataset.products)))
    if "source" in pack.dataset.projects.columns:
        distinct = pack.dataset.projects["source"].dropna().astype(str)
        if len(distinct):
            first = distinct.iloc[0].split(" — ")[0].split(";")[0]
            sources.append(pack.t("data_sources", value=_clip(first, 90)))
    _text(pack, slide, pack.t("sources_head"), Inches(5.8), Inches(1.3), Inches(7), Inches(0.4), 16, bold=True)
    _lines(pack, slide, sources, Inches(5.8), Inches(1.75), Inches(6.9), Inches(5.1), 10, color=INK, bullet=True)


def record_slide(pack: Pack) -> None:
    from pptx.util import Inches

    slide = _titled(pack, pack.t("record"))
    record = pack.record
    if record is None:
        _text(pack, slide, pack.t("no_record"), Inches(0.6), Inches(1.6), Inches(12), Inches(0.6), 18)
        return
    settings = record.settings
    targets = settings.get("targets") or []
    rows = [
        ["dataset_name", _clip(record.dataset_name, 90)],
        ["data_sha256", record.data_sha256],
        ["product_version", record.product_version],
        ["solver / version", f"{record.solver} · {record.solver_version}"],
        ["requested_gap / proven_gap", f"{_gap(record.requested_gap)} / {_gap(record.proven_gap)}"],
        ["time_limit", "—" if record.time_limit is None else f"{record.time_limit:g} s"],
        ["objective / budget / co2_goal", f"{settings.get('objective')} / {_num(settings.get('budget'))} 万元 / "
                                          f"{_num(settings.get('co2_goal'))}"],
        ["targets", _clip(", ".join(f"{t['target_id']}={t['value']:g}{'' if t['enabled'] else ' (off)'}"
                                    for t in targets) or "—", 150)],
        ["emission_factors", ", ".join(f"{v.get('id')}={v.get('value')}"
                                       for v in (settings.get("emission_factors") or {}).values())],
        ["discount_rate", str(settings.get("discount_rate"))],
        ["timestamp (UTC)", record.timestamp],
        ["illustrative", "true" if record.illustrative else "false"],
        ["outcome", f"{record.outcome.get('status')} · {len(record.outcome.get('selected') or [])} projects"],
    ]
    extra = [k for k in settings if k not in ("objective", "budget", "co2_goal", "targets", "emission_factors",
                                               "discount_rate")]
    for key in extra:
        rows.append([f"settings.{key}", _clip(str(settings[key]), 100)])
    _table(pack, slide, ["field", "value"], rows, Inches(0.6), Inches(1.3), [3.3, 8.8], size=11,
           row_height=0.3, mono=(1,))
    _text(pack, slide, pack.t("record_note"), Inches(0.6), Inches(6.55), Inches(12), Inches(0.4), 12, color=MUTED)


#: The slides of the pack, in order. Insert builders here (or pass ``slides=``) for new slides.
DEFAULT_SLIDES: list[SlideBuilder] = [title_slide, kpi_slide, targets_slide, mac_slide, frontier_slide,
                                      projects_slide, assumptions_slide, record_slide]


# --- charts -----------------------------------------------------------------


def mac_spec(pack: Pack) -> dict:
    """The MAC curve as a Vega-Lite spec (built with Altair): bars as wide as each project's CO2 cut."""
    import altair as alt

    instance, chosen = pack.instance, pack.result.chosen
    if len(chosen) != instance.n_projects:
        chosen = np.zeros(instance.n_projects, bool)
    frame = pd.DataFrame({"co2": instance.co2, "capex": instance.capex, "chosen": chosen})
    frame = frame[frame["co2"] > 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(frame["capex"] > 0, frame["co2"] / frame["capex"], np.nan)
    top = np.nanmax(ratio) if np.isfinite(ratio).any() else 0.0
    frame["ratio"] = np.where(np.isnan(ratio), top, ratio)
    frame = frame.sort_values("ratio", ascending=False, kind="stable")
    frame["x_end"] = frame["co2"].cumsum()
    frame["x_start"] = frame["x_end"] - frame["co2"]
    chosen_label, other_label = pack.t("chosen"), pack.t("not_chosen")
    frame["status"] = np.where(frame["chosen"], chosen_label, other_label)
    # The tallest bars (free or nearly free projects) would flatten the rest: cap the axis, say so in the title.
    cap = float(np.nanpercentile(frame["ratio"], 97)) * 1.2 if len(frame) else 1.0
    frame["shown"] = frame["ratio"].clip(upper=cap)
    chart = alt.Chart(frame[["x_start", "x_end", "shown", "status"]]).mark_rect(stroke="white", strokeWidth=0.3).encode(
        x=alt.X("x_start:Q", title=pack.t("mac_x"), axis=alt.Axis(format="~s")),
        x2="x_end:Q",
        y=alt.Y("shown:Q", title=pack.t("mac_y"), scale=alt.Scale(domain=[0, cap], clamp=True)),
        y2=alt.datum(0),
        color=alt.Color("status:N", title=None, scale=alt.Scale(domain=[chosen_label, other_label],
                                                                range=[CHOSEN_COLOR, OTHER_COLOR]),
                        legend=alt.Legend(orient="top-right")),
    ).properties(width=1100, height=440)
    return _configured(chart, pack.font).to_dict()


def frontier_spec(pack: Pack) -> dict:
    """The frontier (optimum and MAC pick against the budget) as a Vega-Lite spec, with this budget as a rule."""
    import altair as alt

    table = pack.frontier
    if table is None:
        raise ValueError("frontier_spec needs the pack's frontier table")
    optimum, mac = pack.t("optimum"), pack.t("mac_pick")
    long = pd.concat([
        pd.DataFrame({"budget": table["budget"], "co2": table["co2_t"], "series": optimum}),
        pd.DataFrame({"budget": table["budget"], "co2": table["mac_co2_t"], "series": mac}),
    ]).dropna(subset=["co2"])
    lines = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=3).encode(
        x=alt.X("budget:Q", title=pack.t("frontier_x"), axis=alt.Axis(format=",.0f")),
        y=alt.Y("co2:Q", title=pack.t("frontier_y"), axis=alt.Axis(format=",.0f")),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=[optimum, mac], range=[CHOSEN_COLOR, MAC_COLOR]),
                        legend=alt.Legend(orient="bottom-right")),
    )
    layers = [lines]
    budget = pack.result.budget
    if budget is not None:
        rule = alt.Chart(pd.DataFrame({"budget": [budget], "label": [pack.t("this_budget")]}))
        layers.append(rule.mark_rule(color="#c62828", strokeDash=[6, 4], strokeWidth=2).encode(x="budget:Q"))
        layers.append(rule.mark_text(align="left", dx=6, baseline="top", y=8, color="#c62828", fontSize=16).encode(
            x="budget:Q", text="label:N"))
    chart = alt.layer(*layers).properties(width=1100, height=440)
    return _configured(chart, pack.font).to_dict()


def _configured(chart: alt.TopLevelMixin, font: str) -> alt.TopLevelMixin:
    return (chart.configure(font=font).configure_axis(labelFont=font, titleFont=font, labelFontSize=15,
                                                      titleFontSize=16, grid=True, gridColor="#e4e9e6")
            .configure_legend(labelFont=font, titleFont=font, labelFontSize=15, symbolSize=200)
            .configure_view(stroke=None))


def render_chart(spec: dict, scale: float = 2.0) -> bytes:
    """A Vega-Lite spec as PNG bytes, rendered by vl-convert with the system's fonts (Noto CJK for Chinese)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=scale)


# --- the PDF ----------------------------------------------------------------


def pptx_to_pdf(deck: bytes, timeout: float = 120.0) -> bytes:
    """The deck as PDF, converted by LibreOffice Impress (fonts used are embedded as subsets).

    Each call runs ``soffice`` with its own throw-away profile, so parallel
    conversions (two users, two tests) never share LibreOffice's profile lock.
    """
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        raise RuntimeError("PDF needs LibreOffice: apt-get install libreoffice-impress fonts-noto-cjk")
    with tempfile.TemporaryDirectory(prefix="retrofit-pack-") as folder:
        source = Path(folder) / "pack.pptx"
        source.write_bytes(deck)
        profile = Path(folder) / "profile"
        done = subprocess.run(
            [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", folder, str(source)],
            capture_output=True, text=True, timeout=timeout, env={**os.environ, "HOME": folder}, check=False)
        target = Path(folder) / "pack.pdf"
        if done.returncode != 0 or not target.exists():
            raise RuntimeError(f"LibreOffice could not convert the deck: {done.stderr.strip() or done.stdout.strip()}")
        return target.read_bytes()


def build_pack_pdf(dataset: Dataset, result: PortfolioResult, **options: Unpack[PackOptions]) -> bytes:
    """:func:`build_pack`, converted to PDF by :func:`pptx_to_pdf`."""
    return pptx_to_pdf(build_pack(dataset, result, **options))


# --- drawing helpers --------------------------------------------------------


def _rgb(hex_colour: str) -> RGBColor:
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour)


def _set_font(pack: Pack, run: _Run, size: float, bold: bool = False, color: str = INK, mono: bool = False) -> None:
    """Size, weight, colour, and the font for Latin and East Asian text (so Chinese never falls to a default)."""
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = _rgb(color)
    name = "DejaVu Sans Mono" if mono else pack.font
    run.font.name = name
    properties = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        element = properties.find(qn(tag))
        if element is None:
            element = properties.makeelement(qn(tag), {})
            properties.append(element)
        element.set("typeface", pack.font)
    if pack.lang == "zh":
        properties.set("lang", "zh-CN")
        properties.set("altLang", "en-US")


def _blank(pack: Pack) -> Slide:
    return pack.presentation.slides.add_slide(pack.presentation.slide_layouts[6])


def _titled(pack: Pack, title: str) -> Slide:
    from pptx.util import Inches

    slide = _blank(pack)
    _text(pack, slide, title, Inches(0.6), Inches(0.35), Inches(12.1), Inches(0.7), 26, bold=True, color=INK)
    line = _rectangle(slide, Inches(0.6), Inches(1.05), Inches(12.1), Inches(0.04))
    _fill(line, GREEN)
    return slide


def _rectangle(slide: Slide, left: int, top: int, width: int, height: int) -> Shape:
    """A rectangle at that place (EMU: python-pptx's lengths are ints)."""
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu

    return slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(left), Emu(top), Emu(width), Emu(height))


def _fill(shape: Shape, colour: str, line: str | None = None) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(colour)
    if line:
        shape.line.color.rgb = _rgb(line)
    else:
        shape.line.fill.background()
    shape.shadow.inherit = False


def _text(pack: Pack, slide: Slide, value: str, left: Length, top: Length, width: Length, height: Length,
          size: float, bold: bool = False, color: str = INK) -> Shape:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = value
    _set_font(pack, run, size, bold, color)
    return box


def _lines(pack: Pack, slide: Slide, values: list[str], left: Length, top: Length, width: Length,
           height: Length, size: float, color: str = INK, bullet: bool = False) -> Shape:
    from pptx.util import Pt

    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, value in enumerate(values):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(size * 0.5)
        run = paragraph.add_run()
        run.text = ("• " if bullet else "") + value
        _set_font(pack, run, size, color=color)
    return box


def _frame_text(pack: Pack, shape: Shape, value: str, size: float, bold: bool = False, color: str = INK) -> None:
    from pptx.util import Inches

    frame = shape.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = Inches(0.25)
    run = frame.paragraphs[0].add_run()
    run.text = value
    _set_font(pack, run, size, bold, color)


def _table(pack: Pack, slide: Slide, header: list[str], rows: list[list[str]], left: Length, top: Length,
           widths: list[float], size: float = 12, align_right: tuple[int, ...] = (), row_height: float = 0.34,
           mono: tuple[int, ...] = ()) -> Table:
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, Inches(sum(widths)),
                                   Inches(row_height * (len(rows) + 1)))
    table = shape.table
    for c, width in enumerate(widths):
        table.columns[c].width = Inches(width)
    for r in range(len(rows) + 1):
        table.rows[r].height = Inches(row_height)
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.margin_left = cell.margin_right = Inches(0.06)
            frame = cell.text_frame
            frame.word_wrap = True
            paragraph = frame.paragraphs[0]
            paragraph.alignment = PP_ALIGN.RIGHT if c in align_right and r > 0 else PP_ALIGN.LEFT
            run = paragraph.add_run()
            run.text = str(value)
            _set_font(pack, run, size, bold=r == 0, color="FFFFFF" if r == 0 else INK, mono=c in mono and r > 0)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(GREEN if r == 0 else ("FFFFFF" if r % 2 else "F6F8F7"))
    return table


def _footer(pack: Pack, slide: Slide, number: int) -> None:
    from pptx.util import Inches

    note = pack.dataset.name
    if is_illustrative(pack.dataset):
        note = ("示例数据 ILLUSTRATIVE · " if pack.lang == "zh" else "ILLUSTRATIVE sample · ") + note
    _text(pack, slide, _clip(note, 110), Inches(0.6), Inches(7.05), Inches(10), Inches(0.35), 9,
          color=RED if is_illustrative(pack.dataset) else GREY)
    _text(pack, slide, str(number), Inches(12.2), Inches(7.05), Inches(0.5), Inches(0.35), 9, color=GREY)


def _no_portfolio(pack: Pack, slide: Slide) -> None:
    from pptx.util import Inches

    result = pack.result
    diagnosis = ""
    if result.diagnosis and result.diagnosis.get("least_budget") is not None:
        diagnosis = pack.t("least_budget", value=_num(result.diagnosis["least_budget"]))
    elif result.diagnosis:
        diagnosis = str(result.diagnosis.get("summary_zh" if pack.lang == "zh" else "summary_en", ""))
    lines = [pack.t("no_portfolio", status=_status(pack), diagnosis=diagnosis)]
    closest = getattr(result, "closest", None)
    if closest is not None:
        selected = getattr(closest, "selected", None) or (closest.get("selected") if isinstance(closest, dict) else [])
        lines.append(pack.t("closest", value=f"{len(selected or [])} projects"))
    _lines(pack, slide, lines, Inches(0.6), Inches(1.6), Inches(12), Inches(3), 20, color=RED)


def _status_word(pack: Pack, outcome: TargetOutcome, word: str) -> str:
    """The light's word, with "overdue" where the plan's date has passed; a target not yet due says so."""
    if not outcome.binding:
        return verdict(outcome, pack.lang)
    return pack.t(word) + (pack.t("overdue") if outcome.overdue else "")


def _light(outcome: TargetOutcome) -> tuple[str, str]:
    if outcome.after is None:
        return GREY, "no_measure"
    if not outcome.met:
        return RED, "not_met"
    if kind_of(outcome.kind).shows_tightness and outcome.after - outcome.required < AMBER_MARGIN:
        return AMBER, "tight"
    return GREEN, "met"


def _economics(pack: Pack) -> str:
    from optimizer.data.economics import portfolio_economics, project_economics

    chosen = pack.result.chosen
    if not len(chosen) or not chosen.any():
        return ""
    projects = pack.dataset.projects[chosen]
    co2 = pack.instance.co2[chosen]
    figures = portfolio_economics(project_economics(projects, co2, pack.discount_rate), projects, co2)
    cost, payback = figures["abatement_cost_cny_per_t"], figures["payback_years"]
    return pack.t("economics", cost=_num(cost), payback="—" if payback is None else f"{payback:.1f}")


def _status(pack: Pack) -> str:
    en, zh = STATUS.get(pack.result.status, (pack.result.status, pack.result.status))
    return zh if pack.lang == "zh" else en


def _gap(gap: float | None) -> str:
    if gap is None or (isinstance(gap, float) and not math.isfinite(gap)):
        return "—"
    return f"{gap:.3%}" if gap < 0.01 else f"{gap:.1%}"


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.0f}"


def _big_co2(pack: Pack, co2: float) -> str:
    """The CO2 cut as the tile shows it: 万吨 in Chinese when large (391.0 万吨), else tonnes."""
    if pack.lang == "zh" and co2 >= 1e4:
        return f"{co2 / 1e4:,.1f} 万吨"
    return _num(co2)


def _ratio(co2: float, capex: float) -> str:
    return "—" if not capex else f"{co2 / capex:,.2f}"


def _width(value: str) -> int:
    """Display columns of a text: a CJK character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(value))


def warm_up() -> None:
    """Start vl-convert (its first render loads the fonts, about a second) so a later chart is quick.

    Run it in a thread while the portfolio is solved: :func:`render_chart` then takes a few tenths.
    """
    render_chart({"data": {"values": [{"a": 1}]}, "mark": "point",
                  "encoding": {"x": {"field": "a", "type": "quantitative"}}, "config": {"font": FONT}}, scale=1.0)


def _clip(value: str, limit: int) -> str:
    """At most ``limit`` display columns (a CJK character takes two), with an ellipsis when cut."""
    import unicodedata

    value = str(value)
    width, out = 0, list[str]()
    for ch in value:
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if width > limit:
            return "".join(out).rstrip() + "…"
        out.append(ch)
    return value
