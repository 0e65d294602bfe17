"""Are the model's rows the same before and after a redesign? Dump them in each tree, then compare.

    python benchmarks/same_rows.py dump before.json     # in the tree before the change
    python benchmarks/same_rows.py dump after.json      # in the tree after it
    python benchmarks/same_rows.py diff before.json after.json

The dump builds, without solving, the single-year and the roadmap program
(plain and closest mode) on the sample and on 1,000 projects of every
benchmark family, and writes each row in a canonical form: its sense, its
right-hand side and its terms, each variable named by what it means
(project and year, flag, shortfall) rather than by its position, and
variables held at 0 left out. ``diff`` matches rows by content (their
names may differ) within 1e-9 and prints the rows only one side has.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

#: A single-year question far enough ahead that every project is in service (the timeless question).
AS_OF = (2026, 2100)
ROADMAP = (2026, 2030)


def cases():
    from optimizer import load_dataset, prepare
    from tests.support.families import FAMILIES, make_family

    sample = load_dataset(ROOT / "data" / "sample" / "fuzhou")
    yield "sample", prepare(sample), sample.targets, 300_000.0
    for family in FAMILIES:
        case = make_family(family, 1000)
        yield family, case.instance, case.targets, float(case.budget)


def canonical(model, name_of) -> dict:
    fixed = {v.name for v in model.problem.variables() if v.upBound == 0}
    rows = []
    for name, row in model.problem.constraints.items():
        terms = sorted((name_of(v.name), float(round(c, 9))) for v, c in row.items() if v.name not in fixed)
        if terms:
            rows.append([row.sense, float(round(-row.constant, 8)) + 0.0, terms, name])
    objective = [(name_of(v.name), c) for v, c in model.problem.objective.items() if v.name not in fixed and c]
    largest = max((abs(c) for _, c in objective), default=1.0)
    return {"rows": rows, "objective": sorted((k, round(c / largest, 9)) for k, c in objective)}


def dump(path: Path) -> None:
    from optimizer.program.build import build_model
    from optimizer.program.horizon import AsOf, make_horizon

    out = {}
    for name, instance, targets, budget in cases():
        for closest in (False, True):
            one = build_model(instance, targets, AsOf(*AS_OF).horizon(budget), closest=closest)

            def single(variable: str, model=one) -> str:
                found = re.fullmatch(r"x_(\d+)", variable)
                if found:
                    return f"x{model.var_project[int(found.group(1))]}"
                return re.sub(rf"_{AS_OF[1]}(?=_|$)", "", variable)

            out[f"{name}/one/{closest}"] = canonical(one, single)
            several = build_model(instance, targets, make_horizon(*ROADMAP, budget_per_year=budget / 3),
                                  closest=closest)

            def yearly(variable: str, model=several) -> str:
                found = re.fullmatch(r"x_(\d+)", variable)
                if found:
                    v = int(found.group(1))
                    return f"x{model.var_project[v]}@{model.var_year[v]}"
                return variable

            out[f"{name}/roadmap/{closest}"] = canonical(several, yearly)
    path.write_text(json.dumps(out), encoding="utf-8")
    print(f"dumped {len(out)} models to {path}")


def diff(before: Path, after: Path) -> int:
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    differing = 0
    for key in a:
        rows_a = collections.Counter(json.dumps(r[:3]) for r in a[key]["rows"])
        rows_b = collections.Counter(json.dumps(r[:3]) for r in b[key]["rows"])
        only_a, only_b = rows_a - rows_b, rows_b - rows_a
        names_a = {json.dumps(r[:3]): r[3] for r in a[key]["rows"]}
        names_b = {json.dumps(r[:3]): r[3] for r in b[key]["rows"]}
        same_objective = a[key]["objective"] == b[key]["objective"]
        print(f"{key}: {sum(rows_a.values())} rows before, {sum(rows_b.values())} after; "
              f"only before {sum(only_a.values())}, only after {sum(only_b.values())}; "
              f"objective {'same' if same_objective else 'DIFFERS'}")
        for row in list(only_a)[:3]:
            print(f"    only before: {names_a[row]}")
        for row in list(only_b)[:3]:
            print(f"    only after: {names_b[row]}")
        differing += bool(only_a or only_b or not same_objective)
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump").add_argument("out", type=Path)
    compare = commands.add_parser("diff")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out)
        return 0
    return diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
