"""Ranking-weighted Gaussian-process ensemble [rgpe] with expected improvement.

Reference: Feurer, Letham & Bakshy, "Scalable Meta-Learning for Bayesian Optimization using
Ranking-Weighted Gaussian Process Ensembles" (AutoML workshop at ICML 2018; the ensemble of
Feurer et al., arXiv:1802.02219). Defaults from the paper where it gives them.

* Base models: one GP per prior task (``SearchContext.priors``: validation metrics of other tasks),
  fitted once at the start on ``n_prior`` = 50 of the rows that prior holds, drawn uniformly by the
  run's generator (a prior table holds up to 26,206 rows; the paper fits its base GPs on each task's
  own, smaller, observation set). The target model is gp-bo's GP on the target's results. Every GP is
  :class:`strategies._models.GaussianProcess` on ``space.one_hot`` (gp-bo's model, imported).
* Weights: ``n_samples`` = 256 draws (the paper's S; 256 as in BoTorch's RGPE tutorial) from each
  model's posterior at the target's observed points — the base models' marginals, the target model's
  leave-one-out marginals (closed form from its Cholesky factor); a model's ranking loss counts the
  misordered pairs of the target's observations; each model's weight is the share of draws in which it
  has the least loss (ties split evenly). Weight dilution prevention: a base model whose median loss
  exceeds the 95th percentile of the target model's losses gets weight 0. With fewer than two target
  results the base models share the weight equally.
* Ensemble: mean ``sum w_m mu_m``, variance ``sum w_m^2 sigma_m^2`` (base models' predictions
  standardised per task, so that tasks of other metrics combine), maximised by expected improvement
  over the best standardised target score, on gp-bo's candidate pool (mutations of the best results
  plus uniform samples; without target results the pool is uniform samples and each prior's best
  architecture). No random initial design: the ensemble proposes from the first job.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("rgpe", "nbgraph-cora", seed=0, max_evals=4, transfer_from=("nbgraph-citeseer",))
    >>> len(trace.to_frame())
    4
"""

from __future__ import annotations

import numpy as np

from nasbench.strategies._models import GaussianProcess
from nasbench.strategies._transfer import prior_matrix
from nasbench.strategies.base import Arch, Job, check_int, register
from nasbench.strategies.gp_bo import GaussianProcessBO


@register("rgpe")
class RankingWeightedEnsemble(GaussianProcessBO):
    summary = "RGPE: ranking-weighted ensemble of one GP per prior task and the target GP, EI (Feurer et al. 2018)"
    transfers = True

    def __init__(self, *, n_prior: int = 50, n_samples: int = 256, pool_size: int = 100, n_top: int = 10,
                 n_starts: int = 2, restart_every: int = 10) -> None:
        self.n_prior = check_int("n_prior", n_prior, 2)
        self.n_samples = check_int("n_samples", n_samples, 1)
        self.pool_size = check_int("pool_size", pool_size, 1)
        self.n_top = check_int("n_top", n_top, 1)
        self.n_starts = check_int("n_starts", n_starts, 0)
        self.restart_every = check_int("restart_every", restart_every, 1)

    def start(self) -> None:
        # gp-bo's settings that RGPE fixes: EI on a Matern-5/2 GP, no random initial design, no portfolio,
        # and the target GP's hyperparameters re-optimised at every result (its weights are recomputed then)
        self.acquisition, self.kernel, self.n_initial, self.warm_start = "ei", "matern52", 0, 0
        self.refit_growth = 0.0
        super().start()
        scores = prior_matrix(self.context, f"strategy {self.name}")
        self._base: list[GaussianProcess] = []
        for values in scores:
            held = np.flatnonzero(~np.isnan(values))
            rows = self.rng.choice(held, size=min(self.n_prior, len(held)), replace=False)
            x = np.array([self.space.one_hot(self.space.arch_of_row(int(row))) for row in rows])
            y = (values[rows] - values[rows].mean()) / (values[rows].std() or 1.0)
            self._base.append(GaussianProcess(self.kernel, self.n_starts).fit(x, y, self.rng))
        self._seeds = [self.space.arch_of_row(int(np.nanargmax(values))) for values in scores]
        self._weights = np.full(len(self._base) + 1, 0.0)

    def ask(self) -> Job:
        arch = self.propose()
        self._asked_rows.add(self.space.index(arch))
        return Job(arch)

    def pool(self) -> list[Arch]:
        if self._scores:
            return super().pool()
        drafts = self._seeds + self.space.sample_batch(self.rng, self.pool_size)
        rows, candidates = set(self._asked_rows), []
        for arch in drafts:
            if self.space.index(arch) not in rows:
                rows.add(self.space.index(arch))
                candidates.append(arch)
        return candidates

    def weights(self) -> np.ndarray:
        """Ensemble weights: the base models', then the target model's (last)."""
        n_base = len(self._base)
        if len(self._scores) < 2:
            return np.append(np.full(n_base, 1.0 / n_base), 0.0)
        x, y = np.array(self._encodings), np.array(self._scores)
        draws = [self._draws(*model.predict(x)) for model in self._base]
        draws.append(self._draws(*self._leave_one_out(self.model())))
        losses = np.stack([self._ranking_loss(sample, y) for sample in draws])  # (models, samples)
        target = losses[-1]
        keep = np.append(np.median(losses[:-1], axis=1) <= np.percentile(target, 95), True)
        losses = np.where(keep[:, None], losses, np.inf)
        best = losses == losses.min(axis=0)
        share = best / best.sum(axis=0)  # ties split evenly, in expectation as a random tie-break
        return share.mean(axis=1)

    def _draws(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return mean[None, :] + std[None, :] * self.rng.standard_normal((self.n_samples, len(mean)))

    @staticmethod
    def _ranking_loss(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per sample, the number of pairs (i, j) ordered one way by the sample and the other by ``y``."""
        sample_less = samples[:, :, None] < samples[:, None, :]
        y_less = y[:, None] < y[None, :]
        return np.sum(sample_less ^ y_less[None], axis=(1, 2))

    @staticmethod
    def _leave_one_out(model: GaussianProcess) -> tuple[np.ndarray, np.ndarray]:
        """Leave-one-out posterior mean and standard deviation at the model's own points (Rasmussen & Williams 5.12)."""
        from scipy.linalg import cho_solve  # imported on use: the registry stays light

        inverse = cho_solve((model._factor, True), np.eye(len(model.y)), check_finite=False)
        diagonal = np.diag(inverse)
        mean = model.y - (inverse @ model.y) / diagonal  # K^-1 y over diag(K^-1)
        return model.y_mean + model.y_scale * mean, model.y_scale / np.sqrt(diagonal)

    def acquisition_values(self, candidates: list[Arch]) -> np.ndarray:
        x = np.array([self.space.one_hot(arch) for arch in candidates])
        weights = self.weights()
        self._weights = weights
        mean, variance = np.zeros(len(candidates)), np.zeros(len(candidates))
        models = list(self._base) + ([self.model()] if self._scores else [])
        for position, (weight, model) in enumerate(zip(weights, models)):
            if weight == 0:
                continue
            mu, sigma = model.predict(x)
            if position == len(self._base):  # the target model: standardise its scores
                mu, sigma = (mu - model.y_mean) / model.y_scale, sigma / model.y_scale
            mean += weight * mu
            variance += weight**2 * sigma**2
        std = np.sqrt(np.maximum(variance, 1e-12))
        target = self.model() if self._scores else None
        best = (max(self._scores) - target.y_mean) / target.y_scale if target is not None else float(np.max(mean))
        improvement = mean - best
        z = improvement / std
        from scipy.stats import norm

        return improvement * norm.cdf(z) + std * norm.pdf(z)
