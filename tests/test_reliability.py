"""Data safety: a process killed in the middle of a write leaves the previous content readable."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from storage.store import SAMPLE_NAME, Store

from .conftest import ROOT

WRITER = """
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
"""


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.9])
def test_kill_9_mid_write_leaves_a_readable_consistent_file(tmp_path, delay):
    path = tmp_path / "killed.duckdb"
    Store(path).close()  # seeded with the sample
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)

    store = Store(path)
    assert len(store.load_dataset(SAMPLE_NAME).projects) > 200
    counts = store.dataset_info().set_index("name")
    if "copy" in counts.index:  # the copy is whole or absent, never half
        assert counts.loc["copy", "facilities"] == counts.loc[SAMPLE_NAME, "facilities"]
        assert counts.loc["copy", "projects"] == counts.loc[SAMPLE_NAME, "projects"]
    for name in store.scenario_names(SAMPLE_NAME):
        settings, result = store.load_scenario(SAMPLE_NAME, name)
        assert len(result["selected"]) == counts.loc[SAMPLE_NAME, "projects"]
    store.close()
