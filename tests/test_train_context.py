"""TrainingContext: search splits without the test split, model builders, the cost model, clear errors,
and the README example of a strategy that trains live."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nasbench  # noqa: E402
from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.train.context import CostModel, make_training_context  # noqa: E402
from nasbench.train.data import load_mnist1d  # noqa: E402

CELL = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module")
def bench():
    return nasbench.load("nb201-mnist1d")


def test_the_context_holds_train_and_valid_but_not_test(bench) -> None:
    context = make_training_context(bench, device="cpu", rng=np.random.default_rng(0))
    assert sorted(vars(context.splits)) == ["x_train", "x_valid", "y_train", "y_valid"]
    assert "test" not in " ".join(vars(context))
    data = load_mnist1d()
    assert context.splits.x_train.shape == (1000, 1, 40)  # the schedule's training examples
    test = torch.from_numpy(data.x_test)
    for tensor in (context.splits.x_train, context.splits.x_valid):
        assert not any(torch.equal(row, test[0]) for row in tensor)
    np.testing.assert_array_equal(context.splits.x_valid.numpy(), data.x_valid)
    context.splits.x_valid[0, 0, 0] = 99.0  # a copy: changing it leaves the dataset alone
    assert load_mnist1d().x_valid[0, 0, 0] != 99.0


def test_models_come_from_the_space_and_the_rng(bench) -> None:
    arch = bench.space.parse(CELL)
    first = make_training_context(bench, device="cpu", rng=np.random.default_rng(5)).build_model(arch)
    again = make_training_context(bench, device="cpu", rng=np.random.default_rng(5)).build_model(arch)
    other = make_training_context(bench, device="cpu", rng=np.random.default_rng(6)).build_model(arch)
    pairs = list(zip(first.state_dict().values(), again.state_dict().values()))
    assert all(torch.equal(a, b) for a, b in pairs)
    assert not all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), other.state_dict().values()))
    context = make_training_context(bench, device="cpu", rng=np.random.default_rng(5))
    optimiser, rate = context.build_optimiser(arch, first)
    assert isinstance(optimiser, torch.optim.SGD) and rate == context.schedule.learning_rate == 0.1


def test_the_cost_model_is_calibrated_on_the_table_and_deterministic(bench) -> None:
    context = make_training_context(bench, device="cpu", rng=np.random.default_rng(0))
    examples = context.schedule.epochs * len(context.splits.y_train)
    recorded = bench.table.metric("train_time")[:, 0, -1]
    predicted = [context.cost.train(examples, f) for f in bench.table.metric("flops")[:, 0, -1]]
    assert abs(np.median(predicted) / np.median(recorded) - 1) < 0.05
    assert np.corrcoef(predicted, recorded)[0, 1] > 0.4  # bigger networks cost more
    assert context.cost.evaluate(300, 1e4) == pytest.approx(context.cost.train(300, 1e4) / 3)
    assert CostModel.from_table(bench.table, examples) == context.cost


def test_bad_input_gets_one_clear_error(bench, monkeypatch) -> None:
    with pytest.raises(NasbenchError, match="cannot train the nbgraph space"):
        make_training_context(nasbench.load("nbgraph-cora"), device="cpu", rng=np.random.default_rng(0))
    if not torch.cuda.is_available():
        with pytest.raises(NasbenchError, match="no CUDA device"):
            make_training_context(bench, device="cuda", rng=np.random.default_rng(0))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(NasbenchError, match=r'pip install "nasbench\[train\]" torch==2\.13\.0'):
        make_training_context(bench, device="cpu", rng=np.random.default_rng(0))


# --- the README's "a strategy that trains live" example, verbatim ------------------------------------------
def test_readme_example_of_a_strategy_that_trains_live() -> None:
    import math

    import numpy as np
    import torch

    import nasbench
    from nasbench.train.context import make_training_context

    bench = nasbench.load("nb201-mnist1d")
    context = make_training_context(bench, device="cpu", rng=np.random.default_rng(0))
    arch = bench.space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    model = context.build_model(arch)
    optimiser, _ = context.build_optimiser(arch, model)
    x, y = context.splits.x_train, context.splits.y_train
    order = torch.randperm(len(y), generator=context.generator())
    for first in range(0, len(y), 100):  # one epoch, batches of 100
        batch = order[first:first + 100]
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(context.splits.x_valid).argmax(1) == context.splits.y_valid).float().mean().item()
    seconds = context.cost.train(len(y), context.flops(model)) + context.cost.evaluate(1000, context.flops(model))
    print(f"valid accuracy {accuracy:.3f} after {seconds:.2f} simulated seconds")
    assert 0.0 <= accuracy <= 1.0 and math.isfinite(seconds) and seconds > 0


def test_a_strategy_that_trains_live_runs_on_the_simulated_clock() -> None:
    """A ``trains_live`` strategy gets its TrainingContext from the run loop, trains a short screen of
    each candidate itself, charges that training through ``overhead()``, and the trace is the same for
    the same seed."""
    from nasbench.strategies.base import REGISTRY, Job, Result, Strategy, register

    @register("screen-then-ask")
    class ScreenThenAsk(Strategy):
        trains_live = True

        def start(self) -> None:
            self._charge = 0.0

        def ask(self) -> Job:
            training, best = self.context.training, None
            for _ in range(2):  # screen two sampled cells on 200 examples, ask the table for the better one
                arch = self.space.sample(self.rng)
                model = training.build_model(arch)
                optimiser, _ = training.build_optimiser(arch, model)
                x, y = training.splits.x_train[:200], training.splits.y_train[:200]
                optimiser.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimiser.step()
                with torch.no_grad():
                    score = (model(training.splits.x_valid).argmax(1) == training.splits.y_valid).float().mean()
                self._charge += training.cost.train(200, training.flops(model))
                best = max(best or (float(score), arch), (float(score), arch))
            return Job(best[1])

        def tell(self, job: Job, result: Result) -> None:
            pass

        def overhead(self) -> float:
            charge, self._charge = self._charge, 0.0
            return charge

    try:
        first = nasbench.run("screen-then-ask", "nb201-mnist1d", seed=1, max_evals=3).to_frame()
        again = nasbench.run("screen-then-ask", "nb201-mnist1d", seed=1, max_evals=3).to_frame()
        assert first.equals(again)
        # each job starts after the screening it paid for: the clock runs ahead of the table's costs
        assert (first["start"].diff().dropna() > first["cost"].iloc[:-1].to_numpy()).all()
        assert first["start"].iloc[0] > 0
    finally:
        REGISTRY.pop("screen-then-ask", None)
