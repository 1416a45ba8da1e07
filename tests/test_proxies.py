"""Zero-cost proxies of untrained networks, and the evolution they warm up."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nasbench  # noqa: E402
from nasbench.simulate import run  # noqa: E402
from nasbench.train import store  # noqa: E402
from nasbench.train.data import load_mnist1d  # noqa: E402
from nasbench.train.proxies import PROXIES, proxies  # noqa: E402

CELL = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module")
def nb201():
    bench = nasbench.load("nb201-mnist1d")
    return bench, store.schedule_of(bench.table), load_mnist1d()


def test_every_proxy_is_finite_and_reproducible(nb201) -> None:
    bench, schedule, data = nb201
    arch = bench.space.parse(CELL)
    timings: dict[str, float] = {}
    first = proxies(bench.space, arch, seed=0, schedule=schedule, data=data, timings=timings)
    assert set(first) == set(PROXIES) == set(timings) and all(math.isfinite(v) for v in first.values())
    assert first == proxies(bench.space, arch, seed=0, schedule=schedule, data=data)
    other = proxies(bench.space, arch, seed=1, schedule=schedule, data=data)
    assert other["zc_snip"] != first["zc_snip"]


def test_proxies_tell_a_cell_without_weights_from_a_convolutional_one(nb201) -> None:
    bench, schedule, data = nb201
    scores = [proxies(bench.space, bench.space.parse(text), seed=0, schedule=schedule, data=data,
                      names=("zc_synflow", "zc_naswot"))
              for text in ("|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|", CELL)]
    assert scores[0]["zc_synflow"] < scores[1]["zc_synflow"] and scores[0]["zc_naswot"] < scores[1]["zc_naswot"]


def test_zero_cost_warm_up_is_charged_and_seeds_the_population() -> None:
    frame = run("zc-rea", "nb201-mnist1d", seed=0, max_evals=12, pool_size=30, proxy_seconds=0.5).to_frame()
    assert frame["start"].iloc[0] == pytest.approx(15.0)  # 30 cells x 0.5 s before the first job
    again = run("zc-rea", "nb201-mnist1d", seed=0, max_evals=12, pool_size=30, proxy_seconds=0.5).to_frame()
    assert np.array_equal(frame["row"], again["row"])


def test_a_cell_whose_output_node_sees_only_none_edges_still_scores(nb201) -> None:
    # the layers after such a cell see a constant; the fisher hooks and the input Jacobian must not raise
    bench, schedule, data = nb201
    arch = bench.space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|")
    scores = proxies(bench.space, arch, seed=0, schedule=schedule, data=data, names=("zc_fisher", "zc_jacov"))
    assert all(math.isfinite(value) for value in scores.values())


def _small_network() -> torch.nn.Module:
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3, padding=1), torch.nn.BatchNorm1d(2), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(16, 3))
    with torch.no_grad():
        for p in model.parameters():  # batch norm's weight and bias away from 1 and 0, so that they would count
            p.copy_(torch.rand(p.shape, generator=generator) - 0.3)
    return model


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(6, 1, 8, generator=generator), torch.tensor([0, 1, 2, 0, 1, 2])


def _by_hand(name: str) -> float:
    """The zero-cost-nas definition, over the conv and linear weights only, written out for the small network."""
    model = _small_network()
    x, y = _batch()
    weights = [model[0].weight, model[4].weight]
    if name == "zc_synflow":  # every parameter positive, batch norm removed, float64, one all-ones input
        model = model.double()
        with torch.no_grad():
            for p in model.parameters():
                p.abs_()
        without_bn = torch.nn.Sequential(model[0], model[2], model[3], model[4])
        weights = [model[0].weight, model[4].weight]
        grads = torch.autograd.grad(without_bn(torch.ones(1, 1, 8, dtype=torch.float64)).sum(), weights)
        return float(sum((w.detach() * g).abs().sum() for w, g in zip(weights, grads)))
    loss = torch.nn.functional.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, weights, create_graph=True)
    if name == "zc_snip":
        return float(sum((w * g).detach().abs().sum() for w, g in zip(weights, grads)))
    if name == "zc_grad_norm":
        return float(sum(g.detach().norm() for g in grads))
    hessian_g = torch.autograd.grad(sum((g * g.detach()).sum() for g in grads), weights)
    return float(sum((-w.detach() * h).sum() for w, h in zip(weights, hessian_g)))


@pytest.mark.parametrize("name", ["zc_synflow", "zc_snip", "zc_grad_norm", "zc_grasp"])
def test_gradient_proxies_score_conv_and_linear_weights_only(name: str) -> None:
    # zero-cost-nas sums over Conv2d/Linear weights (get_layer_metric_array): no batch norm, no biases
    x, y = _batch()
    score = PROXIES[name](_small_network(), x, y, torch.Generator().manual_seed(0))
    assert score == pytest.approx(_by_hand(name), rel=1e-6)


def test_fisher_is_taken_at_conv_and_linear_outputs() -> None:
    # zero-cost-nas hooks the output z of each conv/linear layer: 0.5 mean_n (sum_l z dL/dz)^2 per channel,
    # broadcast to the channel's fan-in weights before summing; a network without ReLU has a fisher score too
    x, y = _batch()
    model = _small_network()
    z1 = model[0](x)
    z2 = model[4](model[3](model[2](model[1](z1))))
    g1, g2 = torch.autograd.grad(torch.nn.functional.cross_entropy(z2, y), [z1, z2])
    expected = (3 * float(0.5 * (z1 * g1).sum(-1).pow(2).mean(0).sum())
                + 16 * float(0.5 * (z2 * g2).pow(2).mean(0).sum()))
    assert PROXIES["zc_fisher"](_small_network(), x, y, torch.Generator()) == pytest.approx(expected, rel=1e-6)
    linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 3))
    assert PROXIES["zc_fisher"](linear, x, y, torch.Generator()) > 0


def test_jacov_has_no_null_eigenvalues_and_tells_cells_apart(nb201) -> None:
    # a batch of 100 Jacobians of 40 inputs has a correlation matrix of rank <= 39: 61 eigenvalues of 0, each
    # adding -1/k = -1e5, left every cell near -6.1e6 and 434 distinct float32 values over 5,425 cells
    bench, schedule, data = nb201
    rows = np.random.default_rng(0).choice(bench.space.size, size=8, replace=False)
    scores = [proxies(bench.space, bench.space.arch_of_row(int(row)), seed=0, schedule=schedule, data=data,
                      names=("zc_jacov",))["zc_jacov"] for row in rows]
    assert all(-1e5 < score < 0 for score in scores)
    assert len(set(np.float32(scores).tolist())) == len(rows)
