"""The run loop: the simulated clock, workers, cost, budget rule, incumbent and traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scripted import Scripted

import nasbench
from nasbench.errors import NasbenchError
from nasbench.simulate import Job, Trace, run


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    from curve_fixture import make_curve_table

    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("sim") / "curves.h5"))


def test_unit_cost_clock_with_several_workers() -> None:
    one = run("rs", "nbgraph-cora", seed=0, max_evals=12).to_frame()
    four = run("rs", "nbgraph-cora", seed=0, max_evals=12, workers=4).to_frame()
    assert one["end"].max() == 12 and four["end"].max() == 3  # one unit per evaluation
    assert sorted(four["worker"].unique()) == [0, 1, 2, 3]
    assert (one["row"].to_numpy() == four["row"].to_numpy()).all()  # rs asks the same sequence


def test_cost_is_tabulated_time_and_resuming_pays_the_difference(curves: nasbench.Benchmark) -> None:
    arch = curves.space.arch_of_row(42)
    jobs = [Job(arch, fidelity=3.0), Job(arch, fidelity=9.0, resume_from=3.0), Job(arch, fidelity=9.0)]
    strategy = Scripted(jobs)
    frame = run(strategy, curves, seed=1, max_evals=10).to_frame()
    time = curves.table.metric("train_time")[42]
    seeds = [int(np.flatnonzero(curves.seeds == s)[0]) for s in frame["seed"]]
    assert frame["cost"].tolist() == pytest.approx([time[seeds[0], 2], time[seeds[1], 8] - time[seeds[1], 2],
                                                    time[seeds[2], 8]])
    assert frame["end"].iloc[-1] == pytest.approx(frame["cost"].sum())  # one worker: costs add up
    valid = curves.table.metric("valid_accuracy")[42]
    expected = [valid[seeds[0], 2], valid[seeds[1], 8], valid[seeds[2], 8]]
    assert [r.score for r in strategy.told] == pytest.approx(expected)


def test_time_budget_starts_only_below_the_budget_and_the_last_may_overshoot() -> None:
    frame = run("rs", "nbgraph-cora", seed=3, max_time=10.5, workers=2).to_frame()
    assert (frame["start"] < 10.5).all() and frame["end"].max() == 11  # last jobs overshoot
    assert len(frame) == 22


def test_incumbent_is_validation_chosen_and_reports_its_test_value() -> None:
    b = nasbench.load("nbgraph-citeseer")
    frame = run("rs", b, seed=9, max_evals=200).to_frame()
    best_so_far = np.maximum.accumulate(frame["valid"].to_numpy())
    assert np.allclose(frame["incumbent_valid"], best_so_far)
    test = b.final("test_accuracy")
    assert np.allclose(frame["incumbent_test"], test[frame["incumbent_row"].to_numpy()])
    assert np.allclose(frame["regret"], b.optimum("test_accuracy")[1] - frame["incumbent_test"])
    assert (frame["regret"] >= 0).all()


def test_incumbent_prefers_the_highest_fidelity(curves: nasbench.Benchmark) -> None:
    low, high = curves.space.arch_of_row(1), curves.space.arch_of_row(2)
    frame = run(Scripted([Job(high, fidelity=12.0), Job(low, fidelity=1.0)]), curves, seed=0, max_evals=2).to_frame()
    assert frame["incumbent_row"].tolist() == [2, 2]


def test_trace_saves_and_loads(tmp_path: Path) -> None:
    trace = run("rea", "nbgraph-cora", seed=4, max_evals=60, workers=3)
    trace.save(tmp_path / "t.csv")
    loaded = Trace.load(tmp_path / "t.csv")
    assert loaded.meta == trace.meta
    a, b = trace.to_frame(), loaded.to_frame()
    assert (a.columns == b.columns).all() and np.allclose(a["regret"], b["regret"]) and (a["arch"] == b["arch"]).all()
    (tmp_path / "bad.csv").write_text("start,end\n1,2\n")
    with pytest.raises(NasbenchError, match="not a nasbench trace"):
        Trace.load(tmp_path / "bad.csv")


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "give a budget"),
    (dict(max_evals=-1), "max_evals must be a positive integer"),
    (dict(max_time=0.0), "max_time must be a positive"),
    (dict(max_evals=5, workers=0), "workers must be an integer >= 1"),
    (dict(max_evals=5, seed=-3), "seed must be a non-negative integer"),
    (dict(max_evals=5, population_size=1), "option population_size must be an integer >= 2"),
    (dict(max_evals=5, cost="nonsense"), "no metric 'nonsense'"),
])
def test_bad_arguments_fail_before_anything_runs(kwargs: dict, message: str) -> None:
    kwargs = {"seed": 0, **kwargs}
    with pytest.raises(NasbenchError, match=message):
        run("rea", "nbgraph-cora", **kwargs)


def test_strategy_asking_an_unknown_fidelity_is_a_clear_error() -> None:
    b = nasbench.load("nbgraph-cora")
    with pytest.raises(NasbenchError, match="asked for fidelity 7"):
        run(Scripted([Job(b.space.arch_of_row(0), fidelity=7.0)]), b, seed=0, max_evals=1)
