"""Regularized evolution [rea] (aging evolution).

Reference: Real, Aggarwal, Huang & Le, "Regularized Evolution for Image Classifier Architecture
Search" (AAAI 2019); defaults from the NAS-Bench-201 / NATS-Bench scripts (D-X-Y/AutoDL-Projects,
``R_EA.py``): population P=10, tournament S=3. The first P evaluations are uniform samples; then each
cycle draws S members *with replacement* from the population (as the reference), mutates the best
and appends the child, and the oldest member dies. Mutation is the space's ``mutate``: one gene
(edge) chosen uniformly, changed to a different value (the NASLib variant; AutoDL instead picks a node
first). With several workers the evolution is asynchronous, as in the paper: a free worker mutates
from the population as it stands, and members join it in finishing order. ``warm_start=K`` asks the
prior tasks' portfolio (``strategies/_transfer.py``) first, in place of the first K initial samples.
"""

from __future__ import annotations

from collections import deque

from nasbench.draws import Uniforms
from nasbench.strategies._transfer import warm_start_queue
from nasbench.strategies.base import Job, Result, Strategy, check_int, register


@register("rea")
class RegularizedEvolution(Strategy):
    summary = "regularized (aging) evolution, P=10 S=3 as the NAS-Bench-201 scripts"

    def __init__(self, *, population_size: int = 10, sample_size: int = 3, warm_start: int = 0) -> None:
        self.population_size = check_int("population_size", population_size, 2)
        self.sample_size = check_int("sample_size", sample_size, 1)
        self.warm_start = check_int("warm_start", warm_start, 0)

    def start(self) -> None:
        self._population: deque = deque()  # (score, arch), oldest first
        self._initial_asked = 0
        self._uniforms: Uniforms | None = None  # tournament and mutation draws, once the evolution starts
        self._tournament: list[float] = []
        self._parent: tuple | None = None
        self._warm = warm_start_queue(self.space, self.context, self.warm_start, self.name)

    def ask(self) -> Job:
        if self._warm:  # the prior portfolio first, in place of initial samples
            self._initial_asked += 1
            return Job(self._warm.pop())
        if self._initial_asked < self.population_size:
            self._initial_asked += 1
            return Job(self.space.sample(self.rng))
        if not self._population:  # every initial job still running (many workers): keep sampling
            return Job(self.space.sample(self.rng))
        uniforms = self._uniforms
        if uniforms is None:
            uniforms = self._uniforms = Uniforms(self.rng)
        population = self._population
        size = len(population)
        parent = None
        self._tournament = draws = uniforms.random(self.sample_size)  # kept for describe_last
        for u in draws:
            member = population[int(u * size)]
            if parent is None or member[0] > parent[0]:  # first of equal scores, as the reference's max()
                parent = member
        assert parent is not None  # sample_size >= 1
        self._parent = parent
        return Job(self.space.mutate(parent[1], uniforms))

    def tell(self, job: Job, result: Result) -> None:
        self._population.append((result.score, job.arch))
        if len(self._population) > self.population_size:
            self._population.popleft()

    def describe_last(self) -> dict:
        """The last decision, for a replay: population, tournament, parent and child (as table rows)."""
        index, population = self.space.index, list(self._population)
        if self._parent is None or not population:
            return {"phase": "initial uniform sample", "marks": {"population": [index(a) for _, a in population]}}
        size = len(population)
        tournament = [population[int(u * size)] for u in self._tournament]
        return {"phase": f"tournament of {self.sample_size} from a population of {size}",
                "tournament_scores": [score for score, _ in tournament], "parent_score": self._parent[0],
                "marks": {"population": [index(a) for _, a in population],
                          "tournament": [index(a) for _, a in tournament], "parent": [index(self._parent[1])]}}
