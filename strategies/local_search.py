"""Local search [ls]: best-improvement hill climbing over the one-gene neighbourhood, with restarts.

Reference: White, Nolen & Savani, "Exploring the Loss Landscape in Neural Architecture Search" (UAI
2021; arXiv 2005.02960 "Local Search is State of the Art for NAS Benchmarks"); the variant of NASLib
(``naslib/optimizers/discrete/ls/optimizer.py``), default ``num_init`` 10:

1. evaluate ``initial_size`` uniform samples; the best of them is the first current point;
2. evaluate the *whole* neighbourhood of the current point (every architecture one gene away, one
   per canonical row, in a shuffled order), remembering the best seen since the scan began;
3. if some neighbour scored strictly higher than the current point, it becomes the current point
   (a best-improvement move made after the full scan, as NASLib's ``chosen = best_arch``); go to 2;
4. otherwise the current point is a local optimum: evaluate one fresh uniform sample, make it the
   current point (even if worse than the best so far — NASLib resets its ``best_arch``) and go to 2.

Architectures are re-evaluated when a scan reaches them again (NASLib keeps no cache). With several
workers the neighbourhood is scanned in parallel; the decisions of steps 1, 3 and 4 wait for every
outstanding result (``ask`` returns ``None`` meanwhile).
"""

from __future__ import annotations

from nasbench.strategies._transfer import warm_start_queue
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_int, register


@register("ls")
class LocalSearch(Strategy):
    summary = "local search (NASLib): full shuffled neighbourhood scans, move on improvement, random restarts"

    def __init__(self, *, initial_size: int = 10, warm_start: int = 0) -> None:
        self.initial_size = check_int("initial_size", initial_size, 1)
        self.warm_start = check_int("warm_start", warm_start, 0)

    def start(self) -> None:
        warm = warm_start_queue(self.space, self.context, self.warm_start, self.name)  # portfolio first
        self._queue: list[Arch] = self.space.sample_batch(self.rng, max(self.initial_size - len(warm), 0))[::-1] + warm
        self._phase = "initial"  # initial | scan | restart
        self._outstanding = 0
        self._current: tuple[float, Arch] | None = None  # the point whose neighbourhood is scanned
        self._best: tuple[float, Arch] | None = None  # best seen since the phase began
        self._moves: list[tuple[Arch, Arch]] = []  # (from, to) of each improving move
        self._restarts: list[Arch] = []  # the local optima at which a restart happened

    @property
    def moves(self) -> list[tuple[Arch, Arch]]:
        """Each improving move made so far, as (from, to)."""
        return list(self._moves)

    @property
    def restarts(self) -> list[Arch]:
        """The local optima at which the search restarted."""
        return list(self._restarts)

    def ask(self) -> Job | None:
        if not self._queue:
            if self._outstanding:
                return None  # the next decision needs every result of this phase
            self._decide()
        self._outstanding += 1
        return Job(self._queue.pop())

    def tell(self, job: Job, result: Result) -> None:
        self._outstanding -= 1
        if self._best is None or result.score > self._best[0]:
            self._best = (result.score, job.arch)

    def _decide(self) -> None:
        """Every job of the phase has finished: pick the next current point and queue its work."""
        best, current = self._best, self._current
        assert best is not None  # the phase evaluated at least one point
        if self._phase == "scan":
            assert current is not None  # a scan is of the current point's neighbourhood
            if best[0] <= current[0]:
                self._restarts.append(current[1])
                self._phase, self._best = "restart", None
                self._queue = [self.space.sample(self.rng)]
                return
            self._moves.append((current[1], best[1]))
        self._current = best
        self._phase = "scan"
        neighbours = self.space.neighbours(best[1])
        if not neighbours:  # a one-point space: nothing to climb, sample again
            self._phase, self._best = "restart", None
            self._queue = [self.space.sample(self.rng)]
            return
        self._queue = [neighbours[i] for i in self.rng.permutation(len(neighbours))]
