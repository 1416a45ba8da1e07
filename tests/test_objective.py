"""The plain objective-function view: validation values, simulated costs, a readable clock."""

from __future__ import annotations

import pytest

import nasbench
from nasbench.errors import NasbenchError
from nasbench.objective import Objective


def test_values_costs_and_clock_follow_the_table() -> None:
    bench = nasbench.load("nb201-mnist1d")
    objective = Objective(bench, seed=3)
    arch = bench.space.arch_of_row(5)
    first = objective.objective_function(arch, {"epochs": 3})
    seed = bench.seed_index(first.info["seed"])
    assert first.value == bench.table.metric("valid_accuracy")[5, seed, 2]
    assert first.cost == pytest.approx(bench.table.metric(bench.table.cost_metric)[5, seed, 2])
    resumed = objective(arch, 5, resume_from=3)
    seed = bench.seed_index(resumed.info["seed"])
    train = bench.table.metric(bench.table.cost_metric)[5, seed]
    assert resumed.cost == pytest.approx(train[4] - train[2])
    assert objective.clock == pytest.approx(first.cost + resumed.cost) == resumed.info["clock"]
    assert "test" not in str(sorted(first.info))


def test_same_seed_same_answers() -> None:
    calls = [(r, f) for r in (1, 40, 900) for f in (1, 9)]
    one, two = Objective("nb201-mnist1d", seed=1), Objective("nb201-mnist1d", seed=1)
    assert [one(r, f) for r, f in calls] == [two(r, f) for r, f in calls]


@pytest.mark.parametrize("fidelity, message", [({"steps": 3}, "fidelity must be a number of epochs"),
                                               ("three", "fidelity must be"), (3.5, "lacks")])
def test_bad_fidelity_is_one_sentence(fidelity: object, message: str) -> None:
    with pytest.raises(NasbenchError, match=message):
        Objective("nb201-mnist1d").objective_function(0, fidelity)


def test_a_test_metric_is_refused() -> None:
    with pytest.raises(NasbenchError, match="test metric"):
        Objective("nbgraph-cora", search_metric="test_accuracy")
