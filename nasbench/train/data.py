"""MNIST-1D, generated offline, with one fixed train/valid/test split.

The ``mnist1d`` package's ``make_dataset`` builds 5,000 one-dimensional digit signals of length 40
from ten templates (default arguments, its fixed seed 42; nothing is downloaded). It returns 4,000
training and 1,000 test signals; we keep the last 1,000 training signals as the validation split, so
the split is train 3,000 / valid 1,000 / test 1,000. ``split_hash`` is the SHA-256 of the arrays in
that order, and every table built from them stores it, so a table can be checked against the data.

Generation takes about three seconds, so the arrays are cached (as ``.npz`` beside the user's cache,
``$NASBENCH_CACHE`` or ``~/.cache/nasbench``) and re-checked against the recorded hash when read.

Example:
    >>> data = load_mnist1d()
    >>> data.x_train.shape, data.x_valid.shape, data.x_test.shape
    ((3000, 1, 40), (1000, 1, 40), (1000, 1, 40))
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nasbench.errors import NasbenchError

DATASETS = ("mnist1d",)
N_VALID = 1000
N_CLASSES = 10
#: what the split is, in words (stored in every table's attributes)
SPLIT_DESCRIPTION = ("mnist1d.data.make_dataset() with default arguments (seed 42, 5,000 signals of length 40); "
                     "train = its first 3,000 training signals, valid = its last 1,000 training signals, "
                     "test = its 1,000 test signals")


@dataclass(frozen=True)
class Mnist1d:
    """The three splits as float32 arrays ``(n, 1, 40)`` and int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def split_hash(self) -> str:
        """SHA-256 over every array of the split, in a fixed order."""
        return _hash(self.x_train, self.y_train, self.x_valid, self.y_valid, self.x_test, self.y_test)


def _hash(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _cache_dir() -> Path:
    return Path(os.environ.get("NASBENCH_CACHE") or Path.home() / ".cache" / "nasbench")


def _generate() -> Mnist1d:
    from mnist1d.data import make_dataset  # imported late: only the trainer needs the package

    # make_dataset seeds numpy's global generator itself (with its default seed 42); our own code
    # never reads that generator, so the side effect cannot change any nasbench result.
    raw = make_dataset()
    x = raw["x"].astype(np.float32)[:, None, :]
    y = raw["y"].astype(np.int64)
    n_train = len(y) - N_VALID
    return Mnist1d(x[:n_train], y[:n_train], x[n_train:], y[n_train:],
                   raw["x_test"].astype(np.float32)[:, None, :], raw["y_test"].astype(np.int64))


@lru_cache(maxsize=1)
def load_mnist1d() -> Mnist1d:
    """The MNIST-1D split (generated once, then read from the cache and checked against its hash)."""
    path = _cache_dir() / "mnist1d-split.npz"
    if path.is_file():
        try:
            with np.load(path) as stored:
                data = Mnist1d(*(stored[k] for k in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")))
                recorded = str(stored["split_hash"])
            if data.split_hash == recorded:
                return data
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache is simply regenerated
    data = _generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mnist1d-", suffix=".npz", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, x_train=data.x_train, y_train=data.y_train, x_valid=data.x_valid,
                 y_valid=data.y_valid, x_test=data.x_test, y_test=data.y_test, split_hash=data.split_hash)
    os.replace(tmp, path)
    return data


def load_dataset(name: str) -> Mnist1d:
    """The dataset called ``name`` (only ``"mnist1d"`` exists)."""
    if name not in DATASETS:
        raise NasbenchError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    return load_mnist1d()
