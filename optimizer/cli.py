"""The command line: solve a portfolio or trace the frontier from a project list on disk.

Works without the app's database, so it never fights the app for the
DuckDB lock. Bad input exits with status 2 and every problem found, no
traceback. With ``--json`` the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from .isolation import load_dataset_isolated
from .dataset import EmissionFactors
from .export import portfolio_csv, portfolio_table, portfolio_workbook
from .frontier import frontier, parse_budgets
from .instance import prepare
from .problems import DataError
from .solve import SolverSettings, optimize

EXIT_BAD_INPUT = 2
EXIT_NO_PORTFOLIO = 3


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m optimizer", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    solve = commands.add_parser("solve", help="choose the portfolio")
    _common(solve)
    solve.add_argument("--budget", type=float, help="capex budget in 万元 (required for --objective co2)")
    solve.add_argument("--objective", choices=["co2", "cost"], default="co2",
                       help="co2: most CO2 cut within the budget; cost: least capex reaching --co2-goal")
    solve.add_argument("--co2-goal", type=float, help="least CO2 cut in tCO2/yr (with --objective cost)")
    solve.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")

    trace = commands.add_parser("frontier", help="CO2 cut against budget, beside the MAC ranking pick")
    _common(trace)
    trace.add_argument("--budgets", required=True, help="LO:HI:N, e.g. 0:500000:20 (万元)")
    return root


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--data", required=True, help="folder of CSVs, .xlsx workbook, .zip or flat .csv")
    command.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    command.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    command.add_argument("--gap", type=float, default=1e-3, help="relative optimality gap (default 0.001)")
    command.add_argument("--no-targets", action="store_true", help="ignore the plan targets")
    command.add_argument("--out", type=Path, help="write the result to FILE.csv or FILE.xlsx")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _silence_highs_banner()
    try:
        dataset = load_dataset_isolated(args.data)  # a child process with time and memory limits
    except DataError as error:
        print(f"{args.data}: {len(error.problems)} problem(s) in the input:", file=sys.stderr)
        for text in error.texts("en"):
            print(f"  - {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.no_targets:
        dataset = dataset.with_targets([])
    settings = SolverSettings(args.solver, args.time_limit, args.gap)
    factors = EmissionFactors.default()
    instance = prepare(dataset, factors)
    if args.command == "frontier":
        return _frontier(args, dataset, instance, settings)
    return _solve(args, dataset, instance, factors, settings)


def _solve(args, dataset, instance, factors, settings) -> int:
    if args.objective == "co2" and args.budget is None:
        print("--budget is required with --objective co2", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.objective == "cost" and args.co2_goal is None:
        print("--co2-goal is required with --objective cost", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = optimize(instance, args.budget, args.objective, args.co2_goal, dataset.targets, settings=settings)
    if args.out and result.has_portfolio:
        if args.out.suffix.lower() == ".xlsx":
            args.out.write_bytes(portfolio_workbook(dataset, instance, result, factors))
        else:
            args.out.write_bytes(portfolio_csv(portfolio_table(dataset, instance, result)))
    print(_report(result))
    if args.json:
        print(json.dumps(_jsonable(result.to_dict()), ensure_ascii=False))
    return 0 if result.has_portfolio else EXIT_NO_PORTFOLIO


def _report(result) -> str:
    lines = [f"status: {result.status}"]
    if result.has_portfolio:
        gap = "—" if result.gap is None else f"{result.gap:.4%}"
        lines += [f"CO2 cut: {result.co2_reduction_t:,.0f} tCO2/yr", f"spend: {result.spend:,.0f} 万元"
                  + (f" of {result.budget:,.0f}" if result.budget is not None else ""),
                  f"projects: {len(result.selected)}", f"proven gap: {gap}",
                  f"solve time: {result.solve_seconds:.2f} s"]
    for target in result.targets:
        mark = "met" if target.met else "NOT MET"
        lines.append(f"  {target.target_id}: {_fmt(target.before)} -> {_fmt(target.after)} "
                     f"(required {_fmt(target.required)}) {mark}")
    if result.diagnosis:
        lines.append(result.diagnosis["summary_en"])
    return "\n".join(lines)


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3g}"


def _frontier(args, dataset, instance, settings) -> int:
    table = frontier(instance, dataset.targets, parse_budgets(args.budgets), settings)
    if args.out:
        if args.out.suffix.lower() == ".xlsx":
            table.to_excel(args.out, index=False)
        else:
            table.to_csv(args.out, index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0


def _silence_highs_banner() -> None:
    """HiGHS prints a banner on stdout when it first starts in a process, even with output off.

    Start it once with stdout pointed at /dev/null, so the command's output is only its own.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _jsonable(value):
    """JSON has no NaN or infinity: write null for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
