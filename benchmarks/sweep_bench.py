"""Sweep benchmark: N solves of the sample (budgets x draws), local process pool vs Dask LocalCluster.

    python benchmarks/sweep_bench.py [--solves 1000] [--workers 2]

Prints wall times, solves per second and whether the two executors agree.
Also times the Monte Carlo of the sample's optimum (10,000 draws). Nothing
is asserted: the figures go into the report / RESULTS.md with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer import load_dataset, optimize, prepare  # noqa: E402
from optimizer.answers.sweep import DaskCluster, LocalPool, scenario_grid, sweep, target_variants  # noqa: E402
from optimizer.answers.uncertainty import project_spreads, simulate  # noqa: E402

COMPARED = ["budget", "targets", "draw", "status", "co2_reduction_t", "spend", "selected"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solves", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    dataset = load_dataset(ROOT / "data" / "sample" / "fuzhou")
    instance = prepare(dataset)
    spreads = project_spreads(dataset, instance)
    print(f"machine: {platform.processor() or platform.machine()}, os.cpu_count {os.cpu_count()}, "
          f"Python {platform.python_version()}")

    best = optimize(instance, budget=300_000, targets=dataset.targets)
    simulate(instance, dataset.targets, best.chosen, spreads, draws=100, seed=0)  # warm-up
    times = []
    for seed in range(5):
        began = time.perf_counter()
        simulate(instance, dataset.targets, best.chosen, spreads, draws=10_000, seed=seed)
        times.append(time.perf_counter() - began)
    print(f"Monte Carlo, sample optimum ({best.chosen.sum()} projects), 10,000 draws: "
          f"min {min(times):.3f} s, median {sorted(times)[2]:.3f} s over 5 seeds")

    draws = 10
    budgets = [100_000 + i * 300_000 / (args.solves // draws) for i in range(args.solves // draws)]
    variants = target_variants(dataset.targets, ["none"])  # drawn instances rarely meet the plan's targets
    scenarios = scenario_grid(budgets, ["none"], [None] + list(range(1, draws)))
    print(f"sweep: {len(scenarios)} solves (budgets {len(budgets)} x draws {draws}), {args.workers} workers, "
          f"HiGHS threads=1, gap 0.001")

    began = time.perf_counter()
    local = sweep(instance, scenarios=scenarios, target_variants=variants, spreads=spreads,
                  executor=LocalPool(args.workers))
    local_seconds = time.perf_counter() - began
    print(f"  local process pool: {local_seconds:.1f} s wall ({len(scenarios) / local_seconds:.1f} solves/s), "
          f"sum of solve times {local['solve_seconds'].sum():.1f} s")

    from distributed import Client, LocalCluster

    began = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        remote = sweep(instance, scenarios=scenarios, target_variants=variants, spreads=spreads,
                       executor=DaskCluster(client=client))
        sweep_seconds = time.perf_counter() - started
    total = time.perf_counter() - began
    print(f"  Dask LocalCluster: {sweep_seconds:.1f} s wall for the sweep ({len(scenarios) / sweep_seconds:.1f} "
          f"solves/s), {total:.1f} s with cluster start and stop")
    same = local[COMPARED].equals(remote[COMPARED])
    print(f"  results identical: {same}; statuses {local['status'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
