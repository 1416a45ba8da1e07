"""Simulator overhead per evaluation (pytest-benchmark).

Run: ``python -m pytest tests/test_bench_simulate.py --benchmark-enable``. The figure is the whole
run (strategy + loop + trace) divided by 10,000 evaluations on nbgraph-cora; the target is 10 us,
asserted with 2x headroom for a noisy shared CI machine (README has the measured figures). The last
test bounds a run's memory at the evaluation cap.
"""

from __future__ import annotations

import pytest

import nasbench
from nasbench.simulate import run

EVALS = 10_000


@pytest.mark.parametrize("strategy", ["rs", "rea"])
def test_per_evaluation_overhead(benchmark, strategy: str) -> None:
    bench = nasbench.load("nbgraph-cora")
    run(strategy, bench, seed=0, max_evals=100)  # first-use caches (lookup dicts) out of the timing
    trace = benchmark.pedantic(run, args=(strategy, bench), kwargs=dict(seed=0, max_evals=EVALS), rounds=5,
                               iterations=1)
    assert len(trace.to_frame()) == EVALS
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        per_eval = stats.stats.min / EVALS
        benchmark.extra_info["us_per_eval"] = per_eval * 1e6
        assert per_eval <= 2 * 10e-6, f"{per_eval * 1e6:.1f} us per evaluation (target 10 us)"


def test_a_run_at_the_evaluation_cap_stays_under_the_memory_bound(benchmark) -> None:
    """Python's allocations per evaluation (tracemalloc: the trace, the loop's records, the strategy's
    history), measured as the growth of the peak from 20,000 to 40,000 evaluations of rs, times
    ``MAX_EVALS``, stay under ``MAX_RUN_BYTES``; a budget past the cap is refused (tests/test_validate.py)."""
    import tracemalloc

    from nasbench.validate import MAX_EVALS, MAX_RUN_BYTES

    bench = nasbench.load("nbgraph-cora")
    run("rs", bench, seed=0, max_evals=100)  # first-use caches out of the measure

    def peak(evals: int) -> int:
        tracemalloc.start()
        try:
            run("rs", bench, seed=0, max_evals=evals)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = benchmark.pedantic(lambda: (peak(20_000), peak(40_000)), rounds=1, iterations=1)
    per_eval = (large - small) / 20_000
    benchmark.extra_info["bytes_per_eval"] = per_eval
    assert per_eval * MAX_EVALS < MAX_RUN_BYTES, f"{per_eval:.0f} bytes per evaluation x {MAX_EVALS:,}"
