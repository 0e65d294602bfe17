"""The assumptions and the accounting as a user meets them at 1280×720 in Chinese: set a margin, read the lines
closed by order, download the meeting pack from the app and open it."""

from __future__ import annotations

import io

import pytest

from ..support.browser import wait_idle
from .conftest import SCREENSHOTS


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()


def test_margin_closures_and_the_meeting_pack(server, laptop, tmp_path):
    from pptx import Presentation

    page = laptop
    page.goto(server)
    wait_idle(page)
    page.goto(f"{server}/portfolio?budget=300000&lang=zh")
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMetric']")

    page.get_by_text("假设与口径", exact=True).click()
    margin = page.locator(".st-key-margin input")
    margin.fill("2")
    margin.press("Enter")
    wait_idle(page)
    assert "margin=2" in page.url
    text = page.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text and "技术减排" in text and "结构减排" in text
    page.locator(".st-key-margin").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "assumptions-zh.png"))

    closures = page.locator(".st-key-closures_table")
    closures.wait_for()
    closures.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)
    assert page.get_by_text("按规定淘汰的产线", exact=True).is_visible()
    page.screenshot(path=str(SCREENSHOTS / "closures-zh.png"))

    button = page.get_by_role("button", name="会议材料（PPTX）")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=180_000) as info:
        button.click()
    deck = Presentation(io.BytesIO(info.value.path().read_bytes()))
    texts = [[shape.text_frame.text for shape in slide.shapes if shape.has_text_frame] for slide in deck.slides]
    assert len(texts) >= 7
    assert any("关键指标" in t for t in texts[1]), texts[1]
    assert any("会议材料" in t for t in texts[0])
    everything = " ".join(" ".join(slide) for slide in texts)
    assert "margin" in everything or "裕量" in everything  # the record slide carries the margin


def test_closest_portfolio_and_the_three_frontier_lines(server, laptop):
    page = laptop
    page.goto(server)
    wait_idle(page)
    page.goto(f"{server}/portfolio?budget=50000&lang=zh")
    wait_idle(page)
    table = page.locator(".st-key-closest_table")
    table.wait_for()
    page.get_by_text("预算内最接近目标的组合", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.wheel(0, -60)
    page.wait_for_timeout(500)
    assert page.locator(".st-key-download_closest_xlsx").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "closest-zh.png"))

    page.goto(f"{server}/budget-frontier?budget=300000&lang=zh")
    wait_idle(page)
    page.locator(".st-key-frontier_advantage").wait_for()
    page.wait_for_selector("[data-testid='stVegaLiteChart'], .vega-embed")
    page.locator(".st-key-frontier_advantage").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.wheel(0, -40)
    page.wait_for_timeout(800)
    assert "贪心法" in page.inner_text(".st-key-frontier_advantage")
    page.screenshot(path=str(SCREENSHOTS / "frontier-methods-zh.png"))
