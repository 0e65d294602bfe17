"""Command-line commands for decisions under doubt: alternatives, uncertainty, cut-first, sweep.

Kept apart from :mod:`optimizer.cli.main` so that module only needs a two-line
hook: :func:`add_commands` adds the subcommands (with the shared options
passed in as ``common``), and :func:`run` handles a parsed command given the
loaded dataset. With ``--json`` the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.cli.common import as_of_from, id_list, options_from
from optimizer.data.plain import jsonable

if TYPE_CHECKING:  # the library loads when a command runs, not for --help
    from optimizer.data.dataset import Dataset
    from optimizer.data.instance import Instance
    from optimizer.solving.solve import SolverSettings

COMMANDS = ("alternatives", "uncertainty", "cut-first", "sweep")
EXIT_BAD_INPUT = 2
EXIT_NO_PORTFOLIO = 3


def add_commands(commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the four subcommands; ``common`` adds the options every command shares (--data, --solver, ...)."""
    alternatives = commands.add_parser("alternatives", help="near-optimal portfolios, as different as possible")
    common(alternatives)
    alternatives.add_argument("--budget", type=float, required=True, help="capex budget in 万元")
    alternatives.add_argument("--count", type=int, default=5, help="how many portfolios (default 5)")
    alternatives.add_argument("--slack", type=float, default=0.02,
                              help="CO2 may fall this fraction below the best (default 0.02)")
    alternatives.add_argument("--json", action="store_true", help="print one JSON object on the last line")

    doubt = commands.add_parser("uncertainty", help="P(targets met) and CO2 quantiles; --robust picks for confidence")
    common(doubt)
    doubt.add_argument("--budget", type=float, required=True, help="capex budget in 万元")
    doubt.add_argument("--draws", type=int, default=10_000, help="Monte Carlo draws (default 10000)")
    doubt.add_argument("--seed", type=int, default=0)
    doubt.add_argument("--projects", default="",
                       help="simulate these project ids (';'-separated) instead of the optimal portfolio")
    doubt.add_argument("--roadmap", type=Path, help="CSV with project_id,year (in service): P(met) per year")
    doubt.add_argument("--robust", type=float, metavar="P",
                       help="also pick the portfolio meeting every target with probability >= P (e.g. 0.9)")
    doubt.add_argument("--scenarios", type=int, default=100, help="in-sample draws of the robust pick (default 100)")
    doubt.add_argument("--json", action="store_true", help="print one JSON object on the last line")

    cut = commands.add_parser("cut-first", help="which projects leave when the budget shrinks")
    common(cut)
    cut.add_argument("--budget", type=float, required=True, help="the full capex budget in 万元")
    cut.add_argument("--cuts", default="0.1,0.2,0.3", help="budget cuts as fractions, comma-separated")
    cut.add_argument("--tolerance", type=float, help="accept nesting that costs up to this fraction of CO2")
    cut.add_argument("--json", action="store_true", help="print one JSON object on the last line")

    grid = commands.add_parser("sweep", help="a grid of scenarios on a process pool or a Dask cluster")
    common(grid)
    grid.add_argument("--budgets", required=True, help="LO:HI:N (万元), or a comma-separated list")
    grid.add_argument("--target-variants", default="plan", help="comma-separated: plan, none, without:<target_id>")
    grid.add_argument("--draws", type=int, default=0, help="add N drawn scenarios (seeds seed..seed+N-1)")
    grid.add_argument("--seed", type=int, default=1)
    grid.add_argument("--workers", type=int, help="local processes (default: one per core)")
    grid.add_argument("--scheduler", help="tcp://host:port of a Dask distributed scheduler")
    grid.add_argument("--results", type=Path, help="write the results to FILE.parquet (the app loads it)")
    grid.add_argument("--json", action="store_true", help="print one JSON object on the last line")


def run(args: argparse.Namespace, dataset: Dataset, instance: Instance, settings: SolverSettings) -> int:
    """Run a parsed command of :data:`COMMANDS` on the loaded dataset and its instance."""
    handlers = {"alternatives": _alternatives, "uncertainty": _uncertainty, "cut-first": _cut_first,
                "sweep": _sweep}
    try:
        return handlers[args.command](args, dataset, instance, settings)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _alternatives(args: argparse.Namespace, dataset: Dataset, instance: Instance,
                  settings: SolverSettings) -> int:
    from optimizer.answers.alternatives import near_optimal_alternatives

    if args.count < 1 or not 0 <= args.slack < 1:
        raise ValueError("--count must be >= 1 and --slack in [0, 1)")
    import pandas as pd

    result = near_optimal_alternatives(instance, budget=args.budget, targets=dataset.targets, count=args.count,
                                       slack=args.slack, settings=settings, options=options_from(args),
                                       as_of=as_of_from(args))
    print(f"status: {result.status}")
    for number, alternative in enumerate(result.alternatives, 1):
        print(f"  #{number}: {alternative.co2_reduction_t:,.0f} tCO2/yr, {alternative.spend:,.0f} 万元, "
              f"{len(alternative.selected)} projects, differs by {alternative.distance or 0} choices")
    counts = pd.Series(list(result.labels.values()), dtype=object).value_counts().to_dict()
    print(f"labels: {counts}" + (f"\n{result.message}" if result.message else ""))
    _emit(args, result.to_dict())
    return 0 if result.alternatives else EXIT_NO_PORTFOLIO


def _roadmap(path: Path) -> dict[str, int]:
    import pandas as pd

    table = pd.read_csv(path, dtype={"project_id": str})
    if not {"project_id", "year"} <= set(table.columns):
        raise ValueError(f"{path}: the roadmap needs columns project_id and year")
    return {str(p): int(y) for p, y in zip(table["project_id"], table["year"])}


def _uncertainty(args: argparse.Namespace, dataset: Dataset, instance: Instance,
                 settings: SolverSettings) -> int:
    import numpy as np

    from optimizer.answers.uncertainty import project_spreads, robust_portfolio, simulate
    from optimizer.solving.solve import optimize

    spreads = project_spreads(dataset, instance)
    in_service = _roadmap(args.roadmap) if args.roadmap else None
    wanted = id_list(args.projects) or (list(in_service) if in_service else [])
    if wanted:
        unknown = set(wanted) - set(map(str, instance.project_ids))
        if unknown:
            raise ValueError(f"unknown project id(s): {', '.join(sorted(unknown))}")
        chosen = np.isin(instance.project_ids.astype(str), wanted)
        status = "given"
    else:
        result = optimize(instance, budget=args.budget, targets=dataset.targets, settings=settings,
                          options=options_from(args), as_of=as_of_from(args))
        if not result.has_portfolio:
            print(f"status: {result.status}: no portfolio to simulate")
            _emit(args, {"status": result.status})
            return EXIT_NO_PORTFOLIO
        chosen, status = result.chosen, result.status
    monte_carlo = simulate(instance, dataset.targets, chosen, spreads, draws=args.draws, seed=args.seed,
                           in_service=in_service, as_of=None if in_service else as_of_from(args))
    print(f"portfolio ({status}): {int(chosen.sum())} projects; {args.draws} draws in {monte_carlo.seconds:.2f} s")
    print(monte_carlo.table().to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    output = {"status": status, "selected": [str(p) for p in instance.project_ids[chosen]],
              "monte_carlo": monte_carlo.to_dict()}
    code = 0
    if args.robust is not None:
        if not 0 < args.robust <= 1:
            raise ValueError("--robust must be a probability in (0, 1]")
        robust = robust_portfolio(instance, dataset.targets, spreads, budget=args.budget, probability=args.robust,
                                  scenarios=args.scenarios, seed=args.seed, check_draws=args.draws,
                                  settings=settings, options=options_from(args), as_of=as_of_from(args))
        output["robust"] = robust.to_dict()
        print(f"robust (p >= {args.robust}): {robust.status}, {robust.co2_reduction_t:,.0f} tCO2/yr; in-sample "
              f"{robust.in_sample_probability}, out-of-sample {robust.out_of_sample_probability}; "
              f"price of confidence {robust.price_of_confidence_t} tCO2/yr")
        if robust.reach is not None:
            print(_reach_text(robust.reach, args.budget))
        code = 0 if robust.has_portfolio else EXIT_NO_PORTFOLIO
    _emit(args, output)
    return code


def _reach_text(reach: Any, budget: float | None) -> str:
    """Why the robust pick found nothing, in one paragraph (the highest probability, the budget needed)."""
    def share(value: float | None) -> str:
        return "none" if value is None else f"{value:.0%}"

    lines = [f"no portfolio meets every target in {reach.probability:.0%} of the {reach.scenarios} scenarios"]
    if budget is not None:
        lines.append(f"the most within {budget:,.0f}: {share(reach.within_budget)}")
    lines.append(f"the most at any budget: {share(reach.any_budget)}")
    if reach.budget_needed is not None:
        lines.append(f"budget needed for {reach.probability:.0%}: {reach.budget_needed:,.0f}")
    for target in reach.limiting_targets:
        lines.append(f"target {target} alone is met in at most {share(reach.per_target[target])}")
    return "; ".join(lines)


def _cut_first(args: argparse.Namespace, dataset: Dataset, instance: Instance,
               settings: SolverSettings) -> int:
    from optimizer.answers.cutfirst import cut_first

    cuts = [float(c) for c in args.cuts.split(",") if c.strip()]
    if not all(0 < c < 1 for c in cuts):
        raise ValueError("--cuts are fractions between 0 and 1, e.g. 0.1,0.2,0.3")
    result = cut_first(instance, budget=args.budget, targets=dataset.targets, cuts=cuts, settings=settings,
                       tolerance=args.tolerance, options=options_from(args), as_of=as_of_from(args))
    for level in result.levels:
        print(f"-{level.cut:.0%} ({level.budget:,.0f} 万元): {level.status}, {level.co2_reduction_t:,.0f} tCO2/yr, "
              f"{'nested' if level.nested else 'NOT nested'}; leave: {', '.join(level.leaves) or '—'}"
              + (f"; enter: {', '.join(level.enters)}" if level.enters else ""))
    print(result.message)
    _emit(args, result.to_dict())
    return 0 if result.levels and result.levels[0].status in ("optimal", "feasible") else EXIT_NO_PORTFOLIO


def _budgets(text: str) -> list[float]:
    """The sweep's budgets (checked before: :func:`optimizer.cli.common.budget_count`)."""
    from optimizer.answers.frontier import parse_budgets

    return parse_budgets(text) if ":" in text else [float(b) for b in text.split(",") if b.strip()]


def _sweep(args: argparse.Namespace, dataset: Dataset, instance: Instance,
           settings: SolverSettings) -> int:
    from dataclasses import replace

    from optimizer.answers.sweep import DaskCluster, LocalPool, scenario_grid, sweep, target_variants, write_results
    from optimizer.answers.uncertainty import project_spreads

    variants = target_variants(dataset.targets, [v.strip() for v in args.target_variants.split(",") if v.strip()])
    draws = [None] + list(range(args.seed, args.seed + args.draws))
    scenarios = scenario_grid(_budgets(args.budgets), list(variants), draws)
    executor = DaskCluster(args.scheduler) if args.scheduler else LocalPool(args.workers)
    try:
        table = sweep(instance, scenarios=scenarios, target_variants=variants,
                      spreads=project_spreads(dataset, instance) if args.draws else None,
                      settings=replace(settings, threads=settings.threads or 1), executor=executor,
                      as_of=as_of_from(args))
    finally:
        if isinstance(executor, DaskCluster):
            executor.close()
    if args.results:
        write_results(table, args.results)
    shown = table.drop(columns=["selected"])
    print(shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"{len(table)} scenarios in {table.attrs['seconds']:.2f} s on "
          f"{'the cluster at ' + args.scheduler if args.scheduler else f'{executor.workers} local process(es)'}")
    records = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
               for row in table.astype(object).where(table.notna(), None).to_dict("records")]
    for record in records:
        record["draw"] = None if record["draw"] is None else int(record["draw"])
        record["selected"] = id_list(record["selected"] or "")
    _emit(args, {"results": records, "seconds": table.attrs["seconds"],
                 "executor": "dask" if args.scheduler else "local", "results_file": str(args.results or "")})
    return 0


def _emit(args: argparse.Namespace, data: dict) -> None:
    if getattr(args, "json", False):
        print(json.dumps(jsonable(data), ensure_ascii=False))

