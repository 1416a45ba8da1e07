"""A small synthetic learning-curve table on the nb201 space, for multi-fidelity tests.

Every one of the 15,625 NAS-Bench-201 cells gets, for each seed, a per-epoch validation and test
accuracy curve and a cumulative training time, drawn from one seeded generator:

* final accuracy = 0.55 + a per-edge op effect (3x3 conv best, then 1x1 conv, skip, pool, none)
  + a per-cell interaction term; cells whose output is cut off from the input sit at chance (0.1);
* the curve rises as ``final - (final - 0.1) * exp(-epoch / tau)`` where ``tau`` grows with the
  number of 3x3 convolutions and varies per cell, so early epochs rank cells imperfectly (slow
  starters overtake: rank correlation with the final epoch is about 0.4 at epoch 1, 0.9 at epoch 4);
* training time per epoch grows with the convolutions; ``train_time`` is its cumulative sum, so a
  restart at fidelity ``r`` costs ``t(r)`` and a resume from ``r0`` costs ``t(r) - t(r0)``.

The table mimics the layout of the MNIST-1D curve tables (fidelity = epochs, ``train_time`` as the
cost metric, ``valid_accuracy`` searched, ``test_accuracy`` reported) so strategies can be tested
before those tables exist. The numbers mean nothing beyond that.

Example:
    >>> import tempfile, pathlib
    >>> path = make_curve_table(pathlib.Path(tempfile.mkdtemp()) / "curves.h5")
    >>> path.name
    'curves.h5'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.spaces.nb201 import Nb201Space
from nasbench.table import MetricInfo, Split, TableContents, write_table

#: additive effect of each op (none, skip, conv1x1, conv3x3, pool) on final accuracy, per edge
_OP_EFFECT = np.array([0.0, 0.03, 0.055, 0.07, 0.01])
#: seconds per epoch each op adds (the cell's cost)
_OP_SECONDS = np.array([0.0, 0.02, 0.25, 0.7, 0.1])


def _connected(genes: np.ndarray) -> np.ndarray:
    """Whether a path of non-``none`` edges joins the input (node 0) to the output (node 3)."""
    live = genes != 0
    node1 = live[:, 0]
    node2 = live[:, 1] | (live[:, 2] & node1)
    return live[:, 3] | (live[:, 4] & node1) | (live[:, 5] & node2)


def make_curve_table(path: str | Path, *, epochs: int = 12, seeds: int = 3, seed: int = 0) -> Path:
    """Write the synthetic curve table to ``path`` (named after its stem) and return the path.

    ``epochs`` fidelities 1..epochs, ``seeds`` seed columns; the same ``seed`` gives the same bytes.
    """
    path = Path(path)
    rng = np.random.default_rng(seed)
    space = Nb201Space()
    genes = np.array([space.arch_of_row(row) for row in range(space.size)], dtype=np.int64)
    n_archs = len(genes)
    epoch = np.arange(1, epochs + 1, dtype=np.float64)

    final = 0.55 + _OP_EFFECT[genes].sum(axis=1) + rng.normal(0.0, 0.02, n_archs)
    final = np.where(_connected(genes), np.minimum(final, 0.97), 0.1)
    n_conv3 = (genes == 3).sum(axis=1)
    tau = 0.8 + 0.15 * n_conv3 + rng.uniform(0.0, 1.0, n_archs)
    curve = final[:, None] - (final[:, None] - 0.1) * np.exp(-epoch[None, :] / tau[:, None])

    shape = (n_archs, seeds, epochs)
    seed_offset = rng.normal(0.0, 0.006, (n_archs, seeds, 1))
    valid = curve[:, None, :] + seed_offset + rng.normal(0.0, 0.004, shape)
    test = curve[:, None, :] + seed_offset + rng.normal(0.0, 0.006, shape)
    per_epoch = 0.3 + _OP_SECONDS[genes].sum(axis=1)
    epoch_seconds = per_epoch[:, None, None] * rng.uniform(0.95, 1.05, shape)
    train_time = np.cumsum(epoch_seconds, axis=2)

    metrics = {
        "valid_accuracy": (np.clip(valid, 0.0, 1.0).astype(np.float32),
                           MetricInfo("valid_accuracy", Split.VALID, "fraction", True)),
        "test_accuracy": (np.clip(test, 0.0, 1.0).astype(np.float32),
                          MetricInfo("test_accuracy", Split.TEST, "fraction", True)),
        "train_time": (train_time, MetricInfo("train_time", Split.NONE, "seconds", False)),
    }
    write_table(path, TableContents(
        name=path.stem, space="nb201", archs=[space.encode(tuple(g)) for g in genes.tolist()],
        codes=[space.raw_code(tuple(g)) for g in genes.tolist()], seeds=list(range(seeds)),
        fidelities=epoch.tolist(), fidelity_unit="epochs", metrics=metrics,
        source="synthetic learning curves (tests/curve_fixture.py)", licence="CC0", version="1",
        search_metric="valid_accuracy", test_metric="test_accuracy", cost_metric="train_time",
        attrs={"generator_seed": seed, "synthetic": True},
    ))
    return path
