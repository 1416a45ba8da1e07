"""NAS-Bench-101 importer: ``nasbench_only108.tfrecord`` and ``nasbench_full.tfrecord``, streamed.

Source: Ying et al., ICML 2019 (Apache-2.0). Each TFRecord record is UTF-8 JSON
``[module_hash, epochs, adjacency, ops, base64 ModelMetrics]``, one per (cell, epoch budget, repeat).
The file is read record by record (TFRecord framing and CRC-32C in :mod:`nasbench.importers.tfrecord`,
no TensorFlow); only the output arrays grow with the file, so resident memory stays near the size of
the finished table (about 0.5 GB for the full file) rather than the 1.95 GB input.

Table ``nb101-cifar10`` (full file: fidelities 4, 12, 36, 108 epochs) or ``nb101-cifar10-only108``
(fidelity 108 only). Rows = distinct cells, sorted by module hash (``extra/module_hash``); a row's code
packs its genes (see :mod:`nasbench.spaces.nb101`). Seeds 0, 1, 2 = the source's three repeats in file
order. The fidelity is the epoch *budget* of a separate training run (the learning-rate schedule
ends at that epoch), not a checkpoint of the 108-epoch run. Metrics (float64, source units):

- ``train_accuracy`` (train), ``valid_accuracy`` (valid), ``test_accuracy`` (test): fractions at the
  end of the run; ``train_time``: training seconds of the run (the cost metric);
- ``halfway_train_accuracy``/``halfway_valid_accuracy``/``halfway_test_accuracy``/``halfway_train_time``:
  the same at half the budget (the original's ``stop_halfway``);
- ``total_time`` (seconds, training and evaluation), ``params`` (trainable parameters, count).

Example:
    >>> convert("nasbench_only108.tfrecord", "data")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from nasbench.errors import NasbenchError
from nasbench.importers.registry import Importer, ImportOptions, register_importer
from nasbench.importers.tfrecord import as_double, as_int32, decode_message, open_tfrecord, read_records
from nasbench.spaces import nb101 as space_module
from nasbench.table import MetricInfo, Split, TableContents, write_table

BUDGETS = (4, 12, 36, 108)
N_REPEATS = 3
SOURCE = "NAS-Bench-101 (Ying et al., ICML 2019), google-research/nasbench"
LICENCE = "Apache-2.0"
_EVAL_FIELDS = {1: "current_epoch", 2: "training_time", 3: "train_accuracy", 4: "validation_accuracy",
                5: "test_accuracy"}
METRICS = {
    "train_accuracy": (Split.TRAIN, "fraction", True), "valid_accuracy": (Split.VALID, "fraction", True),
    "test_accuracy": (Split.TEST, "fraction", True), "train_time": (Split.NONE, "s", False),
    "halfway_train_accuracy": (Split.TRAIN, "fraction", True),
    "halfway_valid_accuracy": (Split.VALID, "fraction", True),
    "halfway_test_accuracy": (Split.TEST, "fraction", True), "halfway_train_time": (Split.NONE, "s", False),
    "total_time": (Split.NONE, "s", False), "params": (Split.NONE, "count", False),
}


def decode_metrics(raw: bytes, where: str) -> dict[str, Any]:
    """A serialised ModelMetrics as ``{'evaluations': [dict, ...], 'trainable_parameters', 'total_time'}``."""
    try:
        evaluations, parameters, total_time = [], None, None
        for number, wire_type, value in decode_message(raw):
            if number == 1 and wire_type == 2:
                evaluation: dict[str, float] = {}
                for sub_number, sub_type, sub_value in decode_message(value):  # type: ignore[arg-type]
                    if sub_number in _EVAL_FIELDS and sub_type == 1:
                        evaluation[_EVAL_FIELDS[sub_number]] = as_double(sub_value)  # type: ignore[arg-type]
                evaluations.append(evaluation)
            elif number == 2 and wire_type == 0:
                parameters = as_int32(value)  # type: ignore[arg-type]
            elif number == 3 and wire_type == 1:
                total_time = as_double(value)  # type: ignore[arg-type]
    except NasbenchError as exc:
        raise NasbenchError(f"{where}: its ModelMetrics cannot be decoded ({exc})") from None
    return {"evaluations": evaluations, "trainable_parameters": parameters, "total_time": total_time}


def parse_record(data: bytes, where: str) -> tuple[str, int, np.ndarray, list[str], dict[str, Any]]:
    """``(module hash, epochs, adjacency matrix, ops, metrics)`` of one record's JSON payload."""
    try:
        module_hash, epochs, adjacency, operations, metrics = json.loads(data.decode("utf-8"))
        dimension = int(round(len(adjacency) ** 0.5))
        if dimension * dimension != len(adjacency) or set(adjacency) - {"0", "1"}:
            raise ValueError("the adjacency is not a square 0/1 string")
        matrix = np.frombuffer(adjacency.encode("ascii"), dtype=np.uint8).reshape(dimension, dimension) - ord("0")
        raw_metrics = base64.b64decode(metrics, validate=True)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError, binascii.Error) as exc:
        raise NasbenchError(f"{where} is not a NAS-Bench-101 record ({exc})") from None
    if not (isinstance(module_hash, str) and len(module_hash) == 32):
        raise NasbenchError(f"{where} has a malformed module hash {module_hash!r}")
    return module_hash, int(epochs), matrix, str(operations).split(","), decode_metrics(raw_metrics, where)


class _Arrays:
    """Output arrays that grow (by doubling) as new cells appear."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self.values = {name: np.full((capacity, N_REPEATS, len(BUDGETS)), np.nan) for name in METRICS}
        self.repeats = np.zeros((capacity, len(BUDGETS)), dtype=np.int8)
        self.codes = np.zeros(capacity, dtype=np.int64)
        self.hashes: list[str] = []
        self.row_of: dict[str, int] = {}

    def row(self, module_hash: str, matrix: np.ndarray, ops: list[str], where: str) -> int:
        row = self.row_of.get(module_hash)
        if row is not None:
            return row
        try:
            genes = space_module.genes_of(matrix, ops)
        except NasbenchError as exc:
            raise NasbenchError(f"{where}: {exc}") from None
        row = self.row_of[module_hash] = len(self.hashes)
        if row == self.capacity:
            self._grow()
        self.hashes.append(module_hash)
        self.codes[row] = space_module.code_of(genes)
        return row

    def _grow(self) -> None:
        self.capacity *= 2
        for name, old in self.values.items():
            new = np.full((self.capacity, N_REPEATS, len(BUDGETS)), np.nan)
            new[:len(old)] = old
            self.values[name] = new
        self.repeats = np.concatenate([self.repeats, np.zeros_like(self.repeats)])
        self.codes = np.concatenate([self.codes, np.zeros_like(self.codes)])


def _fill(arrays: _Arrays, row: int, budget: int, metrics: dict[str, Any], where: str) -> None:
    repeat = int(arrays.repeats[row, budget])
    if repeat >= N_REPEATS:
        raise NasbenchError(f"{where} is a repeat beyond the {N_REPEATS} the benchmark holds for its cell and budget")
    arrays.repeats[row, budget] += 1
    evaluations = metrics["evaluations"]
    if len(evaluations) != 3:
        raise NasbenchError(f"{where} holds {len(evaluations)} evaluations; NAS-Bench-101 records hold 3 "
                            f"(start, halfway, end)")
    for prefix, evaluation in (("", evaluations[2]), ("halfway_", evaluations[1])):
        for metric, field in (("train_accuracy", "train_accuracy"), ("valid_accuracy", "validation_accuracy"),
                              ("test_accuracy", "test_accuracy"), ("train_time", "training_time")):
            if field in evaluation:
                arrays.values[prefix + metric][row, repeat, budget] = evaluation[field]
    if metrics["total_time"] is not None:
        arrays.values["total_time"][row, repeat, budget] = metrics["total_time"]
    if metrics["trainable_parameters"] is not None:
        arrays.values["params"][row, repeat, budget] = metrics["trainable_parameters"]


def convert(path: str | Path, out_dir: str | Path, *, progress: bool = False, check_crc: bool = True) -> Path:
    """Convert a NAS-Bench-101 TFRecord file into one table in ``out_dir``; returns its path.

    Nothing is written until the whole file has been read and checked, so an interrupted or failed
    conversion leaves no table.
    """
    path = Path(path)
    arrays = _Arrays()
    with open_tfrecord(path) as stream, tqdm(total=path.stat().st_size, desc="nb101 records", unit="B",
                                            unit_scale=True, disable=not progress) as bar:
        n_records, last = 0, 0
        for offset, data in read_records(stream, name=str(path), check_crc=check_crc):
            where = f"{path.name}, record at byte offset {offset}"
            module_hash, epochs, matrix, ops, metrics = parse_record(data, where)
            if epochs not in BUDGETS:
                raise NasbenchError(f"{where} trained for {epochs} epochs; NAS-Bench-101 budgets are {BUDGETS}")
            row = arrays.row(module_hash, matrix, ops, where)
            _fill(arrays, row, BUDGETS.index(epochs), metrics, where)
            n_records += 1
            if n_records % 4096 == 0:
                bar.update(offset - last)
                last = offset
        bar.update(path.stat().st_size - last)
    if not arrays.hashes:
        raise NasbenchError(f"{path} holds no records")
    return _write(arrays, path, Path(out_dir), n_records)


def _write(arrays: _Arrays, path: Path, out_dir: Path, n_records: int) -> Path:
    n_rows = len(arrays.hashes)
    hashes = np.array(arrays.hashes, dtype="S32")
    order = np.argsort(hashes, kind="stable")
    budgets = [i for i in range(len(BUDGETS)) if arrays.repeats[:n_rows, i].any()]
    name = "nb101-cifar10" if budgets == list(range(len(BUDGETS))) else (
        "nb101-cifar10-only108" if budgets == [len(BUDGETS) - 1] else
        "nb101-cifar10-e" + "-".join(str(BUDGETS[i]) for i in budgets))
    metrics = {}
    for metric, (split, unit, higher) in METRICS.items():
        values = arrays.values.pop(metric)[:n_rows][order][:, :, budgets]  # pop: free each original early
        metrics[metric] = (values, MetricInfo(metric, split, unit, higher))
    codes = arrays.codes[:n_rows][order]
    space = space_module.Nb101Space()
    archs = [space.encode(space_module.arch_of_code(int(code))) for code in codes]
    out = out_dir / f"{name}.h5"
    write_table(out, TableContents(
        name=name, space="nb101", archs=archs, codes=codes, seeds=list(range(N_REPEATS)),
        fidelities=[float(BUDGETS[i]) for i in budgets], fidelity_unit="epochs", metrics=metrics,
        source=SOURCE, licence=LICENCE, version=path.name, search_metric="valid_accuracy",
        test_metric="test_accuracy", cost_metric="train_time", extra={"module_hash": hashes[order]},
        attrs={"dataset": "cifar10", "source_file": path.name, "n_records": n_records,
               "partial": n_rows < space_module.N_GRAPHS, "n_space_archs": space_module.N_GRAPHS,
               "seed_note": "seeds 0, 1, 2 = the source's three repeats, in file order",
               "fidelity_note": "fidelity = epoch budget of a separate run (its schedule ends there); "
                                "halfway_* = the same run at half its budget",
               "code_note": "rows sorted by module hash (extra/module_hash); code packs the genes"}))
    return out


@register_importer
class Nb101Importer(Importer):
    name = "nb101"
    help = "NAS-Bench-101: a nasbench_full.tfrecord or nasbench_only108.tfrecord file"

    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        return [convert(path, out, progress=options.progress)]
