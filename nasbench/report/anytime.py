"""Traces to frames: every evaluation, the anytime curve on a common grid, its aggregate, final values.

Regret here is always the *test* regret of the validation-chosen incumbent (the trace's ``regret``
column) unless a column says ``valid_regret``. Curves are step functions: the regret after an
evaluation holds until the next one finishes.

Example:
    >>> import nasbench.simulate as simulate
    >>> traces = [simulate.run("rs", "nbgraph-cora", seed=s, max_evals=20) for s in range(3)]
    >>> runs = runs_frame(traces)
    >>> curve = aggregate(anytime(runs, x="evaluations"), statistic="median")
    >>> sorted(curve.columns)
    ['benchmark', 'center', 'lower', 'n', 'runs', 'strategy', 'upper', 'x']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from nasbench.errors import NasbenchError
from nasbench.trace import Trace

AXES = {"time": "simulated time", "evaluations": "evaluations"}
STATISTICS = {"median": "median with quartiles", "mean": "mean ± standard error"}
RUN_KEYS = ["benchmark", "strategy", "seed"]


def strategy_labels(traces: Sequence[Trace]) -> list[str]:
    """A label per trace: the strategy name, with its options where one name ran with several."""
    options: dict[str, set[str]] = {}
    for trace in traces:
        options.setdefault(trace.meta.strategy, set()).add(trace.meta.options)
    return [trace.meta.strategy if len(options[trace.meta.strategy]) == 1
            else f"{trace.meta.strategy} {trace.meta.options}" for trace in traces]


def runs_frame(traces: Sequence[Trace], valid_regrets: Sequence[np.ndarray] | None = None, *,
               labels: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per finished evaluation of every trace.

    ``strategy`` holds ``labels`` where given (one per trace), else :func:`strategy_labels`.

    Columns ``benchmark, strategy, seed, evaluation`` (1-based), ``time`` (simulated end time),
    ``regret`` (test regret of the incumbent) and, when given, ``valid_regret``; a multi-objective
    run adds ``hv_regret``, ``hv_regret_test`` (its archive's, see :mod:`nasbench.pareto`), ``row``,
    ``fidelity`` and its objectives' raw values.

    Example:
        >>> import nasbench.simulate as simulate
        >>> list(runs_frame([simulate.run("rs", "nbgraph-cora", seed=0, max_evals=5)])["evaluation"])
        [1, 2, 3, 4, 5]
    """
    if not traces:
        raise NasbenchError("a report needs at least one trace")
    if valid_regrets is not None and len(valid_regrets) != len(traces):
        raise NasbenchError("give one validation-regret array per trace")
    if labels is not None and len(labels) != len(traces):
        raise NasbenchError("give one label per trace")
    parts = []
    for index, (trace, label) in enumerate(zip(traces, strategy_labels(traces) if labels is None else labels)):
        frame = trace.to_frame()
        part = pd.DataFrame({
            "benchmark": trace.meta.benchmark, "strategy": label, "seed": trace.meta.seed,
            "evaluation": np.arange(1, len(frame) + 1), "time": frame["end"].to_numpy(),
            "regret": frame["regret"].to_numpy(),
        })
        if valid_regrets is not None:
            part["valid_regret"] = np.asarray(valid_regrets[index], dtype=np.float64)
        if "hv_regret" in frame:  # a multi-objective run: its archive's HV regret and what entered it
            for column in ("hv_regret", "hv_regret_test", "row", "fidelity", *trace.meta.objectives):
                part[column] = frame[column].to_numpy()
        parts.append(part)
    runs = pd.concat(parts, ignore_index=True)
    duplicated = runs.drop_duplicates(RUN_KEYS + ["evaluation"]).shape[0] != runs.shape[0]
    if duplicated:
        raise NasbenchError("two traces share benchmark, strategy and seed; a report compares one run per seed")
    return runs


class RunSteps(NamedTuple):
    """One run's incumbent steps: the evaluations (1-based) at which its regret changed, and the last.

    The anytime curve is a step function, so a frame of steps gives every curve, rank and final value
    that the frame of all evaluations gives (see :func:`steps_frame`).
    """

    benchmark: str
    strategy: str
    seed: int
    evaluation: np.ndarray
    time: np.ndarray
    regret: np.ndarray
    valid_regret: np.ndarray | None = None


def steps_frame(runs: Sequence[RunSteps]) -> pd.DataFrame:
    """The runs frame (columns as :func:`runs_frame`) of every run's steps, built column-wise.

    Example:
        >>> step = RunSteps("b", "rs", 0, np.array([1, 4]), np.array([1.0, 4.0]), np.array([0.5, 0.5]))
        >>> steps_frame([step])[["evaluation", "regret"]].values.tolist()
        [[1.0, 0.5], [4.0, 0.5]]
    """
    if not runs:
        raise NasbenchError("a report needs at least one run")
    lengths = np.array([len(run.evaluation) for run in runs])
    frame = pd.DataFrame({
        "benchmark": np.repeat(np.array([run.benchmark for run in runs], dtype=object), lengths),
        "strategy": np.repeat(np.array([run.strategy for run in runs], dtype=object), lengths),
        "seed": np.repeat(np.array([run.seed for run in runs], dtype=np.int64), lengths),
        "evaluation": np.concatenate([run.evaluation for run in runs]).astype(np.int64),
        "time": np.concatenate([run.time for run in runs]).astype(np.float64),
        "regret": np.concatenate([run.regret for run in runs]).astype(np.float64),
    })
    if all(run.valid_regret is not None for run in runs):
        frame["valid_regret"] = np.concatenate([run.valid_regret for run in runs if run.valid_regret is not None])
    if frame.duplicated(RUN_KEYS + ["evaluation"]).any():
        raise NasbenchError("two runs share benchmark, strategy and seed; a report compares one run per seed")
    return frame


def final(runs: pd.DataFrame) -> pd.DataFrame:
    """The last row of every run: ``benchmark, strategy, seed, evaluations, time, regret[, valid_regret]``."""
    last = runs.groupby(RUN_KEYS, sort=True).tail(1).rename(columns={"evaluation": "evaluations"})
    return last.sort_values(RUN_KEYS).reset_index(drop=True)


def grid(values: np.ndarray, x: str, points: int) -> np.ndarray:
    """Log-spaced grid over ``values`` (integers for the evaluation axis)."""
    low, high = float(np.min(values)), float(np.max(values))
    if low <= 0:  # a zero-cost evaluation: start the log grid at the first positive value
        positive = values[values > 0]
        low = float(positive.min()) if positive.size else 1.0
    spaced = np.geomspace(low, max(high, low), points)
    return np.unique(np.round(spaced)) if x == "evaluations" else np.unique(np.append(spaced, high))


def anytime(runs: pd.DataFrame, *, x: str = "time", points: int = 200, metric: str = "regret",
            at: np.ndarray | None = None) -> pd.DataFrame:
    """Each run's incumbent regret sampled on a per-benchmark log grid of ``x`` (``time`` or
    ``evaluations``), or at the values ``at`` where given: ``benchmark, strategy, seed, x, regret``
    (NaN before the run's first result).

    Example:
        >>> import nasbench.simulate as simulate
        >>> runs = runs_frame([simulate.run("rs", "nbgraph-cora", seed=0, max_evals=10)])
        >>> anytime(runs, x="evaluations", points=4)["x"].tolist()
        [1.0, 2.0, 5.0, 10.0]
    """
    if x not in AXES:
        raise NasbenchError(f"the x axis must be one of {', '.join(AXES)}, not {x!r}")
    column = "evaluation" if x == "evaluations" else "time"
    parts = []
    for benchmark, group in runs.groupby("benchmark", sort=True):
        points_x = (grid(group[column].to_numpy(dtype=np.float64), x, points) if at is None
                    else np.asarray(at, dtype=np.float64))
        parts.append(_sample(group, benchmark, column, metric, points_x))
    return pd.concat(parts, ignore_index=True)


def _sample(group: pd.DataFrame, benchmark: str, column: str, metric: str, points_x: np.ndarray) -> pd.DataFrame:
    """Every run of one benchmark at ``points_x``, in one vectorised search: the rows are keyed by
    (run, rank of x), so one ``searchsorted`` finds each run's last result by each point."""
    run_of_row = group.groupby(["strategy", "seed"], sort=True).ngroup().to_numpy()
    order = np.lexsort((np.arange(len(group)), run_of_row))  # run-major, each run in its own (time) order
    run_of_row = run_of_row[order]
    xs = group[column].to_numpy(dtype=np.float64)[order]
    values = group[metric].to_numpy(dtype=np.float64)[order]
    keys = group[["strategy", "seed"]].iloc[order].drop_duplicates()
    n_runs = len(keys)
    levels = np.unique(np.concatenate([xs, points_x]))
    scale = len(levels) + 1
    row_keys = run_of_row * scale + np.searchsorted(levels, xs)
    query_runs = np.repeat(np.arange(n_runs), len(points_x))
    query_keys = query_runs * scale + np.tile(np.searchsorted(levels, points_x), n_runs)
    last = np.searchsorted(row_keys, query_keys, side="right") - 1
    found = (last >= 0) & (run_of_row[np.maximum(last, 0)] == query_runs)
    return pd.DataFrame({
        "benchmark": np.full(len(query_runs), benchmark, dtype=object),
        "strategy": np.repeat(keys["strategy"].to_numpy(dtype=object), len(points_x)),
        "seed": np.repeat(keys["seed"].to_numpy(dtype=np.int64), len(points_x)),
        "x": np.tile(points_x, n_runs),
        metric: np.where(found, values[np.maximum(last, 0)], np.nan),
    })


def aggregate(curves: pd.DataFrame, *, statistic: str = "median", metric: str = "regret") -> pd.DataFrame:
    """Across seeds at each grid point: ``center`` with ``lower``/``upper`` (quartiles for the
    median, ± one standard error for the mean), ``n`` runs with a result and ``runs`` in all.

    Example:
        >>> frame = pd.DataFrame({"benchmark": "b", "strategy": "s", "seed": [0, 1, 2], "x": 1.0,
        ...                       "regret": [1.0, 2.0, 4.0]})
        >>> aggregate(frame, statistic="mean")["center"].tolist()
        [2.3333333333333335]
    """
    if statistic not in STATISTICS:
        raise NasbenchError(f"the statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    table = curves.set_index(["benchmark", "strategy", "x", "seed"])[metric].unstack("seed")
    values = table.to_numpy(dtype=np.float64)  # one row per curve point, one column per seed
    n = np.sum(~np.isnan(values), axis=1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no run has a result yet
        if statistic == "median":
            lower, center, upper = np.full((3, len(values)), np.nan)
            complete = n == values.shape[1]  # np.percentile is vectorised; nanpercentile loops per row
            lower[complete], center[complete], upper[complete] = np.percentile(values[complete], [25, 50, 75], axis=1)
            partial = ~complete & (n > 0)
            if partial.any():
                quartiles = np.nanpercentile(values[partial], [25, 50, 75], axis=1)
                lower[partial], center[partial], upper[partial] = quartiles
        else:
            center = np.nanmean(values, axis=1)
            error = np.where(n > 1, stats.sem(values, axis=1, nan_policy="omit"), 0.0)
            lower, upper = center - error, center + error
    frame = table.index.to_frame(index=False)
    frame["benchmark"] = frame["benchmark"].astype(object)
    frame["strategy"] = frame["strategy"].astype(object)
    frame["center"], frame["lower"], frame["upper"], frame["n"] = center, lower, upper, n
    runs = curves.groupby(["benchmark", "strategy"]).seed.nunique().rename("runs").reset_index()
    frame = frame.merge(runs, on=["benchmark", "strategy"], how="left")
    return frame.reset_index(drop=True)
