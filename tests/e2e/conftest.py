"""A real ``streamlit run`` on a local port and a real headless Chromium (Debian's package).

The server runs on its own DuckDB file. Screenshots land in the untracked
``tests/artifacts/screenshots``, so a test run never changes a tracked file;
``python scripts/screenshots.py`` runs the tests that take them with
``RETROFIT_SCREENSHOTS=docs``, which writes them to ``docs/screenshots`` for
the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..support.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, Server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives a real browser: marked ``browser``, so the developer loop can leave them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


#: Where screenshots go: the README's folder only when asked for (scripts/screenshots.py).
SCREENSHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("RETROFIT_SCREENSHOTS") == "docs"
               else ROOT / "tests" / "artifacts" / "screenshots")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app served on localhost for the whole session; yields its base URL."""
    server = Server(tmp_path_factory.mktemp("server"))
    server.wait_healthy()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
