"""Transfer strategies against the same strategies cold, leave-one-task-out: two report sections.

Each transfer run is paired with its *cold* counterpart on the same target and seed: a
``warm_start=K`` variant with the strategy without it, ``zeroshot`` and ``box`` with random search,
``rgpe`` with ``gp-bo`` (:data:`COLD`); a ``(shuffled priors)`` run is the negative control of its
strategy (the priors' rows permuted) and is paired with the same cold run. The study is the
``transfer`` preset:

    nasbench compare --preset transfer --benchmarks 'nbgraph-*'

* ``transfer-curves``: per target, the median test regret against evaluations of every transfer
  strategy (solid) and its cold counterpart (dashed, same colour).
* ``transfer`` (test regret) and ``transfer-valid`` (validation regret): per target and transfer
  strategy, the *evaluations saved* — the first evaluation at which the cold strategy's median
  regret reaches the transfer strategy's median regret at evaluation
  20, minus 20 (``> budget`` where it never does) — and the median regrets at 10, 20, 50 and 100
  evaluations of both, with the two-sided paired Wilcoxon p-value over seeds.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from nasbench.report.anytime import anytime
from nasbench.report.sections import ReportData, Section, panels, section
from nasbench.report.stats import paired_wilcoxon

#: the cold counterpart of each strategy that only exists with priors
COLD = {"zeroshot": "rs", "box": "rs", "rgpe": "gp-bo"}
CHECKPOINTS = (10, 20, 50, 100)
SAVED_AT = 20
CONTROL = " (shuffled priors)"


def cold_label(label: str) -> str | None:
    """The label of the cold counterpart of a transfer label, ``None`` for a cold one.

    >>> cold_label("rea warm_start=10"), cold_label("rgpe"), cold_label("zeroshot (shuffled priors)"), cold_label("rea")
    ('rea', 'gp-bo', 'rs', None)
    """
    base = label.removesuffix(CONTROL)
    name, *options = base.split(" ")
    if name in COLD:
        return COLD[name]
    if not any(re.fullmatch(r"warm_start=[1-9]\d*", option) for option in options):
        return None if base == label else base
    kept = [option for option in options if not option.startswith("warm_start=")]
    return " ".join([name, *kept])


def pairs(labels: list[str]) -> list[tuple[str, str]]:
    """(transfer label, cold label) of every transfer label whose cold counterpart ran."""
    present = set(labels)
    found = [(label, cold_label(label)) for label in sorted(present)]
    return [(label, cold) for label, cold in found if cold is not None and cold in present]


def regret_table(runs: pd.DataFrame, metric: str = "regret") -> pd.DataFrame:
    """Each run's ``metric`` at every evaluation up to the shortest run: index (benchmark, strategy, seed)."""
    last = int(runs.groupby(["benchmark", "strategy", "seed"])["evaluation"].max().min())
    curves = anytime(runs, x="evaluations", at=np.arange(1, last + 1, dtype=np.float64), metric=metric)
    return curves.pivot_table(index=["benchmark", "strategy", "seed"], columns="x", values=metric, dropna=False)


def saved(transfer: np.ndarray, cold: np.ndarray, at: int = SAVED_AT) -> str:
    """Evaluations the cold median curve needs beyond ``at`` to reach the transfer median at ``at``.

    >>> saved(np.array([3.0, 1.0, 1.0]), np.array([3.0, 2.0, 1.0]), at=2)
    '+1'
    """
    target = transfer[at - 1]
    reached = np.flatnonzero(cold <= target)
    return f"> {len(cold) - at}" if not reached.size else f"{int(reached[0]) + 1 - at:+d}"


ALL = "all targets"


def _row(benchmark: str, label: str, cold: str, transfer: pd.DataFrame, cold_runs: pd.DataFrame) -> dict[str, str]:
    """One table row from the two strategies' regret tables (rows: paired runs, columns: evaluations)."""
    budget = transfer.shape[1]
    medians = transfer.median(), cold_runs.median()
    row = {"benchmark": benchmark, "strategy": label, "cold": cold,
           f"evaluations saved at {SAVED_AT}": saved(medians[0].to_numpy(), medians[1].to_numpy())
           if budget >= SAVED_AT else "n/a"}
    for n in CHECKPOINTS:
        if n <= budget:
            p = paired_wilcoxon(transfer[float(n)], cold_runs[float(n)])
            row[f"regret at {n}"] = f"{medians[0][float(n)]:.4f} vs {medians[1][float(n)]:.4f} (p {p:.2g})"
    return row


def transfer_table(runs: pd.DataFrame, metric: str = "regret") -> pd.DataFrame:
    """The ``transfer`` section's table: one row per target x transfer strategy, then one per strategy
    over all targets (runs paired by target and seed; the medians are of regrets pooled over targets)."""
    table = regret_table(runs, metric)
    rows = []
    found = pairs(sorted(runs["strategy"].unique()))
    for benchmark in sorted(runs["benchmark"].unique()):
        here = table.loc[benchmark]
        present = set(here.index.get_level_values("strategy"))
        rows += [_row(benchmark, label, cold, here.loc[label], here.loc[cold])
                 for label, cold in found if label in present and cold in present]
    if runs["benchmark"].nunique() > 1:
        pooled = table.reorder_levels(["strategy", "benchmark", "seed"])
        rows += [_row(ALL, label, cold, pooled.loc[label], pooled.loc[cold]) for label, cold in found]
    return pd.DataFrame(rows)


@section("transfer")
def transfer(report: ReportData) -> Section | None:
    table = transfer_table(report.runs)
    if table.empty:
        return None
    return Section("Transfer against cold start", "Per target task (the others are its priors), each transfer "
                   "strategy against the same strategy cold: the evaluations saved (how many evaluations beyond "
                   f"{SAVED_AT} the cold strategy's median test regret needs to reach the transfer strategy's "
                   f"median at {SAVED_AT}; negative: the cold one got there first) and the median test regret at "
                   "10/20/50/100 evaluations, transfer vs cold, with the two-sided paired Wilcoxon p-value over "
                   "seeds (not corrected for the number of tests). Rows marked (shuffled priors) are the negative "
                   "control: the priors' rows permuted, so that they carry no information about the target.",
                   table=table)


@section("transfer-valid")
def transfer_valid(report: ReportData) -> Section | None:
    if "valid_regret" not in report.runs:
        return None
    table = transfer_table(report.runs, "valid_regret")
    if table.empty:
        return None
    return Section("Transfer against cold start, validation regret", "As the table above, on the validation "
                   "regret of the incumbent (the metric the strategies search on; it never rises, unlike the test "
                   "regret of a validation-chosen incumbent, so the evaluations saved read more cleanly).",
                   table=table)


@section("transfer-curves")
def transfer_curves(report: ReportData) -> Section | None:
    table = regret_table(report.runs)
    labels = sorted(report.runs["strategy"].unique())
    found = pairs(labels)
    if not found:
        return None
    x = table.columns.to_numpy(dtype=np.float64)

    def draw(ax, benchmark: str) -> None:
        here = table.loc[benchmark]
        for index, (label, cold) in enumerate(found):
            colour = f"C{index % 10}"
            ax.plot(x, here.loc[label].median().to_numpy(), drawstyle="steps-post", color=colour, label=label,
                    linestyle=":" if label.endswith(CONTROL) else "-")
            ax.plot(x, here.loc[cold].median().to_numpy(), drawstyle="steps-post", color=colour, linestyle="--",
                    linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_title(benchmark)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("test regret (median)")

    figure = panels(report.benchmarks, draw)
    return Section("Transfer: test regret vs evaluations", "Median test regret over seeds of each transfer strategy "
                   "(solid; dotted: the shuffled-priors control) and of the same strategy cold (dashed, same "
                   "colour), per target task.", image=report.save(figure, "transfer_curves.png"))
