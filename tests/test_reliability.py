"""Data safety: a process killed in the middle of a write leaves the previous content readable."""

from __future__ import annotations

import signal
import time

import pytest

from storage.store import SAMPLE_NAME, Store

from .conftest import start_busy_writer


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.9])
def test_kill_9_mid_write_leaves_a_readable_consistent_file(tmp_path, delay):
    path = tmp_path / "killed.duckdb"
    Store(path).close()  # seeded with the sample
    writer = start_busy_writer(path)
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
