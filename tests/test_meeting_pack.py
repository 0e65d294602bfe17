"""The run record, workbooks analysts keep and the meeting pack, on real files.

Decks are opened with python-pptx; PDFs are made by LibreOffice and rendered by
pdftoppm, and Chinese glyphs are checked not to be tofu.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import EmissionFactors, PolicyOptions, SolverSettings, build_dataset, load_dataset, optimize, prepare
from optimizer.answers.diagnosis import diagnose
from optimizer.answers.question import Question
from optimizer.data.canonical import canonical_csv, contract_tables, data_hash
from optimizer.data.reading import read_bytes
from optimizer.data.schema import FACILITIES, PRODUCTS, PROJECTS, TARGETS
from optimizer.outputs.export import (
    dataset_workbook,
    portfolio_csv,
    portfolio_table,
    portfolio_workbook,
    read_record_workbook,
)
from optimizer.outputs.record import RunRecord, make_record

from .conftest import ROOT, SAMPLE, TINY_FACILITIES, TINY_PROJECTS, examples, write_tables

SPECS = {"facilities": FACILITIES, "projects": PROJECTS, "products": PRODUCTS, "targets": TARGETS}
needs_office = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")),
                                  reason="needs libreoffice-impress and poppler-utils (scripts/test.sh installs them)")


def run(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def canonical(dataset) -> dict[str, bytes]:
    return {name: canonical_csv(frame, SPECS[name]) for name, frame in contract_tables(dataset).items()}


# Extra columns the contract does not know, in three tables, one of them formula-like text.
EXTRA_FACILITIES = TINY_FACILITIES.replace("energy_intensity\n", "energy_intensity,备注,owner code\n")
EXTRA_FACILITIES = "\n".join(
    line + (f",第{i}号,=cmd|x" if i == 1 else f",第{i}号,C{i}") if i else line
    for i, line in enumerate(EXTRA_FACILITIES.strip().splitlines())) + "\n"
EXTRA_PROJECTS = "\n".join(line + (",contractor" if i == 0 else f",公司{i}")
                           for i, line in enumerate(TINY_PROJECTS.strip().splitlines())) + "\n"
EXTRA_PRODUCTS = ("product,sector,benchmark,baseline,source,note\n"
                  "caustic_soda_liquid_30,petrochemical,300,330,own survey,+reviewed 2024\n")


@pytest.fixture
def extra_folder(tmp_path: Path) -> Path:
    folder = write_tables(tmp_path / "extra", facilities=EXTRA_FACILITIES, projects=EXTRA_PROJECTS)
    (folder / "products.csv").write_text(EXTRA_PRODUCTS, encoding="utf-8")
    return folder


# --- the data hash -----------------------------------------------------------


def test_same_data_gives_the_same_hash_however_uploaded(tmp_path, extra_folder):
    original = load_dataset(extra_folder, name="x")
    digest = data_hash(original)
    assert len(digest) == 64
    # a workbook in either language, and CSV files with columns and rows in another order
    for lang in ("zh", "en"):
        again = build_dataset(read_bytes("d.xlsx", dataset_workbook(original, lang=lang)), name="y")
        assert data_hash(again) == digest, lang
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for name in ("facilities", "projects", "products"):
        frame = pd.read_csv(extra_folder / f"{name}.csv", dtype=str, keep_default_na=False)
        frame = frame[frame.columns[::-1]].iloc[::-1]
        frame.to_csv(shuffled / f"{name}.csv", index=False)
    assert data_hash(load_dataset(shuffled)) == digest
    # one number changed: another hash
    one_changed = EXTRA_PROJECTS.replace("P7,F3,solar,solar_rooftop,800", "P7,F3,solar,solar_rooftop,801")
    changed = write_tables(tmp_path / "changed", facilities=EXTRA_FACILITIES, projects=one_changed)
    (changed / "products.csv").write_text(EXTRA_PRODUCTS, encoding="utf-8")
    assert data_hash(load_dataset(changed)) != digest


def test_record_survives_json_and_a_workbook_sheet(tiny_folder):
    dataset = load_dataset(tiny_folder)
    factors = EmissionFactors.default()
    instance = prepare(dataset, factors)
    result = optimize(instance, budget=8000, targets=dataset.targets)
    question = Question(budget=8000, options=PolicyOptions(margin=0.05), factors=factors).with_targets_of(
        dataset.targets)
    settings = {**question.to_dict(dataset.targets), "budgets_per_year": {"2025": 4000, "2026": 4000}}
    record = make_record(dataset, result, solver_settings=SolverSettings(), settings=settings,
                         data_path=str(tiny_folder))
    assert RunRecord.from_json(record.to_json()) == record
    assert record.settings["margin"] == 0.05 and record.settings["budgets_per_year"]["2026"] == 4000
    assert record.outcome["selected"] == sorted(result.selected)
    assert record.solver_version.startswith("highspy ") and record.product_version
    for lang in ("zh", "en"):
        book = portfolio_workbook(dataset, instance, result, factors, lang=lang, record=record)
        assert read_record_workbook(book) == record


# --- rerun -------------------------------------------------------------------


@pytest.mark.slow
def test_two_reruns_of_one_record_give_the_same_selection(tmp_path):
    solved = run("solve", "--data", SAMPLE, "--budget", 200000, "--json")
    assert solved.returncode == 0, solved.stderr
    output = json.loads(solved.stdout.strip().splitlines()[-1])
    record = output["run_record"]
    assert record["data_sha256"] == data_hash(load_dataset(SAMPLE)) and record["illustrative"] is True
    assert record["settings"]["budget"] == 200000 and record["outcome"]["selected"] == sorted(output["selected"])
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    reruns = [run("rerun", path, "--json") for _ in range(2)]
    for again in reruns:
        assert again.returncode == 0, again.stdout + again.stderr
        assert "identical" in again.stdout
    first, second = (json.loads(r.stdout.strip().splitlines()[-1]) for r in reruns)
    assert sorted(first["selected"]) == sorted(second["selected"]) == sorted(output["selected"])
    assert first["rerun"]["identical"] and first["run_record"]["data_sha256"] == record["data_sha256"]


@pytest.mark.slow
def test_rerun_of_changed_data_names_the_hash_difference(tmp_path):
    folder = write_tables(tmp_path / "tiny")
    solved = run("solve", "--data", folder, "--budget", 8000, "--json")
    record = json.loads(solved.stdout.strip().splitlines()[-1])["run_record"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    write_tables(folder,
                 projects=TINY_PROJECTS.replace("P7,F3,solar,solar_rooftop,800", "P7,F3,solar,solar_rooftop,900"))
    again = run("rerun", path, "--json")
    assert again.returncode == 4, again.stdout + again.stderr
    assert "DIFFERENT" in again.stdout and "data_sha256" in again.stdout
    differences = json.loads(again.stdout.strip().splitlines()[-1])["rerun"]["differences"]
    assert [d["field"] for d in differences if d["decisive"]] == ["data_sha256"]


@pytest.mark.slow
def test_rerun_from_a_downloaded_workbook_alone(tmp_path):
    folder = write_tables(tmp_path / "tiny")
    book = tmp_path / "portfolio.xlsx"
    solved = run("solve", "--data", folder, "--budget", 8000, "--no-targets", "--json", "--out", book)
    assert solved.returncode == 0, solved.stderr
    shutil.rmtree(folder)  # the workbook carries its data
    again = run("rerun", book, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    result = json.loads(again.stdout.strip().splitlines()[-1])
    assert sorted(result["selected"]) == sorted(json.loads(solved.stdout.strip().splitlines()[-1])["selected"])
    assert result["targets"] == []  # --no-targets was recorded and honoured


# --- CSV and workbooks --------------------------------------------------------


def test_csv_carries_the_record_and_loads_back_with_comment(tiny_folder):
    projects = TINY_PROJECTS.replace("P1,F1,membrane,", "P1,F1,#1 membrane,").replace("P7,F3,solar,", "P7,F3,=1+1,")
    folder = write_tables(tiny_folder.parent / "hash", projects=projects)
    dataset = load_dataset(folder)
    factors = EmissionFactors.default()
    instance = prepare(dataset, factors)
    result = optimize(instance, budget=8000, targets=dataset.targets)
    record = make_record(dataset, result, solver_settings=SolverSettings(), settings={"budget": 8000})
    raw = portfolio_csv(portfolio_table(dataset, instance, result), record, "zh")
    text = raw.decode("utf-8-sig")
    head = [line for line in text.splitlines() if line.startswith("# ")]
    assert any(record.data_sha256 in line for line in head)
    assert RunRecord.from_json(head[-1].removeprefix("# json: ")) == record
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", comment="#", dtype={"项目编号": str})
    assert sorted(table["项目编号"]) == sorted(result.selected)
    assert "#1 membrane" in set(table["项目名称"])  # a # inside a quoted cell is data, not a comment


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_workbook_with_extra_columns_round_trips(extra_folder, lang):
    original = load_dataset(extra_folder, name="x")
    book = dataset_workbook(original, lang=lang)
    again = build_dataset(read_bytes("dataset.xlsx", book), name="x")
    assert canonical(again) == canonical(original)
    assert {"备注", "owner_code"} <= set(again.facilities.columns)
    assert again.facilities.loc["F1", "owner_code"] == "=cmd|x"
    assert again.projects.loc["P3", "contractor"] == "公司3"
    assert again.products.loc["caustic_soda_liquid_30", "note"] == "+reviewed 2024"
    # and once more: download -> upload is stable
    assert canonical(build_dataset(read_bytes("d.xlsx", dataset_workbook(again, lang=lang)))) == canonical(original)

    sheets = openpyxl.load_workbook(io.BytesIO(book))
    projects = sheets["projects"]
    headers = [c.value for c in projects[1]]
    assert ("投资（万元）" if lang == "zh" else "capex (万元)") in headers
    assert ("项目编号" if lang == "zh" else "project_id") in headers and "contractor" in headers
    assert projects.freeze_panes == "A2"
    capex = projects.cell(row=2, column=headers.index("投资（万元）" if lang == "zh" else "capex (万元)") + 1)
    assert isinstance(capex.value, (int, float)) and "#,##0" in capex.number_format
    facilities = sheets["facilities"]
    cells = [c for row in facilities.iter_rows() for c in row]
    assert "'=cmd|x" in [c.value for c in cells] and all(c.data_type != "f" for c in cells)
    assert "run_record" in sheets.sheetnames
    assert read_record_workbook(book).data_sha256 == data_hash(original)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_portfolio_workbook_has_summary_sources_and_record(lang):
    dataset = load_dataset(SAMPLE, name="s")
    factors = EmissionFactors.default()
    instance = prepare(dataset, factors)
    result = optimize(instance, budget=300_000, targets=dataset.targets)
    result.co2_structural_t, result.co2_technical_t = 1000.0, result.co2_reduction_t - 1000.0  # accounting fields
    result.closed_by_order = [{"facility_id": "BC01", "reason": "below min_line_capacity"}]
    book = portfolio_workbook(dataset, instance, result, factors, lang=lang)
    sheets = pd.read_excel(io.BytesIO(book), sheet_name=None, keep_default_na=False)
    summary = sheets["summary"].set_index("item")
    assert summary.loc["spend"].iloc[1] == pytest.approx(result.spend)
    assert summary.loc["co2_structural"].iloc[1] == 1000.0
    assert "BC01" in summary.loc["closed_by_order"].iloc[1]
    assert {f"target:{t.target_id}" for t in result.targets} <= set(summary.index)
    assert "→" in str(summary.loc[f"target:{result.targets[0].target_id}"].iloc[1])
    assert list(sheets["summary"].columns)[0] == ("指标" if lang == "zh" else "indicator")
    sources = sheets["sources"]
    assert "grid_fujian_2023" in set(sources.iloc[:, 1]) and {"targets", "products"} <= set(sources.iloc[:, 0])
    assert any("《福州市" in s for s in sources.iloc[:, 3])
    portfolio = sheets["portfolio"]
    assert ("核算减排量（吨CO2/年）" if lang == "zh" else "co2_cut (tCO2/yr)") in portfolio.columns


# --- the meeting pack ----------------------------------------------------------


@pytest.fixture(scope="module")
def sample_solved():
    from optimizer.answers.frontier import budget_range, frontier

    dataset = load_dataset(SAMPLE)
    factors = EmissionFactors.default()
    instance = prepare(dataset, factors)
    result = optimize(instance, budget=300_000, targets=dataset.targets)
    table = frontier(instance, dataset.targets, budget_range(0, 600_000, 5))
    settings = Question(budget=300_000, factors=factors).with_targets_of(dataset.targets).to_dict(dataset.targets)
    record = make_record(dataset, result, solver_settings=SolverSettings(), settings=settings)
    return dataset, instance, factors, result, table, record


def slide_texts(deck: bytes) -> list[str]:
    from pptx import Presentation

    texts = []
    for slide in Presentation(io.BytesIO(deck)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        texts.append("\n".join(parts))
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pack_slides_and_texts(sample_solved, lang):
    from pptx import Presentation

    from optimizer.outputs.report import build_pack

    dataset, instance, factors, result, table, record = sample_solved
    deck = build_pack(dataset, result, lang=lang, record=record, frontier=table, instance=instance, factors=factors)
    texts = slide_texts(deck)
    assert len(texts) == 8
    expected = {
        "zh": ["工业节能降碳改造项目组合", "关键指标", "目标：现状 → 实施后", "边际减排曲线", "有效前沿",
               "入选项目", "假设与数据来源", "运行记录"],
        "en": ["retrofit portfolio", "Key figures", "Targets: today", "Marginal abatement cost", "Frontier",
               "Chosen projects", "Assumptions and sources", "Run record"],
    }[lang]
    for text, title in zip(texts, expected):
        assert title in text
    assert ("示例数据（ILLUSTRATIVE）" if lang == "zh" else "ILLUSTRATIVE sample data") in texts[0]
    assert f"{len(result.selected)}" in texts[1] and f"{result.spend:,.0f} 万元" in texts[1]
    assert ("万吨" if lang == "zh" else f"{result.co2_reduction_t:,.0f}") in texts[1]
    assert ("达标" if lang == "zh" else "met") in texts[2]
    for outcome in result.targets:
        assert ((outcome.name_zh if lang == "zh" else outcome.name_en)[:10]) in texts[2]
    assert f"{result.co2_reduction_t:,.0f}" in texts[5] and ("合计" if lang == "zh" else "Total") in texts[5]
    assert "grid_fujian_2023" in texts[6]
    assert record.data_sha256 in texts[7]
    pictures = [shape for slide in Presentation(io.BytesIO(deck)).slides for shape in slide.shapes
                if shape.shape_type == 13]
    assert len(pictures) == 2  # the MAC and frontier charts
    if lang == "zh":  # every run names a CJK font for East Asian text
        from pptx.oxml.ns import qn

        runs = [r for slide in Presentation(io.BytesIO(deck)).slides for shape in slide.shapes
                if shape.has_text_frame for p in shape.text_frame.paragraphs for r in p.runs]
        assert runs and all(r._r.rPr.find(qn("a:ea")).get("typeface") == "Noto Sans CJK SC" for r in runs)


def test_pack_lists_further_settings_on_the_assumptions_slide(sample_solved):
    """A setting beyond the shown ones (here ``margin``) is a "key: value" line, not a TypeError."""
    from dataclasses import replace

    from optimizer.outputs.report import build_pack

    dataset, instance, factors, result, _, record = sample_solved
    record = replace(record, settings={**record.settings, "margin": 0.02})
    deck = build_pack(dataset, result, lang="en", record=record, instance=instance, factors=factors)
    assert any("margin: 0.02" in text for text in slide_texts(deck))


@pytest.mark.slow
def test_pack_without_portfolio_says_so_and_shows_accounting_when_present(sample_solved):
    from optimizer.outputs.report import build_pack

    dataset, instance, factors, result, _, record = sample_solved
    infeasible = optimize(instance, budget=1000, targets=dataset.targets)
    infeasible.diagnosis = diagnose(instance, dataset.targets, budget=1000).to_dict()
    texts = slide_texts(build_pack(dataset, infeasible, lang="zh", record=record, instance=instance, factors=factors))
    assert len(texts) == 7  # no frontier given: no frontier slide
    assert "无可行组合" in texts[1] and "至少需要" in texts[1] and "未选择任何项目" in texts[4]
    result.energy_saving_tce = 123456.0
    result.closed_by_order = ["BC09"]
    texts = slide_texts(build_pack(dataset, result, lang="en", record=record, instance=instance, factors=factors))
    assert "Energy saved: 123,456 tce/yr" in texts[1] and "Closed by order: BC09" in texts[1]
    del result.energy_saving_tce, result.closed_by_order


# --- PDF: Chinese must render, not as tofu ---------------------------------------


def glyph_cells(png: Path, box: tuple[float, float, float, float], count: int) -> list[np.ndarray]:
    """Split the inked part of ``box`` (fractions of the page) into ``count`` equal cells, one glyph each."""
    from PIL import Image

    image = np.asarray(Image.open(png).convert("L"), dtype=float) / 255.0
    h, w = image.shape
    crop = image[int(box[1] * h):int(box[3] * h), int(box[0] * w):int(box[2] * w)]
    ink = crop < 0.5
    rows, cols = np.where(ink)
    assert len(rows), "no ink where the text should be"
    glyphs = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    edges = np.linspace(0, glyphs.shape[1], count + 1).astype(int)
    return [glyphs[:, a:b][:, : edges[1] - edges[0] - 1] for a, b in zip(edges[:-1], edges[1:])]


def distinct_glyphs(cells: list[np.ndarray]) -> float:
    """Mean share of pixels that differ between neighbouring glyph cells: ~0 for a row of identical boxes.

    Each pair is compared at its best alignment within a few pixels, so rounding of the cell edges does not
    make identical boxes look different.
    """
    def differ(a: np.ndarray, b: np.ndarray) -> float:
        width = min(a.shape[1], b.shape[1])
        return min(float(np.mean(a[:, :width] != np.roll(b[:, :width], shift, axis=1))) for shift in range(-3, 4))

    return float(np.mean([differ(a, b) for a, b in zip(cells[:-1], cells[1:])]))


def render(pdf: Path, page: int, prefix: Path) -> Path:
    subprocess.run(["pdftoppm", "-r", "60", "-gray", "-png", "-f", str(page), "-l", str(page), pdf, prefix],
                   check=True, timeout=60)
    return next(prefix.parent.glob(f"{prefix.name}*.png"))


@pytest.mark.slow
@needs_office
def test_pdf_shows_chinese_glyphs_not_tofu(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches

    from optimizer.outputs import report

    # The real pack, through the command line.
    pdf = tmp_path / "pack.pdf"
    made = run("report", "--data", SAMPLE, "--budget", 300000, "--lang", "zh", "--out", pdf, "--frontier-points", 3)
    assert made.returncode == 0, made.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=False).stdout
    assert "NotoSansCJK" in fonts  # the CJK font is embedded
    title = "工业节能降碳改造项目组合"  # 12 different characters, 36 pt, at (0.8 in, 1.6 in) on slide 1
    cells = glyph_cells(render(pdf, 1, tmp_path / "title"), (0.05, 0.2, 0.95, 0.34), len(title))
    real = distinct_glyphs(cells)

    # A box glyph must fail: the same check on a row of characters no font here has (drawn as .notdef boxes).
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    pack = report.Pack(None, None, "zh", None, None, None, None, 0.08, 15, report.FONT, deck)
    report._text(pack, slide, "\U000f0001" * len(title), Inches(0.8), Inches(1.6), Inches(11.7), Inches(1.2), 36,
                 bold=True)
    buffer = io.BytesIO()
    deck.save(buffer)
    tofu_pdf = tmp_path / "tofu.pdf"
    tofu_pdf.write_bytes(report.pptx_to_pdf(buffer.getvalue()))
    tofu = distinct_glyphs(glyph_cells(render(tofu_pdf, 1, tmp_path / "tofu"), (0.05, 0.2, 0.95, 0.34), len(title)))
    assert tofu < 0.05, tofu
    assert real > 0.15 and real > 4 * tofu, (real, tofu)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_infinity=False),
                          st.text(max_size=5), st.tuples(st.text(max_size=3), st.text(max_size=3))),
                min_size=1, max_size=30),
       st.sampled_from([None, "float", "int", "bool", "str"]))
def test_a_column_at_a_time_writes_every_cell_as_the_cell_by_cell_form(cells, kind):
    """The run record's data hash must not move when cells are written a column at a time (stored records)."""
    from optimizer.data.canonical import _cells, cell

    column = pd.Series(cells, dtype=object)
    if kind == "float":
        column = pd.Series([c if isinstance(c, float) else 0.5 for c in cells], dtype=float)
    elif kind == "int":
        column = pd.Series([c if isinstance(c, int) and not isinstance(c, bool) else 7 for c in cells], dtype="int64")
    elif kind == "bool":
        column = pd.Series([bool(c) for c in cells], dtype=bool)
    elif kind == "str":
        column = pd.Series([c if isinstance(c, str) else "x" for c in cells], dtype=object)
    assert _cells(column) == [cell(value) for value in column.to_numpy()]
