"""The README "Extending" examples, run as written: (a) a strategy, (d) an objective."""

from __future__ import annotations

import pandas as pd
import pytest

import nasbench
from nasbench.simulate import run, strategy_registry
from nasbench.strategies.base import REGISTRY


def test_a_new_strategy_is_registered_and_run_by_name() -> None:
    # --- README example (a): strategies/best_of_batch.py -------------------------------------
    from nasbench.strategies.base import Job, Result, Strategy, check_int, register

    @register("best-of-batch")
    class BestOfBatch(Strategy):
        """Samples a batch, then mutates the best architecture seen so far."""

        summary = "uniform batch, then mutations of the best"

        def __init__(self, *, batch_size: int = 8) -> None:
            self.batch_size = check_int("batch_size", batch_size, 1)  # configuration only

        def start(self) -> None:  # run state, made afresh for every run
            self._best: tuple[float, tuple] | None = None
            self._asked = 0

        def ask(self) -> Job:
            self._asked += 1
            if self._best is None or self._asked <= self.batch_size:
                return Job(self.space.sample(self.rng))
            return Job(self.space.mutate(self._best[1], self.rng))

        def tell(self, job: Job, result: Result) -> None:
            if self._best is None or result.score > self._best[0]:
                self._best = (result.score, job.arch)
    # -------------------------------------------------------------------------------------------
    try:
        trace = run("best-of-batch", "nbgraph-cora", seed=0, max_evals=30, batch_size=4)
        frame = trace.to_frame()
        assert len(frame) == 30 and trace.meta.strategy == "best-of-batch"
        assert trace.meta.options == '{"batch_size": 4}'
        assert frame["incumbent_valid"].is_monotonic_increasing
        assert "best-of-batch" in strategy_registry()
    finally:
        REGISTRY.pop("best-of-batch", None)


def test_a_run_declaring_objectives_records_them(tmp_path) -> None:
    # --- README example (d): objectives ----------------------------------------------------------
    trace = run("rs", "nbgraph-cora", seed=0, max_evals=20, objectives=("latency", "params"))
    frame = trace.to_frame()
    print(frame[["arch", "valid", "latency", "params"]].head(3))
    trace.save(tmp_path / "rs.csv")           # rs.csv (plain CSV) and rs.csv.json (metadata)
    again = pd.read_csv(tmp_path / "rs.csv")  # plain pandas reads it
    # -------------------------------------------------------------------------------------------
    bench = nasbench.load("nbgraph-cora")
    assert list(again.columns) == list(frame.columns) and {"latency", "params"} <= set(again.columns)
    assert frame["latency"].tolist() == bench.query_many(frame["row"].to_numpy(), "latency").tolist()
    assert again["latency"].to_numpy() == pytest.approx(frame["latency"].to_numpy(), rel=1e-9)
    assert trace.meta.objectives == ("latency", "params")
