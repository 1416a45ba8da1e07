"""Executors of a study: a local process pool or Ray tasks; each calls the given function per run."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

from nasbench.errors import NasbenchError
from nasbench.planning import RunSpec

EXECUTORS = ("local", "ray")
_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _ignore_interrupt() -> None:
    # the coordinating process handles Ctrl-C; pool workers finish their current run quietly
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_local(todo: Sequence[RunSpec], jobs: int, execute: Callable[[RunSpec], dict[str, Any]],
               store: Callable[[dict[str, Any]], None]) -> None:
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
             execute: Callable[[RunSpec], dict[str, Any]], store: Callable[[dict[str, Any]], None]) -> None:
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

