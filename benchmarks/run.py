#!/usr/bin/env python3
"""Benchmark the retrofit-portfolio optimizer against a plain PuLP model and the MAC ranking.

    python benchmarks/run.py --sizes 1000 10000 100000 --write
    python benchmarks/run.py --sizes 1000                  # CI smoke run (< 1 minute)
    python benchmarks/run.py --sizes 10000 --profile       # + cProfile of the product path

For each size, on one seeded synthetic instance (tests/support/families.py), it times

* ``product``      optimizer.solve.optimize(instance, budget=budget, targets=..., settings=SolverSettings(gap=0.001)) -- HiGHS, with the product's own 60 s solver limit;
* ``plain_cbc``    the same integer program written the obvious way in PuLP, solved by
                   pulp.COIN_CMD(msg=False, gapRel=0.001);
* ``plain_highs``  that model solved by pulp.HiGHS(msg=False, gapRel=0.001);
* ``mac``          optimizer.ranking.mac_pick (no optimisation, ignores the targets);

each in a fresh subprocess (its own session, killed as a group after --time-limit seconds and
reported as "timeout"), so peak memory (ru_maxrss) does not mix between methods. Generating the
instance happens in the subprocess before the clock starts. Also times a 20-point frontier
(optimizer.frontier.frontier) on the 1,000-project instance and the sample dataset
(load, solve at 300 000 万元, re-solve at 350 000 and at 300 000).

Prints a markdown report; --write also saves it to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

METHODS = ("product", "plain_cbc", "plain_highs", "mac")


def cbc_path() -> str | None:
    """The ``cbc`` program of the cbcbox package sits beside the venv's Python, which need not be on PATH.

    PuLP's COIN_CMD looks only on PATH (and its own bundled binary, absent here), so a plain
    ``.venv/bin/python benchmarks/run.py`` failed with "cannot execute cbc".
    """
    import shutil

    beside = str(Path(sys.executable).parent)
    return shutil.which("cbc", path=os.pathsep.join([beside, os.environ.get("PATH", "")]))
GAP = 1e-3
FRONTIER_SIZE = 1000
FRONTIER_POINTS = 20


# --- the plain model --------------------------------------------------------


def build_plain(instance, targets, budget):
    """The portfolio model as one would write it straight from the policy, in plain PuLP.

    Same formulation as optimizer/program/model.py (budget, exclusive groups, prerequisites,
    retirements, benchmark shares with an at-benchmark variable per facility, all at
    baseline, small lines retired), without the product's bookkeeping.
    """
    import numpy as np
    import pulp

    from optimizer.data.dataset import is_at_level

    n = instance.n_projects
    co2, capex, facility = instance.co2.tolist(), instance.capex.tolist(), instance.facility.tolist()
    prob = pulp.LpProblem("plain_portfolio", pulp.LpMaximize)
    x = prob.add_variable_dicts("x", range(n), cat=pulp.LpBinary)
    prob += pulp.lpSum(co2[i] * x[i] for i in range(n))
    prob += pulp.lpSum(capex[i] * x[i] for i in range(n)) <= budget, "budget"
    for g, members in enumerate(instance.groups):
        prob += pulp.lpSum(x[int(i)] for i in members) <= 1, f"group_{g}"
    for p, q in instance.prerequisites:
        prob += x[p] <= x[q], f"requires_{p}_{q}"

    retire_by_fac: dict[int, list[int]] = {}
    for p in np.flatnonzero(instance.retire):
        retire_by_fac.setdefault(facility[p], []).append(int(p))
    retired = {f: pulp.lpSum(x[p] for p in ps) for f, ps in retire_by_fac.items()}
    for f, ps in retire_by_fac.items():
        if len(ps) > 1:
            prob += retired[f] <= 1, f"one_retirement_{f}"
    for p in range(n):
        f = facility[p]
        if f in retired and not instance.retire[p]:
            prob += x[p] + retired[f] <= 1, f"closed_{p}"

    def running(f):
        return 1 - retired[f] if f in retired else 1

    reach_bm = instance.reaches(instance.benchmark)
    reach_bl = instance.reaches(instance.baseline)
    projects_of: dict[int, list[int]] = {}
    for p in range(n):
        projects_of.setdefault(facility[p], []).append(p)
    already_bm = is_at_level(instance.intensity, instance.benchmark)
    already_bl = is_at_level(instance.intensity, instance.baseline)
    at_bm = {}
    for t in targets:
        if not t.enabled:
            continue
        covered = np.flatnonzero(instance.covered(t.products))
        if t.kind == "benchmark_share_min":
            w = instance.weights(t.weight)
            terms = []
            for f in covered:
                qualifying = [p for p in projects_of.get(f, []) if reach_bm[p]]
                if already_bm[f]:
                    terms.append((1 - t.value) * w[f] * running(f))
                elif qualifying:
                    if f not in at_bm:
                        at_bm[f] = prob.add_variable(f"at_bm_{f}", lowBound=0, upBound=1)
                        prob += at_bm[f] <= pulp.lpSum(x[int(p)] for p in qualifying), f"bm_reached_{f}"
                    terms.append(w[f] * at_bm[f] - t.value * w[f] * running(f))
                else:
                    terms.append(-t.value * w[f] * running(f))
            prob += pulp.lpSum(terms) >= 0, f"share_{t.target_id}"
        elif t.kind == "baseline_all":
            for f in covered:
                if already_bl[f]:
                    continue
                options = [x[p] for p in projects_of.get(f, []) if reach_bl[p]]
                prob += pulp.lpSum(options) + (retired[f] if f in retired else 0) >= 1, f"baseline_{t.target_id}_{f}"
        elif t.kind == "min_line_capacity":
            for f in covered:
                if instance.capacity[f] < t.value:
                    prob += (retired[f] if f in retired else pulp.LpAffineExpression()) >= 1, f"small_{t.target_id}_{f}"
    return prob, [x[i] for i in range(n)]


# --- one method in one subprocess ------------------------------------------


def _maxrss_mib(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def cbc_proven_gap(log: str) -> float | None:
    """The proven relative gap in a CBC log (cbcbox's build).

    Its closing line ("Optimal — Obj: X  Bound: Y  Gap: 0.00%") sets the bound to the incumbent
    when the search stops on the gap tolerance, so the last row of the branch-and-bound table
    (Gap% column, 2 decimals) is the gap actually proven; the closing line is used only when the
    root solved it (no table rows).
    """
    rows = []
    for line in log.splitlines():
        tokens = line.replace("★", " ").split()
        if len(tokens) >= 5 and tokens[0].isdigit() and tokens[-2].endswith("%"):
            try:
                rows.append(float(tokens[-2].rstrip("%")) / 100.0)
            except ValueError:
                pass
    closing = re.findall(r"Obj:\s*([-\d.eE+]+)\s+Bound:\s*([-\d.eE+]+)", log)
    if closing:
        obj, bound = (float(v) for v in closing[-1])
        final = abs(bound - obj) / max(abs(obj), 1e-9)
    else:
        g = re.findall(r"^Gap:\s+([-\d.eE+]+)", log, re.MULTILINE)
        final = abs(float(g[-1])) if g else None
    if rows:
        return max(rows[-1], final or 0.0)
    return final


class ChildPeak:
    """Largest VmHWM of this process's child processes (the cbc that COIN_CMD starts), polled.

    ru_maxrss(RUSAGE_CHILDREN) is useless here: the child is spawned by vfork + exec (the cbc
    console script even execs once more), and Linux folds the parent's RSS at spawn into it.
    """

    def __init__(self, every: float = 0.02):
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _children(self) -> list[str]:
        pids = []
        try:
            for tid in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{tid}/children") as fh:
                    pids += fh.read().split()
        except OSError:
            pass
        return pids

    def _run(self):
        while not self._stop.is_set():
            for pid in self._children():
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        for line in fh:
                            if line.startswith("VmHWM:"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    pass
            self._stop.wait(self._every)

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024.0 if self.peak_kib else None


def run_method(method: str, size: int, seed: int) -> dict:
    import numpy as np

    from optimizer.program.targets import evaluate_portfolio
    from tests.support.families import make_case

    if method == "sample":
        case = inst = targets = budget = None
    else:
        case = make_case(size, seed)
        inst, targets, budget = case.instance, case.targets, case.budget
    before = _maxrss_mib(resource.RUSAGE_SELF)
    row = {"method": method, "size": size, "budget": budget}
    watcher = ChildPeak() if method == "plain_cbc" else None

    if method == "product":
        from optimizer.solving.solve import SolverSettings, optimize

        start = time.perf_counter()
        result = optimize(inst, budget=budget, targets=targets, settings=SolverSettings(gap=GAP))
        row["total"] = time.perf_counter() - start
        row.update(build=result.build_seconds, solve=result.solve_seconds, status=result.status,
                   co2=result.co2_reduction_t if result.has_portfolio else None,
                   spend=result.spend, gap=result.gap, met=all(t.met for t in result.targets))
    elif method in ("plain_cbc", "plain_highs"):
        import pulp

        start = time.perf_counter()
        prob, xs = build_plain(inst, targets, budget)
        built = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bench-cbc-") as folder:
            log = os.path.join(folder, "cbc.log")
            solver = (pulp.COIN_CMD(msg=False, gapRel=GAP, logPath=log, path=cbc_path()) if method == "plain_cbc"
                      else pulp.HiGHS(msg=False, gapRel=GAP))
            prob.solve(solver)
            solved = time.perf_counter()
            chosen = np.array([(v.varValue or 0.0) > 0.5 for v in xs], dtype=bool)
            row["total"] = time.perf_counter() - start
            row.update(build=built - start, solve=solved - built, status=pulp.LpStatus[prob.status])
            if method == "plain_highs":
                info = prob.solverModel.getInfo()
                row["gap"] = float(info.mip_gap)
                row["status"] = prob.solverModel.modelStatusToString(prob.solverModel.getModelStatus())
            else:
                text = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
                row["gap"] = cbc_proven_gap(text)
                if "Result - Optimal" not in text and row["status"] == "Optimal":
                    row["status"] = "Optimal?"  # PuLP says Optimal; CBC's log does not
        row.update(co2=float(inst.co2[chosen].sum()) if chosen.any() else None,
                   spend=float(inst.capex[chosen].sum()),
                   met=all(t.met for t in evaluate_portfolio(inst, targets, chosen)))
    elif method == "mac":
        from optimizer.answers.ranking import mac_pick

        start = time.perf_counter()
        chosen = mac_pick(inst, budget, targets).chosen
        row["total"] = time.perf_counter() - start
        row.update(build=0.0, solve=row["total"], status="heuristic", co2=float(inst.co2[chosen].sum()),
                   spend=float(inst.capex[chosen].sum()), gap=None,
                   met=all(t.met for t in evaluate_portfolio(inst, targets, chosen)))
    elif method == "frontier":
        from optimizer.answers.frontier import budget_range, frontier
        from optimizer.solving.solve import SolverSettings

        budgets = budget_range(0.0, 2.0 * budget, FRONTIER_POINTS)
        start = time.perf_counter()
        table = frontier(inst, targets, budgets, settings=SolverSettings(gap=GAP))
        row["total"] = time.perf_counter() - start
        row.update(points=len(budgets), statuses=table["status"].value_counts().to_dict(),
                   low=budgets[0], high=budgets[-1],
                   max_gap=float(table["gap"].dropna().max()) if table["gap"].notna().any() else None)
    elif method == "sample":
        from optimizer import load_dataset
        from optimizer.solving.solve import optimize

        start = time.perf_counter()
        dataset = load_dataset(str(ROOT / "data" / "sample" / "fuzhou"))
        row["load"] = time.perf_counter() - start
        row["projects"] = len(dataset.projects)
        solves = []
        for label, b in (("cold", 300_000), ("re-solve", 350_000), ("re-solve", 300_000)):
            t0 = time.perf_counter()
            r = optimize(dataset, budget=b)
            solves.append({"label": label, "budget": b, "total": time.perf_counter() - t0,
                           "build": r.build_seconds, "solve": r.solve_seconds, "status": r.status,
                           "co2": r.co2_reduction_t, "gap": r.gap, "met": all(t.met for t in r.targets)})
        row["solves"] = solves
    else:
        raise ValueError(method)

    row["peak_mib"] = _maxrss_mib(resource.RUSAGE_SELF)
    row["base_mib"] = before
    row["child_mib"] = watcher.stop() if watcher else None
    row["case"] = case.info if case else None
    return row


def spawn(method: str, size: int, seed: int, limit: float) -> dict:
    """Run one method in a fresh interpreter; kill its whole process group on timeout."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        out = os.path.join(folder, "row.json")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", method, str(size), str(seed), out]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and its CBC child, nothing else
            proc.communicate()
            return {"method": method, "size": size, "status": "timeout", "total": None, "wall": limit,
                    "timeout": True}
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not os.path.exists(out):
            tail = err.decode(errors="replace").strip().splitlines()[-3:]
            return {"method": method, "size": size, "status": "error", "total": None, "wall": wall,
                    "error": " | ".join(tail)}
        row = json.load(open(out))
        row["wall"] = wall
        return row


# --- reporting --------------------------------------------------------------


def _f(value, digits=2):
    return "—" if value is None else f"{value:,.{digits}f}"


def _gap(value):
    if value is None:
        return "—"
    if value == float("inf"):
        return "inf"
    return f"{value:.2e}" if value else "0"


def _ratio(total, ref):
    if total is None:
        return "—"
    if ref is None:
        return "—"
    if ref.get("timeout"):
        return f"< {total / ref['wall']:.3g}"
    if not ref.get("total"):
        return "—"
    return f"{total / ref['total']:.3g}"


def table(rows: list[dict], limit: float) -> str:
    head = ("| method | projects | build s | solve s | total s | status | CO2 cut t/yr | spend / budget | proven gap "
            "| peak MiB (Δ) | CBC proc MiB | targets met | × plain CBC | × plain HiGHS |")
    lines = [head, "|" + "---|" * 14]
    by_size: dict[int, dict[str, dict]] = {}
    for r in rows:
        by_size.setdefault(r["size"], {})[r["method"]] = r
    for r in rows:
        refs = by_size[r["size"]]
        if r.get("timeout") or r["status"] == "error":
            total = f"> {limit:g}" if r.get("timeout") else "—"
            what = f"timeout (killed at {limit:g} s)" if r.get("timeout") else f"error: {r.get('error', '')}"
            lines.append(f"| {r['method']} | {r['size']:,} | — | — | {total} | {what} |" + " — |" * 8)
            continue
        spend = f"{r['spend'] / r['budget']:.4f}" if r.get("spend") is not None else "—"
        child = _f(r["child_mib"], 0) if r["method"] == "plain_cbc" else "—"
        lines.append(
            f"| {r['method']} | {r['size']:,} | {_f(r['build'], 3)} | {_f(r['solve'], 3)} | {_f(r['total'], 3)} "
            f"| {r['status']} | {_f(r['co2'], 0)} | {spend} | {_gap(r.get('gap'))} "
            f"| {r['peak_mib']:,.0f} ({r['peak_mib'] - r['base_mib']:+,.0f}) | {child} "
            f"| {'y' if r['met'] else 'n'} | {_ratio(r['total'], refs.get('plain_cbc'))} "
            f"| {_ratio(r['total'], refs.get('plain_highs'))} |")
    return "\n".join(lines)


def code_state() -> str:
    """Git commit and whether optimizer/ has uncommitted changes (others edit it while benchmarks run)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "optimizer"],
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        dirty = [line[3:] for line in dirty if line.strip()]
        return f"commit {head}, optimizer/ " + (f"MODIFIED: {', '.join(dirty)}" if dirty else "clean")
    except Exception:  # noqa: BLE001 - only a label
        return "?"


def machine(code_at_start: str = "") -> str:
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
                break
    except OSError:
        pass
    import pulp

    cbc = pulp.COIN_CMD(msg=False, path=cbc_path())
    try:
        first = subprocess.run([cbc.path, "-quit"], capture_output=True, text=True, timeout=10).stdout.splitlines()
        cbc_version = first[0].strip() if first else "?"
    except Exception:  # noqa: BLE001 - only a label
        cbc_version = "?"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return "\n".join([
        f"- code at start: {code_at_start}" + ("" if code_state() == code_at_start else
                                               f"; at end: {code_state()}"),
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU: {cpu}; nproc {usable} (os.cpu_count {os.cpu_count()})",
        f"- RAM: {ram}",
        f"- Python {platform.python_version()} ({platform.system()} {platform.release()}), "
        f"PuLP {pulp.__version__}, highspy {version('highspy')}, numpy {version('numpy')}, "
        f"CBC: {cbc_version} ({cbc.path})",
    ])


def profile_product(sizes: list[int], seed: int, top: int = 25) -> str:
    """cProfile of optimize() on each size: build and solve split, top functions by own time."""
    import cProfile
    import io
    import pstats

    from optimizer.program.build import build_model
    from optimizer.program.horizon import AsOf
    from optimizer.solving.solve import SolverSettings, solve_model
    from tests.support.families import make_case

    out = []
    for size in sizes:
        case = make_case(size, seed)
        for phase in ("build", "solve"):
            horizon = AsOf.of().horizon(case.budget)
            model = build_model(case.instance, case.targets, horizon) if phase == "solve" else None
            prof = cProfile.Profile()
            start = time.perf_counter()
            prof.enable()
            if phase == "build":
                build_model(case.instance, case.targets, AsOf.of().horizon(case.budget))
            else:
                solve_model(model, SolverSettings(gap=GAP))
            prof.disable()
            took = time.perf_counter() - start
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf).strip_dirs()
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
            parts = [b[b.find("ncalls"):] for b in buf.getvalue().split("Ordered by:")[1:]]
            out.append(f"### {phase} at {size:,} projects ({took:.2f} s under cProfile)\n\n"
                       f"Top {top} by cumulative time:\n\n```\n{parts[0].rstrip()}\n```\n\n"
                       f"Top {top} by own time:\n\n```\n{parts[1].rstrip()}\n```\n")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000], help="project counts (default 1000)")
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per method and size (default 120)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--no-frontier", action="store_true", help="skip the 20-point frontier on 1,000 projects")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample-dataset timing")
    parser.add_argument("--profile", action="store_true", help="also cProfile the product path at each size")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument("--families", action="store_true",
                        help="time the whole CLI on every instance family (benchmarks/family_bench.py)")
    parser.add_argument("--plain-max", type=int, default=10000, help="largest size for plain HiGHS/CBC (families)")
    parser.add_argument("--xlsx-max", type=int, default=10000, help="largest size timed from an xlsx (families)")
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "SIZE", "SEED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        method, size, seed, out = args.worker
        row = run_method(method, int(size), int(seed))
        with open(out, "w") as fh:
            json.dump(row, fh)
        return 0

    began = time.perf_counter()
    code_at_start = code_state()
    if args.families:
        return families_main(args, argv, began, code_at_start)
    from tests.support.families import make_case

    rows, cases = [], []
    for size in args.sizes:
        case = make_case(size, args.seed)
        cases.append((size, case.info))
        for method in args.methods:
            row = spawn(method, size, args.seed, args.time_limit)
            rows.append(row)
            print(f"  {method:12s} {size:>8,}  {row['status']:>12s}  "
                  f"{_f(row.get('total'), 2):>8s} s  (wall {row['wall']:.1f} s)", file=sys.stderr, flush=True)

    extra = []
    if not args.no_frontier:
        fr = spawn("frontier", FRONTIER_SIZE, args.seed, max(args.time_limit, 300))
        print(f"  frontier     {FRONTIER_SIZE:>8,}  {fr['status'] if 'status' in fr else ''} "
              f"{_f(fr.get('total'))} s", file=sys.stderr, flush=True)
        if fr.get("total") is None:
            extra.append(f"## Frontier\n\n{fr['status']} ({fr.get('error', '')})\n")
        else:
            extra.append(
                f"## Frontier: {fr['points']} budgets on the {FRONTIER_SIZE:,}-project instance\n\n"
                f"optimizer.frontier.frontier, budgets {fr['low']:,.0f} to {fr['high']:,.0f} 万元 (0 to 2 x the "
                f"benchmark budget), SolverSettings(gap=0.001): **{fr['total']:.2f} s** in all, "
                f"{fr['total'] / fr['points']:.3f} s per point (each point: build + HiGHS + MAC pick + target "
                f"evaluation); statuses {fr['statuses']}; largest proven gap {_gap(fr['max_gap'])}; "
                f"peak {fr['peak_mib']:,.0f} MiB.\n")
    if not args.no_sample:
        sm = spawn("sample", 0, args.seed, args.time_limit)
        if sm.get("solves") is None:
            extra.append(f"## Sample dataset\n\n{sm['status']} ({sm.get('error', '')})\n")
        else:
            lines = [f"## Sample dataset (data/sample/fuzhou, {sm['projects']} projects)\n",
                     f"load_dataset: {sm['load']:.3f} s. optimize(dataset, budget=...) with default settings "
                     f"(HiGHS, gap 0.001, diagnose on), same process one after another:\n",
                     "| solve | budget 万元 | build s | solve s | total s | status | CO2 cut t/yr | gap | targets met |",
                     "|---|---|---|---|---|---|---|---|---|"]
            for s in sm["solves"]:
                lines.append(f"| {s['label']} | {s['budget']:,} | {s['build']:.4f} | {s['solve']:.4f} | "
                             f"{s['total']:.4f} | {s['status']} | {_f(s['co2'], 0)} | {_gap(s['gap'])} | "
                             f"{'y' if s['met'] else 'n'} |")
            extra.append("\n".join(lines) + "\n")

    inst_lines = ["| projects | facilities | exclusive groups | prerequisites | retire projects | small lines "
                  "| total capex 万元 | greedy target cost 万元 | budget 万元 |", "|" + "---|" * 9]
    for size, info in cases:
        inst_lines.append(f"| {size:,} | {info['facilities']:,} | {info['groups']:,} | {info['prerequisites']:,} "
                          f"| {info['retire_projects']:,} | {info['small_lines']:,} | {info['total_capex']:,.0f} "
                          f"| {info['greedy_cost']:,.0f} | {info['budget']:,.0f} |")

    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = "\n".join([
        "# Benchmarks\n",
        f"Command: `{command.strip()}` (seed {args.seed}, per-method limit {args.time_limit:g} s; "
        f"whole run {time.perf_counter() - began:.0f} s)\n",
        "## Machine\n", machine(code_at_start), "",
        "## Instances (tests/support/families.py)\n",
        "Synthetic, seeded; shipped products and the 7 shipped plan targets. Budget = 1.25 x the cost of a greedy "
        "portfolio meeting every target, so the targets can be met and the budget binds.\n",
        "\n".join(inst_lines), "",
        "## Methods\n",
        "- **product**: `optimize(instance, budget=budget, targets=targets, settings=SolverSettings(gap=0.001))` (HiGHS; SolverSettings' default 60 s solver limit applies). build = "
        "`result.build_seconds` (build_model), solve = `result.solve_seconds` (PuLP -> HiGHS + solve + "
        "reading back), total = wall time of the call.\n"
        "- **plain_cbc / plain_highs**: the same formulation written the obvious way in PuLP "
        "(`add_variable_dicts`, `lpSum` over generators, `prob +=`), `pulp.COIN_CMD(msg=False, gapRel=0.001)` / "
        "`pulp.HiGHS(msg=False, gapRel=0.001)`, no solver time limit. CBC gap: last Gap% of the branch-and-bound table in its log (its closing line reports Bound = Obj when it stops on the gap tolerance); HiGHS gap "
        "from `getInfo().mip_gap`.\n"
        "- **mac**: `optimizer.ranking.mac_pick(instance, budget, targets).chosen`.\n"
        "- Each method runs in a fresh subprocess after generating the instance there; killed after the "
        "per-method limit (\"timeout\"). Peak MiB = ru_maxrss of that process (includes Python, pandas, the "
        "instance and in-process HiGHS); (Δ) = growth during the method. CBC proc MiB = ru_maxrss of the cbc "
        "child (COIN_CMD runs CBC as a separate program). Targets met = optimizer.targets.evaluate_portfolio on "
        "the chosen projects. × plain = total time / the plain model's total time on the same size "
        "(\"< r\" when the plain run timed out).\n",
        "## Results\n", table(rows, args.time_limit), "",
        *extra,
    ])
    if args.profile:
        report += "\n## Profile of the product path (cProfile, in-process)\n\n" + profile_product(args.sizes, args.seed)
    print(report)
    if args.write:
        (HERE / "RESULTS.md").write_text(report + "\n", encoding="utf-8")
        print(f"\nwrote {HERE / 'RESULTS.md'}", file=sys.stderr)
    return 0


def startup_seconds(runs: int = 5) -> float:
    """Least wall time of ``python -m optimizer --help`` over a few runs (start-up and import)."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "optimizer", "--help"], cwd=str(ROOT), capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def families_main(args, argv, began, code_at_start) -> int:
    from family_bench import measure, report

    from tests.support.families import FAMILIES

    names = list(FAMILIES)
    rows = measure(names, args.sizes, args.seed, args.time_limit, args.plain_max, args.xlsx_max,
                   log=lambda text: print(text, file=sys.stderr, flush=True))
    startup = startup_seconds()
    docs = ["- **classic**: `make_case`, the original shape: 2-12 projects per facility (mean 5), deep/partial/"
            "retire alternatives exclusive, waste heat requiring a prerequisite, solar; budget 1.25 x a greedy "
            "portfolio meeting the shipped targets."]
    docs += [f"- **{f.name}**: {f.doc}." for f in FAMILIES.values() if f is not None]
    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([
        "# Benchmarks\n",
        f"Command: `{command.strip()}` (seed {args.seed}, limit {args.time_limit:g} s per run; whole run "
        f"{time.perf_counter() - began:.0f} s). One run; the 2 cores are shared with other engineers' jobs, so "
        "absolute seconds are noisy: compare figures within this run (ratios), not across runs.\n",
        "## Machine\n", machine(code_at_start), "",
        f"CLI start-up and import (`python -m optimizer --help`, least of 5): **{startup:.2f} s**.\n",
        "## Families (tests/support/families.py `make_family`)\n", *docs, "",
        "Share targets are set `tightness` of the way from today's share to the most reachable, so they bind; "
        "the budget is the family's share of total capex, raised to 1.05 x a greedy target portfolio when that "
        "is more (the column budget / capex gives the share used).\n",
        "## Whole CLI per size: median and worst family\n",
        "CLI = `python -m optimizer solve --data DIR --budget B --json` as a child process (wall time and its "
        "peak RSS), from the CSV folder; the same from the .xlsx workbook. Plain HiGHS / CBC: the same model "
        "(`build_model`) through PuLP's stock `pulp.HiGHS` / `pulp.COIN_CMD` (gapRel 0.001), instance generated "
        "in memory (no reading), in a child process; × = plain / CLI wall time.\n",
        report(rows, args.time_limit), "",
    ])
    print(text)
    if args.write:
        path = HERE / "RESULTS.md"
        kept = kept_sections(path.read_text(encoding="utf-8")) if path.exists() else ""
        path.write_text(text + "\n" + kept, encoding="utf-8")
        print(f"\nwrote {path}", file=sys.stderr)
    return 0


#: Sections of RESULTS.md written by other benchmarks (roadmap_bench.py, sweep_bench.py), kept on --write.
KEPT_SECTIONS = ("## One program", "## Speed-ups", "## Roadmap", "## Sweeps")


def kept_sections(text: str) -> str:
    """The sections of ``text`` that other benchmarks own, from the first of them to the end."""
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.startswith(KEPT_SECTIONS):
            return "\n" + "".join(lines[number:])
    return ""


if __name__ == "__main__":
    sys.exit(main())
