"""Live training fallback: train what a table lacks, store it, answer the query.

``nasbench.load(name, on_miss="train")`` calls :func:`attach`, which gives the benchmark a miss
handler for tables nasbench built itself (they record their schedule). On a miss the handler trains
the (architecture, seed) under the table's own schedule and numerics (``seed=None``: the table's
first seed; on the device the table records), appends it through the same locked append the builder
uses, marks it live in the table's ``extra/live`` array, and hands the benchmark the new version of its table
(:meth:`~nasbench.benchmark.Benchmark.refresh`); the query then reads the stored value.

Example:
    >>> import nasbench
    >>> bench = nasbench.load("mlp-mnist1d", on_miss="train")  # doctest: +SKIP
    >>> bench.query("layers=1,width=16,act=relu,dropout=0,lr=0.01", "valid_accuracy", seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nasbench.errors import MissingEntryError, NasbenchError
from nasbench.table import Table
from nasbench.train import numerics, store

if TYPE_CHECKING:
    from nasbench.benchmark import Benchmark


def is_live(benchmark: Benchmark, row: int, seed: int) -> bool:
    """Whether the entry (row, seed) of a nasbench-trained table was trained live rather than built."""
    if not benchmark.table.has("extra/live"):
        return False
    return bool(benchmark.table.dataset("extra/live")[row, benchmark.seed_index(seed)])


def train_missing(benchmark: Benchmark, row: int, fidelity: float | None, seed: int | None) -> None:
    """Train and store the entry (row, seed) of ``benchmark``'s table if it is still missing."""
    table: Table = benchmark.table
    schedule = store.schedule_of(table)
    seed = int(benchmark.seeds[0]) if seed is None else int(seed)
    benchmark.seed_index(seed)  # an unknown seed raises naming the known ones
    if fidelity is not None and not 1 <= float(fidelity) <= schedule.epochs:
        raise NasbenchError(f"epoch {fidelity:g} is beyond the schedule of {table.name} (epochs 1..{schedule.epochs})")
    benchmark.fidelity_index(fidelity)
    arch_text = benchmark.space.encode(benchmark.space.arch_of_row(row))
    if not np.isnan(table.metric("valid_accuracy")[row, benchmark.seed_index(seed), -1]):
        # trained already, yet the query found NaN: the run diverged and its loss is not a number
        raise MissingEntryError(f"benchmark {table.name} has trained {arch_text} (row {row}) with seed {seed}, "
                                f"but the value asked for is not a number (the run diverged)")
    if not store.missing(table.path, [row], [seed]):
        benchmark.refresh()  # another process stored it after this benchmark opened the table
        return
    try:
        import torch
    except ModuleNotFoundError:
        raise NasbenchError(f"benchmark {table.name} lacks {arch_text} (row {row}) with seed {seed}, and training "
                            f"it live needs PyTorch, which is not installed ({numerics.INSTALL_HINT})") from None

    from nasbench.train.data import load_dataset
    from nasbench.train.trainer import train

    data = load_dataset(str(table.extra.get("dataset", "")))
    if data.split_hash != table.extra.get("split_hash"):
        raise NasbenchError(f"table {table.name} was trained on a different {table.extra.get('dataset')} split "
                            f"(hash {table.extra.get('split_hash')}, here {data.split_hash}); "
                            f"it cannot be extended here")
    # train where the table's own entries were trained, so that a live entry is comparable with them
    recorded = store.numerics_of(table)
    device = recorded.device if recorded is not None else ("cuda" if torch.cuda.is_available() else "cpu")
    store.check_numerics(table, schedule, device)
    arch = benchmark.space.arch_of_row(row)
    result = train(benchmark.space, arch, seed=seed, schedule=schedule, data=data, device=device)
    scores = None
    if store.has_proxies(table):
        from nasbench.train.proxies import proxy_metrics

        scores = proxy_metrics(benchmark.space, arch, seed=seed, schedule=schedule, data=data)
    store.append(table.path, benchmark.space, [store.Entry(row, seed, result, scores)], live=True)
    benchmark.refresh()


def attach(benchmark: Benchmark) -> None:
    """Give ``benchmark`` a live-training miss handler if its table was built by nasbench's trainer."""
    if not isinstance(benchmark.table.extra.get("schedule"), dict):
        return  # an imported table: the benchmark reports misses as having no live trainer
    benchmark.set_miss_handler(train_missing)


__all__ = ["attach", "is_live", "train_missing"]
