"""Arrays of NATS-format tables, filled one training run at a time.

:class:`TableBuilder` holds the ``(archs, seeds, epochs)`` arrays of one (dataset, schedule) table and
copies each ``ResultsCount`` state of the ``nats_bench`` package into them; :class:`Scratch` backs the
arrays with files so that tables of many gigabytes fill in bounded memory. Used by the NATS-Bench and
NAS-Bench-201 importers (:mod:`nasbench.importers.nats`, :mod:`nasbench.importers.nb201`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.table import MetricInfo, Split

#: evaluation set -> (metric prefix, split)
EVAL_SETS = {"x-valid": ("valid", Split.VALID), "x-test": ("test", Split.TEST), "ori-test": ("ori_test", Split.TEST)}


class Scratch:
    """NaN-filled float32 arrays backed by files in a temporary folder, so that filling tables of
    many gigabytes keeps resident memory bounded; the folder goes when :meth:`close` is called."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix=".nasbench-import-", dir=directory))
        self._count = 0

    def array(self, shape: tuple[int, ...]) -> np.ndarray:
        if 0 in shape:
            return np.full(shape, np.nan, dtype=np.float32)
        self._count += 1
        array = np.memmap(self.directory / f"{self._count}.f32", dtype=np.float32, mode="w+", shape=shape)
        array[...] = np.nan
        return array

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def metric_info(name: str) -> MetricInfo:
    """Split, unit and direction of a NATS metric name."""
    fixed = {"train_accuracy": (Split.TRAIN, "percent", True), "train_loss": (Split.TRAIN, "cross-entropy", False),
             "train_time": (Split.NONE, "s", False), "search_cost": (Split.NONE, "s", False),
             "params": (Split.NONE, "M", False), "flops": (Split.NONE, "MFLOPs", False),
             "latency": (Split.NONE, "s", False)}
    if name in fixed:
        return MetricInfo(name, *fixed[name])
    for set_prefix, split in EVAL_SETS.values():
        if name == f"{set_prefix}_accuracy":
            return MetricInfo(name, split, "percent", True)
        if name == f"{set_prefix}_loss":
            return MetricInfo(name, split, "cross-entropy", False)
        if name == f"{set_prefix}_eval_time":
            return MetricInfo(name, Split.NONE, "s", False)
    raise NasbenchError(f"no description of the NATS metric {name!r}")


class TableBuilder:
    """The arrays of one (dataset, schedule) table, filled record by record."""

    def __init__(self, scratch: Scratch, n_rows: int, n_epochs: int, seeds: Iterable[int]) -> None:
        self.scratch = scratch
        self.n_rows = n_rows
        self.n_epochs = n_epochs
        self.seeds: list[int] = list(dict.fromkeys(int(s) for s in seeds))
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, name: str) -> np.ndarray:
        array = self.arrays.get(name)
        if array is None:
            metric_info(name)  # unknown names fail here, before any data is written
            array = self.arrays[name] = self.scratch.array((self.n_rows, len(self.seeds), self.n_epochs))
        return array

    def column(self, seed: int) -> int:
        """The seed's column, widening every array when a record brings a seed not seen before."""
        if seed not in self.seeds:
            self.seeds.append(seed)
            for name, old in self.arrays.items():
                new = self.scratch.array((self.n_rows, len(self.seeds), self.n_epochs))
                new[:, :-1] = old
                self.arrays[name] = new
        return self.seeds.index(seed)

    def put(self, name: str, row: int, column: int, epochs: list[int], values: list[Any], where: str) -> None:
        if not epochs:
            return
        epoch_array = np.asarray(epochs, dtype=np.int64)
        if epoch_array.min() < 0 or epoch_array.max() >= self.n_epochs:
            raise NasbenchError(f"{where} has an epoch outside 0..{self.n_epochs - 1} in {name}")
        try:
            value_array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            bad = next(v for v in values if not _is_number(v))
            raise NasbenchError(f"{where} holds {bad!r} in {name}, where a number belongs") from None
        self.array(name)[row, column, epoch_array] = value_array

    def put_series(self, name: str, row: int, column: int, by_epoch: Mapping[int, Any], where: str) -> None:
        self.put(name, row, column, list(by_epoch.keys()), list(by_epoch.values()), where)

    def fill(self, row: int, seed: int, result: Mapping[str, Any], where: str) -> None:
        """Copy one ResultsCount state (one training run) into the arrays."""
        column = self.column(seed)
        if int(result.get("epochs", self.n_epochs)) != self.n_epochs:
            raise NasbenchError(f"{where} ran {result.get('epochs')} epochs, but its schedule has {self.n_epochs}")
        self.put_series("train_accuracy", row, column, result.get("train_acc1es") or {}, where)
        self.put_series("train_loss", row, column, result.get("train_losses") or {}, where)
        times = result.get("train_times") or {}
        present = 0
        while present < self.n_epochs and present in times:  # a missing epoch leaves every later total missing
            present += 1
        cumulative = np.cumsum(np.asarray([times[e] for e in range(present)], dtype=np.float64))
        self.put("train_time", row, column, list(range(present)), list(cumulative), where)
        for source_key, quantity in (("eval_acc1es", "accuracy"), ("eval_losses", "loss"), ("eval_times", "eval_time")):
            mapping = result.get(source_key) or {}
            matched = 0
            for set_name, (prefix, _) in EVAL_SETS.items():
                keys = _eval_keys(set_name, self.n_epochs)
                epochs = [e for e, key in enumerate(keys) if key in mapping]
                matched += len(epochs)
                self.put(f"{prefix}_{quantity}", row, column, epochs, [mapping[keys[e]] for e in epochs], where)
            if matched != len(mapping):
                known = {key for set_name in EVAL_SETS for key in _eval_keys(set_name, self.n_epochs)}
                stray = next(key for key in mapping if key not in known)
                raise NasbenchError(f"{where} has an evaluation entry {stray!r} this importer does not know "
                                    f"(known: {', '.join(EVAL_SETS)} at epochs 0..{self.n_epochs - 1})")
        latency = result.get("latency")
        constants = {"params": result.get("params"), "flops": result.get("flop"),
                     "latency": (sum(latency) / len(latency)) if latency else None}
        for name, value in constants.items():
            if value is not None and _number(value, where) >= 0:  # the source writes -1 for "not measured"
                self.array(name)[row, column, :] = _number(value, where)


def _eval_keys(set_name: str, n_epochs: int) -> list[str]:
    keys = _EVAL_KEYS.get((set_name, n_epochs))
    if keys is None:
        keys = _EVAL_KEYS[(set_name, n_epochs)] = [f"{set_name}@{epoch}" for epoch in range(n_epochs)]
    return keys


_EVAL_KEYS: dict[tuple[str, int], list[str]] = {}


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _number(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise NasbenchError(f"{where} holds {value!r} where a number belongs") from None
