"""Successive halving behaves like its reference: rungs from the table's epochs, eta^s_max
configurations at the bottom rung, the top 1/eta kept at each rung, synchronous rungs, and the
restart/resume cost rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from curve_fixture import make_curve_table

import nasbench
from nasbench.errors import NasbenchError
from nasbench.simulate import run
from nasbench.strategies._brackets import rung_fidelities


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("sh") / "curves.h5"))


def epochs(n: int) -> tuple[float, ...]:
    return tuple(float(e) for e in range(1, n + 1))


def test_rungs_are_r_eta_to_the_minus_s_snapped_down_to_available_epochs() -> None:
    assert rung_fidelities(epochs(27), 3) == (1.0, 3.0, 9.0, 27.0)
    assert rung_fidelities(epochs(81), 3) == (1.0, 3.0, 9.0, 27.0, 81.0)
    # 12 / 9 = 1.33 -> 1 epoch, 12 / 3 = 4 (the NAS-Bench-201 scripts' int(budget))
    assert rung_fidelities(epochs(12), 3) == (1.0, 4.0, 12.0)
    assert rung_fidelities(epochs(200), 3) == (2.0, 7.0, 22.0, 66.0, 200.0)
    assert rung_fidelities(epochs(12), 2) == (1.0, 3.0, 6.0, 12.0)
    assert rung_fidelities(epochs(27), 3, min_fidelity=3.0, max_fidelity=9.0) == (3.0, 9.0)
    # a sparse grid: rungs that collide after snapping merge
    assert rung_fidelities((1.0, 2.0, 100.0), 3) == (1.0, 2.0, 100.0)


@pytest.mark.parametrize("options, message", [
    ({"eta": 1}, "option eta"), ({"min_fidelity": 5.5}, "option min_fidelity"),
    ({"max_fidelity": 40.0}, "option max_fidelity"), ({"resume": "yes"}, "option resume"),
])
def test_bad_options_are_named(curves: nasbench.Benchmark, options: dict, message: str) -> None:
    with pytest.raises(NasbenchError, match=message):
        run("sh", curves, seed=0, max_evals=5, **options)


def test_each_rung_keeps_the_top_third_of_the_previous_one(curves: nasbench.Benchmark) -> None:
    frame = run("sh", curves, seed=3, max_evals=26).to_frame()  # two brackets of 9 + 3 + 1
    assert frame["fidelity"].tolist() == ([1.0] * 9 + [4.0] * 3 + [12.0]) * 2
    for start in (0, 13):
        bottom, middle, top = frame.iloc[start:start + 9], frame.iloc[start + 9:start + 12], frame.iloc[start + 12]
        best_bottom = bottom.sort_values("valid", ascending=False, kind="stable")["row"].iloc[:3]
        assert sorted(middle["row"]) == sorted(best_bottom)
        assert top["row"] == middle.loc[middle["valid"].idxmax(), "row"]
    assert frame["row"].iloc[:9].tolist() != frame["row"].iloc[13:22].tolist()


def test_rungs_are_synchronous_with_several_workers(curves: nasbench.Benchmark) -> None:
    frame = run("sh", curves, seed=1, max_evals=26, workers=4).to_frame().sort_values("start", kind="stable")
    bottom = frame[frame["fidelity"] == 1.0].iloc[:9]
    middle = frame[frame["fidelity"] == 4.0].iloc[:3]
    assert middle["start"].min() >= bottom["end"].max()  # the rung waited for its last result
    assert (frame["start"] == 0).sum() == 4  # every worker busy at first


@pytest.mark.parametrize("resume", [False, True])
def test_promotion_cost_restart_or_resume(curves: nasbench.Benchmark, resume: bool) -> None:
    frame = run("sh", curves, seed=2, max_evals=13, resume=resume).to_frame()
    times = curves.table.metric("train_time")
    fidelity_column = {float(f): i for i, f in enumerate(curves.fidelities)}
    seed_column = {int(s): i for i, s in enumerate(curves.seeds)}
    previous = {1.0: None, 4.0: 1.0, 12.0: 4.0}
    for row in frame.itertuples():
        cumulative = times[row.row, seed_column[row.seed]]
        expected = cumulative[fidelity_column[row.fidelity]]
        if resume and previous[row.fidelity] is not None:
            expected -= cumulative[fidelity_column[previous[row.fidelity]]]
        assert row.cost == pytest.approx(expected)
    promoted = frame[frame["fidelity"] > 1.0]
    restart_cost = [times[r.row, seed_column[r.seed], fidelity_column[r.fidelity]] for r in promoted.itertuples()]
    assert (promoted["cost"].to_numpy() < np.array(restart_cost)).all() == resume


def test_sh_needs_a_multi_fidelity_table() -> None:
    with pytest.raises(NasbenchError, match="single fidelity"):
        run("sh", "nbgraph-cora", seed=0, max_evals=5)


def test_fixture_writes_the_same_bytes_for_the_same_seed(tmp_path: Path) -> None:
    first = make_curve_table(tmp_path / "a.h5")
    second = make_curve_table(tmp_path / "b.h5")
    other = make_curve_table(tmp_path / "c.h5", seed=1)
    for metric in ("valid_accuracy", "test_accuracy", "train_time"):
        values = [nasbench.load(p).table.metric(metric) for p in (first, second, other)]
        assert np.array_equal(values[0], values[1])
        assert not np.array_equal(values[0], values[2])
        if metric == "train_time":
            assert (np.diff(values[0], axis=2) > 0).all()  # cumulative
