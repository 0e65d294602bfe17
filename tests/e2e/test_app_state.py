"""The question on screen, as an analyst meets it in Chromium: links, scenarios, datasets, stale results,
language, and the layout at laptop and projector sizes.

One server for the module, on a database that holds the sample and a second, tiny dataset.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from storage.store import SAMPLE_NAME, Store

from ..conftest import write_tables
from ..support.browser import Server, wait_idle
from .conftest import SCREENSHOTS

SIZES = {"laptop": (1280, 720), "projector": (1920, 1080)}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("state-server")
    store = Store(folder / "e2e.duckdb")
    from optimizer.data.checks import load_dataset

    store.save_dataset("tiny", load_dataset(write_tables(folder / "tiny"), name="tiny"), source_file="tiny")
    store.close()
    server = Server(folder)
    server.wait_healthy()
    yield server.url
    server.stop()


def _open(page, url: str) -> None:
    page.goto(url)
    try:  # the first run may not have started yet when the page reports "not running"
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=5_000)
    except Exception:  # noqa: BLE001 - a fast run may be over before we look
        pass
    wait_idle(page)


def _main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def _budget_input(page) -> float:
    return float(page.locator(".st-key-budget_input input").input_value().replace(",", ""))


def _slider_value(page) -> float:
    return float(page.locator(".st-key-budget_slider [data-testid='stSliderThumbValue']").inner_text()
                 .replace(",", ""))


def _type_budget(page, value: int) -> None:
    box = page.locator(".st-key-budget_input input")
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _go(page, url_path: str) -> None:
    """Switch page inside the session by its sidebar link (a reload would start a new session)."""
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']").click()
    page.wait_for_url(f"**/{url_path}**")
    wait_idle(page)


def _no_error_page(page) -> None:
    text = page.inner_text("body")
    assert "Traceback" not in text
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Page not found" not in text, "a shared link opens its page, without a dialog"


def test_a_link_with_a_budget_above_the_slider_is_clamped_with_a_notice(app_url, page):
    _open(page, f"{app_url}/portfolio?budget=1000000")
    page.wait_for_selector("[data-testid='stMetric']")
    _no_error_page(page)
    text = _main_text(page)
    assert "1,000,000" in text and "已调整为" in text, "the notice says what the link asked for and what is used"
    top = _budget_input(page)
    assert top < 1_000_000
    assert _slider_value(page) == top
    assert _query(page)["budget"] == f"{top:.0f}", "the link now says what is on screen"


def test_loading_a_scenario_then_typing_a_budget_keeps_the_typed_budget(app_url, page):
    _open(page, f"{app_url}/portfolio?budget=300000")
    _go(page, "saved-scenarios")
    name = page.locator(".st-key-scenario_name input")
    name.fill("基准")
    name.press("Enter")
    wait_idle(page)
    page.locator(".st-key-save_scenario button").click()
    page.wait_for_selector("[data-testid='stAlertContentSuccess']")
    wait_idle(page)
    _go(page, "portfolio")
    _type_budget(page, 400_000)
    assert _budget_input(page) == 400_000
    _go(page, "saved-scenarios")
    page.locator(".st-key-load_scenario button").click()
    wait_idle(page)
    _go(page, "portfolio")
    assert _budget_input(page) == 300_000, "both widgets show the scenario's budget"
    assert _slider_value(page) == 300_000
    _type_budget(page, 350_000)
    assert _budget_input(page) == 350_000, "the typed budget is kept"
    assert _slider_value(page) == 350_000
    assert page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']").count() == 0
    assert _query(page)["budget"] == "350000"
    _no_error_page(page)


def test_switching_dataset_rederives_every_widget(app_url, page):
    _open(page, f"{app_url}/portfolio?budget=300000")
    page.wait_for_selector("[data-testid='stMetric']")  # the run has drawn its result, widgets included
    wait_idle(page)
    assert _budget_input(page) == 300_000
    page.locator("[data-testid='stSidebar'] .st-key-dataset").click()
    page.get_by_role("option", name="tiny", exact=True).click()
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMetric']")
    shown = _budget_input(page)
    assert shown == _slider_value(page), "slider and exact box show one budget"
    assert shown <= 100_000, "the tiny list's budget range applies"
    assert _query(page)["dataset"] == "tiny" and _query(page)["budget"] == f"{shown:.0f}"
    assert re.search(r"\d", page.locator("[data-testid='stMetricValue']").first.inner_text())
    _no_error_page(page)


def test_an_infeasible_edit_after_a_good_result_marks_the_old_result(app_url, page):
    _open(page, f"{app_url}/portfolio?budget=300000&dataset={SAMPLE_NAME}")
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stAlertContentSuccess']")
    assert page.locator(".st-key-download_csv").count() == 1
    _type_budget(page, 50_000)
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stAlertContentError']")
    wait_idle(page)  # the error is drawn before the run ends; the old result's elements go when it does
    # no 'proven optimal' banner and no downloads beside a result that is not for these inputs (retried: a
    # loaded machine may end the run a moment after the error is drawn)
    expect(page.locator("[data-testid='stMain'] [data-testid='stAlertContentSuccess']")).to_have_count(0)
    expect(page.locator(".st-key-download_csv, .st-key-download_xlsx")).to_have_count(0)
    assert "上一次的结果" in _main_text(page)
    _no_error_page(page)


def test_language_travels_in_the_link_and_survives_a_reload(app_url, page):
    _open(page, f"{app_url}/portfolio?budget=300000")
    page.locator("[data-testid='stSidebar'] .st-key-language label", has_text="English").click()
    wait_idle(page)
    # the click's rerun may start after wait_idle returns: wait for the page it draws
    expect(page.locator("h1").first).to_have_text("Optimize", timeout=60_000)
    assert _query(page).get("lang") == "en"
    page.reload()
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text("Optimize", timeout=60_000)  # the language survives a reload
    # the link, opened in a fresh session, opens in English with its objective and target switch
    _open(page, f"{app_url}/portfolio?lang=en&objective=co2&budget=320000&targets=steel_baseline_all:off:1")
    assert page.locator("h1").first.inner_text().strip() == "Optimize"
    assert _budget_input(page) == 320_000
    assert "targets" in _query(page) and "steel_baseline_all:off" in _query(page)["targets"]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_kpi_values_and_target_editor_fit_the_screen(app_url, browser, size, language):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        _open(page, f"{app_url}/portfolio?budget=300000&dataset={SAMPLE_NAME}&lang={language}")
        page.wait_for_function("document.querySelectorAll(\"[data-testid='stMetricValue']\").length >= 6")
        wait_idle(page)
        values = page.locator("[data-testid='stMetricValue']")
        assert values.count() >= 9  # CO2, technical, structural, energy, spend, projects, gap, ...
        for i in range(values.count()):
            cut = values.nth(i).evaluate(
                "e => { const inner = e.querySelector('div, p') || e;"
                " return [e.scrollWidth > e.clientWidth + 1 || inner.scrollWidth > inner.clientWidth + 1,"
                " e.innerText]; }")
            assert not cut[0] and "…" not in cut[1], f"KPI {i} is cut: {cut[1]!r} at {width}x{height}"
        editor = page.locator("[class*='st-key-targets_editor']").first
        box = editor.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, "the target editor fits on screen"
        inner = editor.locator("[data-testid='stDataFrameResizable']").first
        overflow = inner.evaluate("e => { const s = e.querySelector('.dvn-scroller');"
                                  " return s ? s.scrollWidth - s.clientWidth : 0; }")
        assert overflow <= 2, f"the target editor scrolls sideways by {overflow}px (on/off or value off-screen)"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("[data-testid='stMetric']").first.scroll_into_view_if_needed()
        page.wait_for_timeout(600)
        page.screenshot(path=str(SCREENSHOTS / f"optimize-{size}-{language}.png"))
        _no_error_page(page)
    finally:
        context.close()


@pytest.mark.parametrize("url_path", ["", "project-list", "portfolio", "budget-frontier",
                                      "saved-scenarios", "method-and-sources"])
def test_no_traceback_on_any_page_even_for_a_broken_link(app_url, page, url_path):
    for query in ("", "?budget=abc&dataset=nope&objective=max&targets=x:y&gap=9&time_limit=-1&lang=xx"):
        _open(page, f"{app_url}/{url_path}{query}")
        _no_error_page(page)
        assert page.locator("h1").count() >= 1, "the page drew its title"
        assert "Page not found" not in page.inner_text("body"), "a shared link opens its page, no dialog"


def test_the_frontier_explains_a_range_without_a_feasible_point(app_url, page):
    _open(page, f"{app_url}/budget-frontier?budget=300000&dataset={SAMPLE_NAME}")
    low = page.locator(".st-key-frontier_low input")
    high = page.locator(".st-key-frontier_high input")
    low.fill("0")
    high.fill("60000")
    page.locator("[data-testid='stFormSubmitButton'] button").click()
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stAlertContentError']")
    text = _main_text(page)
    assert "60,000" in text and "最少预算" in text
    assert "None" not in page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']").inner_text()
    _no_error_page(page)
