"""Faithfulness check: does a strategy beat random search on final validation regret?

Validation regret of a run = (best seed-mean final validation value in the table) - (seed-mean final
validation value of the run's final incumbent), sign-flipped for minimised metrics, so 0 is perfect.
Test regret is the same for the table's test metric (the trace's own ``regret`` column). A strategy
passes on a benchmark when its final validation regrets are stochastically smaller than random
search's over the same seeds: one-sided Mann-Whitney U, ``p < alpha``.

Example:
    >>> from nasbench.report.faithfulness import collect, compare
    >>> frame = collect(["rs", "rea"], ["nbgraph-cora"], seeds=range(3), max_evals=30)
    >>> sorted(frame.columns)
    ['benchmark', 'seed', 'strategy', 'test_regret', 'valid_regret']
    >>> table = compare(frame, baseline="rs")
    >>> list(table["strategy"])
    ['rea', 'rs']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from nasbench.benchmark import Benchmark, load
from nasbench.simulate import run
from nasbench.trace import Trace, regret


def final_regrets(trace: Trace, benchmark: Benchmark) -> tuple[float, float]:
    """(validation regret, test regret) of the trace's final incumbent; both >= 0."""
    frame = trace.to_frame()
    row = int(frame["incumbent_row"].iloc[-1])
    search = trace.meta.search_metric
    best = benchmark.optimum(search)[1]
    valid_regret = regret(float(benchmark.final(search)[row]), best, benchmark.metric_info(search).higher_is_better)
    return valid_regret, float(frame["regret"].iloc[-1])


def _one(task: tuple[str, str, int, int]) -> tuple[str, str, int, float, float]:
    strategy, benchmark_name, seed, max_evals = task
    benchmark = load(benchmark_name)
    trace = run(strategy, benchmark, seed=seed, max_evals=max_evals)
    return (strategy, benchmark_name, seed, *final_regrets(trace, benchmark))


def collect(strategies: Sequence[str], benchmarks: Sequence[str], *, seeds: Iterable[int], max_evals: int,
            processes: int = 1) -> pd.DataFrame:
    """Run every (strategy, benchmark, seed) with default options; one row of final regrets each."""
    tasks = [(s, b, int(seed), max_evals) for b in benchmarks for s in strategies for seed in seeds]
    if processes > 1:
        with ProcessPoolExecutor(processes) as pool:
            rows = list(pool.map(_one, tasks, chunksize=10))
    else:
        rows = [_one(task) for task in tasks]
    return pd.DataFrame(rows, columns=["strategy", "benchmark", "seed", "valid_regret", "test_regret"])


def compare(frame: pd.DataFrame, *, baseline: str = "rs", alpha: float = 0.05) -> pd.DataFrame:
    """Mean +- standard error of both regrets per (benchmark, strategy), and the one-sided
    Mann-Whitney p-value of "validation regret lower than the baseline's" (NaN for the baseline)."""
    out = []
    for (bench, strategy), group in frame.groupby(["benchmark", "strategy"], sort=True):
        reference = frame[(frame["benchmark"] == bench) & (frame["strategy"] == baseline)]["valid_regret"]
        values = group["valid_regret"].to_numpy()
        p = np.nan if strategy == baseline else float(
            mannwhitneyu(values, reference.to_numpy(), alternative="less").pvalue)
        n = len(group)
        out.append({
            "benchmark": bench, "strategy": strategy, "n_seeds": n,
            "valid_regret_mean": values.mean(), "valid_regret_se": values.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
            "test_regret_mean": group["test_regret"].mean(),
            "test_regret_se": group["test_regret"].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
            "p_value": p, "passes": bool(p < alpha) if strategy != baseline else None,
        })
    return pd.DataFrame(out)


def late_mean_validation(strategy: str, benchmark: str | Benchmark, *, seeds: Iterable[int], max_evals: int = 300,
                         last: int = 100) -> float:
    """Mean validation value of the last ``last`` evaluations of each run, averaged over seeds.

    A cheap learning signal for CI: a strategy that uses its results proposes better architectures
    late in a run than random search does (which stays at the table's mean).
    """
    bench = benchmark if isinstance(benchmark, Benchmark) else load(benchmark)
    means = [run(strategy, bench, seed=int(seed), max_evals=max_evals).to_frame()["valid"].iloc[-last:].mean()
             for seed in seeds]
    return float(np.mean(means))


def p_value_against(strategy: str, benchmark: str, *, baseline: str = "rs", seeds: Iterable[int] = range(50),
                    max_evals: int = 300, processes: int = 1) -> float:
    """One-sided Mann-Whitney p of "``strategy``'s final validation regret is below ``baseline``'s"."""
    frame = collect([baseline, strategy], [benchmark], seeds=seeds, max_evals=max_evals, processes=processes)
    return float(compare(frame, baseline=baseline).set_index("strategy").loc[strategy, "p_value"])


def from_runs(final: pd.DataFrame) -> pd.DataFrame:
    """The frame :func:`compare` reads, from a report's final frame
    (:func:`nasbench.report.anytime.final` of a runs frame with ``valid_regret``)."""
    return final[["strategy", "benchmark", "seed", "valid_regret", "regret"]].rename(columns={"regret": "test_regret"})


def markdown(table: pd.DataFrame, *, baseline: str = "rs", alpha: float = 0.05) -> str:
    """The faithfulness table of :func:`compare` as Markdown, one line per benchmark x strategy.

    Example:
        >>> frame = pd.DataFrame({"benchmark": "b", "strategy": ["rs"] * 3 + ["x"] * 3, "seed": [0, 1, 2] * 2,
        ...                       "valid_regret": [0.3, 0.2, 0.4, 0.0, 0.1, 0.0], "test_regret": 0.1})
        >>> print(markdown(compare(frame)).splitlines()[3])
        | b | x | 3 | 0.0333 ± 0.0333 | 0.1000 ± 0.0000 | 0.0383 | yes |
    """
    lines = [f"| benchmark | strategy | seeds | final validation regret (mean ± s.e.) | final test regret (mean ± s.e.) "
             f"| p (one-sided Mann-Whitney U, < {baseline}) | passes (p < {alpha}) |", "|---|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        p = "–" if row.strategy == baseline else f"{row.p_value:.3g}"
        verdict = "baseline" if row.strategy == baseline else ("yes" if row.passes else "no")
        lines.append(f"| {row.benchmark} | {row.strategy} | {row.n_seeds} | {row.valid_regret_mean:.4f} ± "
                     f"{row.valid_regret_se:.4f} | {row.test_regret_mean:.4f} ± {row.test_regret_se:.4f} | {p} | {verdict} |")
    return "\n".join(lines)
