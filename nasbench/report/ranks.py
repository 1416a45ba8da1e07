"""Average rank over time: at each grid point, strategies ranked per seed (ties averaged), then
averaged over seeds. Seeds pair the runs: seed ``s`` of every strategy is one block.

Example:
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"benchmark": "b", "strategy": ["rs", "rea", "rs", "rea"],
    ...                        "seed": [0, 0, 1, 1], "x": 1.0, "regret": [0.2, 0.1, 0.1, 0.1]})
    >>> average_rank(curves)[["strategy", "rank"]].values.tolist()
    [['rea', 1.25], ['rs', 1.75]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def average_rank(curves: pd.DataFrame, *, metric: str = "regret") -> pd.DataFrame:
    """``benchmark, x, strategy, rank, blocks`` from :func:`~nasbench.report.anytime.anytime` curves.

    Rank 1 is the lowest regret. A block (benchmark, x, seed) counts only when every strategy of that
    benchmark has a result there, so early grid points where some run has not finished are skipped.
    """
    parts = []
    for benchmark, group in curves.groupby("benchmark", sort=True):
        # one value per (x, seed, strategy): unstack, which is linear, rather than pivot_table's group-by
        table = group.set_index(["x", "seed", "strategy"])[metric].unstack("strategy").sort_index()
        table = table.dropna(how="any")
        if table.empty:
            continue
        ranks = pd.DataFrame(rankdata(table.to_numpy(), axis=1), index=table.index, columns=table.columns)
        mean = ranks.groupby(level="x").mean()
        blocks = ranks.groupby(level="x").size()
        long = mean.reset_index().melt(id_vars="x", var_name="strategy", value_name="rank")
        long["blocks"] = long["x"].map(blocks).astype(np.int64)
        long.insert(0, "benchmark", benchmark)
        parts.append(long)
    if not parts:
        return pd.DataFrame(columns=["benchmark", "x", "strategy", "rank", "blocks"])
    return pd.concat(parts, ignore_index=True).sort_values(["benchmark", "x", "strategy"], ignore_index=True)
