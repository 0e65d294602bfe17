"""Sweeps on a real Dask LocalCluster equal the local process pool's, and the doubt commands' JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from optimizer import load_dataset, prepare
from optimizer.answers.sweep import (
    DaskCluster,
    LocalPool,
    load_results,
    scenario_grid,
    sweep,
    target_variants,
    write_results,
)
from optimizer.answers.uncertainty import project_spreads

from .conftest import SAMPLE
from .test_cli import no_traceback, run

COMPARED = ["budget", "targets", "draw", "status", "co2_reduction_t", "spend", "projects", "selected"]


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    from .conftest import write_tables

    dataset = load_dataset(write_tables(tmp_path_factory.mktemp("sweep") / "tiny"))
    instance = prepare(dataset)
    variants = target_variants(dataset.targets, ["plan", "none"])
    scenarios = scenario_grid([0, 2000, 4000, 8000, 12000], list(variants), [None, 1, 2])
    return instance, variants, scenarios, project_spreads(dataset, instance)


def test_local_cluster_results_equal_the_local_pool(tiny_sweep, tmp_path):
    distributed = pytest.importorskip("distributed")
    instance, variants, scenarios, spreads = tiny_sweep
    local = sweep(instance, scenarios=scenarios, target_variants=variants, spreads=spreads,
                  executor=LocalPool(2), batch_size=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = sweep(instance, scenarios=scenarios, target_variants=variants, spreads=spreads,
                       executor=DaskCluster(client=client), batch_size=3)
    assert len(local) == len(scenarios) == 30
    pd.testing.assert_frame_equal(local[COMPARED], remote[COMPARED])
    assert set(local["status"]) >= {"optimal", "infeasible"}
    assert local.loc[local["draw"].notna(), "co2_reduction_t"].notna().any()
    path = write_results(local, tmp_path / "results.parquet")
    for back in (load_results(path), store_sweep_round_trip(path, tmp_path / "store.duckdb")):
        assert len(back) == len(local)
        expected = local["co2_reduction_t"].fillna(-1).tolist()
        assert back["co2_reduction_t"].fillna(-1).tolist() == pytest.approx(expected)


def store_sweep_round_trip(parquet: Path, database: Path) -> pd.DataFrame:
    """The app's store takes a sweep file in and gives it back (a real DuckDB file)."""
    from storage.sweeps import load_sweep, save_sweep

    save_sweep(database, "sweep-1", parquet)
    return load_sweep(database, "sweep-1")


def test_unknown_target_variant_is_refused(tiny_sweep):
    instance, variants, _, _ = tiny_sweep
    with pytest.raises(ValueError, match="unknown target variant"):
        target_variants([], ["without:nothing"])


def last_line(completed) -> dict:
    no_traceback(completed)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_cli_alternatives_json():
    completed = run("alternatives", "--data", SAMPLE, "--budget", 300000, "--count", 3, "--slack", 0.02, "--json")
    assert completed.returncode == 0, completed.stderr
    result = last_line(completed)
    assert result["status"] == "optimal" and len(result["alternatives"]) == 3
    best = result["alternatives"][0]["co2_reduction_t"]
    for alternative in result["alternatives"]:
        assert {"selected", "co2_reduction_t", "spend"} <= set(alternative)
        assert alternative["co2_reduction_t"] >= 0.98 * best - 1e-6 and alternative["spend"] <= 300000 + 1e-6
    assert set(result["labels"].values()) <= {"must_have", "swappable", "never"}
    must = {p for p, label in result["labels"].items() if label == "must_have"}
    assert all(must <= set(a["selected"]) for a in result["alternatives"])


def test_cli_sweep_json_and_results_file(tmp_path):
    out = tmp_path / "sweep.parquet"
    completed = run("sweep", "--data", SAMPLE, "--budgets", "200000,300000", "--target-variants", "plan,none",
                    "--draws", 1, "--workers", 2, "--results", out, "--json")
    assert completed.returncode == 0, completed.stderr
    result = last_line(completed)
    assert len(result["results"]) == 2 * 2 * 2
    for row in result["results"]:
        assert {"budget", "status", "co2_reduction_t", "spend", "targets", "draw"} <= set(row)
    assert len(load_results(out)) == 8


def test_cli_uncertainty_and_cut_first_json(tmp_path):
    completed = run("uncertainty", "--data", SAMPLE, "--budget", 300000, "--draws", 2000, "--json")
    assert completed.returncode == 0, completed.stderr
    monte_carlo = last_line(completed)["monte_carlo"]
    assert monte_carlo["years"] == [None] and 0 <= monte_carlo["all_met_probability"][0] <= 1
    completed = run("cut-first", "--data", SAMPLE, "--budget", 300000, "--json")
    assert completed.returncode == 0, completed.stderr
    levels = last_line(completed)["levels"]
    assert [round(level["cut"], 2) for level in levels] == [0.0, 0.1, 0.2, 0.3]
    assert all(level["spend"] <= level["budget"] + 1e-6 for level in levels)


def test_cli_robust_out_of_reach_says_how_far_it_gets():
    """--robust 0.9 on the sample: no portfolio (exit code 3), and the JSON and the text say how far one gets."""
    completed = run("uncertainty", "--data", SAMPLE, "--budget", 300000, "--draws", 1000, "--robust", 0.9, "--json")
    robust = last_line(completed)["robust"]
    if robust["status"] == "optimal":  # (spreads wide enough no longer: nothing to explain)
        assert completed.returncode == 0
        return
    assert completed.returncode == 3 and robust["status"] == "infeasible"
    reach = robust["reach"]
    assert 0 < reach["within_budget"] <= reach["any_budget"] < 0.9
    assert reach["limiting_targets"] and all(reach["per_target"][t] < 0.9 for t in reach["limiting_targets"])
    assert f"the most within 300,000: {reach['within_budget']:.0%}" in completed.stdout
