"""REINFORCE [reinforce]: a factorised categorical policy trained by the policy gradient.

Reference: Williams, "Simple Statistical Gradient-Following Algorithms for Connectionist
Reinforcement Learning" (Machine Learning 1992), as used for NAS by Zoph & Le (ICLR 2017); the variant
of the NAS-Bench-201 / NATS-Bench scripts (D-X-Y/AutoDL-Projects, ``exps/NATS-algos/reinforce.py``):

* one logit per (gene, value), initialised ``1e-3 * N(0, 1)``; the policy is an independent softmax
  per gene (the reference's edges x ops matrix; genes with fewer values simply have shorter rows);
* each evaluation samples every gene from its softmax; the reward is the validation score;
* the baseline is a bias-corrected exponential moving average (momentum 0.9: numerator and
  denominator both decayed, so its first value is the first reward), updated with the reward
  *before* the advantage ``r - b`` is taken (so the first step's advantage is exactly 0);
* loss ``-sum_genes log p(a_g) * (r - b)``, one Adam step per evaluation (torch defaults: betas
  0.9/0.999, eps 1e-8, bias correction), learning rate 0.01 as NATS (NAS-Bench-201's doc used 0.5).

Adam and the softmax gradient ``d(-log p(a))/d theta = softmax(theta) - onehot(a)`` are written in
numpy. On spaces with invalid encodings a sample is redrawn from the policy until valid (the gradient
ignores the renormalisation). With several workers the updates are asynchronous: each result
updates the policy as it arrives, with the gradient taken at the current logits.
The answer of a run is the best-by-validation architecture of its trace, as the reference reports.
"""

from __future__ import annotations

import numpy as np

from nasbench.strategies.base import Job, Result, Strategy, check_float, register

ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam defaults, as the reference
ADAM_EPSILON = 1e-8


@register("reinforce")
class Reinforce(Strategy):
    summary = "REINFORCE (NAS-Bench-201 scripts): softmax policy per gene, Adam, EMA baseline"

    def __init__(self, *, learning_rate: float = 0.01, ema_momentum: float = 0.9) -> None:
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, 10.0, open_low=True)
        self.ema_momentum = check_float("ema_momentum", ema_momentum, 0.0, 1.0, open_high=True)

    def start(self) -> None:
        n_choices = np.asarray(self.space.n_choices)
        self._mask = np.arange(n_choices.max())[None, :] < n_choices[:, None]  # real (gene, value) cells
        self._logits = np.where(self._mask, 1e-3 * self.rng.standard_normal(self._mask.shape), -np.inf)
        self._first_moment = np.zeros(self._mask.shape)
        self._second_moment = np.zeros(self._mask.shape)
        self._steps = 0
        self._baseline_numerator = 0.0
        self._baseline_denominator = 0.0

    @property
    def logits(self) -> np.ndarray:
        """The policy's logits, genes x max values (-inf where a gene has fewer values)."""
        return self._logits.copy()

    def probabilities(self) -> np.ndarray:
        """The policy: a (genes x max values) matrix of per-gene softmax probabilities (0 off-range)."""
        shifted = np.exp(self._logits - self._logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    @property
    def baseline(self) -> float:
        """Bias-corrected EMA of the rewards so far (NaN before the first)."""
        if self._baseline_denominator == 0.0:
            return float("nan")
        return self._baseline_numerator / self._baseline_denominator

    def ask(self) -> Job:
        cumulative = np.cumsum(self.probabilities(), axis=1)
        while True:
            draws = self.rng.random(len(cumulative))
            # inverse-CDF sampling per gene; the clip guards the last cell against rounding
            arch = tuple(int(min(np.searchsorted(row, u, side="right"), n - 1))
                         for row, u, n in zip(cumulative, draws, self.space.n_choices))
            if self.space.is_valid(arch):
                return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        reward = result.score
        momentum = self.ema_momentum
        self._baseline_numerator = momentum * self._baseline_numerator + (1 - momentum) * reward
        self._baseline_denominator = momentum * self._baseline_denominator + (1 - momentum)
        advantage = reward - self.baseline
        gradient = self.probabilities()
        gradient[np.arange(len(job.arch)), job.arch] -= 1.0
        self._adam_step(gradient * advantage)

    def _adam_step(self, gradient: np.ndarray) -> None:
        """One torch-style Adam step on the logits (off-range cells stay at -inf)."""
        beta1, beta2 = ADAM_BETAS
        self._steps += 1
        self._first_moment = beta1 * self._first_moment + (1 - beta1) * gradient
        self._second_moment = beta2 * self._second_moment + (1 - beta2) * gradient**2
        corrected_first = self._first_moment / (1 - beta1**self._steps)
        corrected_second = self._second_moment / (1 - beta2**self._steps)
        step = self.learning_rate * corrected_first / (np.sqrt(corrected_second) + ADAM_EPSILON)
        self._logits = np.where(self._mask, self._logits - step, -np.inf)
