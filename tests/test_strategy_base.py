"""The strategy base class: configuration is the constructor's options, run state does not outlive
a run, and every module of ``strategies/`` is discovered and registers."""

from __future__ import annotations

from pathlib import Path

import pytest

import nasbench.strategies
from nasbench.protocol import option_names, strategy_registry
from nasbench.simulate import run
from nasbench.strategies.base import REGISTRY
from nasbench.strategies.random_search import RandomSearch

REPO = Path(__file__).resolve().parents[1]
REGISTERED = strategy_registry()


def _benchmark_for(cls: type) -> str:
    if getattr(cls, "trains_live", False):
        return "nb201-mnist1d"
    return "mlp-mnist1d" if getattr(cls, "multi_fidelity", False) else "nbgraph-cora"


def _priors(cls: type) -> dict:
    """Prior tasks for a strategy that transfers (none for the others)."""
    return {"transfer_from": ("nbgraph-citeseer",)} if getattr(cls, "transfers", False) else {}


#: cheap settings for strategies that train live (search epochs, proxy pool)
CHEAP = {"epochs": 2, "pool_size": 10}


def _make(cls: type):
    if not getattr(cls, "trains_live", False):
        return cls()
    return cls(**{key: value for key, value in CHEAP.items() if key in (option_names(cls) or ())})


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_config_is_exactly_the_options_before_and_after_a_run(name: str) -> None:
    cls = REGISTERED[name]
    strategy = _make(cls)
    before = strategy.config()
    assert tuple(before) == option_names(cls)
    run(strategy, _benchmark_for(cls), seed=0, max_evals=30, **_priors(cls))
    assert strategy.config() == before


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_a_second_run_of_one_instance_equals_a_fresh_run(name: str) -> None:
    cls = REGISTERED[name]
    bench = _benchmark_for(cls)
    reused = _make(cls)
    run(reused, bench, seed=1, max_evals=30, workers=3, **_priors(cls))
    again = run(reused, bench, seed=0, max_evals=30, **_priors(cls)).to_frame()
    fresh = run(_make(cls), bench, seed=0, max_evals=30, **_priors(cls)).to_frame()
    assert again.equals(fresh)


class _Counting(RandomSearch):
    """Keeps a public counter it never initialises in ``start``."""

    def tell(self, job, result) -> None:
        self.told = getattr(self, "told", 0) + 1


def test_public_attributes_set_during_a_run_do_not_survive_it() -> None:
    strategy = _Counting(block_size=8)
    run(strategy, "nbgraph-cora", seed=0, max_evals=5)
    run(strategy, "nbgraph-cora", seed=1, max_evals=3)
    assert strategy.told == 3 and strategy.config() == {"block_size": 8}


def test_every_module_in_strategies_is_discovered_and_registers() -> None:
    from nasbench.protocol import _PREFIXES

    files = sorted(p.stem for p in (REPO / "strategies").glob("*.py")
                   if not p.name.startswith("_") and p.stem != "base")
    assert list(nasbench.strategies.MODULES) == files
    registering = {cls.__module__.rpartition(".")[2] for cls in REGISTRY.values()}
    registering |= {resolver.__module__.rpartition(".")[2] for resolver, _ in _PREFIXES.values()}  # bridges
    assert set(files) <= registering, f"modules that register no strategy: {set(files) - registering}"


def test_an_option_kept_under_another_name_is_a_clear_error() -> None:
    from nasbench.errors import NasbenchError

    class Renamed(RandomSearch):
        def __init__(self, *, size: int = 4) -> None:
            self._size = size

    with pytest.raises(NasbenchError, match="missing: size"):
        run(Renamed(), "nbgraph-cora", seed=0, max_evals=2)
