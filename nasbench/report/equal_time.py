"""Multi-fidelity strategies against random search at equal simulated time: a report section.

The unit of time is the table's median cost of one full training (:func:`nasbench.study.time_unit`,
handed in by the study driver). Every strategy runs once per seed up to the largest budget; because no
strategy sees its budget, the run's state at an earlier time is that of a shorter run, so one run gives
every smaller budget too. At each budget the table lists the median (and quartiles) of the test regret
of the validation-chosen incumbent among the evaluations *finished* by then, with a one-sided
Mann-Whitney U p-value for "lower than random search"; a last column summarises the whole curve: each
run's regret averaged over log time between two budgets (the area under its anytime curve on a log
axis, divided by the axis length). The study is the ``equal-time`` preset:

    nasbench compare --preset equal-time [--benchmarks nb201-mnist1d --seeds 300]

``resume=True`` rows charge a promotion only the training time between the two epochs (the table's
epochs are snapshots of one run, so continuing it is possible); the others restart from scratch, as
HpBandSter does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nasbench.errors import NasbenchError
from nasbench.report.anytime import anytime
from nasbench.report.robust import a12
from nasbench.report.sections import ReportData, Section, section
from nasbench.report.stats import BASELINE, rank_sum_p

AREA_POINTS = 200


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
    p = "" if baseline is None else f" p {rank_sum_p(values, baseline, 'less'):.2g} A12 {a12(values, baseline):.2f}"
    return f"{median:.4f} [{q1:.4f}, {q3:.4f}]{p}"


def equal_time_table(runs: pd.DataFrame, unit: float, units: Sequence[float] = (100,),
                     area: tuple[float, float] | None = None, baseline: str = "rs") -> pd.DataFrame:
    """Per strategy of one benchmark's runs frame (in the order they appear): the median test regret
    [q1, q3] and p against ``baseline`` at each budget in ``units`` (full trainings of ``unit``
    simulated seconds), and optionally the log-time mean over ``area`` (units).

    Example:
        >>> runs = pd.DataFrame({"benchmark": "b", "strategy": ["rs", "rs", "x", "x"], "seed": [0, 1, 0, 1],
        ...                      "evaluation": 1, "time": [1.0, 2.0, 1.0, 1.0], "regret": [0.2, 0.3, 0.1, 0.1]})
        >>> equal_time_table(runs, 1.0, (2,)).values.tolist()
        [['rs', '0.2500 [0.2250, 0.2750]'], ['x', '0.1000 [0.1000, 0.1000] p 0.11 A12 1.00']]
    """
    units = sorted(float(u) for u in units)
    if not units or units[0] <= 0:
        raise NasbenchError(f"budgets must be positive numbers of full trainings, not {units}")
    strategies = list(pd.unique(runs["strategy"]))
    if baseline not in strategies:
        raise NasbenchError(f"the baseline {baseline!r} is not among the strategies")
    at = regret_at(runs, np.asarray(units) * unit)
    areas = log_time_mean(runs, area[0] * unit, area[1] * unit) if area else None
    header = [f"{u:g} units" for u in units] + ([f"log-time mean, {area[0]:g}-{area[1]:g} units"] if area else [])
    rows = []
    for label in strategies:
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
        rows.append([label, *cells])
    return pd.DataFrame(rows, columns=["strategy", *header])


@section("equal-time")
def equal_time(report: ReportData) -> Section | None:
    """The equal-time table of every benchmark with a time unit, at the budgets the runs reached."""
    parts = []
    for benchmark in report.benchmarks:
        unit = report.time_unit.get(benchmark)
        runs = report.runs[report.runs["benchmark"] == benchmark]
        if unit is None or BASELINE not in set(runs["strategy"]):
            continue
        reached = min(m.max_time for m in report.metas if m.benchmark == benchmark and m.max_time) / unit
        units = [u for u in report.time_budgets if u <= reached * (1 + 1e-9)] or [reached]
        # an area past the runs' end is cut there (its column heading says so)
        area = (report.area[0], min(report.area[1], reached)) if report.area and report.area[0] < reached else None
        table = equal_time_table(runs, unit, units, area, BASELINE)
        table.insert(0, "benchmark", f"{benchmark} (1 unit = {unit:.4g} s)")
        parts.append(table)
    if not parts:
        return None
    return Section("Test regret at equal simulated time",
                   "Budgets in units of the table's median cost of one full training. Test regret of the "
                   "incumbent among the evaluations finished by then, median [q1, q3] over seeds; p = one-sided "
                   f"Mann-Whitney U against {BASELINE} beside A12, the probability that the strategy's run has "
                   "the lower regret; the log-time mean is each run's regret averaged over log "
                   "time between two budgets.", table=pd.concat(parts, ignore_index=True).fillna("–"))
