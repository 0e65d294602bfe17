"""The roadmap against brute force over (project, in-service year), and the horizon-of-one special case.

The checker below reads the roadmap's semantics directly and shares no code with
the optimizer (it borrows only the single-year checker's CO2 reading from
``tests/test_bruteforce.py``, itself independent of the optimizer).
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optimizer import SolverSettings, Target, prepare
from optimizer.answers.roadmap import closest_roadmap, diagnose_roadmap, plan_roadmap
from optimizer.program.horizon import RoadmapSettingsError, horizon_problems, make_horizon
from optimizer.program.model import PolicyOptions

from .conftest import examples
from .support.oracle import PRODUCTS, brute_force, check, co2_of, instances, make_dataset

EXACT = SolverSettings(gap=0.0, time_limit=30, core_search=False)
Y0 = 2026


# --- the horizon of one year is the single-year model ---------------------------


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_horizon_of_one_year_gives_the_single_year_answer(case):
    """Y0 = Y1, lead time 0, no earliest years: exactly the single-year brute-force optimum."""
    facilities, projects, targets, budget = case
    projects = projects.assign(lead_time_years=0)
    dataset = make_dataset(facilities, projects, targets)
    horizon = make_horizon(Y0, Y0, budget_per_year=budget)
    result = plan_roadmap(dataset, horizon, settings=EXACT)
    best = brute_force(facilities, projects, targets, budget)
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.co2_cumulative_t == pytest.approx(best)
    assert result.co2_run_rate_t == pytest.approx(best)
    chosen = {row["project_id"] for row in result.schedule}
    assert check(facilities, projects, targets, chosen) is not None
    assert result.spend_by_year[Y0] <= budget + 1e-9


# --- tiny multi-year instances --------------------------------------------------


@st.composite
def roadmap_cases(draw):
    """1-2 facilities, 2-4 projects, 2-3 years, with lead times, earliest years, targets dated in and before."""
    n_years = draw(st.integers(2, 3))
    last = Y0 + n_years - 1
    n_facilities = draw(st.integers(1, 2))
    facilities = []
    for f in range(n_facilities):
        product = draw(st.sampled_from(["pa", "pb"]))
        level = 100.0 if product == "pa" else 10.0
        facilities.append({"facility_id": f"F{f}", "sector": "steel", "product": product,
                           "capacity": draw(st.integers(1, 6)) * 100,
                           "energy_intensity": level * draw(st.sampled_from([0.95, 1.1, 1.3]))})
    projects = []
    for p in range(draw(st.integers(2, 4))):
        f = draw(st.integers(0, n_facilities - 1))
        level = 100.0 if facilities[f]["product"] == "pa" else 10.0
        retire = draw(st.integers(0, 4)) == 0
        after = None if retire else draw(st.sampled_from([None, 0.9, 1.0, 1.05, 1.15, 1.25, 1.4]))
        requires = f"P{draw(st.integers(0, p - 1))}" if p > 0 and draw(st.integers(0, 3)) == 0 else ""
        projects.append({
            "project_id": f"P{p}", "facility_id": f"F{f}", "capex": draw(st.integers(0, 40)),
            "co2_reduction": draw(st.integers(0, 60)),
            "energy_intensity_after": "" if after is None else level * after,
            "exclusive_group": draw(st.sampled_from(["", "", "g1"])), "requires": requires,
            "retire": "true" if retire else "",
            "earliest_year": draw(st.sampled_from(["", "", Y0, Y0 + 1, Y0 + 2])),
            "lead_time_years": draw(st.sampled_from(["", 0, 0, 1, 2])),
        })
    years = st.sampled_from([None, Y0 - 1, Y0, Y0 + 1, last])
    targets = []
    if draw(st.booleans()):
        targets.append(Target("share", "benchmark_share_min", ("pa",), draw(st.sampled_from([0.3, 0.5, 0.8])),
                              year=draw(years)))
    if draw(st.booleans()):
        targets.append(Target("share_energy", "benchmark_share_min", ("pa", "pb"), 0.5, weight="energy",
                              year=draw(years)))
    if draw(st.booleans()):
        targets.append(Target("baseline", "baseline_all", ("pb",), 1.0, year=draw(years)))
    if draw(st.booleans()):
        targets.append(Target("small", "min_line_capacity", ("pa", "pb"), draw(st.sampled_from([150, 300])),
                              year=draw(years)))
    budgets = {y: draw(st.integers(0, 40)) for y in range(Y0, last + 1)}
    overdue = draw(st.sampled_from([None, None, Y0, last]))
    carry_over = draw(st.booleans())
    return pd.DataFrame(facilities), pd.DataFrame(projects), targets, budgets, last, overdue, carry_over


# --- the independent checker ------------------------------------------------------


def deadline_of(target: Target, last: int, overdue: int | None) -> int | None:
    """First year a target binds: its year; the overdue deadline (Y0 + 1 by default, at most Y1); or Y1."""
    if target.year is None:
        return last
    if target.year < Y0:
        return min(max(Y0 + 1 if overdue is None else overdue, Y0), last)
    return target.year if target.year <= last else None


def allowed_years(row: dict, last: int) -> list[int]:
    lead = 1 if row["lead_time_years"] == "" else int(row["lead_time_years"])
    start = Y0 if row["earliest_year"] == "" else max(Y0, int(row["earliest_year"]))
    return list(range(start + lead, last + 1))


def payments(row: dict, year: int) -> dict[int, float]:
    lead = 1 if row["lead_time_years"] == "" else int(row["lead_time_years"])
    if lead == 0:
        return {year: float(row["capex"])}
    return {y: float(row["capex"]) / lead for y in range(year - lead, year)}


def roadmap_check(case, plan: dict[str, int], margin: float = 0.0, shortfall_allowed: bool = False):
    """(spend per year, {(target, year): value}) if the plan (project → in-service year) obeys every rule."""
    facilities, projects, targets, budgets, last, overdue, carry_over = case
    rows = {r["project_id"]: r for r in projects.to_dict("records")}
    facs = {r["facility_id"]: r for r in facilities.to_dict("records")}
    groups = [rows[p]["exclusive_group"] for p in plan if rows[p]["exclusive_group"]]
    if len(groups) != len(set(groups)):
        return None
    for p, year in plan.items():
        needed = rows[p]["requires"]
        if needed and (needed not in plan or plan[needed] > year):
            return None
    retire_year: dict[str, int] = {}
    for p, year in plan.items():
        if rows[p]["retire"] == "true":
            if rows[p]["facility_id"] in retire_year:
                return None
            retire_year[rows[p]["facility_id"]] = year
    for p in plan:
        if rows[p]["retire"] != "true" and rows[p]["facility_id"] in retire_year:
            return None
    closed_from: dict[str, int] = {}
    for target in targets:
        if target.kind != "min_line_capacity":
            continue
        deadline = deadline_of(target, last, overdue)
        if deadline is None:
            continue
        for fid, fac in facs.items():
            if fac["product"] in target.products and fac["capacity"] < target.value:
                closed_from[fid] = min(deadline, closed_from.get(fid, deadline))
    for fid, deadline in closed_from.items():
        if any(rows[p]["facility_id"] == fid and rows[p]["retire"] != "true" for p in plan):
            return None
        listed = [p for p, r in rows.items() if r["facility_id"] == fid and r["retire"] == "true"]
        if listed and not (fid in retire_year and retire_year[fid] <= deadline):
            return None
    spend = {y: 0.0 for y in budgets}
    for p, year in plan.items():
        for y, amount in payments(rows[p], year).items():
            spend[y] += amount
    if carry_over:
        paid = held = 0.0
        for y in sorted(budgets):
            paid, held = paid + spend[y], held + budgets[y]
            if paid > held + 1e-6:
                return None
    elif any(spend[y] > budgets[y] + 1e-6 for y in budgets):
        return None
    values = {}
    for target in targets:
        deadline = deadline_of(target, last, overdue)
        for year in range(Y0, last + 1):
            gone = {f for f, y in retire_year.items() if y <= year}
            gone |= {f for f, y in closed_from.items() if y <= year and
                     not any(r["facility_id"] == f and r["retire"] == "true" for r in rows.values())}
            if target.kind == "min_line_capacity":
                values[(target.target_id, year)] = float(sum(
                    1 for f, fac in facs.items() if fac["product"] in target.products
                    and fac["capacity"] < target.value and f not in gone))
                continue
            column = "baseline" if target.kind == "baseline_all" else "benchmark"
            weighted = total = 0.0
            for f, fac in facs.items():
                if fac["product"] not in target.products or f in gone:
                    continue
                cuts = sum(fac["energy_intensity"] - float(rows[p]["energy_intensity_after"]) for p, y in plan.items()
                           if y <= year and rows[p]["facility_id"] == f and rows[p]["energy_intensity_after"] != "")
                weight = fac["capacity"] * (fac["energy_intensity"] if target.weight == "energy" else 1.0)
                total += weight
                weighted += weight * (fac["energy_intensity"] - cuts <= PRODUCTS.at[fac["product"], column] + 1e-9)
            share = weighted / total if total > 0 else None
            values[(target.target_id, year)] = share
            required = 1.0 if target.kind == "baseline_all" else min(1.0, target.value + margin)
            binding = deadline is not None and year >= deadline
            if binding and not shortfall_allowed and share is not None and share < required - 1e-9:
                return None
    return spend, values


def plans(case):
    """Every assignment of each project to 'not chosen' or one year it may be in service."""
    _, projects, _, _, last, _, _ = case
    rows = projects.to_dict("records")
    options = [[None] + allowed_years(r, last) for r in rows]
    for combo in itertools.product(*options):
        yield {r["project_id"]: y for r, y in zip(rows, combo) if y is not None}


def cumulative_co2(case, plan: dict[str, int]) -> float:
    facilities, projects, _, _, last, _, _ = case
    co2 = co2_of(facilities, projects)
    return sum(co2[p] * (last - y + 1) for p, y in plan.items())


def shortfall_total(case, values: dict, margin: float = 0.0) -> float:
    _, _, targets, _, last, overdue, _ = case
    total = 0.0
    for target in targets:
        deadline = deadline_of(target, last, overdue)
        if target.kind == "min_line_capacity" or deadline is None:
            continue
        required = 1.0 if target.kind == "baseline_all" else min(1.0, target.value + margin)
        for year in range(deadline, last + 1):
            share = values[(target.target_id, year)]
            if share is not None:
                total += max(0.0, required - share)
    return total


def solve(case, **kwargs):
    facilities, projects, targets, budgets, last, overdue, carry_over = case
    horizon = make_horizon(Y0, last, budgets=budgets, carry_over=carry_over, overdue_deadline=overdue)
    return plan_roadmap(make_dataset(facilities, projects, targets), horizon, settings=EXACT,
                        **kwargs)


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roadmap_cases(), st.sampled_from([0.0, 0.0, 0.1]))
def test_roadmap_finds_the_brute_force_optimum(case, margin):
    best = None
    for plan in plans(case):
        if roadmap_check(case, plan, margin) is not None:
            value = cumulative_co2(case, plan)
            best = value if best is None else max(best, value)
    result = solve(case, options=PolicyOptions(margin=margin))
    event(f"status {result.status}, {len(result.schedule)} in service")
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.co2_cumulative_t == pytest.approx(best)
    plan = {row["project_id"]: row["in_service_year"] for row in result.schedule}
    checked = roadmap_check(case, plan, margin)
    assert checked is not None, "the roadmap breaks a rule"
    spend, values = checked
    assert result.co2_cumulative_t == pytest.approx(cumulative_co2(case, plan))
    budgets = case[3]
    for year, amount in spend.items():
        assert result.spend_by_year[year] == pytest.approx(amount)
        if not case[6]:
            assert result.spend_by_year[year] <= budgets[year] + 1e-6
    co2 = co2_of(case[0], case[1])
    assert result.co2_run_rate_t == pytest.approx(sum(co2[p] for p in plan))
    for row in result.targets_by_year:
        expected = values[(row["target_id"], row["year"])]
        assert (row["value"] is None) == (expected is None)
        if expected is not None:
            assert row["value"] == pytest.approx(expected)
        if row["binding"]:
            assert row["met"]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roadmap_cases(), st.sampled_from([1.0, 1e9]))
def test_roadmap_core_search_finds_the_brute_force_optimum(case, near):
    """The core search over (project, year) forced on tiny instances (zeros fixed outside the core; with
    CORE_NEAR huge its roadmap goes to the full search, presolve off, as a start)."""
    from unittest.mock import patch

    from optimizer.solving import highs

    best = None
    for plan in plans(case):
        if roadmap_check(case, plan) is not None:
            value = cumulative_co2(case, plan)
            best = value if best is None else max(best, value)
    with patch.object(highs, "CORE_MIN_PROJECTS", 1), patch.object(highs, "CORE_MIN_SIZE", 1), \
            patch.object(highs, "CORE_NEAR", near):
        facilities, projects, targets, budgets, last, overdue, carry_over = case
        horizon = make_horizon(Y0, last, budgets=budgets, carry_over=carry_over, overdue_deadline=overdue)
        result = plan_roadmap(make_dataset(facilities, projects, targets), horizon,
                              settings=SolverSettings(gap=0.0, time_limit=30))
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.co2_cumulative_t == pytest.approx(best)
    plan = {row["project_id"]: row["in_service_year"] for row in result.schedule}
    assert roadmap_check(case, plan) is not None


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roadmap_cases())
def test_closest_roadmap_has_the_least_shortfall_then_the_most_co2(case):
    """Closures whose retirement fits the horizon only: the closest roadmap keeps closures by order hard."""
    facilities, projects, targets, budgets, last, overdue, carry_over = case
    best = None
    for plan in plans(case):
        checked = roadmap_check(case, plan, shortfall_allowed=True)
        if checked is None:
            continue
        key = (round(shortfall_total(case, checked[1]), 9), -cumulative_co2(case, plan))
        best = key if best is None or key < best else best
    horizon = make_horizon(Y0, last, budgets=budgets, carry_over=carry_over, overdue_deadline=overdue)
    instance = prepare(make_dataset(facilities, projects, targets))
    closest = closest_roadmap(instance, targets, horizon, settings=EXACT)
    if best is None:
        # relaxed closures may still find one; the brute force keeps deadlines: only compare when it finds one
        return
    assert closest is not None
    total = sum(max(0.0, row["required"] - row["value"]) for row in closest.targets_by_year
                if row["binding"] and row["kind"] != "min_line_capacity" and row["value"] is not None)
    assert total == pytest.approx(best[0], abs=1e-6)
    assert closest.co2_cumulative_t == pytest.approx(-best[1], abs=1e-6)


# --- by hand ------------------------------------------------------------------------


def one_plant(projects, targets=(), **facility):
    facilities = pd.DataFrame([{"facility_id": "F", "sector": "steel", "product": "pa", "capacity": 1000,
                                "energy_intensity": 110.0, **facility}])
    base = {"co2_reduction": 10, "energy_intensity_after": "", "exclusive_group": "", "requires": "",
            "retire": "", "earliest_year": "", "lead_time_years": ""}
    frame = pd.DataFrame([{**base, "facility_id": "F", **p} for p in projects])
    return make_dataset(facilities, frame, list(targets))


def test_capex_is_spread_over_the_lead_years_and_co2_counts_from_service():
    dataset = one_plant([{"project_id": "A", "capex": 30, "lead_time_years": 3}])
    result = plan_roadmap(dataset, make_horizon(2026, 2030, budget_per_year=10), settings=EXACT)
    assert result.status == "optimal"
    assert result.schedule[0]["in_service_year"] == 2029
    assert result.schedule[0]["capex_by_year"] == {2026: 10.0, 2027: 10.0, 2028: 10.0}
    assert result.co2_cumulative_t == pytest.approx(20) and result.co2_run_rate_t == pytest.approx(10)
    record = result.to_dict()
    assert record["spend_by_year"] == {"2026": 10.0, "2027": 10.0, "2028": 10.0, "2029": 0.0, "2030": 0.0}
    assert record["schedule"][0]["capex_by_year"] == {"2026": 10.0, "2027": 10.0, "2028": 10.0}


def test_yearly_spend_never_exceeds_the_budget_even_within_solver_tolerance():
    """HiGHS accepts a budget row within 1e-6 of its budget; money may not (the roadmap's repair re-solve)."""
    budget = 100_000.0
    dataset = one_plant([{"project_id": "hair", "capex": budget * (1 + 5e-7), "co2_reduction": 100,
                          "lead_time_years": 0},
                         {"project_id": "small", "capex": 1, "co2_reduction": 1, "lead_time_years": 0}])
    result = plan_roadmap(dataset, make_horizon(2026, 2027, budget_per_year=budget), settings=EXACT)
    assert result.status == "optimal"
    assert all(result.spend_by_year[y] <= budget for y in (2026, 2027)), result.spend_by_year
    assert [row["project_id"] for row in result.schedule] == ["small"]
    assert result.budget_by_year == {2026: budget, 2027: budget}  # reported against the analyst's budgets


@pytest.mark.parametrize("carry_over", [False, True])
def test_a_repair_writes_the_budget_rows_in_the_scale_they_were_built_with(carry_over):
    """The money repair changes the budget rows' right-hand sides on the built model: same scale as the build."""
    from optimizer.program.build import build_model
    from optimizer.program.model import budget_rows

    dataset = one_plant([{"project_id": "a", "capex": 30_000, "co2_reduction": 10, "lead_time_years": 1},
                         {"project_id": "b", "capex": 0.5, "co2_reduction": 1, "lead_time_years": 0}])
    instance = prepare(dataset)
    budgets = {2026: 40_000.0, 2027: 0.25, 2028: 25_000.0}
    horizon = make_horizon(2026, 2028, budgets=budgets, carry_over=carry_over)
    model = build_model(instance, dataset.targets, horizon)
    rows = budget_rows(model, budgets)
    assert rows and all(rows[name] == pytest.approx(model.problem.get_constraint_by_name(name).getUb(), abs=1e-12)
                        for name in rows)
    halved = budget_rows(model, {y: b / 2 for y, b in budgets.items()})
    for name, rhs in halved.items():  # coefficients are fixed, so the row allows half the money
        assert rhs - 1e-9 == pytest.approx((rows[name] - 1e-9) / 2)


def test_projects_that_cannot_fit_are_listed_with_the_reason():
    dataset = one_plant([{"project_id": "late", "capex": 1, "earliest_year": 2031},
                         {"project_id": "long", "capex": 1, "lead_time_years": 6},
                         {"project_id": "ok", "capex": 1}])
    result = plan_roadmap(dataset, make_horizon(2026, 2030, budget_per_year=10), settings=EXACT)
    why = {row["project_id"]: row["why"] for row in result.cannot_fit}
    assert why == {"late": "earliest_year after the horizon", "long": "lead time longer than the horizon"}
    assert all("cannot fit the horizon" in row["reason_en"] and "无法纳入规划期" in row["reason_zh"]
               for row in result.cannot_fit)
    assert [row["project_id"] for row in result.schedule] == ["ok"]


def test_an_overdue_target_holds_from_the_overdue_deadline_and_says_when_it_can_be_met():
    deep = {"project_id": "deep", "capex": 10, "energy_intensity_after": 95.0, "earliest_year": 2027}
    target = Target("nh3", "benchmark_share_min", ("pa",), 0.6, year=2025)
    dataset = one_plant([deep], [target])
    horizon = make_horizon(2026, 2030, budget_per_year=10)
    result = plan_roadmap(dataset, horizon, settings=EXACT)
    assert result.status == "infeasible" and result.diagnosis is None  # in service 2028 at the earliest; due 2027
    diagnosis = diagnose_roadmap(prepare(dataset), dataset.targets, horizon, settings=EXACT)
    assert diagnosis.missed[0]["target_id"] == "nh3" and diagnosis.missed[0]["year"] == 2027
    assert diagnosis.earliest == [{"target_id": "nh3", "deadline": 2027, "earliest_year": 2028,
                                      "proven": True}]
    assert diagnosis.closest is not None and diagnosis.closest["schedule"][0]["in_service_year"] == 2028
    later = plan_roadmap(dataset, make_horizon(2026, 2030, budget_per_year=10, overdue_deadline=2028),
                         settings=EXACT)
    assert later.status == "optimal"
    rows = {(r["year"]): r for r in later.targets_by_year}
    assert not rows[2027]["binding"] and not rows[2027]["met"] and rows[2028]["binding"] and rows[2028]["met"]


def test_a_small_line_without_retirement_row_closes_in_the_deadline_year():
    facilities = pd.DataFrame([
        {"facility_id": "big", "sector": "building_materials", "product": "pb", "capacity": 900,
         "energy_intensity": 9.0},
        {"facility_id": "small", "sector": "building_materials", "product": "pb", "capacity": 100,
         "energy_intensity": 13.0}])
    projects = pd.DataFrame([{"project_id": "solar", "facility_id": "small", "capex": 1, "co2_reduction": 5,
                              "energy_intensity_after": "", "exclusive_group": "", "requires": "", "retire": ""}])
    targets = [Target("small_lines", "min_line_capacity", ("pb",), 200, year=2028)]
    dataset = make_dataset(facilities, projects, targets)
    result = plan_roadmap(dataset, make_horizon(2026, 2030, budget_per_year=10), settings=EXACT)
    assert result.status == "optimal" and result.schedule == []
    assert result.closed_by_order[0]["facility_id"] == "small" and result.closed_by_order[0]["year"] == 2028
    values = {r["year"]: r["value"] for r in result.targets_by_year}
    assert values == {2026: 1.0, 2027: 1.0, 2028: 0.0, 2029: 0.0, 2030: 0.0}


@pytest.mark.parametrize("first, last, per_year, table, overdue, words", [
    (2030, 2026, 10.0, None, None, "ends (2026) before it starts (2030)"),
    (2026, 2027, -1.0, None, None, "must be a number ≥ 0"),
    (2026, 2027, None, {2026: 5.0, 2027: -3.0}, None, "the budget of 2027"),
    (2026, 2028, None, {2026: 5.0}, None, "no budget given for 2027, 2028"),
    (2026, 2028, None, None, None, "a budget per year"),
    (2026, 2028, 5.0, None, 2024, "overdue deadline 2024"),
])
def test_bad_settings_are_named_in_both_languages(first, last, per_year, table, overdue, words):
    problems = horizon_problems(first, last, per_year, table, overdue)
    assert any(words in en for en, _ in problems)
    assert all(zh for _, zh in problems)
    with pytest.raises(RoadmapSettingsError):
        make_horizon(first, last, budget_per_year=per_year, budgets=table, overdue_deadline=overdue)
