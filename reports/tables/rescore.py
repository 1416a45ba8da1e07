"""Recompute the zero-cost proxies whose definitions changed, in shipped tables and in rebuild chunks.

Issue #26 (items 13, 14) brought ``zc_synflow``, ``zc_snip``, ``zc_grasp``, ``zc_grad_norm``, ``zc_fisher``
and ``zc_jacov`` in line with the reference code (``nasbench/train/proxies.py`` says how). This script
rescores those six (``CHANGED``) and their CPU seconds exactly as the builder scores an entry (the
trainer's network for that row and seed, the table's schedule, kernels pinned to the schedule's before
torch starts); the other proxies, the curves and everything else are left as they are.

* ``TABLE.h5 ...``: a shipped table, every row x seed, stored with ``nasbench.train.store.set_proxies``
  (which rewrites only the proxy datasets); refresh the manifest afterwards.
* ``--chunks TABLE``: the complete chunk files ``reports/tables/chunks/TABLE/NNNNN.npz`` of a rebuild
  (``rebuild.py``; files still being written, ``*.part.npz``, are not touched), each rewritten atomically
  with a ``rescored`` key naming the proxy code it was scored with, so a rerun skips the chunks done.
* ``--sample TABLE.h5 N``: write nothing; score N random rows at seed 0 and print, old (stored) against
  new, the distinct float32 values of ``zc_jacov`` and each proxy's Spearman rho with final validation
  accuracy.

Every table named in one run must use the same kernels (they are pinned once per process).

Usage::

    python reports/tables/rescore.py data/mlp-mnist1d.h5 data/mlp-mnist1d-noisy.h5 data/mlp-mnist1d-shifted.h5
    python reports/tables/rescore.py --chunks nb201-mnist1d
    python reports/tables/rescore.py --sample data/nb201-mnist1d.h5 1500
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import sys
import time
from pathlib import Path

import numpy as np

from nasbench.table import Table
from nasbench.train import numerics, store
from nasbench.train.schedule import Schedule
from nasbench.zero_cost import seconds_metric

HERE = Path(__file__).resolve().parent
CHANGED = ("zc_synflow", "zc_snip", "zc_grasp", "zc_grad_norm", "zc_fisher", "zc_jacov")


def chunk_schedule(table: str) -> tuple[Schedule, str, str]:
    """The schedule, space and dataset ``rebuild.py`` trains the chunks of ``table`` with."""
    sys.path.insert(0, str(HERE))
    try:
        from rebuild import parsed
    finally:
        sys.path.pop(0)
    from nasbench.train import cli as build_cli

    args = parsed(table)
    return build_cli.schedule_of(args), args.space, args.dataset


def space_name(table: Table) -> str:
    """The trainable space a table's rows index (nb201 tables keep one row per isomorphism class)."""
    return "nb201" if table.space == "nb201-unique" else table.space


def marker() -> str:
    """Names the proxy code: a digest of the source of `nasbench/train/proxies.py`."""
    from nasbench.train import proxies

    return "sha256:" + hashlib.sha256(inspect.getsource(proxies).encode()).hexdigest()[:16]


class Scorer:
    """Scores entries as the builder does (``proxy_metrics``), for the changed proxies only."""

    def __init__(self, space: str, dataset: str, schedule: Schedule) -> None:
        import torch

        from nasbench.train.builder import table_space
        from nasbench.train.data import load_dataset

        torch.set_num_threads(schedule.threads)
        self.space, self.data, self.schedule = table_space(space), load_dataset(dataset), schedule

    def __call__(self, row: int, seed: int) -> dict[str, float]:
        from nasbench.train.proxies import proxies

        timings: dict[str, float] = {}
        scores = proxies(self.space, self.space.arch_of_row(row), seed=seed, schedule=self.schedule, data=self.data,
                         names=CHANGED, timings=timings)
        return {**scores, **{seconds_metric(name): timings[name] for name in CHANGED}}


def rescore_table(path: Path, scorer: Scorer) -> None:
    table = Table.open(path)
    started = time.process_time()
    values = {name: np.full((scorer.space.size, len(table.seeds)), np.nan)
              for proxy in CHANGED for name in (proxy, seconds_metric(proxy))}
    for row in range(scorer.space.size):
        for column, seed in enumerate(table.seeds.tolist()):
            for name, value in scorer(row, int(seed)).items():
                values[name][row, column] = value
    store.set_proxies(path, scorer.space, values)
    print(f"{path}: {values['zc_jacov'].size} entries rescored in {time.process_time() - started:.0f} CPU s",
          flush=True)


def rescore_chunks(table: str, scorer: Scorer) -> list[str]:
    done = []
    stamp = marker()
    for path in sorted((HERE / "chunks" / table).glob("[0-9][0-9][0-9][0-9][0-9].npz")):
        chunk = dict(np.load(path))
        if str(chunk.get("rescored", "")) == stamp:
            continue
        started = time.process_time()
        for i, (row, seed) in enumerate(zip(chunk["rows"].tolist(), chunk["seeds"].tolist())):
            for name, value in scorer(int(row), int(seed)).items():
                chunk[f"proxy:{name}"][i] = value
        chunk["rescored"] = np.array(stamp)
        partial = path.with_name(f".{path.stem}.rescore.npz")  # not a chunk name: merge and rebuild ignore it
        np.savez(partial, **chunk)
        partial.replace(path)
        done.append(path.name)
        print(f"{table} {path.name}: {len(chunk['rows'])} entries in {time.process_time() - started:.0f} CPU s",
              flush=True)
    return done


def sample(path: Path, scorer: Scorer, size: int) -> None:
    from scipy import stats

    table = Table.open(path)
    rows = np.sort(np.random.default_rng(0).choice(scorer.space.size, size=size, replace=False))
    target = table.metric("valid_accuracy")[rows, 0, -1]
    new = {name: np.array([scorer(int(row), 0)[name] for row in rows]) for name in CHANGED}
    for name in CHANGED:
        old = table.metric(name)[rows, 0, -1]
        rho = [stats.spearmanr(v, target, nan_policy="omit")[0] for v in (old, new[name])]
        print(f"{name}: Spearman rho {rho[0]:.3f} -> {rho[1]:.3f}; distinct float32 values "
              f"{len(np.unique(old.astype(np.float32)))} -> {len(np.unique(new[name].astype(np.float32)))} "
              f"of {size}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", nargs="*", type=Path, help="shipped tables to rescore in place")
    parser.add_argument("--chunks", help="rescore the complete chunk files of this table's rebuild")
    parser.add_argument("--sample", nargs=2, metavar=("TABLE", "N"), help="measure only, on N random rows")
    args = parser.parse_args()
    jobs: list[tuple[Schedule, str, str]] = []
    if args.chunks:
        jobs.append(chunk_schedule(args.chunks))
    for path in [*args.tables, *([Path(args.sample[0])] if args.sample else [])]:
        table = Table.open(path)
        jobs.append((store.schedule_of(table), space_name(table), str(table.extra["dataset"])))
    if not jobs:
        parser.error("name a table, --chunks TABLE or --sample TABLE N")
    kernels = {schedule.cpu_kernels for schedule, _, _ in jobs}
    if len(kernels) > 1:
        parser.error(f"the tables named use different kernels ({', '.join(sorted(kernels))}): one run each")
    numerics.pin(kernels.pop())  # before torch starts
    if args.chunks:
        done = rescore_chunks(args.chunks, Scorer(*jobs[0][1:], jobs[0][0]))
        print(f"rescored {len(done)} chunk files: {' '.join(done) or 'none'}")
    for path in args.tables:
        table = Table.open(path)
        rescore_table(path, Scorer(space_name(table), str(table.extra["dataset"]), store.schedule_of(table)))
    if args.sample:
        table = Table.open(args.sample[0])
        sample(Path(args.sample[0]), Scorer(space_name(table), str(table.extra["dataset"]), store.schedule_of(table)),
               int(args.sample[1]))


if __name__ == "__main__":
    main()
