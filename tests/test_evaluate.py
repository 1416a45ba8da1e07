"""The evaluator: one call per job (value, cost, objectives, live fill) and a run on a partial table."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from scripted import Scripted

import nasbench
from nasbench.simulate import Job, run
from nasbench.table import Table, TableContents, write_table

ARCHS = ["layers=1,width=16,act=relu,dropout=0,lr=0.01", "layers=1,width=16,act=tanh,dropout=0,lr=0.01",
         "layers=1,width=32,act=relu,dropout=0,lr=0.01"]


@pytest.fixture
def partial_table(tmp_path: Path) -> Path:
    """A real learning-curve table built by the trainer with one of its 720 rows trained."""
    pytest.importorskip("torch")
    from nasbench.train.builder import BuildRequest, build
    from nasbench.train.schedule import Schedule

    out = tmp_path / "partial.h5"
    (tmp_path / "archs.txt").write_text(ARCHS[0] + "\n")
    build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=out, archs_file=tmp_path / "archs.txt",
                       workers=1, schedule=Schedule(epochs=2, train_examples=100, batch_size=50), progress=False))
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


def _write_copy(source: Table, path: Path, *, drop_rows: tuple[int, ...] = ()) -> Path:
    """A copy of ``source`` at ``path`` with every entry of ``drop_rows`` missing."""
    metrics = {}
    for name, info in source.metrics.items():
        values = np.array(source.metric(name), dtype=np.float64)
        values[list(drop_rows)] = np.nan
        metrics[name] = (values, info)
    write_table(path, TableContents(
        name=path.stem, space=source.space, archs=source.archs.tolist(),
        codes=source.dataset("index/code"), seeds=source.seeds.tolist(),
        fidelities=source.fidelities.tolist(), fidelity_unit=source.fidelity_unit, metrics=metrics,
        source="test copy", licence="test", version="1", search_metric=source.search_metric,
        test_metric=source.test_metric, cost_metric=source.cost_metric))
    return path


def test_a_refreshed_table_is_read_again_by_the_evaluator(tmp_path: Path) -> None:
    """A miss handler that stores the entry and hands over the new table: the run reads the new
    version's value, cost and objectives (no torch needed)."""
    shipped = nasbench.load("mlp-mnist1d")
    row = 17
    partial = _write_copy(shipped.table, tmp_path / "partial.h5", drop_rows=(row,))
    complete = _write_copy(shipped.table, tmp_path / "complete.h5")
    bench = nasbench.load(partial, on_miss="train")  # an imported table: no trainer of its own
    filled = []

    def fill(benchmark: nasbench.Benchmark, missing_row: int, fidelity: float | None, seed: int | None) -> None:
        filled.append(missing_row)
        os.replace(complete, partial)
        benchmark.refresh()

    bench.set_miss_handler(fill)
    revision = bench.revision
    jobs = [Job(bench.space.arch_of_row(3), fidelity=2.0), Job(bench.space.arch_of_row(row), fidelity=4.0),
            Job(bench.space.arch_of_row(row), fidelity=6.0, resume_from=4.0)]
    frame = run(Scripted(jobs), bench, seed=0, max_evals=5, objectives=("params", "valid_accuracy")).to_frame()
    assert filled == [row] and bench.revision == revision + 1
    assert frame["live"].tolist() == [False, True, False]
    seeds = [int(np.flatnonzero(shipped.seeds == s)[0]) for s in frame["seed"]]
    time = shipped.metric_values("train_time")[row]
    assert frame["cost"].tolist()[1:] == pytest.approx([time[seeds[1], 3], time[seeds[2], 5] - time[seeds[2], 3]])
    assert frame["params"].iloc[1] == shipped.metric_values("params")[row, seeds[1], 3]
    assert frame["incumbent_test"].notna().all()
