"""Multi-fidelity strategies against random search at equal simulated time (issue 5's criterion).

Every strategy gets the same budget of simulated seconds, ``units`` times the table's median cost of
one full training; the table lists the median (and quartiles) of the final test regret of the
validation-chosen incumbent over seeds ``0..n-1`` and a one-sided Mann-Whitney U p-value for
"lower than random search".

    python -m nasbench.report.equal_time mlp-mnist1d 100 30

``resume=True`` rows charge a promotion only the training time between the two epochs (the table's
epochs are snapshots of one run, so continuing it is possible); the others restart from scratch, as
HpBandSter does.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.stats import mannwhitneyu

from nasbench.benchmark import load
from nasbench.simulate import run

ENTRIES = (("rs", "rs", {}), ("sh", "sh", {}), ("hyperband", "hyperband", {}), ("bohb", "bohb", {}),
           ("bohb preset=nb201", "bohb", {"preset": "nb201"}), ("asha", "asha", {}),
           ("hyperband resume=True", "hyperband", {"resume": True}), ("bohb resume=True", "bohb", {"resume": True}),
           ("bohb preset=nb201 resume=True", "bohb", {"preset": "nb201", "resume": True}))


def equal_time_table(name: str, units: float = 100, n_seeds: int = 30) -> str:
    """A markdown table of final test regret per strategy at a budget of ``units`` full trainings."""
    bench = load(name)
    budget = units * float(np.nanmedian(bench.final(bench.table.cost_metric)))
    regrets = {label: np.array([run(strategy, bench, seed=seed, max_time=budget, **options).to_frame()["regret"].iloc[-1]
                                for seed in range(n_seeds)])
               for label, strategy, options in ENTRIES}
    lines = [f"{name}: {n_seeds} seeds, budget {units:g} x median full training = {budget:.1f} simulated s",
             "", "| strategy | median test regret [q1, q3] | p (one-sided Mann-Whitney vs rs) |", "|---|---|---|"]
    for label, values in regrets.items():
        p = "" if label == "rs" else f"{mannwhitneyu(values, regrets['rs'], alternative='less').pvalue:.2g}"
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        lines.append(f"| {label} | {median:.4f} [{q1:.4f}, {q3:.4f}] | {p} |")
    return "\n".join(lines)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    print(equal_time_table(arguments[0], *(float(a) for a in arguments[1:2]), *(int(a) for a in arguments[2:3])))
