"""Compute the zero-cost proxies of a table's rows, resumably, one chunk file per 50 rows.

Usage: ``python reports/zero-cost/compute.py TABLE STEP [WORKER/WORKERS]`` scores rows 0, STEP, 2 STEP, ...
at init seeds 0, 1, 2 into ``reports/zero-cost/chunks/TABLE-s<STEP>-<first>.npz`` (values and CPU seconds
per proxy); a chunk already written is skipped, so the command resumes where it stopped. ``1/2`` and
``2/2`` split the chunks between two processes (one core each). ``--only NAME`` rescores one proxy in
the chunks already written (after its definition changed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from nasbench.train import numerics

numerics.pin("avx2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import nasbench  # noqa: E402
from nasbench.train import store  # noqa: E402
from nasbench.train.data import load_dataset  # noqa: E402
from nasbench.train.proxies import PROXIES, proxies  # noqa: E402

SEEDS = (0, 1, 2)
CHUNK = 50


def _setup(table: str):
    torch.set_num_threads(1)
    bench = nasbench.load(table)
    return bench, store.schedule_of(bench.table), load_dataset(str(bench.table.extra["dataset"]))


def _score(bench, schedule, data, rows: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Proxies ``names`` of ``rows`` at every init seed: values and CPU seconds, (rows, seeds, names)."""
    values = np.full((len(rows), len(SEEDS), len(names)), np.nan)
    seconds = np.full_like(values, np.nan)
    for i, row in enumerate(rows):
        for j, seed in enumerate(SEEDS):
            timings: dict[str, float] = {}
            scores = proxies(bench.space, bench.space.arch_of_row(int(row)), seed=seed, schedule=schedule,
                             data=data, names=names, timings=timings)
            values[i, j] = [scores[name] for name in names]
            seconds[i, j] = [timings[name] for name in names]
    return values, seconds


def _save(path: Path, chunk: dict[str, np.ndarray]) -> None:
    partial = path.with_suffix(".part.npz")
    np.savez(partial, **chunk)
    partial.replace(path)


def rescore(table: str, step: int, name: str, worker: int, workers: int) -> None:
    """Recompute proxy ``name`` (values and seconds) in every chunk of ``table`` already written."""
    bench, schedule, data = _setup(table)
    paths = sorted((Path(__file__).parent / "chunks").glob(f"{table}-s{step}-*.npz"))
    for index, path in enumerate(paths):
        if index % workers != worker - 1:
            continue
        chunk = dict(np.load(path))
        k = [str(n) for n in chunk["names"]].index(name)
        values, seconds = _score(bench, schedule, data, chunk["rows"], (name,))
        chunk["values"][:, :, k], chunk["seconds"][:, :, k] = values[:, :, 0], seconds[:, :, 0]
        _save(path, chunk)


def main(table: str, step: int, worker: int = 1, workers: int = 1) -> None:
    bench, schedule, data = _setup(table)
    rows = np.arange(0, bench.space.size, step)
    out = Path(__file__).parent / "chunks"
    out.mkdir(exist_ok=True)
    for index, first in enumerate(range(0, len(rows), CHUNK)):
        if index % workers != worker - 1:
            continue
        path = out / f"{table}-s{step}-{first:05d}.npz"
        if path.exists():
            continue
        chunk = rows[first:first + CHUNK]
        values, seconds = _score(bench, schedule, data, chunk, tuple(PROXIES))
        _save(path, {"rows": chunk, "values": values, "seconds": seconds, "names": np.array(list(PROXIES))})


if __name__ == "__main__":
    words = sys.argv[1:]
    only = words.pop(words.index("--only") + 1) if "--only" in words else None
    words = [w for w in words if w != "--only"]
    share = words[2].split("/") if len(words) > 2 else ["1", "1"]
    if only:
        rescore(words[0], int(words[1]), only, int(share[0]), int(share[1]))
    else:
        main(words[0], int(words[1]), int(share[0]), int(share[1]))
