"""Traces -> frames: the runs frame, step-function sampling, aggregation, average rank."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

import nasbench.simulate as simulate
from nasbench.errors import NasbenchError
from nasbench.report.anytime import aggregate, anytime, final, grid, runs_frame
from nasbench.report.ranks import average_rank

REPORT = Path(__file__).resolve().parents[1] / "nasbench" / "report"


def _curves(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["strategy", "seed", "x", "regret"]).assign(benchmark="b")


def test_runs_frame_follows_the_trace():
    trace = simulate.run("rea", "nbgraph-cora", seed=4, max_evals=25, workers=3)
    runs = runs_frame([trace])
    frame = trace.to_frame()
    assert runs["evaluation"].tolist() == list(range(1, 26))
    assert np.array_equal(runs["time"], frame["end"]) and np.array_equal(runs["regret"], frame["regret"])
    assert (runs["strategy"] == "rea").all() and (runs["seed"] == 4).all()
    assert final(runs)["regret"].item() == frame["regret"].iloc[-1]


def test_runs_frame_rejects_two_runs_of_one_cell():
    trace = simulate.run("rs", "nbgraph-cora", seed=0, max_evals=5)
    with pytest.raises(NasbenchError, match="share benchmark, strategy and seed"):
        runs_frame([trace, trace])


def test_anytime_samples_a_step_function_holding_the_last_result():
    runs = pd.DataFrame({"benchmark": "b", "strategy": "s", "seed": 0, "evaluation": [1, 2, 3],
                         "time": [2.0, 5.0, 9.0], "regret": [0.5, 0.3, 0.1]})
    curve = anytime(runs, x="time", points=50)
    at = dict(zip(curve["x"], curve["regret"]))
    assert at[2.0] == 0.5 and at[9.0] == 0.1
    between = curve[(curve["x"] >= 5.0) & (curve["x"] < 9.0)]["regret"]
    assert (between == 0.3).all() and len(between) > 0


def test_anytime_is_nan_before_a_run_has_a_result():
    runs = pd.DataFrame({"benchmark": "b", "strategy": ["s", "s", "t"], "seed": 0, "evaluation": [1, 2, 1],
                         "time": [1.0, 10.0, 5.0], "regret": [0.5, 0.2, 0.4]})
    curve = anytime(runs, x="time", points=20)
    late = curve[curve["strategy"] == "t"]
    assert late[late["x"] < 5.0]["regret"].isna().all() and (late[late["x"] >= 5.0]["regret"] == 0.4).all()


def test_anytime_gives_each_benchmark_its_own_grid():
    runs = pd.DataFrame({"benchmark": ["a", "a", "b", "b"], "strategy": "s", "seed": 0, "evaluation": [1, 2, 1, 2],
                         "time": [1.0, 4.0, 100.0, 300.0], "regret": [0.5, 0.2, 0.4, 0.1]})
    curve = anytime(runs, x="time", points=10)
    for benchmark, first, last in (("a", 1.0, 4.0), ("b", 100.0, 300.0)):
        xs = curve.loc[curve["benchmark"] == benchmark, "x"]
        assert xs.min() == first and xs.max() == last and xs.is_unique
    given = anytime(runs, x="time", at=np.array([2.0, 200.0]))
    assert given["x"].tolist() == [2.0, 200.0, 2.0, 200.0]
    assert given["regret"].tolist()[:2] == [0.5, 0.2] and np.isnan(given["regret"].iloc[2])


def test_grid_on_evaluations_is_integer_and_reaches_the_end():
    points = grid(np.arange(1, 301, dtype=float), "evaluations", 40)
    assert points[0] == 1 and points[-1] == 300 and np.all(points == np.round(points))


def test_aggregate_median_quartiles_and_mean_standard_error():
    values = [0.1, 0.4, 0.2, 0.9, 0.3]
    curves = _curves([("s", seed, 1.0, v) for seed, v in enumerate(values)])
    median = aggregate(curves, statistic="median").iloc[0]
    assert (median["lower"], median["center"], median["upper"]) == tuple(np.percentile(values, [25, 50, 75]))
    mean = aggregate(curves, statistic="mean").iloc[0]
    assert mean["center"] == pytest.approx(np.mean(values))
    assert mean["upper"] - mean["center"] == pytest.approx(scipy_stats.sem(values))
    assert (mean["n"], mean["runs"]) == (5, 5)


def test_aggregate_counts_runs_without_a_result():
    curves = _curves([("s", 0, 1.0, 0.2), ("s", 1, 1.0, np.nan), ("s", 0, 2.0, 0.1), ("s", 1, 2.0, 0.3)])
    table = aggregate(curves).set_index("x")
    assert (table.loc[1.0, "n"], table.loc[1.0, "runs"], table.loc[1.0, "center"]) == (1, 2, 0.2)
    assert table.loc[2.0, "center"] == pytest.approx(0.2)


def test_aggregate_rejects_an_unknown_statistic():
    with pytest.raises(NasbenchError, match="median, mean"):
        aggregate(_curves([("s", 0, 1.0, 0.1)]), statistic="mode")


def test_average_rank_pairs_seeds_and_averages_ties():
    curves = _curves([("a", 0, 1.0, 0.1), ("b", 0, 1.0, 0.1), ("c", 0, 1.0, 0.3),
                      ("a", 1, 1.0, 0.3), ("b", 1, 1.0, 0.1), ("c", 1, 1.0, 0.2)])
    ranks = average_rank(curves).set_index("strategy")["rank"].to_dict()
    assert ranks == {"a": (1.5 + 3) / 2, "b": (1.5 + 1) / 2, "c": (3 + 2) / 2}


def test_average_rank_skips_points_where_a_run_has_no_result():
    curves = _curves([("a", 0, 1.0, np.nan), ("b", 0, 1.0, 0.1), ("a", 0, 2.0, 0.1), ("b", 0, 2.0, 0.2)])
    ranks = average_rank(curves)
    assert ranks["x"].unique().tolist() == [2.0]


def test_report_never_imports_strategies():
    for path in REPORT.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith(("strategies", "nasbench.strategies")) for n in names), path
