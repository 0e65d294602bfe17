"""The Streamlit app, driven through streamlit.testing.v1.AppTest.

Each test points RETROFIT_DB at its own file, so no two tests share a DuckDB
file (and none touches data/retrofit.duckdb).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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
    assert metric_number(at) > 4_000_000


def test_frontier_table_has_every_budget(app):
    open_page(app, "frontier")
    table = app.dataframe[0].value
    assert len(table) == 17
    assert table.iloc[:, 0].tolist()[0] == 0 and table.iloc[:, 0].tolist()[-1] == 800_000


def test_corrupt_database_offers_a_fresh_one(tmp_path, monkeypatch):
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    monkeypatch.setenv("RETROFIT_DB", str(path))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.error and str(path) in at.error[0].value
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
