"""A strategy that asks a fixed list of jobs (for tests of the run loop and the evaluator)."""

from __future__ import annotations

from nasbench.protocol import Job, Result


class Scripted:
    """Asks ``jobs`` in order, then nothing more; keeps every result it is told in ``told``."""

    name = "scripted"

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs: list[Job] = jobs
        self.told: list[Result] = []

    def reset(self, space, rng, context) -> None:
        self.position = 0

    def ask(self) -> Job | None:
        if self.position == len(self.jobs):
            return None
        self.position += 1
        return self.jobs[self.position - 1]

    def tell(self, job: Job, result: Result) -> None:
        self.told.append(result)
