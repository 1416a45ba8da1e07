"""Summarise the one-shot study (``study/study.jsonl``) into ``results.md``.

Usage: ``python reports/one-shot/analyse.py``. Reads the traces only: the test regret of each
search epoch's derived cell (table test accuracy, seed mean, against the table's best), the op
histogram of the final derived cells, and every strategy's regret at equal simulated time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

import nasbench
from nasbench.spaces.nb201 import OPS
from nasbench.study import StudyFile

HERE = Path(__file__).parent
ONE_SHOT = ("darts", "darts-2nd", "gdas", "rsps")


def main() -> None:
    runs = StudyFile.read(HERE / "study" / "study.jsonl").runs()
    bench = nasbench.load("nb201-mnist1d")
    test = bench.final(bench.test_metric)
    best = float(np.nanmax(test))
    space = bench.space
    by: dict[str, list] = {}
    for run in runs:
        by.setdefault(run.spec.strategy, []).append(run)
    lines = ["# One-shot study: results", "", f"nb201-mnist1d, best test accuracy {best:.3f}; regret = best - test "
             "accuracy of a cell (table, seed mean). Mean ± standard deviation over seeds.", "",
             "## Test regret of the derived cell after each search epoch", "",
             "| strategy | seeds | " + " | ".join(f"epoch {e}" for e in range(1, 9)) + " |",
             "|---" * 10 + "|"]
    for name in ONE_SHOT:
        curves = np.array([best - test[run.trace.to_frame()["row"].to_numpy()] for run in by.get(name, [])])
        if curves.size:
            cells = [f"{m:.3f} ± {s:.3f}" for m, s in zip(curves.mean(0), curves.std(0))]
            lines.append(f"| {name} | {len(curves)} | " + " | ".join(cells) + " |")
    lines += ["", "## Ops of the final derived cells (counts over 6 edges x seeds)", "",
              "| strategy | " + " | ".join(OPS) + " | parameter-free edges |", "|---" * (len(OPS) + 2) + "|"]
    for name in ONE_SHOT:
        finals = [space.arch_of_row(int(run.trace.to_frame()["row"].iloc[-1])) for run in by.get(name, [])]
        counts = Counter(op for arch in finals for op in arch)
        free = sum(counts[i] for i in (0, 1, 4)) / max(1, 6 * len(finals))
        lines.append(f"| {name} | " + " | ".join(str(counts[i]) for i in range(len(OPS))) + f" | {free:.0%} |")
    lines.append("| (uniform cell) | " + " | ".join("20%" for _ in OPS) + " | 60% |")
    lines += ["", "## Regret at equal simulated time (11.5 s)", "",
              "| strategy | seeds | final derived / incumbent cell test regret | evaluations |", "|---|---|---|---|"]
    for name, group in sorted(by.items()):
        frames = [run.trace.to_frame() for run in group]
        if name in ONE_SHOT:  # the search's answer is its last derived cell
            regret = np.array([best - test[int(f["row"].iloc[-1])] for f in frames])
        else:  # the validation-chosen incumbent
            regret = np.array([best - float(f["incumbent_test"].iloc[-1]) for f in frames])
        lines.append(f"| {name} | {len(group)} | {regret.mean():.3f} ± {regret.std():.3f} | "
                     f"{np.mean([len(f) for f in frames]):.1f} |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
