"""Tree-structured Parzen estimator [tpe], hyperopt's defaults (written here, not imported).

Reference: Bergstra, Bardenet, Bengio & Kegl, "Algorithms for Hyper-Parameter Optimization"
(NeurIPS 2011); the variant is hyperopt's ``tpe.suggest`` (hyperopt/hyperopt, ``hyperopt/tpe.py``)
with every gene an ``hp.choice`` of uniform prior. Its defaults: 20 start-up trials drawn uniformly,
24 expected-improvement candidates, prior weight 1, gamma 0.25, linear forgetting LF = 25.

Each suggestion, as hyperopt does it:

* losses are the negated scores; the ``n_below = min(ceil(gamma * sqrt(n)), 25)`` lowest (a stable
  sort, so ties go to the older trial) make the "below" set l(x), the rest the "above" set g(x);
  ``n`` counts every trial asked so far, and a trial still running counts with an infinite loss
  (hyperopt's treatment of running jobs), so it lands in g(x);
* per gene, the weighted counts of each set plus ``prior_weight`` pseudocounts per value (hyperopt's
  ``counts + n_values * prior_weight * p`` with the uniform ``p``) give a categorical Parzen estimator;
  the weights are hyperopt's linear forgetting: within a set ordered oldest first, the newest LF
  observations weigh 1 and the older ones ramp linearly from 1/N to 1;
* per gene, ``n_candidates`` values are drawn from l(x) and the one maximising log l - log g is kept.
  The genes are optimised independently, as in hyperopt (its ``broadcast_best`` per parameter).

hyperopt has no invalid combinations; where the per-gene choices form an architecture the space
excludes (the all-skip cell of NAS-Bench-Graph), fresh candidates are drawn, and after 100 failures a
uniform sample is used. Repeated architectures are evaluated again (hyperopt does not deduplicate).

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("tpe", "nbgraph-cora", seed=0, max_evals=30)
    >>> len(trace.to_frame())
    30
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

import numpy as np

from nasbench.strategies._transfer import warm_start_queue
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_float, check_int, register

#: hyperopt's cap on the size of the below set (``ap_split_trials``' ``gamma_cap``)
BELOW_CAP = 25
_VALIDITY_RETRIES = 100


def forgetting_weights(n: int, forgetting: int) -> np.ndarray:
    """hyperopt's linear forgetting weights for ``n`` observations ordered oldest first.

    >>> forgetting_weights(4, 2).round(2).tolist()
    [0.25, 1.0, 1.0, 1.0]
    """
    if n <= forgetting:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - forgetting), np.ones(forgetting)])


def n_below(n: int, gamma: float) -> int:
    """Size of the below set for ``n`` trials: ``min(ceil(gamma * sqrt(n)), 25)``.

    >>> [n_below(n, 0.25) for n in (20, 100, 300, 20000)]
    [2, 3, 5, 25]
    """
    return min(int(math.ceil(gamma * math.sqrt(n))), BELOW_CAP)


def parzen_categorical(values: np.ndarray, n_values: int, prior_weight: float, forgetting: int) -> np.ndarray:
    """Probabilities of one gene's values: forgetting-weighted counts plus ``prior_weight`` each.

    >>> parzen_categorical(np.array([0, 0, 2]), 3, 1.0, 25).tolist()
    [0.5, 0.16666666666666666, 0.3333333333333333]
    """
    weights = forgetting_weights(len(values), forgetting)
    counts = np.bincount(values, weights=weights, minlength=n_values) + prior_weight
    return counts / counts.sum()


@register("tpe")
class TreeParzenEstimator(Strategy):
    summary = "TPE with hyperopt's defaults: per-gene categorical Parzen estimators, 24 EI candidates"

    def __init__(self, *, gamma: float = 0.25, n_startup: int = 20, n_candidates: int = 24,
                 prior_weight: float = 1.0, forgetting: int = 25, warm_start: int = 0) -> None:
        self.gamma = check_float("gamma", gamma, 0.0, 1.0, open_low=True)
        self.n_startup = check_int("n_startup", n_startup, 1)
        self.n_candidates = check_int("n_candidates", n_candidates, 1)
        self.prior_weight = check_float("prior_weight", prior_weight, 0.0, 1e6, open_low=True)
        self.forgetting = check_int("forgetting", forgetting, 1)
        self.warm_start = check_int("warm_start", warm_start, 0)

    def start(self) -> None:
        self._archs: list[Arch] = []  # every trial in ask order (hyperopt's tid order)
        self._losses: list[float] = []  # inf while the trial runs
        self._running: dict[Arch, deque] = defaultdict(deque)  # arch -> its running trial ids
        self._warm = warm_start_queue(self.space, self.context, self.warm_start, self.name)

    def ask(self) -> Job:
        if self._warm:  # the prior portfolio first, in place of startup samples
            arch = self._warm.pop()
        elif len(self._archs) < self.n_startup:
            arch = self.space.sample(self.rng)
        else:
            arch = self.suggest()
        self._running[arch].append(len(self._archs))
        self._archs.append(arch)
        self._losses.append(math.inf)
        return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        self._losses[self._running[job.arch].popleft()] = -result.score

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """Gene matrices of the below and the above trials, each oldest first."""
        genes = np.asarray(self._archs, dtype=np.int64)
        order = np.argsort(np.asarray(self._losses), kind="stable")
        below = np.zeros(len(genes), dtype=bool)
        below[order[:n_below(len(genes), self.gamma)]] = True
        return genes[below], genes[~below]

    def suggest(self) -> Arch:
        """hyperopt's TPE suggestion from the trials so far (each gene optimised on its own)."""
        below, above = self.split()
        log_ratio, below_probabilities = [], []
        for gene, n_values in enumerate(self.space.n_choices):
            p_below = parzen_categorical(below[:, gene], n_values, self.prior_weight, self.forgetting)
            p_above = parzen_categorical(above[:, gene], n_values, self.prior_weight, self.forgetting)
            below_probabilities.append(p_below)
            log_ratio.append(np.log(p_below) - np.log(p_above))
        for _ in range(_VALIDITY_RETRIES):
            arch = []
            for p_below, ratio in zip(below_probabilities, log_ratio):
                candidates = self.rng.choice(len(p_below), size=self.n_candidates, p=p_below)
                arch.append(int(candidates[np.argmax(ratio[candidates])]))
            if self.space.is_valid(tuple(arch)):
                return tuple(arch)
        return self.space.sample(self.rng)

    def describe_last(self) -> dict:
        """The last decision, for a replay: the good/bad split it was drawn from and its density ratio."""
        archs, losses = self._archs, self._losses
        if len(archs) <= self.n_startup:
            return {"phase": f"startup: uniform sample {len(archs)} of {self.n_startup}"}
        self._archs, self._losses = archs[:-1], losses[:-1]  # the trials as they stood when it was suggested
        try:
            below, above = self.split()
        finally:
            self._archs, self._losses = archs, losses
        arch, log_ratio = archs[-1], 0.0
        for gene, n_values in enumerate(self.space.n_choices):
            p_below = parzen_categorical(below[:, gene], n_values, self.prior_weight, self.forgetting)
            p_above = parzen_categorical(above[:, gene], n_values, self.prior_weight, self.forgetting)
            log_ratio += float(np.log(p_below[arch[gene]]) - np.log(p_above[arch[gene]]))
        index = self.space.index
        return {"phase": f"{len(below)} good and {len(above)} bad trials (gamma {self.gamma})",
                "density ratio l(x)/g(x) of the suggestion": round(math.exp(log_ratio), 4),
                "marks": {"good (below)": [index(tuple(g)) for g in below.tolist()],
                          "bad (above)": [index(tuple(g)) for g in above.tolist()]}}
