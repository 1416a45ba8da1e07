"""Exact Pareto fronts against brute force on every shipped table; HV regret, IGD+ and the trace's
HV-regret columns; objective, penalty and resource-target checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nasbench
from nasbench import pareto
from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.evaluate import TableEvaluator
from nasbench.protocol import make_strategy
from nasbench.simulate import run
from nasbench.trace import Trace

pytest.importorskip("moocore")


def _dominates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[i, j]``: point ``a[i]`` dominates point ``b[j]`` (minimised)."""
    return np.all(a[:, None, :] <= b[None, :, :], axis=2) & np.any(a[:, None, :] < b[None, :, :], axis=2)


def _check_front(points: np.ndarray, front: np.ndarray) -> None:
    """Exact, by brute force over pairs with the front: no point dominates a front point, and every
    other point is dominated by a front point (a dominated point is dominated by a non-dominated one)."""
    members = np.zeros(len(points), dtype=bool)
    members[front] = True
    for start in range(0, len(points), 4096):
        chunk = points[start:start + 4096]
        assert not _dominates(chunk, points[front]).any()
        beaten = _dominates(points[front], chunk).any(axis=0)
        assert (beaten == ~members[start:start + 4096]).all()


def _objective_sets(bench: nasbench.Benchmark) -> list[tuple[str, ...]]:
    costs = [m for m in ("params", "latency", "flops", "train_time") if m in bench.metrics]
    return [(bench.search_metric, costs[0]), (bench.search_metric, *costs[:2])]


@pytest.mark.parametrize("name", nasbench.list_benchmarks())
def test_exact_fronts_equal_brute_force_on_every_table(name: str) -> None:
    bench = nasbench.load(name)
    for objectives in _objective_sets(bench):
        for split in ("valid", "test"):
            names = [pareto.counterpart(bench, o) if split == "test" else o for o in objectives]
            raw = np.column_stack([bench.final(m) * (-1 if bench.metric_info(m).higher_is_better else 1)
                                   for m in names])
            present = np.flatnonzero(~np.isnan(raw).any(axis=1))
            front = bench.pareto_front(objectives, split)
            assert np.isin(front, present).all() and (np.diff(front) > 0).all()
            _check_front(raw[present], np.searchsorted(present, front))
            assert bench.pareto_front(objectives, split) is front  # cached


def test_hypervolume_regret_and_igd_plus() -> None:
    bench = nasbench.load("nbgraph-cora")
    objectives = ("valid_accuracy", "latency")
    front = bench.pareto_front(objectives)
    assert pareto.hv_regret(bench, objectives, front) == pytest.approx(0.0, abs=1e-12)
    assert pareto.igd_plus(bench, objectives, front) == pytest.approx(0.0, abs=1e-12)
    some = np.arange(50)
    assert pareto.hv_regret(bench, objectives, some) > 0 and pareto.igd_plus(bench, objectives, some) > 0
    # a single normalised point (a, b) dominates the box (1.1 - a) x (1.1 - b)
    assert pareto.hypervolume(np.array([[0.1, 0.6]])) == pytest.approx(1.0 * 0.5)
    points = pareto.normalised(bench, objectives)
    assert np.nanmin(points, axis=0).tolist() == [0.0, 0.0] and np.nanmax(points, axis=0).tolist() == [1.0, 1.0]


def test_trace_records_the_archives_hv_regret_after_every_evaluation(tmp_path: Path) -> None:
    bench = nasbench.load("nbgraph-cora")
    objectives = ("valid_accuracy", "latency")
    trace = run("rs", bench, seed=3, max_evals=40, objectives=objectives)
    frame = trace.to_frame()
    assert (np.diff(frame["hv_regret"]) <= 1e-12).all()  # the archive only grows
    rows = frame["row"].to_numpy()
    for step in (0, 9, 39):
        archive = rows[:step + 1]
        assert frame["hv_regret"].iloc[step] == pytest.approx(pareto.hv_regret(bench, objectives, archive))
        chosen = archive[pareto.nondominated(pareto.normalised(bench, objectives)[archive])]
        assert frame["hv_regret_test"].iloc[step] == pytest.approx(
            pareto.hv_regret(bench, objectives, chosen, split="test"))
    trace.save(tmp_path / "t.csv")
    loaded = Trace.load(tmp_path / "t.csv")
    assert np.allclose(loaded.columns["hv_regret_test"], trace.columns["hv_regret_test"])
    again = Trace.from_record(json.loads(json.dumps(trace.to_record())))
    assert np.allclose(again.columns["hv_regret"], trace.columns["hv_regret"])
    single = run("rs", bench, seed=3, max_evals=5).to_frame()
    assert "hv_regret" not in single  # runs without objectives keep the scalar schema


def test_only_final_fidelity_evaluations_enter_the_archive() -> None:
    trace = run("sh", "mlp-mnist1d", seed=0, max_evals=20, objectives=("valid_accuracy", "params")).to_frame()
    first_final = int(np.argmax(trace["fidelity"].to_numpy() == trace["fidelity"].max()))
    before = trace["hv_regret"].iloc[:first_final]
    assert (before == before.iloc[0]).all()


class _Fake:
    """A benchmark stand-in whose ``flat`` metric is constant and ``gone`` missing everywhere."""

    name = "fake"

    def __init__(self) -> None:
        real = nasbench.load("nbgraph-cora")
        self.real = real
        self.metrics = {**real.metrics, "flat": real.metrics["params"], "gone": real.metrics["params"]}

    def metric_info(self, metric: str):
        return self.real.metric_info("params" if metric in ("flat", "gone") else metric)

    def final(self, metric: str) -> np.ndarray:
        if metric == "flat":
            return np.full(10, 3.0)
        if metric == "gone":
            return np.full(10, np.nan)
        return self.real.final(metric)


@pytest.mark.parametrize(("objectives", "message"), [
    (("valid_accuracy",), "2 or 3 objectives"),
    (("valid_accuracy", "latency", "params", "valid_accuracy"), "2 or 3 objectives"),
    (("latency", "latency"), "twice"),
    (("valid_accuracy", "test_accuracy"), "test metric"),
    (("valid_accuracy", "nope"), "no metric 'nope'"),
])
def test_bad_objectives_are_one_clear_error(objectives, message) -> None:
    with pytest.raises(NasbenchError, match=message):
        pareto.check_objectives(nasbench.load("nbgraph-cora"), objectives)


@pytest.mark.parametrize(("objectives", "split", "message"), [
    (None, "valid", r"objectives are 2 or 3 metric names, one comma-separated string or a sequence, e.g. "
                    r"'valid_accuracy,latency' or \('valid_accuracy', 'latency'\), not None$"),
    (3, "valid", "objectives are 2 or 3 metric names, .* not 3$"),
    ("valid_accuracy", "valid", r"give 2 or 3 objectives, not 1 \('valid_accuracy'\)"),
    ("valid_accuracy,,latency", "valid", "not 'valid_accuracy,,latency' .an empty name.$"),
    ((["valid_accuracy"], "latency"), "valid", r"objectives are metric names, .* not \['valid_accuracy'\]"),
    (("valid_accuracy", "latency"), ["valid"], r"split must be one of valid, test, not \['valid'\]"),
    (("valid_accuracy", "latency"), None, "split must be one of valid, test, not None"),
])
def test_a_front_of_bad_input_is_one_sentence(objectives, split, message) -> None:
    bench = nasbench.load("nbgraph-cora")
    with pytest.raises(NasbenchError, match=message):
        bench.pareto_front(objectives, split)
    with pytest.raises(NasbenchError, match=message.split(",")[0]):
        pareto.pareto_front(bench, objectives, split)


def test_constant_or_missing_objectives_are_refused() -> None:
    with pytest.raises(NasbenchError, match="constant"):
        pareto.check_objectives(_Fake(), ("valid_accuracy", "flat"))  # type: ignore[arg-type]
    with pytest.raises(NasbenchError, match="no value"):
        pareto.check_objectives(_Fake(), ("valid_accuracy", "gone"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "message"), [
    (["--objectives", "valid_accuracy"], "2 or 3"),
    (["--objectives", "valid_accuracy,valid_accuracy"], "twice"),
    (["--objectives", "valid_accuracy,bogus"], "no metric"),
    (["--objectives", "test_accuracy,latency"], "test metric"),
    (["--penalty", "latency=-0.5"], "LAMBDA"),
    (["--penalty", "test_accuracy=0.5"], "test metric"),
    (["--option", "target=1.5"], "option target"),
])
def test_cli_bad_objective_input_exits_2_before_running(tmp_path: Path, capsys, argv, message) -> None:
    strategy = "netadapt" if "target=1.5" in argv else "rs"
    bench = "mlp-mnist1d" if strategy == "netadapt" else "nbgraph-cora"
    out = tmp_path / "t.csv"
    assert main(["run", strategy, bench, "--seed", "0", "--evals", "5", "--out", str(out), *argv]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and not out.exists()


def test_netadapt_refuses_an_undeclared_or_beneficial_resource() -> None:
    with pytest.raises(NasbenchError, match="not a declared objective"):
        run("netadapt", "mlp-mnist1d", seed=0, max_evals=5, objectives=("valid_accuracy", "params"), resource="flops")
    with pytest.raises(NasbenchError, match="higher-is-better"):
        run("netadapt", "mlp-mnist1d", seed=0, max_evals=5, objectives=("valid_accuracy", "params"),
            resource="valid_accuracy")
    with pytest.raises(NasbenchError, match="option target"):
        make_strategy("netadapt", target=0.0)


def test_netadapt_shrinks_until_the_resource_target() -> None:
    frame = run("netadapt", "mlp-mnist1d", seed=1, max_evals=200, objectives=("valid_accuracy", "params"),
                target=0.2).to_frame()
    kept = frame[frame["fidelity"] == frame["fidelity"].max()]
    assert (np.diff(kept["params"].to_numpy()) < 0).all()  # every kept network is smaller than the last
    assert kept["params"].iloc[-1] <= 0.2 * kept["params"].iloc[0]
    assert frame["arch"].iloc[0].startswith("layers=4,width=256")


def test_penalty_scores_accuracy_minus_lambda_times_normalised_cost() -> None:
    bench = nasbench.load("nbgraph-cora")
    told = []

    class Spy:
        name = "spy"

        def reset(self, space, rng, context):
            self.inner = make_strategy("rs")
            self.inner.reset(space, rng, context)

        def ask(self):
            return self.inner.ask()

        def tell(self, job, result):
            told.append(result)

    frame = run(Spy(), bench, seed=0, max_evals=20, penalty={"latency": 0.5}).to_frame()
    latency = bench.metric_values("latency")
    scaled = (latency[frame["row"], 0, 0] - np.nanmin(latency)) / (np.nanmax(latency) - np.nanmin(latency))
    assert np.allclose([r.score for r in told], frame["valid"] - 0.5 * scaled)
    assert json.loads(run("rs", bench, seed=0, max_evals=2, penalty={"latency": 0.5}).meta.penalty) == {"latency": 0.5}
    with pytest.raises(NasbenchError, match=">= 0"):
        TableEvaluator(bench, penalty={"latency": -0.1})


def test_a_lambda_sweep_trades_accuracy_for_latency() -> None:
    latencies = []
    bench = nasbench.load("nbgraph-cora")
    for weight in (0.0, 1.0):
        rows = [run("rea", bench, seed=s, max_evals=100, penalty={"latency": weight}).to_frame()["incumbent_row"]
                .iloc[-1] for s in range(5)]
        latencies.append(float(np.mean(bench.final("latency")[rows])))
    assert latencies[1] < latencies[0]


def test_compare_with_objectives_writes_fronts_and_hv_regret_and_gates_on_it(tmp_path: Path, capsys) -> None:
    out = tmp_path / "mo"
    argv = ["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "nsga2", "--seeds", "3",
            "--evals", "15", "--objectives", "valid_accuracy,latency", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    report = (out / "report.md").read_text()
    assert (out / "pareto_fronts.png").is_file() and (out / "hv_regret.png").is_file()
    assert "## Final HV regret" in report and "p_vs_baseline_holm" in report
    assert main(["compare", "--baseline", str(out), "--out", str(tmp_path / "again"), "--no-progress"]) == 0
    assert "test-side HV regret" in (tmp_path / "again" / "regression.md").read_text()
    bad = tmp_path / "bad"
    assert main([*argv[:-3], "--objectives", "valid_accuracy", "--out", str(bad)]) == 2
    assert not bad.exists() and "2 or 3" in capsys.readouterr().err
