"""How sure a comparison is: robust aggregates with intervals, effect sizes, the seeds a test needs.

Following Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical Precipice"
(NeurIPS 2021), with scipy.stats doing the statistics:

* :func:`iqm_interval` — the interquartile mean (``scipy.stats.trim_mean(x, 0.25)``) with a 95 %
  percentile-bootstrap interval (``scipy.stats.bootstrap``); given several strata (one sample per
  benchmark) each bootstrap sample resamples within every stratum (``paired=False``), which is the
  paper's stratified bootstrap.
* :func:`a12` — the Vargha–Delaney effect size: the probability that a run of one strategy ends with
  lower regret than a run of the other (ties count half), ``U / (n1 n2)`` from
  ``scipy.stats.mannwhitneyu``; 0.5 is no effect, 0.71 is "large" (Vargha & Delaney 2000).
* :func:`seeds_needed` — seeds per strategy for a two-sided rank-sum test of that effect to reach
  80 % power: Noether's (1987) sample size ``n = (z_{1-alpha/2} + z_power)^2 / (6 (A12 - 1/2)^2)``.
* :func:`probability_of_improvement` — A12 averaged over benchmarks, with a stratified-bootstrap interval.
* :func:`normalised` and :func:`performance_profile` — final regret divided by the largest final regret
  on its benchmark, and the fraction of runs at or below each threshold (benchmarks weighted equally).

Bootstrap samples come from a generator seeded by :data:`BOOTSTRAP_SEED`, so a report is reproducible.

Example:
    >>> low, high = iqm_interval([np.arange(20.0)])[1:]
    >>> bool(low < 9.5 < high)
    True
    >>> a12([0.1, 0.2], [0.3, 0.4]), seeds_needed(0.71)
    (1.0, 30)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

BOOTSTRAP_SEED = 0
RESAMPLES = 1000
#: fewer for the probability of improvement: each resample ranks both samples of every benchmark
IMPROVEMENT_RESAMPLES = 300
CONFIDENCE = 0.95
POWER = 0.8
#: more seeds than this are reported as this (an effect too small to chase)
MAX_SEEDS = 100_000


def _iqm(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    return stats.trim_mean(np.concatenate(samples, axis=axis), 0.25, axis=axis)


def iqm_interval(strata: Sequence[Sequence[float] | np.ndarray], *, confidence: float = CONFIDENCE,
                 resamples: int = RESAMPLES) -> tuple[float, float, float]:
    """``(IQM, low, high)`` of the pooled strata with a stratified percentile-bootstrap interval.

    Where there is nothing to resample (every stratum a single value, or all values equal) the
    interval is the point itself.
    """
    samples = [np.asarray(s, dtype=np.float64) for s in strata if len(s)]
    point = float(_iqm(*samples))
    if all(len(s) < 2 for s in samples) or np.ptp(np.concatenate(samples)) == 0:  # nothing to resample
        return point, point, point
    result = stats.bootstrap(samples, _iqm, n_resamples=resamples, paired=False, vectorized=True,
                             confidence_level=confidence, method="percentile",
                             rng=np.random.default_rng(BOOTSTRAP_SEED))
    return point, float(result.confidence_interval.low), float(result.confidence_interval.high)


def _a12(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    u = stats.mannwhitneyu(y, x, axis=axis, method="asymptotic").statistic  # pairs where y > x, ties half
    return u / (x.shape[axis] * y.shape[axis])


def a12(first: Sequence[float] | np.ndarray, second: Sequence[float] | np.ndarray) -> float:
    """P(a ``first`` value < a ``second`` value) + P(equal) / 2: for regret, how often ``first`` wins."""
    return float(_a12(np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)))


def seeds_needed(effect: float, *, alpha: float = 0.05, power: float = POWER) -> int:
    """Seeds per strategy for a two-sided rank-sum test to detect the effect ``A12`` (Noether 1987);
    :data:`MAX_SEEDS` when there is no effect to detect.

    Example:
        >>> seeds_needed(0.5)
        100000
    """
    if math.isnan(effect):
        return MAX_SEEDS
    distance = abs(effect - 0.5)
    if distance == 0:
        return MAX_SEEDS
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(min(MAX_SEEDS, math.ceil(z * z / (6 * distance * distance))))


def probability_of_improvement(first: Sequence[np.ndarray], second: Sequence[np.ndarray], *,
                               resamples: int = IMPROVEMENT_RESAMPLES) -> tuple[float, float, float]:
    """``(P, low, high)``: A12 of ``first[i]`` against ``second[i]`` averaged over benchmarks ``i``,
    with a stratified-bootstrap interval (each benchmark's two samples resampled on their own)."""
    pairs = [(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)) for x, y in zip(first, second)]
    count = len(pairs)

    def statistic(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean([_a12(samples[i], samples[count + i], axis=axis) for i in range(count)], axis=0)

    samples = [x for x, _ in pairs] + [y for _, y in pairs]
    point = float(statistic(*samples))
    if any(len(s) < 2 for s in samples) or np.ptp(np.concatenate(samples)) == 0:  # nothing to resample
        return point, point, point
    result = stats.bootstrap(samples, statistic, n_resamples=resamples, paired=False, vectorized=True,
                             method="percentile", rng=np.random.default_rng(BOOTSTRAP_SEED))
    return point, float(result.confidence_interval.low), float(result.confidence_interval.high)


def normalised(final: pd.DataFrame, metric: str = "regret") -> pd.DataFrame:
    """``final`` with ``normalised``: ``metric`` over the largest final ``metric`` on its benchmark (0 = optimum)."""
    largest = final.groupby("benchmark")[metric].transform("max").to_numpy(dtype=np.float64)
    values = final[metric].to_numpy(dtype=np.float64)
    return final.assign(normalised=np.divide(values, largest, out=np.zeros_like(values), where=largest > 0))


def performance_profile(final: pd.DataFrame, thresholds: np.ndarray) -> pd.DataFrame:
    """Per strategy and threshold ``tau``: the fraction of runs with normalised final regret <= ``tau``,
    each benchmark weighted equally (``scipy.stats.ecdf`` per benchmark, then averaged)."""
    scored = normalised(final)
    rows = []
    for strategy, group in scored.groupby("strategy", sort=True):
        fractions = [stats.ecdf(g["normalised"].to_numpy()).cdf.evaluate(thresholds)
                     for _, g in group.groupby("benchmark", sort=True)]
        rows.append(pd.DataFrame({"strategy": strategy, "tau": thresholds, "fraction": np.mean(fractions, axis=0)}))
    return pd.concat(rows, ignore_index=True)
