"""The contract every registered strategy keeps (:mod:`nasbench.testing`), selected by capability flags.

Every strategy of the registry (and every example name of a bridged library) runs the checks of
:class:`nasbench.testing.StrategyContract`; the strategies defined below break one promise each and
show that the checks fail them.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from curve_fixture import make_curve_table

import nasbench
from nasbench.errors import NasbenchError
from nasbench.protocol import prefixed_examples, strategy_class
from nasbench.simulate import run, strategy_registry
from nasbench.strategies.base import Job, Result, Strategy
from nasbench.testing import CHECKS, Case, StrategyContract, check_strategy

NAMES = sorted(strategy_registry()) + list(prefixed_examples())  # prefixed: strategies of a bridged library
PRIORS = ("nbgraph-citeseer", "nbgraph-pubmed")


@pytest.fixture(scope="session")
def curve_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic learning-curve table (three seeds, twelve epochs) for the multi-fidelity strategies."""
    return make_curve_table(tmp_path_factory.mktemp("curves") / "curves.h5")


class TestEveryRegisteredStrategy(StrategyContract):
    """The contract over the registry: one strategy per class-scoped parameter, so its checks share runs."""

    @pytest.fixture(scope="class", params=NAMES)
    def registered(self, request: pytest.FixtureRequest) -> str:
        return request.param

    @pytest.fixture(autouse=True)
    def _configure(self, registered: str, curve_table: Path) -> None:
        cls = strategy_class(registered)
        if getattr(cls, "trains_live", False):
            pytest.skip("live-training strategies have their own slower suite (tests/test_contract_live.py)")
        self.strategy = registered
        self.benchmark = str(curve_table) if getattr(cls, "multi_fidelity", False) else "nbgraph-cora"
        self.transfer_from = PRIORS if getattr(cls, "transfers", False) else None


def test_search_on_a_test_metric_is_refused() -> None:
    with pytest.raises(NasbenchError, match="test metric"):
        run("rs", "nbgraph-cora", seed=0, max_evals=5, search_metric="test_accuracy")
    with pytest.raises(NasbenchError, match="test metric"):
        run("rs", "nbgraph-cora", seed=0, max_evals=5, objectives=("test_accuracy", "latency"))


def test_registry_refuses_duplicate_names() -> None:
    from nasbench.strategies.base import REGISTRY as BUILTIN
    from nasbench.strategies.base import register

    with pytest.raises(NasbenchError, match="already registered"):
        @register("rs")
        class Again(Strategy):  # noqa: F841
            def ask(self): ...

            def tell(self, job, result): ...
    assert BUILTIN["rs"].__name__ == "RandomSearch"


def test_the_checks_import_without_pytest() -> None:
    script = "import sys, nasbench.testing; assert 'pytest' not in sys.modules"
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True)


# --- strategies that break the contract, one promise each ----------------------------------------
@functools.cache
def _cora() -> nasbench.Benchmark:
    return nasbench.load("nbgraph-cora")


class _Sampling(Strategy):
    """Uniform samples from the run's generator; each broken strategy below changes one thing."""

    def ask(self) -> Job:
        return Job(self.space.sample(self.rng))

    def tell(self, job: Job, result: Result) -> None:
        pass


class ReadsTestMetric(_Sampling):
    def tell(self, job: Job, result: Result) -> None:
        self.peeked = _cora().query(job.arch, "test_accuracy")


class HoldsTheBenchmark(_Sampling):
    def start(self) -> None:
        self.table = _cora()


class EvaluatesOffBudget(_Sampling):
    def ask(self) -> Job:  # the best of ten samples by the table's own validation values
        return Job(max(self.space.sample_batch(self.rng, 10), key=lambda a: _cora().query(a, "valid_accuracy")))


class NegativeOverhead(_Sampling):
    def overhead(self) -> float:
        return -1.0


class Nondeterministic(_Sampling):
    def ask(self) -> Job:
        return Job(self.space.sample(np.random.default_rng()))


class IgnoresItsSeed(_Sampling):
    def start(self) -> None:
        self.own = np.random.default_rng(0)

    def ask(self) -> Job:
        return Job(self.space.sample(self.own))


class AsksInvalid(_Sampling):
    def ask(self) -> Job:
        return Job(tuple(gene + 100 for gene in self.space.sample(self.rng)))


class SetsItsOwnCost(_Sampling):
    def ask(self) -> Job:
        return Job(self.space.sample(self.rng), cost=1.0)


class AsksLowFidelityUndeclared(_Sampling):
    def ask(self) -> Job:
        return Job(self.space.sample(self.rng), fidelity=self.context.fidelities[0])


class ClaimsMultiFidelity(_Sampling):
    multi_fidelity = True


class ClaimsTransfer(_Sampling):
    transfers = True


class ReadsObjectives(_Sampling):
    """Mutates the architecture best by its last objective: a multi-objective strategy that does not say so."""

    def start(self) -> None:
        self.best = (-np.inf, self.space.sample(self.rng))

    def ask(self) -> Job:
        return Job(self.space.mutate(self.best[1], self.rng))

    def tell(self, job: Job, result: Result) -> None:
        self.best = max(self.best, ((result.objectives or (result.score,))[-1], job.arch))


BROKEN: list[tuple[type, bool, str, str]] = [  # (strategy, on the curve table, the check that fails it, why)
    (ReadsTestMetric, False, "no test metric", "read the test metric 'test_accuracy' of nbgraph-cora in tell"),
    (HoldsTheBenchmark, False, "no test metric", r"holds the benchmark \(strategy.table\)"),
    (EvaluatesOffBudget, False, "budget", "read the metric 'valid_accuracy' .* outside the budget"),
    (NegativeOverhead, False, "budget", "overhead of -1.0"),
    (Nondeterministic, False, "determinism", "two different traces for seed 11"),
    (IgnoresItsSeed, False, "determinism", r"keeps a random generator of its own \(strategy.own\)"),
    (AsksInvalid, False, "valid asks", "not an architecture of the nbgraph space"),
    (SetsItsOwnCost, False, "valid asks", "set a job's cost"),
    (AsksLowFidelityUndeclared, True, "valid asks", "below the final 12 but does not declare multi_fidelity"),
    (ClaimsMultiFidelity, True, "capabilities", "declares multi_fidelity but asked only for the final"),
    (ClaimsTransfer, False, "capabilities", "declares transfers .* but ran without any"),
    (ReadsObjectives, False, "objectives", "does not declare multi_objective but its asks change"),
]


@pytest.mark.parametrize(("cls", "on_curves", "check", "message"), BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_the_contract_fails_a_broken_strategy(cls: type, on_curves: bool, check: str, message: str,
                                              curve_table: Path) -> None:
    case = Case(cls, str(curve_table) if on_curves else None)
    with pytest.raises(AssertionError, match=f"strategy '{cls.__name__}' .*{message}"):
        CHECKS[check](case)
    with pytest.raises(AssertionError, match=message):  # and so does the whole suite
        check_strategy(cls, case.benchmark, fresh_process=False)


def test_the_test_class_runs_the_same_checks() -> None:
    class Contract(StrategyContract):
        strategy = Nondeterministic

    with pytest.raises(AssertionError, match="two different traces"):
        Contract().test_determinism()
    Contract.strategy = _Sampling
    Contract().test_determinism()
