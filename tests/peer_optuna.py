"""Optuna's samplers as peers, run through their ask/tell interface on our tables (test-only;
``pip install -e ".[peer]"``). A user's setup: one categorical parameter per gene, maximise the
validation score, Optuna's default ``TPESampler`` seeded from the run's generator. An architecture
the space excludes is told as a failed trial (Optuna then ignores it) and the next one is asked."""

from __future__ import annotations

from typing import Any

import numpy as np

from nasbench.simulate import Job, Result, SearchContext
from nasbench.spaces import Space

_INVALID_RETRIES = 100


class OptunaPeer:
    """A :class:`~nasbench.simulate.StrategyProtocol` around an Optuna study (sequential or not)."""

    name = "optuna-tpe"

    def __init__(self, **sampler_options: Any) -> None:
        self.sampler_options = sampler_options

    def reset(self, space: Space, rng: np.random.Generator, context: SearchContext) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space = space
        sampler = optuna.samplers.TPESampler(seed=int(rng.integers(2**31)), **self.sampler_options)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self._trials: dict[int, list[Any]] = {}

    def ask(self) -> Job:
        import optuna

        for _ in range(_INVALID_RETRIES):
            trial = self.study.ask()
            arch = tuple(trial.suggest_categorical(f"gene{i}", list(range(n)))
                         for i, n in enumerate(self.space.n_choices))
            if self.space.is_valid(arch):
                self._trials.setdefault(self.space.index(arch), []).append(trial)
                return Job(arch)
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        raise RuntimeError("Optuna proposed only invalid architectures")

    def tell(self, job: Job, result: Result) -> None:
        self.study.tell(self._trials[self.space.index(job.arch)].pop(0), result.score)

    def overhead(self) -> float:
        return 0.0
