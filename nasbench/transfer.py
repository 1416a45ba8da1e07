"""Prior tasks for transfer: read-only validation views of other tables, aligned to the target's rows.

A run given ``transfer_from=("nbgraph-citeseer", ...)`` hands its strategy one :class:`PriorTask` per
named table in ``SearchContext.priors``. A view holds the prior table's *search* (validation) metric
at its final fidelity, seed-averaged, as a read-only array with one entry per row of the *target*
table; nothing else of the prior table (no test metric, no handle on the table) and nothing of the
target reaches the strategy.

Rows are matched by the canonical architecture string. Tables of the same space match row for row.
``nbgraph-proteins`` has its own space (``nbgraph-proteins``: the same links, but only five of the nine
GNN ops — gcn, sage, arma, fc, skip — so 2,021 rows instead of 26,206); each of its rows is a row of
the ``nbgraph`` space with the same string, so it maps *into* ``nbgraph`` (a proteins prior covers
2,021 of an ``nbgraph`` target's rows, NaN elsewhere) and ``nbgraph`` maps onto it (every proteins row
is covered). A prior of which no architecture is a row of the target (``mlp`` into ``nbgraph``) is
refused. ``"shuffled:NAME"`` names the negative control: NAME's values with the rows permuted by a
generator from the run's seed, so that the prior keeps its distribution of values but loses any
relation to the architectures.

Example:
    >>> from nasbench.benchmark import load
    >>> target = load("nbgraph-cora")
    >>> (prior,) = prior_tasks(target, ("nbgraph-proteins",), seed=0)
    >>> prior.name, prior.space, prior.metric, int((~np.isnan(prior.values)).sum())
    ('nbgraph-proteins', 'nbgraph-proteins', 'valid_roc_auc', 2021)
    >>> prior.values.flags.writeable
    False
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nasbench.benchmark import Benchmark, list_benchmarks, load
from nasbench.errors import NasbenchError, shorten
from nasbench.validate import name_sequence

SHUFFLED = "shuffled:"


@dataclass(frozen=True)
class PriorTask:
    """One prior task as a strategy sees it.

    ``values[row]`` is the prior's validation metric ``metric`` at its final fidelity (mean over its
    seeds) for the target's row ``row``, NaN where the prior does not hold that architecture;
    ``higher_is_better`` is that metric's orientation (:meth:`oriented` gives values to maximise).
    """

    name: str
    space: str
    metric: str
    values: np.ndarray
    higher_is_better: bool

    def oriented(self) -> np.ndarray:
        """``values`` negated where lower is better, so that higher is always better (read-only)."""
        out = self.values if self.higher_is_better else -self.values
        out = out.view()
        out.flags.writeable = False
        return out


def check_transfer_from(target: str, names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as a tuple, refusing the target itself, unknown tables and repeats (cheap: no table is opened).

    >>> check_transfer_from("nbgraph-cora", ["nbgraph-cora"])
    Traceback (most recent call last):
    ...
    nasbench.errors.NasbenchError: the target nbgraph-cora cannot be its own prior task (--transfer-from names it)
    """
    names = name_sequence(names, "transfer_from", "table names", "['nbgraph-citeseer']")
    known = set(list_benchmarks())
    bases = [name.removeprefix(SHUFFLED) for name in names]
    for name in bases:
        if name == target:
            raise NasbenchError(f"the target {target} cannot be its own prior task (--transfer-from names it)")
        if name not in known:
            raise NasbenchError(f"unknown prior task {shorten(name)}; known benchmarks: {', '.join(sorted(known))}")
    if len(set(bases)) != len(bases):
        raise NasbenchError(f"--transfer-from names a task twice: {', '.join(names)}")
    return names


def prior_tasks(target: Benchmark, names: Sequence[str], *, seed: int) -> tuple[PriorTask, ...]:
    """The views of ``names`` for a run on ``target`` with run seed ``seed`` (checked; see the module)."""
    names = check_transfer_from(target.name, names)
    views = []
    for position, name in enumerate(names):
        base = name.removeprefix(SHUFFLED)
        prior = _load(base)
        if prior.checksum == target.checksum:
            raise NasbenchError(f"prior task {base} is the target table {target.name} under another name")
        metric = prior.search_metric
        if prior.metric_info(metric).split.value != "valid":
            raise NasbenchError(f"prior task {base} has no validation search metric (its search metric is {metric})")
        values = np.array(_aligned(prior, target, prior.final(metric)))
        if name != base:
            rng = np.random.default_rng([seed, position, 0x5F])  # the control's permutation, fixed by the run seed
            values = values[rng.permutation(len(values))]
        values.flags.writeable = False
        views.append(PriorTask(name, prior.space.name, metric, values, prior.metric_info(metric).higher_is_better))
    return tuple(views)


def maps_into(prior: Benchmark, target: Benchmark) -> bool:
    """Whether some architecture of ``prior`` is a row of ``target`` (so ``prior`` can be its prior task)."""
    return bool((_rows(prior, target) >= 0).any())


@lru_cache(maxsize=16)
def _load(name: str) -> Benchmark:
    return load(name)


_ROWS: dict[tuple[str, str], np.ndarray] = {}


def _rows(prior: Benchmark, target: Benchmark) -> np.ndarray:
    """For each target row, the prior's row of the same canonical string (-1 where the prior lacks it)."""
    key = (prior.checksum, target.checksum)
    rows = _ROWS.get(key)
    if rows is None:
        prior_archs, target_archs = prior.archs, target.archs
        if len(prior_archs) == len(target_archs) and np.array_equal(prior_archs, target_archs):
            rows = np.arange(len(target_archs))
        else:
            position = {text: row for row, text in enumerate(prior_archs.tolist())}
            rows = np.fromiter((position.get(text, -1) for text in target_archs.tolist()), dtype=np.int64,
                               count=len(target_archs))
        rows.flags.writeable = False
        rows = _ROWS[key] = rows
    return rows


def _aligned(prior: Benchmark, target: Benchmark, values: np.ndarray) -> np.ndarray:
    """``values`` (one per prior row) as one per target row, matched by canonical string; NaN where absent."""
    rows = _rows(prior, target)
    if not (rows >= 0).any():
        raise NasbenchError(f"prior task {prior.name} ({prior.space.name} space) does not map into the "
                            f"{target.space.name} space of {target.name}: no architecture of one is a row of the other")
    return np.where(rows >= 0, np.asarray(values, dtype=np.float64)[np.maximum(rows, 0)], np.nan)
