"""Hyperband behaves like its reference: the paper's bracket sizes and budgets, brackets s = s_max..0
cycled, each bracket successive halving on random configurations, synchronous with several workers."""

from __future__ import annotations

import pytest
from curve_fixture import make_curve_table

import nasbench
from nasbench.simulate import run
from nasbench.strategies._brackets import hyperband_brackets, rung_fidelities


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("hyperband") / "curves.h5"))


def schedule(max_epoch: int, eta: int) -> list[list[tuple[int, float]]]:
    """(n_i, r_i) of every stage of every bracket, from the rung ladder of epochs 1..max_epoch."""
    rungs = rung_fidelities(tuple(float(e) for e in range(1, max_epoch + 1)), eta)
    return [[(n, rungs[k]) for n, k in zip(b.sizes, b.rungs)] for b in hyperband_brackets(len(rungs) - 1, eta)]


def test_r27_eta3_brackets() -> None:
    # B = (s_max + 1) R = 108; n = ceil(B / R * eta^s / (s + 1)), r = R eta^-s (Li et al. 2018, Alg. 1)
    assert schedule(27, 3) == [
        [(27, 1.0), (9, 3.0), (3, 9.0), (1, 27.0)],
        [(12, 3.0), (4, 9.0), (1, 27.0)],
        [(6, 9.0), (2, 27.0)],
        [(4, 27.0)],
    ]


def test_r81_eta3_matches_table_1_of_the_hyperband_paper() -> None:
    assert schedule(81, 3) == [
        [(81, 1.0), (27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)],
        [(34, 3.0), (11, 9.0), (3, 27.0), (1, 81.0)],
        [(15, 9.0), (5, 27.0), (1, 81.0)],
        [(8, 27.0), (2, 81.0)],
        [(5, 81.0)],
    ]


def test_brackets_run_in_order_and_keep_the_best(curves: nasbench.Benchmark) -> None:
    # epochs 1..12: rungs 1, 4, 12; brackets (9, 3, 1), (5, 1), (3,) -> 22 evaluations per cycle
    frame = run("hyperband", curves, seed=7, max_evals=44).to_frame()
    one_cycle = [1.0] * 9 + [4.0] * 3 + [12.0] + [4.0] * 5 + [12.0] + [12.0] * 3
    assert frame["fidelity"].tolist() == one_cycle * 2
    second = frame.iloc[13:19]
    assert second["row"].iloc[5] == second.iloc[:5].loc[second["valid"].iloc[:5].idxmax(), "row"]
    first = frame.iloc[:12]
    kept = first.iloc[:9].sort_values("valid", ascending=False, kind="stable")["row"].iloc[:3]
    assert sorted(first["row"].iloc[9:12]) == sorted(kept)


def test_hyperband_waits_for_each_rung_with_several_workers(curves: nasbench.Benchmark) -> None:
    frame = run("hyperband", curves, seed=7, max_evals=44, workers=4).to_frame()
    by_start = frame.sort_values("start", kind="stable")
    assert by_start["fidelity"].tolist()[:22] == ([1.0] * 9 + [4.0] * 3 + [12.0] + [4.0] * 5 + [12.0] + [12.0] * 3)
    # every job of a rung starts after every job of the rung before it has finished
    stages = [(0, 9), (9, 12), (12, 13), (13, 18), (18, 19), (19, 22)]
    for (a, b), (c, d) in zip(stages, stages[1:]):
        assert by_start["start"].iloc[c:d].min() >= by_start["end"].iloc[a:b].max()

