"""NSGA-II [nsga2]: elitist non-dominated sorting GA with crowding distance (multi-objective).

Reference: Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective Genetic Algorithm:
NSGA-II", IEEE Trans. Evolutionary Computation 6(2), 2002, as pymoo implements it
(``pymoo.algorithms.moo.nsga2.NSGA2``, Blank & Deb 2020). Defaults are pymoo's:

* population 100 distinct uniform samples; ``offspring_size`` = population per generation;
* parents from binary tournaments (pymoo ``binary_tournament``): the one that Pareto-dominates the
  other wins, else the larger crowding distance, else a coin; competitors from random permutations;
* the variation of the single-objective ``ga`` (``strategies/genetic.py``): uniform crossover with
  probability 0.9, random-reset mutation of each gene with probability 1/L, children whose row
  repeats a member or an earlier child are dropped (pymoo's ``eliminate_duplicates``);
* survival (pymoo ``RankAndCrowding``): parents and children pooled, fronts of the fast
  non-dominated sort taken in order, the last one that fits only in part cut by crowding distance
  (boundary points first: infinite distance; ties by a stable order).

The objectives are the run's declared objectives (all oriented to maximise); with fewer than two
declared, the score joins them, so that ``nsga2`` still runs (single-objective it is the elitist GA
with crowding as tie-break). Generation-synchronous like ``ga``.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("nsga2", "nbgraph-cora", seed=0, max_evals=120, objectives=("valid_accuracy", "latency"))
    >>> bool(trace.to_frame()["hv_regret"].is_monotonic_decreasing)
    True
"""

from __future__ import annotations

import numpy as np

from nasbench.pareto import nondominated
from nasbench.strategies.base import Arch, Job, Result, register
from nasbench.strategies.genetic import GeneticAlgorithm


def fronts(values: np.ndarray) -> list[np.ndarray]:
    """Indices of the non-dominated fronts of ``values`` (rows, maximised), best front first.

    >>> [f.tolist() for f in fronts(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))]
    [[0, 1], [2]]
    """
    remaining = np.arange(len(values))
    found = []
    while remaining.size:
        mask = nondominated(-values[remaining])
        found.append(remaining[mask])
        remaining = remaining[~mask]
    return found


def crowding_distance(values: np.ndarray) -> np.ndarray:
    """Crowding distance of each point of one front (Deb et al. 2002, pymoo's normalisation by the
    front's range per objective); the extreme points of each objective get infinity.

    >>> crowding_distance(np.array([[0.0, 2.0], [1.0, 1.0], [2.0, 0.0]])).tolist()
    [inf, 2.0, inf]
    """
    n, m = values.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(values[:, j], kind="stable")
        column = values[order, j]
        span = column[-1] - column[0]
        gaps = (column[2:] - column[:-2]) / span if span > 0 else np.zeros(n - 2)
        distance[order[1:-1]] += gaps
        distance[order[[0, -1]]] = np.inf
    return distance


@register("nsga2")
class NSGA2(GeneticAlgorithm):
    summary = "NSGA-II (Deb 2002, pymoo defaults): non-dominated sorting, crowding distance, tournaments"
    multi_objective = True

    def start(self) -> None:
        super().start()
        self._vectors: dict[Arch, tuple[float, ...]] = {}
        self._crowding = np.zeros(0)

    def tell(self, job: Job, result: Result) -> None:
        super().tell(job, result)
        objectives = result.objectives
        self._vectors[job.arch] = objectives if len(objectives) >= 2 else (result.score, *objectives)

    def _survive(self) -> None:
        """Rank and crowding: whole fronts while they fit, the last cut by crowding distance."""
        pool = self._population + self._scored
        values = np.array([self._vectors[arch] for _, arch in pool], dtype=np.float64)
        chosen: list[int] = []
        crowding: list[float] = []
        for front in fronts(values):
            distance = crowding_distance(values[front])
            room = self.population_size - len(chosen)
            if len(front) > room:
                keep = np.argsort(-distance, kind="stable")[:room]
                front, distance = front[keep], distance[keep]
            chosen.extend(front.tolist())
            crowding.extend(distance.tolist())
            if len(chosen) == self.population_size:
                break
        self._population = [pool[i] for i in chosen]
        self._crowding = np.array(crowding)
        self._generation += 1

    def tournament(self, n_winners: int) -> np.ndarray:
        """Winners of binary tournaments: the competitor that Pareto-dominates the other, else the
        larger crowding distance, else a coin (pymoo's ``comp_by_dom_and_crowding``)."""
        size = len(self._population)
        n_perms = -(-2 * n_winners // size)
        competitors = np.concatenate([self.rng.permutation(size) for _ in range(n_perms)])[: 2 * n_winners]
        a, b = competitors.reshape(n_winners, 2).T
        values = np.array([self._vectors[arch] for _, arch in self._population], dtype=np.float64)
        a_dominates = np.all(values[a] >= values[b], axis=1) & np.any(values[a] > values[b], axis=1)
        b_dominates = np.all(values[b] >= values[a], axis=1) & np.any(values[b] > values[a], axis=1)
        crowd_a, crowd_b = self._crowding[a], self._crowding[b]
        coin = self.rng.random(n_winners) < 0.5
        pick_b = b_dominates | (~a_dominates & ((crowd_b > crowd_a) | ((crowd_b == crowd_a) & coin)))
        return np.where(pick_b, b, a)
