"""Shared fixtures: small datasets written to real files, and the shipped sample."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

#: Hypothesis profile: ``ci`` (default: every property test at its full count, as CI runs them) or ``dev``
#: (a tenth, for the developer loop: ``HYPOTHESIS_PROFILE=dev pytest -m "not slow and not browser"``).
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.register_profile("ci", deadline=None)
settings.register_profile("dev", deadline=None, max_examples=10)
settings.load_profile(PROFILE)


#: The tiers, by module: what a test drives decides its marker (``pytest -m "not slow and not browser"`` is the
#: developer loop; browser tests are marked in tests/e2e/conftest.py).
TIERS = {
    "oracle": {"test_bruteforce", "test_as_of", "test_roadmap", "test_doubt", "test_comparators",
               "test_money_and_prices"},
    "app": {"test_app", "test_app_auth", "test_app_plan", "test_workers"},
    "cli": {"test_cli", "test_cli_roadmap", "test_sweep"},
    "store": {"test_store", "test_backup", "test_reliability", "test_access"},
}
#: Tiers that drive a whole app run, a child process or a database file per test: slow as a tier.
SLOW_TIERS = {"app", "cli", "store"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test gets its tier's marker (``unit`` where none applies), and ``slow`` for the slow tiers."""
    for item in items:
        module = Path(str(item.fspath)).stem
        tier = next((name for name, modules in TIERS.items() if module in modules), "unit")
        if "e2e" in Path(str(item.fspath)).parts:
            continue
        item.add_marker(getattr(pytest.mark, tier))
        if tier in SLOW_TIERS:
            item.add_marker(pytest.mark.slow)


#: Seconds between the "still running" lines a long test prints, so a run never goes quiet for long.
HEARTBEAT_SECONDS = 50
_RUNNING: dict[str, float] = {}


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _RUNNING.clear()
    _RUNNING[nodeid] = time.monotonic()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A daemon thread that says which test is still running every :data:`HEARTBEAT_SECONDS`.

    It writes to the terminal's own file descriptor, which pytest's capture keeps aside while a test runs
    (the test's output, file descriptor 1 included, is captured); without fd capture it writes to stdout.
    """
    capture = session.config.pluginmanager.get_plugin("capturemanager")
    saved = getattr(getattr(getattr(capture, "_global_capturing", None), "out", None), "targetfd_save", None)
    terminal = saved if isinstance(saved, int) else sys.__stdout__.fileno()

    def beat() -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            for nodeid, began in list(_RUNNING.items()):
                if time.monotonic() - began >= HEARTBEAT_SECONDS:
                    line = f"\n[still running after {time.monotonic() - began:.0f} s: {nodeid}]\n"
                    os.write(terminal, line.encode("utf-8", "replace"))

    threading.Thread(target=beat, name="test-heartbeat", daemon=True).start()


def examples(full: int) -> int:
    """A property test's example count under the profile: ``full`` on ci, a tenth (at least 3) on dev."""
    return full if PROFILE != "dev" else max(3, full // 10)

# Failing examples print whole tables, not "..." in the middle.
pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 250)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "fuzhou"

TINY_FACILITIES = """facility_id,name,sector,product,capacity,energy_intensity
F1,碱厂1,石化化工,caustic_soda_liquid_30,100000,340
F2,碱厂2,petrochemical,caustic_soda_liquid_30,50000,360
F3,陶瓷1,建材,ceramic_tile_mid_absorption,800000,4.8
"""

TINY_PROJECTS = """project_id,facility_id,name,category,capex,co2_reduction,energy_saving_tce,electricity_saving_mwh,energy_intensity_after,exclusive_group,requires,retire
P1,F1,membrane,process,3000,,2500,,310,g1,,
P2,F1,membrane light,process,1500,,1000,,330,g1,,
P3,F2,retire F2,retire,500,40000,,,,,,true
P4,F2,upgrade,process,4000,,3000,,312,,P5,
P5,F2,prep,process,200,100,,,,,,
P6,F3,retire small,retire,300,5000,,,,,,是
P7,F3,solar,solar_rooftop,800,,,2000,,,,
"""


#: A process that keeps the store busy as the app does: the whole sample saved as a dataset, and a
#: scenario, over and over. It prints "ready" once loaded, then the number of rounds after each.
BUSY_WRITER = """
import sys
from optimizer import load_dataset
from storage.store import Store
store = Store(sys.argv[1])
dataset = load_dataset("data/sample/fuzhou", name="copy")
print("ready", flush=True)
n = 0
while True:
    store.save_dataset("copy", dataset)
    store.save_scenario("fuzhou_sample", f"s{n % 5}", {"budget": n}, {"selected": list(dataset.projects.index)})
    n += 1
    print(n, flush=True)
"""


def start_busy_writer(db: Path) -> subprocess.Popen:
    """:data:`BUSY_WRITER` on ``db``, returned once it has loaded the sample and is about to write."""
    writer = subprocess.Popen([sys.executable, "-c", BUSY_WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    assert writer.stdout is not None
    if writer.stdout.readline().strip() != "ready":
        writer.kill()
        writer.wait()
        pytest.fail("the busy writer did not start")
    return writer


def write_tables(folder: Path, facilities: str = TINY_FACILITIES, projects: str = TINY_PROJECTS,
                 encoding: str = "utf-8") -> Path:
    """Write a two-file project list into ``folder`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "facilities.csv").write_bytes(facilities.encode(encoding))
    (folder / "projects.csv").write_bytes(projects.encode(encoding))
    return folder


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "tiny")


def frame(text: str) -> pd.DataFrame:
    import io

    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
