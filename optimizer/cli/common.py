"""What every command of the command line shares: the common flags, their checks, JSON output.

Kept apart from :mod:`optimizer.cli.main` so that the modules adding commands
(``cli_pack``, ``cli_doubt``, ``cli_roadmap``) use it without importing the
command line itself (no import cycle).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.data.defaults import DEFAULT_DISCOUNT_RATE

if TYPE_CHECKING:
    from optimizer.answers.question import Question
    from optimizer.data.dataset import EmissionFactors
    from optimizer.program.horizon import AsOf
    from optimizer.program.model import PolicyOptions


def add_common_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--data", required=True, help="folder of CSVs, .xlsx workbook, .zip or flat .csv")
    command.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    command.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    command.add_argument("--gap", type=float, default=1e-3, help="relative optimality gap (default 0.001)")
    command.add_argument("--no-targets", action="store_true", help="ignore the plan targets")
    command.add_argument("--margin", type=float, default=0.0,
                         help="compliance margin: share points added to every benchmark-share target "
                              "(0.02 = 2 points; default 0)")
    command.add_argument("--exclude", default="", metavar="ID;ID",
                         help="project ids never to choose, ';'-separated (a plant owner objects)")
    command.add_argument("--closure-capex-outside-budget", action="store_true",
                         help="pay retirements of lines closed by order outside the budget")
    command.add_argument("--grid-factor", type=float, help="grid emission factor, tCO2/MWh (default: Fujian 2023)")
    command.add_argument("--fuel-factor", action="append", default=[], metavar="FUEL=T_PER_TCE",
                         help="emission factor of a fuel in tCO2/tce, e.g. coal=2.66 (repeatable)")
    command.add_argument("--discount-rate", type=float, default=DEFAULT_DISCOUNT_RATE,
                         help="real discount rate for abatement cost and payback (default 0.08)")
    command.add_argument("--out", type=Path, help="write the result to FILE.csv or FILE.xlsx")
    command.add_argument("--force", action="store_true", help="replace an existing --out file")
    add_as_of_arguments(command)


#: The years a question may speak of (a check on typing, not on policy).
YEARS = (2000, 2100)


def add_as_of_arguments(command: argparse.ArgumentParser) -> None:
    """``--from Y0`` and ``--in-service-by Y``: when the single-year question is asked and of which year."""
    command.add_argument("--from", dest="first_year", type=int, metavar="Y0",
                         help="first year work may start (default: this calendar year)")
    command.add_argument("--in-service-by", dest="as_of_year", type=int, metavar="Y",
                         help="the year the portfolio must be in service by and the targets are judged in "
                              "(default: Y0 + 1)")


def as_of_from(args: argparse.Namespace) -> AsOf:
    from optimizer.program.horizon import AsOf

    return AsOf.of(getattr(args, "first_year", None), getattr(args, "as_of_year", None))


#: The most each count may be (README, "Command line"): a run stays within minutes and memory, and a
#: mistyped 10**9 is refused before anything is allocated.
MAX_BUDGETS = 1_000  # budgets of a frontier or a sweep
MAX_ALTERNATIVES = 100
MAX_DRAWS = 1_000_000  # Monte Carlo draws
MAX_SCENARIOS = 1_000  # in-sample draws of the robust pick, drawn scenarios of a sweep
MAX_SWEEP_RUNS = 10_000  # budgets × (draws + 1) × target variants
MAX_WORKERS = 64
MAX_FRONTIER_POINTS = 100  # on the pack's frontier chart
MAX_LISTED = 500  # projects on the pack's projects slide


def budget_count(text: str, ranges_only: bool = False) -> int | None:
    """How many budgets ``LO:HI:N`` (or, unless ``ranges_only``, a comma list) names; None when it is not
    one, or names more than :data:`MAX_BUDGETS`. Read without building the list."""
    try:
        if ":" in text:
            low, high, points = text.split(":")
            if not (math.isfinite(float(low)) and math.isfinite(float(high)) and 0 <= float(low) <= float(high)):
                return None
            count = int(points)
        elif ranges_only:
            return None
        else:
            values = [float(b) for b in text.split(",")[: MAX_BUDGETS + 1] if b.strip()]
            if any(not math.isfinite(v) or v < 0 for v in values):
                return None
            count = len(values) if text.count(",") < MAX_BUDGETS else MAX_BUDGETS + 1
    except ValueError:
        return None
    return count if 1 <= count <= MAX_BUDGETS else None


def outside(flag: str, value: int | float | None, low: float, high: float) -> list[str]:
    """The problem of a flag's value outside ``low``–``high`` (none when it is unset or within)."""
    if value is None or low <= value <= high:
        return []
    return [f"--{flag} must be within {low:,g}–{high:,g}, not {value:,g} / --{flag} 超出范围"]


def count_problems(args: argparse.Namespace) -> list[str]:
    """Every count out of its range, named by its flag with the range allowed."""
    problems: list[str] = []
    command = getattr(args, "command", "")
    if command == "alternatives":
        problems += outside("count", args.count, 1, MAX_ALTERNATIVES)
        problems += outside("slack", args.slack, 0, 1)
    elif command == "uncertainty":
        problems += outside("draws", args.draws, 1, MAX_DRAWS)
        problems += outside("scenarios", args.scenarios, 1, MAX_SCENARIOS)
        if args.robust is not None and not 0 < args.robust <= 1:
            problems.append(f"--robust must be within (0, 1], not {args.robust:g} / --robust 超出范围")
    elif command == "sweep":
        problems += outside("draws", args.draws, 0, MAX_SCENARIOS)
        problems += outside("workers", args.workers, 1, MAX_WORKERS)
        budgets = budget_count(args.budgets)
        if budgets is None:
            problems.append(f"--budgets takes LO:HI:N or a comma list of at most {MAX_BUDGETS:,} budgets ≥ 0 "
                            f"(万元), not {args.budgets[:60]!r}")
        elif not problems:
            variants = max(1, len([v for v in str(args.target_variants).split(",") if v.strip()]))
            runs = budgets * (args.draws + 1) * variants
            if runs > MAX_SWEEP_RUNS:
                problems.append(f"the sweep would solve {runs:,} scenarios (budgets × (draws + 1) × variants); "
                                f"at most {MAX_SWEEP_RUNS:,} / 情景过多")
    elif command == "report":
        problems += outside("frontier-points", args.frontier_points, 0, MAX_FRONTIER_POINTS)
        problems += outside("top", args.top, 1, MAX_LISTED)
    return problems


def settings_problems(args: argparse.Namespace) -> list[str]:
    """Every bad setting, found before any file is read or any model solved."""
    problems = []

    def number(name: str, value: float | None, low: float | None = None, high: float | None = None,
               low_open: bool = False) -> None:
        if value is None:
            return
        if not math.isfinite(value):
            problems.append(f"--{name} must be a finite number, not {value}")
        elif low is not None and (value < low or (low_open and value == low)):
            problems.append(f"--{name} must be {'>' if low_open else '≥'} {low:g}, not {value:g}")
        elif high is not None and value > high:
            problems.append(f"--{name} must be ≤ {high:g}, not {value:g}")

    number("budget", getattr(args, "budget", None), 0.0)
    number("co2-goal", getattr(args, "co2_goal", None), 0.0)
    number("time-limit", getattr(args, "time_limit", None), 0.0, low_open=True)
    number("gap", getattr(args, "gap", None), 0.0, 0.99)
    number("margin", getattr(args, "margin", None), 0.0, 1.0)
    number("grid-factor", getattr(args, "grid_factor", None), 0.0)
    number("discount-rate", getattr(args, "discount_rate", None), 0.0, 1.0)
    first, year = getattr(args, "first_year", None), getattr(args, "as_of_year", None)
    problems += outside("from", first, *YEARS) + outside("in-service-by", year, *YEARS)
    if first is not None and year is not None and year < first:
        problems.append(f"--in-service-by {year} is before --from {first}")
    for text in getattr(args, "fuel_factor", []):
        fuel, _, value = text.partition("=")
        try:
            number(f"fuel-factor {fuel}", float(value), 0.0)
        except ValueError:
            problems.append(f"--fuel-factor takes FUEL=NUMBER (tCO2/tce), not {text!r}")
    problems += count_problems(args)
    if args.command == "frontier" and getattr(args, "budgets", None) is not None:
        if budget_count(args.budgets, ranges_only=True) is None:
            problems.append(f"--budgets takes LO:HI:N with 0 ≤ LO ≤ HI and 1 ≤ N ≤ {MAX_BUDGETS:,} (万元), "
                            f"not {args.budgets!r}")
    problems += output_problems_of(args)
    out = getattr(args, "out", None)
    if out is not None and not problems:
        folder = out.absolute().parent
        if not folder.is_dir():
            problems.append(f"--out: the folder {folder} does not exist")
        elif args.command in ("solve", "frontier") and out.suffix.lower() not in (".csv", ".xlsx"):
            problems.append(f"--out must end in .csv or .xlsx, not {out.name!r}")
    if getattr(args, "command", "") == "solve":
        if args.objective == "co2" and args.budget is None:
            problems.append("--budget is required with --objective co2")
        if args.objective == "cost" and args.co2_goal is None:
            problems.append("--co2-goal is required with --objective cost")
    return problems


def output_problems_of(args: argparse.Namespace) -> list[str]:
    """``--out`` (and ``--record``) onto an input, the database, a folder, or an existing file without --force."""
    from optimizer.cli.files import inputs_of, output_problems

    inputs = inputs_of(getattr(args, "data", None))
    force = bool(getattr(args, "force", False))
    record = getattr(args, "record", None)
    if getattr(args, "command", "") == "rerun":  # there the record is what is read
        return output_problems(getattr(args, "out", None), [*inputs, Path(record)] if record else inputs, force)
    return [*output_problems(getattr(args, "out", None), inputs, force),
            *output_problems(record, inputs, force, "--record")]


def question_from(args: argparse.Namespace) -> Question:
    """The question the flags ask (every single-year command builds it here, and only here)."""
    from optimizer.answers.question import Question
    from optimizer.solving.solve import SolverSettings

    return Question(
        objective=getattr(args, "objective", "co2"), budget=getattr(args, "budget", None),
        co2_goal=getattr(args, "co2_goal", None), first_year=getattr(args, "first_year", None),
        as_of_year=getattr(args, "as_of_year", None), no_targets=bool(getattr(args, "no_targets", False)),
        options=options_from(args), factors=factors_from(args),
        discount_rate=getattr(args, "discount_rate", DEFAULT_DISCOUNT_RATE),
        solver=SolverSettings(args.solver, args.time_limit, args.gap))


def factors_from(args: argparse.Namespace) -> EmissionFactors:
    """The shipped emission factors with the analyst's overrides."""
    from optimizer.data.dataset import EmissionFactors

    overrides = {fuel.strip(): float(value)
                 for fuel, _, value in (t.partition("=") for t in getattr(args, "fuel_factor", []))}
    return EmissionFactors.default().with_changes(grid_t_per_mwh=getattr(args, "grid_factor", None), fuels=overrides)


def options_from(args: argparse.Namespace) -> PolicyOptions:
    from optimizer.program.model import PolicyOptions

    return PolicyOptions(margin=getattr(args, "margin", 0.0),
                         order_capex_in_budget=not getattr(args, "closure_capex_outside_budget", False),
                         excluded=tuple(id_list(getattr(args, "exclude", ""))))


def id_list(text: str) -> list[str]:
    """A ';'-separated list of project ids (``--exclude A;B``) as a list."""
    return [part.strip() for part in text.split(";") if part.strip()]


def silence_highs_banner() -> None:
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
