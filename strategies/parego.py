"""ParEGO [parego]: a random augmented-Chebyshev scalarisation per iteration, a GP on it, EI.

Reference: Knowles, "ParEGO: A Hybrid Algorithm With On-Line Landscape Approximation for Expensive
Multiobjective Optimization Problems", IEEE Trans. Evolutionary Computation 10(1), 2006 (the
reference C code, ``ParEGO.c``). The variant, step by step:

* the first ``n_initial`` asks are distinct uniform samples; Knowles uses 11·d − 1 for d decision
  variables, here d = the number of genes (``n_initial=None``);
* each iteration draws a weight vector uniformly from the simplex lattice of step 1/s
  (``s`` = 10 for two objectives, 4 for three: 11 and 15 vectors, as in the paper);
* the objectives seen so far are normalised to [0, 1] by their observed range (the paper uses known
  bounds, which a search does not have) and scalarised by the augmented Chebyshev function
  ``max_j(w_j f_j) + rho * sum_j(w_j f_j)``, rho = 0.05, on minimised objectives;
* the GP of ``gp-bo`` (``strategies/_models.py``: Matern-5/2 on one-hot cells, marginal-likelihood
  hyperparameters, warm-started from the previous fit, with ``n_starts`` random restarts at the first
  and every ``restart_every``-th fit as ``gp-bo`` does) is fitted on the scalarised values of at most
  ``max_points`` = 80 results, the best under the current scalarisation (a cap for speed, our choice:
  the targets change every iteration, so the model is refitted every time), and the candidate of
  highest expected improvement is asked;
* EI is maximised over a pool, as ``gp-bo`` does instead of the paper's small evolutionary search:
  ``pool_size`` candidates, half single-gene mutations of the ``n_top`` = 10 architectures best under
  the current scalarisation, half uniform samples, none asked before (``gp-bo``'s pool).

Objectives are the run's declared ones (oriented to maximise); with fewer than two the score joins
them. One ask at a time: with several workers each free worker gets the next iteration's proposal.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("parego", "nbgraph-cora", seed=0, max_evals=30, objectives=("valid_accuracy", "latency"),
    ...             n_initial=10)
    >>> len(trace.to_frame())
    30
"""

from __future__ import annotations

import itertools

import numpy as np

from nasbench.strategies._models import KERNELS, GaussianProcess, candidate_pool, unasked_sample
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_choice, check_float, check_int, register

LATTICE_STEPS = {2: 10, 3: 4}  # Knowles 2006: s such that the number of weight vectors is 11 (k=2) and 15 (k=3)


def weight_lattice(n_objectives: int) -> np.ndarray:
    """Every weight vector on the simplex with components in multiples of 1/s.

    >>> weight_lattice(2)[:3].tolist()
    [[0.0, 1.0], [0.1, 0.9], [0.2, 0.8]]
    """
    steps = LATTICE_STEPS.get(n_objectives, 4)
    vectors = [c for c in itertools.product(range(steps + 1), repeat=n_objectives) if sum(c) == steps]
    return np.array(vectors, dtype=np.float64) / steps


def augmented_chebyshev(costs: np.ndarray, weights: np.ndarray, rho: float = 0.05) -> np.ndarray:
    """Augmented Chebyshev scalarisation of minimised, normalised costs (one row per point).

    >>> augmented_chebyshev(np.array([[0.2, 0.4]]), np.array([0.5, 0.5])).round(3).tolist()
    [0.215]
    """
    weighted = costs * weights
    return weighted.max(axis=1) + rho * weighted.sum(axis=1)


@register("parego")
class ParEGO(Strategy):
    summary = "ParEGO (Knowles 2006): random augmented-Chebyshev scalarisation, GP + EI"
    multi_objective = True

    def __init__(self, *, n_initial: int | None = None, rho: float = 0.05, pool_size: int = 100, n_top: int = 10,
                 max_points: int | None = 80, kernel: str = "matern52", n_starts: int = 2,
                 restart_every: int = 10) -> None:
        self.n_initial = None if n_initial is None else check_int("n_initial", n_initial, 1)
        self.rho = check_float("rho", rho, 0.0, 1.0)
        self.pool_size = check_int("pool_size", pool_size, 2)
        self.n_top = check_int("n_top", n_top, 1)
        self.max_points = None if max_points is None else check_int("max_points", max_points, 2)
        self.kernel = check_choice("kernel", kernel, KERNELS)
        self.n_starts = check_int("n_starts", n_starts, 0)
        self.restart_every = check_int("restart_every", restart_every, 1)

    def start(self) -> None:
        self._asked_rows: set[int] = set()
        self._archs: list[Arch] = []
        self._vectors: list[tuple[float, ...]] = []
        self._encodings: list[np.ndarray] = []
        self._initial = self.n_initial or 11 * len(self.space.n_choices) - 1
        self._lattice: np.ndarray | None = None
        self._warm: np.ndarray | None = None
        self._fits = 0

    def ask(self) -> Job:
        arch = self._fresh() if len(self._asked_rows) < self._initial or len(self._vectors) < 2 else self.propose()
        self._asked_rows.add(self.space.index(arch))
        return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        self._archs.append(job.arch)
        objectives = result.objectives
        self._vectors.append(objectives if len(objectives) >= 2 else (result.score, *objectives))
        self._encodings.append(self.space.one_hot(job.arch))

    def _fresh(self) -> Arch:
        return unasked_sample(self.space, self.rng, self._asked_rows)

    def scalarised(self) -> np.ndarray:
        """This iteration's augmented-Chebyshev cost of every result (a fresh random weight vector)."""
        costs = -np.array(self._vectors, dtype=np.float64)  # minimised
        low, high = costs.min(axis=0), costs.max(axis=0)
        costs = (costs - low) / np.where(high > low, high - low, 1.0)
        if self._lattice is None:
            self._lattice = weight_lattice(costs.shape[1])
        weights = self._lattice[self.rng.integers(len(self._lattice))]
        return augmented_chebyshev(costs, weights, self.rho)

    def propose(self) -> Arch:
        """The untried candidate of highest expected improvement on this iteration's scalarisation."""
        target = -self.scalarised()  # the GP maximises
        points = np.arange(len(target))
        if self.max_points is not None and len(points) > self.max_points:
            points = np.argsort(-target, kind="stable")[: self.max_points]
        n_starts = self.n_starts if self._fits % self.restart_every == 0 else 0
        model = GaussianProcess(self.kernel, n_starts).fit(
            np.array(self._encodings)[points], target[points], self.rng, warm_start=self._warm)
        self._warm, self._fits = model.log_params, self._fits + 1
        candidates = candidate_pool(self.space, self.rng, self._archs, target, self._asked_rows, self.pool_size,
                                    self.n_top)
        if not candidates:
            return self._fresh()
        mean, std = model.predict(np.array([self.space.one_hot(arch) for arch in candidates]))
        gain = mean - target.max()
        z = gain / std
        from scipy.stats import norm  # imported on use: the registry stays light

        expected = gain * norm.cdf(z) + std * norm.pdf(z)
        return candidates[int(np.argmax(expected))]

