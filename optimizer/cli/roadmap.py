"""``python -m optimizer roadmap``: which project goes into service in which year, under yearly budgets.

Bad settings exit 2 with every problem named (English, then Chinese)
before any file is read or anything solved. With ``--json`` the last line
printed is one JSON object (years as string keys).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from typing import TYPE_CHECKING

from optimizer.data.defaults import DEFAULT_LAST_YEAR

if TYPE_CHECKING:
    from optimizer.answers.roadmap import RoadmapResult
    from optimizer.data.instance import Instance

#: The longest roadmap the command line plans (years).
MAX_HORIZON = 50
EXIT_BAD_INPUT = 2
EXIT_NO_ROADMAP = 3


def add_roadmap_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``roadmap`` sub-command (the common flags come from :mod:`optimizer.cli.common`)."""
    from optimizer.cli.common import add_common_arguments

    command = subparsers.add_parser("roadmap", help="the multi-year roadmap under yearly budgets")
    add_common_arguments(command)
    command.add_argument("--years", default=None, help=f"Y0:Y1, e.g. 2026:{DEFAULT_LAST_YEAR}")
    command.add_argument("--budget-per-year", type=float, help="one budget for every year (万元)")
    command.add_argument("--budgets", help="a budget per year: 2026=60000,2027=80000,… (万元)")
    command.add_argument("--overdue-deadline", type=int,
                         help="year from which targets dated before Y0 must hold (default Y0 + 1)")
    command.add_argument("--carry-over", action="store_true", help="unspent money carries over to later years")
    command.add_argument("--objective", choices=["co2", "cost"], default="co2",
                         help="co2: most tCO2 over the horizon; cost: least capex reaching --co2-goal")
    command.add_argument("--co2-goal", type=float, help="cumulative tCO2 over the horizon (with --objective cost)")
    command.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    command.set_defaults(gap=None)
    return command


def parse_years(text: str | None) -> tuple[int, int]:
    """``Y0:Y1``; None means the current year to 2030."""
    if text is None:
        from datetime import date

        return date.today().year, DEFAULT_LAST_YEAR
    first, sep, last = text.partition(":")
    if not sep:
        raise ValueError
    return int(first), int(last)


def parse_budget_table(text: str) -> dict[int, float]:
    """``2026=60000,2027=80000`` → {2026: 60000.0, 2027: 80000.0}."""
    table = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        year, sep, value = item.partition("=")
        if not sep:
            raise ValueError(item)
        table[int(year)] = float(value)
    return table


def roadmap_settings_problems(args: argparse.Namespace) -> list[str]:
    """Every bad roadmap setting, in English and Chinese, before anything is read."""
    from optimizer.cli.common import YEARS
    from optimizer.program.horizon import horizon_problems

    problems: list[str] = []
    try:
        first, last = parse_years(args.years)
    except ValueError:
        return [f"--years takes Y0:Y1, e.g. 2026:2030, not {args.years!r} / --years 的格式为 起始年:结束年"]
    if not (YEARS[0] <= first <= YEARS[1] and YEARS[0] <= last <= YEARS[1]) or last - first + 1 > MAX_HORIZON:
        return [f"--years must lie within {YEARS[0]}–{YEARS[1]} and span at most {MAX_HORIZON} years, "
                f"not {args.years!r} / --years 超出范围"]
    table = None
    if args.budgets is not None:
        try:
            table = parse_budget_table(args.budgets)
        except ValueError:
            problems.append(f"--budgets takes YEAR=万元 pairs separated by commas, e.g. 2026=60000,2027=80000, "
                            f"not {args.budgets!r} / --budgets 的格式为 年份=万元，以逗号分隔")
            table = {}
    need_budget = args.objective == "co2"
    for en, zh in horizon_problems(first, last, args.budget_per_year, table, args.overdue_deadline, need_budget):
        problems.append(f"{_flag_of(en)}{en} / {zh}")
    if args.objective == "cost" and args.co2_goal is None:
        problems.append("--co2-goal is required with --objective cost / 最低投资模式需要 --co2-goal")
    if args.co2_goal is not None and (not math.isfinite(args.co2_goal) or args.co2_goal < 0):
        problems.append(f"--co2-goal must be ≥ 0, not {args.co2_goal} / --co2-goal 须不小于 0")
    if args.out is not None and not args.out.resolve().parent.is_dir():
        problems.append(f"--out: the folder {args.out.resolve().parent} does not exist / 输出文件夹不存在")
    elif args.out is not None and args.out.suffix.lower() != ".xlsx":
        problems.append(f"--out must end in .xlsx for a roadmap, not {args.out.name!r} / 路线图只能输出 .xlsx")
    return problems


def _flag_of(message: str) -> str:
    """Name the setting a horizon problem is about."""
    if "horizon" in message:
        return "--years: "
    if "overdue" in message:
        return "--overdue-deadline: "
    if "budget" in message:
        return "--budgets / --budget-per-year: "
    return ""


def run_roadmap(args: argparse.Namespace) -> int:
    """Check the settings, read the list, plan, report; the exit code says whether a roadmap was found."""
    from optimizer.answers.roadmap import diagnose_roadmap, plan_roadmap
    from optimizer.cli.common import (
        factors_from,
        options_from,
        output_problems_of,
        settings_problems,
        silence_highs_banner,
    )
    from optimizer.cli.files import write_output
    from optimizer.data.instance import prepare
    from optimizer.data.isolation import load_dataset_isolated
    from optimizer.data.plain import jsonable
    from optimizer.data.problems import DataError
    from optimizer.program.horizon import make_horizon
    from optimizer.solving.solve import SolverSettings

    if args.gap is None:
        args.gap = 5e-3
    common = argparse.Namespace(**{**vars(args), "budgets": None, "out": None})  # roadmap's own --budgets, --out
    problems = settings_problems(common) + roadmap_settings_problems(args) + output_problems_of(args)
    if problems:
        for text in problems:
            print(text, file=sys.stderr)
        return EXIT_BAD_INPUT
    first, last = parse_years(args.years)
    horizon = make_horizon(first, last, budget_per_year=args.budget_per_year,
                           budgets=parse_budget_table(args.budgets) if args.budgets else None,
                           carry_over=args.carry_over, overdue_deadline=args.overdue_deadline,
                           need_budget=args.objective == "co2")
    silence_highs_banner()
    try:
        dataset = load_dataset_isolated(args.data)
    except DataError as error:
        print(f"{args.data}: {len(error.problems)} problem(s) in the input:", file=sys.stderr)
        for text in error.texts("en"):
            print(f"  - {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.no_targets:
        dataset = dataset.with_targets([])
    factors = factors_from(args)
    try:
        instance = prepare(dataset, factors)
    except ValueError as error:
        print(f"{args.data}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = SolverSettings(args.solver, args.time_limit, args.gap)
    result = plan_roadmap(instance, horizon, targets=dataset.targets, objective=args.objective,
                          co2_goal=args.co2_goal, options=options_from(args), settings=settings)
    if result.status == "infeasible":
        result.diagnosis = diagnose_roadmap(instance, dataset.targets, horizon, objective=args.objective,
                                            co2_goal=args.co2_goal, options=options_from(args), settings=settings)
    if args.out is not None and result.has_roadmap:
        write_output(args.out, roadmap_workbook(instance, result))
    print(report(result))
    if args.json:
        record = result.to_dict()
        record["factors"] = factors.to_dict()
        print(json.dumps(jsonable(record), ensure_ascii=False))
    return 0 if result.has_roadmap else EXIT_NO_ROADMAP


def report(result: RoadmapResult) -> str:
    """The roadmap in a few lines of text."""
    lines = [f"status: {result.status}"]
    for row in result.cannot_fit:
        lines.append(f"  {row['reason_en']}")
    if result.has_roadmap:
        gap = "—" if result.gap is None else f"{result.gap:.4%}"
        lines += [f"CO2 over {result.first_year}–{result.last_year}: {result.co2_cumulative_t:,.0f} tCO2; "
                  f"run-rate in {result.last_year}: {result.co2_run_rate_t:,.0f} tCO2/yr", f"proven gap: {gap}"]
        for year, spend in result.spend_by_year.items():
            budget = "" if result.budget_by_year is None else f" of {result.budget_by_year[year]:,.0f}"
            started = [r["project_id"] for r in result.schedule if r["in_service_year"] == year]
            lines.append(f"  {year}: spend {spend:,.0f}{budget} 万元; in service: {len(started)} project(s)")
        missed = [r for r in result.targets_by_year if r["binding"] and not r["met"]]
        lines.append("targets: every binding year met" if not missed else f"targets missed: {len(missed)}")
    for closure in result.closed_by_order:
        lines.append(f"  closed by order by {closure['year']}: {closure['facility_id']}: {closure['reason_en']}")
    if result.diagnosis:
        lines.append(result.diagnosis.summary_en)
    return "\n".join(lines)


def roadmap_workbook(instance: Instance, result: RoadmapResult) -> bytes:
    """A plain workbook: ``roadmap`` (one row per project, capex per year), ``spend_by_year``, ``targets_by_year``."""
    import pandas as pd

    from optimizer.data.schema import escape_cell

    years = list(result.spend_by_year)
    rows = []
    for row in result.schedule:
        record = {"project_id": row["project_id"], "facility_id": row["facility_id"], "sector": row["sector"],
                  "in_service_year": row["in_service_year"], "capex (万元)": row["capex"],
                  "co2_cut (tCO2/yr)": row["co2_t"]}
        for year in years:
            record[f"capex {year} (万元)"] = row["capex_by_year"].get(year, 0.0)
        rows.append(record)
    roadmap = pd.DataFrame(rows, columns=["project_id", "facility_id", "sector", "in_service_year", "capex (万元)",
                                          "co2_cut (tCO2/yr)", *[f"capex {y} (万元)" for y in years]])
    for column in ("project_id", "facility_id", "sector"):
        roadmap[column] = roadmap[column].map(escape_cell)
    spend = pd.DataFrame({"year": years, "spend (万元)": [result.spend_by_year[y] for y in years],
                          "budget (万元)": [None if result.budget_by_year is None else result.budget_by_year[y]
                                           for y in years],
                          "co2_cut (tCO2)": [result.co2_by_year[y] for y in years]})
    targets = pd.DataFrame(result.targets_by_year)
    if not targets.empty:
        targets["target_id"] = targets["target_id"].map(escape_cell)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        roadmap.to_excel(writer, sheet_name="roadmap", index=False)
        spend.to_excel(writer, sheet_name="spend_by_year", index=False)
        targets.to_excel(writer, sheet_name="targets_by_year", index=False)
    return buffer.getvalue()

