"""Speed of one supernet search epoch (each kind) and of the zero-cost proxies of one cell.

Run: ``python -m pytest tests/test_bench_oneshot.py --benchmark-enable``. With benchmarks disabled
(the default test run) each body runs once as a smoke test.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

import nasbench  # noqa: E402
from nasbench.train import store  # noqa: E402
from nasbench.train.context import make_training_context  # noqa: E402
from nasbench.train.data import load_mnist1d  # noqa: E402
from nasbench.train.oneshot import OneShot  # noqa: E402
from nasbench.train.proxies import PROXIES, proxies  # noqa: E402

EPOCHS = {"darts1": lambda s: s.darts_epoch(1), "darts2": lambda s: s.darts_epoch(2),
          "gdas": lambda s: s.gdas_epoch(1.0), "rsps": lambda s: s.rsps_epoch()}


@pytest.fixture(scope="module")
def search() -> OneShot:
    context = make_training_context(nasbench.load("nb201-mnist1d"), rng=np.random.default_rng(0))
    return OneShot(context, epochs=1000)


@pytest.mark.parametrize("kind", sorted(EPOCHS))
def test_one_search_epoch(benchmark, search: OneShot, kind: str) -> None:
    benchmark.pedantic(EPOCHS[kind], args=(search,), rounds=3, iterations=1)


@pytest.mark.parametrize("table", ["nb201-mnist1d", "mlp-mnist1d"])
def test_proxies_of_one_cell(benchmark, table: str) -> None:
    bench = nasbench.load(table)
    schedule, data = store.schedule_of(bench.table), load_mnist1d()
    arch = bench.space.arch_of_row(7)
    scores = benchmark.pedantic(proxies, args=(bench.space, arch), rounds=3, iterations=1,
                                kwargs={"seed": 0, "schedule": schedule, "data": data})
    assert set(scores) == set(PROXIES)
