"""The equal-time report: one run per seed gives every smaller budget; regret at a time; log-time mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curve_fixture import make_curve_table

import nasbench
from nasbench.errors import NasbenchError
from nasbench.report.equal_time import (
    ENTRIES,
    equal_time_runs,
    equal_time_table,
    log_time_mean,
    main,
    regret_at,
    time_unit,
)
from nasbench.simulate import run


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("equal_time") / "curves.h5"))


@pytest.mark.parametrize("label, strategy, options", ENTRIES)
def test_a_longer_run_starts_as_the_shorter_one(curves: nasbench.Benchmark, label: str, strategy: str,
                                                options: dict) -> None:
    """What lets one run per seed stand for every smaller budget: no strategy sees its budget."""
    unit = time_unit(curves)
    short = run(strategy, curves, seed=5, max_time=12 * unit, **options).to_frame()
    long = run(strategy, curves, seed=5, max_time=40 * unit, **options).to_frame()
    assert len(long) > len(short)
    pd.testing.assert_frame_equal(long.iloc[:len(short)], short)


def _runs(ends: list[float], regrets: list[float], strategy: str = "s", seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"benchmark": "b", "strategy": strategy, "seed": seed,
                         "evaluation": np.arange(1, len(ends) + 1), "time": ends, "regret": regrets})


def test_regret_at_counts_only_finished_evaluations() -> None:
    runs = _runs([2.0, 5.0, 9.0], [0.3, 0.2, 0.1])
    table = regret_at(runs, np.array([1.0, 2.0, 4.9, 5.0, 100.0]))
    assert np.isnan(table.iloc[0, 0])
    assert table.iloc[0, 1:].tolist() == [0.3, 0.3, 0.2, 0.1]


def test_log_time_mean_is_the_area_on_a_log_axis() -> None:
    # regret 0.4 from time 1 to 10, then 0.1 until 100: half of the log axis each
    runs = pd.concat([_runs([1.0, 10.0], [0.4, 0.1]), _runs([1.0], [0.4], seed=1)])
    means = log_time_mean(runs, 1.0, 100.0)
    assert means.loc[("s", 0)] == pytest.approx(0.25, abs=0.3 / 200)
    assert means.loc[("s", 1)] == pytest.approx(0.4)
    with pytest.raises(NasbenchError, match="no result by time 0.5"):
        log_time_mean(runs, 0.5, 100.0)
    with pytest.raises(NasbenchError, match="0 < start < stop"):
        log_time_mean(runs, 10.0, 1.0)


def test_runs_carry_the_entry_labels(curves: nasbench.Benchmark) -> None:
    entries = (("rs", "rs", {}), ("bohb preset=nb201", "bohb", {"preset": "nb201"}))
    runs = equal_time_runs(curves, 5, 2, entries)
    assert sorted(runs["strategy"].unique()) == ["bohb preset=nb201", "rs"]
    assert runs.groupby("strategy")["seed"].unique().map(sorted).tolist() == [[0, 1], [0, 1]]
    assert runs["time"].max() < 5 * time_unit(curves) + runs.groupby(["strategy", "seed"])["time"].diff().max()


def test_table_lists_every_entry_and_budget(curves: nasbench.Benchmark, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nasbench.report.equal_time.load", lambda name: curves)
    entries = (("rs", "rs", {}), ("hyperband", "hyperband", {}))
    text = equal_time_table("curves", (3, 10), 4, area=(3, 10), entries=entries)
    lines = text.splitlines()
    assert lines[2] == "| strategy | `3` units | `10` units | log-time mean, 3-10 units |"
    assert lines[4].startswith("| rs | ") and " p " not in lines[4]
    assert lines[5].startswith("| hyperband | ") and lines[5].count(" p ") == 3
    with pytest.raises(NasbenchError, match="positive"):
        equal_time_table("curves", (0, 10), 4, entries=entries)
    with pytest.raises(NasbenchError, match="baseline"):
        equal_time_table("curves", (10,), 4, entries=entries[1:])


def test_command_line_errors_are_clear(capsys: pytest.CaptureFixture) -> None:
    assert main(["no-such-table", "10", "3"]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["nbgraph-cora", "10", "3"]) == 2
    assert "records no training cost" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["nb201-mnist1d", "10,x", "3"])
    assert exit_info.value.code == 2 and "comma-separated numbers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["nb201-mnist1d", "10", "3", "--area", "10"])
    assert "START,STOP" in capsys.readouterr().err
