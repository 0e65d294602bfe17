"""The optimizer against brute force on small random instances.

Every constraint kind appears: budget, exclusive groups, prerequisites,
retirements, capacity- and energy-weighted benchmark shares, baseline for
all, small-line elimination; many instances are infeasible. The checker
below reads the policy directly and shares no code with the optimizer.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import SolverSettings, Target, build_dataset, highs, optimize, prepare
from optimizer.reading import RawTable

PRODUCTS = pd.DataFrame(
    {"sector": ["steel", "steel"], "unit": ["t", "m2"], "benchmark": [100.0, 10.0], "baseline": [120.0, 14.0]},
    index=pd.Index(["pa", "pb"], name="product"),
)
EXACT = SolverSettings(gap=0.0, time_limit=30)


@st.composite
def instances(draw):
    n_facilities = draw(st.integers(1, 3))
    facilities = []
    for f in range(n_facilities):
        product = draw(st.sampled_from(["pa", "pb"]))
        level = 100.0 if product == "pa" else 10.0
        facilities.append({
            "facility_id": f"F{f}", "sector": "steel", "product": product,
            "capacity": draw(st.integers(1, 10)) * 100,
            "energy_intensity": level * draw(st.sampled_from([0.95, 1.1, 1.3])),
        })
    n_projects = draw(st.integers(1, 8))
    projects = []
    for p in range(n_projects):
        f = draw(st.integers(0, n_facilities - 1))
        level = 100.0 if facilities[f]["product"] == "pa" else 10.0
        retire = draw(st.booleans()) and draw(st.booleans())
        after = None if retire else draw(st.sampled_from([None, 0.9, 1.0, 1.15, 1.25]))
        requires = ""
        if p > 0 and draw(st.integers(0, 4)) == 0:
            requires = f"P{draw(st.integers(0, p - 1))}"
        projects.append({
            "project_id": f"P{p}", "facility_id": f"F{f}", "capex": draw(st.integers(0, 50)),
            "co2_reduction": draw(st.integers(0, 60)),
            "energy_intensity_after": "" if after is None else level * after,
            "exclusive_group": draw(st.sampled_from(["", "", "g1", "g2"])),
            "requires": requires, "retire": "true" if retire else "",
        })
    targets = []
    if draw(st.booleans()):
        targets.append(Target("share_cap", "benchmark_share_min", ("pa",), draw(st.sampled_from([0.3, 0.5, 0.8]))))
    if draw(st.booleans()):
        targets.append(Target("share_energy", "benchmark_share_min", ("pa", "pb"),
                              draw(st.sampled_from([0.2, 0.5])), weight="energy"))
    if draw(st.booleans()):
        targets.append(Target("baseline", "baseline_all", ("pb",), 1.0))
    if draw(st.booleans()):
        targets.append(Target("small", "min_line_capacity", ("pa", "pb"), draw(st.sampled_from([150, 300]))))
    budget = draw(st.integers(0, 150))
    return pd.DataFrame(facilities), pd.DataFrame(projects), targets, budget


def make_dataset(facilities: pd.DataFrame, projects: pd.DataFrame, targets: list[Target]):
    tables = [RawTable("facilities", "facilities.csv", facilities.astype(str), list(range(2, len(facilities) + 2))),
              RawTable("projects", "projects.csv", projects.astype(str), list(range(2, len(projects) + 2)))]
    return build_dataset(tables, reference_products=PRODUCTS, reference_targets=targets)


# --- the independent checker ------------------------------------------------


def check(facilities: pd.DataFrame, projects: pd.DataFrame, targets: list[Target], subset: set[str]) -> dict | None:
    """Target values if ``subset`` obeys every rule, else None (budget not included)."""
    chosen = projects[projects["project_id"].isin(subset)]
    for group, rows in chosen.groupby("exclusive_group"):
        if group and len(rows) > 1:
            return None
    for _, row in chosen.iterrows():
        if row["requires"] and row["requires"] not in subset:
            return None
    retired = set(chosen.loc[chosen["retire"] == "true", "facility_id"])
    if (chosen["retire"] == "true").sum() > len(retired):
        return None  # two retirements of one facility
    if any(row["facility_id"] in retired and row["retire"] != "true" for _, row in chosen.iterrows()):
        return None
    values = {}
    for target in targets:
        level_column = "baseline" if target.kind == "baseline_all" else "benchmark"
        weighted, total, small_left = 0.0, 0.0, 0
        for _, fac in facilities.iterrows():
            if fac["product"] not in target.products:
                continue
            if target.kind == "min_line_capacity":
                small_left += fac["capacity"] < target.value and fac["facility_id"] not in retired
                continue
            if fac["facility_id"] in retired:
                continue
            level = PRODUCTS.at[fac["product"], level_column]
            own = chosen[chosen["facility_id"] == fac["facility_id"]]
            afters = [float(a) for a in own["energy_intensity_after"] if a != ""]
            reached = fac["energy_intensity"] <= level + 1e-9 or any(a <= level + 1e-9 for a in afters)
            weight = fac["capacity"] * (fac["energy_intensity"] if target.weight == "energy" else 1.0)
            total += weight
            weighted += weight * reached
        if target.kind == "min_line_capacity":
            values[target.target_id] = float(small_left)
            if small_left:
                return None
            continue
        share = weighted / total if total > 0 else None
        values[target.target_id] = share
        required = 1.0 if target.kind == "baseline_all" else target.value
        if share is not None and share < required - 1e-9:
            return None
    return values


def brute_force(facilities, projects, targets, budget, objective="co2", co2_goal=None):
    """Best objective over every subset, or None when no subset is feasible."""
    best = None
    ids = list(projects["project_id"])
    capex = dict(zip(ids, projects["capex"]))
    co2 = dict(zip(ids, projects["co2_reduction"]))
    for size in range(len(ids) + 1):
        for subset in itertools.combinations(ids, size):
            spend = sum(capex[p] for p in subset)
            cut = sum(co2[p] for p in subset)
            if budget is not None and spend > budget:
                continue
            if co2_goal is not None and cut < co2_goal:
                continue
            if check(facilities, projects, targets, set(subset)) is None:
                continue
            value = cut if objective == "co2" else spend
            if best is None or (value > best if objective == "co2" else value < best):
                best = value
    return best


# --- the properties ---------------------------------------------------------


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_highs_finds_the_brute_force_optimum(case):
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, budget, settings=EXACT, diagnose=False)
    assert_brute_force_optimum(case, result)


def assert_brute_force_optimum(case, result) -> None:
    """The result is the best subset's CO2 cut, obeys every rule, and reports its targets truthfully."""
    facilities, projects, targets, budget = case
    best = brute_force(facilities, projects, targets, budget)
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.co2_reduction_t == pytest.approx(best)
    assert result.spend <= budget + 1e-9
    assert result.bound >= result.co2_reduction_t - 1e-6
    values = check(facilities, projects, targets, set(result.selected))
    assert values is not None, "the chosen portfolio breaks a rule"
    for outcome in result.targets:
        assert outcome.met
        expected = values[outcome.target_id]
        assert (outcome.after is None) == (expected is None)
        if expected is not None:
            assert outcome.after == pytest.approx(expected)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_core_search_finds_the_brute_force_optimum(case):
    """The fast path for large lists (LP bound, then the core MIP), forced on small instances."""
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(highs, "CORE_MIN_PROJECTS", 1)
        patch.setattr(highs, "CORE_MIN_SIZE", 1)
        result = optimize(dataset, budget, settings=EXACT, diagnose=False)
    assert_brute_force_optimum(case, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 150))
def test_least_capex_mode_matches_brute_force(case, co2_goal):
    facilities, projects, targets, _ = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, None, "cost", co2_goal, settings=EXACT, diagnose=False)
    best = brute_force(facilities, projects, targets, None, "cost", co2_goal)
    if best is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal"
        assert result.spend == pytest.approx(best)
        assert result.co2_reduction_t >= co2_goal - 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_cbc_agrees_with_highs(case):
    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    highs = optimize(instance, budget, targets=targets, settings=EXACT, diagnose=False)
    cbc = optimize(instance, budget, targets=targets, settings=SolverSettings("cbc", 30, 0.0), diagnose=False)
    assert highs.status == cbc.status
    assert highs.co2_reduction_t == pytest.approx(cbc.co2_reduction_t)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_least_budget_of_the_diagnosis_is_the_true_minimum(case):
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, budget, settings=EXACT)
    if result.status != "infeasible":
        return
    least = brute_force(facilities, projects, targets, None, "cost")
    diagnosis = result.diagnosis
    if least is None:
        assert diagnosis["least_budget"] is None
    else:
        assert diagnosis["least_budget"] == pytest.approx(least)
        assert least > budget
