"""Gaussian-process Bayesian optimisation [gp-bo] on the one-hot encoding.

References: Snoek, Larochelle & Adams, "Practical Bayesian Optimization of Machine Learning
Algorithms" (NeurIPS 2012) for the GP with marginal-likelihood hyperparameters; Srinivas et al.,
"Gaussian Process Optimization in the Bandit Setting" (ICML 2010) for UCB; the acquisition optimiser
is NAS-BOWL's (Ru et al., "Interpretable Neural Architecture Search via Bayesian Optimisation with
Weisfeiler-Lehman Kernels", ICLR 2021, xingchenwan/nasbowl), with a one-hot encoding in place of its
graph kernel, as the seed text's "GP + UCB".

* Model: a GP on ``space.one_hot(arch)`` with an isotropic (ARD-free) Matern-5/2 kernel (``kernel``
  ``"rbf"`` for the squared exponential); targets standardised; length-scale, signal variance and
  noise maximise the log marginal likelihood (L-BFGS-B with the analytic gradient, one Cholesky
  factor per evaluation). The hyperparameters are re-optimised once the results have grown by
  ``refit_growth`` = 10 % since the last optimisation (every one or two results below 20, every 10th
  near 100, every 17th near 170 — Dragonfly's ``build_new_model_every`` default — every 100th near
  1,000), starting from the previous optimum; in between, new results extend the Cholesky factor by a
  block under the kept hyperparameters (Dragonfly likewise adds data to the GP between its model
  builds). ``refit_growth=0`` re-optimises at every new result, which made a 1,000-evaluation run on
  nbgraph-cora some 30 times slower with the same regret over 30 seeds at 300 evaluations
  (reports/faithfulness/README.md). The first optimisation and every
  ``restart_every``-th (10) also start from ``n_starts`` = 2 log-uniform points drawn from the run's
  generator, and the best optimum wins.
* Acquisition: ``"ucb"`` (default) ``mean + sqrt(beta) * std``, beta = 4 (two standard deviations);
  or ``"ei"``, expected improvement over the best score seen.
* Acquisition optimiser (stated, not exhaustive): score a pool of ``pool_size`` = 100 candidates,
  half single-gene mutations of the top ``n_top`` = 10 architectures (the parents taken in turn),
  half uniform samples; architectures already asked (same row) are left out; the best is asked.
  Scoring every untried cell would be a simulator-only shortcut.
* The first ``n_initial`` = 10 asks are distinct uniform samples (NAS-BOWL starts from 30).
  With several workers each free worker gets the best candidate given the results so far; running
  architectures are left out of the pool, so no two workers train the same one.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("gp-bo", "nbgraph-cora", seed=0, max_evals=15)
    >>> len(trace.to_frame())
    15
"""

from __future__ import annotations

import math

import numpy as np

from nasbench.strategies._models import KERNELS, GaussianProcess, candidate_pool, unasked_sample
from nasbench.strategies._transfer import warm_start_queue
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_choice, check_float, check_int, register


@register("gp-bo")
class GaussianProcessBO(Strategy):
    summary = "GP Bayesian optimisation on one-hot cells (Matern-5/2, marginal likelihood), UCB or EI"

    def __init__(self, *, acquisition: str = "ucb", beta: float = 4.0, kernel: str = "matern52",
                 n_initial: int = 10, pool_size: int = 100, n_top: int = 10, n_starts: int = 2,
                 restart_every: int = 10, refit_growth: float = 0.1, warm_start: int = 0) -> None:
        self.acquisition = check_choice("acquisition", acquisition, ("ucb", "ei"))
        self.beta = check_float("beta", beta, 0.0, 1e6)
        self.kernel = check_choice("kernel", kernel, KERNELS)
        self.n_initial = check_int("n_initial", n_initial, 1)
        self.pool_size = check_int("pool_size", pool_size, 1)
        self.n_top = check_int("n_top", n_top, 1)
        self.n_starts = check_int("n_starts", n_starts, 0)
        self.restart_every = check_int("restart_every", restart_every, 1)
        self.refit_growth = check_float("refit_growth", refit_growth, 0.0, 1e6)
        self.warm_start = check_int("warm_start", warm_start, 0)

    def start(self) -> None:
        self._asked_rows: set[int] = set()  # evaluated or running
        self._archs: list[Arch] = []  # told, in telling order
        self._scores: list[float] = []
        self._encodings: list[np.ndarray] = []
        self._model: GaussianProcess | None = None
        self._model_size = 0  # results the model is conditioned on
        self._tuned_size = 0  # results its hyperparameters were optimised on
        self._fits = 0
        self._warm = warm_start_queue(self.space, self.context, self.warm_start, self.name)

    def ask(self) -> Job:
        if self._warm:  # the prior portfolio first, in place of initial samples
            arch = self._warm.pop()
        elif len(self._asked_rows) < self.n_initial or not self._scores:
            arch = self._fresh_sample()
        else:
            arch = self.propose()
        self._asked_rows.add(self.space.index(arch))
        return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        self._archs.append(job.arch)
        self._scores.append(result.score)
        self._encodings.append(self.space.one_hot(job.arch))

    def _fresh_sample(self) -> Arch:
        return unasked_sample(self.space, self.rng, self._asked_rows)

    def model(self) -> GaussianProcess:
        """The GP conditioned on every result so far; its hyperparameters are re-optimised once the
        results have grown by ``refit_growth`` since the last optimisation, else kept."""
        n = len(self._scores)
        if self._model is not None and self._model_size == n:
            return self._model
        if self._model is not None and n < self._tuned_size * (1.0 + self.refit_growth):
            try:
                self._model.extend(np.array(self._encodings[self._model_size:]), np.array(self._scores))
                self._model_size = n
                return self._model
            except np.linalg.LinAlgError:  # the grown factor lost definiteness: optimise afresh
                pass
        warm = None if self._model is None else self._model.log_params
        n_starts = self.n_starts if self._fits % self.restart_every == 0 else 0
        self._model = GaussianProcess(self.kernel, n_starts).fit(
            np.array(self._encodings), np.array(self._scores), self.rng, warm_start=warm)
        self._model_size = self._tuned_size = n
        self._fits += 1
        return self._model

    def pool(self) -> list[Arch]:
        """Candidates: mutations of the top architectures, then uniform samples; none asked before."""
        return candidate_pool(self.space, self.rng, self._archs, np.asarray(self._scores), self._asked_rows,
                              self.pool_size, self.n_top)

    def acquisition_values(self, candidates: list[Arch]) -> np.ndarray:
        mean, std = self.model().predict(np.array([self.space.one_hot(arch) for arch in candidates]))
        if self.acquisition == "ucb":
            return mean + math.sqrt(self.beta) * std
        from scipy.stats import norm

        improvement = mean - max(self._scores)
        z = improvement / std
        return improvement * norm.cdf(z) + std * norm.pdf(z)

    def propose(self) -> Arch:
        """The pool's candidate of highest acquisition value."""
        candidates = self.pool()
        if not candidates:  # the neighbourhood and the samples were all asked before
            return self._fresh_sample()
        values = self.acquisition_values(candidates)
        self._last_pool = (candidates, values)  # kept for describe_last
        return candidates[int(np.argmax(values))]

    def describe_last(self) -> dict:
        """The last decision, for a replay: the acquisition over the candidate pool (or the initial design)."""
        pool = vars(self).get("_last_pool")
        if pool is None or len(self._asked_rows) <= self.n_initial:
            return {"phase": f"initial design: {len(self._asked_rows)} of {self.n_initial} uniform samples"}
        candidates, values = pool
        order = np.argsort(-values, kind="stable")
        rows = [self.space.index(arch) for arch in candidates]
        model = self._model  # fitted by the propose just made; never refitted here (that would draw from the rng)
        return {"phase": f"{self.acquisition} over a pool of {len(candidates)} candidates",
                "best acquisition values": [round(float(values[i]), 4) for i in order[:5]],
                "acquisition range": [float(values.min()), float(values.max())],
                "GP log length-scale, signal, noise": [] if model is None else [round(float(p), 3)
                                                                                 for p in model.log_params],
                "marks": {"pool": rows, "top 5 by acquisition": [rows[i] for i in order[:5]]}}
