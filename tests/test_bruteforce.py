"""The optimizer against brute force on small random instances (the checker: tests/support/oracle.py).

Every constraint kind appears: budget, exclusive groups, prerequisites,
retirements, capacity- and energy-weighted benchmark shares, baseline for
all, small-line elimination (closure by order); many instances are
infeasible. Intensity cuts add up and may be negative; closures with no CO2
figure are credited net of replacement at benchmark. The checker below reads
the policy directly and shares no code with the optimizer.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import SolverSettings, Target, optimize, prepare
from optimizer.answers.diagnosis import closest_portfolio, diagnose
from optimizer.answers.roadmap import plan_roadmap
from optimizer.program import model
from optimizer.program.build import build_model
from optimizer.program.horizon import AsOf, make_horizon
from optimizer.program.model import PolicyOptions, budget_rows
from optimizer.solving import highs, lagrange
from optimizer.solving.solve import solve_again, solve_model

from .conftest import examples
from .support.families import make_family
from .support.oracle import (
    COAL_T_PER_TCE,
    EXACT,
    brute_force,
    brute_force_closest,
    check,
    co2_of,
    instances,
    make_dataset,
)

# --- the properties ---------------------------------------------------------


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_highs_finds_the_brute_force_optimum(case):
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, budget=budget, settings=EXACT)
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
    co2 = co2_of(facilities, projects)
    assert result.co2_reduction_t == pytest.approx(sum(co2[p] for p in result.selected))
    for outcome in result.targets:
        assert outcome.met
        expected = values[outcome.target_id]
        assert (outcome.after is None) == (expected is None)
        if expected is not None:
            assert outcome.after == pytest.approx(expected)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_excluded_projects_are_never_chosen_and_the_rest_is_optimal(case, data):
    """"Exclude this project and re-solve": the best portfolio among those without it, single-year and roadmap."""
    facilities, projects, targets, budget = case
    ids = list(projects["project_id"])
    excluded = tuple(data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True)))
    dataset = make_dataset(facilities, projects, targets)
    options = PolicyOptions(excluded=excluded)
    result = optimize(dataset, budget=budget, options=options, settings=EXACT)
    best = brute_force(facilities, projects, targets, budget, excluded=excluded)
    if best is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal" and result.co2_reduction_t == pytest.approx(best)
        assert not set(result.selected) & set(excluded)
    now = make_dataset(facilities, projects.assign(lead_time_years=0), targets)  # a horizon of one year
    roadmap = plan_roadmap(now, make_horizon(2026, 2026, budget_per_year=budget), options=options, settings=EXACT)
    assert not {row["project_id"] for row in roadmap.schedule} & set(excluded)
    assert roadmap.status == result.status
    if best is not None:
        assert roadmap.co2_cumulative_t == pytest.approx(best)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_core_search_finds_the_brute_force_optimum(case):
    """The fast path for large lists (LP bound, then the core MIP), forced on small instances."""
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(highs, "CORE_MIN_PROJECTS", 1)
        patch.setattr(highs, "CORE_MIN_SIZE", 1)
        result = optimize(dataset, budget=budget, settings=EXACT)
    assert_brute_force_optimum(case, result)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 150))
def test_least_capex_mode_matches_brute_force(case, co2_goal):
    facilities, projects, targets, _ = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, objective="cost", co2_goal=co2_goal, settings=EXACT)
    best = brute_force(facilities, projects, targets, None, "cost", co2_goal)
    if best is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal"
        assert result.spend == pytest.approx(best)
        assert result.co2_reduction_t >= co2_goal - 1e-9


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_cbc_agrees_with_highs(case):
    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    highs = optimize(instance, budget=budget, targets=targets, settings=EXACT)
    cbc = optimize(instance, budget=budget, targets=targets, settings=SolverSettings("cbc", 30, 0.0))
    assert highs.status == cbc.status
    assert highs.co2_reduction_t == pytest.approx(cbc.co2_reduction_t)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_least_budget_of_the_diagnosis_is_the_true_minimum(case):
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, budget=budget, settings=EXACT)
    if result.status != "infeasible":
        return
    diagnosis = diagnose(prepare(dataset), targets, budget=budget, settings=EXACT)
    least = brute_force(facilities, projects, targets, None, "cost")
    if least is None:
        assert diagnosis.least_budget is None
    else:
        assert diagnosis.least_budget == pytest.approx(least)
        assert least > budget


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0.0, 0.0, 0.05, 0.25]))
def test_closest_portfolio_has_the_least_shortfall_then_the_most_co2(case, margin):
    """When the targets cannot be met, the closest portfolio within the budget, against enumeration."""
    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    options = PolicyOptions(margin=margin)
    closest = closest_portfolio(instance, targets, budget=budget, options=options, settings=EXACT)
    expected = brute_force_closest(facilities, projects, targets, budget, margin)
    if expected is None:
        assert closest is None
        return
    assert closest is not None
    assert closest["total_shortfall"] == pytest.approx(expected[0], abs=1e-6)
    assert closest["co2_reduction_t"] == pytest.approx(expected[1], abs=1e-6)
    assert closest["spend"] <= budget + 1e-9
    values = check(facilities, projects, targets, set(closest["selected"]), margin, shortfall_allowed=True)
    assert values is not None, "the closest portfolio breaks a rule of the list"
    for row in closest["targets"]:
        if values[row["target_id"]] is not None and row["after"] is not None:
            assert row["after"] == pytest.approx(values[row["target_id"]])


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0.02, 0.1, 0.3]))
def test_margin_raises_every_share_target(case, margin):
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    result = optimize(dataset, budget=budget, options=PolicyOptions(margin=margin), settings=EXACT)
    best = brute_force(facilities, projects, targets, budget, margin=margin)
    if best is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal"
        assert result.co2_reduction_t == pytest.approx(best)
        for outcome in result.targets:
            assert outcome.met
            if outcome.kind == "benchmark_share_min":
                target = next(t for t in targets if t.target_id == outcome.target_id)
                assert outcome.required == pytest.approx(min(1.0, target.value + margin))


# --- the accounting cases of the issue, by hand --------------------------------


def ammonia_case(extra_projects=(), targets=None):
    facilities = pd.DataFrame([{"facility_id": "NH3", "sector": "petrochemical", "product": "pa",
                                "capacity": 1000, "energy_intensity": 110.0}])
    projects = pd.DataFrame([
        {"project_id": "heat", "facility_id": "NH3", "capex": 10, "co2_reduction": 50,
         "energy_intensity_after": 105.0, "exclusive_group": "", "requires": "", "retire": ""},
        {"project_id": "reformer", "facility_id": "NH3", "capex": 10, "co2_reduction": 50,
         "energy_intensity_after": 105.0, "exclusive_group": "", "requires": "", "retire": ""},
        *extra_projects])
    targets = targets or [Target("nh3", "benchmark_share_min", ("pa",), 0.6)]
    return facilities, projects, targets


def test_two_partial_cuts_add_up_to_benchmark():
    """1,100 → 1,050 twice reaches a benchmark of 1,000 (scaled by 10 here): feasible, both chosen."""
    facilities, projects, targets = ammonia_case()
    result = optimize(make_dataset(facilities, projects, targets), budget=100, settings=EXACT)
    assert result.status == "optimal"
    assert sorted(result.selected) == ["heat", "reformer"]
    assert result.targets[0].after == pytest.approx(1.0)
    assert optimize(make_dataset(facilities, projects, targets), budget=15, settings=EXACT).status == "infeasible"


def test_a_project_that_raises_intensity_counts_with_its_sign():
    """Carbon capture on a plant at benchmark pushes it back above: the share target forbids it."""
    ccs = {"project_id": "ccs", "facility_id": "NH3", "capex": 1, "co2_reduction": 500,
           "energy_intensity_after": 125.0, "exclusive_group": "", "requires": "", "retire": ""}
    facilities, projects, targets = ammonia_case([ccs])
    result = optimize(make_dataset(facilities, projects, targets), budget=100, settings=EXACT)
    assert result.status == "optimal"
    assert "ccs" not in result.selected
    free = optimize(make_dataset(facilities, projects, []), budget=100, settings=EXACT)
    assert "ccs" in free.selected


def test_a_small_line_without_retirement_row_is_closed_by_order():
    facilities = pd.DataFrame([
        {"facility_id": "big", "sector": "building_materials", "product": "pb", "capacity": 900,
         "energy_intensity": 13.0},
        {"facility_id": "small", "sector": "building_materials", "product": "pb", "capacity": 100,
         "energy_intensity": 9.0}])
    projects = pd.DataFrame([
        {"project_id": "kiln", "facility_id": "big", "capex": 10, "co2_reduction": 40,
         "energy_intensity_after": 9.5, "exclusive_group": "", "requires": "", "retire": ""},
        {"project_id": "solar", "facility_id": "small", "capex": 1, "co2_reduction": 5,
         "energy_intensity_after": "", "exclusive_group": "", "requires": "", "retire": ""}])
    targets = [Target("small_lines", "min_line_capacity", ("pb",), 200),
               Target("share", "benchmark_share_min", ("pb",), 0.5)]
    result = optimize(make_dataset(facilities, projects, targets), budget=100, settings=EXACT)
    assert result.status == "optimal"
    assert result.closed_by_order == ["small"]
    assert result.selected == ["kiln"]  # the closed line takes no project
    assert result.co2_structural_t == 0.0  # closed at no cost and no CO2 credit
    share = next(t for t in result.targets if t.target_id == "share")
    assert share.before == pytest.approx(0.1) and share.after == pytest.approx(1.0)


def test_a_closure_with_blank_co2_is_credited_net_of_replacement():
    facilities = pd.DataFrame([{"facility_id": "old", "sector": "steel", "product": "pa", "capacity": 1000,
                                "energy_intensity": 130.0}])
    projects = pd.DataFrame([{"project_id": "close", "facility_id": "old", "capex": 5, "co2_reduction": "",
                              "energy_intensity_after": "", "exclusive_group": "", "requires": "",
                              "retire": "true"}])
    result = optimize(make_dataset(facilities, projects, []), budget=10, settings=EXACT)
    assert result.selected == ["close"]
    assert result.co2_reduction_t == pytest.approx(1000 * (130 - 100) / 1000 * COAL_T_PER_TCE)
    assert result.co2_structural_t == pytest.approx(result.co2_reduction_t)
    assert result.co2_technical_t == 0.0
    assert result.energy_saving_tce == pytest.approx(30.0)


# --- the speed-ups: each path forced on small instances -------------------------


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_core_portfolio_handed_to_the_full_search_is_still_the_optimum(case):
    """A core portfolio near the LP bound goes to the full search as its start (CORE_NEAR forced)."""
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(highs, "CORE_MIN_PROJECTS", 1)
        patch.setattr(highs, "CORE_MIN_SIZE", 1)
        patch.setattr(highs, "CORE_NEAR", 1e9)
        result = optimize(dataset, budget=budget, settings=EXACT)
    assert_brute_force_optimum(case, result)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_without_pair_covers_the_optimum_is_the_same(case):
    """The cover rows only tighten the LP: with none of the pair rows the answer is the brute-force one too."""
    from optimizer.program import model as model_module

    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_module, "PAIR_COVER_MAX", -1)
        result = optimize(dataset, budget=budget, settings=EXACT)
    assert_brute_force_optimum(case, result)


def _enumerate_instance(instance, targets, budget):
    """Most CO2 over every subset of a small Instance, read straight from the rules (None: infeasible)."""
    import numpy as np

    from optimizer.program.closures import closed_mask, closures_by_order
    from optimizer.program.targets import evaluate_portfolio

    closed = closed_mask(instance, closures_by_order(instance, targets))
    best = None
    n = instance.n_projects
    for bits in range(1 << n):
        chosen = np.array([(bits >> i) & 1 for i in range(n)], dtype=bool)
        if instance.capex[chosen].sum() > budget + 1e-9:
            continue
        if any(chosen[g].sum() > 1 for g in instance.groups):
            continue
        if any(chosen[p] and not chosen[q] for p, q in instance.prerequisites):
            continue
        retired = np.bincount(instance.facility[chosen & instance.retire], minlength=instance.n_facilities)
        if (retired > 1).any():
            continue
        stopped = (retired > 0) | closed
        if (chosen & ~instance.retire & stopped[instance.facility]).any():
            continue
        if any(closed[f] and instance.retire[instance.projects_of[f]].any() and retired[f] == 0
               for f in range(instance.n_facilities)):
            continue
        if not all(t.met for t in evaluate_portfolio(instance, targets, chosen)):
            continue
        co2 = float(instance.co2[chosen].sum())
        best = co2 if best is None or co2 > best else best
    return best


@pytest.mark.slow
@pytest.mark.parametrize("family", ["classic", "holdout", "sparse", "dense_additive", "retire_heavy"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_12_project_instance_of_every_benchmark_family_against_enumeration(family, seed):
    case = make_family(family, 12, seed)
    for budget in (case.budget, 0.5 * case.budget, 0.25 * float(case.instance.capex.sum())):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(highs, "CORE_MIN_PROJECTS", 1)
            patch.setattr(highs, "CORE_MIN_SIZE", 1)
            result = optimize(case.instance, budget=budget, targets=case.targets, settings=EXACT)
        best = _enumerate_instance(case.instance, case.targets, budget)
        if best is None:
            assert result.status == "infeasible"
        else:
            assert result.status == "optimal"
            assert result.co2_reduction_t == pytest.approx(best)
            assert all(t.met for t in result.targets)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0.0, 0.3, 0.7, 0.95]), st.booleans())
def test_solving_again_under_a_cut_budget_finds_the_brute_force_optimum(case, share, core):
    """A money repair re-solves the model already built (core first, when forced) with a tighter budget row."""
    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    with pytest.MonkeyPatch.context() as patch:
        if core:
            patch.setattr(highs, "CORE_MIN_PROJECTS", 1)
            patch.setattr(highs, "CORE_MIN_SIZE", 1)
        model = build_model(instance, targets, AsOf.of().horizon(budget))
        first = solve_model(model, EXACT)
        if first.status != "optimal" or model.problem.get_constraint_by_name(f"budget_{model.horizon.last}") is None:
            return
        tighter = budget * share
        again = solve_again(model, first, budget_rows(model, {model.horizon.last: tighter}), EXACT)
    best = brute_force(facilities, projects, targets, tighter)
    if best is None:
        assert again.status == "infeasible"
        return
    assert again.status == "optimal"
    assert instance.co2[again.chosen].sum() == pytest.approx(best)
    assert instance.capex[again.chosen].sum() <= tighter + 1e-9


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.lists(st.floats(0.0, 40.0), min_size=8, max_size=8), st.sampled_from([0.0, 0.05]),
       st.booleans())
def test_the_lagrangian_bound_is_never_below_the_brute_force_optimum(case, prices, margin, exclude):
    """L(π) bounds the best portfolio at any prices π ≥ 0: the listing of facility sets only ever relaxes the model."""
    facilities, projects, targets, budget = case
    excluded = (str(projects["project_id"].iloc[0]),) if exclude else ()
    instance = prepare(make_dataset(facilities, projects, targets))
    options = PolicyOptions(margin=margin, excluded=excluded)
    model = build_model(instance, targets, AsOf.of().horizon(budget), options=options)
    rows = lagrange.coupling_rows(model)
    sets = None if rows is None else lagrange.list_sets(instance, rows)
    best = brute_force(facilities, projects, targets, budget, margin=margin, excluded=excluded)
    if sets is None or best is None or model.violated:
        return
    for multipliers in (np.zeros(len(sets.rhs)), np.array(prices[:len(sets.rhs)])):
        bound, _, _ = lagrange.evaluate(sets, multipliers)
        assert bound * model.objective_scale >= best - 1e-6 * max(1.0, best)
    least = lagrange.lagrangian_bound(model, tolerance=1e-6)
    assert least is not None and least.bound * model.objective_scale >= best - 1e-6 * max(1.0, best)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["classic", "holdout", "sparse", "dense_additive", "retire_heavy"])
def test_the_lagrangian_and_the_lp_proofs_agree_on_5000_projects_of_every_family(family):
    """Two independent proofs of the same 5,000-project list: each portfolio lies within the other's bound."""
    case = make_family(family, 5000, 7)
    gap = SolverSettings(gap=1e-3)
    priced = optimize(case.instance, budget=case.budget, targets=case.targets, settings=gap)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lagrange, "MAX_LISTED_SETS", 0)  # too many sets to list: the LP bound as before
        plain = optimize(case.instance, budget=case.budget, targets=case.targets, settings=gap)
    assert "Lagrangian" in priced.message and "Lagrangian" not in plain.message
    for one, other in ((priced, plain), (plain, priced)):
        assert one.status == "optimal" and one.spend <= case.budget and all(t.met for t in one.targets)
        assert one.co2_reduction_t <= other.bound + 1e-6 * other.bound
        assert one.co2_reduction_t >= (1 - 1e-3) * other.bound - 1e-6 * other.bound


def test_a_start_portfolio_never_comes_back_as_the_answer():
    """Found by Hypothesis: HiGHS proved 3 t but handed back its start portfolio's values (1 t)."""
    facilities = pd.DataFrame([{"facility_id": "F0", "sector": "steel", "product": "pa", "capacity": 100,
                                "energy_intensity": 110.0}])
    rows = [("P0", 12, 0, "", "", "true"), ("P1", 12, 0, "", "", ""), ("P2", 0, 0, "", "P0", ""),
            ("P3", 4, 2, "", "P1", ""), ("P4", 17, 0, "90.0", "", ""), ("P5", 1, 1, "105.0", "", ""),
            ("P6", 12, 0, "90.0", "", "")]
    projects = pd.DataFrame([{"project_id": p, "facility_id": "F0", "capex": capex, "co2_reduction": co2,
                              "energy_intensity_after": after, "exclusive_group": "", "requires": requires,
                              "retire": retire} for p, capex, co2, after, requires, retire in rows])
    targets = [Target("share_cap", "benchmark_share_min", ("pa",), 0.3)]
    instance = prepare(make_dataset(facilities, projects, targets))
    closest = closest_portfolio(instance, targets, budget=45, settings=EXACT)
    assert closest is not None and closest["total_shortfall"] == 0.0
    assert closest["co2_reduction_t"] == 3.0 and sorted(closest["selected"]) == ["P1", "P3", "P5", "P6"]


def test_a_model_whose_objective_was_replaced_is_not_priced():
    """The alternatives replace the CO2 objective by a distance: a bound on CO2 would prove nothing about it."""
    from optimizer.answers.alternatives import add_distance_objective

    facilities = pd.DataFrame([{"facility_id": "F0", "sector": "steel", "product": "pa", "capacity": 100,
                                "energy_intensity": 110.0}])
    projects = pd.DataFrame([{"project_id": f"P{i}", "facility_id": "F0", "capex": 1 + i, "co2_reduction": 5 - i,
                              "energy_intensity_after": "", "exclusive_group": "", "requires": "", "retire": ""}
                             for i in range(3)])
    instance = prepare(make_dataset(facilities, projects, []))
    model = build_model(instance, [], AsOf.of().horizon(3.0))
    assert lagrange.coupling_rows(model) is not None
    add_distance_objective(model, [np.array([True, False, False])])
    assert lagrange.coupling_rows(model) is None


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 100.0), st.integers(-1, 2)), min_size=1, max_size=8), st.data())
def test_what_a_facility_reaches_without_a_project_or_two_is_a_fresh_sum(projects, data):
    """The level covers' shortcut (one subtraction per question) against summing what is left anew."""
    instance = SimpleNamespace(reduction=np.array([r for r, _ in projects]),
                               group_of=np.array([g for _, g in projects]))
    helpful = list(range(len(projects)))
    reach = model._Reach(instance, helpful)  # type: ignore[arg-type]
    left_out = data.draw(st.lists(st.sampled_from(helpful), min_size=1, max_size=2, unique=True))
    rest = [p for p in helpful if p not in left_out]
    assert reach.without(*left_out) == pytest.approx(model._best_reduction(instance, rest), abs=1e-9)  # type: ignore[arg-type]
