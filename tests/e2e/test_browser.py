"""The product as a user meets it: a real server, a real Chromium, real files in and out."""

from __future__ import annotations

import io

import pandas as pd

from ..support.browser import tiny_workbook, wait_idle
from .conftest import SCREENSHOTS


def test_overview_opens_on_the_sample(server, page):
    page.goto(server)
    wait_idle(page)
    text = page.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text
    assert page.locator("[data-testid='stSidebar']").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=False)


def test_upload_solve_and_download_the_portfolio(server, page, tmp_path):
    page.goto(server)
    wait_idle(page)
    page.goto(f"{server}/project-list")
    wait_idle(page)
    page.locator(".st-key-upload input[type='file']").set_input_files(str(tiny_workbook(tmp_path / "清单.xlsx")))
    wait_idle(page)
    page.locator(".st-key-upload_name input").fill("browser_list")
    page.locator(".st-key-upload_name input").press("Enter")
    wait_idle(page)
    page.locator(".st-key-upload_button button").click()
    page.wait_for_selector("[data-testid='stAlertContentSuccess']", timeout=30_000)

    page.goto(f"{server}/portfolio?dataset=browser_list&budget=4000&lang=en")  # English headers in the CSV
    wait_idle(page)
    metrics = page.inner_text("[data-testid='stMain']")
    assert "51,650" in metrics  # P1 + P3 + P6: 2,500 tce x 2.66 + 40,000 + 5,000 tCO2/yr

    with page.expect_download() as download_info:
        page.locator(".st-key-download_csv button").click()
    content = download_info.value.path().read_bytes()
    portfolio = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", comment="#")  # '#' lines: the run record
    assert sorted(portfolio["project_id"]) == ["P1", "P3", "P6"]
    assert portfolio["capex (万元)"].sum() == 3800


def test_optimize_page_on_the_sample_for_the_readme(server, page):
    page.goto(server)
    wait_idle(page)
    page.goto(f"{server}/portfolio?budget=300000")
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMetric']")
    text = page.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text
    page.wait_for_selector("[data-testid='stVegaLiteChart'], .vega-embed", timeout=30_000)
    page.locator("[data-testid='stMetric']").first.scroll_into_view_if_needed()
    page.mouse.wheel(0, -120)  # keep the results heading in view
    page.wait_for_timeout(800)  # let the charts draw
    page.screenshot(path=str(SCREENSHOTS / "optimize.png"))


def test_infeasible_budget_shows_the_diagnosis_and_the_fix(server, page):
    page.goto(server)
    wait_idle(page)
    page.goto(f"{server}/portfolio?budget=50000")
    page.wait_for_selector("[data-testid='stAlertContentError']", timeout=30_000)
    page.locator("[data-testid='stAlertContentError']").first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "infeasible.png"))
    page.locator(".st-key-use_least_budget button").click()
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
