"""Training in a fresh process pinned to a schedule's kernels (:mod:`nasbench.train.numerics`).

A process that ran torch before it could pin its kernels (a notebook, a script that imported torch
first, a test session) trains through :func:`train_in_child`: ``python -m nasbench.train.pinned_child``
reads one job as JSON on stdin (space name, architecture string, seed, schedule), pins the kernels
before it imports torch, trains, and writes the curves as JSON on stdout (floats round-trip
exactly). A fresh interpreter, not a multiprocessing child, so the caller's main script is never
re-run. It trains on the standard split of the table's dataset only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch, Space
from nasbench.train import numerics
from nasbench.train.data import Mnist1d, load_dataset
from nasbench.train.schedule import CURVES, Schedule, TrainResult


def train_in_child(space: Space, arch: Arch, *, seed: int, schedule: Schedule, data: Mnist1d | None) -> TrainResult:
    """Train on the CPU in a fresh process pinned to ``schedule.cpu_kernels``; the result as :func:`train` gives it."""
    dataset = "mnist1d" if data is None else data.name
    if data is not None and data.split_hash != load_dataset(dataset).split_hash:
        raise NasbenchError(f"training on data other than the standard {dataset} split needs a process whose "
                            f"kernels are pinned before torch starts (call nasbench.train.numerics.pin first)")
    job = {"space": space.name, "arch": space.encode(arch), "seed": int(seed), "schedule": dataclasses.asdict(schedule),
           "dataset": dataset}
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, **numerics.KERNEL_ENV[schedule.cpu_kernels],
               PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "nasbench.train.pinned_child"], input=json.dumps(job), env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise NasbenchError(message if done.returncode == 2 else f"the pinned training process failed: {message}")
    answer = json.loads(done.stdout)
    return TrainResult(**{name: np.asarray(answer[name], dtype=np.float64) for name in CURVES},
                       params=int(answer["params"]), flops=int(answer["flops"]),
                       numerics=numerics.Numerics.from_attrs(answer["numerics"]))
