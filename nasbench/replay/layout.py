"""A 2-D map of every architecture of a table, computed once per table.

The map is the first two principal components of the architectures' one-hot encodings (an exact,
deterministic SVD; each axis's sign fixed so its largest loading is positive), spread by a small
deterministic jitter, since many one-hot cells share a lattice point. Maps are kept per table
checksum for the life of the process (computing one takes well under a second for the shipped
tables, so no file cache is needed).

Example:
    >>> from nasbench.benchmark import load
    >>> points = architecture_map(load("mlp-mnist1d"))
    >>> points.shape, float(points.min()) >= 0.0, float(points.max()) <= 1.0
    ((720, 2), True, True)
"""

from __future__ import annotations

import numpy as np

from nasbench.benchmark import Benchmark
from nasbench.errors import NasbenchError

#: the most architectures a map is drawn for (a page holds one point per architecture)
MAX_POINTS = 100_000
_JITTER = 0.012
_MAPS: dict[str, np.ndarray] = {}


def architecture_map(bench: Benchmark) -> np.ndarray:
    """``(n_archs, 2)`` coordinates in ``[0, 1]`` of every row of ``bench`` (read-only)."""
    cached = _MAPS.get(bench.checksum)
    if cached is not None:
        return cached
    if bench.n_archs > MAX_POINTS:
        raise NasbenchError(f"cannot draw a map of {bench.name}: it has {bench.n_archs:,} architectures and a replay "
                            f"draws at most {MAX_POINTS:,}")
    if bench.n_archs < 2:
        raise NasbenchError(f"cannot draw a map of {bench.name}: it has a single architecture")
    space = bench.space
    genes = np.array([space.arch_of_row(row) for row in range(bench.n_archs)], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(space.n_choices)[:-1]])
    encodings = np.zeros((bench.n_archs, int(sum(space.n_choices))))
    np.put_along_axis(encodings, genes + offsets, 1.0, axis=1)  # the one-hot encoding of every row
    centred = encodings - encodings.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    axes = components[:2]
    if len(axes) < 2:
        axes = np.vstack([axes, np.zeros_like(axes[:1])])
    axes = axes * np.where(axes[np.arange(2), np.abs(axes).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]
    points = centred @ axes.T
    points += np.random.default_rng(0).normal(0.0, _JITTER, points.shape) * (np.ptp(points, axis=0) + 1e-12)
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    points = (points - low) / np.where(span > 0, span, 1.0)
    points.flags.writeable = False
    _MAPS[bench.checksum] = points
    return points
