"""The single-year answer speaks of a year: what can be in service by it, judged against targets as they stand then.

Checked against the independent checker of ``tests/test_bruteforce.py``:
a project counts only if ``max(earliest_year, Y0) + lead ≤ Y``; targets
dated after ``Y`` (and the closures they order) do not bind; a small line
whose listed retirement cannot be in service by ``Y`` makes the question
infeasible.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import AsOf, Target, optimize, prepare
from optimizer.answers.diagnosis import diagnose
from optimizer.answers.prices import target_prices

from .conftest import examples
from .support.oracle import EXACT, brute_force, check, co2_of, instances, make_dataset, spend_of, subsets
from .test_cli import run

FIRST = 2026


def in_service(projects: pd.DataFrame, year: int) -> set[str]:
    """The checker's own reading of the as-of rule."""
    ready = set()
    for _, row in projects.iterrows():
        earliest = FIRST if row["earliest_year"] == "" else max(int(row["earliest_year"]), FIRST)
        lead = 1 if row["lead_time_years"] == "" else int(row["lead_time_years"])
        if earliest + lead <= year:
            ready.add(row["project_id"])
    return ready


def brute_force_as_of(facilities, projects, targets, budget, year):
    """The best CO2 over subsets of what is in service by ``year``, targets binding by then; None: infeasible."""
    binding = [t for t in targets if t.year is None or t.year <= year]
    ready = in_service(projects, year)
    co2 = co2_of(facilities, projects)
    best = None
    for subset in subsets(projects):
        if not set(subset) <= ready or spend_of(projects, subset) > budget:
            continue
        if check(facilities, projects, binding, set(subset)) is None:
            continue
        cut = sum(co2[p] for p in subset)
        best = cut if best is None or cut > best + 1e-9 else best
    return best


@st.composite
def timed_instances(draw):
    facilities, projects, targets, budget = draw(instances())
    projects = projects.assign(
        earliest_year=[draw(st.sampled_from(["", "2025", "2026", "2027", "2028"])) for _ in range(len(projects))],
        lead_time_years=[draw(st.sampled_from(["", "0", "1", "2"])) for _ in range(len(projects))])
    targets = [Target(t.target_id, t.kind, t.products, t.value, weight=t.weight,
                      year=draw(st.sampled_from([None, 2025, 2028]))) for t in targets]
    return facilities, projects, targets, budget, draw(st.integers(FIRST, FIRST + 3))


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timed_instances())
def test_the_timed_single_year_answer_matches_brute_force(case):
    facilities, projects, targets, budget, year = case
    result = optimize(make_dataset(facilities, projects, targets), budget=budget, settings=EXACT,
                      as_of=AsOf(FIRST, year))
    best = brute_force_as_of(facilities, projects, targets, budget, year)
    assert result.as_of_year == year and result.first_year == FIRST
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.co2_reduction_t == pytest.approx(best, abs=1e-6)
    assert set(result.selected) <= in_service(projects, year)
    late = {row["project_id"] for row in result.cannot_fit}
    assert late == set(projects["project_id"]) - in_service(projects, year)
    for outcome in result.targets:
        assert outcome.year == year
        assert outcome.binding == (outcome.due is None or outcome.due <= year)
        assert outcome.overdue == (outcome.due is not None and outcome.due < year)
        if outcome.binding:
            assert outcome.met


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_far_as_of_year_is_the_timeless_question(case):
    """With every project in service and every target binding, the answer is the brute force over all subsets."""
    facilities, projects, targets, budget = case
    result = optimize(make_dataset(facilities, projects, targets), budget=budget, settings=EXACT,
                      as_of=AsOf(FIRST, 2100))
    best = brute_force(facilities, projects, targets, budget)
    assert (result.status == "infeasible") if best is None else result.co2_reduction_t == pytest.approx(best)


def late_list() -> tuple[pd.DataFrame, pd.DataFrame, list[Target]]:
    """Two lines below benchmark whose only projects can be in service in 2029 at the earliest."""
    facilities = pd.DataFrame([
        {"facility_id": "F0", "sector": "steel", "product": "pa", "capacity": 500, "energy_intensity": 110.0},
        {"facility_id": "F1", "sector": "steel", "product": "pa", "capacity": 500, "energy_intensity": 110.0}])
    projects = pd.DataFrame([
        {"project_id": f"P{f}", "facility_id": f"F{f}", "capex": 10, "co2_reduction": 40 + f,
         "energy_intensity_after": 95.0, "exclusive_group": "", "requires": "", "retire": "",
         "earliest_year": "2027", "lead_time_years": "2"} for f in (0, 1)])
    return facilities, projects, [Target("share", "benchmark_share_min", ("pa",), 0.5, year=2025)]


def test_projects_only_in_service_in_2029_give_earliest_2029():
    facilities, projects, targets = late_list()
    instance = prepare(make_dataset(facilities, projects, targets))
    early = optimize(instance, budget=100, targets=targets, settings=EXACT, as_of=AsOf(FIRST, 2027))
    assert early.status == "infeasible"
    assert {row["first_service_year"] for row in early.cannot_fit} == {2029}
    diagnosis = diagnose(instance, targets, budget=100, settings=EXACT, as_of=AsOf(FIRST, 2027))
    assert diagnosis.earliest == [{"target_id": "share", "earliest_year": 2029}]
    assert "earliest 2029" in diagnosis.summary_en and "最早 2029 年" in diagnosis.summary_zh
    later = optimize(instance, budget=100, targets=targets, settings=EXACT, as_of=AsOf(FIRST, 2029))
    assert later.status == "optimal" and set(later.selected) == {"P0", "P1"}
    assert later.targets[0].met and later.targets[0].overdue


@pytest.mark.slow
def test_the_command_line_names_its_year_and_the_earliest(tmp_path):
    facilities, projects, targets = late_list()
    folder = tmp_path / "late"
    folder.mkdir()
    facilities.to_csv(folder / "facilities.csv", index=False)
    projects.to_csv(folder / "projects.csv", index=False)
    pd.DataFrame([{"target_id": "share", "kind": "benchmark_share_min", "products": "pa", "value": 0.5,
                   "year": 2025}]).to_csv(folder / "targets.csv", index=False)
    products = pd.DataFrame([{"product": "pa", "sector": "steel", "unit": "t", "intensity_unit": "kgce/t",
                              "benchmark": 100.0, "baseline": 120.0}])
    products.to_csv(folder / "products.csv", index=False)
    done = run("solve", "--data", str(folder), "--budget", "100", "--from", "2026", "--in-service-by", "2027", "--json")
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 3, err
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["as_of_year"] == 2027 and payload["first_year"] == 2026
    assert payload["targets"][0]["overdue"] is True
    assert payload["diagnosis"]["earliest"] == [{"target_id": "share", "earliest_year": 2029}]
    assert "as of 2027" in out and "earliest 2029" in out
    done = run("solve", "--data", str(folder), "--budget", "100", "--from", "2026", "--in-service-by", "2029", "--json")
    code, out = done.returncode, done.stdout
    assert code == 0, done.stderr
    payload = json.loads(out.strip().splitlines()[-1])
    assert sorted(payload["selected"]) == ["P0", "P1"]
    assert "met (overdue, due 2025)" in out
    done = run("solve", "--data", str(folder), "--budget", "100", "--from", "2028", "--in-service-by", "2027")
    assert done.returncode == 2 and "--in-service-by 2027 is before --from 2028" in done.stderr


def test_the_sample_never_calls_a_2025_target_met_before_its_portfolio_is_in_service():
    done = run("solve", "--data", "data/sample/fuzhou", "--budget", "300000", "--from", "2026", "--json")
    code, out = done.returncode, done.stdout
    assert code == 0, done.stderr
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["as_of_year"] == 2027
    for target in payload["targets"]:
        assert target["year"] == 2027 and target["overdue"] is True
    assert "in 2027" in out and "(overdue, due 2025)" in out


def test_a_negative_price_is_reported_with_its_meaning():
    """A small-line closure takes a poor line out of the share's base: without the rule the share costs more."""
    facilities = pd.DataFrame([
        {"facility_id": "F0", "sector": "steel", "product": "pa", "capacity": 100, "energy_intensity": 130.0},
        {"facility_id": "F1", "sector": "steel", "product": "pa", "capacity": 900, "energy_intensity": 130.0}])
    row = {"exclusive_group": "", "requires": "", "retire": ""}
    projects = pd.DataFrame([
        {"project_id": "P0", "facility_id": "F1", "capex": 10, "co2_reduction": 40, "energy_intensity_after": 95.0,
         **row},
        {"project_id": "P2", "facility_id": "F0", "capex": 10, "co2_reduction": 1, "energy_intensity_after": 95.0,
         **row},
        {"project_id": "P3", "facility_id": "F1", "capex": 10, "co2_reduction": 50, "energy_intensity_after": "",
         **row}])
    targets = [Target("share", "benchmark_share_min", ("pa",), 0.95),
               Target("small", "min_line_capacity", ("pa",), 150)]
    instance = prepare(make_dataset(facilities, projects, targets))
    prices = target_prices(instance, targets, 20, EXACT, as_of=AsOf(FIRST, 2100)).set_index("target_id")
    # with the closure F0 leaves the base: P0 and P3 (90 t); without it both lines need benchmark: P0 and P2 (41 t)
    assert prices.at["small", "co2_all_t"] == pytest.approx(90)
    assert prices.at["small", "co2_without_t"] == pytest.approx(41)
    assert prices.at["small", "price_t"] == pytest.approx(-49)
    assert prices.at["small", "meaning_en"].startswith("negative: without it the answer is 49 tCO2/yr worse")
    assert prices.at["small", "meaning_zh"].startswith("为负")
    assert prices.at["share", "price_t"] == pytest.approx(0) and prices.at["share", "within_gap"]


def test_a_question_survives_its_record_form():
    from optimizer import EmissionFactors, PolicyOptions, SolverSettings
    from optimizer.answers.question import Question, TargetChange

    question = Question(objective="cost", budget=5_000.0, co2_goal=1_000.0, first_year=2026, as_of_year=2028,
                        targets=(TargetChange("share", False, 0.4),), options=PolicyOptions(0.02, False, ("P1",)),
                        factors=EmissionFactors.default().with_changes(grid_t_per_mwh=0.5), discount_rate=0.06,
                        solver=SolverSettings("cbc", 30.0, 0.01))
    again = Question.from_dict(json.loads(json.dumps(question.to_dict())), question.solver)
    assert again == question
    assert again.as_of() == AsOf(2026, 2028)


def test_a_record_without_years_is_the_timeless_question():
    """Records written before questions had a year asked with every project in service: as of 2100."""
    from optimizer.answers.question import TIMELESS_YEAR, Question

    question = Question.from_dict({"objective": "co2", "budget": 100.0, "first_year": 2026})
    assert question.as_of() == AsOf(2026, TIMELESS_YEAR)
    facilities, projects, targets = late_list()
    dataset = make_dataset(facilities, projects, targets)
    from optimizer.answers.question import answer

    result = answer(prepare(dataset), question.targets_of(dataset), question)
    assert result.status == "optimal" and set(result.selected) == {"P0", "P1"}


def test_the_monte_carlo_of_a_single_year_answer_closes_lines_as_of_its_year():
    """A small-line rule dated after the as-of year orders nothing yet: its line is still counted as running."""
    from optimizer.answers.uncertainty import Spreads, simulate

    facilities, projects, _ = late_list()
    small = Target("small", "min_line_capacity", ("pa",), 600, year=2030)
    instance = prepare(make_dataset(facilities, projects, [small]))
    chosen = np.zeros(instance.n_projects, dtype=bool)
    early = simulate(instance, [small], chosen, Spreads.zero(instance), draws=5, as_of=AsOf(FIRST, 2027))
    late = simulate(instance, [small], chosen, Spreads.zero(instance), draws=5, as_of=AsOf(FIRST, 2030))
    assert early.met_probability["small"] == [0.0]  # both lines still run in 2027
    assert late.met_probability["small"] == [1.0]  # closed by order by 2030
