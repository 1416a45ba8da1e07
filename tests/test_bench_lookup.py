"""Lookup-layer speed and memory targets (pytest-benchmark).

Run: ``python -m pytest tests/test_bench_lookup.py --benchmark-enable`` (the figures in README come
from that command). With benchmarks disabled (the default test run) each body runs once as a smoke
test and the target assertions are skipped. Absolute targets are asserted with 2x headroom, since a
shared CI machine is noisy; the ratio to the bare lookup is asserted as stated (<= 3x).
"""

from __future__ import annotations

import subprocess
import sys
import timeit

import numpy as np
from conftest import REPO

import nasbench

NAME = "nbgraph-cora"


def _median(benchmark) -> float | None:
    stats = getattr(benchmark, "stats", None)
    return None if stats is None else stats.stats.median


def test_open_time(benchmark) -> None:
    b = benchmark(nasbench.load, NAME)
    assert b.n_archs == 26206
    median = _median(benchmark)
    if median is not None:
        assert median <= 2 * 0.050, f"open took {median * 1e3:.1f} ms (target 50 ms)"


def test_scalar_query_against_bare_dict_and_numpy_lookup(benchmark) -> None:
    b = nasbench.load(NAME)
    key = str(b.table.archs[12345])
    expected = b.query(key, "valid_accuracy")
    vector = b.final("valid_accuracy").copy()
    rows = {arch: i for i, arch in enumerate(b.table.archs.tolist())}
    assert benchmark(b.query, key, "valid_accuracy") == expected == vector[rows[key]]
    median = _median(benchmark)
    if median is not None:
        bare = min(timeit.repeat(lambda: vector[rows[key]], number=100_000, repeat=7)) / 100_000
        ours = min(timeit.repeat(lambda: b.query(key, "valid_accuracy"), number=100_000, repeat=7)) / 100_000
        benchmark.extra_info.update(bare_ns=bare * 1e9, ours_ns=ours * 1e9, ratio=ours / bare)
        assert ours <= 3 * bare, f"query {ours * 1e9:.0f} ns vs bare {bare * 1e9:.0f} ns"
        assert median <= 2 * 2e-6


def test_batched_query_throughput(benchmark) -> None:
    b = nasbench.load(NAME)
    rows = np.random.default_rng(0).integers(b.n_archs, size=1_000_000)
    values = benchmark(b.query_many, rows, "valid_accuracy")
    assert values.shape == rows.shape and values[0] == b.query(int(rows[0]), "valid_accuracy")
    median = _median(benchmark)
    if median is not None:
        rate = len(rows) / median
        benchmark.extra_info["rows_per_s"] = rate
        assert rate >= 20e6 / 2, f"{rate / 1e6:.1f} M rows/s (target 20 M)"


_MEMORY_SCRIPT = """
import nasbench, numpy as np
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * 4096
names = [n for n in nasbench.list_benchmarks() if n.startswith('nbgraph-')]
nasbench.load(names[0]).query(0, 'params')  # imports and first-use caches out of the way
before = rss()
keep = []
for name in names:
    b = nasbench.load(name)
    for metric in b.metrics:
        b.query_many(np.arange(b.n_archs), metric)
        b.query(0, metric)
    keep.append(b)
print((rss() - before) / len(names))
"""


def test_resident_memory_growth_per_open_table(benchmark) -> None:
    def measure() -> float:
        done = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT], capture_output=True, text=True, cwd=REPO,
                              check=True)
        return float(done.stdout.strip())

    growth = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info["bytes_per_table"] = growth
    assert growth <= 100 * 2**20, f"{growth / 2**20:.1f} MiB per open table (target 100 MB)"
