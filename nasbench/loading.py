"""``nasbench.load``: open a benchmark, with live training plugged in from above the lookup layer.

The lookup layer (:mod:`nasbench.benchmark`) knows nothing of training: a miss goes to the handler a
caller attached (:meth:`~nasbench.benchmark.Benchmark.set_miss_handler`). This module is that caller
for ``on_miss="train"``: it attaches :mod:`nasbench.train.live`'s trainer, so the lookup layer opens
without torch and never imports the trainer.

Example:
    >>> import nasbench
    >>> nasbench.load("nbgraph-cora").on_miss
    'error'
    >>> nasbench.load("nbgraph-cora", on_miss="later")
    Traceback (most recent call last):
    nasbench.errors.NasbenchError: on_miss must be one of error, train, not 'later'
"""

from __future__ import annotations

import os

from nasbench import benchmark as lookup
from nasbench.benchmark import Benchmark


def load(name_or_path: str | os.PathLike, *, on_miss: str = "error", verify: str = "auto") -> Benchmark:
    """Open a benchmark by name (see :func:`~nasbench.benchmark.list_benchmarks`) or by table path.

    ``on_miss="error"`` (default) raises :class:`~nasbench.errors.MissingEntryError` for an entry the
    table lacks; ``on_miss="train"`` trains it live where the table names a trainer, stores it and
    returns it (torch is an optional extra: imported only then).
    """
    benchmark = lookup.load(name_or_path, on_miss=on_miss, verify=verify)
    if on_miss == "train":
        from nasbench.train.live import attach

        attach(benchmark)
    return benchmark
