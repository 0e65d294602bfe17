"""A real ``streamlit run`` on a local port and a real headless Chromium (Debian's package).

The server runs on its own DuckDB file. Screenshots land in the untracked
``tests/artifacts/screenshots``, so a test run never changes a tracked file;
``python scripts/screenshots.py`` runs the tests that take them with
``RETROFIT_SCREENSHOTS=docs``, which writes them to ``docs/screenshots`` for
the README.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from ..conftest import TINY_FACILITIES, TINY_PROJECTS, frame

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives a real browser: marked ``browser``, so the developer loop can leave them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


#: Where screenshots go: the README's folder only when asked for (scripts/screenshots.py).
SCREENSHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("RETROFIT_SCREENSHOTS") == "docs"
               else ROOT / "tests" / "artifacts" / "screenshots")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A ``streamlit run`` on a free local port with its own DuckDB file."""

    def __init__(self, folder: Path, extra_args: tuple[str, ...] = (), port: int | None = None):
        self.db = folder / "e2e.duckdb"
        self.log_path = folder / "streamlit.log"
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra_args],
            cwd=ROOT, env={**os.environ, "RETROFIT_DB": str(self.db)}, stdout=self._log, stderr=subprocess.STDOUT)
        self.peak_rss = 0
        self._sampling = False

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"streamlit did not become healthy within {timeout:g} s")

    def rss(self) -> int:
        """Resident memory of the server process in bytes (0 once it has gone)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start_sampling(self, every: float = 0.25) -> None:
        self._sampling = True

        def sample():
            while self._sampling and self.process.poll() is None:
                self.peak_rss = max(self.peak_rss, self.rss())
                time.sleep(every)

        self._sampler = threading.Thread(target=sample, daemon=True)
        self._sampler.start()

    def stop(self) -> None:
        self._sampling = False
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app served on localhost for the whole session; yields its base URL."""
    server = Server(tmp_path_factory.mktemp("server"))
    server.wait_healthy()
    yield server.url
    server.stop()


def tiny_workbook(path: Path) -> Path:
    """The tiny project list as an .xlsx workbook with sheets facilities and projects."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame(TINY_FACILITIES).to_excel(writer, sheet_name="facilities", index=False)
        frame(TINY_PROJECTS).to_excel(writer, sheet_name="projects", index=False)
    return path


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


def wait_idle(page) -> None:
    """Wait until the script has finished its run (Streamlit's own test idiom)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    page.wait_for_timeout(300)
