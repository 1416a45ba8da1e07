"""Build a learning-curve table: train every (architecture, seed) it lacks, chunk by chunk.

The table at ``out`` holds every row of the space from the start (missing entries NaN, attrs
``partial: true`` until every entry is there). The builder works through the missing entries in
chunks: before each chunk it re-reads which entries are still missing (so two builders on one table
mostly split the work), trains the chunk on a pool of single-threaded worker processes, and appends
it under the table's lock (see :mod:`nasbench.train.store`). Killing it loses at most the chunk in
flight; running the same command again resumes. Training runs in processes pinned to the schedule's
kernels (:mod:`nasbench.train.numerics`): the pool's workers always, this process when it is pinned.

Example (a two-entry table; the CLI is ``nasbench build mlp --dataset mnist1d --seeds 0 --epochs 2
--archs FILE --out PATH``):
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> archs = os.path.join(folder, "archs.txt")
    >>> _ = open(archs, "w").write("layers=1,width=16,act=relu,dropout=0,lr=0.01\\n")
    >>> summary = build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=os.path.join(folder, "t.h5"),
    ...                              archs_file=archs, workers=1, progress=False))
    >>> summary.trained, summary.remaining
    (1, 0)
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from nasbench.errors import NasbenchError
from nasbench.spaces.trainable import TrainableSpace, trainable
from nasbench.table import Table
from nasbench.train import numerics, store
from nasbench.train.data import DATASETS
from nasbench.train.schedule import Schedule


@dataclass(frozen=True)
class BuildSummary:
    """What one build call did."""

    path: Path
    trained: int
    remaining: int
    wall_seconds: float
    #: entries the whole table still lacks (every row x the table's seeds), whatever ``--archs`` asked
    table_missing: int = 0


@cache
def table_space(name: str) -> TrainableSpace:
    """The space a table of ``name`` is indexed by (nb201 tables keep one row per isomorphism class)."""
    from nasbench.spaces import get_space, trainable_spaces

    known = trainable_spaces()
    if name not in known:
        raise NasbenchError(f"nasbench cannot train the space {name!r}; trainable spaces: {', '.join(sorted(known))}")
    return trainable(get_space(known[name]))


def read_archs(path: str | os.PathLike, space: TrainableSpace) -> list[int]:
    """Rows of the architectures listed in ``path`` (one string per line; blank lines and ``#`` comments skipped).

    A line that does not parse raises :class:`NasbenchError` naming the file and the line.
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NasbenchError(f"cannot read the architecture file {path}: {exc}") from None
    rows: list[int] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            row = space.index(space.parse(text))
        except NasbenchError as exc:
            raise NasbenchError(f"{path}, line {number}: {exc}") from None
        if row not in rows:
            rows.append(row)
    if not rows:
        raise NasbenchError(f"the architecture file {path} lists no architecture")
    return rows


def check_compatible(table: Table, space: TrainableSpace, dataset: str, schedule: Schedule, device: str) -> None:
    """Refuse to extend ``table`` with entries of another space, dataset, schedule or numerics."""
    if table.space != space.name:
        raise NasbenchError(f"{table.path} holds the {table.space} space, not {space.name}; choose another --out")
    if table.extra.get("dataset") != dataset:
        raise NasbenchError(f"{table.path} was trained on {table.extra.get('dataset')!r}, not {dataset!r}; "
                            f"choose another --out")
    stored = store.schedule_of(table)
    if stored.epochs != schedule.epochs:
        raise NasbenchError(f"{table.path} was built with a {stored.epochs}-epoch schedule, so --epochs "
                            f"{schedule.epochs} cannot extend it (a shorter or longer schedule is another table)")
    if stored != schedule:
        raise NasbenchError(f"{table.path} was built with schedule {stored}, not {schedule}")
    store.check_numerics(table, schedule, device)


def _worker_init(cpu_kernels: str, threads: int) -> None:
    numerics.pin(cpu_kernels)  # before this fresh process runs its first torch kernel
    import torch

    torch.set_num_threads(threads)


def _train_one(job: tuple[str, int, int, Schedule, str, str, bool]) -> store.Entry:
    from nasbench.train.data import load_dataset
    from nasbench.train.proxies import proxy_metrics
    from nasbench.train.trainer import train

    space_name, row, seed, schedule, device, dataset, with_proxies = job
    space = table_space(space_name)  # cached: building the nb201-unique index takes a second
    arch, data = space.arch_of_row(row), load_dataset(dataset)
    result = train(space, arch, seed=seed, schedule=schedule, device=device, data=data)
    scores = proxy_metrics(space, arch, seed=seed, schedule=schedule, data=data) if with_proxies else None
    return store.Entry(row, seed, result, scores)


@dataclass(frozen=True)
class BuildRequest:
    """What to build: the table at ``out`` of the space named ``space``, trained on ``dataset`` with
    ``seeds`` for ``epochs`` epochs, and how.

    ``archs_file`` lists the architectures to train (default: every row of the space); ``schedule``
    overrides the default :class:`Schedule` (its ``epochs`` must equal ``epochs``); ``workers`` defaults
    to one per CPU (one on a GPU); each ``chunk`` of entries is stored before the next is trained;
    ``command`` is recorded in the table (default: this process's command line); ``limit`` stops after
    that many entries (for tests and timing runs).
    """

    space: str
    dataset: str
    seeds: Sequence[int]
    epochs: int
    out: str | os.PathLike
    archs_file: str | os.PathLike | None = None
    device: str = "cpu"
    workers: int | None = None
    chunk: int = 16
    schedule: Schedule | None = None
    command: str = ""
    progress: bool = True
    limit: int | None = None


def build(request: BuildRequest) -> BuildSummary:
    """Train what the table at ``request.out`` lacks among the requested architectures x seeds."""
    started = time.time()
    space = table_space(request.space)
    schedule = _checked_schedule(request)
    rows = read_archs(request.archs_file, space) if request.archs_file is not None else list(range(space.size))
    out, seeds, device, chunk = Path(request.out), request.seeds, request.device, request.chunk
    command = request.command or " ".join(sys.argv)
    with store.locked(out):
        if out.exists():
            table = Table.open(out, verify="full")
            check_compatible(table, space, request.dataset, schedule, device)
            store.add_seeds(out, space, seeds)
        else:
            store.create(out, space, dataset=request.dataset, seeds=seeds, schedule=schedule, command=command,
                         device=device)
    workers = request.workers or (1 if device != "cpu" else os.cpu_count() or 1)
    todo = store.missing(out, rows, seeds)
    with_proxies = store.has_proxies(Table.open(out, verify="none"))  # older tables: set_proxies adds them
    if request.limit is not None:
        todo = todo[:request.limit]
    bar = _progress_bar(len(todo), out.stem) if request.progress else None
    trained = 0
    pool = _pool(workers, device, schedule)
    try:
        for first in range(0, len(todo), chunk):
            wanted = set(store.missing(out, rows, seeds))  # another builder may have stored some meanwhile
            jobs = [(request.space, r, s, schedule, device, request.dataset, with_proxies)
                    for r, s in todo[first:first + chunk] if (r, s) in wanted]
            entries = pool.map(_train_one, jobs, chunksize=1) if pool is not None else [_train_one(j) for j in jobs]
            record = store.build_record(command, started, device, workers, trained + len(entries))
            trained += store.append(out, space, entries, build=record)
            if bar is not None:
                bar.update(min(chunk, len(todo) - first))
    finally:
        if pool is not None:
            pool.terminate()
        if bar is not None:
            bar.close()
    remaining = len(store.missing(out, rows, seeds))
    table = Table.open(out, verify="none")
    table_missing = len(store.missing(out, range(space.size), table.seeds.tolist()))
    return BuildSummary(out, trained, remaining, time.time() - started, table_missing)


def _checked_schedule(request: BuildRequest) -> Schedule:
    """The schedule to train under, once every argument of ``request`` but the space is checked."""
    dataset, seeds, epochs, device = request.dataset, request.seeds, request.epochs, request.device
    if dataset not in DATASETS:
        raise NasbenchError(f"unknown dataset {dataset!r}; the builder trains on: {', '.join(DATASETS)}")
    if not seeds or len(set(seeds)) != len(seeds) or any(int(s) < 0 for s in seeds):
        raise NasbenchError(f"--seeds must list distinct non-negative integers, not {list(seeds)}")
    schedule = request.schedule or Schedule(epochs=epochs)
    if schedule.epochs != epochs:
        raise NasbenchError(f"the schedule has {schedule.epochs} epochs but --epochs is {epochs}")
    if request.chunk < 1:
        raise NasbenchError(f"--chunk must be at least 1, not {request.chunk}")
    from nasbench.train.trainer import check_device

    check_device(device)
    if schedule.clock == "process" and device != "cpu":
        raise NasbenchError("--clock process measures CPU time; a CUDA build needs the wall clock")
    return schedule


def _pool(workers: int, device: str, schedule: Schedule) -> Pool | None:
    """Worker processes pinned to the schedule's kernels, or ``None`` where this process trains itself
    (one worker, and this process is pinned or trains on a GPU)."""
    if workers == 1 and (device != "cpu" or numerics.is_pinned(schedule.cpu_kernels)):
        return None
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch thread pools
    return context.Pool(workers, initializer=_worker_init, initargs=(schedule.cpu_kernels, schedule.threads))


def _progress_bar(total: int, name: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="run", smoothing=0.02)
