"""The Roadmap and Alternatives pages in Chromium, in Chinese: edit a year's budget and see the Gantt
change, download the roadmap workbook; exclude a project with one click and see it leave the next solve.
One screenshot per page at laptop (1280×720) and projector (1920×1080) size.
"""

from __future__ import annotations

import datetime
import io
import re

import openpyxl

from ..support.browser import wait_idle
from .conftest import SCREENSHOTS

SIZES = {"laptop": (1280, 720), "projector": (1920, 1080)}
THIS_YEAR = datetime.date.today().year
DEADLINE = min(THIS_YEAR + 3, max(2030, THIS_YEAR))
ROW = 35  # a data editor's row (and header) height in pixels


def _counts(page) -> dict[int, int]:
    """How many projects enter service each year, from the line under the Gantt chart."""
    text = page.locator("[data-testid='stCaptionContainer']", has_text="各年投运项目数").first.inner_text()
    return {int(y): int(n) for y, n in re.findall(r"(\d{4}) 年 (\d+) 项", text)}


def _edit_cell(page, editor, row: int, x_share: float, value: str) -> None:
    """Type ``value`` into a data editor's cell (row ``row``, ``x_share`` of its width from the left)."""
    editor.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = editor.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] * x_share, box["y"] + ROW * (row + 1) + ROW / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")  # opens the cell's editor (typed keys would race its opening)
    page.wait_for_timeout(500)
    page.keyboard.press("Control+A")
    page.keyboard.type(value, delay=30)
    page.keyboard.press("Enter")
    _rerun_done(page)


def _rerun_done(page) -> None:
    """Wait for the run an edit starts (it may not have begun yet) and for its end."""
    try:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=5_000)
    except Exception:  # noqa: BLE001 - a fast run may be over before we look
        pass
    wait_idle(page)


def _download(page, key: str) -> bytes:
    wait_idle(page)  # a download button clicked while the page reruns after the last one is lost
    with page.expect_download() as info:
        page.locator(f".st-key-{key} button").click()
    return open(info.value.path(), "rb").read()


def _screenshots(page, name: str, heading: str) -> None:
    """Laptop and projector screenshots with ``heading`` (the page's main result) at the top; then the
    wide window the other steps use."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)
        page.locator(":is(h2, h3)", has_text=heading).first.evaluate("e => e.scrollIntoView()")
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}-zh.png"))
    page.set_viewport_size({"width": 1600, "height": 1000})


def test_roadmap_edit_a_year_see_the_gantt_change_and_download(server, page):
    page.goto(f"{server}/roadmap?overdue_deadline={DEADLINE}")
    wait_idle(page)
    assert "路线图" in page.inner_text("h1")
    page.wait_for_selector("[data-testid='stVegaLiteChart']")
    before = _counts(page)
    assert before, "a roadmap is shown under the default budgets"
    _screenshots(page, "roadmap", "结果")
    editor = page.locator("[class*='st-key-roadmap_budgets_'] [data-testid='stDataFrameResizable']").first
    _edit_cell(page, editor, 1, 0.8, "300000")  # the second year's budget, much higher
    assert page.locator("[data-testid='stDataFrameResizable']").count() >= 1
    after = _counts(page)
    assert after != before, "more money in the second year brings projects forward"
    workbook = openpyxl.load_workbook(io.BytesIO(_download(page, "download_roadmap_xlsx")), read_only=True)
    assert "roadmap" in workbook.sheetnames
    rows = list(workbook["roadmap"].iter_rows(values_only=True))
    assert rows[0][:4] == ("project_id", "facility_id", "sector", "in_service_year")
    years = [r[3] for r in rows[1:]]
    assert len(years) == sum(after.values())
    assert {y: years.count(y) for y in set(years)} == after
    csv = _download(page, "download_roadmap_csv").decode("utf-8-sig")
    assert len(csv.strip().splitlines()) == sum(after.values()) + 1


def _exclude_first_row(page) -> None:
    """Tick row 1's "exclude" box of the alternatives matrix in one click, and wait for the run it starts."""
    editor = page.locator("[class*='st-key-alt_matrix_'] [data-testid='stDataFrameResizable']").first
    editor.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = editor.locator("canvas").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.05, box["y"] + ROW + ROW / 2)
    try:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=5_000)
    except Exception:  # noqa: BLE001 - the click only selected the cell: the space bar ticks it
        page.keyboard.press("Space")
    _rerun_done(page)


def _matrix_ids(page) -> list[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(_download(page, "download_alternatives")), read_only=True)
    rows = list(workbook["alternatives"].iter_rows(values_only=True))
    column = rows[0].index("project_id")
    return [r[column] for r in rows[1:]]


def test_alternatives_exclude_a_project_in_one_click(server, page):
    page.goto(f"{server}/alternatives")
    wait_idle(page)
    assert "备选方案" in page.inner_text("h1")
    _screenshots(page, "alternatives", "项目 × 备选方案")
    ids = _matrix_ids(page)
    first = ids[0]
    _exclude_first_row(page)
    page.wait_for_selector(f"[data-testid='stAlert']:has-text('已排除：{first}')")
    assert first not in _matrix_ids(page)
