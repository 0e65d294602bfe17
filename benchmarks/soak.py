"""Soak: many browser sessions on one real ``streamlit run`` for minutes, mixing solves, saves, uploads,
downloads and sweeps. Prints what happened: actions, errors, cross-talk checks, the server's memory
over time, the machine's load. Exit status 1 when anything went wrong.

    python benchmarks/soak.py                       # 20 sessions for 10 minutes
    python benchmarks/soak.py --users 5 --minutes 2 # a short run

Each session is its own browser context (its own cookies and websocket: a separate person), driven
concurrently from one asyncio loop (Playwright, Debian's /usr/bin/chromium, headless). Every session
owns a budget range no other session uses, so a value from someone else is recognisable:

* a shared link opens the portfolio at the session's budget; the budget box must show it;
* typing a new budget must show the new one (and only it);
* the CSV download's run record must carry the session's current budget;
* a scenario saved under the session's name must hold the session's budget (checked in the
  database file after the run, with every upload's projects);
* now and then the frontier (17 solves, through the worker pool) and a backup of the database with
  ``python -m optimizer backup`` while everything runs.

A page showing an exception or the word ``Traceback``, a wait that times out, or a traceback in the
server log counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, like the other benchmarks

from storage.store import SAMPLE_NAME, Store  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, tiny_workbook  # noqa: E402
from tests.support.browser import Server as StreamlitServer  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
WAIT_MS = 180_000
SWEEP_WAIT_MS = 600_000  # a frontier of 17 solves queues again behind every waiting solve after each budget
#: Each action and how often a session picks it.
ACTIONS = {"budget": 4, "download": 3, "save": 2, "portfolio": 1, "upload": 1, "frontier": 0.5}


def own_budget(user: int, step: int = 0) -> float:
    """The session's budgets: 200,000 + 10,000 × user, plus up to 9,000 (no two sessions share one)."""
    return 200_000.0 + 10_000.0 * user + 1_000.0 * (step % 10)


# --- the server -------------------------------------------------------------------------------------


class Server(StreamlitServer):
    """The end-to-end tests' server, sampled over time: (seconds, rss bytes, cpu seconds, load 1 min)."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.samples: list[tuple[float, int, float, float]] = []
        self._stop = threading.Event()

    def sample_every(self, seconds: float) -> None:
        began = time.monotonic()

        def run() -> None:
            while not self._stop.is_set() and self.process.poll() is None:
                self.samples.append((time.monotonic() - began, self.rss(), self.cpu_seconds(), os.getloadavg()[0]))
                self._stop.wait(seconds)

        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        super().stop()


# --- one person -------------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.actions: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.checks = 0
        self.crosstalk: list[str] = []
        self.stale: list[str] = []  # the session's own earlier value, never another session's
        self.saved: dict[str, float] = {}  # scenario name -> budget it must hold
        self.uploads: list[str] = []
        self.backups: list[tuple[float, int, str]] = []  # (seconds taken, exit code, message)


async def _idle(page, timeout: int = WAIT_MS) -> None:
    await page.wait_for_selector(IDLE, timeout=timeout)
    await page.wait_for_timeout(200)


async def _rerun_done(page) -> None:
    """After an input: wait for the run it starts to begin (if it has not already ended), then to end, so
    no element of the previous run is read or clicked."""
    try:
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=5_000)
    except Exception:
        pass  # the run was over before we looked
    await _idle(page)


async def _open(page, url_path: str, timeout: int = WAIT_MS) -> None:
    if not page.url.split("?")[0].endswith("/" + url_path):
        await page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']").click()
        await page.wait_for_url(f"**/{url_path}**")
    await _idle(page, timeout)


async def _budget_shown(page) -> float | None:
    box = page.locator(".st-key-budget_input input")
    if not await box.count():
        return None
    return float((await box.input_value()).replace(",", "") or "nan")


async def _settled_budget(page, expected: float) -> float | None:
    """The budget box, read until it shows ``expected`` (a redraw may lag) or for twenty seconds."""
    shown = None
    for _ in range(40):
        shown = await _budget_shown(page)
        if shown == expected:
            return shown
        await page.wait_for_timeout(500)
    return shown


async def _problems_on(page, user: int, what: str, tally: Tally) -> None:
    if await page.locator("[data-testid='stException']").count():
        tally.errors.append(f"user{user} {what}: an exception is shown")
    if "Traceback" in await page.inner_text("body"):
        tally.errors.append(f"user{user} {what}: 'Traceback' on the page")
    alerts = page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']")
    for index in range(await alerts.count()):
        text = await alerts.nth(index).inner_text()
        if "错误编号" in text or "error id" in text.lower():
            tally.errors.append(f"user{user} {what}: error box: {text[:200]}")


async def _upload(page, workbook: Path, name: str) -> bool:
    uploader = page.locator(".st-key-upload")
    chip = uploader.locator("[data-testid='stFileChip']")
    for _ in range(3):
        if not await chip.count():
            await uploader.locator("input[type='file']").set_input_files(str(workbook))
            try:
                await chip.wait_for(timeout=20_000)
            except Exception:
                await _idle(page)
                continue
            await uploader.locator("[data-testid='stFileChipIconSpinner']").wait_for(state="detached")
            await _idle(page)
        name_input = page.locator(".st-key-upload_name input")
        if await name_input.input_value() != name:
            await name_input.fill(name)
            await name_input.press("Enter")
            await _idle(page)
        if not await chip.count():
            continue
        await page.locator(".st-key-upload_button button").click()
        await page.wait_for_timeout(500)
        main = "[data-testid='stMain'] [data-testid='stAlertContent{}']"
        await page.locator(", ".join(main.format(k) for k in ("Success", "Warning", "Error"))).first.wait_for(
            timeout=WAIT_MS)
        await _idle(page)
        return bool(await page.locator(main.format("Success")).count())
    return False


async def _session(browser, url: str, user: int, deadline: float, workbook: Path, tally: Tally,
                   arrival: float) -> None:
    rng = random.Random(user)
    await asyncio.sleep(arrival)
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                        accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    step = 0
    budget = own_budget(user)
    action = "portfolio"
    try:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                if action == "portfolio":  # a shared link at the session's own budget: a fresh session
                    budget = own_budget(user, step)
                    await page.goto(f"{url}/portfolio?budget={budget:.0f}")
                    await page.wait_for_selector("[data-testid='stMetric']", timeout=WAIT_MS)
                    await page.wait_for_selector(".st-key-budget_input input", timeout=WAIT_MS)
                    await _idle(page)
                    tally.checks += 1
                    if (shown := await _settled_budget(page, budget)) != budget:
                        tally.crosstalk.append(f"user{user}: link budget {budget:.0f}, box shows {shown}")
                elif action == "budget":
                    await _open(page, "portfolio")
                    step += 1
                    budget = own_budget(user, step)
                    box = page.locator(".st-key-budget_input input")
                    await box.fill(f"{budget:.0f}")
                    await box.press("Enter")
                    await _rerun_done(page)
                    await page.wait_for_selector("[data-testid='stMetric']", timeout=WAIT_MS)
                    tally.checks += 1
                    if (shown := await _settled_budget(page, budget)) != budget:
                        tally.crosstalk.append(f"user{user}: typed {budget:.0f}, box shows {shown}")
                elif action == "download":
                    await _open(page, "portfolio")
                    button = page.locator(".st-key-download_csv button")
                    await button.wait_for(timeout=WAIT_MS)
                    async with page.expect_download(timeout=WAIT_MS) as info:
                        await button.click()
                    download = await info.value
                    text = Path(await download.path()).read_bytes().decode("utf-8-sig")
                    recorded = [line.split(":", 1)[1].strip() for line in text.splitlines()
                                if line.startswith("# settings.budget:")]
                    tally.checks += 1
                    got = float(recorded[0]) if recorded else None
                    if got is None or not own_budget(user) <= got <= own_budget(user, 9):
                        tally.crosstalk.append(f"user{user}: download records budget {recorded}, expected {budget}")
                    elif got != budget:  # the session's own earlier question: a button clicked mid-redraw
                        tally.stale.append(f"user{user}: download of its earlier budget {got:.0f}, now {budget:.0f}")
                    await _idle(page)
                elif action == "save":
                    await _open(page, "saved-scenarios")
                    name = f"user{user}-{step}"
                    name_input = page.locator(".st-key-scenario_name input")
                    await name_input.fill(name)
                    await name_input.press("Enter")
                    await _idle(page)
                    await page.locator(".st-key-save_scenario button").click()
                    success = page.locator("[data-testid='stAlertContentSuccess']")
                    await success.wait_for(timeout=WAIT_MS)
                    tally.checks += 1
                    if name not in await success.inner_text():
                        tally.crosstalk.append(f"user{user}: save confirmation does not name {name}")
                    tally.saved[name] = budget
                    await _idle(page)
                elif action == "upload":
                    await _open(page, "project-list")
                    name = f"soak{user}-{step}"
                    if await _upload(page, workbook, name):
                        tally.uploads.append(name)
                    else:
                        tally.errors.append(f"user{user}: upload {name} not confirmed")
                elif action == "frontier":
                    await _open(page, "budget-frontier", SWEEP_WAIT_MS)  # the sweep runs as the page opens;
                    await page.wait_for_selector(".st-key-frontier_comparators", timeout=SWEEP_WAIT_MS)
                    await _idle(page, SWEEP_WAIT_MS)  # it gives its slot up after every budget: it takes its time
                await _problems_on(page, user, action, tally)
                tally.actions[action] += 1
                tally.seconds[action].append(time.monotonic() - began)
            except Exception as error:  # a timeout or a lost page: counted, then a fresh start from a link
                tally.errors.append(f"user{user} {action}: {type(error).__name__}: {str(error)[:200]}")
                action = "portfolio"
                continue
            action = rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
            await asyncio.sleep(rng.uniform(0.5, 3.0))  # a person reads before the next click
    finally:
        await context.close()


async def _backups(db: Path, folder: Path, every: float, deadline: float, tally: Tally) -> None:
    number = 0
    while time.monotonic() + every < deadline:
        await asyncio.sleep(every)
        number += 1
        began = time.monotonic()
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "optimizer", "backup", "--db", str(db), "--to",
                             str(folder / f"backup-{number}.duckdb")],
            cwd=ROOT, capture_output=True, text=True)
        tally.backups.append((time.monotonic() - began, done.returncode, (done.stdout + done.stderr).strip()[-300:]))


async def _everyone(server: Server, users: int, seconds: float, workbook: Path, tally: Tally,
                    backup_every: float, folder: Path) -> None:
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + seconds
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            jobs = [_session(browser, server.url, user, deadline, workbook, tally, arrival=0.5 * user)
                    for user in range(users)]
            if backup_every > 0:
                jobs.append(_backups(server.db, folder, backup_every, deadline, tally))
            await asyncio.gather(*jobs)
        finally:
            await browser.close()


# --- after the run -----------------------------------------------------------------------------------


def _check_database(db: Path, tally: Tally) -> None:
    store = Store(db, seed=False)
    try:
        for name, budget in tally.saved.items():
            tally.checks += 1
            try:
                settings, result = store.load_scenario(SAMPLE_NAME, name)
            except KeyError:
                tally.crosstalk.append(f"scenario {name} is not in the database")
                continue
            if float(settings["budget"]) != budget:
                tally.crosstalk.append(f"scenario {name} holds budget {settings['budget']}, expected {budget}")
            if result.get("status") not in ("optimal", "feasible"):
                tally.crosstalk.append(f"scenario {name} holds status {result.get('status')}")
        names = set(store.dataset_names())
        for name in tally.uploads:
            tally.checks += 1
            if name not in names or sorted(store.load_dataset(name).projects.index) != [f"P{k}" for k in range(1, 8)]:
                tally.crosstalk.append(f"upload {name} missing or with other projects")
    finally:
        store.close()


def _figures(tally: Tally, server: Server, seconds: float, users: int, load_before: tuple) -> dict:
    rss = [s[1] for s in server.samples if s[1]]
    minutes = {}
    for t, r, cpu, load in server.samples:
        minute = int(t // 60)
        if r and minute not in minutes:
            minutes[minute] = {"rss_mib": round(r / 2**20), "cpu_s": round(cpu, 1), "load1": round(load, 2)}
    latency = {a: {"n": len(v), "median_s": round(statistics.median(v), 2),
                   "p95_s": round(sorted(v)[max(0, int(0.95 * len(v)) - 1)], 2), "max_s": round(max(v), 2)}
               for a, v in tally.seconds.items() if v}
    return {
        "users": users, "minutes": round(seconds / 60, 1), "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "actions": dict(tally.actions), "actions_total": sum(tally.actions.values()),
        "errors": len(tally.errors), "crosstalk_checks": tally.checks, "crosstalk_failures": len(tally.crosstalk),
        "own_stale_values": len(tally.stale),
        "scenarios_saved": len(tally.saved), "uploads": len(tally.uploads),
        "backups": [{"seconds": round(s, 2), "exit": code} for s, code, _ in tally.backups],
        "rss_mib": {"start": round(rss[0] / 2**20) if rss else None, "peak": round(max(rss) / 2**20) if rss else None,
                    "end": round(rss[-1] / 2**20) if rss else None},
        "server_cpu_s": round(server.samples[-1][2], 1) if server.samples else None,
        "per_minute": minutes, "latency": latency,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--backup-every", type=float, default=120.0, help="seconds between backups (0: none)")
    parser.add_argument("--rss-limit-mib", type=float, default=3072.0)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing (Debian's chromium package)")
    folder = Path(tempfile.mkdtemp(prefix="retrofit-soak-"))
    workbook = tiny_workbook(folder / "清单.xlsx")
    load_before = os.getloadavg()
    server = Server(folder)
    server.wait_healthy(timeout=90)
    server.sample_every(5.0)
    tally = Tally()
    began = time.monotonic()
    try:
        asyncio.run(_everyone(server, args.users, args.minutes * 60, workbook, tally, args.backup_every, folder))
    finally:
        seconds = time.monotonic() - began
        server.stop()
    log = server.log_path.read_text(errors="replace")
    if "Traceback" in log:
        tally.errors.append("the server log holds a traceback: " + log[log.index("Traceback"):][:1500])
    _check_database(server.db, tally)
    figures = _figures(tally, server, seconds, args.users, load_before)
    failed_backups = [b for b in tally.backups if b[1] != 0]
    over = figures["rss_mib"]["peak"] is None or figures["rss_mib"]["peak"] > args.rss_limit_mib
    print(f"{args.users} sessions for {seconds / 60:.1f} min on {os.cpu_count()} cores "
          f"(load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f})")
    print(f"actions {figures['actions_total']} {dict(tally.actions)}; errors {len(tally.errors)}; "
          f"cross-talk checks {tally.checks}, failures {len(tally.crosstalk)} (own earlier values {len(tally.stale)}); "
          f"backups {len(tally.backups)} ({len(failed_backups)} failed)")
    print(f"server RSS MiB start {figures['rss_mib']['start']}, peak {figures['rss_mib']['peak']}, "
          f"end {figures['rss_mib']['end']}; server CPU {figures['server_cpu_s']} s")
    for minute, row in sorted(figures["per_minute"].items()):
        print(f"  minute {minute:>2}: RSS {row['rss_mib']} MiB, server CPU {row['cpu_s']} s, load {row['load1']}")
    for action, row in sorted(figures["latency"].items()):
        print(f"  {action:<9} n={row['n']:<4} median {row['median_s']} s, p95 {row['p95_s']} s, max {row['max_s']} s")
    for line in (tally.errors + tally.crosstalk + tally.stale + [b[2] for b in failed_backups])[:40]:
        print("  ! " + line)
    print(json.dumps(figures, ensure_ascii=False))
    return 1 if tally.errors or tally.crosstalk or failed_backups or over else 0


if __name__ == "__main__":
    sys.exit(main())
