"""The contract suite's tier for strategies that train networks themselves (``trains_live``).

Selected by capability flag, run with cheap settings (two search epochs) on ``nb201-mnist1d``:
same seed -> identical trace (also in a fresh process), different seed -> different trace, the
time budget rule, each job's cost is the strategy's own epoch cost, and every score a strategy is
told is the table's validation value of the cell it reported.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

from conftest import REPO  # noqa: E402

import nasbench  # noqa: E402
from nasbench.protocol import option_names  # noqa: E402
from nasbench.simulate import make_strategy, run, strategy_registry  # noqa: E402

# the one-shot tier: live-training strategies that search for a number of epochs
LIVE = sorted(name for name, cls in strategy_registry().items()
              if getattr(cls, "trains_live", False) and "epochs" in (option_names(cls) or ()))
TABLE = "nb201-mnist1d"
CHEAP = {"epochs": 2}


def _digest(frame: Any) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def test_the_tier_has_strategies() -> None:
    assert {"darts", "gdas", "rsps"} <= set(LIVE)


@pytest.mark.parametrize("name", LIVE)
def test_same_seed_same_trace_also_in_a_fresh_process(name: str) -> None:
    first = _digest(run(name, TABLE, seed=3, max_time=1e4, **CHEAP).to_frame())
    assert first == _digest(run(name, TABLE, seed=3, max_time=1e4, **CHEAP).to_frame())
    assert first != _digest(run(name, TABLE, seed=4, max_time=1e4, **CHEAP).to_frame())
    script = ("import hashlib, nasbench.simulate as s;"
              f"f = s.run({name!r}, {TABLE!r}, seed=3, max_time=1e4, epochs=2).to_frame();"
              "print(hashlib.sha256(f.to_csv(index=False).encode()).hexdigest())")
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
    assert fresh.stdout.strip() == first


class _Spy:
    """Wraps a strategy, keeping every result it is told."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.told = inner, []
        self.name, self.trains_live = inner.name, True

    def reset(self, space: Any, rng: Any, context: Any) -> None:
        self.inner.reset(space, rng, context)

    def ask(self) -> Any:
        return self.inner.ask()

    def tell(self, job: Any, result: Any) -> None:
        self.told.append(result)
        self.inner.tell(job, result)


@pytest.mark.parametrize("name", LIVE)
def test_epochs_are_charged_their_cost_and_scored_by_the_table(name: str) -> None:
    bench = nasbench.load(TABLE)
    spy = _Spy(make_strategy(name, **CHEAP))
    frame = run(spy, bench, seed=0, max_time=1e4, workers=2).to_frame()
    told = spy.told
    assert len(frame) == 2 == len(told)  # one derived cell per epoch, epochs in sequence even with two workers
    cost = spy.inner.epoch_cost()
    assert np.allclose(frame["cost"], cost) and np.allclose(frame["start"], [0.0, cost])
    valid = bench.table.metric(bench.search_metric)[:, :, -1]
    column = {int(seed): i for i, seed in enumerate(bench.table.seeds)}
    for result, seed in zip(told, frame["seed"]):  # the table's value at the seed the loop drew for the trial
        assert result.score == valid[bench.space.index(result.job.arch), column[int(seed)]]


@pytest.mark.parametrize("name", LIVE)
def test_time_budget_rule(name: str) -> None:
    cost = run(name, TABLE, seed=1, max_time=1e4, epochs=1).to_frame()["cost"][0]
    frame = run(name, TABLE, seed=1, max_time=1.5 * cost, epochs=5).to_frame()
    assert len(frame) == 2 and (frame["start"] < 1.5 * cost).all()
