"""Genetic algorithm with crossover [ga]: pymoo's elitist GA on categorical genes.

Reference: the textbook generational GA (Goldberg 1989) as pymoo implements it (Blank & Deb, "pymoo:
Multi-Objective Optimization in Python", IEEE Access 2020): ``pymoo.algorithms.soo.nonconvex.ga.GA``
driven by the operators of its mixed-variable GA for choice variables. The variant, step by step:

* population 100 uniform samples, duplicates removed (``eliminate_duplicates=True``);
* each generation makes ``offspring_size`` (pymoo default: = population) children. Parents come from
  binary tournaments (``TournamentSelection(pressure=2)`` on fitness, ties broken at random) whose
  competitors are read off concatenated random permutations of the population, so every member
  competes about equally often;
* uniform crossover (``UX``): with probability ``crossover_probability`` (pymoo 0.9) each gene of
  the two children is swapped between the parents with probability 1/2, else the children copy the
  parents; both children are kept;
* random-reset mutation (``ChoiceRandomMutation``): each gene is redrawn uniformly over all its
  values (possibly the same one) with probability 1/L, L = number of genes;
* a child is dropped if its canonical row repeats a member of the population or an earlier child
  (pymoo compares raw X; isomorphic architectures are the same network here, so rows are compared);
  mating repeats until the batch is full, at most 100 rounds as pymoo's ``InfillCriterion``;
* (mu + lambda) survival (``FitnessSurvival``): parents and children are pooled and the best
  ``population_size`` by validation score survive.

Invalid children (constrained spaces) are mutated afresh, as a repair would, and dropped after 100
tries. The GA is generation-synchronous: with several workers, ``ask`` returns ``None`` until the
whole generation is scored. The seed text's GA (population 100, keep the top 20) is a different,
truncation-selection variant.
"""

from __future__ import annotations

import numpy as np

from nasbench.strategies.base import Arch, Job, Result, Strategy, check_float, check_int, register

MAX_MATING_ROUNDS = 100  # pymoo InfillCriterion.n_max_iterations


@register("ga")
class GeneticAlgorithm(Strategy):
    summary = "genetic algorithm (pymoo GA): binary tournaments, uniform crossover, (mu+lambda) survival"

    def __init__(self, *, population_size: int = 100, offspring_size: int | None = None,
                 crossover_probability: float = 0.9, mutation_probability: float | None = None) -> None:
        self.population_size = check_int("population_size", population_size, 2)
        self.offspring_size = None if offspring_size is None else check_int("offspring_size", offspring_size, 1)
        self.crossover_probability = check_float("crossover_probability", crossover_probability, 0.0, 1.0)
        self.mutation_probability = (None if mutation_probability is None
                                     else check_float("mutation_probability", mutation_probability, 0.0, 1.0))

    def start(self) -> None:
        self._population: list[tuple[float, Arch]] = []  # (score, arch), survivors of the last generation
        self._batch: list[Arch] = self._initial_batch()
        self._asked = 0
        self._scored: list[tuple[float, Arch]] = []
        self._generation = 0

    @property
    def generation(self) -> int:
        """Number of completed survival steps (0 while the initial population is scored)."""
        return self._generation

    # --- ask/tell: one generation at a time ------------------------------------------------
    def ask(self) -> Job | None:
        if self._asked == len(self._batch):
            if len(self._scored) < len(self._batch):
                return None  # the generation is still being evaluated
            self._survive()
            self._batch, self._asked, self._scored = self._offspring(), 0, []
        self._asked += 1
        return Job(self._batch[self._asked - 1])

    def tell(self, job: Job, result: Result) -> None:
        self._scored.append((result.score, job.arch))

    def _survive(self) -> None:
        """(mu + lambda): keep the best of parents and children; a stable sort keeps ties in order."""
        pool = self._population + self._scored
        order = sorted(range(len(pool)), key=lambda i: -pool[i][0])
        self._population = [pool[i] for i in order[: self.population_size]]
        self._generation += 1

    # --- variation ---------------------------------------------------------------------------
    def _initial_batch(self) -> list[Arch]:
        batch: list[Arch] = []
        rows: set[int] = set()
        for _ in range(MAX_MATING_ROUNDS):
            for arch in self.space.sample_batch(self.rng, self.population_size - len(batch)):
                row = self.space.index(arch)
                if row not in rows:
                    rows.add(row)
                    batch.append(arch)
            if len(batch) == self.population_size:
                break
        return batch

    def _offspring(self) -> list[Arch]:
        wanted = self.offspring_size or self.population_size
        seen = {self.space.index(arch) for _, arch in self._population}
        children: list[Arch] = []
        for _ in range(MAX_MATING_ROUNDS):
            for child in self._mate(wanted - len(children)):
                row = self.space.index(child)
                if row not in seen and len(children) < wanted:
                    seen.add(row)
                    children.append(child)
            if len(children) == wanted:
                break
        if not children:  # the population has converged on a tiny space: keep the budget in use
            children = self.space.sample_batch(self.rng, wanted)
        return children

    def _mate(self, n_children: int) -> list[Arch]:
        """``ceil(n/2)`` matings: tournaments, uniform crossover, random-reset mutation."""
        n_matings = -(-n_children // 2)
        parents = self.tournament(2 * n_matings).reshape(n_matings, 2)
        genes = np.array([arch for _, arch in self._population], dtype=np.int64)
        first, second = genes[parents[:, 0]], genes[parents[:, 1]]
        n_genes = genes.shape[1]
        crossing = self.rng.random(n_matings) < self.crossover_probability
        swap = (self.rng.random((n_matings, n_genes)) < 0.5) & crossing[:, None]
        children = np.concatenate([np.where(swap, second, first), np.where(swap, first, second)])
        mutated = (self.mutate(tuple(int(g) for g in child)) for child in children)
        return [child for child in mutated if child is not None]

    def tournament(self, n_winners: int) -> np.ndarray:
        """Indices of ``n_winners`` binary-tournament winners (competitors from random permutations)."""
        size = len(self._population)
        n_perms = -(-2 * n_winners // size)
        competitors = np.concatenate([self.rng.permutation(size) for _ in range(n_perms)])[: 2 * n_winners]
        pairs = competitors.reshape(n_winners, 2)
        scores = np.array([score for score, _ in self._population])
        a, b = scores[pairs[:, 0]], scores[pairs[:, 1]]
        coin = self.rng.random(n_winners) < 0.5
        pick_second = (b > a) | ((a == b) & coin)
        return np.where(pick_second, pairs[:, 1], pairs[:, 0])

    def mutate(self, arch: Arch) -> Arch | None:
        """Redraw each gene uniformly with probability p (default 1/L); retry while the result is
        invalid, giving up (``None``: the child is dropped) after 100 tries."""
        n_choices = self.space.n_choices
        probability = self.mutation_probability
        if probability is None:
            probability = min(0.5, 1.0 / len(n_choices))  # pymoo's default prob_var
        for _ in range(MAX_MATING_ROUNDS):
            redraw = self.rng.random(len(n_choices)) < probability
            values = self.rng.integers(0, n_choices)
            child = tuple(int(v) if r else g for g, v, r in zip(arch, values, redraw))
            if self.space.is_valid(child):
                return child
        return None
