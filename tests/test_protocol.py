"""The contract module: the cached registry, option errors, budgets, and the training context slot."""

from __future__ import annotations

import sys
import types

import pytest

import nasbench
import nasbench.registry as registry
from nasbench.errors import NasbenchError
from nasbench.protocol import make_strategy, strategy_registry
from nasbench.simulate import run
from nasbench.strategies.base import Strategy
from nasbench.strategies.random_search import RandomSearch


def test_the_registry_reads_the_entry_points_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = registry.entry_points
    monkeypatch.setattr(registry, "entry_points", lambda **kw: calls.append(kw) or real(**kw))
    strategy_registry(refresh=True)
    for _ in range(3):
        run("rs", "nbgraph-cora", seed=0, max_evals=2)
        assert "rs" in strategy_registry()
    assert len(calls) == 1
    strategy_registry(refresh=True)
    assert len(calls) == 2


def test_the_registry_is_a_copy() -> None:
    strategy_registry().pop("rs")
    assert "rs" in strategy_registry()


def test_an_unknown_option_lists_the_valid_ones() -> None:
    with pytest.raises(NasbenchError, match=r"strategy 'rea' has no option 'pop'; its options: population_size, "
                                            r"sample_size, warm_start$"):
        make_strategy("rea", pop=3)
    with pytest.raises(NasbenchError, match="has no option"):
        run("rs", "nbgraph-cora", seed=0, max_evals=2, blocksize=4)


def test_an_unknown_strategy_name_is_quoted_short() -> None:
    with pytest.raises(NasbenchError) as error:
        make_strategy("x" * 10_000)
    assert len(str(error.value)) < 400 and "known strategies: asha" in str(error.value)


@pytest.mark.parametrize("budget", [{"max_evals": True}, {"max_evals": False}, {"max_time": True}])
def test_booleans_are_no_budget(budget: dict) -> None:
    with pytest.raises(NasbenchError, match="must be a positive"):
        run("rs", "nbgraph-cora", seed=0, **budget)


class _SelfTrained(Strategy):
    trains_live = True
    name = "self-trained"

    def start(self) -> None:
        self.training = self.context.training

    def ask(self):
        return None

    def tell(self, job, result) -> None:
        pass


def test_training_context_is_made_only_for_strategies_that_train(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    module = types.ModuleType("nasbench.train.context")
    module.make_training_context = lambda benchmark, *, device, rng: calls.append((benchmark.name, device)) or "ctx"
    monkeypatch.setitem(sys.modules, "nasbench.train.context", module)
    run("rs", "nbgraph-cora", seed=0, max_evals=2)
    assert calls == []
    strategy = _SelfTrained()
    run(strategy, "nbgraph-cora", seed=0, max_evals=2)
    assert calls == [("nbgraph-cora", "cpu")] and strategy.training == "ctx"


def test_training_context_without_its_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nasbench.train.context", None)
    with pytest.raises(NasbenchError, match=r'which needs PyTorch \(pip install "nasbench\[train\]"\)'):
        run(_SelfTrained(), nasbench.load("nbgraph-cora"), seed=0, max_evals=2)


def test_search_context_says_orientations() -> None:
    seen = []

    class Spy(RandomSearch):
        def start(self) -> None:
            seen.append(self.context)
            super().start()

    run(Spy(), "nbgraph-cora", seed=0, max_evals=2, objectives=("latency", "params"))
    context = seen[0]
    assert context.search_higher_is_better and context.objective_higher_is_better == (False, False)
    assert context.training is None and context.priors == ()
