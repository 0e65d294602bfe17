"""The analyst's question as one value: its serialisations agree, and outside values are brought into range."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from optimizer.answers.question import TargetChange
from ui.settings import Limits, Settings

LIMITS = Limits("fuzhou_sample", "v1", 838_460.0, {
    "ammonia_benchmark_60": ("benchmark_share_min", True, 0.6),
    "ceramic_tile_small_lines": ("min_line_capacity", True, 1_000_000.0),
})

questions = st.builds(
    Settings,
    objective=st.sampled_from(["co2", "cost"]),
    budget=st.floats(0, 1e7, allow_nan=False),
    co2_goal=st.floats(0, 1e9, allow_nan=False),
    targets=st.lists(st.builds(TargetChange, st.sampled_from(["a", "b", "c"]), st.booleans(),
                               st.floats(0, 1e6, allow_nan=False)), unique_by=lambda t: t.target_id)
    .map(lambda ts: tuple(sorted(ts, key=lambda t: t.target_id))),
    margin=st.floats(0, 10, allow_nan=False),
    order_capex_in_budget=st.booleans(),
    fuel_factors=st.lists(st.tuples(st.sampled_from(["coal", "natural_gas"]), st.floats(0, 5, allow_nan=False)),
                          unique_by=lambda p: p[0]).map(lambda ps: tuple(sorted(ps))),
    grid_factor=st.none() | st.floats(0, 2, allow_nan=False),
    solver=st.sampled_from(["highs", "cbc"]),
    gap=st.floats(0, 0.5, allow_nan=False),
    horizon_start=st.none() | st.integers(2020, 2030),
    horizon_end=st.none() | st.integers(2030, 2060),
    budgets_per_year=st.lists(st.tuples(st.integers(2025, 2035), st.floats(0, 1e6, allow_nan=False)),
                              unique_by=lambda p: p[0]).map(lambda ps: tuple(sorted(ps))),
    carry_over=st.booleans(),
    overdue_deadline=st.none() | st.integers(2025, 2040),
    excluded=st.lists(st.text(min_size=1, max_size=12).filter(str.strip), unique=True, max_size=4)
    .map(lambda ids: tuple(sorted(ids))),
)


@given(questions)
def test_a_scenario_reads_back_the_same_question(question):
    assert Settings.from_dict(question.to_dict()) == question


@given(questions)
def test_a_link_reads_back_the_same_question(question):
    back = Settings.from_query(question.to_query())
    for name in ("objective", "targets", "margin", "order_capex_in_budget", "fuel_factors", "solver",
                 "horizon_start", "horizon_end", "budgets_per_year", "carry_over", "overdue_deadline", "excluded"):
        assert getattr(back, name) == getattr(question, name), name
    assert back.gap == question.gap and back.grid_factor == question.grid_factor
    if question.objective == "co2":
        assert back.budget == question.budget
    else:
        assert back.co2_goal == question.co2_goal


def test_every_field_serialises_even_without_a_widget():
    data = Settings().to_dict()
    for name in ("margin", "order_capex_in_budget", "fuel_factors", "grid_factor_id", "grid_factor",
                 "discount_rate", "horizon_start", "horizon_end", "budgets_per_year", "carry_over",
                 "overdue_deadline", "dataset_version"):
        assert name in data
    assert Settings().margin == 0.0 and Settings().order_capex_in_budget is True


def test_a_budget_above_the_slider_is_clamped_with_a_notice():
    checked, notices = Settings.from_query({"budget": "1000000"}).checked(LIMITS)
    assert checked.budget == 838_460.0
    assert [n.code for n in notices] == ["notice_clamped"]
    assert notices[0].kwargs()["field"] == "budget"


def test_unreadable_link_values_are_ignored_and_bad_ones_fall_back():
    question = Settings.from_query({"budget": "abc", "gap": "nan", "objective": "max", "solver": "gurobi",
                                    "targets": "junk", "horizon_start": "1800", "budgets_per_year": "{"})
    assert question.budget == Settings().budget and question.gap == Settings().gap
    checked, notices = question.checked(LIMITS)
    assert checked.objective == "co2" and checked.solver == "highs"
    assert {n.code for n in notices} == {"notice_unknown"}
    assert checked.horizon_start is None and checked.budgets_per_year == ()


def test_targets_are_checked_against_the_dataset():
    question = Settings.from_query({"targets": "ammonia_benchmark_60:on:1.5,nope:off:1,"
                                               "ceramic_tile_small_lines:on:1000000"})
    checked, notices = question.checked(LIMITS)
    assert checked.targets == (TargetChange("ammonia_benchmark_60", True, 1.0),), \
        "a share is at most 1; a target equal to the dataset's own is no override; an unknown id is dropped"
    assert {n.code for n in notices} == {"notice_target_clamped", "notice_unknown_target"}


def test_equal_questions_are_equal_values_and_hash_alike():
    a = Settings().with_target("b", False, 0.3).with_target("a", True, 0.5)
    b = Settings().with_target("a", True, 0.5).with_target("b", False, 0.3)
    assert a == b and hash(a) == hash(b)


def test_the_workbook_assumptions_sheet_reads_back_the_question(tmp_path):
    """The portfolio workbook's assumptions sheet records the whole question; reading it gives it back."""
    import io

    import pandas as pd

    from optimizer import load_dataset, optimize, prepare
    from optimizer.data.dataset import EmissionFactors
    from optimizer.outputs.export import portfolio_workbook

    from .conftest import SAMPLE

    question = Settings(budget=310_000.0, margin=1.5, order_capex_in_budget=False, grid_factor=0.55,
                        fuel_factors=(("coal", 2.6),), horizon_start=2026, horizon_end=2030,
                        budgets_per_year=((2026, 100_000.0), (2027, 120_000.0)), carry_over=True,
                        overdue_deadline=2028, excluded=("PC08-P02", "ST01-P01")
                        ).with_target("steel_baseline_all", False, 1.0)
    dataset = load_dataset(SAMPLE)
    instance = prepare(dataset)
    result = optimize(instance, budget=question.budget, targets=dataset.targets)
    book = portfolio_workbook(dataset, instance, result, EmissionFactors.default(), settings=question.to_assumptions())
    sheet = pd.read_excel(io.BytesIO(book), sheet_name="assumptions")
    rows = dict(zip(sheet.loc[sheet["source"] == "setting", "item"], sheet.loc[sheet["source"] == "setting", "value"]))
    assert Settings.from_assumptions(rows) == question


def test_excluded_projects_unknown_to_the_dataset_are_dropped_with_a_notice():
    limits = Limits(LIMITS.dataset, LIMITS.version, LIMITS.budget_max, LIMITS.targets,
                    projects=frozenset({"P1", "P2"}))
    question = Settings.from_query({"excluded": '["P2","gone","P1"]'})
    assert question.excluded == ("P1", "P2", "gone")
    checked, notices = question.checked(limits)
    assert checked.excluded == ("P1", "P2")
    assert [(n.code, n.kwargs()) for n in notices] == [("notice_unknown_excluded", {"projects": "gone"})]
    assert Settings.from_query({"excluded": "not json"}).excluded == ()


def test_the_as_of_year_stays_within_the_years_the_optimize_page_offers():
    """A horizon moved past the as-of year (on the Roadmap page) must not leave the year box out of range."""
    from ui.settings import HORIZON_RANGE, as_of_years

    assert as_of_years(Settings(horizon_start=2026), 2026) == (2026, 2027)
    assert as_of_years(Settings(horizon_start=2029, as_of_year=2027), 2026) == (2029, 2029)
    assert as_of_years(Settings(horizon_start=2026, as_of_year=3000), 2026) == (2026, HORIZON_RANGE[1])
