"""Across benchmarks: the IQM of normalised final regret with stratified-bootstrap intervals, the
probability of improving on random search, and performance profiles (Agarwal et al. 2021): report sections.

Final regrets are normalised per benchmark by the largest final regret any run reached there
(:func:`nasbench.report.robust.normalised`: 0 = the table's optimum, 1 = the worst run), so that each
benchmark weighs the same.

Example:
    >>> final = pd.DataFrame({"benchmark": ["a"] * 4 + ["b"] * 4, "strategy": ["rs", "rs", "x", "x"] * 2,
    ...                       "seed": [0, 1] * 4, "regret": [0.4, 0.2, 0.1, 0.0, 4.0, 2.0, 1.0, 0.0]})
    >>> table = aggregate_table(final)
    >>> table[["strategy", "benchmarks", "runs", "iqm"]].values.tolist()
    [['x', 2, 4, 0.125], ['rs', 2, 4, 0.75]]
    >>> float(table.set_index("strategy").loc["x", "p_improve"])
    1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from nasbench.report.figures import LINESTYLES
from nasbench.report.robust import (
    IMPROVEMENT_RESAMPLES,
    RESAMPLES,
    iqm_interval,
    normalised,
    performance_profile,
    probability_of_improvement,
)
from nasbench.report.sections import ReportData, Section, section
from nasbench.report.stats import BASELINE

THRESHOLDS = np.linspace(0.0, 1.0, 101)


def aggregate_table(final: pd.DataFrame, *, baseline: str = BASELINE) -> pd.DataFrame:
    """Per strategy, sorted by IQM: ``benchmarks, runs``, the IQM of normalised final regret with its
    stratified-bootstrap 95 % interval (strata = benchmarks), ``median, q25, q75``, and ``p_improve``
    [``p_improve_low``, ``p_improve_high``]: the probability that its run ends below ``baseline``'s on the
    same benchmark, averaged over the benchmarks both ran (NaN for the baseline, or without it)."""
    scored = normalised(final)
    by_cell = {key: group["normalised"].to_numpy() for key, group in scored.groupby(["strategy", "benchmark"])}
    rows = []
    for strategy, group in scored.groupby("strategy", sort=True):
        benchmarks = sorted(group["benchmark"].unique())
        strata = [by_cell[strategy, b] for b in benchmarks]
        iqm, low, high = iqm_interval(strata)
        q25, median, q75 = np.percentile(group["normalised"], [25, 50, 75])
        shared = [b for b in benchmarks if (baseline, b) in by_cell]
        improve = (np.nan, np.nan, np.nan)
        if strategy != baseline and shared:
            improve = probability_of_improvement([by_cell[strategy, b] for b in shared],
                                                 [by_cell[baseline, b] for b in shared])
        rows.append({"strategy": strategy, "benchmarks": len(benchmarks), "runs": len(group), "iqm": iqm,
                     "iqm_low": low, "iqm_high": high, "median": median, "q25": q25, "q75": q75,
                     "p_improve": improve[0], "p_improve_low": improve[1], "p_improve_high": improve[2]})
    return pd.DataFrame(rows).sort_values(["iqm", "strategy"], ignore_index=True)


@section("aggregate")
def across_benchmarks(report: ReportData) -> Section:
    """The across-benchmark table of :func:`aggregate_table`."""
    return Section("Across benchmarks: IQM and probability of improvement",
                   "Final test regret normalised per benchmark by the largest final regret of any run there (0 = "
                   "optimum, 1 = worst run). iqm: interquartile mean over all runs of the strategy with a 95 % "
                   f"stratified percentile-bootstrap interval ({RESAMPLES} resamples, each resampling the seeds "
                   "within every benchmark; Agarwal et al. 2021), beside median and quartiles. p_improve: the "
                   f"probability that a run of the strategy ends with lower regret than a run of {BASELINE} on the "
                   f"same benchmark (A12), averaged over benchmarks, with its stratified-bootstrap interval "
                   f"({IMPROVEMENT_RESAMPLES} resamples).",
                   table=aggregate_table(report.finals))


@section("performance-profile")
def profile(report: ReportData) -> Section:
    """Run-score distributions (rliable's "performance profiles"): the fraction of runs at or below each
    normalised regret, an ECDF; not Dolan and Moré's profile of ratios to the best solver."""
    curves = performance_profile(report.finals, THRESHOLDS)
    figure, ax = plt.subplots(figsize=(6.4, 4.0))
    for index, (strategy, curve) in enumerate(curves.groupby("strategy", sort=True)):
        ax.plot(curve["tau"], curve["fraction"], label=strategy, color=report.palette.get(strategy),
                linestyle=LINESTYLES[index % len(LINESTYLES)], drawstyle="steps-post")
    ax.set_xlabel("normalised final test regret τ")
    ax.set_ylabel("fraction of runs with regret ≤ τ")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    figure.subplots_adjust(left=0.12, right=0.97, top=0.95, bottom=0.14)
    return Section("Run-score distributions", "Fraction of runs whose final test regret, normalised per benchmark "
                   "by the largest final regret there, is at most τ; each benchmark weighs the same (higher and "
                   "further left is better). This is the empirical distribution of normalised regret that Agarwal "
                   "et al. 2021 call a performance profile, not Dolan and Moré's profile of ratios to the best.",
                   image=report.save(figure, "performance_profile.png"))
