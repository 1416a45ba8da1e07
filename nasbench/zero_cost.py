"""Zero-cost proxies as table metrics: their names, how they are stored, how well they rank.

A learning-curve table built by nasbench carries, beside its curves, the eight proxies of
:mod:`nasbench.train.proxies` (split ``none``): ``zc_<proxy>[row, seed, :]`` scores the network that
seed's training started from (the trainer's initialisation for that seed, before any step), on the
first ``batch_size`` training examples; the value repeats across the fidelity axis, since it does not
depend on training. ``zc_<proxy>_seconds`` holds the measured CPU seconds of computing it (one
thread, model construction included), so a strategy that reads a proxy can be charged for it.

This module imports neither torch nor scipy; :func:`correlations` imports scipy when called.

Example:
    >>> import nasbench
    >>> rows = correlations(nasbench.load("mlp-mnist1d"))
    >>> [r.proxy for r in rows][:2], rows[0].rows
    (['zc_synflow', 'zc_snip'], 720)
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nasbench.table import MetricInfo, Split

if TYPE_CHECKING:
    from nasbench.benchmark import Benchmark

#: the proxies every nasbench-built table stores, in this order
PROXY_NAMES = ("zc_synflow", "zc_snip", "zc_grasp", "zc_grad_norm", "zc_fisher", "zc_jacov", "zc_naswot", "zc_zen")
DESCRIPTION = ("zc_<proxy>[row, seed, :]: the proxy of the network that seed trained from, at its initialisation, on "
               "the first batch_size training examples (constant over epochs); zc_<proxy>_seconds: CPU seconds of "
               "computing it, one thread (see nasbench.train.proxies)")


def seconds_metric(proxy: str) -> str:
    """The metric holding the compute time of ``proxy``."""
    return f"{proxy}_seconds"


#: metric name -> what it is, for every proxy and its compute time
PROXY_METRICS: dict[str, MetricInfo] = {
    **{name: MetricInfo(name, Split.NONE, "score at initialisation", True) for name in PROXY_NAMES},
    **{seconds_metric(name): MetricInfo(seconds_metric(name), Split.NONE, "CPU seconds", False)
       for name in PROXY_NAMES},
}


class Correlation(NamedTuple):
    """How well one proxy ranks a table's rows by final validation accuracy."""

    proxy: str
    spearman: float
    kendall: float
    rows: int  #: rows with a finite proxy (mean over the table's seeds) and a final validation value
    cpu_ms: float  #: mean CPU milliseconds per network


def correlations(benchmark: Benchmark) -> list[Correlation]:
    """Spearman's rho and Kendall's tau of each stored proxy with the final validation accuracy.

    Both sides are means over the table's seeds; rows where either is not a number are left out.
    Tables without proxies give an empty list.
    """
    present = [name for name in PROXY_NAMES if name in benchmark.metrics]
    if not present:
        return []
    from scipy import stats

    target = benchmark.final(benchmark.search_metric)
    out = []
    for name in present:
        with warnings.catch_warnings():  # a row (or a table) without the proxy yet is NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            score = np.nanmean(benchmark.table.metric(name)[:, :, -1], axis=1)
            seconds = np.nanmean(benchmark.table.metric(seconds_metric(name))[:, :, -1])
        keep = np.isfinite(score) & np.isfinite(target)
        if keep.sum() < 3:
            continue
        rho = float(stats.spearmanr(score[keep], target[keep]).statistic)
        tau = float(stats.kendalltau(score[keep], target[keep]).statistic)
        out.append(Correlation(name, rho, tau, int(keep.sum()), 1000.0 * float(seconds)))
    return out


__all__ = ["DESCRIPTION", "PROXY_METRICS", "PROXY_NAMES", "Correlation", "correlations", "seconds_metric"]
