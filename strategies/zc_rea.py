"""Regularized evolution with a zero-cost warm-up [zc-rea].

Reference: Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight NAS" (ICLR
2021), section 5 (warm-up): score a pool of random cells with a zero-cost proxy at initialisation
and start aging evolution (:mod:`strategies.regularized_evolution`, P=10 S=3) from the best-scored
cells instead of random ones. The paper scores 3,000 cells with ``synflow``; here ``pool_size``
defaults to 1,000 so that 30-seed studies fit a 2-core CPU (each proxy is computed live, on the
network the table would train, at a fresh initialisation from the run's generator, on the first
training minibatch).

The warm-up is charged on the simulated clock before the first job: ``pool_size x proxy_seconds``,
``proxy_seconds`` = 8 ms, the measured CPU time of ``zc_synflow`` on one ``nb201-mnist1d`` cell
(``tests/test_bench_oneshot.py``), never host time.
"""

from __future__ import annotations

from typing import Any

from nasbench.errors import NasbenchError
from nasbench.strategies.base import Job, check_choice, check_float, check_int, register
from nasbench.strategies.regularized_evolution import RegularizedEvolution


@register("zc-rea")
class ZeroCostEvolution(RegularizedEvolution):
    summary = "regularized evolution seeded with the best of a pool by a zero-cost proxy (synflow)"
    trains_live = True

    def __init__(self, *, population_size: int = 10, sample_size: int = 3, pool_size: int = 1000,
                 proxy: str = "zc_synflow", proxy_seconds: float = 0.008) -> None:
        super().__init__(population_size=population_size, sample_size=sample_size)
        self.pool_size = check_int("pool_size", pool_size, 1)
        self.proxy = proxy  # checked against the proxies' names in start: their module imports torch
        self.proxy_seconds = check_float("proxy_seconds", proxy_seconds, 0.0, 3600.0)

    def start(self) -> None:
        self.warm_start = 0  # the zero-cost pool is this strategy's warm start (no prior tasks)
        super().start()
        training: Any = self.context.training
        if training is None:
            raise NasbenchError(f"strategy {self.name!r} computes proxies of live networks and needs the run's "
                                f"training context (run it through nasbench.simulate.run)")
        check_choice("proxy", self.proxy, training.proxy_names())
        pool = [self.space.sample(self.rng) for _ in range(self.pool_size)]
        scored = [(-value if value == value else float("inf"), position, arch)  # NaN ranks last
                  for position, (arch, value) in enumerate(zip(pool, training.proxy_scores(self.proxy, pool)))]
        self._seeds = [arch for _, _, arch in sorted(scored)[:self.population_size]]
        self._warm_up = self.pool_size * self.proxy_seconds

    def overhead(self) -> float:
        charge, self._warm_up = self._warm_up, 0.0
        return charge

    def ask(self) -> Job:
        if self._initial_asked < len(self._seeds):
            self._initial_asked += 1
            return Job(self._seeds[self._initial_asked - 1])
        return super().ask()
