"""Benchmark: query a table through its search space.

Example:
    >>> import nasbench
    >>> b = nasbench.load("nbgraph-cora")
    >>> round(b.query("0,1,1,2|gcn,gin,fc,cheb", "valid_accuracy"), 4)
    0.7913
    >>> row, best = b.optimum("valid_accuracy")
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from nasbench.errors import MissingEntryError, NasbenchError, shorten
from nasbench.spaces import Space, space_for_table
from nasbench.table import MetricInfo, Split, Table
from nasbench.trace import regret

# an installed wheel carries the tables as nasbench/data; a source checkout keeps them in its top-level data/
_PACKAGE_DATA = Path(__file__).resolve().parent / "data"
DATA_DIR = _PACKAGE_DATA if _PACKAGE_DATA.is_dir() else Path(__file__).resolve().parents[1] / "data"
ON_MISS = ("error", "train")


def data_dirs() -> list[Path]:
    """Directories searched for named tables: ``$NASBENCH_DATA`` (a path list) first, then ``data/``."""
    extra = [Path(p) for p in os.environ.get("NASBENCH_DATA", "").split(os.pathsep) if p]
    return extra + [DATA_DIR]


def _named_tables() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in reversed(data_dirs()):
        if directory.is_dir():
            for path in sorted(directory.glob("*.h5")):
                found[path.stem] = path
    return found


def list_benchmarks() -> list[str]:
    """Names of the tables that :func:`load` finds by name (no table is opened)."""
    return sorted(_named_tables())


def resolve(name_or_path: str | os.PathLike) -> Path:
    """The file a benchmark name or path refers to; an unknown name raises listing the known ones."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise NasbenchError(f"a benchmark is a name (see list_benchmarks) or a table path, not {shorten(name_or_path)}")
    text = os.fspath(name_or_path)
    if not isinstance(text, str):
        text = os.fsdecode(text)
    path = Path(text)
    if path.suffix in (".h5", ".hdf5") or os.sep in text or _is_file(path):
        if not _is_file(path):
            raise NasbenchError(f"no table file at {shorten(text)}")
        return path
    tables = _named_tables()
    if text not in tables:
        raise NasbenchError(f"unknown benchmark {shorten(text)}; "
                            f"known benchmarks: {', '.join(sorted(tables)) or 'none'}")
    return tables[text]


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False also for a name the OS refuses (too long, a NUL byte, ...)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def load(name_or_path: str | os.PathLike, *, on_miss: str = "error", verify: str = "auto") -> Benchmark:
    """Open a benchmark by name (see :func:`list_benchmarks`) or by table path, as the lookup layer.

    ``on_miss="error"`` (default) raises :class:`MissingEntryError` for an entry the table lacks;
    ``on_miss="train"`` sends it to the miss handler a caller attaches (:meth:`Benchmark.set_miss_handler`):
    :func:`nasbench.load` attaches the live trainer.
    """
    if on_miss not in ON_MISS:
        raise NasbenchError(f"on_miss must be one of {', '.join(ON_MISS)}, not {shorten(on_miss)}")
    table = Table.open(resolve(name_or_path), verify=verify)
    return Benchmark(table, space_for_table(table), on_miss=on_miss)


#: string queries answered by parsing before the string -> row dict is built (0.8 s and ~390 MB on a
#: NAS-Bench-101-sized table, worth it only for a loop of queries)
PARSE_BEFORE_DICT = 1000


class Benchmark:
    """A table seen through its search space.

    Metric names say their split (``valid_accuracy``, ``test_accuracy``) or are split-free
    (``latency``, ``params``, ``train_time``). ``fidelity=None`` means the final fidelity;
    ``seed=None`` means the mean over the seeds that hold a value.
    """

    def __init__(self, table: Table, space: Space, *, on_miss: str = "error") -> None:
        self.space = space
        self.on_miss = on_miss
        self._miss_handler: Callable[..., None] | None = None
        self.revision = 0
        self._use(table)

    def _use(self, table: Table) -> None:
        """Take ``table``'s headers and drop every cache derived from the previous table."""
        space = self.space
        self.table = table
        self.revision += 1
        self.name: str = table.name
        self.n_archs: int = table.n_archs
        self.metrics: Mapping[str, MetricInfo] = table.metrics
        self.fidelities: np.ndarray = table.fidelities
        self.seeds: np.ndarray = table.seeds
        self.fidelity_unit: str = table.fidelity_unit
        self.checksum: str = table.checksum
        self.search_metric: str = table.search_metric or self._first(Split.VALID)
        self.test_metric: str = table.test_metric or self._first(Split.TEST)
        self._fidelity_index = {float(f): i for i, f in enumerate(self.fidelities)}
        self._seed_index = {int(s): i for i, s in enumerate(self.seeds)}
        self._final: dict[str, np.ndarray] = {}
        self._final_list: dict[str, list[float]] = {}
        self._row_of_string: dict[str, int] | None = None
        self._string_queries = 0
        self._fronts: dict[tuple[tuple[str, ...], str], np.ndarray] = {}
        self._arch_dtype: Any = None  # to_frame's categories, built on first use
        if space.size != self.n_archs:  # a table of some architectures uses a subset space (spaces/subset.py)
            raise NasbenchError(f"table {self.name} has {self.n_archs} rows "
                                f"but its space {space.name} has {space.size}")

    def _first(self, split: Split) -> str:
        return next((m for m, info in self.metrics.items() if info.split == split), "")

    # --- resolving arguments -----------------------------------------------------------------
    def row(self, arch: Any) -> int:
        """Row of an architecture given as gene tuple, string or row number."""
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if not 0 <= arch < self.n_archs:
                raise NasbenchError(f"row {shorten(arch)} is outside benchmark {self.name} (0..{self.n_archs - 1})")
            return int(arch)
        if isinstance(arch, str):
            if self._row_of_string is None:
                self._string_queries += 1
                if self._string_queries <= PARSE_BEFORE_DICT:  # a few lookups parse; a hot loop gets the dict
                    return self.space.index(self.space.parse(arch))
                self._row_of_string = {a: i for i, a in enumerate(self.table.archs.tolist())}
            row = self._row_of_string.get(arch)  # canonical strings answer without parsing
            return row if row is not None else self.space.index(self.space.parse(arch))
        if isinstance(arch, (tuple, list)):
            return self.space.index(self.space.check(arch))
        if isinstance(arch, Mapping):  # a ConfigSpace Configuration, or gene names -> labels
            from nasbench.spaces.configspace import arch_of

            return self.space.index(arch_of(self.space, arch))
        raise NasbenchError(f"cannot read {shorten(arch)} as an architecture: give a row number, a string "
                            f"({self.space.string_form}) or a gene tuple")

    def metric_info(self, metric: str) -> MetricInfo:
        info = self.metrics.get(metric) if isinstance(metric, str) else None
        if info is None:
            raise NasbenchError(f"benchmark {self.name} has no metric {shorten(metric)}; "
                                f"known metrics: {', '.join(self.metrics)}")
        return info

    def fidelity_index(self, fidelity: float | None) -> int:
        """Column of ``fidelity`` (None = the final one); anything not a tabulated number raises."""
        if fidelity is None:
            return len(self.fidelities) - 1
        number = _as_float(fidelity)
        index = self._fidelity_index.get(number) if number is not None else None
        if index is None:
            raise NasbenchError(f"benchmark {self.name} has no fidelity {shorten(fidelity)}; fidelity is None "
                                f"(the final one) or one of {_short(self.fidelities)} ({self.fidelity_unit})")
        return index

    def seed_index(self, seed: int) -> int:
        """Column of table seed ``seed``; anything not a tabulated integer raises."""
        number = _as_float(seed)
        index = self._seed_index.get(int(number)) if number is not None and number.is_integer() else None
        if index is None:
            raise NasbenchError(f"benchmark {self.name} has no seed {shorten(seed)}; "
                                f"seed is None (the mean over seeds) or one of {_short(self.seeds)}")
        return index

    # --- queries -----------------------------------------------------------------------------
    def final(self, metric: str) -> np.ndarray:
        """Seed-mean of ``metric`` at the final fidelity for every row (NaN where no seed has it)."""
        vector = self._final.get(metric) if isinstance(metric, str) else None
        if vector is None:
            self.metric_info(metric)
            values = self.table.metric(metric)[:, :, -1]
            with np.errstate(all="ignore"):
                counts = np.sum(~np.isnan(values), axis=1)
                vector = np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), np.nan)
            vector.flags.writeable = False
            self._final[metric] = vector
        return vector

    def query(self, arch: Any, metric: str, *, fidelity: float | None = None, seed: int | None = None) -> float:
        """One value: ``metric`` of ``arch`` at ``fidelity`` (None = final) for ``seed`` (None = mean)."""
        if fidelity is None and seed is None:
            # hot path: final seed-mean values kept as a Python list (no numpy scalar boxing)
            try:
                final = self._final_list.get(metric)
            except TypeError:  # an unhashable metric name
                final = None
            if final is None:
                final = self._final_list[metric] = self.final(metric).tolist()
            row: int | None
            if type(arch) is int and 0 <= arch < self.n_archs:
                row = arch
            else:
                strings = self._row_of_string
                row = strings.get(arch) if strings is not None and type(arch) is str else None
                if row is None:
                    row = self.row(arch)
            value = final[row]
            if value == value:
                return value
            return self._missing(row, metric, fidelity, seed)
        row = arch if type(arch) is int and 0 <= arch < self.n_archs else self.row(arch)
        self.metric_info(metric)
        seeds = self.table.metric(metric)[row, :, self.fidelity_index(fidelity)]
        if seed is None:
            present = seeds[~np.isnan(seeds)]
            value = float(present.mean()) if present.size else math.nan
        else:
            value = float(seeds[self.seed_index(seed)])
        if value != value:
            return self._missing(row, metric, fidelity, seed)
        return value

    def query_many(self, rows: Sequence[int] | np.ndarray, metric: str, *, fidelity: float | None = None,
                   seed: int | None = None) -> np.ndarray:
        """Vectorised :meth:`query` over row numbers; missing entries come back as NaN."""
        try:
            rows = np.asarray(rows)
        except (TypeError, ValueError):  # ragged nesting
            rows = np.asarray(None)
        if rows.size == 0:
            rows = rows.astype(np.intp)  # an empty selection answers an empty float array
        elif rows.dtype.kind not in "iu" or rows.min() < 0 or rows.max() >= self.n_archs:
            raise NasbenchError(f"rows must be integers in 0..{self.n_archs - 1}")
        self.metric_info(metric)
        if fidelity is None and seed is None:
            vector = self._final.get(metric)
            return (vector if vector is not None else self.final(metric))[rows]
        values = self.table.metric(metric)[:, :, self.fidelity_index(fidelity)]
        if seed is None:
            with np.errstate(all="ignore"):
                return np.nanmean(values[rows], axis=1)
        return values[rows, self.seed_index(seed)]

    def optimum(self, metric: str) -> tuple[int, float]:
        """Best row by seed-mean ``metric`` at the final fidelity, and its value."""
        vector = self.final(metric)
        if np.all(np.isnan(vector)):
            raise NasbenchError(f"benchmark {self.name} has no value of {metric!r} at its final fidelity")
        row = int(np.nanargmax(vector) if self.metric_info(metric).higher_is_better else np.nanargmin(vector))
        return row, float(vector[row])

    def pareto_front(self, objectives: Sequence[str], split: str = "valid") -> np.ndarray:
        """Sorted rows of the true non-dominated set of ``objectives`` (2 or 3 metric names; seed mean
        at the final fidelity), on the validation or test (``split="test"``) side; computed once.
        See :mod:`nasbench.pareto`."""
        from nasbench.pareto import check_split, objective_names, pareto_front

        key = (objective_names(objectives), check_split(split))  # bad input is one sentence, not a TypeError
        if key not in self._fronts:
            front = pareto_front(self, key[0], split)
            front.flags.writeable = False
            self._fronts[key] = front
        return self._fronts[key]

    def regret(self, value: float, metric: str) -> float:
        """Distance of ``value`` from the optimum of ``metric`` (non-negative)."""
        _, best = self.optimum(metric)
        return regret(value, best, self.metric_info(metric).higher_is_better)

    def _missing(self, row: int, metric: str, fidelity: float | None, seed: int | None) -> float:
        where = (f"{self.space.encode(self.space.arch_of_row(row))} (row {row}), metric {metric}, "
                 f"fidelity {'final' if fidelity is None else fidelity}, seed {'mean' if seed is None else seed}")
        if self.on_miss == "train" and self._miss_handler is not None:
            self._miss_handler(self, row, fidelity, seed)
            return self.query(row, metric, fidelity=fidelity, seed=seed)
        if self.on_miss == "train":
            raise MissingEntryError(f"benchmark {self.name} lacks {where} and has no live trainer")
        raise MissingEntryError(f"benchmark {self.name} lacks {where}")

    # --- live tables -------------------------------------------------------------------------
    def set_miss_handler(self, handler: Callable[[Benchmark, int, float | None, int | None], None] | None) -> None:
        """Call ``handler(benchmark, row, fidelity, seed)`` for an entry the table lacks (with
        ``on_miss="train"``); the handler stores the entry and calls :meth:`refresh`, then the query
        reads the stored value. ``nasbench.train.live`` installs its trainer this way."""
        self._miss_handler = handler

    def refresh(self, table: Table | None = None) -> None:
        """Take a newer version of this benchmark's table (default: re-open its file), e.g. after
        entries were appended to it. The space and the miss handler stay; every array read before
        belongs to the old version, and :attr:`revision` counts the versions taken."""
        self._use(table if table is not None else Table.open(self.table.path, verify="lazy"))

    # --- arrays for the run loop -------------------------------------------------------------
    def metric_values(self, metric: str) -> np.ndarray:
        """Every value of ``metric``, shape ``(n_archs, n_seeds, n_fidelities)`` (NaN where missing),
        read-only. It belongs to the table version of :attr:`revision`: read it again after a refresh."""
        self.metric_info(metric)
        values = self.table.metric(metric)
        if values.flags.writeable:
            values = values.view()
            values.flags.writeable = False
        return values

    @property
    def archs(self) -> np.ndarray:
        """The canonical string of every row."""
        return self.table.archs

    @property
    def cost_metric(self) -> str:
        """The metric holding each entry's training cost to its fidelity (``""`` where none is tabulated)."""
        return self.table.cost_metric

    @property
    def eval_cost_metric(self) -> str:
        """The metric holding the cost of one validation pass, charged on top of the training cost (or ``""``)."""
        return str(self.table.extra.get("eval_cost_metric", ""))

    # --- export ------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per architecture x seed x fidelity: ``arch`` (categorical: a code per row, each string
        once), ``seed``, ``fidelity`` and every metric.

        The categories are built once per table version (the strings' index costs about as much as
        the numeric columns of an NB101-sized table); each call then only repeats the row codes."""
        n_archs, n_seeds, n_fids = self.n_archs, len(self.seeds), len(self.fidelities)
        import pandas as pd  # imported on use: it costs ~0.4 s at every command's start-up

        if self._arch_dtype is None:
            self._arch_dtype = pd.CategoricalDtype(pd.Index(self.table.archs))
        codes = np.repeat(np.arange(n_archs, dtype=np.int32), n_seeds * n_fids)
        columns: dict[str, Any] = {
            "arch": pd.Categorical.from_codes(codes, dtype=self._arch_dtype, validate=False),
            "seed": np.tile(np.repeat(self.seeds, n_fids), n_archs),
            "fidelity": np.tile(self.fidelities, n_archs * n_seeds),
        }
        # copies the frame owns (the table's arrays are views of its file), one column each, not consolidated
        columns.update({metric: np.array(self.table.metric(metric).reshape(-1)) for metric in self.metrics})
        frame = pd.DataFrame(columns, copy=False)
        return frame

    def info(self) -> dict[str, Any]:
        """Everything a user needs to know about the table, JSON-serialisable."""
        t = self.table
        return {
            "name": self.name, "path": str(t.path), "space": self.space.name, "n_archs": self.n_archs,
            "seeds": self.seeds.tolist(), "fidelities": self.fidelities.tolist(), "fidelity_unit": self.fidelity_unit,
            "metrics": {m: {"split": i.split.value, "unit": i.unit, "higher_is_better": i.higher_is_better}
                        for m, i in self.metrics.items()},
            "search_metric": self.search_metric, "test_metric": self.test_metric,
            "cost_metric": t.cost_metric, "cost_model": t.cost_model,
            "source": t.attrs.get("source", ""), "licence": t.attrs.get("licence", ""),
            "version": t.attrs.get("version", ""), "checksum": self.checksum, "provenance": t.extra,
        }

    def __repr__(self) -> str:
        return f"Benchmark({self.name!r}, space={self.space.name}, archs={self.n_archs}, metrics={list(self.metrics)})"


def _as_float(value: Any) -> float | None:
    """``float(value)`` for a real number (Python or numpy); None for a boolean, a string, anything else
    ``float()`` might take, or an integer too large for a float."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _short(values: np.ndarray) -> str:
    items = [f"{v:g}" if isinstance(v, float) else str(v) for v in values.tolist()]
    return ", ".join(items if len(items) <= 12 else items[:6] + ["..."] + items[-3:])
