"""The frontier's comparators: the true MAC pick and the greedy that respects the targets.

Checked against the independent checker of tests/test_bruteforce.py on small
random lists, against the real solver, and by hand on an upgrade path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import Target, optimize, prepare
from optimizer.answers.ranking import comparator_steps, greedy_pick, mac_pick, steps_table

from .conftest import examples
from .support.oracle import EXACT, check, instances, make_dataset


def _project(pid, facility, capex, co2, saving, after="", group="", requires="", retire=""):
    return {"project_id": pid, "facility_id": facility, "capex": capex, "co2_reduction": co2,
            "energy_intensity_after": after, "exclusive_group": group, "requires": requires, "retire": retire,
            "annual_saving": saving, "lifetime_years": 10}


def upgrade_case():
    """One line with a cheap level-1 and a deeper level-2 alternative, and a loose project between them.

    At rate 0 over 10 years (annualised capex = capex / 10, 万元/yr; x 10,000 / t):
    L1: 100 万元, 100 t  -> 10 万元/yr / 100 t = 1,000 CNY/t
    X:  150 万元, 100 t  -> 15 万元/yr / 100 t = 1,500 CNY/t
    L2: 300 万元, 150 t  -> alone 2,000 CNY/t; as an upgrade from L1: 20 万元/yr / 50 t = 4,000 CNY/t
    L1 lies below the line from nothing to L2, so L2 is reached only through L1, at its incremental cost.
    """
    facilities = pd.DataFrame([{"facility_id": "F", "sector": "steel", "product": "pa", "capacity": 1000,
                                "energy_intensity": 130.0}])
    projects = pd.DataFrame([_project("L1", "F", 100, 100, 0, after=120.0, group="kiln"),
                             _project("L2", "F", 300, 150, 0, after=100.0, group="kiln"),
                             _project("X", "F", 150, 100, 0)])
    return facilities, projects


def test_mac_pick_climbs_an_upgrade_path_at_its_incremental_cost():
    facilities, projects = upgrade_case()
    instance = prepare(make_dataset(facilities, projects, []))
    steps = steps_table(instance, comparator_steps(instance, [], rate=0.0))
    assert list(steps["project_id"]) == ["L1", "X", "L2"]
    assert list(steps["replaces"]) == ["", "", "L1"]
    assert steps["cost_cny_per_t"].tolist() == pytest.approx([1000.0, 1500.0, 4000.0])
    assert steps["capex"].tolist() == pytest.approx([100.0, 150.0, 200.0])  # the upgrade pays the difference

    def selected(budget):
        pick = mac_pick(instance, budget, rate=0.0)
        return sorted(instance.project_ids[pick.chosen]), pick.spend

    assert selected(99) == ([], 0.0)
    assert selected(100) == (["L1"], 100.0)
    assert selected(449) == (["L1", "X"], 250.0)     # the upgrade (200 more) does not fit
    assert selected(450) == (["L2", "X"], 450.0)     # L1 replaced by L2, paying 200 more
    # the old tCO2-per-万元 ranking took X before the deeper level and never upgraded; the saving counts now:
    projects.loc[projects["project_id"] == "X", "annual_saving"] = 20  # X pays for itself
    instance = prepare(make_dataset(facilities, projects, []))
    assert steps_table(instance, comparator_steps(instance, [], rate=0.0))["project_id"].iloc[0] == "X"


def test_a_group_member_above_the_hull_is_never_a_step():
    facilities, projects = upgrade_case()
    projects = pd.concat([projects, pd.DataFrame([_project("L1b", "F", 150, 110, 0, group="kiln")])])
    # L1b: 15 万元/yr for 110 t lies above the segment L1 (100 t, 10) -> L2 (150 t, 30), which is at 14 there
    instance = prepare(make_dataset(facilities, projects, []))
    steps = steps_table(instance, comparator_steps(instance, [], rate=0.0))
    assert "L1b" not in set(steps["project_id"])


def test_greedy_buys_the_target_first_and_says_when_it_cannot():
    facilities, projects = upgrade_case()
    targets = [Target("bench", "benchmark_share_min", ("pa",), 0.5)]
    instance = prepare(make_dataset(facilities, projects, targets))
    pick = greedy_pick(instance, 300, targets, rate=0.0)
    assert sorted(instance.project_ids[pick.chosen]) == ["L2"] and pick.targets_met
    assert sorted(instance.project_ids[mac_pick(instance, 300, targets, rate=0.0).chosen]) == ["L1", "X"]
    short = greedy_pick(instance, 299, targets, rate=0.0)
    assert short.broken_targets == ("bench",) and not short.targets_met and "bench" in short.message


def test_a_line_closed_by_order_funds_its_retirement_first_and_takes_nothing_else():
    facilities, projects = upgrade_case()
    facilities = pd.concat([facilities, pd.DataFrame([{"facility_id": "S", "sector": "steel", "product": "pa",
                                                       "capacity": 100, "energy_intensity": 130.0}])])
    projects = pd.concat([projects, pd.DataFrame([_project("S-close", "S", 50, 10, 0, retire="true"),
                                                  _project("S-cheap", "S", 1, 100, 0)])])
    targets = [Target("small", "min_line_capacity", ("pa",), 200)]
    instance = prepare(make_dataset(facilities, projects, targets))
    for pick in (mac_pick(instance, 200, targets, rate=0.0), greedy_pick(instance, 200, targets, rate=0.0)):
        assert sorted(instance.project_ids[pick.chosen]) == ["L1", "S-close"]
    assert not mac_pick(instance, 40, targets).feasible  # the ordered retirement alone exceeds the budget


# --- against the checker and the solver on random lists ---------------------------


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0.0, 0.0, 0.1]))
def test_comparators_obey_the_list_and_never_beat_the_optimum_when_they_meet_the_targets(case, margin):
    from optimizer.program.model import PolicyOptions

    facilities, projects, targets, budget = case
    instance = prepare(make_dataset(facilities, projects, targets))
    options = PolicyOptions(margin=margin)
    rules = [t for t in targets if t.kind == "min_line_capacity"]  # closures by order are rules of the list
    optimum = optimize(instance, budget=budget, targets=targets, options=options, settings=EXACT)
    for pick in (mac_pick(instance, budget, targets, options=options),
                 greedy_pick(instance, budget, targets, options=options)):
        if not pick.feasible:
            assert optimum.status == "infeasible"
            continue
        chosen = set(instance.project_ids[pick.chosen])
        assert pick.spend <= budget + 1e-9
        assert pick.spend == pytest.approx(instance.capex[pick.chosen].sum())
        assert pick.co2_t == pytest.approx(instance.co2[pick.chosen].sum())
        assert check(facilities, projects, rules, chosen) is not None, "the pick breaks a rule of the list"
        broken = {t.target_id for t in targets if check(facilities, projects, rules + [t], chosen, margin) is None}
        assert set(pick.broken_targets) == broken
        if pick.targets_met:
            assert check(facilities, projects, targets, chosen, margin) is not None
            assert optimum.status == "optimal"
            assert optimum.co2_reduction_t >= pick.co2_t - 1e-6


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_greedy_meets_the_targets_whenever_it_says_so_with_unlimited_money(case):
    facilities, projects, targets, _ = case
    instance = prepare(make_dataset(facilities, projects, targets))
    pick = greedy_pick(instance, None, targets)
    assert pick.feasible == (check(facilities, projects, [t for t in targets if t.kind == "min_line_capacity"],
                                   set(instance.project_ids[pick.chosen])) is not None)
    assert pick.targets_met == (check(facilities, projects, targets, set(instance.project_ids[pick.chosen]))
                                is not None)
    assert np.isfinite(pick.spend)
