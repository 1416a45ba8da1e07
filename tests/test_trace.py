"""The trace schema: plain-CSV files with a JSON sidecar, the older single-file format, objective
columns, study records, and the one orientation/regret function."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nasbench
from nasbench.errors import NasbenchError
from nasbench.simulate import run
from nasbench.trace import COLUMNS, LEGACY_MAGIC, Trace, orient, regret, sidecar


@pytest.fixture(scope="module")
def trace() -> Trace:
    return run("rea", "nbgraph-cora", seed=4, max_evals=30, workers=2, objectives=("latency", "params"))


@pytest.mark.parametrize(("where", "message"), [
    ("directory", r"cannot save the trace to '.*': it is a directory; name a file, e.g. '.*trace.csv'$"),
    ("missing folder", r"cannot save the trace to '.*t.csv': No such file or directory$"),
    ("sidecar a directory", r"cannot save the trace to '.*t.csv': Is a directory$"),
    ("none", "a trace is saved to a file path, e.g. trace.csv, not None"),
])
def test_saving_where_a_trace_cannot_go_is_one_sentence(trace: Trace, tmp_path: Path, where: str,
                                                         message: str) -> None:
    path = {"directory": tmp_path, "missing folder": tmp_path / "absent" / "t.csv", "none": None,
            "sidecar a directory": tmp_path / "t.csv"}[where]
    if where == "sidecar a directory":
        (tmp_path / "t.csv.json").mkdir()
    with pytest.raises(NasbenchError, match=message):
        trace.save(path)  # type: ignore[arg-type]


def test_plain_pandas_reads_the_csv_and_the_metadata_is_beside_it(trace: Trace, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    trace.save(path)
    frame = pd.read_csv(path)
    assert list(frame.columns) == list(trace.to_frame().columns)
    assert len(frame) == 30 and frame["row"].dtype == np.int64 and frame["live"].dtype == bool
    assert json.loads(sidecar(path).read_text())["strategy"] == "rea"
    loaded = Trace.load(path)
    assert loaded.meta == trace.meta
    pd.testing.assert_frame_equal(loaded.to_frame(), trace.to_frame(), check_exact=False, rtol=1e-9)


def test_the_older_single_file_format_still_loads(trace: Trace, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    meta = {k: v for k, v in asdict(trace.meta).items() if k not in ("objectives", "objective_higher_is_better")}
    with open(path, "w") as f:
        f.write(LEGACY_MAGIC + json.dumps(meta) + "\n")
        trace.to_frame().drop(columns=["latency", "params"]).to_csv(f, index=False)
    loaded = Trace.load(path)
    assert loaded.meta.objectives == () and loaded.meta.seed == 4
    assert (loaded.columns["row"] == trace.columns["row"]).all()


def test_a_csv_without_its_metadata_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bare.csv").write_text("start,end\n1,2\n")
    with pytest.raises(NasbenchError, match="not a nasbench trace"):
        Trace.load(tmp_path / "bare.csv")


def test_declared_objectives_are_trace_columns_with_raw_table_values(trace: Trace) -> None:
    bench = nasbench.load("nbgraph-cora")
    frame = trace.to_frame()
    assert list(frame.columns[len(COLUMNS) + 1:]) == ["latency", "params", "hv_regret", "hv_regret_test", "regret"]
    assert trace.meta.objectives == ("latency", "params") and trace.meta.objective_higher_is_better == (False, False)
    rows, seeds = frame["row"].to_numpy(), np.zeros(len(frame), dtype=int)
    assert np.array_equal(frame["latency"].to_numpy(), bench.metric_values("latency")[rows, seeds, -1])


def test_study_records_round_trip(trace: Trace) -> None:
    record = json.loads(json.dumps(trace.to_record()))
    again = Trace.from_record(record)
    assert again.meta == trace.meta and again.columns.keys() == trace.columns.keys()
    assert all(np.array_equal(again.columns[k], trace.columns[k]) for k in trace.columns)


def test_orientation_and_regret() -> None:
    assert orient(3.0, True) == 3.0 and orient(3.0, False) == -3.0
    assert regret(0.5, 0.75, True) == 0.25 and regret(0.75, 0.5, False) == 0.25
    assert np.array_equal(regret(np.array([1.0, 2.0]), 3.0, True), [2.0, 1.0])
    bench = nasbench.load("nbgraph-cora")
    assert bench.regret(bench.optimum("valid_accuracy")[1], "valid_accuracy") == 0.0
