"""The Ray executor on a local Ray with 2 CPUs gives the local executor's traces, run for run.

Needs the ``ray`` extra (``pip install -e .[ray]``); skipped with that reason where Ray is absent.
"""

from __future__ import annotations

import pytest

from nasbench.study import StudyFile, plan, run_study

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e .[ray])")


def test_ray_executor_matches_the_local_executor(tmp_path):
    specs = plan(["nbgraph-cora", "nbgraph-citeseer"], ["rs", "rea"], seeds=3, max_evals=40, workers=2)
    run_study(specs, tmp_path / "ray.jsonl", executor="ray", jobs=2, progress=False)
    run_study(specs, tmp_path / "local.jsonl", executor="local", jobs=1, progress=False)
    on_ray = StudyFile.read(tmp_path / "ray.jsonl").records
    local = StudyFile.read(tmp_path / "local.jsonl").records
    assert len(on_ray) == len(specs) and on_ray == local
    assert not ray.is_initialized()  # the executor shuts down the Ray it started
