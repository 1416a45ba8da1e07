"""One set of rules for a run's arguments (nasbench.validate): the API takes what the CLI takes, in
the CLI's forms, and refuses what it refuses, with the same sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nasbench
from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.study import plan
from nasbench.validate import check_budget, objective_names, penalty_weights


def _frame(**kwargs: Any) -> Any:
    return nasbench.run("rs", "nbgraph-cora", seed=1, max_evals=8, **kwargs).to_frame()


def test_run_takes_the_cli_forms_of_objectives_and_penalty() -> None:
    as_text = _frame(objectives=" valid_accuracy, latency", penalty="latency=0.1,params=0.2")
    as_values = _frame(objectives=("valid_accuracy", "latency"), penalty={"latency": 0.1, "params": 0.2})
    assert as_text.equals(as_values) and "hv_regret" in as_text


def test_pareto_front_takes_a_comma_string() -> None:
    bench = nasbench.load("nbgraph-cora")
    assert np.array_equal(bench.pareto_front("valid_accuracy,latency"),
                          bench.pareto_front(("valid_accuracy", "latency")))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"objectives": ("latency",)}, r"give 2 or 3 objectives, not 1 \('latency'\)"),
    ({"objectives": "latency"}, r"give 2 or 3 objectives, not 1 \('latency'\)"),
    ({"objectives": "valid_accuracy,"}, "an empty name"),
    ({"objectives": "latency,latency"}, "twice"),
    ({"objectives": 3}, "objectives are 2 or 3 metric names"),
    ({"objectives": b"latency,params"}, "objectives are 2 or 3 metric names"),
    ({"penalty": 0.1}, r"penalty is a mapping \{metric: lambda\} or text"),
    ({"penalty": ["latency=0.1"]}, "penalty is a mapping"),
    ({"penalty": "latency"}, "penalty takes METRIC=LAMBDA"),
    ({"penalty": "latency=0.1,latency=0.2"}, "penalty names 'latency' twice"),
    ({"penalty": "latency=inf"}, "LAMBDA a finite number >= 0"),
    ({"penalty": {"latency": True}}, "the penalty weight of latency must be a finite number >= 0"),
    ({"penalty": {3: 0.1}}, "penalty metrics are metric names"),
    ({"max_time": 5.0}, r"give one budget, max_evals \(evaluations\) or max_time \(simulated seconds\), not both"),
])
def test_run_refuses_what_the_cli_refuses_in_one_sentence(kwargs: dict, message: str) -> None:
    with pytest.raises(NasbenchError, match=message) as caught:
        nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=5, **kwargs)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("objectives", "penalty"), [("latency", None), (None, "latency=-1"),
                                                     ("valid_accuracy,test_accuracy", None)])
def test_the_api_and_both_commands_say_the_same_sentence(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                        objectives: str | None, penalty: str | None) -> None:
    with pytest.raises(NasbenchError) as api:
        nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=5, objectives=objectives, penalty=penalty)
    with pytest.raises(NasbenchError) as planned:
        plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=5, objectives=objectives or (), penalty=penalty)
    flags = [*(["--objectives", objectives] if objectives else []), *(["--penalty", penalty] if penalty else [])]
    assert main(["run", "rs", "nbgraph-cora", "--seed", "0", "--evals", "5", *flags]) == 2
    run_error = capsys.readouterr().err.strip()
    out = tmp_path / "study"
    assert main(["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "--seeds", "1", "--evals", "5",
                 "--out", str(out), "--no-progress", *flags]) == 2
    assert str(api.value) == str(planned.value)
    assert run_error == capsys.readouterr().err.strip() == f"nasbench: error: {api.value}"
    assert not out.exists()


def test_repeated_penalty_flags_and_a_comma_list_are_the_same_penalty(tmp_path: Path) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    base = ["run", "rs", "nbgraph-cora", "--seed", "0", "--evals", "6"]
    assert main([*base, "--penalty", "latency=0.1,params=0.2", "--out", str(one)]) == 0
    assert main([*base, "--penalty", "latency=0.1", "--penalty", "params=0.2", "--out", str(two)]) == 0
    assert one.read_text() == two.read_text()
    assert nasbench.Trace.load(one).meta.penalty == '{"latency": 0.1, "params": 0.2}'


def test_plan_refuses_two_budgets_before_any_run() -> None:
    with pytest.raises(NasbenchError, match="give one budget"):
        plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=5, max_time=3.0)
    with pytest.raises(NasbenchError, match=r"give one budget, max_evals \(evaluations\) or time_units"):
        plan(["mlp-mnist1d"], ["rs"], seeds=1, max_evals=5, time_units=3.0)
    specs = plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=5, objectives="valid_accuracy, latency",
                 penalty="params=0.5")
    assert specs[0].objectives == "valid_accuracy,latency" and specs[0].penalty == '{"params": 0.5}'


def test_the_rules_alone() -> None:
    assert objective_names([], required=False) == objective_names(None, required=False) == ()
    with pytest.raises(NasbenchError, match="not None"):
        objective_names(None)
    assert penalty_weights({}) == penalty_weights(None) == {}
    assert penalty_weights({"latency": np.float32(0.5)}) == {"latency": 0.5}
    check_budget(np.int64(3), None, np.int32(2))
    with pytest.raises(NasbenchError, match="max_time must be a positive finite number"):
        check_budget(None, np.float64("inf"))
    with pytest.raises(NasbenchError, match="time_units must be a positive finite number"):
        check_budget(None, None, time_units=-1)


def test_a_path_the_system_cannot_encode_is_one_sentence(tmp_path: Path) -> None:
    trace = nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=2)
    for path in ("a\x00b.csv", "\ud800.csv", "x" * 5_000):
        with pytest.raises(NasbenchError, match="cannot save the trace"):
            trace.save(tmp_path / path)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"benchmarks": []}, "no benchmark to run: benchmarks is empty"),
    ({"benchmarks": "nbgraph-cora"}, r"benchmarks must be a sequence of table names, .* not 'nbgraph-cora'"),
    ({"benchmarks": [3]}, "benchmarks must be a sequence of table names"),
    ({"strategies": "rs"}, r"strategies must be a sequence of strategy names, .* not 'rs'"),
    ({"options": ["rea.population_size=3"]}, "options map strategy names to their options"),
    ({"benchmarks": ["x" * 100_000]}, r"unknown benchmark 'x+\.\.\.x+' \(100002 characters\); known"),
])
def test_plan_refuses_what_no_study_can_run_in_one_short_sentence(kwargs: dict, message: str) -> None:
    arguments = {"benchmarks": ["nbgraph-cora"], "strategies": ["rs"], "seeds": 1, "max_evals": 5, **kwargs}
    with pytest.raises(NasbenchError, match=message) as caught:
        plan(**arguments)
    assert len(str(caught.value)) < 1000


def test_a_budget_past_the_evaluation_cap_is_refused_up_front(capsys: pytest.CaptureFixture[str]) -> None:
    # issue #26 item 2: this command ran 419 s and was killed at 24 GB RSS
    assert main(["run", "rs", "nbgraph-cora", "--seed", "0", "--evals", "99999999999999999999999"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "max_evals is at most 1,000,000" in err
    with pytest.raises(NasbenchError, match="at most 1,000,000"):
        nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=1_000_001)
    check_budget(1_000_000, None)


def test_a_time_budget_stops_at_the_evaluation_cap_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from nasbench import simulate

    monkeypatch.setattr(simulate, "MAX_EVALS", 50)
    with pytest.raises(NasbenchError, match="the time budget allows more than 50 evaluations"):
        nasbench.run("rs", "nbgraph-cora", seed=0, max_time=1e12)
    assert len(nasbench.run("rs", "nbgraph-cora", seed=0, max_time=1e-6).to_frame()) <= 50
