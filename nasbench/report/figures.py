"""Figures: each function draws one frame onto a given Axes and returns it; the caller saves.

Regret axes are symmetric-log (linear below the decade of the smallest positive regret) so that a
regret of exactly 0 — the optimum found — stays visible instead of vanishing from a log scale.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"benchmark": "b", "strategy": "rs", "x": [1.0, 2.0], "center": [0.2, 0.1],
    ...                       "lower": [0.1, 0.0], "upper": [0.3, 0.2], "n": 3, "runs": 3})
    >>> ax = plot_anytime(frame, plt.figure().gca(), benchmark="b")
    >>> ax.get_xscale()
    'log'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # reports are files; never open a window

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullLocator
from scipy.stats import ecdf

from nasbench.report.anytime import STATISTICS
from nasbench.report.stats import CriticalDifference

#: axis labels with their unit
XLABELS = {"time": "simulated seconds", "evaluations": "evaluations"}
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)), (0, (8, 3)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*", "<", ">")
MARKS_PER_CURVE = 8


def colours(strategies: Sequence[str]) -> dict[str, tuple]:
    """A fixed colour per strategy name (sorted), the same in every figure of a report."""
    palette = matplotlib.colormaps["tab10" if len(strategies) <= 10 else "tab20"]
    return {name: palette(i % palette.N) for i, name in enumerate(sorted(strategies))}


def _regret_scale(ax: Axes, values: np.ndarray, axis: str = "y") -> None:
    """Symmetric-log regret axis spanning whole decades (so that labelled ticks always show), from 0
    where a regret of 0 occurs, else from the decade below the smallest regret."""
    finite = values[np.isfinite(values)]
    positive = finite[finite > 0]
    low = 10.0 ** np.floor(np.log10(positive.min())) if positive.size else 1e-3
    high = 10.0 ** np.ceil(np.log10(positive.max())) if positive.size else 1.0
    high = high * 10 if high <= low else high
    bottom = 0.0 if np.any(finite <= 0) else low
    if axis == "y":
        ax.set_yscale("symlog", linthresh=low)
        ax.set_ylim(bottom, high)
    else:
        ax.set_xscale("symlog", linthresh=low)
        ax.set_xlim(bottom, high)
    plain_ticks(ax.yaxis if axis == "y" else ax.xaxis, low, high, zero=bottom == 0.0)


def plain_ticks(axis, low: float, high: float, *, zero: bool = False) -> None:
    """Ticks at 1, 2 and 5 times each power of ten in [low, high] (and at 0 with ``zero``), labelled
    as plain numbers (0.02, not 2x10^-2), so that a one-decade axis still reads at several values.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> ax = plt.figure().gca()
        >>> plain_ticks(ax.yaxis, 0.01, 0.1)
        >>> [float(t) for t in ax.get_yticks()]
        [0.01, 0.02, 0.05, 0.1]
    """
    decades = 10.0 ** np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    candidates = (decades[:, None] * np.array([1.0, 2.0, 5.0])).ravel()
    ticks = [float(t) for t in candidates if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
    axis.set_ticks(([0.0] if zero else []) + ticks)
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.6g}"))


def _log_x(ax: Axes, xs: np.ndarray) -> None:
    positive = xs[np.isfinite(xs) & (xs > 0)]
    if positive.size:
        plain_ticks(ax.xaxis, positive.min(), positive.max())


def _strategies(frame: pd.DataFrame, benchmark: str, palette: Mapping[str, tuple] | None):
    """(strategy, its rows on ``benchmark``, its colour) in name order."""
    palette = palette or colours(list(frame["strategy"].unique()))
    data = frame[frame["benchmark"] == benchmark]
    return [(strategy, group, palette[strategy]) for strategy, group in data.groupby("strategy", sort=True)]


def curve_style(index: int, count: int, points: int) -> dict:
    """Line style and markers of the ``index``-th of ``count`` curves drawn over ``points`` grid points.

    Curves that coincide (strategies sharing their first random evaluations) would hide one another;
    each gets its own dash pattern and marker shape, and its markers sit at grid points offset from
    the other curves' (the values drawn are untouched), so every curve shows from its first point.

    Example:
        >>> [curve_style(i, 4, 40)["markevery"] for i in range(4)]
        [(0, 5), (1, 5), (2, 5), (3, 5)]
    """
    step = max(1, points // MARKS_PER_CURVE, count if points >= count else 1)
    return {"linestyle": LINESTYLES[index % len(LINESTYLES)], "marker": MARKERS[index % len(MARKERS)],
            "markevery": (index * step // max(count, 1) % step, step), "markersize": 4.5,
            "markerfacecolor": "none" if index % 2 else None}


def _finish(ax: Axes, benchmark: str, xlabel: str, ylabel: str) -> Axes:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(benchmark)
    ax.grid(True, which="major", alpha=0.3)
    return ax


def plot_anytime(curve: pd.DataFrame, ax: Axes, *, benchmark: str, x: str = "time",
                 statistic: str = "median", palette: Mapping[str, tuple] | None = None) -> Axes:
    """Aggregated incumbent test regret of each strategy on one benchmark, as ``steps-post`` lines
    with a shaded band; drawn only where every run has a result."""
    data = curve[curve["n"] == curve["runs"]]
    drawn = _strategies(data, benchmark, palette)
    points = max((len(group) for _, group, _ in drawn), default=1)
    for index, (strategy, group, colour) in enumerate(drawn):
        ax.plot(group["x"], group["center"], drawstyle="steps-post", label=strategy, color=colour,
                **curve_style(index, len(drawn), points))
        ax.fill_between(group["x"], group["lower"], group["upper"], step="post", alpha=0.15, color=colour, linewidth=0)
    ax.set_xscale("log")
    _log_x(ax, data[data["benchmark"] == benchmark]["x"].to_numpy(dtype=np.float64))
    shown = data[data["benchmark"] == benchmark]
    _regret_scale(ax, shown[["center", "lower", "upper"]].to_numpy(dtype=np.float64).ravel())
    return _finish(ax, benchmark, XLABELS.get(x, x), f"test regret ({STATISTICS.get(statistic, statistic)})")


def plot_ranks(ranks: pd.DataFrame, ax: Axes, *, benchmark: str, x: str = "time",
               palette: Mapping[str, tuple] | None = None) -> Axes:
    """Average rank (1 = best) of each strategy over ``x`` on one benchmark; the axis says lower is better."""
    drawn = _strategies(ranks, benchmark, palette)
    points = max((len(group) for _, group, _ in drawn), default=1)
    for index, (strategy, group, colour) in enumerate(drawn):
        ax.plot(group["x"], group["rank"], drawstyle="steps-post", label=strategy, color=colour,
                **curve_style(index, len(drawn), points))
    ax.set_xscale("log")
    _log_x(ax, ranks[ranks["benchmark"] == benchmark]["x"].to_numpy(dtype=np.float64))
    return _finish(ax, benchmark, XLABELS.get(x, x), "average rank (1 = best, lower is better)")


def plot_ecdf(final: pd.DataFrame, ax: Axes, *, benchmark: str, metric: str = "regret",
              palette: Mapping[str, tuple] | None = None) -> Axes:
    """Empirical CDF of the final regret of each strategy's runs on one benchmark."""
    drawn = _strategies(final, benchmark, palette)
    for index, (strategy, group, colour) in enumerate(drawn):
        cdf = ecdf(group[metric].to_numpy(dtype=np.float64)).cdf
        xs = np.concatenate([[cdf.quantiles[0]], cdf.quantiles])
        ys = np.concatenate([[0.0], cdf.probabilities])
        ax.plot(xs, ys, drawstyle="steps-post", label=strategy, color=colour, **curve_style(index, len(drawn), len(xs)))
    _regret_scale(ax, final.loc[final["benchmark"] == benchmark, metric].to_numpy(dtype=np.float64), axis="x")
    ax.set_ylim(0, 1.02)
    return _finish(ax, benchmark, f"final {'validation' if metric == 'valid_regret' else 'test'} regret",
                   "fraction of runs")


def plot_critical_difference(result: CriticalDifference, ax: Axes) -> Axes:
    """Demšar's diagram: average ranks on a line (1 = best, left), strategies labelled on both sides,
    bars joining strategies whose ranks differ by less than the critical difference."""
    names, ranks = list(result.ranks.index), result.ranks.to_numpy()
    k = len(names)
    half = (k + 1) // 2
    margin = 0.25 * k + 1.2  # room for the labels either side of the rank axis
    ax.set_xlim(1 - margin, k + margin)
    ax.set_ylim(-0.8 - 0.35 * half, 1.2)
    ax.axis("off")
    ax.hlines(0, 1, k, color="black", linewidth=1)
    for tick in range(1, k + 1):
        ax.vlines(tick, 0, 0.12, color="black", linewidth=1)
        ax.text(tick, 0.2, str(tick), ha="center", va="bottom", fontsize=9)
    for position, (name, rank) in enumerate(zip(names, ranks)):
        best_side = position < half  # the better half is labelled on the left
        level = -0.5 - 0.35 * (position if best_side else k - 1 - position)
        end = 0.8 if best_side else k + 0.2
        ax.plot([rank, rank, end], [0, level, level], color="black", linewidth=0.8)
        ax.text(end, level, f"{name} ({rank:.2f}) " if best_side else f" ({rank:.2f}) {name}",
                ha="right" if best_side else "left", va="center", fontsize=9)
    friedman = (f"Friedman p = {result.p_value:.3g}" if np.isfinite(result.p_value)
                else "Friedman test needs >= 3 strategies and >= 2 benchmarks")
    if not result.post_hoc_applies:  # Nemenyi is read only after Friedman rejects: the ranks alone
        ax.set_title(f"Average ranks, N = {result.n_blocks} benchmarks; {friedman}: no difference shown at alpha "
                     f"{result.alpha}, so Nemenyi's critical difference does not apply", fontsize=9)
        return ax
    for depth, clique in enumerate(result.groups()):
        low, high = result.ranks[list(clique)].min(), result.ranks[list(clique)].max()
        ax.hlines(-0.2 - 0.1 * depth, low - 0.03, high + 0.03, color="tab:red", linewidth=3)
    cd = result.critical_difference
    ax.hlines(0.8, 1, 1 + cd, color="black", linewidth=1.5)
    ax.text(1 + cd / 2, 0.88, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    ax.set_title(f"Nemenyi critical difference (alpha {result.alpha}), N = {result.n_blocks} benchmarks; {friedman}",
                 fontsize=9)
    return ax
