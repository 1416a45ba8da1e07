"""Faithfulness check: does a strategy beat random search on final validation regret?

Validation regret of a run = (best seed-mean final validation value in the table) - (seed-mean final
validation value of the run's final incumbent), sign-flipped for minimised metrics, so 0 is perfect;
the study driver records it per evaluation (:func:`nasbench.study.validation_regret`). Test regret is
the same for the table's test metric (the trace's own ``regret`` column). A strategy passes on a
benchmark when its final validation regrets are stochastically smaller than random search's over the
same seeds: one-sided Mann-Whitney U, ``p < alpha``. The study is the ``faithfulness`` preset
(``nasbench compare --preset faithfulness``).

Example:
    >>> frame = pd.DataFrame({"benchmark": "b", "strategy": ["rs"] * 3 + ["rea"] * 3, "seed": [0, 1, 2] * 2,
    ...                       "valid_regret": [0.3, 0.2, 0.4, 0.0, 0.1, 0.0], "test_regret": 0.1})
    >>> list(compare(frame, baseline="rs")["strategy"])
    ['rea', 'rs']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nasbench.report.robust import a12
from nasbench.report.stats import rank_sum_p


def compare(frame: pd.DataFrame, *, baseline: str = "rs", alpha: float = 0.05) -> pd.DataFrame:
    """Mean +- standard error of both regrets per (benchmark, strategy), the one-sided Mann-Whitney
    p-value of "validation regret lower than the baseline's" and its effect size ``a12`` (the
    probability that the strategy's run has the lower validation regret; NaN for the baseline)."""
    out = []
    for (bench, strategy), group in frame.groupby(["benchmark", "strategy"], sort=True):
        reference = frame[(frame["benchmark"] == bench) & (frame["strategy"] == baseline)]["valid_regret"]
        values = group["valid_regret"].to_numpy()
        p = np.nan if strategy == baseline else rank_sum_p(values, reference.to_numpy(), "less")
        effect = np.nan if strategy == baseline else a12(values, reference.to_numpy())
        n = len(group)
        out.append({
            "benchmark": bench, "strategy": strategy, "n_seeds": n,
            "valid_regret_mean": values.mean(), "valid_regret_se": values.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
            "test_regret_mean": group["test_regret"].mean(),
            "test_regret_se": group["test_regret"].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
            "p_value": p, "a12": effect, "passes": bool(p < alpha) if strategy != baseline else None,
        })
    return pd.DataFrame(out)


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
    lines = [f"| benchmark | strategy | seeds | final validation regret (mean ± s.e.) | final test regret "
             f"(mean ± s.e.) | p (one-sided Mann-Whitney U, < {baseline}) | passes (p < {alpha}) |",
             "|---|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        p = "–" if row.strategy == baseline else f"{row.p_value:.3g}"
        verdict = "baseline" if row.strategy == baseline else ("yes" if row.passes else "no")
        lines.append(f"| {row.benchmark} | {row.strategy} | {row.n_seeds} | {row.valid_regret_mean:.4f} ± "
                     f"{row.valid_regret_se:.4f} | {row.test_regret_mean:.4f} ± {row.test_regret_se:.4f} | {p} "
                     f"| {verdict} |")
    return "\n".join(lines)
