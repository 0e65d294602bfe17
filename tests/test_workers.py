"""The worker pool of the app (ui/workers.py), driven with real solves of the shipped sample.

Threads play the sessions: each asks for a slot, solves, and records what it saw. No solver is
mocked; only the pool's size is chosen per test.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optimizer import load_dataset, optimize
from optimizer.answers.frontier import frontier
from optimizer.data.dataset import EmissionFactors
from optimizer.data.instance import prepare
from optimizer.solving.solve import SolverSettings
from ui import workers
from ui.workers import Abandoned, Pool

from .conftest import SAMPLE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample():
    data = load_dataset(SAMPLE)
    return data, prepare(data, EmissionFactors.default())


def _wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the pool did not reach the expected state"
        time.sleep(0.01)


@pytest.mark.parametrize("size", [1, 2])
def test_solves_run_a_few_at_a_time_first_come_first_served(sample, size):
    data, inst = sample
    pool = Pool(size)
    lock = threading.Lock()
    running, most, started, results = [0], [0], [], {}
    shown: dict[int, list[int]] = {}

    def session(user: int) -> None:
        with pool.slot(show=lambda place: shown.setdefault(user, []).append(place)):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
                started.append(user)
            results[user] = optimize(inst, budget=200_000.0 + 20_000.0 * user, targets=data.targets)
            with lock:
                running[0] -= 1

    with contextlib.ExitStack() as held:  # every slot is taken, so the five line up in the order they came
        for _ in range(size):
            held.enter_context(pool.slot())
        threads = []
        for user in range(5):
            threads.append(threading.Thread(target=session, args=(user,)))
            threads[-1].start()
            _wait_for(lambda: len(started) + pool.state()[1] == user + 1)  # each in line before the next comes
        time.sleep(workers.SHOW_AFTER + 0.3)  # long enough for every waiting place to be shown
    for thread in threads:
        thread.join(120)
    assert sorted(results) == list(range(5))
    assert all(result.status == "optimal" for result in results.values())
    assert most[0] <= size
    assert started == sorted(started), f"not first come, first served: {started}"
    assert sorted(shown) == list(range(5))  # everyone waited long enough to be shown a place
    assert shown[4][0] == 5 and shown[4] == sorted(shown[4], reverse=True)  # the last saw its place fall
    assert pool.state() == (0, 0)


def test_a_session_that_closes_its_tab_leaves_the_line(sample):
    data, inst = sample
    pool = Pool(1)
    open_tab = threading.Event()
    open_tab.set()
    outcome: dict[str, object] = {}
    places: list[int] = []

    def closing() -> None:
        try:
            with pool.slot(alive=open_tab.is_set):
                outcome["closing"] = "solved"
        except Abandoned:
            outcome["closing"] = "left"

    def patient() -> None:
        with pool.slot(show=places.append):
            outcome["patient"] = optimize(inst, budget=300_000.0, targets=data.targets).status

    with pool.slot():
        first = threading.Thread(target=closing)
        first.start()
        _wait_for(lambda: pool.state()[1] == 1)
        second = threading.Thread(target=patient)
        second.start()
        _wait_for(lambda: pool.state()[1] == 2 and places[-1:] == [2])  # behind the one that will leave
        open_tab.clear()  # the first one's tab closes
        first.join(10)
        assert outcome["closing"] == "left"
        _wait_for(lambda: places[-1:] == [1])  # the patient one moved up
    second.join(60)
    assert outcome["patient"] == "optimal"
    assert pool.state() == (0, 0)


def test_a_sweep_lets_a_single_solve_in_between_its_budgets(sample):
    """A sweep holds its slot one budget at a time (as ui.compute.frontier does): a solve that comes in the
    middle runs before the sweep ends, not after it."""
    data, inst = sample
    pool = Pool(1)
    budgets = [100_000.0 * k for k in range(1, 9)]
    done_points: list[int] = []
    single: dict[str, object] = {}

    def sweep() -> None:
        with pool.slot() as held:
            for k, budget in enumerate(budgets, 1):
                frontier(inst, data.targets, [budget], SolverSettings(), workers=1)
                done_points.append(k)
                if k < len(budgets):
                    held.yield_turn()

    def one_solve() -> None:
        with pool.slot():
            single["at_point"] = len(done_points)
            single["status"] = optimize(inst, budget=250_000.0, targets=data.targets).status

    sweeping = threading.Thread(target=sweep)
    sweeping.start()
    _wait_for(lambda: len(done_points) >= 1)
    arriving = threading.Thread(target=one_solve)
    arriving.start()
    sweeping.join(300)
    arriving.join(60)
    assert single["status"] == "optimal"
    assert single["at_point"] < len(budgets), "the single solve waited for the whole sweep"
    assert done_points == list(range(1, len(budgets) + 1))


def test_a_time_limit_never_exceeds_the_longest_hold_of_a_slot():
    assert workers.capped(None) == workers.MAX_SECONDS
    assert workers.capped(3600.0) == min(3600.0, workers.MAX_SECONDS)
    assert workers.capped(5.0) == 5.0


def test_the_place_in_line_is_drawn_on_the_waiting_page_in_both_languages():
    """In a real script run: the page's solve waits behind a held slot, its place is drawn from the
    reporter thread, then cleared, and the result follows."""

    def script():
        import time as clock

        import streamlit as st

        from ui import workers as pool_module

        if st.session_state.get("hold"):
            reporter = pool_module._Reporter(__import__("streamlit.runtime.scriptrunner", fromlist=["x"])
                                             .get_script_run_ctx())
            reporter.show(2)
            clock.sleep(1.0)  # drawn and left on the page (the reporter is not closed in this run)
        else:
            with pool_module.turn():
                st.write("solved")

    held_pool = Pool(1)
    original = workers._POOL
    workers._POOL = held_pool
    try:
        at = AppTest.from_function(script, default_timeout=60)
        with held_pool.slot():
            runner = threading.Thread(target=at.run)
            runner.start()
            _wait_for(lambda: held_pool.state()[1] == 1)  # the page's job waits behind the held slot
            _wait_for(lambda: bool(held_pool.shown))  # and its place is shown
            time.sleep(0.5)
        runner.join(60)
        assert not at.exception
        assert [m.value for m in at.markdown] == ["solved"]
        assert not at.info  # the place in line is cleared once the solve runs
        assert held_pool.shown[-1][1] == 1

        at.session_state["hold"] = True
        at.run()
        assert [i.value for i in at.info] == ["排队中：第 2 位 / Queued: position 2"]
    finally:
        workers._POOL = original


# --- lighter reruns -------------------------------------------------------------------------------


def test_the_dataset_list_is_read_again_only_when_the_file_changed(tmp_path, tiny_folder):
    """Every run of every session asks for the dataset list; it is served from memory until this process or
    another one writes to the file, and then read again."""
    import subprocess
    import sys

    from storage.store import SAMPLE_NAME, Store
    from ui import datastore

    path = tmp_path / "list.duckdb"
    store = Store(path)
    assert list(datastore.datasets(store)) == [SAMPLE_NAME]
    generation = store.generation()
    assert list(datastore.datasets(store)) == [SAMPLE_NAME] and store.generation() == generation  # nothing written
    store.save_dataset("tiny", load_dataset(tiny_folder, name="tiny"))
    assert list(datastore.datasets(store)) == [SAMPLE_NAME, "tiny"]
    other = subprocess.run([sys.executable, "-c",
                            "import sys; from optimizer import load_dataset; from storage.store import Store; "
                            "Store(sys.argv[1], seed=False).save_dataset('other', load_dataset(sys.argv[2], "
                            "name='other'))", str(path), str(tiny_folder)], cwd=ROOT, capture_output=True, text=True)
    assert other.returncode == 0, other.stderr
    assert list(datastore.datasets(store)) == [SAMPLE_NAME, "tiny", "other"]
    assert datastore.datasets(store)["other"].projects == 7
