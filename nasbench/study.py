"""Comparison studies: a grid of benchmark x strategy x seed, run resumably into one study file.

A study is planned first (:func:`plan`: every name checked, strategies chosen per benchmark by their
capability flags) and only then run (:func:`run_study`), on a local process pool or as Ray tasks.
Both executors call the same :func:`execute`, and :func:`nasbench.simulate.run` is deterministic for a
seed, so they give identical traces.

The study file is JSON Lines, append-only, written only by the coordinating process:

* line 1: ``nasbench-study 1 {header JSON}`` (package version, budget, simulated workers);
* then one line per finished run: ``{sha256 of the JSON} {record JSON}``; the record holds the run's
  spec, its :class:`~nasbench.trace.TraceMeta` (strategy, options, seed, benchmark checksum,
  package version), every trace column, the visited architectures and the incumbent's validation
  regret.

Each line is written with one ``write`` and flushed to disk before the next run is counted, so an
interrupt loses at most the line being written; a torn last line is dropped on the next open and the
run redone. A digest that does not match, or a file that is not a study, raises
:class:`~nasbench.errors.NasbenchError`.

Example:
    >>> specs = plan(["nbgraph-cora"], ["rs", "rea"], seeds=2, max_evals=20)
    >>> runs = run_study(specs, "/tmp/doc-study.jsonl", jobs=1, progress=False)
    >>> sorted({run.spec.strategy for run in runs})
    ['rea', 'rs']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError
from nasbench.executors import EXECUTORS, _run_local, _run_ray
from nasbench.planning import (  # noqa: F401  (the study's public names, importable from here)
    DEFAULT_BENCHMARKS,
    DEFAULT_EVALS,
    DEFAULT_SEEDS,
    RunSpec,
    default_benchmarks,
    fits,
    plan,
)
from nasbench.simulate import run
from nasbench.trace import Trace, regret

STUDY_MAGIC = "nasbench-study"
STUDY_FORMAT = 1


@dataclass
class StudyRun:
    """A finished run: its spec, its trace, and the incumbent's validation regret per evaluation."""

    spec: RunSpec
    trace: Trace
    valid_regret: np.ndarray


# --- running one cell (in whichever process the executor picks) ---------------------------------
_BENCHMARKS: dict[str, Benchmark] = {}


def _benchmark(name: str, checksum: str) -> Benchmark:
    bench = _BENCHMARKS.get(name)
    if bench is None:
        bench = _BENCHMARKS[name] = load(name)
    if checksum and bench.checksum != checksum:
        raise NasbenchError(f"benchmark {name} has checksum {bench.checksum[:12]}…, but the study was "
                            f"planned on {checksum[:12]}…; the table changed under the study")
    return bench


def validation_regret(trace: Trace, benchmark: Benchmark) -> np.ndarray:
    """Validation regret of the incumbent after each evaluation: the seed-mean search metric at the
    final fidelity of the incumbent against the table's best (non-negative)."""
    search = trace.meta.search_metric
    values = benchmark.final(search)
    _, best = benchmark.optimum(search)
    incumbent = values[np.asarray(trace.columns["incumbent_row"], dtype=np.int64)]
    return regret(incumbent, best, benchmark.metric_info(search).higher_is_better)


def execute(spec: RunSpec) -> dict[str, Any]:
    """Run one cell and return its study record (plain JSON-ready types, cheap to pickle)."""
    bench = _benchmark(spec.benchmark, spec.checksum)
    trace = run(spec.strategy, bench, seed=spec.seed, max_evals=spec.max_evals, max_time=spec.max_time,
                workers=spec.workers, **spec.run_options(), **json.loads(spec.options))
    return record_of(spec, trace, validation_regret(trace, bench))


def record_of(spec: RunSpec, trace: Trace, valid_regret: np.ndarray) -> dict[str, Any]:
    """The study record of a finished run: spec, trace metadata and columns, visited architectures."""
    return {"spec": asdict(spec), **trace.to_record(),
            "valid_regret": np.asarray(valid_regret, dtype=np.float64).tolist()}


def _record_to_run(record: dict[str, Any]) -> StudyRun:
    spec = RunSpec(**record["spec"])
    return StudyRun(spec, Trace.from_record(record), np.asarray(record["valid_regret"], dtype=np.float64))


# --- the study file -------------------------------------------------------------------------------
class StudyFile:
    """An append-only JSON Lines file of finished runs (see the module docstring for the layout).

    Example:
        >>> study = StudyFile.open_or_create("/tmp/doc-study2.jsonl", max_evals=10, max_time=None, workers=1)
        >>> isinstance(study.records, dict)
        True
    """

    def __init__(self, path: Path, header: dict[str, Any], records: dict[str, dict[str, Any]], torn: int = 0) -> None:
        self.path = path
        self.header = header
        self.records = records
        self.torn = torn  # bytes of an interrupted last line, dropped before the next append

    @classmethod
    def read(cls, path: str | os.PathLike) -> StudyFile:
        """Read and verify a study file; a torn last line (an interrupted write) is dropped."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NasbenchError(f"cannot read study file {path}: {exc.strerror or exc}") from None
        lines = data.split(b"\n")
        torn = lines.pop()  # text after the last newline: empty, or a line cut by an interrupt
        header = _parse_header(path, lines[0] if lines else torn)
        records: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(lines[1:], start=2):
            record = _parse_record(path, number, line)
            records[RunSpec(**record["spec"]).key()] = record
        return cls(path, header, records, len(torn) if lines else 0)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike, *, max_evals: int | None, max_time: float | None,
                       workers: int, time_units: float | None = None) -> StudyFile:
        """Open an existing study with the same budget, or start a new file. A budget in trainings
        (``time_units``) is held as such, ``max_time`` (seconds, which differ per table) as None."""
        from nasbench import __version__

        path = Path(path)
        budget = {"max_evals": max_evals, "max_time": max_time, "workers": workers}
        if time_units is not None:
            budget.update(max_time=None, time_units=time_units)
        if path.is_dir():
            raise NasbenchError(f"study file {path} is a directory")
        if path.exists():
            study = cls.read(path)
            held = {key: study.header.get(key) for key in budget}
            if held != budget:
                raise NasbenchError(f"study file {path} was made with budget {_budget_text(held)}, not "
                                    f"{_budget_text(budget)}; rerun with that budget or choose another --out")
            if study.torn:
                with open(path, "r+b") as f:  # drop the torn line so appends start on a fresh line
                    f.truncate(path.stat().st_size - study.torn)
            return study
        header = {"format": STUDY_FORMAT, "version": __version__, **budget}
        temporary = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "w") as f:
                f.write(f"{STUDY_MAGIC} {STUDY_FORMAT} {json.dumps(header, sort_keys=True)}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            raise NasbenchError(f"cannot create study file {path}: {exc.strerror or exc}") from None
        return cls(path, header, {})

    def append(self, record: dict[str, Any]) -> None:
        """Add a finished run: one line, one write, flushed to disk before returning."""
        body = json.dumps(record, sort_keys=True, separators=(",", ":"))
        line = f"{hashlib.sha256(body.encode()).hexdigest()} {body}\n".encode()
        with open(self.path, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.records[RunSpec(**record["spec"]).key()] = record

    def runs(self, specs: Iterable[RunSpec] | None = None) -> list[StudyRun]:
        """The finished runs of ``specs`` (all runs when ``None``), in the order given."""
        if specs is None:
            return [_record_to_run(record) for record in self.records.values()]
        return [_record_to_run(self.records[spec.key()]) for spec in specs if spec.key() in self.records]

    def specs(self) -> list[RunSpec]:
        """The specs of every finished run (a baseline's grid)."""
        return [RunSpec(**record["spec"]) for record in self.records.values()]

    def check(self, specs: Sequence[RunSpec]) -> None:
        """Refuse to mix tables: a stored run of a planned cell must have the planned checksum."""
        for spec in specs:
            record = self.records.get(spec.key())
            if record is not None and record["spec"]["checksum"] != spec.checksum:
                raise NasbenchError(f"study file {self.path} holds runs of {spec.benchmark} on a table with checksum "
                                    f"{record['spec']['checksum'][:12]}…, but the installed table has "
                                    f"{spec.checksum[:12]}…; start a new study with another --out")


def _budget_text(budget: dict[str, Any]) -> str:
    parts = [f"--evals {budget['max_evals']}" if budget.get("max_evals") is not None else "",
             f"--time {budget['max_time']}" if budget.get("max_time") is not None else "",
             f"--time-units {budget['time_units']}" if budget.get("time_units") is not None else "",
             f"--workers {budget.get('workers')}"]
    return " ".join(p for p in parts if p)


def _parse_header(path: Path, line: bytes) -> dict[str, Any]:
    prefix = f"{STUDY_MAGIC} ".encode()
    if not line.startswith(prefix):
        raise NasbenchError(f"{path} is not a nasbench study file (its first line does not start with {STUDY_MAGIC!r})")
    try:
        version_text, _, body = line[len(prefix):].decode().partition(" ")
        header = json.loads(body)
        version = int(version_text)
    except (UnicodeDecodeError, ValueError):
        raise NasbenchError(f"study file {path} has a damaged header line") from None
    if version != STUDY_FORMAT or not isinstance(header, dict):
        raise NasbenchError(f"study file {path} has format {version_text}; this nasbench reads format {STUDY_FORMAT}")
    return header


_RECORD_KEYS = {"spec", "meta", "columns", "archs", "valid_regret"}


def _parse_record(path: Path, number: int, line: bytes) -> dict[str, Any]:
    digest, _, body = line.partition(b" ")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        raise NasbenchError(f"study file {path} is corrupted: line {number} does not match its checksum")
    try:
        record = json.loads(body)
        ok = isinstance(record, dict) and set(record) == _RECORD_KEYS
        if ok:
            RunSpec(**record["spec"])
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise NasbenchError(f"study file {path} has a malformed run on line {number}")
    return record


def check_executor(executor: str, jobs: int | None, address: str | None) -> None:
    """Raise a :class:`NasbenchError` for an unknown executor, a bad job count, or an address without Ray."""
    if executor not in EXECUTORS:
        raise NasbenchError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise NasbenchError(f"jobs must be an integer >= 1, not {jobs!r}")
    if address is not None and executor != "ray":
        raise NasbenchError("--address names a Ray cluster; it needs --executor ray")


def run_study(
    specs: Sequence[RunSpec],
    path: str | os.PathLike | None,
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> list[StudyRun]:
    """Run every spec not already in the study file at ``path`` and return all runs of ``specs``.

    ``executor="local"`` uses a process pool of ``jobs`` processes (default: the CPU count; 1 runs
    in this process); ``"ray"`` submits one Ray task per run to a local Ray (``jobs`` CPUs) or to the
    cluster at ``address``. Runs are appended as they finish, so an interrupt keeps them and the
    next call resumes. ``path=None`` keeps the runs in memory only.
    """
    check_executor(executor, jobs, address)
    if not specs:
        raise NasbenchError("the study has no runs")
    # a budget in trainings gives each table its own seconds
    budgets = {(s.max_evals, None if s.time_units is not None else s.max_time, s.time_units, s.workers) for s in specs}
    if len(budgets) != 1:
        raise NasbenchError("every run of a study must share one budget and one number of workers")
    max_evals, max_time, time_units, workers = budgets.pop()
    if path is None:
        memory: list[dict[str, Any]] = []
        _execute_all(list(dict.fromkeys(specs)), len(specs), memory.append, executor, jobs, address, progress)
        by_key = {RunSpec(**record["spec"]).key(): record for record in memory}
        return [_record_to_run(by_key[spec.key()]) for spec in specs]
    study = StudyFile.open_or_create(path, max_evals=max_evals, max_time=max_time, workers=workers,
                                     time_units=time_units)
    study.check(specs)
    todo = [spec for spec in dict.fromkeys(specs) if spec.key() not in study.records]
    _execute_all(todo, len(specs), study.append, executor, jobs, address, progress)
    return study.runs(specs)


def _execute_all(todo: Sequence[RunSpec], total: int, store: Callable[[dict[str, Any]], None], executor: str,
                 jobs: int | None, address: str | None, progress: bool) -> None:
    jobs = jobs or os.cpu_count() or 1
    if todo:
        from tqdm import tqdm

        with tqdm(total=total, initial=total - len(todo), desc="runs", unit="run",
                  disable=not progress, dynamic_ncols=True) as bar:
            def counted(record: dict[str, Any]) -> None:
                store(record)
                bar.update()

            if executor == "local":
                _run_local(todo, min(jobs, len(todo)), execute, counted)
            else:
                _run_ray(todo, jobs, address, execute, counted)
