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
PAGES = ["overview", "projects", "optimize", "frontier", "scenarios", "method"]


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


# --- one question on screen (issue 9) -----------------------------------------------------------


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
    """An edit saved under the same name is a new version; the page diffs it and restores the old one."""
    from dataclasses import replace

    from storage.store import SAMPLE_NAME, Store

    path = tmp_path / "versions.duckdb"
    store = Store(path)  # seeds the sample as version 1
    dataset = store.load_dataset(SAMPLE_NAME)
    projects = dataset.projects.copy()
    projects.loc[projects.index[0], "capex"] += 1
    store.save_dataset(SAMPLE_NAME, replace(dataset, projects=projects), illustrative=True)
    store.close()
    monkeypatch.setenv("RETROFIT_DB", str(path))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
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
    """Issue 15: a scenario named like a markdown link or image is shown as text, never as a link or image."""
    open_page(app, "scenarios")
    app.text_input(key="scenario_name").input(INJECTION).run()
    app.button(key="save_scenario").click().run()
    assert not app.exception
    texts = _markdown_texts(app)
    assert any("click" in text for text in texts), texts  # the name is shown...
    for text in texts:  # ...but never as live markdown: every bracket and tag is escaped
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)<img", text), text
