"""Roadmap speed: prints figures, never a timed test.

    python benchmarks/roadmap_bench.py [--sizes 1000 10000] [--gap 0.005] [--families]

* synthetic lists from :mod:`benchmarks.generate` (seeded), each project given
  an earliest year in 2026–2027 (a third blank) and a lead time of 0–1 years (so every project
  can be in service by the overdue deadline);
  horizon 2026:2030; budget per year = the single-year benchmark budget / 3
  (so the targets, due 2025 and overdue, are met from the overdue deadline
  2028 and the budgets bind every year); with ``--families``, every instance
  family of :data:`generate.FAMILIES` the same way, instead of the classic shape only;
* the sample (data/sample/fuzhou), 2026:2030 at 100,000 万元 per year with the
  default overdue deadline (2027), then re-solved after a budget edit
  (110,000, then back to 100,000), and at 20,000 万元 per year (infeasible:
  the status alone, then with the diagnosis).

CPU s is this process's CPU time (HiGHS threads included): on a loaded machine
wall time can be several times it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from optimizer import load_dataset, prepare  # noqa: E402
from optimizer.answers.roadmap import diagnose_roadmap, plan_roadmap  # noqa: E402
from optimizer.program.horizon import make_horizon  # noqa: E402
from optimizer.solving.solve import SolverSettings  # noqa: E402
from tests.support.families import FAMILIES, make_family  # noqa: E402


def timed_case(n: int, seed: int = 20250601, family: str = "classic"):
    case = make_family(family, n, seed)
    rng = np.random.default_rng(seed + 1)
    earliest = rng.choice([np.nan, 2026, 2027], size=n).astype(float)
    lead = rng.choice([0, 1, 1], size=n).astype(int)
    instance = replace(case.instance, earliest_year=earliest, lead_time=lead)
    return case, instance


def line(label: str, result, wall: float, cpu: float) -> str:
    return (f"| {label} | {result.build_seconds:.3f} | {result.solve_seconds:.3f} | {wall:.3f} | {result.status} | "
            f"{result.co2_cumulative_t:,.0f} | {result.co2_run_rate_t:,.0f} | "
            f"{'—' if result.gap is None else f'{result.gap:.2e}'} | {cpu:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--gap", type=float, default=0.005)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--families", action="store_true", help="every instance family, not only the classic")
    parser.add_argument("--no-sample", action="store_true")
    args = parser.parse_args()
    settings = SolverSettings(gap=args.gap, time_limit=args.time_limit)
    print(f"machine: {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, "
          f"Python {platform.python_version()}; gap {args.gap}, time limit {args.time_limit} s")
    print("| case | build s | solve s | total s | status | CO2 2026–2030 t | run-rate t/yr | proven gap | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for family in list(FAMILIES) if args.families else ["classic"]:
            case, instance = timed_case(n, family=family)
            horizon = make_horizon(2026, 2030, budget_per_year=case.budget / 3, overdue_deadline=2028)
            began, cpu = time.perf_counter(), time.process_time()
            result = plan_roadmap(instance, horizon, targets=case.targets, settings=settings)
            print(line(f"{family} {n:,} projects × 5 years", result, time.perf_counter() - began,
                       time.process_time() - cpu), flush=True)
    if args.no_sample:
        return
    dataset = load_dataset(ROOT / "data" / "sample" / "fuzhou")
    instance = prepare(dataset)
    for label, budget, overdue, diagnose in [("sample cold, 100,000/yr", 100000, None, False),
                                             ("sample re-solve, 110,000/yr", 110000, None, False),
                                             ("sample re-solve, 100,000/yr", 100000, None, False),
                                             ("sample, 20,000/yr (infeasible)", 20000, None, False),
                                             ("sample, 20,000/yr + diagnosis", 20000, None, True)]:
        horizon = make_horizon(2026, 2030, budget_per_year=budget, overdue_deadline=overdue)
        began, cpu = time.perf_counter(), time.process_time()
        result = plan_roadmap(instance, horizon, targets=dataset.targets, settings=settings)
        if diagnose and result.status == "infeasible":
            result.diagnosis = diagnose_roadmap(instance, dataset.targets, horizon, settings=settings)
        print(line(label, result, time.perf_counter() - began, time.process_time() - cpu), flush=True)


if __name__ == "__main__":
    main()
