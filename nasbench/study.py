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
import math
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from nasbench.benchmark import Benchmark, list_benchmarks, load
from nasbench.errors import NasbenchError
from nasbench.protocol import strategy_registry
from nasbench.simulate import run
from nasbench.trace import Trace, regret

STUDY_MAGIC = "nasbench-study"
STUDY_FORMAT = 1
#: the default study (every fitting strategy x 20 seeds x 50 evaluations on two NAS-Bench-Graph tables)
#: is sized to finish in under a minute on 2 cores; gp-bo dominates it (reports/README.md)
DEFAULT_BENCHMARKS = ("nbgraph-cora", "nbgraph-citeseer")
DEFAULT_SEEDS = 20
DEFAULT_EVALS = 50
EXECUTORS = ("local", "ray")
_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class RunSpec:
    """One cell of the grid: what to run, with which budget, on which table (by checksum)."""

    benchmark: str
    strategy: str
    seed: int
    options: str = "{}"  # JSON of the strategy's keyword options as given (defaults omitted)
    max_evals: int | None = None
    max_time: float | None = None
    workers: int = 1
    checksum: str = ""

    def key(self) -> str:
        """Identity of the run in a study file: everything but the checksum (checked separately)."""
        return f"{self.benchmark}|{self.strategy}|{self.options}|{self.seed}"


@dataclass
class StudyRun:
    """A finished run: its spec, its trace, and the incumbent's validation regret per evaluation."""

    spec: RunSpec
    trace: Trace
    valid_regret: np.ndarray


# --- planning ------------------------------------------------------------------------------------
def default_benchmarks() -> list[str]:
    """The default study's benchmarks that are installed (see :data:`DEFAULT_BENCHMARKS`)."""
    known = set(list_benchmarks())
    return [name for name in DEFAULT_BENCHMARKS if name in known]


def fits(strategy_class: type, benchmark: Benchmark, *, include_live: bool = False,
         include_multi_objective: bool = False) -> bool:
    """Whether a strategy suits a benchmark in a single-objective regret study, by capability flags."""
    if getattr(strategy_class, "multi_fidelity", False) and len(benchmark.fidelities) < 2:
        return False
    if getattr(strategy_class, "trains_live", False) and not include_live:
        return False
    return include_multi_objective or not getattr(strategy_class, "multi_objective", False)


def plan(
    benchmarks: Sequence[str] | None = None,
    strategies: Sequence[str] | None = None,
    *,
    seeds: int = DEFAULT_SEEDS,
    max_evals: int | None = None,
    max_time: float | None = None,
    workers: int = 1,
    options: dict[str, dict[str, Any]] | None = None,
    include_live: bool = False,
) -> list[RunSpec]:
    """The grid benchmark x strategy x seed (seeds ``0..seeds-1``), every name checked first.

    ``strategies=None`` takes every registered strategy that fits each benchmark (multi-fidelity ones
    only on tables with more than one fidelity; live-training ones only with ``include_live``;
    multi-objective ones only when named). A named strategy that fits none of the benchmarks raises.

    Example:
        >>> len(plan(["nbgraph-cora"], ["rs"], seeds=3, max_evals=10))
        3
    """
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise NasbenchError(f"the number of seeds must be an integer >= 1, not {seeds!r}")
    if max_evals is None and max_time is None:
        max_evals = DEFAULT_EVALS
    if max_evals is not None and (not isinstance(max_evals, int) or isinstance(max_evals, bool) or max_evals < 1):
        raise NasbenchError(f"the evaluation budget must be an integer >= 1, not {max_evals!r}")
    if max_time is not None and (not isinstance(max_time, (int, float)) or not 0 < max_time < math.inf):
        raise NasbenchError(f"the time budget must be a positive finite number of simulated seconds, not {max_time!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise NasbenchError(f"workers must be an integer >= 1, not {workers!r}")
    names = list(benchmarks) if benchmarks else default_benchmarks()
    if not names:
        raise NasbenchError("no benchmark to run: none of the default tables is installed; name some with --benchmarks")
    unknown = sorted(set(names) - set(list_benchmarks()))
    if unknown:
        raise NasbenchError(f"unknown benchmark {', '.join(map(repr, unknown))}; known benchmarks: "
                            f"{', '.join(list_benchmarks())}")
    registry = strategy_registry()
    if strategies:
        missing = sorted(set(strategies) - set(registry))
        if missing:
            raise NasbenchError(f"unknown strategy {', '.join(map(repr, missing))}; known strategies: "
                                f"{', '.join(sorted(registry))}")
    options = options or {}
    stray = sorted(set(options) - set(strategies or registry))
    if stray:
        raise NasbenchError(f"options given for {', '.join(map(repr, stray))}, which the study does not run")
    for name, given in options.items():  # a bad option value fails here, before any run starts
        try:
            registry[name](**given)
        except TypeError as exc:
            raise NasbenchError(f"strategy {name!r} got an option it does not take ({exc})") from None

    specs: list[RunSpec] = []
    used: set[str] = set()
    for bench_name in dict.fromkeys(names):
        bench = load(bench_name)
        chosen = list(dict.fromkeys(strategies)) if strategies else sorted(registry)
        for strategy in chosen:
            if not fits(registry[strategy], bench, include_live=include_live or bool(strategies),
                        include_multi_objective=bool(strategies)):
                continue
            used.add(strategy)
            option_json = json.dumps(options.get(strategy, {}), sort_keys=True)
            specs.extend(RunSpec(bench.name, strategy, seed, option_json, max_evals, max_time, workers, bench.checksum)
                         for seed in range(seeds))
    if strategies:
        unfit = [s for s in dict.fromkeys(strategies) if s not in used]
        if unfit:
            raise NasbenchError(f"strategy {', '.join(map(repr, unfit))} fits none of the benchmarks "
                                f"{', '.join(names)} (a multi-fidelity strategy needs a table with several fidelities)")
    if not specs:
        raise NasbenchError("no registered strategy fits the chosen benchmarks")
    return specs


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
                workers=spec.workers, **json.loads(spec.options))
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
                       workers: int) -> StudyFile:
        """Open an existing study with the same budget, or start a new file."""
        from nasbench import __version__

        path = Path(path)
        budget = {"max_evals": max_evals, "max_time": max_time, "workers": workers}
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
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "w") as f:
            f.write(f"{STUDY_MAGIC} {STUDY_FORMAT} {json.dumps(header, sort_keys=True)}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
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


# --- executors -----------------------------------------------------------------------------------
def _ignore_interrupt() -> None:
    # the coordinating process handles Ctrl-C; pool workers finish their current run quietly
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_local(todo: Sequence[RunSpec], jobs: int, store: Callable[[dict[str, Any]], None]) -> None:
    if jobs == 1:
        for spec in todo:
            store(execute(spec))
        return
    # one BLAS thread per worker process: the pool already fills the cores, and oversubscribed
    # OpenBLAS threads made model-based strategies (gp-bo) 30x slower in CPU time here
    saved = {name: os.environ.get(name) for name in _BLAS_THREADS}
    for name in _BLAS_THREADS:
        os.environ.setdefault(name, "1")
    # spawn: workers open their own HDF5 handles instead of inheriting the parent's
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_ignore_interrupt)
    try:
        pending = {pool.submit(execute, spec) for spec in todo}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                store(future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_ray(todo: Sequence[RunSpec], jobs: int | None, address: str | None,
             store: Callable[[dict[str, Any]], None]) -> None:
    try:
        import ray
    except ImportError:
        raise NasbenchError("the ray executor needs Ray: pip install -e .[ray]") from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, num_cpus=None if address else jobs, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        remote = ray.remote(num_cpus=1)(execute)
        pending = [remote.remote(spec) for spec in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for reference in done:
                store(ray.get(reference))
    except KeyboardInterrupt:
        for reference in pending:
            ray.cancel(reference, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()


def run_study(
    specs: Sequence[RunSpec],
    path: str | os.PathLike,
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
    next call resumes.
    """
    if executor not in EXECUTORS:
        raise NasbenchError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise NasbenchError(f"jobs must be an integer >= 1, not {jobs!r}")
    if address is not None and executor != "ray":
        raise NasbenchError("--address names a Ray cluster; it needs --executor ray")
    if not specs:
        raise NasbenchError("the study has no runs")
    budgets = {(s.max_evals, s.max_time, s.workers) for s in specs}
    if len(budgets) != 1:
        raise NasbenchError("every run of a study must share one budget and one number of workers")
    max_evals, max_time, workers = budgets.pop()
    study = StudyFile.open_or_create(path, max_evals=max_evals, max_time=max_time, workers=workers)
    study.check(specs)
    todo = [spec for spec in dict.fromkeys(specs) if spec.key() not in study.records]
    jobs = jobs or os.cpu_count() or 1
    if todo:
        from tqdm import tqdm

        with tqdm(total=len(specs), initial=len(specs) - len(todo), desc="runs", unit="run",
                  disable=not progress, dynamic_ncols=True) as bar:
            def store(record: dict[str, Any]) -> None:
                study.append(record)
                bar.update()

            if executor == "local":
                _run_local(todo, min(jobs, len(todo)), store)
            else:
                _run_ray(todo, jobs, address, store)
    return study.runs(specs)
