"""The trace of a run: one schema, its file formats, and metric orientation and regret.

A trace has one row per finished evaluation, in finishing order, with the columns of
:data:`COLUMNS` (types in :data:`DTYPES`) and one column per objective the run declared, named after
the objective's metric and holding its raw table value. :class:`TraceMeta` says how the run was made.

Files: :meth:`Trace.save` writes a plain CSV (``pandas.read_csv(path)`` reads it as is) and the
metadata beside it as JSON in ``<path>.json``; :meth:`Trace.load` reads that pair, and also the older
single-file CSV whose first line is ``# nasbench-trace {metadata}``.

Orientation and regret are defined here and nowhere else: :func:`orient` turns a metric into "higher
is better", :func:`regret` is the non-negative distance of a value from the optimum.

Example:
    >>> regret(0.9, 0.95, higher_is_better=True), regret(0.3, 0.25, higher_is_better=False)
    (0.04999999999999993, 0.04999999999999999)
    >>> orient(2.0, higher_is_better=False)
    -2.0
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from nasbench.errors import NasbenchError, os_reason, shorten

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "DTYPES", "LEGACY_MAGIC", "MO_COLUMNS", "Trace", "TraceMeta", "orient", "regret", "sidecar"]

#: the columns every trace has, in order (``arch`` and ``regret`` are added by :meth:`Trace.to_frame`)
COLUMNS = ("start", "end", "worker", "row", "fidelity", "seed", "valid", "cost", "live",
           "incumbent_row", "incumbent_valid", "incumbent_test")
#: column types; a column not named here (objectives included) is float64
DTYPES: dict[str, type] = {"worker": np.int64, "row": np.int64, "seed": np.int64, "live": np.bool_,
                           "incumbent_row": np.int64}
#: the columns of a run with 2 or 3 objectives: the HV regret of its archive, validation and test side
MO_COLUMNS = ("hv_regret", "hv_regret_test")
#: the first line of the older single-file trace CSV
LEGACY_MAGIC = "# nasbench-trace "
#: names an objective column cannot take
RESERVED = frozenset((*COLUMNS, *MO_COLUMNS, "arch", "regret"))

Value = TypeVar("Value", float, np.ndarray)


def orient(value: Value, higher_is_better: bool) -> Value:
    """``value`` of a metric turned into "higher is better" (negated where lower is better)."""
    return value if higher_is_better else -value


def regret(value: Value, optimum: Value | float, higher_is_better: bool) -> Value:
    """Distance of ``value`` from ``optimum`` of a metric, non-negative for any value the table holds."""
    return optimum - value if higher_is_better else value - optimum


def dtype_of(column: str) -> type:
    """The numpy type of a trace column."""
    return DTYPES.get(column, np.float64)


@dataclass(frozen=True)
class TraceMeta:
    """Everything needed to reproduce and interpret a trace."""

    strategy: str
    options: str  # JSON of the strategy's options
    seed: int
    benchmark: str
    checksum: str
    search_metric: str
    test_metric: str
    test_optimum: float
    higher_is_better: bool  # of the test metric
    max_evals: int | None
    max_time: float | None
    workers: int
    cost: str
    version: str
    objectives: tuple[str, ...] = ()
    objective_higher_is_better: tuple[bool, ...] = ()
    transfer_from: tuple[str, ...] = ()  # the prior tasks the strategy was shown (nasbench.transfer)
    penalty: str = ""  # JSON {metric: lambda} of a scalarised search (accuracy - lambda * normalised cost)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceMeta:
        """The metadata from its JSON form (unknown keys refused, sequences made tuples)."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise NasbenchError(f"trace metadata has unknown keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def sidecar(path: str | Path) -> Path:
    """The metadata file that goes with the trace CSV at ``path``: ``<path>.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


@dataclass
class Trace:
    """One row per finished evaluation, in finishing order."""

    meta: TraceMeta
    columns: dict[str, np.ndarray]
    archs: np.ndarray = field(repr=False)  # canonical string of every row of the benchmark's table

    @property
    def column_names(self) -> tuple[str, ...]:
        """The stored columns: :data:`COLUMNS`, one per declared objective, then :data:`MO_COLUMNS` where held."""
        return COLUMNS + self.meta.objectives + tuple(c for c in MO_COLUMNS if c in self.columns)

    def to_frame(self) -> pd.DataFrame:
        """``start, end, worker, arch, row, fidelity, seed, valid, cost, live, incumbent_row,
        incumbent_valid, incumbent_test``, one column per objective, and ``regret`` (the test regret
        of the incumbent, non-negative)."""
        import pandas as pd  # imported on use: it costs ~0.4 s at every command's start-up

        frame = pd.DataFrame({k: self.columns[k] for k in self.column_names})
        frame.insert(3, "arch", self.archs[frame["row"].to_numpy()] if len(frame) else [])
        frame["regret"] = regret(frame["incumbent_test"], self.meta.test_optimum, self.meta.higher_is_better)
        return frame

    # --- files ---------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the trace as a plain CSV at ``path`` and its metadata to ``<path>.json``; deterministic bytes.
        A path that cannot be written (a directory, a missing folder, no permission) raises a
        :class:`NasbenchError`."""
        if not isinstance(path, (str, os.PathLike)):
            raise NasbenchError(f"a trace is saved to a file path, e.g. trace.csv, not {shorten(path)}")
        path, frame = Path(path), self.to_frame()
        try:
            if path.is_dir():
                raise NasbenchError(f"cannot save the trace to {shorten(str(path))}: it is a directory; name a "
                                    f"file, e.g. {shorten(str(path / 'trace.csv'))}")
            with open(path, "w", newline="") as f:
                frame.to_csv(f, index=False, float_format="%.10g", lineterminator="\n")
            sidecar(path).write_text(json.dumps(self.meta.to_dict(), sort_keys=True, indent=1) + "\n")
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte or an unencodable character in the path
            raise NasbenchError(f"cannot save the trace to {shorten(str(path))}: {os_reason(exc)}") from None

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a trace written by :meth:`save` (or the older single-file format)."""
        path = Path(path)
        import pandas as pd

        try:
            with open(path) as f:
                first = f.readline()
                if first.startswith(LEGACY_MAGIC):
                    meta_data = json.loads(first[len(LEGACY_MAGIC):])
                else:
                    if not sidecar(path).is_file():
                        raise NasbenchError(f"{path} is not a nasbench trace: its metadata {sidecar(path).name} "
                                            f"is missing")
                    meta_data = json.loads(sidecar(path).read_text())
                    f.seek(0)
                frame = pd.read_csv(f)
            meta = TraceMeta.from_dict(meta_data)
            names = COLUMNS + meta.objectives + tuple(c for c in MO_COLUMNS if c in frame)
            columns = {k: frame[k].to_numpy(dtype=dtype_of(k)) for k in names}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise NasbenchError(f"cannot read trace {path}: {exc}") from None
        archs = np.empty(int(frame["row"].max()) + 1 if len(frame) else 0, dtype=object)
        archs[frame["row"].to_numpy()] = frame["arch"].to_numpy()
        return cls(meta, columns, archs)

    # --- JSON records (study files) ----------------------------------------------------------------
    def to_record(self) -> dict[str, Any]:
        """``meta``, ``columns`` and the visited ``archs`` as plain JSON-ready types."""
        rows = np.unique(self.columns["row"])
        return {
            "meta": self.meta.to_dict(),
            "columns": {name: column.tolist() for name, column in self.columns.items()},
            "archs": {str(row): str(self.archs[row]) for row in rows.tolist()},
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Trace:
        """The trace of a :meth:`to_record` dictionary."""
        meta = TraceMeta.from_dict(record["meta"])
        columns: dict[str, np.ndarray] = {name: np.asarray(values, dtype=dtype_of(name))
                                          for name, values in record["columns"].items()}
        rows = [int(row) for row in record["archs"]]
        archs = np.empty(max(rows) + 1 if rows else 0, dtype=object)
        for row, arch in record["archs"].items():
            archs[int(row)] = arch
        return cls(meta, columns, archs)
