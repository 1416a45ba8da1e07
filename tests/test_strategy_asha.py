"""ASHA behaves like Algorithm 2 of Li et al. (2020): promotions come from the highest rung that has a
not-yet-promoted configuration in its top 1/eta, else a new configuration starts at the bottom; no
worker ever waits for a rung to fill."""

from __future__ import annotations

import numpy as np
import pytest
from curve_fixture import make_curve_table

import nasbench
from nasbench.errors import NasbenchError
from nasbench.simulate import Job, Result, SearchContext, run
from nasbench.spaces.nb201 import Nb201Space
from nasbench.strategies.asha import Asha


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("asha") / "curves.h5"))


def started(epochs: int = 9, **options) -> Asha:
    strategy = Asha(**options)
    context = SearchContext(tuple(float(e) for e in range(1, epochs + 1)), "epochs", 4, None, 1e9, "valid_accuracy")
    strategy.reset(Nb201Space(), np.random.default_rng(0), context)
    return strategy


def finish(strategy: Asha, job: Job, score: float) -> None:
    strategy.tell(job, Result(job, score, 1.0))


def test_promotes_the_best_of_the_top_third_else_starts_new_configurations() -> None:
    asha = started()  # rungs 1, 3, 9 epochs
    bottom = [asha.ask() for _ in range(6)]
    assert [job.fidelity for job in bottom] == [1.0] * 6  # nothing finished: only new configurations
    assert len({job.tag for job in bottom}) == 6
    for job, score in zip(bottom[:2], (0.5, 0.7)):
        finish(asha, job, score)
    assert asha.ask().fidelity == 1.0  # 2 finished: floor(2 / 3) = 0 candidates
    finish(asha, bottom[2], 0.6)
    promoted = asha.ask()  # 3 finished: the best one (0.7) goes up
    assert (promoted.fidelity, promoted.tag, promoted.arch) == (3.0, bottom[1].tag, bottom[1].arch)
    assert asha.ask().fidelity == 1.0  # the top third is already promoted
    for job, score in zip(bottom[3:6], (0.9, 0.1, 0.2)):
        finish(asha, job, score)
    second = asha.ask()  # 6 finished: top 2 are 0.9 and 0.7; 0.7 is taken, so 0.9 goes up
    assert (second.fidelity, second.tag) == (3.0, bottom[3].tag)
    finish(asha, promoted, 0.8)
    finish(asha, second, 0.95)
    assert asha.ask().fidelity == 1.0  # rung 3 has 2 results: no candidate yet
    more = [asha.ask() for _ in range(3)]
    for job, score in zip(more, (0.3, 0.2, 0.1)):
        finish(asha, job, score)
    # the bottom rung holds 9 results -> 3 candidates (0.9, 0.7, 0.6); the third is still free
    third = asha.ask()
    assert (third.fidelity, third.tag) == (3.0, bottom[2].tag)
    assert asha.ask().fidelity == 1.0  # nothing left to promote anywhere


def test_highest_rung_is_served_first() -> None:
    asha = started()
    jobs = [asha.ask() for _ in range(9)]
    for index, job in enumerate(jobs):
        finish(asha, job, index / 10)  # the last three are the best
    up = [asha.ask() for _ in range(3)]
    assert [job.tag for job in up] == [jobs[8].tag, jobs[7].tag, jobs[6].tag]
    assert all(job.fidelity == 3.0 for job in up)
    for job, score in zip(up, (0.5, 0.9, 0.4)):
        finish(asha, job, score)
    nine = asha.ask()  # rung 3 has three results: its best goes to the top rung before anything else
    assert (nine.fidelity, nine.tag) == (9.0, jobs[7].tag)
    finish(asha, nine, 0.99)
    assert asha.ask().fidelity == 1.0  # the top rung is never promoted from


@pytest.mark.parametrize("resume", [False, True])
def test_resume_sets_the_previous_rung(resume: bool) -> None:
    asha = started(resume=resume)
    jobs = [asha.ask() for _ in range(3)]
    for job, score in zip(jobs, (0.1, 0.2, 0.3)):
        finish(asha, job, score)
    promoted = asha.ask()
    assert promoted.resume_from == (1.0 if resume else None)


def test_early_stopping_rate_moves_the_bottom_rung() -> None:
    asha = started(epochs=27, early_stopping_rate=1)
    assert asha.ask().fidelity == 3.0
    with pytest.raises(NasbenchError, match="option early_stopping_rate"):
        started(epochs=27, early_stopping_rate=4)


def test_workers_never_wait(curves: nasbench.Benchmark) -> None:
    frame = run("asha", curves, seed=0, max_evals=300, workers=4).to_frame()
    assert (frame["start"] == 0).sum() == 4
    ends = set(frame["end"].round(9))
    last_start = frame["start"].max()
    # every job after the first four starts the moment another finished, and every finish before the
    # last start is followed at once by a new start: a free worker is never idle
    assert set(frame.loc[frame["start"] > 0, "start"].round(9)) <= ends
    assert {e for e in ends if e <= last_start} <= set(frame["start"].round(9))
    assert set(frame["fidelity"]) == {1.0, 4.0, 12.0}
    # promotions started while the bottom rung was still filling (no synchronous rung barrier)
    first_promotion = frame.loc[frame["fidelity"] == 4.0, "start"].min()
    assert (frame.loc[frame["fidelity"] == 1.0, "start"] > first_promotion).sum() > 0
