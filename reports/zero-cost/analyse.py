"""Rank correlations of the zero-cost proxies (``chunks/*.npz``) with final validation accuracy.

Usage: ``python reports/zero-cost/analyse.py`` writes ``results.md``: per table and proxy, the
Spearman rho and Kendall tau between the proxy (mean over the three init seeds) and the table's
final validation accuracy over the scored rows, and the mean CPU seconds of the proxy per cell
and seed. Rows 0..99 of mlp-mnist1d (a first contiguous chunk) are left out: rows follow the
configuration order, so a contiguous block is not a sample of the space.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

import nasbench

HERE = Path(__file__).parent


def main() -> None:
    lines = ["# Zero-cost proxies: rank correlation with final validation accuracy", ""]
    for table in ("nb201-mnist1d", "mlp-mnist1d"):
        chunks = [np.load(path) for path in sorted((HERE / "chunks").glob(f"{table}-s*.npz"))
                  if "-s1-" not in path.name]
        if not chunks:
            continue
        rows = np.concatenate([c["rows"] for c in chunks])
        values = np.concatenate([c["values"] for c in chunks])
        seconds = np.concatenate([c["seconds"] for c in chunks])
        names = [str(n) for n in chunks[0]["names"]]
        bench = nasbench.load(table)
        valid = bench.final(bench.search_metric)[rows]
        lines += [f"## {table}: {len(rows)} rows (every {rows[1] - rows[0]}th), 3 init seeds", "",
                  "| proxy | Spearman | Kendall tau | CPU ms per cell and seed |", "|---|---|---|---|"]
        for k, name in enumerate(names):
            score = np.nanmean(values[:, :, k], axis=1)
            keep = np.isfinite(score) & np.isfinite(valid)
            rho = stats.spearmanr(score[keep], valid[keep]).statistic
            tau = stats.kendalltau(score[keep], valid[keep]).statistic
            lines.append(f"| {name} | {rho:.3f} | {tau:.3f} | {1000 * np.nanmean(seconds[:, :, k]):.1f} |")
        lines.append("")
    (HERE / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
