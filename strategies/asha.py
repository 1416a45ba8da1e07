"""Asynchronous successive halving [asha].

Reference: Li, Jamieson, Rostamizadeh, Gonina, Ben-tzur, Hardt, Recht & Talwalkar, "A System for
Massively Parallel Hyperparameter Tuning" (MLSys 2020), Algorithm 2 (``get_job``). Whenever a worker
is free, look at the rungs from the highest promotable one (one below the top) down to the bottom:
in rung ``k`` the candidates are the best ``floor(|rung k| / eta)`` *finished* configurations; the
best candidate not yet promoted is promoted to rung ``k + 1``. If no rung has one, a new configuration
is sampled uniformly and started at the bottom rung. Nothing ever waits for a rung to fill, so
``ask`` never returns ``None``. Defaults: ``eta = 3``, early-stopping rate ``s = 0`` (the bottom rung
is ``r_min eta**s``), as in the paper.

Rungs are the table's fidelities (epochs) ``R eta**-k`` snapped down to an available epoch (see
``strategies/_brackets.py``); ``R`` is the last fidelity. A promoted configuration is retrained from
scratch and pays ``t(r)`` by default (``resume=False``, the same cost rule as our HpBandSter-style
strategies, so they compare on equal terms); the paper's systems resume from a checkpoint, which
``resume=True`` models: the promotion pays ``t(r_next) - t(r)``. Ties in score go to the configuration
that finished first.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("asha", "curves", seed=0, max_evals=50, workers=4)  # doctest: +SKIP
"""

from __future__ import annotations

import bisect

from nasbench.errors import NasbenchError
from nasbench.strategies._brackets import check_rung_options, rung_fidelities
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_int, register


@register("asha")
class Asha(Strategy):
    summary = "ASHA: asynchronous successive halving, promote the best top-1/eta of the highest rung (eta 3)"
    multi_fidelity = True

    def __init__(self, *, eta: float = 3, early_stopping_rate: int = 0, min_fidelity: float | None = None,
                 max_fidelity: float | None = None, resume: bool = False) -> None:
        self.eta, self.min_fidelity, self.max_fidelity = check_rung_options(eta, min_fidelity, max_fidelity)
        self.early_stopping_rate = check_int("early_stopping_rate", early_stopping_rate, 0)
        if not isinstance(resume, bool):
            raise NasbenchError(f"option resume must be True or False, not {resume!r}")
        self.resume = resume

    def start(self) -> None:
        ladder = rung_fidelities(self.context.fidelities, self.eta, self.min_fidelity, self.max_fidelity)
        if self.early_stopping_rate >= len(ladder):
            raise NasbenchError(f"option early_stopping_rate must be below {len(ladder)} (the rungs are "
                                f"{', '.join(f'{r:g}' for r in ladder)}), not {self.early_stopping_rate}")
        self._rungs = ladder[self.early_stopping_rate:]
        self._rung_of = {fidelity: k for k, fidelity in enumerate(self._rungs)}
        self._trials: list = []  # architecture of each trial id
        # per rung: finished (-score, finish number, trial id), kept sorted best first
        self._finished: list[list[tuple[float, int, int]]] = [[] for _ in self._rungs]
        self._promoted: list[set[int]] = [set() for _ in self._rungs]
        self._finish_count = 0

    def _promotable(self) -> tuple[int, int] | None:
        """``(rung, trial)`` of the promotion ASHA makes now, highest rung first; ``None`` if none."""
        for k in range(len(self._rungs) - 2, -1, -1):
            finished = self._finished[k]
            for _, _, trial in finished[:int(len(finished) // self.eta)]:
                if trial not in self._promoted[k]:
                    return k, trial
        return None

    def propose(self) -> Arch:
        """A new configuration for the bottom rung (uniform; a model-based subclass overrides it)."""
        return self.space.sample(self.rng)

    def ask(self) -> Job:
        promotion = self._promotable()
        if promotion is None:
            trial = len(self._trials)
            self._trials.append(self.propose())
            return Job(self._trials[trial], self._rungs[0], None, tag=trial, trial=trial)
        k, trial = promotion
        self._promoted[k].add(trial)
        resume_from = self._rungs[k] if self.resume else None
        return Job(self._trials[trial], self._rungs[k + 1], resume_from, tag=trial, trial=trial)

    def tell(self, job: Job, result: Result) -> None:
        assert job.fidelity is not None  # every job names its rung
        k = self._rung_of[float(job.fidelity)]
        bisect.insort(self._finished[k], (-result.score, self._finish_count, job.tag))
        self._finish_count += 1

    def describe_last(self) -> dict:
        """The last decision, for a replay: how many trials finished and were promoted at each rung."""
        index = self.space.index
        top = [[index(self._trials[trial]) for _, _, trial in finished[:int(len(finished) // self.eta)]]
               for finished in self._finished]
        return {"rungs": list(self._rungs), "finished per rung": [len(f) for f in self._finished],
                "promoted per rung": [len(p) for p in self._promoted],
                "marks": {f"top 1/eta of rung {k}": rows for k, rows in enumerate(top) if rows}}
