"""Faithfulness checks for the strategy tests, run through the study driver (plan + run_study in memory)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nasbench.report.anytime import final, runs_frame
from nasbench.report.faithfulness import compare, from_runs
from nasbench.study import plan, run_study


def _seeds(seeds: range) -> int:
    assert seeds.start == 0 and seeds.step == 1, "the study driver runs seeds 0..n-1"
    return len(seeds)


def collect(strategies: Sequence[str], benchmarks: Sequence[str], *, seeds: range, max_evals: int,
            processes: int = 1) -> pd.DataFrame:
    """Final validation and test regret of every (strategy, benchmark, seed), default options."""
    runs = run_study(plan(benchmarks, strategies, seeds=_seeds(seeds), max_evals=max_evals), None, jobs=processes,
                     progress=False)
    return from_runs(final(runs_frame([r.trace for r in runs], [r.valid_regret for r in runs])))


def p_value_against(strategy: str, benchmark: str, *, baseline: str = "rs", seeds: range = range(50),
                    max_evals: int = 300, processes: int = 1) -> float:
    """One-sided Mann-Whitney p of "``strategy``'s final validation regret is below ``baseline``'s"."""
    frame = collect([baseline, strategy], [benchmark], seeds=seeds, max_evals=max_evals, processes=processes)
    return float(compare(frame, baseline=baseline).set_index("strategy").loc[strategy, "p_value"])


def late_mean_validation(strategy: str, benchmark, *, seeds: range, max_evals: int = 300, last: int = 100) -> float:
    """Mean validation value of the last ``last`` evaluations of each run, averaged over seeds: a cheap
    learning signal (a strategy that uses its results proposes better architectures late in a run than
    random search, which stays at the table's mean)."""
    name = benchmark if isinstance(benchmark, str) else benchmark.name
    runs = run_study(plan([name], [strategy], seeds=_seeds(seeds), max_evals=max_evals), None, jobs=1, progress=False)
    return float(np.mean([r.trace.to_frame()["valid"].iloc[-last:].mean() for r in runs]))
