"""Writers of fixture files in the published benchmarks' own formats, for the importer tests.

Each writer is written from the format's description (../shared/reference/formats.md), independently of
the importer that reads it: the CRC here is computed bit by bit, the protobuf encoder is separate from
the importer's decoder, and the torch container is assembled by hand. Records are generated from an
``np.random.Generator`` so every test sees the same files.
"""

from __future__ import annotations

import base64
import bz2
import collections
import io
import json
import os
import pickle
import struct
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

NATS_DIR = Path(__file__).resolve().parent / "fixtures" / "nats"
TSS_SAMPLE = NATS_DIR / "NATS-tss-v1_0-3ffb9-simple"
SSS_SAMPLE = NATS_DIR / "NATS-sss-v1_0-50262-simple"


# --- pickles that would run code ------------------------------------------------------------------
class RunsCode:
    """Unpickling this calls ``os.system`` to create ``marker``: what a hostile file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def hostile_payload(marker: Path, protocol: int = 4) -> bytes:
    return pickle.dumps({"meta_archs": RunsCode(marker), "total_archs": 15625}, protocol=protocol)


# --- NATS-Bench .pickle.pbz2 ----------------------------------------------------------------------
def write_pbz2(path: Path, obj: Any) -> Path:
    """Pickle (protocol 4, as NATS-Bench writes) and bz2-compress ``obj`` into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bz2.compress(pickle.dumps(obj, protocol=4)))
    return path


NATS_SETS = {"cifar10-valid": ("x-valid", "ori-test"), "cifar10": ("ori-test",),
             "cifar100": ("x-valid", "x-test", "ori-test"), "ImageNet16-120": ("x-valid", "x-test", "ori-test")}


def results_count(dataset: str, seed: int, epochs: int, arch_str: str, rng: np.random.Generator, *,
                  full_sets_at_end_only: bool, drop_epochs: Sequence[int] = ()) -> dict[str, Any]:
    """One ResultsCount state with random curves; sets other than the dataset's main one hold only the
    last epoch when ``full_sets_at_end_only`` (as NATS tss hp 200 does); ``drop_epochs`` are left out."""
    kept = [e for e in range(epochs) if e not in drop_epochs]

    def series(low: float, high: float, decimals: int | None = None) -> dict[int, float]:
        values = rng.uniform(low, high, size=len(kept))
        return dict(zip(kept, (np.round(values, decimals) if decimals is not None else values).tolist()))

    state: dict[str, Any] = {
        "name": dataset, "epochs": epochs, "seed": f"{seed:04d}", "arch_config": {"arch_str": arch_str},
        "net_state_dict": None, "params": float(np.round(rng.uniform(0.1, 1.5), 6)),
        "flop": float(np.round(rng.uniform(5, 200), 5)), "latency": [np.float64(rng.uniform(0.005, 0.03))],
        "train_acc1es": series(10, 100, 2), "train_acc5es": series(50, 100, 2),
        "train_losses": series(0.01, 3), "train_times": series(5, 40),
        "eval_names": list(NATS_SETS[dataset]), "eval_acc1es": {}, "eval_losses": {}, "eval_times": {},
    }
    for position, set_name in enumerate(NATS_SETS[dataset]):
        sparse = full_sets_at_end_only and (position > 0 if dataset == "cifar10-valid" else set_name != "ori-test")
        epochs_here = [epochs - 1] if sparse else kept
        keys = [f"{set_name}@{epoch}" for epoch in epochs_here]
        state["eval_acc1es"].update(zip(keys, np.round(rng.uniform(10, 95, len(keys)), 2).tolist()))
        state["eval_losses"].update(zip(keys, rng.uniform(0.1, 3, len(keys)).tolist()))
        state["eval_times"].update(zip(keys, rng.uniform(0.2, 3, len(keys)).tolist()))
    return state


def arch_results(index: int, arch_str: str, hp: str, rng: np.random.Generator, *, seeds: dict[str, list[int]],
                 drop: dict[tuple[str, int], Sequence[int]] | None = None) -> dict[str, Any]:
    """One ArchResults state for schedule ``hp`` (epochs = int(hp))."""
    epochs = int(hp)
    all_results = {}
    for dataset, dataset_seeds in seeds.items():
        for seed in dataset_seeds:
            all_results[(dataset, seed)] = results_count(
                dataset, seed, epochs, arch_str, rng, full_sets_at_end_only=epochs >= 200,
                drop_epochs=(drop or {}).get((dataset, seed), ()))
    return {"arch_index": index, "arch_str": arch_str, "all_results": all_results,
            "dataset_seed": {d: list(s) for d, s in seeds.items()}, "clear_net_done": True}


TSS_SEEDS = {"12": {"cifar10-valid": [111, 777], "cifar10": [111], "cifar100": [111], "ImageNet16-120": [111]},
             "200": {d: [777, 888, 999] for d in NATS_SETS}}


def write_nats_tss_dir(directory: Path, meta_archs: list[str], indexes: Iterable[int], rng: np.random.Generator, *,
                       hp_200_epochs: str = "200", drop: dict[int, dict[tuple[str, int], Sequence[int]]] | None = None
                       ) -> dict[int, collections.OrderedDict]:
    """A NATS-tss fast-mode directory holding ``indexes``; returns the records written, by index.

    ``hp_200_epochs`` lets tests use a shorter 'long' schedule to keep files small; ``drop`` leaves
    epochs out of chosen runs (to check that missing stays missing)."""
    write_pbz2(directory / "meta.pickle.pbz2", {"meta_archs": meta_archs, "total_archs": len(meta_archs),
                                                "arch2infos": None, "evaluated_indexes": set()})
    written = {}
    for index in indexes:
        record = collections.OrderedDict()
        for hp, seeds in TSS_SEEDS.items():
            schedule = hp if hp == "12" else hp_200_epochs
            record[schedule] = arch_results(index, meta_archs[index], schedule, rng, seeds=seeds,
                                            drop=(drop or {}).get(index))
        write_pbz2(directory / f"{index:06d}.pickle.pbz2", record)
        written[index] = record
    return written


# --- torch containers (NAS-Bench-201 .pth) --------------------------------------------------------
def write_torch_zip(path: Path, obj: Any, archive_name: str = "archive") -> Path:
    """A torch >= 1.6 zip container: ``<name>/data.pkl`` (protocol 2), ``<name>/version``, ``<name>/byteorder``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{archive_name}/data.pkl", pickle.dumps(obj, protocol=2))
        archive.writestr(f"{archive_name}/byteorder", "little")
        archive.writestr(f"{archive_name}/version", "3\n")
    return path


def write_torch_legacy(path: Path, obj: Any, *, protocol_version: int = 1001) -> Path:
    """The legacy torch container: magic number, protocol version, system info, the object, then the
    (here empty) list of storage keys, each a protocol-2 pickle one after another."""
    stream = io.BytesIO()
    for item in (0x1950A86A20F9469CFC6C, protocol_version,
                 {"protocol_version": protocol_version, "little_endian": True,
                  "type_sizes": {"short": 2, "int": 4, "long": 4}}, obj, []):
        pickle.dump(item, stream, protocol=2)
    path.write_bytes(stream.getvalue())
    return path


# --- TFRecord and protobuf (NAS-Bench-101) --------------------------------------------------------
def crc32c_bitwise(data: bytes) -> int:
    """CRC-32C computed bit by bit (slow, and independent of the importer's table-driven one)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord_frame(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked(crc32c_bitwise(length))) + data
            + struct.pack("<I", masked(crc32c_bitwise(data))))


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32 values are written as 10-byte two's complement varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def encode_model_metrics(evaluations: Sequence[dict[str, Any]], trainable_parameters: int, total_time: float) -> bytes:
    """Serialise a ModelMetrics message: evaluation_data = 1 (EvaluationData), trainable_parameters = 2
    (int32 varint), total_time = 3 (double)."""
    out = bytearray()
    for evaluation in evaluations:
        body = bytearray()
        for number, name in enumerate(("current_epoch", "training_time", "train_accuracy",
                                       "validation_accuracy", "test_accuracy"), start=1):
            body += _key(number, 1) + struct.pack("<d", evaluation[name])
        path = evaluation.get("checkpoint_path", "").encode()
        body += _key(6, 2) + _varint(len(path)) + path
        out += _key(1, 2) + _varint(len(body)) + bytes(body)
    out += _key(2, 0) + _varint(trainable_parameters)
    out += _key(3, 1) + struct.pack("<d", total_time)
    return bytes(out)


def nb101_record(module_hash: str, epochs: int, matrix: np.ndarray, ops: Sequence[str], metrics: bytes) -> bytes:
    """The JSON payload of one NAS-Bench-101 record."""
    adjacency = "".join(str(int(v)) for v in np.asarray(matrix).reshape(-1))
    return json.dumps([module_hash, epochs, adjacency, ",".join(ops),
                       base64.b64encode(metrics).decode("ascii")]).encode("utf-8")


def write_tfrecord(path: Path, payloads: Iterable[bytes]) -> Path:
    with open(path, "wb") as f:
        for payload in payloads:
            f.write(tfrecord_frame(payload))
    return path
