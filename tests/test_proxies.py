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
    # the ReLUs after such a cell see a constant; the fisher hook and the input Jacobian must not raise
    bench, schedule, data = nb201
    arch = bench.space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|")
    scores = proxies(bench.space, arch, seed=0, schedule=schedule, data=data, names=("zc_fisher", "zc_jacov"))
    assert scores["zc_fisher"] == 0.0 and math.isfinite(scores["zc_jacov"])
