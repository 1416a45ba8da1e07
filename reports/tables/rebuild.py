"""Rebuild a learning-curve table in chunk files that can be committed as they finish, then merge them.

The table's own build command (``nasbench build ...``, kept in ``COMMANDS``) is what a user runs; this
script runs the same training in pieces that outlive a session: rows are cut into chunks of ``CHUNK``,
each chunk's entries (every seed) are trained in this process, pinned to the schedule's kernels, and
saved atomically to ``reports/tables/chunks/<table>/<first row>.npz``. A chunk already on disk is
skipped, so the command resumes where it stopped; ``1/2`` and ``2/2`` split the chunks between two
processes (one core each). ``--merge`` writes ``data/<table>.h5`` from the chunks through the same
store the builder appends to (creation with the recorded command, numerics checked per entry) and
refreshes the manifest.

Usage: ``python reports/tables/rebuild.py TABLE [WORKER/WORKERS]`` or ``... TABLE --merge``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from nasbench.train import cli as build_cli
from nasbench.train import numerics

REPO = Path(__file__).resolve().parents[2]
CHUNKS = Path(__file__).resolve().parent / "chunks"
CHUNK = 64
COMMANDS = {
    "mlp-mnist1d": "nasbench build mlp --dataset mnist1d --seeds 0,1,2 --epochs 10 --out data/mlp-mnist1d.h5",
    "mlp-mnist1d-noisy": "nasbench build mlp --dataset mnist1d-noisy --seeds 0 --epochs 10 "
                         "--out data/mlp-mnist1d-noisy.h5",
    "mlp-mnist1d-shifted": "nasbench build mlp --dataset mnist1d-shifted --seeds 0 --epochs 10 "
                           "--out data/mlp-mnist1d-shifted.h5",
    "nb201-mnist1d": "nasbench build nb201 --dataset mnist1d --seeds 0,1,2 --epochs 9 --channels 4 --batch-size 100 "
                     "--train-examples 1000 --precise-bn --clock process --out data/nb201-mnist1d.h5",
}


def parsed(table: str) -> argparse.Namespace:
    """The table's build command, parsed as ``nasbench build`` parses it."""
    parser = argparse.ArgumentParser()
    build_cli.add_parser(parser.add_subparsers())
    return parser.parse_args(shlex.split(COMMANDS[table])[1:])


def train_chunks(table: str, worker: int, workers: int) -> None:
    args = parsed(table)
    schedule = build_cli.schedule_of(args)
    numerics.pin(schedule.cpu_kernels)  # before torch starts
    import numpy as np
    import torch

    from nasbench.train.builder import _train_one, table_space

    torch.set_num_threads(schedule.threads)
    space = table_space(args.space)
    out = CHUNKS / table
    out.mkdir(parents=True, exist_ok=True)
    for index, first in enumerate(range(0, space.size, CHUNK)):
        path = out / f"{first:05d}.npz"
        if index % workers != worker - 1 or path.exists():
            continue
        started = time.process_time()
        rows = list(range(first, min(first + CHUNK, space.size)))
        entries = [_train_one((args.space, row, seed, schedule, "cpu", args.dataset, True))
                   for row in rows for seed in args.seeds]
        chunk = {"rows": np.array([e.row for e in entries]), "seeds": np.array([e.seed for e in entries]),
                 "params": np.array([e.result.params for e in entries]),
                 "flops": np.array([e.result.flops for e in entries]),
                 "numerics": np.array(json.dumps(entries[0].result.numerics.as_attrs()))}
        for name in ("train_accuracy", "train_loss", "valid_accuracy", "valid_loss", "test_accuracy", "test_loss",
                     "train_time"):
            chunk[name] = np.stack([getattr(e.result, name) for e in entries])
        for name in entries[0].proxies:
            chunk[f"proxy:{name}"] = np.array([e.proxies[name] for e in entries])
        if any(e.result.numerics != entries[0].result.numerics for e in entries):
            raise SystemExit(f"chunk {path.name}: entries trained under different numerics")
        partial = path.with_suffix(".part.npz")
        np.savez(partial, **chunk)
        partial.replace(path)
        print(f"{table} {path.name}: {len(entries)} entries in {time.process_time() - started:.0f} CPU s", flush=True)


def merge(table: str) -> None:
    import numpy as np

    from nasbench import manifest
    from nasbench.train import store
    from nasbench.train.builder import table_space
    from nasbench.train.schedule import TrainResult

    args = parsed(table)
    schedule = build_cli.schedule_of(args)
    space = table_space(args.space)
    target = REPO / args.out
    scratch = target.parent / ".merge" / target.name  # the same file name: a table is named by its stem
    scratch.parent.mkdir(exist_ok=True)
    scratch.unlink(missing_ok=True)
    store.create(scratch, space, dataset=args.dataset, seeds=args.seeds, schedule=schedule,
                 command=COMMANDS[table])
    started = time.time()
    for path in sorted((CHUNKS / table).glob("[0-9]*.npz")):
        chunk = np.load(path)
        recorded = numerics.Numerics.from_attrs(json.loads(str(chunk["numerics"])))
        entries = []
        for i in range(len(chunk["rows"])):
            result = TrainResult(**{name: chunk[name][i] for name in ("train_accuracy", "train_loss", "valid_accuracy",
                                                                       "valid_loss", "test_accuracy", "test_loss",
                                                                       "train_time")},
                                 params=int(chunk["params"][i]), flops=int(chunk["flops"][i]), numerics=recorded)
            proxies = {key.split(":", 1)[1]: float(chunk[key][i]) for key in chunk.files if key.startswith("proxy:")}
            entries.append(store.Entry(int(chunk["rows"][i]), int(chunk["seeds"][i]), result, proxies))
        store.append(scratch, space, entries)
    store.append(scratch, space, [], build=store.build_record(COMMANDS[table] + "  (merged from reports/tables/chunks)",
                                                              started, "cpu", 2, 0))
    left = len(store.missing(scratch, range(space.size), args.seeds))
    if left:
        scratch.unlink()
        raise SystemExit(f"{table}: {left} entries are still missing; train the remaining chunks first")
    scratch.replace(target)
    scratch.parent.rmdir()
    manifest.record(target, command=COMMANDS[table])
    print(f"{target}: merged, manifest refreshed")


if __name__ == "__main__":
    words = sys.argv[1:]
    if "--merge" in words:
        merge(words[0])
    else:
        share = words[1].split("/") if len(words) > 1 else ["1", "1"]
        train_chunks(words[0], int(share[0]), int(share[1]))
