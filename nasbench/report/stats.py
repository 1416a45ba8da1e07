"""Statistics on final regret (scipy.stats throughout).

* :func:`final_table` — per benchmark x strategy: mean ± s.e., median and quartiles, the IQM with its
  95 % bootstrap interval, and two-sided paired Wilcoxon signed-rank tests (pairs = seeds) against the
  best strategy (lowest mean) and against random search, each beside its effect size (A12) and the
  seeds a test of that effect needs at 80 % power (:mod:`nasbench.report.robust`).
* :func:`critical_difference` — Friedman test across benchmarks (blocks = benchmarks, seeds averaged
  first) and the Nemenyi critical difference ``CD = q_alpha sqrt(k(k+1)/(6N))``, with ``q_alpha`` the
  studentized range quantile over ``sqrt(2)`` (Demšar 2006); :func:`rankable_groups` says which
  strategies it can rank over which benchmarks when not every strategy ran on every table.
* :func:`regression` — the regression gate: per benchmark x strategy, a one-sided Mann-Whitney U test
  of "the new final regrets are stochastically larger than the baseline's", Holm-corrected over all
  the pairs tested.

The tests' methods are chosen explicitly, never by scipy's ``"auto"`` (which for small samples with
ties falls back on a permutation test that took seconds per call): :func:`wilcoxon_method` and
:func:`rank_sum_method` take the exact null distribution for small samples without ties, the normal
approximation (with tie correction) otherwise, so a report's time grows linearly in its runs.

Example:
    >>> import pandas as pd
    >>> final = pd.DataFrame({"benchmark": "b", "strategy": ["rs"] * 3 + ["rea"] * 3,
    ...                       "seed": [0, 1, 2] * 2, "regret": [0.3, 0.2, 0.4, 0.1, 0.0, 0.1]})
    >>> final_table(final)[["strategy", "mean", "best"]].values.tolist()
    [['rea', 0.06666666666666667, True], ['rs', 0.3, False]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from nasbench.errors import NasbenchError
from nasbench.report.robust import a12, iqm_interval, seeds_needed

BASELINE = "rs"
#: the largest sample for which the exact null distribution is used (when there are no ties)
EXACT_WILCOXON = 50
EXACT_RANK_SUM = 40  # both samples together
WILCOXON_TEXT = (f"exact null distribution up to {EXACT_WILCOXON} pairs without ties or zero differences, "
                 "else the normal approximation with tie correction")
RANK_SUM_TEXT = (f"exact null distribution up to {EXACT_RANK_SUM} runs in all without ties, else the normal "
                 "approximation with tie and continuity correction")


def _has_ties(values: np.ndarray) -> bool:
    return len(np.unique(values)) < len(values)


def wilcoxon_method(difference: np.ndarray) -> str:
    """``"exact"`` for at most :data:`EXACT_WILCOXON` differences, none zero and no ties among their sizes,
    else ``"approx"``.

    Example:
        >>> wilcoxon_method(np.array([0.1, -0.2, 0.3])), wilcoxon_method(np.array([0.1, 0.0, 0.3]))
        ('exact', 'approx')
    """
    sizes = np.abs(difference)
    exact = len(sizes) <= EXACT_WILCOXON and not np.any(sizes == 0) and not _has_ties(sizes)
    return "exact" if exact else "approx"


def rank_sum_method(first: np.ndarray, second: np.ndarray) -> str:
    """``"exact"`` for at most :data:`EXACT_RANK_SUM` values in all and no ties, else ``"asymptotic"``.

    Example:
        >>> rank_sum_method(np.arange(5.0), np.arange(5.0) + 0.5), rank_sum_method(np.zeros(3), np.ones(3))
        ('exact', 'asymptotic')
    """
    pooled = np.concatenate([first, second])
    return "exact" if len(pooled) <= EXACT_RANK_SUM and not _has_ties(pooled) else "asymptotic"


def rank_sum_p(first: np.ndarray, second: np.ndarray, alternative: str) -> float:
    """p-value of the Mann-Whitney U test of ``first`` against ``second`` (method by :func:`rank_sum_method`)."""
    x, y = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    return float(stats.mannwhitneyu(x, y, alternative=alternative, method=rank_sum_method(x, y)).pvalue)


def paired_wilcoxon(first: pd.Series, second: pd.Series) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired samples indexed by seed (common seeds only);
    1.0 when every pair is equal, NaN with fewer than two pairs.

    Example:
        >>> paired_wilcoxon(pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0]))
        1.0
    """
    pairs = pd.concat([first, second], axis=1, join="inner").dropna()
    if len(pairs) < 2:
        return math.nan
    difference = pairs.iloc[:, 0].to_numpy() - pairs.iloc[:, 1].to_numpy()
    if not np.any(difference):
        return 1.0
    return float(stats.wilcoxon(pairs.iloc[:, 0], pairs.iloc[:, 1], zero_method="wilcox",
                                method=wilcoxon_method(difference)).pvalue)


def _versus(values: pd.Series, reference: pd.Series | None, name: str, alpha: float) -> dict[str, float]:
    """The paired p-value against ``reference``, its effect size A12 and the seeds needed (NaN without one)."""
    if reference is None:
        return {f"p_vs_{name}": math.nan, f"a12_vs_{name}": math.nan, f"seeds_vs_{name}": math.nan}
    effect = a12(values.to_numpy(), reference.to_numpy())
    return {f"p_vs_{name}": paired_wilcoxon(values, reference), f"a12_vs_{name}": effect,
            f"seeds_vs_{name}": float(seeds_needed(effect, alpha=alpha))}


def final_table(final: pd.DataFrame, *, metric: str = "regret", baseline: str = BASELINE,
                alpha: float = 0.05) -> pd.DataFrame:
    """Per benchmark and strategy (sorted by mean ``metric``): ``n, mean, se, median, q25, q75, iqm,
    iqm_low, iqm_high`` (95 % bootstrap interval), ``best`` (lowest mean, ties by median then name),
    and against the best and against ``baseline``: ``p_vs_*`` (paired Wilcoxon), ``a12_vs_*`` (the
    probability that this strategy's run has the lower regret) and ``seeds_vs_*`` (seeds per strategy
    for 80 % power at ``alpha``); NaN for the strategy itself or when the baseline did not run."""
    rows = []
    for benchmark, group in final.groupby("benchmark", sort=True):
        by_strategy = {s: g.set_index("seed")[metric] for s, g in group.groupby("strategy", sort=True)}
        summary = []
        for strategy, values in by_strategy.items():
            q25, median, q75 = np.percentile(values, [25, 50, 75])
            se = float(stats.sem(values)) if len(values) > 1 else math.nan
            summary.append((float(values.mean()), float(median), strategy, len(values), se, q25, q75))
        summary.sort()
        best = summary[0][2]
        for mean, median, strategy, n, se, q25, q75 in summary:
            values = by_strategy[strategy]
            iqm, low, high = iqm_interval([values.to_numpy()])
            rows.append({
                "benchmark": benchmark, "strategy": strategy, "n": n, "mean": mean, "se": se,
                "median": median, "q25": q25, "q75": q75, "iqm": iqm, "iqm_low": low, "iqm_high": high,
                "best": strategy == best,
                **_versus(values, None if strategy == best else by_strategy[best], "best", alpha),
                **_versus(values, by_strategy.get(baseline) if strategy != baseline else None, "baseline", alpha),
            })
    return pd.DataFrame(rows)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Critical value ``q_alpha`` of the Nemenyi test for ``k`` strategies (studentized range
    quantile with infinite degrees of freedom, over sqrt(2)).

    Example:
        >>> round(nemenyi_q(2), 3)
        1.96
    """
    if k < 2:
        raise NasbenchError("the Nemenyi test compares at least two strategies")
    return float(stats.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2))


@dataclass(frozen=True)
class CriticalDifference:
    """Average ranks across benchmarks with the Friedman test and the Nemenyi critical difference."""

    ranks: pd.Series  # average rank per strategy (1 = best), sorted
    n_blocks: int  # benchmarks on which every strategy ran
    statistic: float  # Friedman chi-square (NaN with fewer than 3 strategies or 2 benchmarks)
    p_value: float
    critical_difference: float
    alpha: float

    @property
    def post_hoc_applies(self) -> bool:
        """Whether the Nemenyi comparison may be read: only after the Friedman test rejects equal ranks
        (Demšar 2006); with two strategies, or p >= alpha, the diagram shows the ranks alone."""
        return math.isfinite(self.p_value) and self.p_value < self.alpha

    def groups(self) -> list[tuple[str, ...]]:
        """Maximal runs of strategies (in rank order) whose ranks differ by less than the CD."""
        names, values = list(self.ranks.index), self.ranks.to_numpy()
        cliques: list[tuple[str, ...]] = []
        for start in range(len(names)):
            stop = start
            while stop + 1 < len(names) and values[stop + 1] - values[start] < self.critical_difference:
                stop += 1
            clique = tuple(names[start:stop + 1])
            if len(clique) > 1 and not any(set(clique) <= set(c) for c in cliques):
                cliques.append(clique)
        return cliques


def critical_difference(final: pd.DataFrame, *, metric: str = "regret", alpha: float = 0.05,
                        strategies: Sequence[str] | None = None) -> CriticalDifference:
    """Friedman + Nemenyi over benchmarks; the seeds of each benchmark x strategy are averaged first.

    The blocks are the benchmarks on which every strategy ran; ``strategies`` ranks only those
    (default: all), so that a study whose strategies ran on different tables can rank the ones they share.

    Example:
        >>> final = pd.DataFrame({"benchmark": ["a", "a", "b", "b"], "strategy": ["x", "y"] * 2,
        ...                       "seed": 0, "regret": [0.1, 0.2, 0.3, 0.4]})
        >>> critical_difference(final).ranks.to_dict()
        {'x': 1.0, 'y': 2.0}
    """
    if strategies is not None:
        final = final[final["strategy"].isin(strategies)]
    means = final.groupby(["benchmark", "strategy"])[metric].mean().unstack("strategy").dropna(how="any")
    k, n = means.shape[1], means.shape[0]
    if k < 2 or n < 1:
        raise NasbenchError("a critical-difference diagram needs two strategies run on a common benchmark")
    ranks = pd.Series(stats.rankdata(means.to_numpy(), axis=1).mean(axis=0), index=means.columns).sort_values()
    statistic = p_value = math.nan
    if k >= 3 and n >= 2:
        result = stats.friedmanchisquare(*(means[c].to_numpy() for c in means.columns))
        statistic, p_value = float(result.statistic), float(result.pvalue)
    cd = nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6 * n))
    return CriticalDifference(ranks, n, statistic, p_value, cd, alpha)


def rankable_groups(final: pd.DataFrame) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The ``(strategies, benchmarks)`` groups a critical-difference diagram can rank: the strategies
    that ran on every benchmark, across all benchmarks; then, for each larger set of strategies that
    ran together on some benchmarks, that set across the benchmarks where all of it ran (most
    benchmarks first). A study whose strategies all ran everywhere has one group.

    Example:
        >>> final = pd.DataFrame({"benchmark": ["a", "a", "b", "b", "b"], "strategy": ["x", "y", "x", "y", "z"],
        ...                       "seed": 0, "regret": 0.1})
        >>> rankable_groups(final)
        [(('x', 'y'), ('a', 'b')), (('x', 'y', 'z'), ('b',))]
    """
    ran = {benchmark: frozenset(group["strategy"]) for benchmark, group in final.groupby("benchmark")}
    candidates = [frozenset.intersection(*ran.values()), *ran.values()] if ran else []
    groups: dict[frozenset[str], tuple[str, ...]] = {}
    for strategies in candidates:
        if strategies not in groups:
            groups[strategies] = tuple(sorted(b for b, names in ran.items() if strategies <= names))
    first = candidates[0] if candidates else frozenset()
    order = sorted(groups, key=lambda names: (names != first, -len(groups[names]), sorted(names)))
    return [(tuple(sorted(names)), groups[names]) for names in order]


def holm(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (scipy offers only false-discovery-rate control).

    Example:
        >>> holm([0.01, 0.04, 0.03]).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    scaled = (len(p) - np.arange(len(p))) * p[order]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def regression(baseline: pd.DataFrame, current: pd.DataFrame, *, metric: str = "regret",
               alpha: float = 0.05) -> pd.DataFrame:
    """Compare final ``metric`` of a rerun with its baseline, per benchmark x strategy.

    Test: one-sided Mann-Whitney U, alternative "current regret stochastically greater than the
    baseline's" (method by :func:`rank_sum_method`), Holm-corrected over all pairs; ``worse`` where the
    adjusted p < ``alpha``. Beside each p: ``a12`` (the probability that a rerun's regret is the lower,
    0.5 = no change) and ``seeds_needed`` (per side, for 80 % power at that effect).

    Example:
        >>> old = pd.DataFrame({"benchmark": "b", "strategy": "s", "seed": range(8), "regret": 0.1})
        >>> new = old.assign(regret=0.5)
        >>> bool(regression(old, new)["worse"].iloc[0])
        True
    """
    rows = []
    for (benchmark, strategy), old in baseline.groupby(["benchmark", "strategy"], sort=True):
        new = current[(current["benchmark"] == benchmark) & (current["strategy"] == strategy)]
        if new.empty:
            raise NasbenchError(f"the rerun lacks {strategy} on {benchmark}, which the baseline holds")
        old_values, new_values = old[metric].to_numpy(), new[metric].to_numpy()
        identical = np.array_equal(np.sort(old_values), np.sort(new_values))
        p = 1.0 if identical else rank_sum_p(new_values, old_values, "greater")
        effect = a12(new_values, old_values)
        rows.append({"benchmark": benchmark, "strategy": strategy, "n_baseline": len(old_values),
                     "n_current": len(new_values), "baseline_mean": float(old_values.mean()),
                     "current_mean": float(new_values.mean()), "p_value": p, "a12": effect,
                     "seeds_needed": seeds_needed(effect, alpha=alpha)})
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p_value"].to_numpy())
    table["worse"] = table["p_holm"] < alpha
    return table
