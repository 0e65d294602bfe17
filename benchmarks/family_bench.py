"""Family benchmark: the whole CLI path on every instance family, with plain HiGHS / CBC.

    python benchmarks/run.py --families --sizes 1000 10000 100000 --write

For each family (tests/support/families.py FAMILIES) and size the instance is written as a CSV
folder and as an .xlsx workbook; each is solved by a whole CLI process
(``python -m optimizer solve --data DIR --budget B --json``, RETROFIT_TIMINGS=1 for the stage
times) whose wall time and peak RSS (wait4 ru_maxrss, read by a small launcher: see
:func:`measured`) are recorded. ``plain_highs`` /
``plain_cbc``: the same model (optimizer.model.build_model) solved by PuLP's stock
``pulp.HiGHS`` / ``pulp.COIN_CMD`` (gapRel 0.001) in a child process, from the same instance
generated in memory; killed at the limit. The report gives, per size, the median and the
worst family of the CLI, and per family and size every figure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GAP = 1e-3


def plain_worker(family: str, size: int, seed: int, solver: str, out: str) -> None:
    sys.path[:0] = [str(ROOT), str(HERE)]
    import numpy as np
    import pulp

    from optimizer.program.build import build_model
    from optimizer.program.horizon import AsOf
    from optimizer.solving.solve import _cbc_path
    from tests.support.families import make_family

    case = make_family(family, size, seed)
    start = time.perf_counter()
    model = build_model(case.instance, case.targets, AsOf.of().horizon(case.budget))
    built = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-plain-") as folder:
        s = (pulp.HiGHS(msg=False, gapRel=GAP) if solver == "highs"
             else pulp.COIN_CMD(msg=False, gapRel=GAP, logPath=os.path.join(folder, "cbc.log"), path=_cbc_path()))
        model.problem.solve(s)
        status = pulp.LpStatus[model.problem.status]
        if solver == "highs":
            status = model.problem.solverModel.modelStatusToString(model.problem.solverModel.getModelStatus())
    chosen = np.array([(v.varValue or 0) > 0.5 for v in model.choose])
    json.dump({"build": built - start, "solve": time.perf_counter() - built, "status": status,
               "co2": float(case.instance.co2[chosen].sum())}, open(out, "w"))


def measured(out: str, cmd: list[str]) -> int:
    """Run ``cmd`` as a child of this small process and write its wall time and peak RSS (MiB) to ``out``.

    Linux keeps a process's peak RSS across exec, so a process started from
    the benchmark (which holds a 100,000-project case, and an xlsx writer's
    memory after writing one) reports the benchmark's peak when that is
    higher than its own: the first 100,000-project run with xlsx reported
    634 MiB for a CLI that peaks at 446 MiB. Forked from this fresh
    interpreter instead, the command's peak is its own.
    """
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(out, "w") as file:
        json.dump({"wall": time.perf_counter() - start, "rss": usage.ru_maxrss / 1024.0}, file)
    return os.waitstatus_to_exitcode(status)


def _run(cmd: list[str], limit: float, env: dict | None = None) -> dict:
    """Run a whole process; wall time, peak RSS (MiB) of that process, stdout/stderr; killed at the limit.

    The process runs under :func:`measured`, which times it and reads its peak from its own fork.
    """
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as folder:
        out = os.path.join(folder, "measured.json")
        row = _run_group([sys.executable, str(HERE / "family_bench.py"), "--measure", out, *cmd], limit, env)
        if os.path.exists(out):
            row.update(json.load(open(out)))
        else:  # killed at the limit: the outer wall time, no peak
            row["rss"] = None
        return row


def _run_group(cmd: list[str], limit: float, env: dict | None = None) -> dict:
    """Run ``cmd`` in a session of its own, killed as a group at the limit; wall time, exit code, output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
                            cwd=str(ROOT))
    import threading

    out, err = [], []
    threads = [threading.Thread(target=lambda s, b: b.append(s.read()), args=(proc.stdout, out)),
               threading.Thread(target=lambda s, b: b.append(s.read()), args=(proc.stderr, err))]
    for t in threads:
        t.start()
    timer = threading.Timer(limit, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    _, status, _ = os.wait4(proc.pid, 0)
    timer.cancel()
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return {"wall": wall, "code": proc.returncode,
            "stdout": out[0].decode(errors="replace"), "stderr": err[0].decode(errors="replace"),
            "timeout": wall >= limit - 0.05 and proc.returncode < 0}


def cli_run(data: Path, budget: float, limit: float) -> dict:
    env = dict(os.environ, RETROFIT_TIMINGS="1")
    r = _run([sys.executable, "-m", "optimizer", "solve", "--data", str(data), "--budget", repr(budget), "--json",
              "--time-limit", str(limit)], limit + 30, env)
    row = {"wall": r["wall"], "rss": r["rss"], "timeout": r["timeout"]}
    for line in r["stderr"].splitlines():
        if line.startswith("RETROFIT_TIMINGS "):
            row["stages"] = json.loads(line.split(" ", 1)[1])
    try:
        result = json.loads(r["stdout"].strip().splitlines()[-1])
        row.update(status=result["status"], gap=result["gap"], co2=result["co2_reduction_t"],
                   met=all(t["met"] for t in result["targets"]))
    except (IndexError, ValueError, KeyError):
        row.update(status=f"error (exit {r['code']})", error=r["stderr"][-300:])
    return row


def plain_run(family: str, size: int, seed: int, solver: str, limit: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        out = os.path.join(folder, "row.json")
        r = _run([sys.executable, str(HERE / "family_bench.py"), "--plain", family, str(size), str(seed), solver, out],
                 limit)
        if not os.path.exists(out):
            return {"wall": r["wall"], "timeout": r["timeout"], "status": "timeout" if r["timeout"] else "error",
                    "error": r["stderr"][-300:]}
        row = json.load(open(out))
        row.update(wall=r["wall"], rss=r["rss"], timeout=False)
        return row


def measure(families: list[str], sizes: list[int], seed: int, limit: float, plain_max: int, xlsx_max: int,
            log=print) -> list[dict]:
    sys.path[:0] = [str(ROOT), str(HERE)]
    from tests.support.families import make_family, write_case

    rows = []
    for size in sizes:
        for family in families:
            case = make_family(family, size, seed)
            row = {"family": family, "size": size, "info": {k: v for k, v in case.info.items() if k != "targets"},
                   "budget": case.budget}
            with tempfile.TemporaryDirectory(prefix="bench-fam-") as folder:
                csv_dir = write_case(case, Path(folder) / "csv")
                row["csv"] = cli_run(csv_dir, case.budget, limit)
                if size <= xlsx_max:
                    book = write_case(case, Path(folder) / "list.xlsx", xlsx=True)
                    row["xlsx"] = cli_run(book, case.budget, limit)
            if size <= plain_max:
                row["plain_highs"] = plain_run(family, size, seed, "highs", limit)
                row["plain_cbc"] = plain_run(family, size, seed, "cbc", limit)
            log(json.dumps({k: v for k, v in row.items() if k != "info"}, default=str))
            rows.append(row)
    return rows


def _s(v, d=2):
    return "—" if v is None else f"{v:,.{d}f}"


def _g(v):
    return "—" if v is None else f"{v:.1e}"


def _wall(r: dict | None, limit: float) -> str:
    if not r:
        return "—"
    if r.get("status") == "error":
        return "error"
    return f"> {limit:g}" if r.get("timeout") else _s(r["wall"])


def _plain_status(r: dict | None) -> str:
    """The plain solver's status after its time, or nothing when it did not run or timed out."""
    return "" if not r or r.get("timeout") else " " + str(r.get("status"))


def report(rows: list[dict], limit: float) -> str:
    import statistics

    out = ["| projects | median family (CLI, CSV) | worst family | worst: CLI CSV s | CLI xlsx s | read+checks / "
           "instance / build / solve s | status, gap | peak MiB | plain HiGHS s (×) | plain CBC s (×) |",
           "|" + "---|" * 10]
    for size in sorted({r["size"] for r in rows}):
        mine = [r for r in rows if r["size"] == size]
        walls = [r["csv"]["wall"] for r in mine]
        worst = max(mine, key=lambda r: r["csv"]["wall"])
        c, x = worst["csv"], worst.get("xlsx")
        st = c.get("stages", {})
        stages = " / ".join(_s(st.get(k)) for k in ("read_checks", "instance", "model_build", "solve"))

        def ratio(p: dict | None) -> str:
            if not p:
                return "—"
            if p.get("timeout"):
                return f"> {limit:g} (> {limit / c['wall']:.1f}×)"
            return f"{p['wall']:.2f} ({p['wall'] / c['wall']:.1f}×)"

        out.append(f"| {size:,} | {statistics.median(walls):.2f} s | {worst['family']} | {_s(c['wall'])} | "
                   f"{_wall(x, limit)} | {stages} | {c.get('status')}, {_g(c.get('gap'))} | "
                   f"{_s(c['rss'], 0)} | {ratio(worst.get('plain_highs'))} | {ratio(worst.get('plain_cbc'))} |")
    out += ["", "Every family and size (CLI wall time is the whole process: start-up, import, reading, checks, "
            "instance, model, solve, report; stage shares from RETROFIT_TIMINGS):", "",
            "| family | projects | facilities | groups | prereq. | retire | additive | raising | budget / capex "
            "| CLI CSV s | stages: read+checks / instance / build / solve (share of wall) | CLI xlsx s | status | gap "
            "| peak MiB | targets met | plain HiGHS s | plain CBC s |", "|" + "---|" * 18]
    for r in rows:
        c, i = r["csv"], r["info"]
        st = c.get("stages", {})
        share = " / ".join(f"{_s(st.get(k))} ({100 * st.get(k, 0) / c['wall']:.0f}%)"
                           for k in ("read_checks", "instance", "model_build", "solve"))
        gap = c.get("gap")
        ph, pc = r.get("plain_highs"), r.get("plain_cbc")
        out.append(f"| {r['family']} | {r['size']:,} | {i['facilities']:,} | {i['groups']:,} | {i['prerequisites']:,} "
                   f"| {i['retire_projects']:,} | {i.get('additive', 0):,} | {i.get('raising', 0):,} "
                   f"| {r['budget'] / i['total_capex']:.2f} | {_wall(c, limit)} | {share} "
                   f"| {_wall(r.get('xlsx'), limit)} "
                   f"| {c.get('status')} | {'—' if gap is None else f'{gap:.1e}'} | {_s(c.get('rss'), 0)} "
                   f"| {'y' if c.get('met') else 'n'} | {_wall(ph, limit)}{_plain_status(ph)} "
                   f"| {_wall(pc, limit)}{_plain_status(pc)} |")
    return "\n".join(out)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--plain":
    plain_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--measure":
    sys.exit(measured(sys.argv[2], sys.argv[3:]))
