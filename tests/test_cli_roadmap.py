"""``python -m optimizer roadmap`` run as a user runs it, in a subprocess."""

from __future__ import annotations

import json

import openpyxl
import pytest

from .conftest import TINY_PROJECTS, write_tables
from .test_cli import run

ROADMAP_KEYS = {"status", "co2_cumulative_t", "co2_run_rate_t", "spend_by_year", "budget_by_year", "schedule",
                "targets_by_year", "closed_by_order", "cannot_fit", "gap", "bound", "diagnosis"}

# P7 can start only in 2031; P4 takes three years to build
TIMED_PROJECTS = TINY_PROJECTS.replace("retire\n", "retire,earliest_year,lead_time_years\n", 1).replace(
    "P7,F3,solar,solar_rooftop,800,,,2000,,,,", "P7,F3,solar,solar_rooftop,800,,,2000,,,,,2031,").replace(
    "P4,F2,upgrade,process,4000,,3000,,312,,P5,", "P4,F2,upgrade,process,4000,,3000,,312,,P5,,,3")


def last_json(completed) -> dict:
    lines = completed.stdout.strip().splitlines()
    assert lines, completed.stderr
    record = json.loads(lines[-1])
    assert ROADMAP_KEYS <= set(record), set(record)
    return record


def test_roadmap_json_and_workbook(tmp_path):
    folder = write_tables(tmp_path / "timed", projects=TIMED_PROJECTS)
    out = tmp_path / "roadmap.xlsx"
    completed = run("roadmap", "--data", folder, "--years", "2026:2030", "--budgets",
                    "2026=3000,2027=3000,2028=3000,2029=3000,2030=3000", "--overdue-deadline", "2028",
                    "--json", "--out", out)
    record = last_json(completed)
    assert completed.returncode == 0, completed.stderr
    assert record["status"] == "optimal"
    assert set(record["spend_by_year"]) == {"2026", "2027", "2028", "2029", "2030"}
    for year, spend in record["spend_by_year"].items():
        assert spend <= record["budget_by_year"][year] + 1e-6
    assert {"P7"} == {row["project_id"] for row in record["cannot_fit"]}
    for row in record["schedule"]:
        assert {"project_id", "in_service_year", "capex_by_year"} <= set(row)
        assert all(int(year) < row["in_service_year"] for year in row["capex_by_year"])  # default lead 1
    for row in record["targets_by_year"]:
        assert {"target_id", "year", "required", "value", "met", "binding"} <= set(row)
    workbook = openpyxl.load_workbook(out)
    assert {"roadmap", "spend_by_year", "targets_by_year"} <= set(workbook.sheetnames)
    header = [cell.value for cell in workbook["roadmap"][1]]
    assert header[:4] == ["project_id", "facility_id", "sector", "in_service_year"]
    assert workbook["roadmap"].max_row == len(record["schedule"]) + 1


@pytest.mark.parametrize("flags, words", [
    (["--years", "2030:2026", "--budget-per-year", "10"], "--years"),
    (["--years", "2026:2028", "--budgets", "2026=10,2027=-1,2028=5"], "2027"),
    (["--years", "2026:2028", "--budgets", "2026=10"], "no budget given for 2027, 2028"),
    (["--years", "2026:2028"], "budget per year"),
    (["--years", "2026-2028", "--budget-per-year", "10"], "--years takes Y0:Y1"),
    (["--years", "2026:2028", "--budget-per-year", "10", "--overdue-deadline", "2020"], "overdue deadline"),
])
def test_bad_settings_exit_2_before_solving(tmp_path, flags, words):
    completed = run("roadmap", "--data", tmp_path / "does-not-exist", *flags)
    assert completed.returncode == 2
    assert words in completed.stderr
    assert "Traceback" not in completed.stderr
