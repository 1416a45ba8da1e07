"""How far the strategies separate at each budget, read from one long study (the runs' prefixes):
for every budget b, each run's incumbent test regret after b evaluations (runs are budget-independent,
so the b-evaluation run is the prefix of the long one)."""
import itertools
import sys

import numpy as np
import pandas as pd

from nasbench.report.stats import critical_difference, holm, paired_wilcoxon, rankable_groups
from nasbench.study import StudyFile

study = StudyFile.read(sys.argv[1])
budgets = [int(b) for b in sys.argv[2].split(",")]
exclude = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else set()
rows = []
for run in study.summaries_of():
    if run.spec.strategy in exclude:
        continue
    ev, reg = run.steps["evaluation"], run.steps["regret"]
    for b in budgets:
        i = np.searchsorted(ev, b, side="right") - 1
        rows.append((run.spec.benchmark, run.spec.strategy, run.spec.seed, b, reg[i]))
frame = pd.DataFrame(rows, columns=["benchmark", "strategy", "seed", "budget", "regret"])
print("budget | group (k strategies x N benchmarks): Friedman p, avg-rank spread, Nemenyi-separated pairs"
      " | per-benchmark paired-Wilcoxon pairs separated (Holm, 0.05), mean over benchmarks")
for b in budgets:
    final = frame[frame.budget == b]
    parts = []
    for strategies, benchmarks in rankable_groups(final):
        if len(benchmarks) < 3:
            continue
        cd = critical_difference(final, strategies=strategies)
        r = cd.ranks
        sep = sum(abs(r[a] - r[c]) >= cd.critical_difference for a, c in itertools.combinations(r.index, 2))
        parts.append(f"{len(r)}x{cd.n_blocks}: p={cd.p_value:.2g} spread={r.max() - r.min():.2f} "
                     f"sep={sep}/{len(r) * (len(r) - 1) // 2}")
    fractions = []
    for _, group in final.groupby("benchmark"):
        wide = group.pivot(index="seed", columns="strategy", values="regret")
        ps = [paired_wilcoxon(wide[a], wide[c]) for a, c in itertools.combinations(wide.columns, 2)]
        ps = np.nan_to_num(np.asarray(ps, dtype=float), nan=1.0)
        fractions.append(float(np.mean(holm(ps) < 0.05)))
    print(f"{b:4d} | {' ; '.join(parts)} | {np.mean(fractions):.2f} (max {max(fractions):.2f})")
median = frame.groupby(["budget", "strategy"]).apply(
    lambda g: g.groupby("benchmark").regret.median().mean(), include_groups=False).unstack("strategy")
print("\nmean over benchmarks of the median test regret")
print(median.round(4).to_string())
ranks = []
for b in budgets:
    final = frame[frame.budget == b]
    strategies, _ = rankable_groups(final)[0]
    ranks.append(critical_difference(final, strategies=strategies).ranks.rename(b))
print("\naverage rank over all benchmarks (strategies that ran on all)")
print(pd.concat(ranks, axis=1).round(2).to_string())
