"""Command-line front ends of the run record and the meeting pack: ``rerun`` and ``report``.

Kept apart from :mod:`optimizer.cli.main` so that file only holds two hooks:
:func:`add_commands` in its parser and :func:`run` in its ``main``.

- ``python -m optimizer rerun RECORD [--json] [--data D]``: solve again from a
  record (a ``.json`` record or a downloaded ``.xlsx``); prints what ``solve``
  prints and every difference; exit 0 when identical, 4 when not.
- ``python -m optimizer report --data D --budget B --lang zh --out pack.pptx``
  (or ``.pdf``): the meeting pack.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.cli.common import add_as_of_arguments, question_from
from optimizer.cli.files import write_output
from optimizer.data.plain import jsonable
from optimizer.data.problems import DataError

if TYPE_CHECKING:
    from optimizer.answers.question import Question
    from optimizer.data.dataset import Dataset
    from optimizer.outputs.record import RunRecord
    from optimizer.solving.solve import PortfolioResult

EXIT_BAD_INPUT = 2
EXIT_NO_PORTFOLIO = 3
EXIT_DIFFERENT = 4
COMMANDS = ("rerun", "report")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """The hook for :func:`optimizer.cli.parser`: adds ``rerun`` and ``report``."""
    add_rerun_command(commands)
    add_report_command(commands)


def run(args: argparse.Namespace) -> int:
    """The hook for :func:`optimizer.cli.main`: runs ``rerun`` or ``report`` (one of :data:`COMMANDS`)."""
    if args.command == "rerun":
        return run_rerun(args)
    if args.command == "report":
        return run_report(args)
    raise ValueError(f"not a command of this module: {args.command!r}")


# --- the record of a solve on the command line ------------------------------


def solve_record(args: argparse.Namespace, loaded: Dataset, question: Question, result: PortfolioResult,
                 data_sha256: str | None = None) -> RunRecord:
    """The record of ``solve`` (or ``report``): ``loaded`` is the dataset as read, before ``--no-targets``.

    Its settings are ``question.to_dict()``, with the targets as solved. ``data_sha256``: the data's
    hash, when the reader computed it.
    """
    from optimizer.outputs.record import make_record

    targets = question.targets_of(loaded)
    settings = question.with_targets_of(targets).to_dict(targets)
    return make_record(loaded, result, solver_settings=question.solver, settings=settings,
                       data_path=str(Path(args.data).resolve()), data_sha256=data_sha256)


# --- rerun ------------------------------------------------------------------


def add_rerun_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    rerun = commands.add_parser(
        "rerun", help="solve again from a run record and say what differs",
        description="Solve again from a run record (a .json record, or a downloaded .xlsx: its data_* sheets "
                    "carry the data) and compare: exit 0 when identical, 4 when the data hash, solver, "
                    "solver version, status or selection differ.")
    rerun.add_argument("record", type=Path, help="a run record .json, or a portfolio .xlsx with a run_record sheet")
    rerun.add_argument("--data", help="read the data here instead of where the record says")
    rerun.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    rerun.add_argument("--out", type=Path, help="write the new result to FILE.csv or FILE.xlsx")
    rerun.add_argument("--force", action="store_true", help="replace an existing --out file")
    rerun.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the --out workbook")
    return rerun


def run_rerun(args: argparse.Namespace) -> int:
    from optimizer.outputs.rerun import load_record, report_lines, rerun

    try:
        recorded, dataset = load_record(args.record, args.data)
    except DataError as error:
        _print_problems(str(args.record), error)
        return EXIT_BAD_INPUT
    run_ = rerun(recorded, dataset)
    result = run_.result
    if args.out and result.has_portfolio:
        _write_result(args.out, dataset, run_.record, result, args.lang)
    print(_summary(result))
    print("\n".join(report_lines(run_)))
    if args.json:
        payload = {**result.to_dict(), "run_record": run_.record.to_dict(),
                   "rerun": {"identical": run_.identical,
                             "differences": [{"field": d.field, "recorded": d.recorded, "now": d.now,
                                              "decisive": d.decisive} for d in run_.differences],
                             "unsupported_settings": run_.unhonoured}}
        print(json.dumps(jsonable(payload), ensure_ascii=False))
    return 0 if run_.identical else EXIT_DIFFERENT


# --- report -----------------------------------------------------------------


def add_report_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    report = commands.add_parser("report", help="the meeting pack: a deck (.pptx) or its PDF",
                                 description="Solve, then write the meeting pack: title and data status, KPIs, "
                                             "targets, MAC and frontier charts, projects, assumptions and "
                                             "sources, the run record.")
    report.add_argument("--data", required=True, help="folder of CSVs, .xlsx workbook, .zip or flat .csv")
    report.add_argument("--budget", type=float, help="capex budget in 万元 (required for --objective co2)")
    report.add_argument("--objective", choices=["co2", "cost"], default="co2")
    report.add_argument("--co2-goal", type=float, help="least CO2 cut in tCO2/yr (with --objective cost)")
    report.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the deck (default zh)")
    report.add_argument("--out", type=Path, required=True, help="pack.pptx or pack.pdf")
    report.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    report.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    report.add_argument("--gap", type=float, default=1e-3, help="relative optimality gap (default 0.001)")
    report.add_argument("--no-targets", action="store_true", help="ignore the plan targets")
    add_as_of_arguments(report)
    report.add_argument("--frontier-points", type=int, default=9,
                        help="budgets on the frontier chart, 0 to leave it out (default 9)")
    report.add_argument("--top", type=int, default=15, help="projects listed on the projects slide (default 15)")
    report.add_argument("--record", type=Path, help="also write the run record as JSON here")
    report.add_argument("--force", action="store_true", help="replace an existing --out or --record file")
    return report


def run_report(args: argparse.Namespace) -> int:
    from optimizer.answers.frontier import budget_range, frontier
    from optimizer.answers.question import answer, explain
    from optimizer.data.instance import prepare
    from optimizer.data.isolation import load_dataset_isolated
    from optimizer.outputs.report import build_pack, pptx_to_pdf

    began = time.perf_counter()
    warming = threading.Thread(target=_warm_up, daemon=True)  # vl-convert loads its fonts while we solve
    warming.start()
    if args.objective == "co2" and args.budget is None:
        print("--budget is required with --objective co2", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.objective == "cost" and args.co2_goal is None:
        print("--co2-goal is required with --objective cost", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.out.suffix.lower() not in (".pptx", ".pdf"):
        print("--out must end in .pptx or .pdf", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        loaded = load_dataset_isolated(args.data)
    except DataError as error:
        _print_problems(args.data, error)
        return EXIT_BAD_INPUT
    dataset = loaded.with_targets([]) if args.no_targets else loaded
    question = question_from(args)
    factors = question.emission_factors()
    instance = prepare(dataset, factors)
    result = answer(instance, dataset.targets, question)
    if result.status == "infeasible":
        diagnosis = explain(instance, dataset.targets, question)
        result.diagnosis, result.closest = diagnosis.to_dict(), diagnosis.closest
    record = solve_record(args, loaded, question, result)
    table = None
    if args.frontier_points > 1:
        top = 2 * (args.budget if args.budget else result.spend or 0.0)
        if top > 0:
            table = frontier(instance, dataset.targets, budget_range(0.0, top, args.frontier_points),
                             question.solver, as_of=question.as_of())
    warming.join()
    deck = build_pack(dataset, result, lang=args.lang, record=record, frontier=table, instance=instance,
                      factors=factors, top_n=args.top)
    if args.out.suffix.lower() == ".pdf":
        deck = pptx_to_pdf(deck)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_output(args.out, deck)
    if args.record:
        write_output(args.record, record.to_json(indent=2).encode("utf-8"))
    print(_summary(result))
    print(f"wrote {args.out} ({len(deck) / 1024:,.0f} KB) in {time.perf_counter() - began:.1f} s")
    return 0 if result.has_portfolio else EXIT_NO_PORTFOLIO


# --- helpers ----------------------------------------------------------------


def _warm_up() -> None:
    from optimizer.outputs.report import warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 - only a head start; the real render reports its own errors
        pass


def _write_result(out: Path, dataset: Dataset, record: RunRecord, result: PortfolioResult, lang: str) -> None:
    from optimizer.answers.question import Question
    from optimizer.data.instance import prepare
    from optimizer.outputs.export import portfolio_csv, portfolio_table, portfolio_workbook

    factors = Question.from_dict(record.settings).emission_factors()
    instance = prepare(dataset, factors)
    if out.suffix.lower() == ".xlsx":
        write_output(out, portfolio_workbook(dataset, instance, result, factors, lang=lang, record=record))
    else:
        write_output(out, portfolio_csv(portfolio_table(dataset, instance, result), record, lang))


def _summary(result: PortfolioResult) -> str:
    lines = [f"status: {result.status}"]
    if result.has_portfolio:
        gap = "—" if result.gap is None else f"{result.gap:.4%}"
        lines += [f"CO2 cut: {result.co2_reduction_t:,.0f} tCO2/yr", f"spend: {result.spend:,.0f} 万元"
                  + (f" of {result.budget:,.0f}" if result.budget is not None else ""),
                  f"projects: {len(result.selected)}", f"proven gap: {gap}"]
    return "\n".join(lines)


def _print_problems(source: str, error: DataError) -> None:
    print(f"{source}: {len(error.problems)} problem(s) in the input:", file=sys.stderr)
    for text in error.texts("en"):
        print(f"  - {text}", file=sys.stderr)

