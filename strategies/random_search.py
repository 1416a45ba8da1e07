"""Random search [rs]: uniform over the space's raw encoding.

Reference: Li & Talwalkar, "Random Search and Reproducibility for Neural Architecture Search" (UAI
2019); the NAS-Bench-201 scripts' ``RANDOM``. Samples are drawn in blocks from the run's generator
(the same distribution as one at a time) so the per-evaluation overhead stays small. On spaces with
validity constraints (NAS-Bench-101) this is rejection sampling of valid raw encodings, which is not
uniform over unique graphs.
"""

from __future__ import annotations

from nasbench.strategies.base import Job, Result, Strategy, check_int, register


@register("rs")
class RandomSearch(Strategy):
    summary = "random search: uniform samples of the raw encoding"

    def __init__(self, *, block_size: int = 256) -> None:
        self.block_size = check_int("block_size", block_size, 1)

    def start(self) -> None:
        self._pending: list = []

    def ask(self) -> Job:
        if not self._pending:
            self._pending = self.space.sample_batch(self.rng, self.block_size)[::-1]
        return Job(self._pending.pop())

    def tell(self, job: Job, result: Result) -> None:
        pass
