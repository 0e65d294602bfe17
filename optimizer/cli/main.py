"""The command line: solve a portfolio or trace the frontier from a project list on disk.

Works without the app's database, so it never fights the app for the
DuckDB lock; only ``backup`` and ``restore`` (:mod:`optimizer.cli.backup`)
open it, for a moment. Bad input exits with status 2 and every problem
found, no traceback. With ``--json`` the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from typing import TYPE_CHECKING

from optimizer.cli import backup as cli_backup
from optimizer.cli import doubt as cli_doubt
from optimizer.cli import pack as cli_pack
from optimizer.cli.common import (
    add_common_arguments,
    as_of_from,
    options_from,
    question_from,
    settings_problems,
    silence_highs_banner,
)
from optimizer.cli.files import write_output
from optimizer.cli.roadmap import add_roadmap_command, run_roadmap
from optimizer.data.plain import jsonable
from optimizer.data.problems import DataError

if TYPE_CHECKING:  # the library is imported when a command runs, so --help answers at once
    from optimizer.answers.question import Question
    from optimizer.data.dataset import Dataset
    from optimizer.data.instance import Instance
    from optimizer.solving.solve import PortfolioResult, SolverSettings

EXIT_BAD_INPUT = 2
EXIT_NO_PORTFOLIO = 3


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m optimizer", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    solve = commands.add_parser("solve", help="choose the portfolio")
    add_common_arguments(solve)
    solve.add_argument("--budget", type=float, help="capex budget in 万元 (required for --objective co2)")
    solve.add_argument("--objective", choices=["co2", "cost"], default="co2",
                       help="co2: most CO2 cut within the budget; cost: least capex reaching --co2-goal")
    solve.add_argument("--co2-goal", type=float, help="least CO2 cut in tCO2/yr (with --objective cost)")
    solve.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")

    trace = commands.add_parser(
        "frontier", help="CO2 cut against budget, beside the MAC pick and a greedy that meets the targets")
    add_common_arguments(trace)
    trace.add_argument("--budgets", required=True, help="LO:HI:N, e.g. 0:500000:20 (万元)")
    cli_pack.add_commands(commands)  # rerun, report
    cli_doubt.add_commands(commands, add_common_arguments)
    add_roadmap_command(commands)
    cli_backup.add_commands(commands)  # backup, restore
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "roadmap":
        return run_roadmap(args)
    if args.command in cli_backup.COMMANDS:
        return cli_backup.run(args)
    problems = settings_problems(args)
    if problems:
        for text in problems:
            print(text, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command in cli_pack.COMMANDS:
        silence_highs_banner()
        return cli_pack.run(args)
    from optimizer.data.isolation import start_loading

    began = time.perf_counter()
    # A child process with time and memory limits reads and checks the list while the solver's libraries
    # are imported here; for solve it then hashes the data for the run record while the model is solved.
    args.loading = start_loading(args.data, hashed=args.command == "solve")
    from optimizer.data.instance import prepare

    if args.command == "solve":
        from optimizer.answers import diagnosis  # noqa: F401 - what _solve imports, imported while the child reads
        from optimizer.outputs import export  # noqa: F401
    silence_highs_banner()
    try:
        dataset = args.loading.dataset()
    except DataError as error:
        print(f"{args.data}: {len(error.problems)} problem(s) in the input:", file=sys.stderr)
        for text in error.texts("en"):
            print(f"  - {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args.loaded = dataset  # as read, before --no-targets: the run record hashes this
    if args.no_targets:
        dataset = dataset.with_targets([])
    question = question_from(args)
    settings, factors = question.solver, question.emission_factors()
    read = time.perf_counter()
    try:
        instance = prepare(dataset, factors)
    except ValueError as error:  # a fuel with no factor
        print(f"{args.data}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command in cli_doubt.COMMANDS:
        return cli_doubt.run(args, dataset, instance, settings)
    _TIMINGS.update(read_checks=read - began, instance=time.perf_counter() - read)
    if args.command == "frontier":
        return _frontier(args, dataset, instance, settings)
    code = _solve(args, dataset, instance, question)
    _print_timings()
    return code


def _solve(args: argparse.Namespace, dataset: Dataset, instance: Instance, question: Question) -> int:
    from optimizer.answers.question import answer, explain
    from optimizer.outputs.export import portfolio_csv, portfolio_table, portfolio_workbook

    factors = question.emission_factors()
    result = answer(instance, dataset.targets, question)
    _TIMINGS.update(model_build=result.build_seconds, solve=result.solve_seconds)
    if result.status == "infeasible":
        diagnosis = explain(instance, dataset.targets, question)
        result.diagnosis = diagnosis.to_dict()
        result.closest = diagnosis.closest
    try:
        data_sha256: str | None = args.loading.data_hash()
    except DataError:  # the child could not hash: the record hashes here
        data_sha256 = None
    record = cli_pack.solve_record(args, args.loaded, question, result, data_sha256)
    if args.out and result.has_portfolio:
        if args.out.suffix.lower() == ".xlsx":
            write_output(args.out, portfolio_workbook(dataset, instance, result, factors, args.discount_rate,
                                                      record=record, data=args.loaded))
        else:
            table = portfolio_table(dataset, instance, result, args.discount_rate)
            write_output(args.out, portfolio_csv(table, record))
    print(_report(result))
    if args.json:
        payload = {**result.to_dict(), "factors": factors.to_dict(), "discount_rate": question.discount_rate,
                   "run_record": record.to_dict()}
        print(json.dumps(jsonable(payload), ensure_ascii=False))
    return 0 if result.has_portfolio else EXIT_NO_PORTFOLIO


#: Stage timings (seconds) of this run; printed to stderr as JSON at exit when RETROFIT_TIMINGS=1.
_TIMINGS: dict[str, float] = {}


def _print_timings() -> None:
    if os.environ.get("RETROFIT_TIMINGS") == "1":
        print("RETROFIT_TIMINGS " + json.dumps({k: round(v, 4) for k, v in _TIMINGS.items()}), file=sys.stderr)


def _report(result: PortfolioResult) -> str:
    lines = [f"status: {result.status}",
             f"as of {result.as_of_year}: in service by {result.as_of_year}, work starting from {result.first_year}; "
             f"targets as they stand in {result.as_of_year}"]
    if result.cannot_fit:
        lines.append(f"{len(result.cannot_fit)} project(s) cannot be in service by {result.as_of_year} "
                     f"(earliest: {min(c['first_service_year'] or 9999 for c in result.cannot_fit)})")
    if result.has_portfolio:
        gap = "—" if result.gap is None else f"{result.gap:.4%}"
        lines += [f"CO2 cut: {result.co2_reduction_t:,.0f} tCO2/yr (technical {result.co2_technical_t:,.0f}, "
                  f"structural {result.co2_structural_t:,.0f})",
                  f"energy saved: {result.energy_saving_tce:,.0f} tce/yr",
                  f"spend: {result.spend:,.0f} 万元"
                  + (f" of {result.budget:,.0f}" if result.budget is not None else ""),
                  f"projects: {len(result.selected)}", f"proven gap: {gap}",
                  f"solve time: {result.solve_seconds:.2f} s"]
    for closure in result.closures:
        lines.append(f"  closed by order: {closure['facility_id']}: {closure['reason_en']}")
    from optimizer.program.targets import verdict

    for target in result.targets:
        lines.append(f"  {target.target_id}: {_fmt(target.before)} -> {_fmt(target.after)} in {target.year} "
                     f"(required {_fmt(target.required)}) {verdict(target)}")
    if result.diagnosis:
        lines.append(result.diagnosis["summary_en"])
    if result.closest:
        closest = result.closest
        lines.append(f"closest portfolio within the budget: {closest['co2_reduction_t']:,.0f} tCO2/yr for "
                     f"{closest['spend']:,.0f} 万元, short of the targets by "
                     f"{closest['total_shortfall'] * 100:.2f} share points in all")
        for row in closest["targets"]:
            if row["shortfall"] > 0:
                lines.append(f"  {row['target_id']}: {_fmt(row['after'])} of {_fmt(row['required'])} "
                             f"(short {row['shortfall'] * 100:.2f} points)")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _frontier(args: argparse.Namespace, dataset: Dataset, instance: Instance, settings: SolverSettings) -> int:
    from optimizer.answers.frontier import frontier, parse_budgets

    table = frontier(instance, dataset.targets, parse_budgets(args.budgets), settings, options=options_from(args),
                     rate=args.discount_rate, as_of=as_of_from(args))
    if args.out:
        buffer = io.BytesIO()
        if args.out.suffix.lower() == ".xlsx":
            table.to_excel(buffer, index=False)
        else:
            table.to_csv(buffer, index=False)
        write_output(args.out, buffer.getvalue())
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0



