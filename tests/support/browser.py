"""A real ``streamlit run`` on a free local port with its own DuckDB file, and Debian's headless Chromium.

Shared by the browser tests (tests/e2e/) and the soak benchmark (benchmarks/soak.py).
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A ``streamlit run`` on a free local port with its own DuckDB file."""

    def __init__(self, folder: Path, extra_args: tuple[str, ...] = (), port: int | None = None):
        self.db = folder / "e2e.duckdb"
        self.log_path = folder / "streamlit.log"
        self.port = port or free_port()
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


def tiny_workbook(path: Path) -> Path:
    """The tiny project list as an .xlsx workbook with sheets facilities and projects."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame(TINY_FACILITIES).to_excel(writer, sheet_name="facilities", index=False)
        frame(TINY_PROJECTS).to_excel(writer, sheet_name="projects", index=False)
    return path


def wait_idle(page) -> None:
    """Wait until the script has finished its run (Streamlit's own test idiom)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    page.wait_for_timeout(300)
