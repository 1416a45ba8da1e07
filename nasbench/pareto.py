"""Multi-objective scoring: exact Pareto fronts of a table, hypervolume regret and IGD+.

Objectives are metric names; each is oriented to minimisation and normalised to [0, 1] over all rows
of the table (seed mean at the final fidelity), so that the hypervolume of a set of rows is taken with
the reference point 1.1 in every dimension and the front of the whole table has a fixed, comparable
hypervolume. The **test side** of an objective is its test counterpart (``valid_accuracy`` ->
``test_accuracy``); a split-free metric (``latency``, ``params``) is its own counterpart.

The exact front is computed here without any optional package (a vectorised cull over the rows
sorted lexicographically); the indicators come from ``moocore`` (``pip install "nasbench[mo]"``), imported
on first use.

Example:
    >>> import nasbench
    >>> bench = nasbench.load("nbgraph-cora")
    >>> rows = bench.pareto_front(("valid_accuracy", "latency"))
    >>> bool(nondominated(normalised(bench, ("valid_accuracy", "latency"))[rows]).all())
    True
    >>> round(hv_regret(bench, ("valid_accuracy", "latency"), rows), 12)
    0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nasbench.errors import NasbenchError, shorten
from nasbench.validate import check_objectives, counterpart, objective_names, require_indicators

if TYPE_CHECKING:
    from nasbench.benchmark import Benchmark

__all__ = ["REFERENCE", "FrontData", "check_objectives", "check_split", "counterpart", "front_data", "hv_regret",
           "hv_regret_curves", "hypervolume", "igd_plus", "nondominated", "normalised", "objective_names",
           "pareto_front", "require_indicators"]

#: reference point of every hypervolume, in each normalised (minimised) dimension
REFERENCE = 1.1
SPLITS = ("valid", "test")


_moocore = require_indicators  # the indicators' module, imported on first use (nasbench.validate)


def check_split(split: Any) -> str:
    """``split`` if it is one of :data:`SPLITS`, else one :class:`NasbenchError`."""
    if not isinstance(split, str) or split not in SPLITS:
        raise NasbenchError(f"split must be one of {', '.join(SPLITS)}, not {shorten(split)}")
    return split


def normalised(bench: Benchmark, objectives: Sequence[str], split: str = "valid") -> np.ndarray:
    """Every row's objectives, shape ``(n_archs, m)``: oriented to minimisation and scaled to [0, 1]
    over the table (NaN where a row lacks a value); ``split="test"`` reads the test counterparts."""
    check_split(split)
    columns = []
    for objective in objectives:
        name = counterpart(bench, objective) if split == "test" else objective
        values = bench.final(name)
        if bench.metric_info(name).higher_is_better:
            values = -values
        low, high = np.nanmin(values), np.nanmax(values)
        columns.append((values - low) / (high - low if high > low else 1.0))
    return np.column_stack(columns)


def nondominated(points: np.ndarray) -> np.ndarray:
    """Mask of the points (rows, minimised) that no other point dominates; duplicates all stay.

    Sorted lexicographically, a point can only be dominated by one before it; each pass keeps the
    first remaining point (it is on the front) and drops every point it dominates.

    >>> nondominated(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])).tolist()
    [True, True, False, True]
    """
    points = np.asarray(points, dtype=np.float64)
    keep = np.zeros(len(points), dtype=bool)
    order = np.lexsort(points.T[::-1])
    remaining = points[order]
    index = order
    while len(remaining):
        head = remaining[0]
        same = np.all(remaining == head, axis=1)
        keep[index[same]] = True
        dominated = np.all(remaining >= head, axis=1)  # the head's duplicates included: already kept
        remaining, index = remaining[~dominated], index[~dominated]
    return keep


def pareto_front(bench: Benchmark, objectives: Sequence[str], split: str = "valid") -> np.ndarray:
    """Rows of the table's non-dominated set for ``objectives`` (seed mean, final fidelity), sorted;
    rows lacking a value are left out. :meth:`Benchmark.pareto_front` caches this."""
    points = normalised(bench, check_objectives(bench, objectives), split)
    present = np.flatnonzero(~np.isnan(points).any(axis=1))
    return np.sort(present[nondominated(points[present])])


def hypervolume(points: np.ndarray) -> float:
    """Hypervolume of normalised, minimised points against the reference point :data:`REFERENCE`."""
    points = np.asarray(points, dtype=np.float64)
    points = points[~np.isnan(points).any(axis=1)]
    if not len(points):
        return 0.0
    return float(_moocore().hypervolume(points, ref=np.full(points.shape[1], REFERENCE)))


def hv_regret(bench: Benchmark, objectives: Sequence[str], rows: Sequence[int] | np.ndarray,
              split: str = "valid") -> float:
    """HV(true front) − HV(the rows), both on the ``split`` side (non-negative)."""
    points = normalised(bench, objectives, split)
    true = hypervolume(points[bench.pareto_front(objectives, split)])
    return true - hypervolume(points[np.asarray(rows, dtype=np.intp)])


def igd_plus(bench: Benchmark, objectives: Sequence[str], rows: Sequence[int] | np.ndarray,
             split: str = "valid") -> float:
    """IGD+ of the rows against the true front on the ``split`` side (0 when the rows cover it)."""
    points = normalised(bench, objectives, split)
    found = points[np.asarray(rows, dtype=np.intp)]
    found = found[~np.isnan(found).any(axis=1)]
    if not len(found):
        return float("inf")
    return float(_moocore().igd_plus(found, ref=points[bench.pareto_front(objectives, split)]))


def hv_regret_curves(bench: Benchmark, objectives: Sequence[str], rows: np.ndarray,
                     archived: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HV regret after every evaluation of a run, validation and test side.

    ``rows`` are the evaluated rows in finishing order, ``archived`` says which of them enter the
    archive (evaluations at the final fidelity). The archive is scored with its rows' validation
    objectives; its validation non-dominated rows are scored again with their test counterparts
    against the true test front (the multi-objective analogue of the incumbent's test value).
    Hypervolumes are recomputed only when the archive's front changes.
    """
    valid, test = normalised(bench, objectives, "valid"), normalised(bench, objectives, "test")
    true_valid = hypervolume(valid[bench.pareto_front(objectives, "valid")])
    true_test = hypervolume(test[bench.pareto_front(objectives, "test")])
    out_valid = np.full(len(rows), true_valid)
    out_test = np.full(len(rows), true_test)
    front: np.ndarray = np.empty(0, dtype=np.intp)
    hv_valid = hv_test = 0.0
    for step, (row, enters) in enumerate(zip(rows.tolist(), archived.tolist())):
        point = valid[row]
        if enters and not np.isnan(point).any() and not (np.all(valid[front] <= point, axis=1).any()):
            kept = ~np.all(valid[front] >= point, axis=1)
            front = np.append(front[kept], row)
            hv_valid, hv_test = hypervolume(valid[front]), hypervolume(test[front])
        out_valid[step] -= hv_valid
        out_test[step] -= hv_test
    return out_valid, out_test


class FrontData(NamedTuple):
    """What a report needs of a table to draw fronts without opening it: every row's and the true
    front's normalised points, and how to normalise raw objective values the same way."""

    objectives: tuple[str, ...]
    signs: tuple[float, ...]  # +1 for a lower-is-better objective, -1 for a higher-is-better one
    low: tuple[float, ...]  # bounds of the minimised values over the table
    high: tuple[float, ...]
    final_fidelity: float
    points: np.ndarray
    front: np.ndarray

    def scale(self, raw: np.ndarray) -> np.ndarray:
        """Raw objective values (rows x objectives) normalised and minimised as :func:`normalised`."""
        signs, low, high = np.array(self.signs), np.array(self.low), np.array(self.high)
        return (np.asarray(raw, dtype=np.float64) * signs - low) / np.where(high > low, high - low, 1.0)


def front_data(bench: Benchmark, objectives: Sequence[str]) -> FrontData:
    """The :class:`FrontData` of ``objectives`` on ``bench`` (validation side)."""
    objectives = check_objectives(bench, objectives)
    signs = tuple(-1.0 if bench.metric_info(o).higher_is_better else 1.0 for o in objectives)
    minimised = [bench.final(o) * sign for o, sign in zip(objectives, signs)]
    points = normalised(bench, objectives)
    return FrontData(objectives, signs, tuple(float(np.nanmin(v)) for v in minimised),
                     tuple(float(np.nanmax(v)) for v in minimised), float(bench.fidelities[-1]), points,
                     points[bench.pareto_front(objectives)])
