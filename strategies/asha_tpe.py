"""ASHA whose new configurations come from the multivariate TPE [asha-tpe].

References: Li et al., "A System for Massively Parallel Hyperparameter Tuning" (MLSys 2020) for the
asynchronous promotion rule, which is ``asha``'s (``strategies/asha.py``: promote the best unpromoted
configuration of the top ``1/eta`` of the highest rung, else start a new one at the bottom rung);
Klein, Tiao, Lienart, Archambeau & Seeger, "Model-based Asynchronous Hyperparameter and Neural
Architecture Search" (2020) for driving ASHA with a model that proposes the new configurations
(their A-BOHB: ASHA with BOHB's density model, syne-tune's ``ASHA(searcher="kde")``); the model is
the multivariate TPE as Optuna 5's ``TPESampler()`` runs it (``mtpe``, ``strategies/tpe_multivariate.py``:
n_startup 10, gamma ``min(ceil(0.1 n), 25)``, Optuna's weights and prior, 24 joint candidates).

Which results the model sees (``observations``):

* ``"trials"`` (default): every trial once, as Optuna's ``TPESampler`` sees the trials of a study with
  a pruner (optuna/optuna ``optuna/samplers/_tpe/sampler.py`` ``_split_trials``): trials ranked by the
  highest rung they finished (a complete trial first), then by their score there, ties to the older
  trial; the best ``gamma(n)`` of the ``n`` trials with a result form l(x), the rest g(x), and a trial
  with a job in flight joins g(x) (Optuna's ``constant_liar=True``). The model starts after
  ``n_startup`` trials have a result, as Optuna counts complete and pruned trials.
* ``"rung"``: BOHB's rule (Falkner et al. 2018; syne-tune's multi-fidelity KDE searcher): the results
  of the highest rung holding at least ``n_startup`` of them, split there by score.

Defaults: ``eta = 3`` and early-stopping rate 0 (ASHA's), the TPE's as Optuna's. Deviation from
``asha``: ``resume=True`` by default, a promotion paying only the epochs between the two rungs, as the
paper's systems and Optuna's pruned trials (which train on) do.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("asha-tpe", "mlp-mnist1d", seed=0, max_evals=40)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from nasbench.strategies.asha import Asha
from nasbench.strategies.base import Arch, Job, Result, check_choice, check_float, check_int, register
from nasbench.strategies.tpe_multivariate import n_below, suggest


@register("asha-tpe")
class AshaTpe(Asha):
    summary = "ASHA with multivariate-TPE proposals (trials ranked by rung, then score, as Optuna's TPE + pruner)"

    def __init__(self, *, eta: float = 3, early_stopping_rate: int = 0, min_fidelity: float | None = None,
                 max_fidelity: float | None = None, resume: bool = True, observations: str = "trials",
                 n_startup: int = 10, n_candidates: int = 24, prior_weight: float = 1.0) -> None:
        super().__init__(eta=eta, early_stopping_rate=early_stopping_rate, min_fidelity=min_fidelity,
                         max_fidelity=max_fidelity, resume=resume)
        self.observations = check_choice("observations", observations, ("trials", "rung"))
        self.n_startup = check_int("n_startup", n_startup, 1)
        self.n_candidates = check_int("n_candidates", n_candidates, 1)
        self.prior_weight = check_float("prior_weight", prior_weight, 0.0, 1e6, open_low=True)

    def start(self) -> None:
        super().start()
        self._in_flight: set[int] = set()
        self._reached: dict[int, tuple[int, float]] = {}  # trial -> (highest finished rung, score there)

    def ask(self) -> Job:
        job = super().ask()
        self._in_flight.add(job.tag)
        return job

    def tell(self, job: Job, result: Result) -> None:
        super().tell(job, result)
        assert job.fidelity is not None  # every job names its rung
        self._in_flight.discard(job.tag)
        self._reached[job.tag] = (self._rung_of[float(job.fidelity)], result.score)

    def propose(self) -> Arch:
        split = self._trial_split() if self.observations == "trials" else self._rung_split()
        if split is None:
            return self.space.sample(self.rng)
        return suggest(*split, self.space, self.rng, self.n_candidates, self.prior_weight)

    def _genes(self, trials: list[int]) -> np.ndarray:
        return np.asarray([self._trials[t] for t in sorted(trials)], dtype=np.int64).reshape(
            len(trials), len(self.space.n_choices))

    def _trial_split(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Optuna's split: trials by (highest rung, score), the running ones in g(x)."""
        told = [t for t in self._reached if t not in self._in_flight]
        if len(told) < self.n_startup:
            return None
        ranked = sorted(told, key=lambda t: (-self._reached[t][0], -self._reached[t][1], t))
        below = ranked[:n_below(len(told))]
        chosen = set(below)
        above = [t for t in range(len(self._trials)) if t not in chosen and
                 (t in self._reached or t in self._in_flight)]
        return self._genes(below), self._genes(above)

    def _rung_split(self) -> tuple[np.ndarray, np.ndarray] | None:
        """BOHB's split: the results of the highest rung with at least ``n_startup`` of them."""
        for finished in reversed(self._finished):
            if len(finished) >= self.n_startup:
                ranked = [trial for _, _, trial in finished]  # best first, ties to the earlier finish
                cut = n_below(len(ranked))
                return self._genes(ranked[:cut]), self._genes(ranked[cut:])
        return None

    def describe_last(self) -> dict:
        """ASHA's rungs and the model's observation rule."""
        return {**super().describe_last(), "observations": self.observations,
                "trials with a result": len(self._reached)}
