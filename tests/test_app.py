"""The Streamlit app, driven through streamlit.testing.v1.AppTest.

Each test points RETROFIT_DB at its own file, so no two tests share a DuckDB
file (and none touches data/retrofit.duckdb).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optimizer import load_dataset, optimize

from .conftest import SAMPLE

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "projects", "optimize", "frontier", "roadmap", "alternatives", "scenarios", "method"]


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("RETROFIT_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")  # errors reach AppTest instead of the error box
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_number(at: AppTest, index: int = 0) -> float:
    return float(at.metric[index].value.replace(",", ""))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    open_page(app, page)
    assert app.title, "each page has a title"


def test_sidebar_and_sample_warning(app):
    assert app.sidebar.selectbox(key="dataset").value == "fuzhou_sample"
    assert any("ILLUSTRATIVE" in w.value for w in app.sidebar.warning)


def test_language_switch_changes_labels(app):
    zh_title = app.title[0].value
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value != zh_title
    assert app.title[0].value == "Overview"
    open_page(app, "optimize")
    assert app.title[0].value == "Optimize"
    assert any(m.label.startswith("CO₂ cut") for m in app.metric)


def test_higher_budget_cuts_more_co2(app):
    open_page(app, "optimize")
    assert not app.error
    base = metric_number(app)
    assert base > 0
    app.number_input(key="budget_input").set_value(400_000.0).run()
    assert not app.exception
    assert metric_number(app) > base
    assert app.slider(key="budget_slider").value == 400_000.0
    assert app.session_state["settings"].budget == 400_000.0


def test_infeasible_budget_shows_diagnosis_and_least_budget_fixes_it(app):
    open_page(app, "optimize")
    app.number_input(key="budget_input").set_value(50_000.0).run()
    assert not app.exception
    assert app.error, "an infeasible budget is reported"
    text = app.error[0].value
    assert "50,000" in text and "万元" in text  # the diagnosis, in Chinese by default
    # the last result stays on screen, marked as the previous one: no success banner, no downloads
    assert app.metric and metric_number(app) > 0
    assert not app.success
    assert any("上一次的结果" in w.value for w in app.warning)
    assert not {d.key for d in app.get("download_button")} & {"download_csv", "download_xlsx"}
    app.button(key="use_least_budget").click().run()
    assert not app.exception
    assert not app.error
    budget = app.number_input(key="budget_input").value
    assert 50_000 < budget < 300_000
    assert metric_number(app) > 0
    assert any(s.value for s in app.success)  # proven optimal


def test_downloads_on_optimize(app):
    open_page(app, "optimize")
    keys = {d.key for d in app.get("download_button")}
    assert {"download_csv", "download_xlsx"} <= keys


def test_save_and_compare_scenarios(app):
    open_page(app, "scenarios")
    app.text_input(key="scenario_name").input("基准 300k").run()
    app.button(key="save_scenario").click().run()
    assert not app.exception
    assert app.success
    open_page(app, "optimize")
    app.number_input(key="budget_input").set_value(400_000.0).run()
    open_page(app, "scenarios")
    app.text_input(key="scenario_name").input("plus 400k").run()
    app.button(key="save_scenario").click().run()
    assert not app.exception
    listed = app.dataframe[0].value
    assert list(listed.iloc[:, 0]) == ["基准 300k", "plus 400k"]
    assert app.multiselect(key="compare").value == ["基准 300k", "plus 400k"]
    side_by_side = app.dataframe[1].value
    assert list(side_by_side.columns) == ["基准 300k", "plus 400k"]
    assert any("plus 400k" in m.value for m in app.markdown)  # added/dropped section


def test_upload_reports_every_problem(app):
    open_page(app, "projects")
    bad = "project_id,facility_id,name,category,capex\nP1,NOPE,x,process,abc\n"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("facilities.csv", "facility_id,name,sector,product,capacity,energy_intensity\n"
                                     "F1,a,steel,sinter,-5,47\n")
        z.writestr("projects.csv", bad)
    app.file_uploader(key="upload").upload("bad.zip", archive.getvalue(), "application/zip").run()
    app.text_input(key="upload_name").input("bad").run()
    app.button(key="upload_button").click().run()
    assert not app.exception
    assert app.error
    message = app.error[0].value
    assert "行" in message  # row numbers, in Chinese
    assert message.count("\n- ") >= 2  # more than one problem listed
    assert "capex" in message or "投资" in message
    app.sidebar.radio(key="language").set_value("en").run()
    assert "row" in app.error[0].value  # the same problems, in English


def test_upload_accepts_the_sample(app):
    open_page(app, "projects")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("facilities.csv", "projects.csv"):
            z.writestr(name, (ROOT / "data" / "sample" / "fuzhou" / name).read_bytes())
    app.file_uploader(key="upload").upload("copy.zip", archive.getvalue(), "application/zip").run()
    app.text_input(key="upload_name").input("copy").run()
    app.button(key="upload_button").click().run()
    assert not app.exception
    assert app.success
    assert "copy" in app.sidebar.selectbox(key="dataset").options
    app.sidebar.selectbox(key="dataset").set_value("copy").run()
    assert not app.exception
    assert not any("ILLUSTRATIVE" in w.value for w in app.sidebar.warning)
    open_page(app, "optimize")
    assert metric_number(app) > 0


def test_shared_link_reopens_the_view(tmp_path, monkeypatch):
    monkeypatch.setenv("RETROFIT_DB", str(tmp_path / "link.duckdb"))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["budget"] = "400000"
    at.query_params["dataset"] = "fuzhou_sample"
    at.run()
    assert not at.exception
    open_page(at, "optimize")
    assert at.number_input(key="budget_input").value == 400_000.0
    expected = optimize(load_dataset(SAMPLE), budget=400_000).co2_reduction_t  # the library, solved apart
    assert metric_number(at) == pytest.approx(expected, rel=1e-3)


def test_frontier_table_has_every_budget(app):
    open_page(app, "frontier")
    table = app.dataframe[0].value
    assert len(table) == 17
    top = math.ceil(load_dataset(SAMPLE).projects["capex"].sum() / 10_000) * 10_000  # the slider's top: all capex
    assert table.iloc[:, 0].tolist()[0] == 0 and table.iloc[:, 0].tolist()[-1] == top


def test_corrupt_database_offers_a_fresh_one(tmp_path, monkeypatch):
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    monkeypatch.setenv("RETROFIT_DB", str(path))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.error and str(path) in at.error[0].value.replace("\\", "")  # shown escaped for markdown
    at.button(key="new_database").click().run()
    assert not at.exception
    assert not at.error
    assert at.sidebar.selectbox(key="dataset").value == "fuzhou_sample"
    assert list(tmp_path.glob("broken.duckdb.broken-*")), "the old file is kept as a backup"


def test_edited_projects_are_checked_and_saved(app):
    open_page(app, "projects")
    app.text_input(key="edit_save_name").input("edited").run()
    app.button(key="edit_save").click().run()
    assert not app.exception
    assert not app.error
    assert "edited" in app.sidebar.selectbox(key="dataset").options


# --- one question on screen -----------------------------------------------------------


def _app_with_link(tmp_path, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("RETROFIT_DB", str(tmp_path / "link.duckdb"))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_above_the_budget_range_is_clamped_with_a_notice(tmp_path, monkeypatch):
    at = open_page(_app_with_link(tmp_path, monkeypatch, budget="1000000"), "optimize")
    top = at.number_input(key="budget_input").value
    assert top < 1_000_000 and at.slider(key="budget_slider").value == top
    assert at.session_state["settings"].budget == top
    at = _app_with_link(tmp_path, monkeypatch, budget="1000000")
    assert any("1,000,000" in w.value and "已调整为" in w.value for w in at.warning)


def test_language_objective_and_targets_travel_in_the_link(tmp_path, monkeypatch):
    at = _app_with_link(tmp_path, monkeypatch, lang="en", objective="cost", co2_goal="2500000",
                        targets="steel_baseline_all:off:1")
    assert at.title[0].value == "Overview"
    question = at.session_state["settings"]
    assert question.objective == "cost" and question.co2_goal == 2_500_000
    assert question.target("steel_baseline_all").enabled is False
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"
    open_page(at, "optimize")
    assert at.radio(key="objective").value == "cost"
    assert at.number_input(key="co2_goal").value == 2_500_000


def test_loading_a_scenario_then_typing_a_budget_keeps_it(app):
    open_page(app, "scenarios")
    app.text_input(key="scenario_name").input("s300").run()
    app.button(key="save_scenario").click().run()
    open_page(app, "optimize")
    app.number_input(key="budget_input").set_value(420_000.0).run()
    open_page(app, "scenarios")
    app.button(key="load_scenario").click().run()
    open_page(app, "optimize")
    assert app.number_input(key="budget_input").value == 300_000
    assert app.slider(key="budget_slider").value == 300_000
    app.number_input(key="budget_input").set_value(350_000.0).run()
    assert not app.exception
    assert app.number_input(key="budget_input").value == 350_000
    assert app.slider(key="budget_slider").value == 350_000
    assert app.session_state["settings"].budget == 350_000
    assert not app.error


def test_overview_headline_is_the_most_any_budget_reaches(app):
    labels = {m.label: m.value for m in app.metric}
    most = optimize(load_dataset(SAMPLE)).co2_reduction_t  # no budget: each group's alternatives counted once
    assert labels["最大可达减排量（吨CO₂/年）"] == f"{most:,.0f}", "alternatives counted once, not summed"


def test_frontier_without_a_feasible_point_explains_why(app):
    open_page(app, "frontier")
    app.number_input(key="frontier_high").set_value(60_000.0)
    app.button[0].click().run()  # the form's submit button
    assert not app.exception
    assert app.error and "60,000" in app.error[0].value and "最少预算" in app.error[0].value
    statuses = set(app.dataframe[0].value.iloc[:, 1])
    assert statuses == {"无可行组合"} and "None" not in str(app.dataframe[0].value.to_dict())


def test_an_upload_names_the_users_own_headers_in_chinese(app):
    open_page(app, "projects")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("设施.csv", "设施编号,名称,行业,产品,产能,单位产品能耗\nF1,a,钢铁,sinter,100,47\n")
        z.writestr("项目.csv", "项目编号,设施编号,项目名称,投资,减排量\nP1,F1,x,abc,很多\n")
    app.file_uploader(key="upload").upload("清单.zip", archive.getvalue(), "application/zip").run()
    app.text_input(key="upload_name").input("zh").run()
    app.button(key="upload_button").click().run()
    assert not app.exception
    message = app.error[0].value
    assert "投资" in message and "减排量" in message, message
    assert "capex" not in message and "co2_reduction" not in message, "no English column id in Chinese"
    assert "均未填写" not in message, "text in a number cell is not also called 'nothing filled in'"
    assert "None" not in message


def test_an_error_on_a_page_shows_an_id_and_no_traceback(monkeypatch):
    monkeypatch.delenv("RETROFIT_RAISE_ERRORS", raising=False)

    def script():
        from ui.errors import guarded

        def boom():
            raise RuntimeError("/srv/secret/path.py exploded")

        guarded(boom)

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert not at.exception
    text = at.error[0].value
    assert "错误编号" in text and "error id" in text
    assert "secret" not in text and "Traceback" not in text



def test_versions_on_the_projects_page_diff_and_restore(tmp_path, monkeypatch):
    """An edit saved under the same name is a new version; the page diffs it and restores the old one.

    (On a copy of the sample: the sample's own name is reserved, no one saves under it.)
    """
    from dataclasses import replace

    from storage.store import SAMPLE_NAME, Store

    path = tmp_path / "versions.duckdb"
    store = Store(path)  # seeds the sample
    dataset = store.load_dataset(SAMPLE_NAME)
    store.save_dataset("mine", dataset)  # version 1
    projects = dataset.projects.copy()
    projects.loc[projects.index[0], "capex"] += 1
    store.save_dataset("mine", replace(dataset, projects=projects))
    store.close()
    monkeypatch.setenv("RETROFIT_DB", str(path))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.selectbox(key="dataset").set_value("mine").run()
    open_page(app, "projects")
    assert not app.exception
    changes = [df.value for df in app.dataframe if "变化" in list(df.value.columns)]
    assert changes and len(changes[0]) == 1 and changes[0].iloc[0]["变化"] == "修改"
    app.button(key="version_restore").click().run()
    assert not app.exception
    assert any("已恢复版本 1" in s.value for s in app.success)


INJECTION = "[click](http://127.0.0.1:9/x) ![img](http://127.0.0.1:9/i.png) <img src=x>"


def _markdown_texts(at: AppTest) -> list[str]:
    """Every text the app hands to markdown: notices, markdown, captions."""
    out = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def test_user_text_cannot_inject_links_or_images(app):
    """A scenario named like a markdown link or image is shown as text, never as a link or image."""
    open_page(app, "scenarios")
    app.text_input(key="scenario_name").input(INJECTION).run()
    app.button(key="save_scenario").click().run()
    assert not app.exception
    texts = _markdown_texts(app)
    assert any("click" in text for text in texts), texts  # the name is shown...
    for text in texts:  # ...but never as live markdown: every bracket and tag is escaped
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)<img", text), text

# --- assumptions, the new accounting, the closest portfolio, comparators, meeting pack ------


def _library(budget: float = 300_000.0, margin: float = 0.0, in_budget: bool = True,
             fuels: dict | None = None, grid: float | None = None):
    """The library's own result on the sample, for the numbers the app must show."""
    from optimizer.data.dataset import EmissionFactors
    from optimizer.program.model import PolicyOptions

    factors = EmissionFactors.default().with_changes(grid_t_per_mwh=grid, fuels=fuels)
    return optimize(load_dataset(SAMPLE), budget=budget, factors=factors,
                    options=PolicyOptions(margin=margin, order_capex_in_budget=in_budget))


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_accounting_kpis_match_the_library(app):
    open_page(app, "optimize")
    expected = _library()
    shown = _metrics(app)
    assert shown["技术减排（改造，吨CO₂/年）"] == f"{expected.co2_technical_t:,.0f}"
    assert shown["结构减排（淘汰，吨CO₂/年）"] == f"{expected.co2_structural_t:,.0f}"
    assert shown["节能量（吨标煤/年）"] == f"{expected.energy_saving_tce:,.0f}"
    assert expected.co2_technical_t > 0 and expected.co2_structural_t > 0


def test_margin_widget_binds_solves_and_travels_in_the_link(app):
    open_page(app, "optimize")
    app.number_input(key="margin").set_value(2.0).run()
    assert not app.exception
    assert app.session_state["settings"].margin == 2.0
    assert app.query_params["margin"] in ("2", ["2"])
    expected = _library(margin=0.02)
    assert expected.status == "optimal"
    assert metric_number(app) == pytest.approx(round(expected.co2_reduction_t), abs=0.5)
    required = {o.target_id: o.required for o in expected.targets}
    assert any(abs(r - 0.62) < 1e-9 for r in required.values()), "60 % + 2 points"
    assert metric_number(app) < _library().co2_reduction_t  # the margin costs CO2


def test_closure_capex_toggle_moves_the_spend(app):
    open_page(app, "optimize")
    app.toggle(key="order_capex_in_budget").set_value(False).run()
    assert not app.exception
    assert app.session_state["settings"].order_capex_in_budget is False
    expected = _library(in_budget=False)
    assert _metrics(app)["投资（万元）"] == f"{expected.spend:,.0f}"
    assert metric_number(app) == pytest.approx(round(expected.co2_reduction_t), abs=0.5)


def test_factor_widgets_change_the_co2(app):
    open_page(app, "optimize")
    assert app.selectbox(key="grid_factor_id").value == "grid_fujian_2023"
    assert app.number_input(key="fuel_factor_coal").value == pytest.approx(2.66)
    app.selectbox(key="grid_factor_id").set_value("grid_national_2023").run()
    app.number_input(key="fuel_factor_coal").set_value(2.5).run()
    assert not app.exception
    question = app.session_state["settings"]
    assert question.grid_factor_id == "grid_national_2023" and dict(question.fuel_factors) == {"coal": 2.5}
    assert app.number_input(key="grid_factor").value == pytest.approx(0.5306)
    expected = _library(fuels={"coal": 2.5}, grid=0.5306)
    assert metric_number(app) == pytest.approx(round(expected.co2_reduction_t), abs=0.5)
    app.number_input(key="grid_factor").set_value(0.6).run()  # a value of one's own
    assert app.session_state["settings"].grid_factor == 0.6
    assert app.selectbox(key="grid_factor_id").value == "custom"
    expected = _library(fuels={"coal": 2.5}, grid=0.6)
    assert metric_number(app) == pytest.approx(round(expected.co2_reduction_t), abs=0.5)
    app.number_input(key="fuel_factor_coal").set_value(2.66).run()  # back to the shipped value: not kept
    assert app.session_state["settings"].fuel_factors == ()


def test_discount_rate_widget_is_in_percent(app):
    open_page(app, "optimize")
    assert app.number_input(key="discount_rate").value == pytest.approx(8.0)
    app.number_input(key="discount_rate").set_value(10.0).run()
    assert not app.exception
    assert app.session_state["settings"].discount_rate == pytest.approx(0.10)


def test_assumptions_out_of_range_in_a_link_are_clamped_with_a_notice(tmp_path, monkeypatch):
    at = _app_with_link(tmp_path, monkeypatch, margin="50", discount_rate="3", grid_factor="9",
                        fuel_factors='[["coal",99]]', grid_factor_id="grid_mars_2023")
    question = at.session_state["settings"]
    assert question.margin == 20.0 and question.discount_rate == 1.0 and question.grid_factor == 2.0
    assert dict(question.fuel_factors) == {"coal": 10.0} and question.grid_factor_id == "grid_fujian_2023"
    texts = " ".join(w.value for w in at.warning).replace("\\", "")  # shown escaped for markdown
    assert "裕量" in texts and "50" in texts and "grid_mars_2023" in texts
    at = open_page(at, "optimize")  # every widget accepts the clamped value
    assert at.number_input(key="margin").value == 20.0 and at.number_input(key="discount_rate").value == 100.0


def test_closures_by_order_are_listed_with_the_reason(app):
    open_page(app, "optimize")
    expected = _library()
    assert expected.closures, "the sample closes small ceramic lines by order"
    table = next(d.value for d in app.table if "原因" in d.value.columns)
    assert list(table["编号"]) == [c["facility_id"] for c in expected.closures]
    assert list(table["原因"]) == [c["reason_zh"] for c in expected.closures]
    app.sidebar.radio(key="language").set_value("en").run()
    table = next(d.value for d in app.table if "Reason" in d.value.columns)
    assert list(table["Reason"]) == [c["reason_en"] for c in expected.closures]


def test_product_intensity_before_and_after(app):
    import pandas as pd

    open_page(app, "optimize")
    expected = _library()
    products = load_dataset(SAMPLE).products
    table = next(d.value for d in app.dataframe if "改造前" in d.value.columns)
    assert len(table) == len(expected.product_intensity)
    for (_, row), want in zip(table.iterrows(), expected.product_intensity):
        assert row["产品"] == products.at[want["product"], "name_zh"]
        assert row["能耗单位"] == products.at[want["product"], "intensity_unit"]
        assert row["改造前"] == pytest.approx(want["intensity_before"])
        after = want["intensity_after"]  # None when every line of the product closes
        assert (row["改造后"] == pytest.approx(after)) if after is not None else pd.isna(row["改造后"])
    assert any(row["改造后"] < row["改造前"] for _, row in table.iterrows())


def test_infeasible_budget_shows_the_closest_portfolio_with_its_shortfalls(app):
    from optimizer.answers.diagnosis import diagnose
    from optimizer.data.instance import prepare

    open_page(app, "optimize")
    app.number_input(key="budget_input").set_value(50_000.0).run()
    assert not app.exception
    data = load_dataset(SAMPLE)
    closest = diagnose(prepare(data), data.targets, budget=50_000.0).closest
    assert closest and closest["total_shortfall"] > 0
    assert any(f"{closest['co2_reduction_t']:,.0f}" in i.value and f"{closest['spend']:,.0f}" in i.value
               for i in app.info)
    table = next(d for d in app.dataframe if "缺口（百分点）" in d.value.columns)
    shortfalls = [round(r["shortfall"] * 100, 6) for r in closest["targets"]]
    assert [round(v, 6) for v in table.value["缺口（百分点）"]] == shortfalls
    keys = {d.key for d in app.get("download_button")}
    assert {"download_closest_csv", "download_closest_xlsx"} <= keys


def test_downloads_carry_the_language_and_the_run_record(app):
    open_page(app, "optimize")
    keys = {d.key for d in app.get("download_button")}
    assert {"download_csv", "download_xlsx", "download_pack"} <= keys
    import pandas as pd

    from ui import compute

    question = app.session_state["settings"]
    workbook = pd.read_excel(io.BytesIO(compute.result_xlsx(question, "zh")), sheet_name=None)
    assert {"run_record", "assumptions", "closed_by_order", "energy"} <= set(workbook)
    assert "投资（万元）" in workbook["portfolio"].columns
    csv = compute.result_csv(question, "zh").decode("utf-8-sig")
    assert csv.startswith("# run_record") and "data_sha256" in csv
    expected = _library()
    table = pd.read_csv(io.StringIO(csv), comment="#")
    assert sorted(table.iloc[:, 0].astype(str)) == sorted(expected.selected)


def test_closest_portfolio_downloads_like_any_portfolio(app):
    import pandas as pd

    from ui import compute

    open_page(app, "optimize")
    app.number_input(key="budget_input").set_value(50_000.0).run()
    question = app.session_state["settings"]
    closest = compute.solve(question).result.closest
    csv = compute.result_csv(question, "en", "closest").decode("utf-8-sig")
    table = pd.read_csv(io.StringIO(csv), comment="#")
    assert sorted(table["project_id"].astype(str)) == sorted(closest["selected"])
    sheets = pd.read_excel(io.BytesIO(compute.result_xlsx(question, "en", "closest")), sheet_name=None)
    assert "run_record" in sheets and "portfolio" in sheets


def test_frontier_shows_three_methods_and_the_advantage_over_the_greedy(app):
    from optimizer.answers.frontier import budget_range, frontier
    from optimizer.data.instance import prepare

    open_page(app, "frontier")
    app.number_input(key="frontier_low").set_value(200_000.0)
    app.number_input(key="frontier_high").set_value(400_000.0)
    app.number_input(key="frontier_points").set_value(3)
    app.button[0].click().run()
    assert not app.exception
    data = load_dataset(SAMPLE)
    expected = frontier(prepare(data), data.targets, budget_range(200_000.0, 400_000.0, 3))
    table = next(d.value for d in app.dataframe if "方法" in d.value.columns)
    assert len(table) == 9 and table["方法"].nunique() == 3
    greedy = table[table["方法"].str.startswith("贪心")]
    assert list(greedy["减排量（吨CO₂/年）"].round(0)) == list(expected["greedy_co2_t"].round(0))
    fair = expected[expected["greedy_targets_met"].astype(bool)]
    assert not fair.empty
    headline = next(s.value for s in app.success if "贪心法" in s.value)
    assert f"{fair['greedy_shortfall_t'].max():,.0f}" in headline


def test_method_page_describes_each_accounting_rule(app):
    open_page(app, "method")
    zh = " ".join(m.value for m in app.markdown)
    for words in ("降幅", "负降幅", "按规定淘汰", "净额", "结构减排", "合规裕量", "最接近的组合", "燃料"):
        assert words in zh
    app.sidebar.radio(key="language").set_value("en").run()
    en = " ".join(m.value for m in app.markdown)
    for words in ("Reductions add up", "Negative reductions", "Closures by order", "Net closure credit",
                  "Structural and technical", "Compliance margin", "Closest portfolio", "Fuel and electricity"):
        assert words in en


def test_meeting_pack_with_a_margin_opens_in_python_pptx(app):
    from pptx import Presentation

    from ui import compute

    open_page(app, "optimize")
    app.number_input(key="margin").set_value(2.0).run()
    question = app.session_state["settings"]
    deck = Presentation(io.BytesIO(compute.meeting_pack(question, "zh")))
    texts = [" ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]
    assert "关键指标" in texts[1]
    assert any("margin：0.02" in text for text in texts), "the record's margin (a fraction) is on the assumptions slide"


def test_assumptions_travel_in_a_scenario(app):
    open_page(app, "optimize")
    app.number_input(key="margin").set_value(1.5).run()
    app.toggle(key="order_capex_in_budget").set_value(False).run()
    app.number_input(key="fuel_factor_natural_gas").set_value(1.7).run()
    saved = app.session_state["settings"]
    open_page(app, "scenarios")
    app.text_input(key="scenario_name").input("margin 1.5").run()
    app.button(key="save_scenario").click().run()
    open_page(app, "optimize")
    app.number_input(key="margin").set_value(0.0).run()
    app.toggle(key="order_capex_in_budget").set_value(True).run()
    app.number_input(key="fuel_factor_natural_gas").set_value(1.626).run()
    assert app.session_state["settings"].margin == 0.0
    open_page(app, "scenarios")
    app.button(key="load_scenario").click().run()
    assert not app.exception
    question = app.session_state["settings"]
    assert (question.margin, question.order_capex_in_budget, question.fuel_factors) == \
        (saved.margin, saved.order_capex_in_budget, saved.fuel_factors)
    open_page(app, "optimize")
    assert app.number_input(key="margin").value == 1.5
    assert app.number_input(key="fuel_factor_natural_gas").value == pytest.approx(1.7)
    assert app.toggle(key="order_capex_in_budget").value is False
