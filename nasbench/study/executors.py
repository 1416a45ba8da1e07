"""Executors of a study: local worker processes or Ray tasks; each calls the given function per run.

The local executor is a small pool of ``spawn`` processes, one pipe each, one run in flight per
process. It is written here rather than taken from :mod:`concurrent.futures` for the sake of Ctrl-C:
the workers start with SIGINT ignored (only the coordinating process reacts to it, also when a
terminal sends it to the whole process group), and on an interrupt the coordinator terminates them
and waits at most :data:`STOP_SECONDS` for each, so that any number of Ctrl-C exits promptly
(``ProcessPoolExecutor`` joins its workers, and a second Ctrl-C there left the process blocked).
Stored runs are never torn by an interrupt: the ``store`` callback runs with SIGINT deferred.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, cast

from nasbench.errors import NasbenchError, Terminated, install_hint
from nasbench.study.planning import RunSpec

EXECUTORS = ("local", "ray")
_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
STOP_SECONDS = 0.5  # how long an interrupted worker gets to exit after SIGTERM, before SIGKILL

Execute = Callable[[RunSpec], dict[str, Any]]
Store = Callable[[dict[str, Any]], None]


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block, then raise one KeyboardInterrupt (:class:`Terminated`
    for SIGTERM) if any came.

    Outside the main thread (where Python delivers signals) this does nothing.

    Example:
        >>> with deferred_interrupts():
        ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {number: signal.signal(number, lambda number, frame: received.append(number))
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if signal.SIGTERM in received:
        raise Terminated
    if received:
        raise KeyboardInterrupt


def _worker(connection: Connection, execute: Execute) -> None:
    """A pool process: run each spec received, send back ``(True, record)`` or ``(False, exception)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # and ignored, should the inherited mask ever be lifted
    while True:
        try:
            spec = connection.recv()
        except EOFError:  # the coordinator closed the pipe
            return
        if spec is None:
            return
        try:
            reply: tuple[bool, Any] = (True, execute(spec))
        except Exception as exc:  # sent to the coordinator, which raises it
            reply = (False, exc)
        try:
            connection.send(reply)
        except OSError:  # the coordinator is gone (killed): nobody to answer, exit quietly
            return


def _start(workers: list[tuple[BaseProcess, Connection]], jobs: int, execute: Execute) -> None:
    """Start ``jobs`` spawn processes into ``workers`` with SIGINT blocked: the mask is inherited through exec, so a
    worker never sees a Ctrl-C, even one sent to the process group while it boots; here the signal
    stays pending and is delivered once the workers are up."""
    context = get_context("spawn")  # workers open their own HDF5 handles instead of inheriting the parent's
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for _ in range(jobs):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, execute), daemon=True)
            process.start()
            theirs.close()
            workers.append((process, ours))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _stop(workers: list[tuple[BaseProcess, Connection]], *, graceful: bool) -> None:
    """End every worker: ask idle ones to exit (``graceful``) or terminate them all, then kill any
    still alive after :data:`STOP_SECONDS`; never waits longer than that per process."""
    with deferred_interrupts():  # a further Ctrl-C must not cut the cleanup short
        for process, connection in workers:
            if graceful:
                with contextlib.suppress(OSError):
                    connection.send(None)
            else:
                process.terminate()
        for process, connection in workers:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(STOP_SECONDS)
            connection.close()


def _run_local(todo: Sequence[RunSpec], jobs: int, execute: Execute, store: Store) -> None:
    if jobs == 1:
        for spec in todo:
            record = execute(spec)
            with deferred_interrupts():
                store(record)
        return
    # one BLAS thread per worker process: the pool already fills the cores, and oversubscribed
    # OpenBLAS threads made model-based strategies (gp-bo) 30x slower in CPU time here
    saved = {name: os.environ.get(name) for name in _BLAS_THREADS}
    for name in _BLAS_THREADS:
        os.environ.setdefault(name, "1")
    workers: list[tuple[BaseProcess, Connection]] = []
    finished = False
    try:
        _start(workers, jobs, execute)
        queue = list(reversed(todo))
        busy: dict[Connection, BaseProcess] = {}
        for process, connection in workers:
            if queue:
                connection.send(queue.pop())
                busy[connection] = process
        while busy:
            by_sentinel = {process.sentinel: connection for connection, process in busy.items()}
            for ready in wait([*busy, *by_sentinel]):
                connection = by_sentinel[ready] if isinstance(ready, int) else cast(Connection, ready)
                if connection not in busy:  # its answer and its process's end came together
                    continue
                try:
                    reply: tuple[bool, Any] | None = connection.recv() if connection.poll() else None
                except EOFError:
                    reply = None
                if reply is None:
                    raise NasbenchError(f"a worker process died (exit code {busy[connection].exitcode}) during a "
                                        "run; the finished runs are kept, rerun the same command to resume")
                ok, value = reply
                if not ok:
                    raise value
                if queue:  # the next run first, so that the worker computes while the record is stored (fsync)
                    connection.send(queue.pop())
                else:
                    del busy[connection]
                with deferred_interrupts():
                    store(value)
        finished = True
    finally:
        _stop(workers, graceful=finished)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`NasbenchError` naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise NasbenchError(f"the ray executor needs Ray, which is not installed: {install_hint('ray')}") from None
    return ray


def _run_ray(todo: Sequence[RunSpec], jobs: int | None, address: str | None, execute: Execute, store: Store) -> None:
    ray = import_ray()
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
                record = ray.get(reference)
                with deferred_interrupts():
                    store(record)
    except KeyboardInterrupt:
        for reference in pending:
            ray.cancel(reference, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()
