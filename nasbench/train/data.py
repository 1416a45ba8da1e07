"""MNIST-1D, generated offline, with one fixed train/valid/test split.

The ``mnist1d`` package's ``make_dataset`` builds 5,000 one-dimensional digit signals of length 40
from ten templates (default arguments, its fixed seed 42; nothing is downloaded). It returns 4,000
training and 1,000 test signals; we keep the last 1,000 training signals as the validation split, so
the split is train 3,000 / valid 1,000 / test 1,000. ``split_hash`` is the SHA-256 of the arrays in
that order, and every table built from them stores it, so a table can be checked against the data.

Two variants change the generator's own arguments (``VARIANTS``), keeping its seed and every other
default: ``mnist1d-noisy`` doubles the correlated noise (``corr_noise_scale`` 0.25 -> 0.5) and
multiplies the i.i.d. noise by five (``iid_noise_scale`` 0.02 -> 0.1); ``mnist1d-shifted`` allows
larger shifts (``max_translation`` 48 -> 72, so a digit can wrap round the padded signal). Each is
split and hashed exactly as the main split and cached under its own name.

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

#: dataset name -> the arguments of ``mnist1d.data.make_dataset`` that differ from its defaults
VARIANTS: dict[str, dict[str, float]] = {
    "mnist1d": {},
    "mnist1d-noisy": {"corr_noise_scale": 0.5, "iid_noise_scale": 0.1},
    "mnist1d-shifted": {"max_translation": 72},
}
DATASETS = tuple(VARIANTS)
N_VALID = 1000
N_CLASSES = 10
_SPLIT = ("(seed 42, 5,000 signals of length 40); train = its first 3,000 training signals, "
          "valid = its last 1,000 training signals, test = its 1,000 test signals")
#: what the main split is, in words (stored in every table's attributes; see :func:`split_description`)
SPLIT_DESCRIPTION = f"mnist1d.data.make_dataset() with default arguments {_SPLIT}"


def split_description(name: str) -> str:
    """What the split of dataset ``name`` is, in words.

    Example:
        >>> split_description("mnist1d-shifted")[:76]
        'mnist1d.data.make_dataset() with default arguments except max_translation=72'
    """
    changed = ", ".join(f"{key}={value}" for key, value in _variant(name).items())
    if not changed:
        return SPLIT_DESCRIPTION
    return f"mnist1d.data.make_dataset() with default arguments except {changed} {_SPLIT}"


def _variant(name: str) -> dict[str, float]:
    if name not in VARIANTS:
        raise NasbenchError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    return VARIANTS[name]


@dataclass(frozen=True)
class Mnist1d:
    """The three splits as float32 arrays ``(n, 1, 40)`` and int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str = "mnist1d"

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


def _generate(name: str) -> Mnist1d:
    from mnist1d.data import get_dataset_args, make_dataset  # imported late: only the trainer needs the package

    # make_dataset seeds numpy's global generator itself (with its default seed 42); our own code
    # never reads that generator, so the side effect cannot change any nasbench result.
    args = get_dataset_args()
    for key, value in _variant(name).items():
        setattr(args, key, value)
    raw = make_dataset(args)
    x = raw["x"].astype(np.float32)[:, None, :]
    y = raw["y"].astype(np.int64)
    n_train = len(y) - N_VALID
    return Mnist1d(x[:n_train], y[:n_train], x[n_train:], y[n_train:],
                   raw["x_test"].astype(np.float32)[:, None, :], raw["y_test"].astype(np.int64), name)


def load_mnist1d() -> Mnist1d:
    """The main MNIST-1D split (generated once, then read from the cache and checked against its hash)."""
    return load_dataset("mnist1d")


@lru_cache(maxsize=len(VARIANTS))
def load_dataset(name: str) -> Mnist1d:
    """The split of dataset ``name`` (one of :data:`DATASETS`), cached and checked like :func:`load_mnist1d`."""
    _variant(name)
    path = _cache_dir() / f"{name}-split.npz"
    if path.is_file():
        try:
            with np.load(path) as stored:
                arrays = {k: stored[k] for k in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")}
                data = Mnist1d(**arrays, name=name)
                recorded = str(stored["split_hash"])
            if data.split_hash == recorded:
                return data
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache is simply regenerated
    data = _generate(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mnist1d-", suffix=".npz", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, x_train=data.x_train, y_train=data.y_train, x_valid=data.x_valid,
                 y_valid=data.y_valid, x_test=data.x_test, y_test=data.y_test, split_hash=data.split_hash)
    os.replace(tmp, path)
    return data

