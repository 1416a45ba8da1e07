"""One table seed per trial: a promoted or resumed trial reads one training run; a new trial draws afresh."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

import nasbench
from nasbench.protocol import Job, Result, SearchContext
from nasbench.spaces import Space


def test_every_asha_trial_with_resume_reads_one_seed() -> None:
    bench = nasbench.load("mlp-mnist1d")
    spread = 0
    for seed in range(5):
        trace = nasbench.run("asha", bench, seed=seed, max_evals=60, resume=True)
        rows, seeds, fidelity = (trace.columns[k] for k in ("row", "seed", "fidelity"))
        starts = Counter(rows[fidelity == fidelity.min()].tolist())  # every trial starts at the bottom rung
        read: dict[int, set[int]] = defaultdict(set)
        for row, s in zip(rows.tolist(), seeds.tolist()):
            read[row].add(s)
        promoted = [row for row in read if np.sum(rows == row) > starts[row]]
        assert promoted  # the runs promote, so the check has something to hold
        assert all(len(read[row]) == 1 for row in read if starts[row] == 1)
        spread += len({s for row in read for s in read[row]})
    assert spread > 5  # different trials do read different seeds


class _Repeat:
    """Asks one architecture again and again: as one trial (``same``) or as new trials."""

    name = "repeat"

    def __init__(self, same: bool) -> None:
        self.same = same

    def reset(self, space: Space, rng: np.random.Generator, context: SearchContext) -> None:
        self.arch = space.arch_of_row(5)

    def ask(self) -> Job:
        return Job(self.arch, trial=1 if self.same else None)

    def tell(self, job: Job, result: Result) -> None:
        pass


def test_one_trial_keeps_its_seed_and_new_trials_of_a_seen_architecture_draw_afresh() -> None:
    bench = nasbench.load("mlp-mnist1d")
    kept = nasbench.run(_Repeat(same=True), bench, seed=0, max_evals=30)
    fresh = nasbench.run(_Repeat(same=False), bench, seed=0, max_evals=30)
    assert len(set(kept.columns["seed"].tolist())) == 1
    assert set(fresh.columns["seed"].tolist()) == set(bench.seeds.tolist())
