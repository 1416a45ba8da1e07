"""The supernet, the one-shot search steps, and the errors one-shot strategies give before training."""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import REPO  # noqa: E402

import nasbench  # noqa: E402
from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.evaluate import TableEvaluator  # noqa: E402
from nasbench.protocol import Job  # noqa: E402
from nasbench.simulate import run  # noqa: E402
from nasbench.train.context import make_training_context  # noqa: E402
from nasbench.train.models import Nb201Network  # noqa: E402
from nasbench.train.oneshot import OneShot  # noqa: E402
from nasbench.train.supernet import Supernet, derive  # noqa: E402
from nasbench.train.unrolled import unrolled_arch_gradient  # noqa: E402

TABLE = "nb201-mnist1d"


@pytest.fixture(scope="module")
def context():
    return make_training_context(nasbench.load(TABLE), rng=np.random.default_rng(0))


def test_supernet_has_the_table_networks_skeleton() -> None:
    net, cell = Supernet(channels=4, cells_per_stage=1), Nb201Network((3,) * 6, channels=4, cells_per_stage=1)
    assert [p.shape for p in net.stem.parameters()] == [p.shape for p in cell.features[:2].parameters()]
    assert net.head.weight.shape == cell.head.weight.shape
    edge_params = sum(p.numel() for p in net.blocks[0].edges[0].conv3.parameters())
    assert edge_params == sum(p.numel() for p in cell.features[2].ops[0].parameters())  # a 3-wide conv op


def test_a_single_path_with_nothing_but_none_is_the_zero_cell() -> None:
    net = Supernet(channels=4, cells_per_stage=1)
    x = torch.randn(3, 1, 40, generator=torch.Generator().manual_seed(0))
    assert torch.equal(net.blocks[0](torch.ones(2, 4, 10), None, (0,) * 6), torch.zeros(2, 4, 10))
    assert net(x, path=(0,) * 6).shape == (3, 10)


def test_derived_cell_is_a_cell_of_the_table() -> None:
    bench = nasbench.load(TABLE)
    alphas = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
    arch = derive(alphas)
    assert arch == tuple(int(i) for i in alphas.argmax(1)) and bench.space.is_valid(arch)


def test_unrolled_gradient_with_a_zero_step_is_the_first_order_gradient(context) -> None:
    search = OneShot(context, epochs=2)
    x, y = context.splits.x_train[:50], context.splits.y_train[:50]
    xv, yv = context.splits.x_valid[:50], context.splits.y_valid[:50]
    first = torch.autograd.grad(torch.nn.functional.cross_entropy(search.net(xv, search.alphas.softmax(-1)), yv),
                                search.alphas)[0]
    zero = unrolled_arch_gradient(search.net, search.alphas, search.weights, 0.0, (x, y), (xv, yv))
    second = unrolled_arch_gradient(search.net, search.alphas, search.weights, 0.025, (x, y), (xv, yv))
    assert torch.allclose(zero, first, atol=1e-6) and not torch.allclose(second, first, atol=1e-6)


def test_darts_moves_the_architecture_and_gdas_anneals(context) -> None:
    search = OneShot(context, epochs=2, arch_learning_rate=0.02)
    before = search.alphas.detach().clone()
    search.darts_epoch(1)
    assert not torch.equal(before, search.alphas.detach())
    from nasbench.strategies.gdas import Gdas

    gdas = Gdas(epochs=5)
    assert [gdas.temperature(e) for e in (0, 4)] == [10.0, pytest.approx(0.1)]


def test_torch_randomness_comes_from_generators() -> None:
    calls = re.compile(r"torch\.(rand|randn|randint|randperm)\(|\.exponential_\(|\.normal_\(|\.uniform_\(")
    for path in ("nasbench/train/supernet.py", "nasbench/train/oneshot.py", "nasbench/train/unrolled.py"):
        for line in (REPO / path).read_text().splitlines():
            if calls.search(line):
                assert "generator=" in line, f"{path}: {line.strip()}"


@pytest.mark.parametrize("table, match", [("nbgraph-cora", "cannot train"), ("mlp-mnist1d", "nb201 cell space")])
def test_a_table_one_shot_cannot_search_is_refused(table: str, match: str) -> None:
    with pytest.raises(NasbenchError, match=match):
        run("darts", table, seed=0, max_time=100.0)


def test_a_budget_below_one_search_epoch_is_refused_before_training() -> None:
    with pytest.raises(NasbenchError, match="less than one darts search epoch"):
        run("darts", TABLE, seed=0, max_time=0.01)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_refused() -> None:
    with pytest.raises(NasbenchError, match="no CUDA device"):
        run("gdas", TABLE, seed=0, max_time=100.0, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_one_shot_search_runs_on_cuda() -> None:
    frame = run("darts", TABLE, seed=0, max_time=1e4, device="cuda", epochs=2).to_frame()
    assert len(frame) == 2


def test_only_live_training_strategies_may_set_a_jobs_cost() -> None:
    bench = nasbench.load("nbgraph-cora")
    arch = bench.space.arch_of_row(3)
    assert TableEvaluator(bench, own_costs=True).evaluate(Job(arch, cost=2.5), 0).cost == 2.5
    with pytest.raises(NasbenchError, match="only strategies that train live"):
        TableEvaluator(bench).evaluate(Job(arch, cost=2.5), 0)


def test_missing_torch_is_refused_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(NasbenchError, match="needs PyTorch"):
        run("rsps", TABLE, seed=0, max_time=100.0)


@pytest.mark.parametrize("strategy", ["rsps", "darts"])
def test_a_one_shot_trace_reports_the_cell_the_method_returns(strategy: str) -> None:
    # the method returns its last derived cell; the table's validation values of earlier derived cells are
    # lookups the method never made, so they must not pick the incumbent
    trace = run(strategy, TABLE, seed=0, max_time=1e4, epochs=4)
    columns = trace.columns
    assert len(columns["row"]) == 4
    np.testing.assert_array_equal(columns["incumbent_row"], columns["row"])
    final = nasbench.load(TABLE).query(int(columns["row"][-1]), "test_accuracy", fidelity=None, seed=None)
    assert columns["incumbent_test"][-1] == pytest.approx(final)
