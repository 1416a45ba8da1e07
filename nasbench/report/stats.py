"""Statistics on final regret (scipy.stats throughout).

* :func:`final_table` — per benchmark x strategy: mean ± s.e., median and quartiles, and two-sided
  paired Wilcoxon signed-rank tests (pairs = seeds) against the best strategy (lowest mean) and
  against random search.
* :func:`critical_difference` — Friedman test across benchmarks (blocks = benchmarks, seeds averaged
  first) and the Nemenyi critical difference ``CD = q_alpha sqrt(k(k+1)/(6N))``, with ``q_alpha`` the
  studentized range quantile over ``sqrt(2)`` (Demšar 2006).
* :func:`regression` — the regression gate: per benchmark x strategy, a one-sided Mann-Whitney U test
  of "the new final regrets are stochastically larger than the baseline's", Holm-corrected over all
  the pairs tested.

Example:
    >>> import pandas as pd
    >>> final = pd.DataFrame({"benchmark": "b", "strategy": ["rs"] * 3 + ["rea"] * 3,
    ...                       "seed": [0, 1, 2] * 2, "regret": [0.3, 0.2, 0.4, 0.1, 0.0, 0.1]})
    >>> final_table(final)[["strategy", "mean", "best"]].values.tolist()
    [['rea', 0.06666666666666667, True], ['rs', 0.3, False]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from nasbench.errors import NasbenchError

BASELINE = "rs"


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
    return float(stats.wilcoxon(pairs.iloc[:, 0], pairs.iloc[:, 1], zero_method="wilcox").pvalue)


def final_table(final: pd.DataFrame, *, metric: str = "regret", baseline: str = BASELINE) -> pd.DataFrame:
    """Per benchmark and strategy (sorted by mean ``metric``): ``n, mean, se, median, q25, q75,
    best`` (lowest mean, ties by median then name), ``p_vs_best`` and ``p_vs_baseline`` (paired
    Wilcoxon; NaN for the strategy itself or when the baseline did not run)."""
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
            rows.append({
                "benchmark": benchmark, "strategy": strategy, "n": n, "mean": mean, "se": se,
                "median": median, "q25": q25, "q75": q75, "best": strategy == best,
                "p_vs_best": math.nan if strategy == best else paired_wilcoxon(values, by_strategy[best]),
                "p_vs_baseline": (paired_wilcoxon(values, by_strategy[baseline])
                                  if baseline in by_strategy and strategy != baseline else math.nan),
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


def critical_difference(final: pd.DataFrame, *, metric: str = "regret", alpha: float = 0.05) -> CriticalDifference:
    """Friedman + Nemenyi over benchmarks; the seeds of each benchmark x strategy are averaged first.

    Example:
        >>> final = pd.DataFrame({"benchmark": ["a", "a", "b", "b"], "strategy": ["x", "y"] * 2,
        ...                       "seed": 0, "regret": [0.1, 0.2, 0.3, 0.4]})
        >>> critical_difference(final).ranks.to_dict()
        {'x': 1.0, 'y': 2.0}
    """
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
    baseline's", Holm-corrected over all pairs; ``worse`` where the adjusted p < ``alpha``.

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
        p = 1.0 if identical else float(stats.mannwhitneyu(new_values, old_values, alternative="greater").pvalue)
        rows.append({"benchmark": benchmark, "strategy": strategy, "n_baseline": len(old_values),
                     "n_current": len(new_values), "baseline_mean": float(old_values.mean()),
                     "current_mean": float(new_values.mean()), "p_value": p})
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p_value"].to_numpy())
    table["worse"] = table["p_holm"] < alpha
    return table
