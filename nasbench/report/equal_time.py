"""Multi-fidelity strategies against random search at equal simulated time (test regret at equal budgets).

The unit of time is the table's median cost of one full training. Every strategy runs once per seed
``0..n-1`` up to the largest budget asked for; because no strategy sees its budget, the run's state at
an earlier time is that of a shorter run, so one run gives every smaller budget too. At each budget
the table lists the median (and quartiles) of the test regret of the validation-chosen incumbent among
the evaluations *finished* by then, with a one-sided Mann-Whitney U p-value for "lower than random
search"; a last column summarises the whole curve: each run's regret averaged over log time between
two budgets (the area under its anytime curve on a log axis, divided by the axis length).

    python -m nasbench.report.equal_time mlp-mnist1d 10,30,100,300 30 --area 10,100

``resume=True`` rows charge a promotion only the training time between the two epochs (the table's
epochs are snapshots of one run, so continuing it is possible); the others restart from scratch, as
HpBandSter does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError
from nasbench.report.anytime import anytime, runs_frame
from nasbench.simulate import run

ENTRIES = (("rs", "rs", {}), ("sh", "sh", {}), ("hyperband", "hyperband", {}), ("bohb", "bohb", {}),
           ("bohb preset=nb201", "bohb", {"preset": "nb201"}), ("asha", "asha", {}),
           ("hyperband resume=True", "hyperband", {"resume": True}), ("bohb resume=True", "bohb", {"resume": True}),
           ("bohb preset=nb201 resume=True", "bohb", {"preset": "nb201", "resume": True}))
AREA_POINTS = 200


def time_unit(bench: Benchmark) -> float:
    """Simulated seconds of one full training: the median final cost over the table."""
    if not bench.table.cost_metric:
        raise NasbenchError(f"table {bench.name} records no training cost, so it has no simulated time to share")
    return float(np.nanmedian(bench.final(bench.table.cost_metric)))


def equal_time_runs(bench: Benchmark, max_units: float, n_seeds: int,
                    entries: Sequence[tuple[str, str, dict]] = ENTRIES) -> pd.DataFrame:
    """The runs frame (:func:`~nasbench.report.anytime.runs_frame`) of every entry and seed, each run
    up to ``max_units`` full trainings, its ``strategy`` column holding the entry's label."""
    budget = max_units * time_unit(bench)
    parts = []
    for label, strategy, options in entries:
        runs = runs_frame([run(strategy, bench, seed=seed, max_time=budget, **options) for seed in range(n_seeds)])
        parts.append(runs.assign(strategy=label))
    return pd.concat(parts, ignore_index=True)


def regret_at(runs: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """Incumbent regret of every run at each simulated time: index (strategy, seed), one column per time."""
    curves = anytime(runs, x="time", at=np.asarray(times, dtype=np.float64))
    return curves.pivot_table(index=["strategy", "seed"], columns="x", values="regret", dropna=False)


def log_time_mean(runs: pd.DataFrame, start: float, stop: float) -> pd.Series:
    """Each run's regret averaged over log time from ``start`` to ``stop`` (index strategy, seed).

    The curve is a step function; it is sampled at ``AREA_POINTS`` log-spaced times, which is the
    integral up to the width of one grid cell. A run with no result by ``start`` is an error.
    """
    if not 0 < start < stop:
        raise NasbenchError(f"the area needs 0 < start < stop, not {start}, {stop}")
    table = regret_at(runs, np.geomspace(start, stop, AREA_POINTS))
    if table.isna().to_numpy().any():
        raise NasbenchError(f"some run has no result by time {start:g}; start the area later")
    return table.mean(axis=1)


def _cell(values: np.ndarray, baseline: np.ndarray | None) -> str:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    p = "" if baseline is None else f" p {mannwhitneyu(values, baseline, alternative='less').pvalue:.2g}"
    return f"{median:.4f} [{q1:.4f}, {q3:.4f}]{p}"


def equal_time_table(name: str, units: Sequence[float] = (100,), n_seeds: int = 30,
                     area: tuple[float, float] | None = None, baseline: str = "rs",
                     entries: Sequence[tuple[str, str, dict]] = ENTRIES) -> str:
    """A markdown table: per entry, median test regret [q1, q3] and p against ``baseline`` at each
    budget in ``units`` (full trainings), and optionally the log-time mean over ``area`` (units)."""
    units = sorted(float(u) for u in units)
    if not units or units[0] <= 0:
        raise NasbenchError(f"budgets must be positive numbers of full trainings, not {units}")
    if baseline not in [label for label, _, _ in entries]:
        raise NasbenchError(f"the baseline {baseline!r} is not among the entries")
    bench = load(name)
    unit = time_unit(bench)
    last = max(units + ([area[1]] if area else []))
    runs = equal_time_runs(bench, last, n_seeds, entries)
    at = regret_at(runs, np.asarray(units) * unit)
    areas = log_time_mean(runs, area[0] * unit, area[1] * unit) if area else None
    header = [f"`{u:g}` units" for u in units] + ([f"log-time mean, {area[0]:g}-{area[1]:g} units"] if area else [])
    lines = [f"{name}: {n_seeds} seeds; 1 unit = {unit:.4g} simulated s (median full training); test regret of "
             f"the incumbent, median [q1, q3], p = one-sided Mann-Whitney U against {baseline}", "",
             "| strategy | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for label, _, _ in entries:
        cells = []
        for column in at.columns:
            values, reference = at.loc[label, column].to_numpy(), at.loc[baseline, column].to_numpy()
            if np.isnan(values).any():
                cells.append("no result yet")
            else:
                cells.append(_cell(values, None if label == baseline else reference))
        if areas is not None:
            reference = areas.loc[baseline].to_numpy()
            cells.append(_cell(areas.loc[label].to_numpy(), None if label == baseline else reference))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _numbers(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, not {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nasbench.report.equal_time", description=__doc__.split("\n")[0])
    parser.add_argument("table", help="benchmark name or path")
    parser.add_argument("units", nargs="?", type=_numbers, default=[100.0],
                        help="budgets in full trainings, comma-separated (default 100)")
    parser.add_argument("seeds", nargs="?", type=int, default=30, help="seeds 0..SEEDS-1 (default 30)")
    parser.add_argument("--area", type=_numbers, default=None, metavar="START,STOP",
                        help="also the log-time mean regret between two budgets (units)")
    args = parser.parse_args(argv)
    if args.area is not None and len(args.area) != 2:
        parser.error("--area takes two budgets: START,STOP")
    if args.seeds < 1:
        parser.error("SEEDS must be at least 1")
    try:
        print(equal_time_table(args.table, args.units, args.seeds, tuple(args.area) if args.area else None))
    except NasbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
