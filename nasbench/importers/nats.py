"""NATS-Bench importer: topology (``tss``) and size (``sss``) search spaces.

Source: Dong et al., "NATS-Bench: Benchmarking NAS Algorithms for Architecture Topology and Size",
TPAMI 2021 (MIT licence); the record layout follows the ``nats_bench`` package's ``ArchResults`` and
``ResultsCount`` states. Reads a fast-mode directory (``NATS-tss-v1_0-3ffb9-simple/``: ``meta.pickle.pbz2``
plus one ``{index:06d}.pickle.pbz2`` per architecture, streamed one file at a time) or a single-file
archive (``*.pickle.pbz2`` holding ``arch2infos``, read whole). Every pickle goes through the restricted
unpickler with :data:`NATS_GLOBALS` only.

Tables written (one per dataset and training schedule, ``<prefix>`` = ``nats-tss`` or ``nats-sss``):

``<prefix>-<dataset>-hp<hp>`` (dataset lower-cased: cifar10-valid, cifar10, cifar100, imagenet16-120;
hp 12/200 for tss, 01/12/90 for sss). Fidelity = epoch of that schedule, 1-based (the source's epoch
``e`` is fidelity ``e + 1``); seeds = the source's seeds, each its own column; a value the source
lacks (cifar10-valid's ``ori-test`` before the last epoch at hp 200, say) stays NaN. Metrics, all
stored as float32 in the source's units:

- ``train_accuracy`` (percent), ``train_loss`` — split train;
- ``valid_*`` from ``x-valid`` (split valid), ``test_*`` from ``x-test`` (split test), ``ori_test_*``
  from ``ori-test`` (split test; for cifar100 and ImageNet16-120 it is x-valid + x-test together),
  each as ``_accuracy`` (percent), ``_loss`` and ``_eval_time`` (seconds for that evaluation pass);
- ``train_time``: training seconds summed over epochs 1..e (the cost metric);
- ``params`` (millions), ``flops`` (millions), ``latency`` (seconds, the mean of the source's list),
  split none, repeated along the epoch axis.

The test metric is ``test_accuracy`` where the dataset has ``x-test``, else ``ori_test_accuracy``; the
search metric is ``valid_accuracy`` where there is one (cifar10 has none: search on cifar10-valid).

``<prefix>-<dataset>-paper`` (tss, when hp 12 and hp 200 are both present) is the papers' convention:
fidelity = hp-12 epoch, seeds = the hp-12 seeds of the *search* dataset (cifar10 searches on
cifar10-valid); ``valid_accuracy``/``valid_loss``/``train_time`` come from the search dataset at hp 12;
``search_cost`` = ``train_time`` + that epoch's ``x-valid`` evaluation time (what NATS-Bench's
``simulate_train_eval`` charges; the cost metric); ``test_accuracy``/``test_loss`` are the hp-200 final
values of the report set (cifar10: ``ori-test``; others: ``x-test``), averaged over the hp-200 seeds and
repeated along every seed and epoch, as the papers report them.

A source that holds only some architectures (e.g. the sample files) gives a *partial* table whose
space is ``nb201-subset`` / ``nats-sss-subset``: queries map through the full-space index stored as
each row's code, never onto another architecture's row.

Example:
    >>> paths = convert("nats-tss", "NATS-tss-v1_0-3ffb9-simple", "data")  # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from nasbench.errors import NasbenchError
from nasbench.importers.nats_arrays import Scratch, TableBuilder, metric_info
from nasbench.importers.registry import Importer, ImportOptions, register_importer
from nasbench.importers.unpickle import NUMPY_SCALARS, ORDERED_DICT, restricted_loads
from nasbench.spaces.base import Space
from nasbench.table import MetricInfo, TableContents, write_table

#: globals a NATS-Bench pickle needs: ordered dicts and numpy scalars (the latency lists)
NATS_GLOBALS = ORDERED_DICT | NUMPY_SCALARS
LICENCE = "MIT"
DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
#: papers' convention: report dataset -> (search dataset, report evaluation set)
PAPER = {"cifar10": ("cifar10-valid", "ori_test"), "cifar100": ("cifar100", "test"),
         "ImageNet16-120": ("ImageNet16-120", "test")}
_FILE = re.compile(r"^(\d{6})\.pickle\.pbz2$")
_VERSIONED = re.compile(r"NATS-(tss|sss)-v(\d+_\d+)-([0-9a-f]{5})")


@dataclass(frozen=True)
class Flavour:
    """What distinguishes one family of NATS-format records: names, space, schedules and versions."""

    kind: str
    prefix: str
    benchmark: str
    space_name: str
    n_archs: int
    schedules: tuple[str, ...]
    versions: tuple[str, ...]
    make_space: Callable[[], Space]
    hp_names: Mapping[str, str] = field(default_factory=dict)


def _tss_space() -> Space:
    from nasbench.spaces.nb201 import Nb201Space

    return Nb201Space()


def _sss_space() -> Space:
    from nasbench.spaces.nats_sss import NatsSssSpace

    return NatsSssSpace()


FLAVOURS = {
    "nats-tss": Flavour("nats-tss", "nats-tss", "NATS-Bench topology search space (Dong et al., TPAMI 2021)",
                        "nb201", 15625, ("12", "200"), ("v1_0-3ffb9",), _tss_space),
    "nats-sss": Flavour("nats-sss", "nats-sss", "NATS-Bench size search space (Dong et al., TPAMI 2021)",
                        "nats-sss", 32768, ("01", "12", "90"), ("v1_0-50262",), _sss_space),
}


# --- reading --------------------------------------------------------------------------------------
def read_pbz2(path: Path, what: str) -> Any:
    """Decompress and unpickle one ``.pickle.pbz2`` file with the NATS allow-list."""
    try:
        data = bz2.decompress(path.read_bytes())
    except (OSError, EOFError, ValueError) as exc:  # bz2 raises these on damaged or truncated input
        raise NasbenchError(f"cannot read {what}: the bz2 stream is damaged or truncated ({exc})") from None
    return restricted_loads(data, NATS_GLOBALS, what=what)


def _check_meta(meta: Any, flavour: Flavour, where: str) -> list[str]:
    if not isinstance(meta, dict) or "meta_archs" not in meta or "total_archs" not in meta:
        raise NasbenchError(f"{where} is not a NATS-Bench archive (no meta_archs/total_archs at its top level)")
    total = int(meta["total_archs"])
    if total != flavour.n_archs:
        other = next((f.kind for f in FLAVOURS.values() if f.n_archs == total), "an unknown benchmark")
        raise NasbenchError(f"{where} holds {total:,} architectures, which is {other}, not {flavour.kind} "
                            f"({flavour.n_archs:,}); pick the matching import kind")
    archs = list(meta["meta_archs"])
    if len(archs) != total:
        raise NasbenchError(f"{where} lists {len(archs)} architecture strings for {total} architectures")
    return archs


def check_version(path: Path, flavour: Flavour) -> str:
    """The archive's version from its name; an unknown version of the right benchmark is refused."""
    match = _VERSIONED.search(path.name)
    if match is None:
        return "unversioned (renamed archive)"
    space, version = match.group(1), f"v{match.group(2)}-{match.group(3)}"
    if f"nats-{space}" != flavour.kind:
        raise NasbenchError(f"{path.name} is a NATS-{space} archive, not {flavour.kind}; pick the matching import kind")
    if version not in flavour.versions:
        raise NasbenchError(f"{path.name} is NATS-{space} version {version}, which this importer does not know "
                            f"(it reads {', '.join(flavour.versions)})")
    return f"NATS-{space}-{version}"


def open_archive(path: str | Path, flavour: Flavour) -> tuple[list[str], list[int], Iterator[tuple[int, Any]], str]:
    """``(arch strings, indexes held, iterator of (index, {hp: ArchResults state}), version)``."""
    path = Path(path)
    if not path.exists():
        raise NasbenchError(f"no NATS-Bench archive at {path}")
    version = check_version(path, flavour)
    if path.is_dir():
        meta_path = path / "meta.pickle.pbz2"
        if not meta_path.is_file():
            raise NasbenchError(f"{path} is not a NATS-Bench fast-mode directory (it has no meta.pickle.pbz2)")
        archs = _check_meta(read_pbz2(meta_path, f"NATS-Bench meta file {meta_path}"), flavour, str(meta_path))
        files = {int(m.group(1)): path / name for name in (p.name for p in path.iterdir())
                 if (m := _FILE.match(name))}
        indexes = sorted(i for i in files if i < len(archs))
        if not indexes:
            raise NasbenchError(f"{path} holds no architecture files ({{index:06d}}.pickle.pbz2)")

        def records() -> Iterator[tuple[int, Any]]:
            for index in indexes:
                yield index, read_pbz2(files[index], f"NATS-Bench record {files[index]}")

        return archs, indexes, records(), version
    if not path.name.endswith(".pbz2"):
        raise NasbenchError(f"{path} is neither a NATS-Bench fast-mode directory "
                            "nor a single-file archive (*.pickle.pbz2)")
    data = read_pbz2(path, f"NATS-Bench archive {path}")
    archs = _check_meta(data, flavour, str(path))
    infos = data.get("arch2infos")
    if not isinstance(infos, dict) or not infos:
        raise NasbenchError(f"{path} holds no records (arch2infos is empty); "
                            "for a fast-mode archive give its directory")
    indexes = sorted(int(i) for i in infos)
    return archs, indexes, ((i, infos[i]) for i in indexes), version


# --- conversion -----------------------------------------------------------------------------------
def table_name(prefix: str, dataset: str, hp: str) -> str:
    return f"{prefix}-{dataset.lower()}-hp{hp}"


@dataclass
class _Builders:
    """The table builder of each (dataset, schedule), made when the first record of it is read."""

    scratch: Scratch
    n_rows: int
    tables: dict[tuple[str, str], TableBuilder] = field(default_factory=dict)


@dataclass(frozen=True)
class _Conversion:
    """What every table of one conversion shares: its flavour, where it goes, its rows and its source."""

    flavour: Flavour
    out_dir: Path
    archs: list[str]
    indexes: list[int]
    version: str
    source: str
    partial: bool

    def attrs(self) -> dict[str, Any]:
        """The provenance attributes every table of the conversion carries."""
        flavour = self.flavour
        return {"benchmark": flavour.benchmark, "archive": self.version, "source_file": self.source,
                "partial": self.partial, "n_space_archs": flavour.n_archs, "n_rows": len(self.indexes),
                "code_note": f"code = the architecture's index in the {flavour.space_name} space",
                "fidelity_note": "fidelity = 1-based epoch of the schedule (source epoch + 1)"}

    @property
    def space(self) -> str:
        """The space of the tables: a partial source indexes a subset of the flavour's space."""
        return f"{self.flavour.space_name}-subset" if self.partial else self.flavour.space_name


def convert_records(records: Iterable[tuple[int, Any]], *, archs: list[str], indexes: list[int], flavour: Flavour,
                    out_dir: str | Path, version: str, source: str, progress: bool = False) -> list[Path]:
    """Fill every (dataset, schedule) table from ``(index, {hp: ArchResults state})`` records and write
    them, plus the papers'-convention tables, into ``out_dir``. Nothing is written until every record
    has been read, so an interrupted conversion leaves no table behind."""
    out_dir = Path(out_dir)
    space = flavour.make_space()
    row_of = {index: row for row, index in enumerate(indexes)}
    scratch = Scratch(out_dir)
    builders = _Builders(scratch, len(indexes))
    try:
        for index, state in tqdm(records, total=len(indexes), desc=f"{flavour.kind} records", unit="arch",
                                 disable=not progress):
            where = f"{flavour.kind} architecture {index}"
            if not isinstance(state, Mapping):
                raise NasbenchError(f"{where} is not a record of schedules (found {type(state).__name__})")
            expected = space.encode(space.arch_of_row(index))
            if archs[index] != expected:
                raise NasbenchError(f"{where} is {archs[index]!r} in the meta file but {expected!r} in the "
                                    f"{space.name} index order; the archive does not use the known order")
            for hp_key, arch_results in state.items():
                hp = flavour.hp_names.get(str(hp_key), str(hp_key))
                if hp not in flavour.schedules:
                    raise NasbenchError(f"{where} has a schedule {hp_key!r}; {flavour.kind} knows "
                                        f"{', '.join(flavour.hp_names or flavour.schedules)}")
                _fill_arch(builders, arch_results, row_of[index], index, hp, archs[index], f"{where}, hp {hp}")
        conversion = _Conversion(flavour=flavour, out_dir=out_dir, archs=archs, indexes=indexes, version=version,
                                 source=source, partial=len(indexes) < flavour.n_archs)
        written = [_write(builder, conversion, dataset, hp)
                   for (dataset, hp), builder in sorted(builders.tables.items())]
        for dataset, (search_dataset, report_set) in PAPER.items():
            low, high = builders.tables.get((search_dataset, "12")), builders.tables.get((dataset, "200"))
            if flavour.kind != "nats-sss" and low is not None and high is not None:
                written.append(_write_paper(low, high, conversion, dataset, search_dataset, report_set))
        return written
    finally:
        builders.tables.clear()
        scratch.close()


def _fill_arch(builders: _Builders, arch_results: Any, row: int, index: int, hp: str, arch_str: str,
               where: str) -> None:
    if not isinstance(arch_results, Mapping) or "all_results" not in arch_results:
        raise NasbenchError(f"{where} is not an ArchResults state (no all_results)")
    if "arch_index" in arch_results and int(arch_results["arch_index"]) != index:
        raise NasbenchError(f"{where} says it is architecture {arch_results['arch_index']}")
    if arch_results.get("arch_str", arch_str) != arch_str:
        raise NasbenchError(f"{where} is {arch_results['arch_str']!r} but the meta file says {arch_str!r}")
    dataset_seed = arch_results.get("dataset_seed") or {}
    for key, result in arch_results["all_results"].items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise NasbenchError(f"{where} has a result keyed {key!r}, not (dataset, seed)")
        dataset, seed = str(key[0]), int(key[1])
        if dataset not in DATASETS:
            raise NasbenchError(f"{where} has results for an unknown dataset {dataset!r}")
        builder = builders.tables.get((dataset, hp))
        if builder is None:
            epochs = int(result.get("epochs", 0)) if isinstance(result, Mapping) else 0
            if epochs <= 0:
                raise NasbenchError(f"{where}, {dataset} seed {seed} does not say how many epochs it ran")
            builder = builders.tables[(dataset, hp)] = TableBuilder(builders.scratch, builders.n_rows, epochs,
                                                                    dataset_seed.get(dataset, [seed]))
        if not isinstance(result, Mapping):
            raise NasbenchError(f"{where}, {dataset} seed {seed} is not a ResultsCount state")
        builder.fill(row, seed, result, f"{where}, {dataset} seed {seed}")


def _write(builder: TableBuilder, conversion: _Conversion, dataset: str, hp: str) -> Path:
    flavour, version, indexes = conversion.flavour, conversion.version, conversion.indexes
    name = table_name(flavour.prefix, dataset, hp)
    path = conversion.out_dir / f"{name}.h5"
    metrics = {metric: (array, metric_info(metric)) for metric, array in sorted(builder.arrays.items())}
    search = "valid_accuracy" if "valid_accuracy" in metrics else None
    test = next((name for name in ("test_accuracy", "ori_test_accuracy") if name in metrics), None)
    attrs = conversion.attrs()
    attrs.update({"dataset": dataset, "hp": hp, "epochs": builder.n_epochs,
                  "seed_note": "each seed column is one training run with that seed",
                  "metric_note": "valid_* = x-valid, test_* = x-test, ori_test_* = ori-test; NaN = not in the source"})
    write_table(path, TableContents(
        name=name, space=conversion.space, archs=[conversion.archs[i] for i in indexes], codes=indexes,
        seeds=builder.seeds, fidelities=np.arange(1, builder.n_epochs + 1, dtype=float).tolist(),
        fidelity_unit="epochs", metrics=metrics, source=f"{flavour.benchmark}, archive {version}",
        licence=LICENCE, version=version, search_metric=search, test_metric=test,
        cost_metric="train_time" if "train_time" in metrics else "",
        cost_model="" if "train_time" in metrics else "the source holds no training time", attrs=attrs))
    return path


def _write_paper(low: TableBuilder, high: TableBuilder, conversion: _Conversion, dataset: str, search_dataset: str,
                 report_set: str) -> Path:
    flavour, version, indexes = conversion.flavour, conversion.version, conversion.indexes
    name = f"{flavour.prefix}-{dataset.lower()}-paper"
    shape = (len(indexes), len(low.seeds), low.n_epochs)
    nan = np.full(shape, np.nan, dtype=np.float32)
    metrics: dict[str, tuple[np.ndarray, MetricInfo]] = {}
    for metric in ("valid_accuracy", "valid_loss", "train_time"):
        metrics[metric] = (np.asarray(low.arrays.get(metric, nan)), metric_info(metric))
    eval_time = np.asarray(low.arrays.get("valid_eval_time", nan))
    metrics["search_cost"] = (metrics["train_time"][0] + eval_time, metric_info("search_cost"))
    with np.errstate(all="ignore"):
        for quantity in ("accuracy", "loss"):
            source_values = np.asarray(high.arrays.get(f"{report_set}_{quantity}", np.full((shape[0], 1, 1), np.nan)))
            final = np.nanmean(source_values[:, :, -1], axis=1).astype(np.float32)
            metrics[f"test_{quantity}"] = (np.broadcast_to(final[:, None, None], shape).copy(),
                                           metric_info(f"test_{quantity}"))
        for metric in ("params", "flops", "latency"):
            values = np.asarray(low.arrays.get(metric, nan))
            mean = np.nanmean(values[:, :, -1], axis=1).astype(np.float32)
            metrics[metric] = (np.broadcast_to(mean[:, None, None], shape).copy(), metric_info(metric))
    set_label = {"ori_test": "ori-test", "test": "x-test"}[report_set]
    attrs = conversion.attrs()
    attrs.update({
        "dataset": dataset, "convention": "search on hp 12 validation, report hp 200 test (NATS-Bench papers)",
        "search_source": f"{search_dataset} hp 12 x-valid "
                         "(valid_accuracy, valid_loss, train_time, params, flops, latency)",
        "report_source": f"{dataset} hp 200 {set_label} at epoch 200, mean over the hp-200 seeds, "
                         "repeated along seeds and epochs",
        "search_cost_note": "search_cost = cumulative hp-12 training time + one x-valid evaluation pass at that epoch",
        "seed_note": f"seeds are the hp-12 seeds of {search_dataset}; test_* is a seed mean at hp 200",
    })
    path = conversion.out_dir / f"{name}.h5"
    write_table(path, TableContents(
        name=name, space=conversion.space, archs=[conversion.archs[i] for i in indexes], codes=indexes,
        seeds=low.seeds, fidelities=np.arange(1, low.n_epochs + 1, dtype=float).tolist(), fidelity_unit="epochs",
        metrics=metrics, source=f"{flavour.benchmark}, archive {version}", licence=LICENCE, version=version,
        search_metric="valid_accuracy", test_metric="test_accuracy", cost_metric="search_cost", attrs=attrs))
    return path


def convert(kind: str, path: str | Path, out_dir: str | Path, *, progress: bool = False) -> list[Path]:
    """Convert a NATS-Bench archive (fast-mode directory or single file) of ``kind`` (``nats-tss`` or
    ``nats-sss``) into tables in ``out_dir``; returns their paths.

    Example:
        >>> convert("nats-tss", "../shared/fixtures/nats/NATS-tss-v1_0-3ffb9-simple", "/tmp/t")  # doctest: +SKIP
    """
    flavour = FLAVOURS.get(kind)
    if flavour is None:
        raise NasbenchError(f"unknown NATS-Bench kind {kind!r}; known: {', '.join(FLAVOURS)}")
    archs, indexes, records, version = open_archive(path, flavour)
    return convert_records(records, archs=archs, indexes=indexes, flavour=flavour, out_dir=out_dir,
                           version=version, source=Path(path).name, progress=progress)


class _NatsImporter(Importer):
    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        return convert(self.name, path, out, progress=options.progress)


@register_importer
class NatsTssImporter(_NatsImporter):
    name = "nats-tss"
    help = "NATS-Bench topology (tss): a fast-mode directory or a single-file *.pickle.pbz2 archive"


@register_importer
class NatsSssImporter(_NatsImporter):
    name = "nats-sss"
    help = "NATS-Bench size (sss): a fast-mode directory or a single-file *.pickle.pbz2 archive"
