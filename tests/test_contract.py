"""The contract every registered strategy keeps, selected by capability flags (never by name).

Same seed -> identical trace (also in a fresh process and with four workers); different seed ->
different trace; the budget is respected; only valid architectures are asked; nothing but the
validation score and the cost reaches the strategy.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REPO

import nasbench
from nasbench.benchmark import Benchmark
from nasbench.errors import NasbenchError
from nasbench.protocol import prefixed_examples, strategy_class
from nasbench.simulate import Result, make_strategy, run, strategy_registry
from nasbench.spaces import Space
from nasbench.table import Table

REGISTRY = strategy_registry()
EVALS = 40


@pytest.fixture(scope="session")
def curve_table(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    try:
        from curve_fixture import make_curve_table
    except ImportError:
        return None
    return make_curve_table(tmp_path_factory.mktemp("curves") / "curves.h5")


def _benchmark_for(cls: type, curve_table: Path | None) -> str:
    if getattr(cls, "trains_live", False):
        pytest.skip("live-training strategies have their own slower suite")
    if getattr(cls, "multi_fidelity", False):
        if curve_table is None:
            pytest.skip("no learning-curve fixture table (tests/curve_fixture.py) yet")
        return str(curve_table)
    return "nbgraph-cora"


def _digest(frame: Any) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


names = sorted(REGISTRY) + list(prefixed_examples())  # prefixed: strategies of a bridged library


def _priors(name: str) -> dict[str, Any]:
    """The prior tasks a strategy that transfers needs (none for the others)."""
    transfers = getattr(strategy_class(name), "transfers", False)
    return {"transfer_from": ("nbgraph-citeseer", "nbgraph-pubmed")} if transfers else {}


@pytest.mark.parametrize("name", names)
def test_same_seed_same_trace_and_different_seed_differs(name: str, curve_table: Path | None) -> None:
    bench = nasbench.load(_benchmark_for(strategy_class(name), curve_table))
    first = run(name, bench, seed=11, max_evals=EVALS, **_priors(name)).to_frame()
    again = run(name, bench, seed=11, max_evals=EVALS, **_priors(name)).to_frame()
    other = run(name, bench, seed=12, max_evals=EVALS, **_priors(name)).to_frame()
    assert _digest(first) == _digest(again)
    if name != "zeroshot":  # it asks the priors' portfolio, the same for every seed, within the budget
        assert _digest(first) != _digest(other)


@pytest.mark.parametrize("name", names)
def test_same_trace_in_a_fresh_process_and_with_four_workers(name: str, curve_table: Path | None) -> None:
    target = _benchmark_for(strategy_class(name), curve_table)
    priors = _priors(name)
    here = [_digest(run(name, target, seed=5, max_evals=EVALS, workers=4, **priors).to_frame()) for _ in range(2)]
    assert here[0] == here[1]
    script = ("import hashlib, nasbench.simulate as s;"
              f"f = s.run({name!r}, {target!r}, seed=5, max_evals={EVALS}, workers=4, **{priors!r}).to_frame();"
              "print(hashlib.sha256(f.to_csv(index=False).encode()).hexdigest())")
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
    assert fresh.stdout.strip() == here[0]


class _Spy:
    """Wraps a strategy: checks every asked architecture and keeps every result it is told."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.results, self.asked = inner, [], 0
        self.name = inner.name
        self.multi_fidelity = getattr(inner, "multi_fidelity", False)

    def reset(self, space, rng, context) -> None:
        self.space = space
        self.inner.reset(space, rng, context)

    def ask(self):
        job = self.inner.ask()
        if job is not None:
            assert self.space.is_valid(job.arch), f"{self.name} asked for an invalid architecture {job.arch}"
            self.asked += 1
        return job

    def tell(self, job, result) -> None:
        self.results.append(result)
        self.inner.tell(job, result)

    def overhead(self) -> float:
        return self.inner.overhead()


def _holds_table_data(value: Any, depth: int = 0, seen: set | None = None) -> bool:
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 4:
        return False
    seen.add(id(value))
    if isinstance(value, (Benchmark, Table)):
        return True
    if isinstance(value, Space):  # the space is handed over by design; it holds index data only
        return False
    if isinstance(value, np.ndarray) and value.base is not None and isinstance(value.base, np.memmap):
        return True
    children = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple, set)) else \
        vars(value).values() if hasattr(value, "__dict__") and not isinstance(value, type) else ()
    return any(_holds_table_data(child, depth + 1, seen) for child in children)


@pytest.mark.parametrize("name", names)
@pytest.mark.parametrize("workers", [1, 3])
def test_budget_validity_and_only_validation_reaches_the_strategy(name: str, workers: int,
                                                                  curve_table: Path | None) -> None:
    bench = nasbench.load(_benchmark_for(strategy_class(name), curve_table))
    spy = _Spy(make_strategy(name))
    frame = run(spy, bench, seed=2, max_evals=EVALS, workers=workers, **_priors(name)).to_frame()
    assert len(frame) == spy.asked <= EVALS
    assert list(Result._fields) == ["job", "score", "cost", "objectives"]
    sign = 1.0 if bench.metric_info(bench.search_metric).higher_is_better else -1.0
    told = sorted(r.score for r in spy.results)
    assert np.allclose(told, sorted(sign * frame["valid"].to_numpy()))  # the score is the validation value
    valid = bench.table.metric(bench.search_metric)
    fidelity = {float(f): i for i, f in enumerate(bench.fidelities)}
    for r in spy.results:  # each score is one seed's validation value of that very job
        column = len(bench.fidelities) - 1 if r.job.fidelity is None else fidelity[float(r.job.fidelity)]
        assert np.isclose(sign * valid[bench.space.index(r.job.arch), :, column], r.score).any()
    assert not _holds_table_data(spy.inner), f"{name} holds a reference to the benchmark or its arrays"


@pytest.mark.parametrize("name", names)
def test_time_budget_rule_start_while_used_below_budget(name: str, curve_table: Path | None) -> None:
    bench = nasbench.load(_benchmark_for(strategy_class(name), curve_table))
    budget = 25.0 if bench.table.cost_metric == "" else float(np.nanmedian(bench.final(bench.table.cost_metric))) * 8
    frame = run(name, bench, seed=4, max_time=budget, workers=2, **_priors(name)).to_frame()
    assert len(frame) > 0
    assert (frame["start"] < budget).all()  # nothing starts once the clock reaches the budget
    assert (frame["end"] - frame["start"] >= frame["cost"] - 1e-9).all()


def test_search_on_a_test_metric_is_refused() -> None:
    with pytest.raises(NasbenchError, match="test metric"):
        run("rs", "nbgraph-cora", seed=0, max_evals=5, search_metric="test_accuracy")
    with pytest.raises(NasbenchError, match="test metric"):
        run("rs", "nbgraph-cora", seed=0, max_evals=5, objectives=("test_accuracy", "latency"))


def test_registry_refuses_duplicate_names() -> None:
    from nasbench.strategies.base import REGISTRY as BUILTIN
    from nasbench.strategies.base import Strategy, register

    with pytest.raises(NasbenchError, match="already registered"):
        @register("rs")
        class Again(Strategy):  # noqa: F841
            def ask(self): ...

            def tell(self, job, result): ...
    assert BUILTIN["rs"].__name__ == "RandomSearch"


MULTI_OBJECTIVE = [name for name in names if getattr(strategy_class(name), "multi_objective", False)]


@pytest.mark.parametrize("name", MULTI_OBJECTIVE)
def test_multi_objective_strategies_are_told_their_objectives_and_are_reproducible(
        name: str, curve_table: Path | None) -> None:
    bench = nasbench.load(_benchmark_for(strategy_class(name), curve_table))
    cost = next(m for m in ("latency", "params", "flops", "train_time") if m in bench.metrics)
    objectives = (bench.search_metric, cost)
    spy = _Spy(make_strategy(name))
    frame = run(spy, bench, seed=3, max_evals=EVALS, objectives=objectives).to_frame()
    again = run(name, bench, seed=3, max_evals=EVALS, objectives=objectives).to_frame()
    assert _digest(frame) == _digest(again) and {"hv_regret", "hv_regret_test"} <= set(frame)
    fidelity = {float(f): i for i, f in enumerate(bench.fidelities)}
    for r in spy.results:  # the oriented objectives of that very entry, nothing from the test split
        column = len(bench.fidelities) - 1 if r.job.fidelity is None else fidelity[float(r.job.fidelity)]
        row = bench.space.index(r.job.arch)
        assert r.objectives[0] == r.score
        assert np.isclose(-bench.table.metric(cost)[row, :, column], r.objectives[1]).any()
