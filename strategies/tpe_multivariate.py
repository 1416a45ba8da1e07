"""Multivariate tree-structured Parzen estimator [mtpe], Optuna 5's default TPE (written here, not imported).

References: Falkner, Klein & Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at
Scale" (ICML 2018) for the joint (multivariate) kernel density in place of one estimator per
parameter; Watanabe, "Tree-structured Parzen Estimator: Understanding Its Algorithm Components and
Their Roles for Better Empirical Performance" (2023) for the components; the variant is Optuna
5.0's ``TPESampler()`` with its defaults (optuna/optuna, ``optuna/samplers/_tpe/sampler.py``,
``parzen_estimator.py``, ``probability_distributions.py``), every gene a categorical parameter:

* the first ``n_startup`` = 10 finished trials are uniform samples;
* split: of the ``n`` finished trials, the ``n_below = min(ceil(0.1 n), 25)`` best by score make the
  "below" set l(x) (a stable sort: ties go to the older trial), the others the "above" set g(x);
  trials still running join g(x) with their genes (Optuna's ``constant_liar=True``);
* each set is a mixture of product kernels, one per trial (in trial order) plus a prior kernel. A
  trial's kernel puts probability proportional to ``1 + prior_weight / (N + 1)`` on its value of a
  gene and ``prior_weight / (N + 1)`` on every other value (``N`` trials in the set); the prior
  kernel is uniform. The mixture weights are Optuna's ``default_weights`` (all 1 below 25 trials,
  else a ramp from 1/N to 1 over the older trials and 1 for the newest 25), ``prior_weight`` = 1
  appended for the prior, normalised;
* ``n_candidates`` = 24 architectures are drawn jointly from l(x) (a kernel by its weight, then every
  gene from that kernel), and the one of largest ``log l(x) - log g(x)`` of the joint densities is
  asked.

Optuna has no invalid combinations; a candidate the space excludes (NAS-Bench-Graph's all-skip cell)
is dropped before the comparison, and if all 24 are, fresh ones are drawn (after 100 tries a uniform
sample). Repeated architectures are evaluated again, as Optuna does.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("mtpe", "nbgraph-cora", seed=0, max_evals=30)
    >>> len(trace.to_frame())
    30
"""

from __future__ import annotations

import math

import numpy as np

from nasbench.strategies.base import Arch, Job, Result, Space, Strategy, check_float, check_int, register

#: Optuna's cap on the size of the below set (``default_gamma``)
BELOW_CAP = 25
#: the newest trials of full weight (Optuna's ``default_weights``)
FLAT_WEIGHTS = 25
_VALIDITY_RETRIES = 100


def n_below(n: int) -> int:
    """Optuna's ``default_gamma``: ``min(ceil(0.1 n), 25)``.

    >>> [n_below(n) for n in (10, 11, 100, 300)]
    [1, 2, 10, 25]
    """
    return min(math.ceil(0.1 * n), BELOW_CAP)


def trial_weights(n: int) -> np.ndarray:
    """Optuna's ``default_weights`` for ``n`` trials in trial order.

    >>> trial_weights(27).round(3)[[0, 1, 2, 26]].tolist()
    [0.037, 1.0, 1.0, 1.0]
    """
    if n < FLAT_WEIGHTS:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - FLAT_WEIGHTS), np.ones(FLAT_WEIGHTS)])


class CategoricalMixture:
    """Optuna's mixture of product categorical kernels over ``genes`` (trials x genes, trial order).

    >>> mixture = CategoricalMixture(np.array([[0, 1], [0, 0]]), (2, 3), prior_weight=1.0)
    >>> float(np.exp(mixture.log_pdf(np.array([[0, 1]])))[0]).__round__(4)
    0.2778
    """

    def __init__(self, genes: np.ndarray, n_choices: tuple[int, ...], prior_weight: float) -> None:
        n = len(genes)
        weights = np.append(trial_weights(n), prior_weight) if n else np.ones(1)
        self.log_weights = np.log(weights / weights.sum())
        # tables[gene] is (kernels, values): one row per trial, the uniform prior last
        self.tables = []
        for gene, n_values in enumerate(n_choices):
            table = np.full((n + 1, n_values), prior_weight / (n + 1))
            table[np.arange(n), genes[:, gene]] += 1.0
            table[n] = 1.0
            self.tables.append(table / table.sum(axis=1, keepdims=True))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` joint draws (rows of genes): a kernel by weight, then each gene from it."""
        kernels = rng.choice(len(self.log_weights), size=size, p=np.exp(self.log_weights))
        out = np.empty((size, len(self.tables)), dtype=np.int64)
        for gene, table in enumerate(self.tables):
            cumulative = np.cumsum(table[kernels], axis=1)
            cumulative[:, -1] = 1.0
            out[:, gene] = (cumulative < rng.random(size)[:, None]).sum(axis=1)
        return out

    def log_pdf(self, genes: np.ndarray) -> np.ndarray:
        """Log density of each row of ``genes`` under the mixture."""
        per_kernel = self.log_weights[None, :] + sum(np.log(table[:, genes[:, gene]]).T
                                                     for gene, table in enumerate(self.tables))
        top = per_kernel.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(per_kernel - top).sum(axis=1, keepdims=True)))[:, 0]


@register("mtpe")
class MultivariateTPE(Strategy):
    summary = "TPE as Optuna 5 runs it: joint categorical Parzen mixtures, gamma 0.1, 24 EI candidates"

    def __init__(self, *, n_startup: int = 10, n_candidates: int = 24, prior_weight: float = 1.0) -> None:
        self.n_startup = check_int("n_startup", n_startup, 1)
        self.n_candidates = check_int("n_candidates", n_candidates, 1)
        self.prior_weight = check_float("prior_weight", prior_weight, 0.0, 1e6, open_low=True)

    def start(self) -> None:
        self._archs: list[Arch] = []  # every trial in ask order (Optuna's trial numbers)
        self._scores: list[float] = []  # NaN while the trial runs
        self._running: dict[Arch, list[int]] = {}

    def ask(self) -> Job:
        n_finished = len(self._archs) - sum(map(len, self._running.values()))
        arch = self.space.sample(self.rng) if n_finished < self.n_startup else self.suggest()
        self._running.setdefault(arch, []).append(len(self._archs))
        self._archs.append(arch)
        self._scores.append(math.nan)
        return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        self._scores[self._running[job.arch].pop(0)] = result.score
        if not self._running[job.arch]:
            del self._running[job.arch]

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """Gene matrices of the below and the above trials, each in trial order."""
        genes = np.asarray(self._archs, dtype=np.int64)
        scores = np.asarray(self._scores)
        finished = np.flatnonzero(~np.isnan(scores))
        best = finished[np.argsort(-scores[finished], kind="stable")[:n_below(len(finished))]]
        below = np.zeros(len(genes), dtype=bool)
        below[best] = True
        return genes[below], genes[~below]

    def suggest(self) -> Arch:
        """The candidate of largest l(x) / g(x) among joint draws from l(x)."""
        below, above = self.split()
        return suggest(below, above, self.space, self.rng, self.n_candidates, self.prior_weight)


def suggest(below: np.ndarray, above: np.ndarray, space: Space, rng: np.random.Generator, n_candidates: int,
            prior_weight: float) -> Arch:
    """Of ``n_candidates`` valid joint draws from l(x) (the mixture of ``below``), the one of largest
    ``log l(x) - log g(x)`` (g: the mixture of ``above``); a uniform sample after 100 invalid rounds."""
    good = CategoricalMixture(below, space.n_choices, prior_weight)
    bad = CategoricalMixture(above, space.n_choices, prior_weight)
    for _ in range(_VALIDITY_RETRIES):
        candidates = good.sample(rng, n_candidates)
        candidates = candidates[space.valid_mask(candidates)]
        if len(candidates):
            best = int(np.argmax(good.log_pdf(candidates) - bad.log_pdf(candidates)))
            return tuple(int(g) for g in candidates[best])
    return space.sample(rng)
