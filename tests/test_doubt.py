"""Decisions under doubt against brute force: alternatives, the Monte Carlo, the robust pick, cut-first.

The brute-force checkers read the policy directly: ``check`` (budget-free
project rules and the model's present target reading) comes from
test_bruteforce; ``additive_met`` below is the contract's additive intensity
accounting, written per facility in plain Python, sharing no code with
:mod:`optimizer.answers.uncertainty`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from optimizer import SolverSettings, prepare
from optimizer.answers.alternatives import near_optimal_alternatives
from optimizer.answers.cutfirst import cut_first
from optimizer.answers.uncertainty import (
    Spreads,
    draw_projects,
    evaluate_draws,
    intensity_reductions,
    robust_portfolio,
    simulate,
)
from optimizer.program.model import PolicyOptions
from optimizer.program.targets import evaluate_portfolio

from .conftest import examples
from .support.oracle import PRODUCTS, brute_force, check, closed_by_order, co2_of, instances, make_dataset

EXACT = SolverSettings(gap=0.0, time_limit=30)
FEW = settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def subsets(ids):
    for size in range(len(ids) + 1):
        yield from itertools.combinations(ids, size)


# --- near-optimal alternatives -----------------------------------------------------


@FEW
@given(instances(), st.sampled_from([0.0, 0.1, 0.3]), st.integers(2, 4))
def test_alternatives_are_feasible_distinct_and_within_the_slack(case, slack, count):
    facilities, projects, targets, budget = case
    dataset = make_dataset(facilities, projects, targets)
    instance = prepare(dataset)
    result = near_optimal_alternatives(instance, budget=budget, targets=targets, count=count, slack=slack,
                                       settings=EXACT)
    best = brute_force(facilities, projects, targets, budget)
    event("alternatives: infeasible" if best is None else f"alternatives: {len(result.alternatives)} found")
    if best is None:
        assert result.status == "infeasible" and result.alternatives == []
        return
    assert result.alternatives[0].co2_reduction_t == pytest.approx(best)
    capex = dict(zip(projects["project_id"], projects["capex"]))
    co2 = co2_of(facilities, projects)
    seen = set()
    for alternative, chosen in zip(result.alternatives, result.chosen):
        subset = frozenset(alternative.selected)
        assert subset not in seen, "an alternative repeats an earlier one"
        seen.add(subset)
        assert sum(capex[p] for p in subset) <= budget + 1e-9
        assert check(facilities, projects, targets, set(subset)) is not None, "an alternative breaks a rule"
        assert all(t.met for t in evaluate_portfolio(instance, targets, chosen))
        assert alternative.co2_reduction_t >= best - slack * abs(best) - 1e-6
    # Fewer than asked only when no other distinct portfolio qualifies.
    qualifying = {frozenset(s) for s in subsets(list(projects["project_id"]))
                  if sum(capex[p] for p in s) <= budget and sum(co2[p] for p in s) >= best - slack * abs(best) - 1e-6
                  and check(facilities, projects, targets, set(s)) is not None}
    assert seen <= qualifying
    assert len(seen) == min(count, len(qualifying))
    labels = result.labels
    for pid in projects["project_id"]:
        inside = [pid in s for s in seen]
        assert labels[pid] == ("must_have" if all(inside) else "swappable" if any(inside) else "never")


def test_excluded_project_is_never_chosen(tiny_folder):
    from optimizer import load_dataset

    dataset = load_dataset(tiny_folder)
    instance = prepare(dataset)
    result = near_optimal_alternatives(instance, budget=8000, targets=dataset.targets, count=3, exclude=["P7"])
    assert result.alternatives and all("P7" not in a.selected for a in result.alternatives)
    assert result.labels["P7"] == "never"
    # the same exclusion as a policy option (the app's Settings.excluded) reaches every doubt tool
    options = PolicyOptions(excluded=("P7",))
    again = near_optimal_alternatives(instance, budget=8000, targets=dataset.targets, count=3, options=options)
    assert [a.selected for a in again.alternatives] == [a.selected for a in result.alternatives]
    levels = cut_first(instance, budget=8000, targets=dataset.targets, options=options).levels
    assert levels and all("P7" not in level.selected for level in levels)


# --- the additive accounting, by hand ---------------------------------------------------


def additive_met(facilities: pd.DataFrame, projects: pd.DataFrame, targets, subset: set[str],
                 factor: dict[str, float]) -> dict[str, bool]:
    """Each target met under the additive reading, each reduction scaled by ``factor[project]``."""
    chosen = projects[projects["project_id"].isin(subset)]
    retired = set(chosen.loc[chosen["retire"] == "true", "facility_id"]) | closed_by_order(facilities, targets)
    met = {}
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
            reduction = 0.0
            for _, row in chosen[chosen["facility_id"] == fac["facility_id"]].iterrows():
                if row["energy_intensity_after"] != "" and row["retire"] != "true":
                    drop = fac["energy_intensity"] - float(row["energy_intensity_after"])
                    reduction += factor[row["project_id"]] * drop
            level = PRODUCTS.at[fac["product"], level_column]
            reached = fac["energy_intensity"] - reduction <= level + 1e-9
            weight = fac["capacity"] * (fac["energy_intensity"] if target.weight == "energy" else 1.0)
            total += weight
            weighted += weight * reached
        if target.kind == "min_line_capacity":
            met[target.target_id] = small_left == 0
        else:
            required = 1.0 if target.kind == "baseline_all" else target.value
            met[target.target_id] = total <= 0 or weighted / total >= required - 1e-7
    return met


def random_spreads(instance, data) -> Spreads:
    n = instance.n_projects
    low = np.array(data.draw(st.lists(st.sampled_from([0.5, 0.8, 1.0]), min_size=n, max_size=n)), dtype=float)
    high = np.array(data.draw(st.lists(st.sampled_from([1.0, 1.1, 1.4]), min_size=n, max_size=n)), dtype=float)
    co2 = instance.co2.astype(float)
    return Spreads(co2 * low, co2, co2 * high, low, high, np.full(n, "test", object))


@FEW
@given(instances(), st.data())
def test_draws_follow_the_additive_accounting(case, data):
    facilities, projects, targets, _ = case
    instance = prepare(make_dataset(facilities, projects, targets))
    spreads = random_spreads(instance, data)
    subset = set(data.draw(st.sets(st.sampled_from(list(projects["project_id"])))))
    chosen = np.isin(instance.project_ids.astype(str), list(subset))
    _, factor = draw_projects(spreads, np.flatnonzero(chosen), 5, seed=3)
    outcome = evaluate_draws(instance, targets, chosen, factor)
    ids = list(instance.project_ids[chosen].astype(str))
    for d in range(5):
        expected = additive_met(facilities, projects, targets, subset, dict(zip(ids, factor[d])))
        assert {t: bool(outcome.met[t][d]) for t in expected} == expected


# --- Monte Carlo: zero spread is the plain result -----------------------------------------


def one_acting_project_per_facility(instance, chosen) -> bool:
    """Where the model's present reading (any project reaching) and the additive one must agree.

    That reading ignores a project that raises intensity and
    does not add two cuts on one facility (item 1): leave those cases out.
    """
    reduction = intensity_reductions(instance)
    acting = chosen & (reduction != 0)
    return (reduction[chosen] >= 0).all() and len(np.unique(instance.facility[acting])) == int(acting.sum())


@FEW
@given(instances(), st.data())
def test_zero_spread_monte_carlo_equals_the_deterministic_result(case, data):
    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    subset = data.draw(st.sets(st.sampled_from(list(projects["project_id"]))))
    chosen = np.isin(instance.project_ids.astype(str), list(subset))
    result = simulate(instance, targets, chosen, Spreads.zero(instance), draws=50, seed=1)
    co2 = float(instance.co2[chosen].sum())
    assert result.co2_quantiles[0] == {"p10": co2, "p50": co2, "p90": co2, "mean": co2}  # exactly
    ones = np.ones((1, int(chosen.sum())))
    own = evaluate_draws(instance, targets, chosen, ones)
    for target in targets:
        assert result.met_probability[target.target_id] == [float(own.met[target.target_id][0])]
    # The model's present reading agrees wherever the two readings coincide (drop this once main is additive).
    if one_acting_project_per_facility(instance, chosen):
        for outcome in evaluate_portfolio(instance, targets, chosen):
            assert result.met_probability[outcome.target_id] == [1.0 if outcome.met else 0.0]


def test_sample_monte_carlo_is_seeded_and_reports_per_year(tmp_path):
    from optimizer import load_dataset, optimize
    from optimizer.answers.uncertainty import project_spreads

    from .conftest import SAMPLE

    dataset = load_dataset(SAMPLE)
    instance = prepare(dataset)
    best = optimize(instance, budget=300_000, targets=dataset.targets)
    spreads = project_spreads(dataset, instance)
    first = simulate(instance, dataset.targets, best.chosen, spreads, draws=10_000, seed=7)
    print(f"Monte Carlo of the sample optimum: 10,000 draws in {first.seconds:.3f} s")  # measured, not asserted
    again = simulate(instance, dataset.targets, best.chosen, spreads, draws=10_000, seed=7)
    # Zero spread on the sample: every draw is the plain result, to the last bit.
    flat = simulate(instance, dataset.targets, best.chosen, Spreads.zero(instance), draws=10_000, seed=7)
    assert flat.co2_quantiles[0] == {k: best.co2_reduction_t for k in ("p10", "p50", "p90", "mean")}
    assert flat.all_met_probability == [1.0]  # the optimum meets every target at the estimates
    assert first.to_dict() | {"seconds": 0} == again.to_dict() | {"seconds": 0}
    p10, p50, p90 = (first.co2_quantiles[0][k] for k in ("p10", "p50", "p90"))
    assert p10 <= p50 <= p90 < best.co2_reduction_t * 1.2
    ids = [str(p) for p in instance.project_ids[best.chosen]]
    roadmap = {pid: 2025 + i % 3 for i, pid in enumerate(ids)}
    yearly = simulate(instance, dataset.targets, best.chosen, spreads, draws=2000, seed=7, in_service=roadmap)
    assert {2025, 2026, 2027} <= set(yearly.years)
    medians = [q["p50"] for q in yearly.co2_quantiles]
    assert medians == sorted(medians)  # more projects in service, more CO2
    last = yearly.years.index(2027)
    assert yearly.co2_quantiles[last]["p50"] == pytest.approx(first.co2_quantiles[0]["p50"], rel=0.02)


# --- robust mode: the in-sample guarantee against enumeration ----------------------------


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data(), st.sampled_from([0.5, 0.8, 1.0]))
def test_robust_pick_is_the_best_portfolio_meeting_the_chance_row_in_sample(case, data, probability):
    facilities, projects, targets, budget = case
    assume(len(projects) <= 7)
    instance = prepare(make_dataset(facilities, projects, targets))
    spreads = random_spreads(instance, data)
    scenarios, seed = 10, 5
    result = robust_portfolio(instance, targets, spreads, budget=budget, probability=probability,
                              scenarios=scenarios, seed=seed, check_draws=200, settings=EXACT)
    _, factor = draw_projects(spreads, np.arange(instance.n_projects), scenarios, seed)
    ids = list(instance.project_ids.astype(str))
    capex = dict(zip(projects["project_id"], projects["capex"]))
    co2 = co2_of(facilities, projects)
    needed = int(np.ceil(probability * scenarios - 1e-9))

    def in_sample(subset) -> int:
        return sum(all(additive_met(facilities, projects, targets, set(subset),
                                    dict(zip(ids, factor[s]))).values()) for s in range(scenarios))

    best = None
    # scenarios met, within the budget and at any budget; None while no portfolio obeys the list's own rules
    most_within: int | None = None
    most_anywhere: int | None = None
    least_capex = None
    for subset in subsets(ids):
        closures = [t for t in targets if t.kind == "min_line_capacity"]  # the list's rules, closures by order
        if check(facilities, projects, closures, set(subset)) is None:
            continue
        met = in_sample(subset)
        spend = sum(capex[p] for p in subset)
        most_anywhere = max(most_anywhere or 0, met)
        if met >= needed and (least_capex is None or spend < least_capex):
            least_capex = spend
        if spend > budget:
            continue
        most_within = max(most_within or 0, met)
        value = sum(co2[p] for p in subset)
        if (best is None or value > best) and met >= needed:
            best = value
    event("robust: infeasible" if best is None else "robust: a portfolio")
    if best is None:
        assert result.status == "infeasible"
        # The diagnosis is exact in-sample: the most scenarios any portfolio meets, and the least budget.
        assert result.reach is not None
        # (None: no portfolio obeys the list's own rules, e.g. a closure by order whose retirement needs a
        # blocked project: "no portfolio" rather than "0 scenarios met")
        assert result.reach.within_budget == (None if most_within is None else most_within / scenarios)
        assert result.reach.any_budget == (None if most_anywhere is None else most_anywhere / scenarios)
        if least_capex is None:
            assert result.reach.budget_needed is None
        else:
            assert result.reach.budget_needed == pytest.approx(least_capex, rel=EXACT.gap, abs=1e-6)
        assert all(p is not None and p >= result.reach.any_budget for p in result.reach.per_target.values())
        return
    assert result.reach is None
    assert result.status == "optimal"
    assert result.co2_reduction_t == pytest.approx(best)
    assert in_sample(result.selected) >= needed
    assert result.in_sample_probability >= probability - 1e-9
    assert result.spend <= budget + 1e-9
    assert check(facilities, projects, [], set(result.selected)) is not None


# --- cut first -------------------------------------------------------------------------


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_cut_first_levels_are_optimal_or_nested_within_the_gap(case):
    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    result = cut_first(instance, budget=budget, targets=targets, cuts=(0.2, 0.5), settings=EXACT)
    previous = None
    for level in result.levels:
        best = brute_force(facilities, projects, targets, level.budget)
        if best is None:
            assert level.status == "infeasible"
            previous = None
            continue
        assert level.unconstrained_co2_t == pytest.approx(best)
        assert level.spend <= level.budget + 1e-9
        assert check(facilities, projects, targets, set(level.selected)) is not None
        if level.nested:
            assert level.co2_reduction_t >= best - max(EXACT.gap, 1e-3) * abs(best) - 1e-6
            if previous is not None:
                assert set(level.selected) <= previous
        else:
            assert level.co2_reduction_t == pytest.approx(best)
        previous = set(level.selected)
    if result.all_nested:
        order = [row["project_id"] for row in result.order]
        assert set(order) == set(result.levels[0].selected)
