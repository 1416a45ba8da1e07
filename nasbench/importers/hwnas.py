"""HW-NAS-Bench importer: hardware latency and energy joined onto NAS-Bench-201 / NATS-tss tables.

Source: Li et al., "HW-NAS-Bench: Hardware-Aware Neural Architecture Search Benchmark", ICLR 2021
(MIT). ``HW-NAS-Bench-v1_0.pickle`` holds ``d['nasbench201'][dataset][metric][arch_index]`` for
cifar10, cifar100 and ImageNet16-120 in the NATS-tss index order; it is read through the restricted
unpickler with :data:`HWNAS_GLOBALS` only.

For each target table (a table of the ``nb201`` or ``nb201-subset`` space whose ``dataset`` attribute
maps to one of those datasets; cifar10-valid uses cifar10's networks) a new table ``<name>-hw`` is
written beside it, holding every metric of the target plus one metric per device measurement, split
none, lower is better, repeated along seeds and fidelities: ``edgegpu_latency``, ``raspi4_latency``,
``edgetpu_latency``, ``pixel3_latency``, ``eyeriss_latency``, ``fpga_latency`` (ms) and
``edgegpu_energy``, ``eyeriss_energy``, ``fpga_energy`` (mJ). The target table is left unchanged.

Example:
    >>> join("HW-NAS-Bench-v1_0.pickle", ["data/nats-tss-cifar10-paper.h5"], "data")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from nasbench.errors import NasbenchError
from nasbench.importers.registry import Importer, ImportOptions, register_importer
from nasbench.importers.unpickle import NUMPY_ARRAYS, NUMPY_SCALARS, restricted_load
from nasbench.table import MetricInfo, Split, Table, TableContents, write_table

#: numpy scalars and arrays: the globals the HW-NAS-Bench pickle needs
HWNAS_GLOBALS = NUMPY_SCALARS | NUMPY_ARRAYS
VERSIONS = ("v1_0",)
UNITS = {"edgegpu_latency": "ms", "edgegpu_energy": "mJ", "raspi4_latency": "ms", "edgetpu_latency": "ms",
         "pixel3_latency": "ms", "eyeriss_latency": "ms", "eyeriss_energy": "mJ", "fpga_latency": "ms",
         "fpga_energy": "mJ"}
DATASET_OF = {"cifar10-valid": "cifar10", "cifar10": "cifar10", "cifar100": "cifar100",
              "ImageNet16-120": "ImageNet16-120"}
SPACES = ("nb201", "nb201-subset")
N_ARCHS = 15625
_VERSIONED = re.compile(r"HW-NAS-Bench-(v\d+_\d+)")


def read(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """``{dataset: {metric: values by NATS-tss index}}`` from the HW-NAS-Bench pickle."""
    path = check_source(path)
    with open(path, "rb") as f:
        data = restricted_load(f, HWNAS_GLOBALS, what=f"HW-NAS-Bench file {path}")
    return _measurements(path, data)


def check_source(path: str | Path) -> Path:
    """``path`` as a Path if it names a HW-NAS-Bench file of a known version; checked before any table is read."""
    path = Path(path)
    if path.is_dir():
        raise NasbenchError(f"{path} is a directory; expected the HW-NAS-Bench pickle (HW-NAS-Bench-v1_0.pickle)")
    if not path.is_file():
        raise NasbenchError(f"no HW-NAS-Bench file at {path}")
    match = _VERSIONED.search(path.name)
    if match and match.group(1) not in VERSIONS:
        raise NasbenchError(f"{path.name} is HW-NAS-Bench version {match.group(1)}, which this importer does not know "
                            f"(it reads {', '.join(VERSIONS)})")
    return path


def _measurements(path: Path, data: object) -> dict[str, dict[str, np.ndarray]]:
    """The measurements of the unpickled HW-NAS-Bench file ``data``, checked."""
    space = data.get("nasbench201") if isinstance(data, dict) else None
    if not isinstance(space, dict):
        raise NasbenchError(f"{path} is not the HW-NAS-Bench pickle (no 'nasbench201' section)")
    result: dict[str, dict[str, np.ndarray]] = {}
    for dataset in sorted(set(DATASET_OF.values())):
        metrics = space.get(dataset)
        if not isinstance(metrics, dict):
            raise NasbenchError(f"{path} has no HW-NAS-Bench measurements for {dataset}")
        result[dataset] = {}
        for metric in UNITS:
            try:
                values = np.asarray(metrics[metric], dtype=np.float64).reshape(-1)
            except KeyError:
                raise NasbenchError(f"{path} lacks {metric} for {dataset}") from None
            except (TypeError, ValueError):
                raise NasbenchError(f"{path}: {dataset} {metric} is not a list of numbers") from None
            if values.size != N_ARCHS:
                raise NasbenchError(f"{path}: {dataset} {metric} has {values.size} values, not {N_ARCHS}")
            result[dataset][metric] = values
    return result


def targets(directory: str | Path) -> list[Path]:
    """Tables in ``directory`` that HW-NAS-Bench measurements apply to (not already joined ones)."""
    found = []
    for path in sorted(Path(directory).glob("*.h5")):
        table = Table.open(path, verify="none")
        if table.space in SPACES and table.extra.get("dataset") in DATASET_OF and "hardware" not in table.extra:
            found.append(path)
    return found


def join(path: str | Path, tables: Sequence[str | Path], out_dir: str | Path) -> list[Path]:
    """Write ``<name>-hw`` for each table in ``tables``, with the device metrics added; returns their paths."""
    check_source(path)  # a directory or a missing file is named as such, before the tables are looked for
    if not tables:
        raise NasbenchError("no NAS-Bench-201 / NATS-tss tables to join HW-NAS-Bench onto; convert one first "
                            "(nasbench import nats-tss or nb201) or name them with --onto")
    measurements = read(path)
    written = []
    for table_path in tables:
        table = Table.open(table_path, verify="full")
        if table.space not in SPACES:
            raise NasbenchError(f"{table_path} is a {table.space} table; HW-NAS-Bench covers the nb201 space only")
        dataset = DATASET_OF.get(table.extra.get("dataset", ""))
        if dataset is None:
            raise NasbenchError(f"{table_path} does not name a dataset HW-NAS-Bench measured "
                                f"({', '.join(sorted(set(DATASET_OF.values())))})")
        written.append(_write(table, measurements[dataset], dataset, Path(path), Path(out_dir)))
    return written


def _write(table: Table, measured: dict[str, np.ndarray], dataset: str, source: Path, out_dir: Path) -> Path:
    shape = (table.n_archs, len(table.seeds), len(table.fidelities))
    metrics: dict[str, tuple[np.ndarray, MetricInfo]] = {name: (table.metric(name), info)
                                                          for name, info in table.metrics.items()}
    codes = np.asarray(table.codes)
    for metric, unit in UNITS.items():
        if metric in metrics:
            raise NasbenchError(f"{table.path} already has a metric {metric}")
        values = measured[metric][codes].astype(np.float32)
        metrics[metric] = (np.broadcast_to(values[:, None, None], shape), MetricInfo(metric, Split.NONE, unit, False))
    extra = {}
    with h5py.File(table.path, "r") as f:
        if "extra" in f:
            extra = {key: table.dataset(f"extra/{key}") for key in f["extra"]}
    name = f"{table.name}-hw"
    attrs = dict(table.extra)
    attrs.update({"hardware": f"HW-NAS-Bench (Li et al., ICLR 2021, MIT), file {source.name}, dataset {dataset}",
                  "hardware_note": "device metrics are one measurement per architecture, repeated along seeds "
                                   "and fidelities", "joined_onto": f"{table.name} (checksum {table.checksum})"})
    out = out_dir / f"{name}.h5"
    write_table(out, TableContents(
        name=name, space=table.space, archs=list(table.archs), codes=codes, seeds=table.seeds.tolist(),
        fidelities=table.fidelities.tolist(), fidelity_unit=table.fidelity_unit, metrics=metrics,
        source=f"{table.attrs.get('source', '')}; HW-NAS-Bench {source.name}",
        licence=f"{table.attrs.get('licence', '')}; MIT (HW-NAS-Bench)", version=table.attrs.get("version", ""),
        search_metric=table.search_metric or None, test_metric=table.test_metric or None,
        cost_metric=table.cost_metric, cost_model=table.cost_model, extra=extra, attrs=attrs))
    return out


@register_importer
class HwnasImporter(Importer):
    name = "hwnas"
    help = ("HW-NAS-Bench: the HW-NAS-Bench-v1_0.pickle file, joined onto the nb201/NATS-tss tables in --out "
            "(or those named with --onto)")
    joins = True

    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        check_source(path)  # before the tables in --out are looked at
        return join(path, list(options.onto) if options.onto else targets(out), out)
