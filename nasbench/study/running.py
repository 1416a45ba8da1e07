"""Running a planned study: every cell not yet in the study file, on a local process pool or as Ray tasks.

Both executors (:mod:`nasbench.study.executors`) call the same :func:`execute`, and
:func:`nasbench.simulate.run` is deterministic for a seed, so they give identical traces. The study
file (:mod:`nasbench.study.studyfile`) is written only by the coordinating process, which appends each
finished run and keeps only its summary (the incumbent's steps), so that its memory grows by a few
hundred bytes per run whatever the traces' length.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError
from nasbench.simulate import run
from nasbench.study.executors import EXECUTORS, _run_local, _run_ray, import_ray
from nasbench.study.planning import RunSpec
from nasbench.study.studyfile import StudyFile, StudyRun, record_to_run, study_lock
from nasbench.trace import Trace, regret

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


# --- running the grid (in the coordinating process) ---------------------------------------------
def check_executor(executor: str, jobs: int | None, address: str | None) -> None:
    """Raise a :class:`NasbenchError` for an unknown executor, the ray executor where Ray is not installed,
    a bad job count, or an address without Ray; before anything is written or drawn."""
    if executor not in EXECUTORS:
        raise NasbenchError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if executor == "ray":
        import_ray()
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise NasbenchError(f"jobs must be an integer >= 1, not {jobs!r}")
    if address is not None and executor != "ray":
        raise NasbenchError("--address names a Ray cluster; it needs --executor ray")


def _budget(specs: Sequence[RunSpec]) -> tuple[int | None, float | None, float | None, int]:
    if not specs:
        raise NasbenchError("the study has no runs")
    # a budget in trainings gives each table its own seconds
    budgets = {(s.max_evals, None if s.time_units is not None else s.max_time, s.time_units, s.workers) for s in specs}
    if len(budgets) != 1:
        raise NasbenchError("every run of a study must share one budget and one number of workers")
    return budgets.pop()


def run_grid(
    specs: Sequence[RunSpec],
    path: str | os.PathLike,
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> StudyFile:
    """Run every spec not already in the study file at ``path``; return the study, which holds the
    summaries of its runs (:meth:`StudyFile.summaries_of`), not their traces.

    ``executor="local"`` uses a process pool of ``jobs`` processes (default: the CPU count; 1 runs
    in this process); ``"ray"`` submits one Ray task per run to a local Ray (``jobs`` CPUs) or to the
    cluster at ``address``. Runs are appended as they finish, so an interrupt keeps them and the
    next call resumes. The study is locked while it runs (:func:`~nasbench.study.studyfile.study_lock`):
    a second process on the same file raises a :class:`NasbenchError` naming this one.
    """
    check_executor(executor, jobs, address)
    max_evals, max_time, time_units, workers = _budget(specs)
    with study_lock(path):
        study = StudyFile.open_or_create(path, max_evals=max_evals, max_time=max_time, workers=workers,
                                         time_units=time_units)
        study.check(specs)
        todo = [spec for spec in dict.fromkeys(specs) if spec.key() not in study.summaries]
        _execute_all(todo, len(specs), study.append, executor, jobs, address, progress)
    return study


def run_study(
    specs: Sequence[RunSpec],
    path: str | os.PathLike | None,
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> list[StudyRun]:
    """:func:`run_grid`, then every run of ``specs`` with its trace (all held in memory: for small
    studies; a report reads :meth:`StudyFile.summaries_of`). ``path=None`` keeps the runs in memory only."""
    if path is not None:
        return run_grid(specs, path, executor=executor, jobs=jobs, address=address, progress=progress).runs(specs)
    check_executor(executor, jobs, address)
    _budget(specs)
    memory: list[dict[str, Any]] = []
    _execute_all(list(dict.fromkeys(specs)), len(specs), memory.append, executor, jobs, address, progress)
    by_key = {RunSpec(**record["spec"]).key(): record for record in memory}
    return [record_to_run(by_key[spec.key()]) for spec in specs]


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
