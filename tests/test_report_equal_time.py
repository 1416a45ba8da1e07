"""The equal-time section: one run per seed gives every smaller budget; regret at a time; log-time mean;
the preset runs through the study driver and its table reads the curves at the preset's budgets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curve_fixture import make_curve_table

import nasbench
from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.report.anytime import runs_frame
from nasbench.report.equal_time import equal_time_table, log_time_mean, regret_at
from nasbench.simulate import run
from nasbench.study import PRESETS, time_unit

ENTRIES = PRESETS["equal-time"].entries


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("equal_time") / "curves.h5"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.label() for entry in ENTRIES])
def test_a_longer_run_starts_as_the_shorter_one(curves: nasbench.Benchmark, entry) -> None:
    """What lets one run per seed stand for every smaller budget: no strategy sees its budget."""
    unit = time_unit(curves)
    short = run(entry.strategy, curves, seed=5, max_time=12 * unit, **entry.options).to_frame()
    long = run(entry.strategy, curves, seed=5, max_time=40 * unit, **entry.options).to_frame()
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


def test_table_lists_every_strategy_and_budget(curves: nasbench.Benchmark) -> None:
    unit = time_unit(curves)
    traces = [run(s, curves, seed=seed, max_time=10 * unit) for s in ("rs", "hyperband") for seed in range(4)]
    table = equal_time_table(runs_frame(traces), unit, (3, 10), area=(3, 10))
    assert list(table.columns) == ["strategy", "3 units", "10 units", "log-time mean, 3-10 units"]
    assert table["strategy"].tolist() == ["rs", "hyperband"]
    assert all(" p " not in cell for cell in table.iloc[0, 1:])
    assert all(cell.count(" p ") == 1 for cell in table.iloc[1, 1:])
    with pytest.raises(NasbenchError, match="positive"):
        equal_time_table(runs_frame(traces), unit, (0, 10))
    with pytest.raises(NasbenchError, match="baseline"):
        equal_time_table(runs_frame(traces[4:]), unit, (10,))


def test_preset_runs_through_the_study_driver(tmp_path, capsys) -> None:
    """``--preset equal-time`` with a reduced grid: every entry, labelled by its options; the table at the
    preset's budgets up to the runs' end, the area cut there."""
    out = tmp_path / "et"
    assert main(["compare", "--preset", "equal-time", "--seeds", "2", "--time-units", "20", "--jobs", "1",
                 "--out", str(out), "--no-progress"]) == 0
    page = (out / "report.md").read_text()
    assert "## Test regret at equal simulated time" in page
    assert "| benchmark | strategy | 10 units | 20 units | log-time mean, 10-20 units |" in page
    for entry in ENTRIES:
        assert f"| mlp-mnist1d (1 unit = 0.3199 s) | {entry.label()} |" in page
    assert "time_units" in (out / "study.jsonl").read_text().splitlines()[0]


def test_preset_refuses_its_own_grid_changed_and_unit_cost_tables(tmp_path, capsys) -> None:
    out = str(tmp_path / "x")
    assert main(["compare", "--preset", "equal-time", "--strategies", "rs", "--out", out]) == 2
    assert "fixes the strategies" in capsys.readouterr().err
    assert main(["compare", "--preset", "equal-time", "--benchmarks", "nbgraph-cora", "--out", out]) == 2
    assert "records no training cost" in capsys.readouterr().err
