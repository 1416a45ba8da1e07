"""Rank correlations of the zero-cost proxies with final validation accuracy, beside the literature.

Usage: ``python reports/zero-cost/analyse.py`` writes ``results.md``: per table and proxy, Spearman's
rho and Kendall's tau over every row, (a) as the table stores them (the proxy of the network each
table seed trained from, :func:`nasbench.zero_cost.correlations`) and (b) for the mean over init seeds
0, 1, 2 (``chunks/TABLE-s1-*.npz``, written by ``compute.py TABLE 1``), with the network size
(``params``, ``flops``) as the baseline NAS-Bench-Suite-Zero also reports, and the published
NAS-Bench-201 CIFAR-10 values: Abdelfattah et al. (2021; |rho| over all 15,625 cells, one init, batch
64, from the authors' notebook ``notebooks/nasbench201_correlations.ipynb`` of SamsungLabs/zero-cost-nas)
and NAS-Bench-Suite-Zero (Krishnakumar et al. 2022, Figure 2; rho over 1,000 sampled cells, mean of 10
samples, batch 64).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from scipy import stats

import nasbench
from nasbench.zero_cost import PROXY_NAMES, correlations

HERE = Path(__file__).parent
#: NAS-Bench-201 CIFAR-10 Spearman rho: (Abdelfattah et al. 2021, NAS-Bench-Suite-Zero 2022); None: not reported
LITERATURE = {"zc_synflow": (0.737, 0.73), "zc_snip": (0.596, 0.58), "zc_grasp": (0.514, 0.51),
              "zc_grad_norm": (0.594, 0.58), "zc_fisher": (0.360, 0.50), "zc_jacov": (0.731, 0.75),
              "zc_naswot": (None, 0.77), "zc_zen": (None, 0.35), "params": (None, 0.72), "flops": (None, 0.69)}


def _published(name: str) -> str:
    return " | ".join("-" if v is None else f"{v:.2f}" for v in LITERATURE[name])


def _three_seed_means(table: str, size: int) -> dict[str, np.ndarray]:
    chunks = [np.load(path) for path in sorted((HERE / "chunks").glob(f"{table}-s1-*.npz"))]
    if not chunks:
        return {}
    rows = np.concatenate([c["rows"] for c in chunks])
    values = np.concatenate([c["values"] for c in chunks])
    out = {}
    for k, name in enumerate(str(n) for n in chunks[0]["names"]):
        score = np.full(size, np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # naswot: no number for any seed of a row
            score[rows] = np.nanmean(values[:, :, k], axis=1)
        out[name] = score
    return out


def _rank(score: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    keep = np.isfinite(score) & np.isfinite(target)
    return (float(stats.spearmanr(score[keep], target[keep]).statistic),
            float(stats.kendalltau(score[keep], target[keep]).statistic))


def main() -> None:
    lines = ["# Zero-cost proxies: rank correlation with final validation accuracy", ""]
    for table in ("nb201-mnist1d", "mlp-mnist1d"):
        bench = nasbench.load(table)
        target = bench.final(bench.search_metric)
        stored = {c.proxy: c for c in correlations(bench)}
        means = _three_seed_means(table, bench.space.size)
        lines += [f"## {table}: all {bench.space.size} rows; table seeds {bench.seeds.tolist()}", "",
                  "| proxy | Spearman (table) | Kendall (table) | Spearman (3 init seeds) | Kendall (3 init seeds) "
                  "| CPU ms per network | NB201-C10 Abdelfattah | NB201-C10 Suite-Zero |",
                  "|---|---|---|---|---|---|---|---|"]
        for name in PROXY_NAMES:
            c = stored[name]
            three = _rank(means[name], target) if name in means else (np.nan, np.nan)
            lines.append(f"| {name} | {c.spearman:.3f} | {c.kendall:.3f} | {three[0]:.3f} | {three[1]:.3f} "
                         f"| {c.cpu_ms:.1f} | {_published(name)} |")
        for name in ("params", "flops"):
            rho, tau = _rank(bench.final(name), target)
            lines.append(f"| {name} (baseline) | {rho:.3f} | {tau:.3f} | | | | {_published(name)} |")
        lines.append("")
    (HERE / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
