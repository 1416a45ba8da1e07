"""The on-disk table format: one HDF5 file per benchmark task.

Layout (all datasets contiguous and uncompressed, so they can be memory-mapped)::

    /                       attrs: format="nasbench-table", format_version, name, space, source,
                                   licence, version, fidelity_unit, search_metric, test_metric,
                                   cost_metric, cost_model, extra JSON, checksum (SHA-256, hex)
    /index/arch             (A,)   fixed-length ASCII: canonical architecture string of each row
    /index/code             (A,)   int64: integer encoding of each row (space-specific)
    /seeds                  (S,)   int64: seed of each seed column
    /fidelities             (F,)   float64: fidelity of each column (unit in ``fidelity_unit``)
    /metrics/<name>         (A,S,F) float32/float64; NaN = missing (never imputed)
                                   attrs: split (train/valid/test/none), unit, higher_is_better
    /extra/<name>           any array a space or importer needs (e.g. the raw-to-row map)

Every dataset carries ``sha256``, the digest of its dtype, shape, attributes and bytes; the root
``checksum`` is the SHA-256 of the root attributes together with every dataset's digest. Opening reads
the headers only and memory-maps the arrays; the data are hashed on open when the table is small
(``verify="auto"``, at most 64 MiB of arrays), otherwise each array is hashed the first time it is
touched. A table whose digests disagree is refused with :class:`CorruptTableError`.

Writes go to a temporary file beside the target, are flushed to disk and then renamed over it, so a
reader never sees a half-written table.

Example:
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.h5")
    >>> acc = np.array([[[0.5]], [[0.7]]])
    >>> info = MetricInfo("valid_accuracy", Split.VALID, "fraction", True)
    >>> _ = write_table(path, TableContents(name="toy", space="toy", archs=["a", "b"], codes=[0, 1], seeds=[0],
    ...                                     fidelities=[1.0], fidelity_unit="epochs",
    ...                                     metrics={"valid_accuracy": (acc, info)}, source="example", licence="CC0",
    ...                                     version="1"))
    >>> float(Table.open(path).metric("valid_accuracy")[1, 0, 0])
    0.7
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

import h5py
import numpy as np

from nasbench.errors import CorruptTableError, NasbenchError

FORMAT = "nasbench-table"
FORMAT_VERSION = 1
EAGER_VERIFY_BYTES = 64 * 2**20
_CHUNK = 16 * 2**20


class Split(str, Enum):
    """Which data a metric was measured on."""

    TRAIN = "train"
    VALID = "valid"
    TEST = "test"
    NONE = "none"


@dataclass(frozen=True)
class MetricInfo:
    """What a stored metric is: its name, data split, unit and direction."""

    name: str
    split: Split
    unit: str
    higher_is_better: bool


@dataclass(frozen=True)
class _Array:
    path: str
    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int | None
    attrs: dict[str, Any]
    digest: str


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _dataset_digest(dtype: np.dtype, shape: tuple[int, ...], attrs: Mapping[str, Any], chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    header = {"dtype": np.dtype(dtype).str, "shape": list(shape),
              "attrs": {k: _attr(v) for k, v in sorted(attrs.items()) if k != "sha256"}}
    h.update(json.dumps(header, sort_keys=True).encode())
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def _root_checksum(attrs: Mapping[str, Any], digests: Mapping[str, str],
                   dataset_attrs: Mapping[str, Mapping[str, Any]]) -> str:
    # dataset attributes (split, unit, direction) enter the root checksum too, so relabelling a metric
    # is caught when the header is read, before any array is touched
    body = {"attrs": {k: _attr(v) for k, v in sorted(attrs.items()) if k != "checksum"},
            "datasets": dict(sorted(digests.items())),
            "dataset_attrs": {key: {k: _attr(v) for k, v in sorted(at.items()) if k != "sha256"}
                              for key, at in sorted(dataset_attrs.items())}}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _byte_chunks(array: np.ndarray) -> Iterable[bytes]:
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8) if array.size else np.empty(0, np.uint8)
    for start in range(0, flat.size, _CHUNK):
        yield flat[start:start + _CHUNK].tobytes()


@dataclass(frozen=True, eq=False)  # compared by identity: its arrays have no single truth value
class TableContents:
    """Everything a table file holds, checked when it is made.

    ``metrics`` maps a metric name to ``(array, info)`` with ``array`` shaped
    ``(len(archs), len(seeds), len(fidelities))``. ``search_metric``/``test_metric`` name the default
    validation metric strategies search on and the test metric reports use. ``cost_metric`` names the
    metric holding the cumulative cost (seconds) of reaching each fidelity; where the table has none,
    ``cost_model`` states the cost model in words. ``extra`` holds the arrays a space or importer needs,
    ``attrs`` the provenance (JSON-serialisable).
    """

    name: str
    space: str
    archs: Sequence[str]
    codes: Sequence[int] | np.ndarray
    seeds: Sequence[int]
    fidelities: Sequence[float]
    fidelity_unit: str
    metrics: Mapping[str, tuple[np.ndarray, MetricInfo]]
    source: str
    licence: str
    version: str
    search_metric: str | None = None
    test_metric: str | None = None
    cost_metric: str = ""
    cost_model: str = ""
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_archs, metrics = len(self.archs), self.metrics
        if len(self.codes) != n_archs:
            raise NasbenchError(f"{len(self.codes)} codes for {n_archs} architectures")
        if len(set(self.archs)) != n_archs:
            raise NasbenchError("architecture strings must be unique (one row per canonical architecture)")
        shape = (n_archs, len(self.seeds), len(self.fidelities))
        for metric, (array, info) in metrics.items():
            if metric != info.name:
                raise NasbenchError(f"metric key {metric!r} differs from its info name {info.name!r}")
            if np.shape(array) != shape:
                raise NasbenchError(f"metric {metric!r} has shape {np.shape(array)}, expected {shape}")
        named: tuple[tuple[str, str | None], ...] = (
            ("search_metric", self.search_metric), ("test_metric", self.test_metric),
            ("cost_metric", self.cost_metric))
        for key, named_metric in named:
            if named_metric and named_metric not in metrics:
                raise NasbenchError(f"{key} {named_metric!r} is not among the metrics {sorted(metrics)}")


def write_table(path: str | os.PathLike, contents: TableContents) -> str:
    """Write ``contents`` atomically as the table at ``path`` and return its checksum."""
    path = Path(path)
    datasets = _datasets(contents)
    root = _root_attrs(contents)
    digests = {key: _dataset_digest(a.dtype, a.shape, at, _byte_chunks(a)) for key, (a, at) in datasets.items()}
    checksum = _root_checksum(root, digests, {key: at for key, (_, at) in datasets.items()})

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w", track_order=True) as f:
            for key, value in root.items():
                f.attrs[key] = value
            f.attrs["checksum"] = checksum
            for key, (array, at) in datasets.items():
                ds = f.create_dataset(key, data=array)  # contiguous, uncompressed: memory-mappable
                for k, v in at.items():
                    ds.attrs[k] = v
                ds.attrs["sha256"] = digests[key]
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return checksum


def _datasets(contents: TableContents) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Every dataset of the file, in the order it is written, with its attributes."""
    width = max([len(a) for a in contents.archs] + [1])
    datasets: dict[str, tuple[np.ndarray, dict[str, Any]]] = {
        "index/arch": (np.array([a.encode("ascii") for a in contents.archs], dtype=f"S{width}"), {}),
        "index/code": (np.asarray(contents.codes, dtype=np.int64), {}),
        "seeds": (np.asarray(contents.seeds, dtype=np.int64), {}),
        "fidelities": (np.asarray(contents.fidelities, dtype=np.float64), {}),
    }
    for metric, (array, info) in contents.metrics.items():
        array = np.asarray(array)
        if array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float64)
        datasets[f"metrics/{metric}"] = (array, {"split": Split(info.split).value, "unit": info.unit,
                                                  "higher_is_better": bool(info.higher_is_better)})
    for key, array in contents.extra.items():
        datasets[f"extra/{key}"] = (np.asarray(array), {})
    return datasets


def _root_attrs(contents: TableContents) -> dict[str, Any]:
    """The root attributes but the checksum, in the order they are written."""
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": contents.name, "space": contents.space,
        "source": contents.source, "licence": contents.licence, "version": contents.version,
        "fidelity_unit": contents.fidelity_unit, "search_metric": contents.search_metric or "",
        "test_metric": contents.test_metric or "", "cost_metric": contents.cost_metric,
        "cost_model": contents.cost_model, "extra": json.dumps(dict(contents.attrs), sort_keys=True),
    }


class Table:
    """An open table: headers in memory, arrays memory-mapped and verified against their digests.

    Use :meth:`open`; arrays come back read-only. The table holds the file it opened: a writer that
    replaces the file meanwhile (``write_table`` renames a new file over it) leaves this table reading
    the version whose headers it read, never a mix of the two.
    """

    def __init__(self, path: Path, attrs: dict[str, Any], arrays: dict[str, _Array], size: int, verify: str,
                 handle: BinaryIO):
        self.path = path
        self._handle = handle
        self.attrs = attrs
        self._arrays = arrays
        self._size = size
        self._cache: dict[str, np.ndarray] = {}
        self._verified: set[str] = set()
        self._verify_on_touch = verify != "none"
        self.name: str = attrs["name"]
        self.space: str = attrs["space"]
        self.checksum: str = attrs["checksum"]
        self.fidelity_unit: str = attrs["fidelity_unit"]
        self.search_metric: str = attrs.get("search_metric", "")
        self.test_metric: str = attrs.get("test_metric", "")
        self.cost_metric: str = attrs.get("cost_metric", "")
        self.cost_model: str = attrs.get("cost_model", "")
        self.extra: dict[str, Any] = json.loads(attrs.get("extra", "{}") or "{}")
        self.metrics: dict[str, MetricInfo] = {
            key.split("/", 1)[1]: MetricInfo(key.split("/", 1)[1], Split(a.attrs["split"]), a.attrs["unit"],
                                             bool(a.attrs["higher_is_better"]))
            for key, a in arrays.items() if key.startswith("metrics/")
        }
        self.seeds: np.ndarray = self.dataset("seeds")
        self.fidelities: np.ndarray = self.dataset("fidelities")
        self.n_archs: int = arrays["index/arch"].shape[0]
        if verify == "full" or (verify == "auto" and self.data_bytes <= EAGER_VERIFY_BYTES):
            self.verify()

    # --- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, *, verify: str = "auto") -> Table:
        """Open a table, reading only headers.

        ``verify``: ``"auto"`` hashes all arrays now if they total at most 64 MiB, else each one on
        first touch; ``"full"`` always hashes now; ``"lazy"`` only on touch; ``"none"`` never.
        """
        if verify not in ("auto", "full", "lazy", "none"):
            raise NasbenchError(f"verify must be one of auto, full, lazy, none, not {verify!r}")
        path = Path(path)
        if not path.is_file():
            raise NasbenchError(f"no table file at {path}")
        try:
            handle = open(path, "rb")  # headers and arrays from this one file, even if the path is replaced
        except OSError as exc:
            raise NasbenchError(f"cannot read the table file {path}: {exc}") from None
        try:
            return cls._open(path, handle, verify)
        except BaseException:
            handle.close()
            raise

    @classmethod
    def _open(cls, path: Path, handle: BinaryIO, verify: str) -> Table:
        size = os.fstat(handle.fileno()).st_size
        try:
            with h5py.File(handle, "r") as f:
                attrs = {k: _attr(v) for k, v in f.attrs.items()}
                arrays: dict[str, _Array] = {}

                def visit(key: str, obj: Any) -> None:
                    if isinstance(obj, h5py.Dataset):
                        at = {k: _attr(v) for k, v in obj.attrs.items()}
                        arrays[key] = _Array(key, obj.dtype, tuple(obj.shape), obj.id.get_offset(), at,
                                             at.get("sha256", ""))

                f.visititems(visit)
        except NasbenchError:
            raise
        except Exception as exc:  # h5py raises OSError/KeyError/ValueError on damaged files
            raise CorruptTableError(
                f"{path} is not a readable nasbench table (damaged or truncated HDF5: {exc})") from None
        if attrs.get("format") != FORMAT:
            raise CorruptTableError(f"{path} is an HDF5 file but not a nasbench table (no format={FORMAT!r} attribute)")
        if int(attrs.get("format_version", -1)) > FORMAT_VERSION:
            raise NasbenchError(f"{path} uses table format version {attrs['format_version']}; "
                                f"this nasbench reads up to {FORMAT_VERSION}")
        for required in ("index/arch", "index/code", "seeds", "fidelities"):
            if required not in arrays:
                raise CorruptTableError(f"{path} lacks the dataset /{required}")
        for a in arrays.values():
            nbytes = int(np.prod(a.shape, dtype=np.int64)) * a.dtype.itemsize
            if nbytes and (a.offset is None or a.offset + nbytes > size):
                raise CorruptTableError(f"{path} is truncated: dataset /{a.path} runs past the end of the file")
            if not a.digest:
                raise CorruptTableError(f"{path}: dataset /{a.path} has no sha256 digest")
        if _root_checksum(attrs, {k: a.digest for k, a in arrays.items()},
                          {k: a.attrs for k, a in arrays.items()}) != attrs.get("checksum"):
            raise CorruptTableError(
                f"{path} failed verification: its header checksum does not match (attributes altered)")
        return cls(path, attrs, arrays, size, verify, handle)

    # --- arrays ------------------------------------------------------------------------------
    @property
    def data_bytes(self) -> int:
        return sum(int(np.prod(a.shape, dtype=np.int64)) * a.dtype.itemsize for a in self._arrays.values())

    def has(self, key: str) -> bool:
        return key in self._arrays

    def _map(self, key: str) -> np.ndarray:
        a = self._arrays.get(key)
        if a is None:
            raise NasbenchError(f"table {self.name} has no dataset /{key}")
        count = int(np.prod(a.shape, dtype=np.int64))
        if count == 0:
            array = np.empty(a.shape, dtype=a.dtype)
        else:
            array = np.memmap(self._handle, dtype=a.dtype, mode="r", offset=int(a.offset or 0),
                              shape=a.shape).view(np.ndarray)
        array.flags.writeable = False
        return array

    def dataset(self, key: str) -> np.ndarray:
        """The array stored at ``key`` (e.g. ``"metrics/valid_accuracy"``), memory-mapped, read-only."""
        array = self._cache.get(key)
        if array is None:
            array = self._map(key)
            if self._verify_on_touch and key not in self._verified:
                self._check(key, array)
            self._cache[key] = array
        return array

    def metric(self, name: str) -> np.ndarray:
        """The ``(archs, seeds, fidelities)`` array of a metric."""
        if name not in self.metrics:
            raise NasbenchError(
                f"table {self.name} has no metric {name!r}; known metrics: {', '.join(sorted(self.metrics))}")
        return self.dataset(f"metrics/{name}")

    @property
    def archs(self) -> np.ndarray:
        """Canonical architecture strings of the rows (decoded on first use)."""
        if "_archs" not in self._cache:
            self._cache["_archs"] = self.dataset("index/arch").astype("U")  # strict ASCII, 10x np.char.decode
        return self._cache["_archs"]

    @property
    def codes(self) -> np.ndarray:
        return self.dataset("index/code")

    # --- verification ------------------------------------------------------------------------
    def _check(self, key: str, array: np.ndarray) -> None:
        a = self._arrays[key]
        if _dataset_digest(a.dtype, a.shape, a.attrs, _byte_chunks(array)) != a.digest:
            raise CorruptTableError(
                f"{self.path} failed verification: dataset /{key} does not match its SHA-256 digest")
        self._verified.add(key)

    def verify(self) -> None:
        """Hash every array; raise :class:`CorruptTableError` naming the first that disagrees."""
        for key in self._arrays:
            if key not in self._verified:
                self._check(key, self._cache.get(key, self._map(key)))

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()

    def __repr__(self) -> str:
        return f"Table({self.name!r}, {self.n_archs} archs, {len(self.seeds)} seeds, {len(self.fidelities)} fidelities)"


def verify_file(path: str | os.PathLike) -> Table:
    """Open a table and hash all of it; raise :class:`CorruptTableError` if anything disagrees."""
    return Table.open(path, verify="full")
