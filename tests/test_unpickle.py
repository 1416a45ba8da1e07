"""The restricted unpickler refuses payloads that would run code, and runs nothing."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from nasbench.importers.nbgraph import read_light
from nasbench.importers.unpickle import NUMPY_SCALARS, UnsafePickleError, restricted_loads


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_code_running_pickle_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    data = pickle.dumps({0: {"valid_perf": _Payload(marker)}})
    with pytest.raises(UnsafePickleError, match="refused"):
        restricted_loads(data, NUMPY_SCALARS, what="a hostile file")
    assert not marker.exists()


def test_nbgraph_reader_refuses_a_hostile_bench_file(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hostile = tmp_path / "cora.bench"
    hostile.write_bytes(pickle.dumps({0: _Payload(marker)}, protocol=3))
    with pytest.raises(UnsafePickleError, match="posix.system|os.system|nt.system"):
        read_light(hostile)
    assert not marker.exists()


def test_allowed_numpy_scalars_load() -> None:
    value = restricted_loads(pickle.dumps({"a": np.float64(0.25)}), NUMPY_SCALARS, what="x")
    assert value == {"a": 0.25}


def test_truncated_pickle_is_a_clear_error() -> None:
    data = pickle.dumps({"a": [1, 2, 3]})
    with pytest.raises(Exception, match="not a valid pickle"):
        restricted_loads(data[:-3], NUMPY_SCALARS, what="a truncated file")
