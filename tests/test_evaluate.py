"""The evaluator: one call per job (value, cost, objectives, live fill) and a run on a partial table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scripted import Scripted

import nasbench
from nasbench.simulate import Job, run

ARCHS = ["layers=1,width=16,act=relu,dropout=0,lr=0.01", "layers=1,width=16,act=tanh,dropout=0,lr=0.01",
         "layers=1,width=32,act=relu,dropout=0,lr=0.01"]


@pytest.fixture
def partial_table(tmp_path: Path) -> Path:
    """A real learning-curve table built by the trainer with one of its 720 rows trained."""
    pytest.importorskip("torch")
    from nasbench.train.builder import build
    from nasbench.train.schedule import Schedule

    out = tmp_path / "partial.h5"
    (tmp_path / "archs.txt").write_text(ARCHS[0] + "\n")
    build("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=out, archs_file=tmp_path / "archs.txt", workers=1,
          schedule=Schedule(epochs=2, train_examples=100, batch_size=50), progress=False)
    return out


def test_a_run_on_a_partial_table_trains_the_misses_and_marks_them_live(partial_table: Path) -> None:
    bench = nasbench.load(partial_table, on_miss="train")
    space = bench.space
    jobs = [Job(space.parse(ARCHS[0])), Job(space.parse(ARCHS[1]), fidelity=1.0), Job(space.parse(ARCHS[2])),
            Job(space.parse(ARCHS[1]), fidelity=2.0, resume_from=1.0)]
    frame = run(Scripted(jobs), bench, seed=0, max_evals=10).to_frame()
    assert frame["arch"].tolist() == [ARCHS[0], ARCHS[1], ARCHS[2], ARCHS[1]]
    assert frame["live"].tolist() == [False, True, True, False]  # the last reads what the second stored
    assert np.isfinite(frame[["valid", "cost", "incumbent_valid", "incumbent_test"]].to_numpy()).all()
    times = nasbench.load(partial_table).query_many([bench.row(ARCHS[1])], "train_time", fidelity=2.0, seed=0)
    first = nasbench.load(partial_table).query_many([bench.row(ARCHS[1])], "train_time", fidelity=1.0, seed=0)
    assert frame["cost"].iloc[3] == pytest.approx(times[0] - first[0])
