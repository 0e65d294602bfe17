"""The Roadmap and Alternatives pages through AppTest, their figures compared with the library's own.

The sample's numbers are not written down here: each test asks the library (plan_roadmap,
near_optimal_alternatives, simulate) for the same question and compares.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optimizer import load_dataset, optimize, prepare
from optimizer.answers.alternatives import near_optimal_alternatives
from optimizer.answers.roadmap import plan_roadmap
from optimizer.program.horizon import make_horizon
from optimizer.program.model import PolicyOptions
from optimizer.solving.solve import SolverSettings
from ui.compute import ROADMAP_GAP
from ui.settings import DEFAULT_BUDGET, DEFAULT_BUDGET_PER_YEAR

from .conftest import SAMPLE

ROOT = Path(__file__).resolve().parent.parent
THIS_YEAR = datetime.date.today().year
LAST = max(2030, THIS_YEAR)


@pytest.fixture(scope="module")
def sample():
    data = load_dataset(SAMPLE)
    return data, prepare(data)


def _app(tmp_path, monkeypatch, **query: str) -> AppTest:
    monkeypatch.setenv("RETROFIT_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setenv("RETROFIT_RAISE_ERRORS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label_start: str) -> float:
    metric = next(m for m in at.metric if m.label.startswith(label_start))
    return float(metric.value.replace(",", ""))


def _library_roadmap(sample, budgets: dict[int, float], deadline: int | None):
    data, inst = sample
    horizon = make_horizon(THIS_YEAR, LAST, budgets=budgets, overdue_deadline=deadline)
    return plan_roadmap(inst, horizon, targets=data.targets,
                        settings=SolverSettings(gap=ROADMAP_GAP, core_search=False))


def _counts(result) -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in result.schedule:
        counts[row["in_service_year"]] = counts.get(row["in_service_year"], 0) + 1
    return counts


def _caption_counts(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("各年投运项目数"))


def test_roadmap_page_shows_the_library_roadmap(tmp_path, monkeypatch, sample):
    deadline = min(THIS_YEAR + 3, LAST)
    at = _open(_app(tmp_path, monkeypatch, overdue_deadline=str(deadline)), "roadmap")
    assert at.title[0].value == "路线图"
    assert at.number_input(key="roadmap_first").value == THIS_YEAR
    assert at.number_input(key="roadmap_last").value == LAST
    assert at.number_input(key="roadmap_deadline").value == deadline
    budgets = {y: DEFAULT_BUDGET_PER_YEAR for y in range(THIS_YEAR, LAST + 1)}
    expected = _library_roadmap(sample, budgets, deadline)
    if not expected.has_roadmap:
        assert at.error  # the page says so (and diagnoses); nothing more to compare
        return
    assert _metric(at, "规划期累计减排") == pytest.approx(round(expected.co2_cumulative_t), abs=1)
    assert _metric(at, "总投资") == pytest.approx(round(expected.spend_total), abs=1)
    assert _metric(at, "入选项目数") == len(expected.schedule)
    caption = _caption_counts(at)
    for year, n in _counts(expected).items():
        assert f"{year} 年 {n} 项" in caption
    keys = {d.key for d in at.get("download_button")}
    assert {"download_roadmap_xlsx", "download_roadmap_csv"} <= keys
    # one figure for every year: the question's table changes, and so does the roadmap
    lower = DEFAULT_BUDGET_PER_YEAR * 0.75
    at.number_input(key="roadmap_budget_all").set_value(lower).run()
    assert not at.exception
    assert dict(at.session_state["settings"].budgets_per_year) == {y: lower for y in budgets}
    smaller = _library_roadmap(sample, {y: lower for y in budgets}, deadline)
    if smaller.has_roadmap:
        assert _metric(at, "规划期累计减排") == pytest.approx(round(smaller.co2_cumulative_t), abs=1)
        assert smaller.co2_cumulative_t <= expected.co2_cumulative_t + 1e-6


def test_roadmap_link_values_are_clamped_with_a_notice(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, horizon_start=str(THIS_YEAR), horizon_end=str(THIS_YEAR + 40),
              overdue_deadline=str(THIS_YEAR - 5), budgets_per_year=f"[[{THIS_YEAR},1e12]]")
    settings = at.session_state["settings"]
    assert settings.horizon_end == THIS_YEAR + 14
    assert settings.overdue_deadline == THIS_YEAR
    assert dict(settings.budgets_per_year)[THIS_YEAR] < 1e12
    texts = " ".join(w.value for w in at.warning)
    assert "结束年份" in texts and "逾期目标完成年份" in texts and "年度预算" in texts
    _open(at, "roadmap")  # the widgets take the clamped values without an exception


def test_roadmap_bad_horizon_from_the_table_is_named(tmp_path, monkeypatch):
    at = _open(_app(tmp_path, monkeypatch, overdue_deadline=str(LAST)), "roadmap")
    at.number_input(key="roadmap_first").set_value(LAST).run()
    assert not at.exception
    assert at.number_input(key="roadmap_last").value == LAST  # never ends before it starts


def test_alternatives_page_matches_the_library_and_excludes_in_one_step(tmp_path, monkeypatch, sample):
    data, inst = sample
    at = _open(_app(tmp_path, monkeypatch), "alternatives")
    assert at.title[0].value == "备选方案"
    expected = near_optimal_alternatives(inst, budget=DEFAULT_BUDGET, targets=data.targets, count=5, slack=0.02,
                                         settings=SolverSettings())
    summary = at.dataframe[0].value
    co2 = next(c for c in summary.columns if "CO₂" in c)
    assert list(summary[co2].round()) == [round(a.co2_reduction_t) for a in expected.alternatives]
    labels = list(expected.labels.values())
    assert _metric(at, "必选") == labels.count("must_have")
    assert _metric(at, "可替换") == labels.count("swappable")
    # exclude the best portfolio's first project: the next solve leaves it out
    gone = expected.alternatives[0].selected[0]
    from dataclasses import replace

    at.session_state["settings"] = replace(at.session_state["settings"], excluded=(gone,))
    at.run()
    assert not at.exception
    assert any(gone in i.value for i in at.info)
    assert gone in at.query_params["excluded"]  # the exclusion is part of the question: the link carries it
    again = near_optimal_alternatives(inst, budget=DEFAULT_BUDGET, targets=data.targets, count=5, slack=0.02,
                                      exclude=[gone], settings=SolverSettings())
    assert at.dataframe[0].value.shape[0] == len(again.alternatives)
    keys = {d.key for d in at.get("download_button")}
    assert {"download_alternatives", "download_cut_first", "download_monte_carlo"} <= keys
    at.button(key="restore_all").click().run()
    assert at.session_state["settings"].excluded == () and "excluded" not in at.query_params


def test_exclusions_survive_a_link_and_a_scenario(tmp_path, monkeypatch, sample):
    """Excluded projects are part of the question: a shared link reopens them, a saved scenario keeps them."""
    data, inst = sample
    ids = sorted(map(str, inst.project_ids))[:2]
    at = _app(tmp_path, monkeypatch, excluded=f'["{ids[0]}","{ids[1]}","no-such-project"]')
    assert any("no-such-project" in w.value for w in at.warning)  # an unknown id is dropped, with a notice
    _open(at, "alternatives")
    assert at.session_state["settings"].excluded == tuple(ids)
    assert any(ids[0] in i.value and ids[1] in i.value for i in at.info)
    _open(at, "scenarios")  # saved the way a user saves one, then loaded after the exclusions were restored
    at.text_input(key="scenario_name").input("without two").run()
    at.button(key="save_scenario").click().run()
    _open(at, "alternatives")
    at.button(key="restore_all").click().run()
    assert at.session_state["settings"].excluded == ()
    _open(at, "scenarios")
    at.button(key="load_scenario").click().run()
    assert not at.exception
    assert at.session_state["settings"].excluded == tuple(ids)


def test_exclusions_hold_on_the_optimize_and_roadmap_pages(tmp_path, monkeypatch, sample):
    """An excluded project leaves every solve, not only the alternatives: the portfolio and the roadmap."""
    data, inst = sample
    chosen = optimize(inst, budget=DEFAULT_BUDGET, targets=data.targets).selected
    gone = chosen[0]
    at = _open(_app(tmp_path, monkeypatch, excluded=f'["{gone}"]'), "optimize")
    assert any(gone in i.value for i in at.info)  # the page says what is left out
    ids = {str(v) for df in at.dataframe for column in df.value.columns if column in ("编号", "ID")
           for v in df.value[column]}
    assert ids and gone not in ids
    best = optimize(inst, budget=DEFAULT_BUDGET, targets=data.targets, options=PolicyOptions(excluded=(gone,)))
    assert _metric(at, "减排量") == pytest.approx(best.co2_reduction_t, abs=1)
    _open(at, "roadmap")
    assert any(gone in i.value for i in at.info)
    assert at.session_state["settings"].excluded == (gone,)
    budgets = {y: DEFAULT_BUDGET_PER_YEAR for y in range(THIS_YEAR, LAST + 1)}
    expected = plan_roadmap(inst, make_horizon(THIS_YEAR, LAST, budgets=budgets), targets=data.targets,
                            options=PolicyOptions(excluded=(gone,)), settings=SolverSettings(gap=ROADMAP_GAP))
    assert expected.has_roadmap and gone not in {row["project_id"] for row in expected.schedule}
    assert _metric(at, "规划期累计减排") == pytest.approx(expected.co2_cumulative_t, rel=2 * ROADMAP_GAP)


def test_robust_pick_at_an_unreachable_probability_says_how_far_it_gets(tmp_path, monkeypatch, sample):
    """At the default 90 % the sample's spreads make the ammonia target unreachable: the page says so, names
    the highest probability and the target that caps it, and shows the pick at that probability."""
    from optimizer.answers.uncertainty import project_spreads, robust_portfolio

    data, inst = sample
    spreads = project_spreads(data, inst)
    at = _open(_app(tmp_path, monkeypatch), "alternatives")
    at.button(key="robust_button").click().run()
    assert not at.exception
    asked = robust_portfolio(inst, data.targets, spreads, budget=DEFAULT_BUDGET, probability=0.9)
    if asked.has_portfolio:  # (spreads changed so that 90 % is reachable: the page shows the pick itself)
        assert _metric(at, "稳健组合减排") == pytest.approx(round(asked.co2_reduction_t), abs=1)
        return
    reach = asked.reach
    warning = next(w.value for w in at.warning if "没有组合能在" in w.value)
    assert f"{reach.within_budget * 100:.0f}%" in warning
    for target_id in reach.limiting_targets:
        target = next(t for t in data.targets if t.target_id == target_id)
        assert target.name_zh in warning
    fallback = robust_portfolio(inst, data.targets, spreads, budget=DEFAULT_BUDGET,
                                probability=reach.within_budget)
    assert _metric(at, "稳健组合减排") == pytest.approx(round(fallback.co2_reduction_t), abs=1)
    assert _metric(at, "把握的代价") == pytest.approx(round(fallback.price_of_confidence_t), abs=1)
    assert "download_robust" in {d.key for d in at.get("download_button")}


def _table_with(at: AppTest, column: str, row: str):
    """The table whose first column ``column`` has a row ``row``, indexed by that column."""
    return next(d.value.set_index(column) for d in at.dataframe
                if d.value.columns[0] == column and row in set(d.value[column]))


def test_roadmap_page_shows_the_roadmap_s_monte_carlo(tmp_path, monkeypatch, sample):
    from optimizer.answers.uncertainty import project_spreads, simulate

    data, inst = sample
    at = _open(_app(tmp_path, monkeypatch), "roadmap")
    budgets = {y: DEFAULT_BUDGET_PER_YEAR for y in range(THIS_YEAR, LAST + 1)}
    roadmap = _library_roadmap(sample, budgets, None)
    assert roadmap.has_roadmap
    service = {str(r["project_id"]): int(r["in_service_year"]) for r in roadmap.schedule}
    chosen = inst.project_ids.astype(str)
    mc = simulate(inst, data.targets, [p in service for p in chosen], project_spreads(data, inst), draws=10_000,
                  seed=0, in_service=service, years=list(budgets))
    years = [str(y) for y in budgets]
    shares = _table_with(at, "目标", "全部达标概率")
    assert list(shares.columns) == years
    assert list(shares.loc["全部达标概率"]) == mc.all_met_probability
    ammonia = next(t for t in data.targets if t.target_id == "ammonia_benchmark_60")
    assert list(shares.loc[ammonia.name_zh]) == mc.met_probability["ammonia_benchmark_60"]
    co2 = _table_with(at, "指标", "减排 P50（吨/年）")
    assert list(co2.loc["减排 P50（吨/年）"]) == [round(q["p50"]) for q in mc.co2_quantiles]
    assert "download_roadmap_mc" in {d.key for d in at.get("download_button")}
    at.sidebar.radio(key="language").set_value("en").run()
    shares = _table_with(at, "Target", "P(every target met)")
    assert list(shares.loc["P(every target met)"]) == mc.all_met_probability


def test_monte_carlo_on_the_alternatives_page_is_the_library_s(tmp_path, monkeypatch, sample):
    from optimizer import optimize
    from optimizer.answers.uncertainty import project_spreads, simulate

    data, inst = sample
    at = _open(_app(tmp_path, monkeypatch), "alternatives")
    best = optimize(inst, budget=DEFAULT_BUDGET, targets=data.targets)
    mc = simulate(inst, data.targets, best.chosen, project_spreads(data, inst), draws=10_000, seed=0)
    assert _metric(at, "减排 P50") == pytest.approx(round(mc.co2_quantiles[0]["p50"]), abs=1)
    shown = next(m for m in at.metric if m.label.startswith("全部目标达标概率")).value
    assert shown == f"{mc.all_met_probability[0] * 100:.1f}%"
