"""Optuna samplers and pruners run as strategies on the simulated clock (strategies/optuna_bridge.py)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

import nasbench
from nasbench.errors import NasbenchError
from nasbench.protocol import SearchContext, make_strategy
from nasbench.simulate import run
from nasbench.spaces.nb201 import Nb201Space
from nasbench.spaces.subset import SubsetSpace

optuna = pytest.importorskip("optuna")


def _rows(name: str, table: str, seed: int, evals: int, **options: Any) -> list[int]:
    return run(name, table, seed=seed, max_evals=evals, **options).columns["row"].tolist()


@pytest.mark.parametrize("name, evals", [("optuna:TPESampler", 30), ("optuna:GPSampler", 14),
                                         ("optuna:RandomSampler", 20)])
def test_samplers_are_deterministic_on_our_clock(name: str, evals: int) -> None:
    first = _rows(name, "nbgraph-cora", 7, evals, multivariate=True) if "TPE" in name else \
        _rows(name, "nbgraph-cora", 7, evals)
    again = _rows(name, "nbgraph-cora", 7, evals, multivariate=True) if "TPE" in name else \
        _rows(name, "nbgraph-cora", 7, evals)
    other = _rows(name, "nbgraph-cora", 8, evals)
    assert first == again and first != other


class _Watch:
    """Keeps the jobs a strategy asks for and how many trials it holds open after each ask."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.jobs, self.open = inner, [], []
        self.name, self.multi_fidelity = inner.name, inner.multi_fidelity

    def reset(self, space: Any, rng: Any, context: Any) -> None:
        self.inner.reset(space, rng, context)

    def ask(self) -> Any:
        job = self.inner.ask()
        self.jobs.append(job)
        self.open.append(len(self.inner._trials))
        return job

    def tell(self, job: Any, result: Any) -> None:
        self.inner.tell(job, result)


def test_several_workers_hold_several_open_trials() -> None:
    watch = _Watch(make_strategy("optuna:TPESampler"))
    run(watch, "nbgraph-cora", seed=0, max_evals=20, workers=4)
    assert max(watch.open) == 4
    assert len(watch.inner._study.trials) == 20


def test_nsga2_searches_the_objectives_of_the_run() -> None:
    watch = _Watch(make_strategy("optuna:NSGAIISampler", population_size=8))
    trace = run(watch, "nbgraph-cora", seed=0, max_evals=24, objectives=("valid_accuracy", "latency"))
    study = watch.inner._study
    assert len(study.directions) == 2
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    latency = trace.columns["latency"]
    assert sorted(-t.values[1] for t in done) == pytest.approx(sorted(latency))  # latency maximised as -latency


@pytest.mark.parametrize("pruner", ["SuccessiveHalvingPruner", "HyperbandPruner"])
def test_pruners_report_each_epoch_and_pay_only_the_epochs_trained(pruner: str) -> None:
    bench = nasbench.load("nb201-mnist1d")
    watch = _Watch(make_strategy(f"optuna:TPESampler+{pruner}"))
    trace = run(watch, bench, seed=0, max_evals=120)
    fidelities = [float(f) for f in bench.fidelities]
    study = watch.inner._study
    states = [t.state for t in study.trials]
    assert optuna.trial.TrialState.PRUNED in states and optuna.trial.TrialState.COMPLETE in states
    for trial in study.trials:  # intermediate values at consecutive epochs from the first
        steps = sorted(trial.intermediate_values)
        assert steps == list(range(1, len(steps) + 1))
    for job in watch.jobs:  # each epoch resumes from the one before
        position = fidelities.index(job.fidelity)
        assert job.resume_from == (fidelities[position - 1] if position else None)
    cost = bench.table.metric(bench.table.cost_metric)
    rows, seeds = trace.columns["row"], [bench.seed_index(s) for s in trace.columns["seed"]]
    for row, seed, fidelity, paid in zip(rows, seeds, trace.columns["fidelity"], trace.columns["cost"]):
        k = fidelities.index(fidelity)
        expected = cost[row, seed, k] - (cost[row, seed, k - 1] if k else 0.0)
        assert paid == pytest.approx(expected)
    assert (trace.columns["fidelity"] < fidelities[-1]).sum() > len(study.trials)  # epochs, not whole trainings


def test_an_invalid_cell_is_a_failed_trial_and_is_sampled_again() -> None:
    space = SubsetSpace(Nb201Space(), list(range(0, 15625, 50)))  # 313 of the 15,625 cells are valid
    strategy = make_strategy("optuna:RandomSampler")
    context = SearchContext((200.0,), "epochs", 1, 10, None, "valid_accuracy")
    strategy.reset(space, np.random.default_rng(0), context)
    jobs = [strategy.ask() for _ in range(3)]
    assert all(space.is_valid(job.arch) for job in jobs)
    states = [t.state for t in strategy._study.trials]
    assert states.count(optuna.trial.TrialState.FAIL) > 0 and len(strategy._trials) == 3


@pytest.mark.parametrize("name, options, message", [
    ("optuna:Nope", {}, "Optuna has no sampler 'Nope'; its samplers: "),
    ("optuna:TPESampler+Nope", {}, "Optuna has no pruner 'Nope'"),
    ("optuna:TPESampler", {"bogus": 1}, "has no option 'bogus'"),
    ("optuna:TPESampler", {"n_startup_trials": "many"}, "n_startup_trials must be of the type of Optuna's default 10"),
    ("optuna:TPESampler+SuccessiveHalvingPruner", {"pruner_reduction_factor": 1.5}, "pruner_reduction_factor must"),
    ("optuna:TPESampler+SuccessiveHalvingPruner", {"pruner_reduction_factor": 1}, "cannot be built from these"),
])
def test_bad_names_and_options_are_one_sentence(name: str, options: dict, message: str) -> None:
    with pytest.raises(NasbenchError, match=message):
        run(name, "nb201-mnist1d", seed=0, max_evals=3, **options)


def test_a_pruner_on_a_single_fidelity_table_is_refused() -> None:
    with pytest.raises(NasbenchError, match="multi-fidelity but nbgraph-cora has a single fidelity"):
        run("optuna:TPESampler+MedianPruner", "nbgraph-cora", seed=0, max_evals=3)


def test_missing_optuna_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from nasbench.strategies import optuna_bridge

    monkeypatch.setitem(sys.modules, "optuna", None)
    optuna_bridge.resolve.cache_clear()
    try:
        with pytest.raises(NasbenchError, match=r'need Optuna: pip install "nasbench\[optuna\]"'):
            make_strategy("optuna:QMCSampler")
    finally:
        optuna_bridge.resolve.cache_clear()


def test_a_study_plans_bridged_strategies() -> None:
    from nasbench.study import plan

    specs = plan(["nb201-mnist1d"], ["hyperband", "optuna:TPESampler+HyperbandPruner"], seeds=2, max_evals=5)
    assert sorted({spec.strategy for spec in specs}) == ["hyperband", "optuna:TPESampler+HyperbandPruner"]


def test_a_replay_shows_the_open_trials() -> None:
    from nasbench.replay import record

    steps = record("optuna:TPESampler+SuccessiveHalvingPruner", "nb201-mnist1d", seed=0, max_evals=60, workers=2).steps
    assert all(len(step["marks"]["open trials"]) <= 2 for step in steps)
    assert steps[-1]["trials so far"].get("pruned", 0) > 0
