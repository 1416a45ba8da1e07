"""Bounding-box transfer [box]: random search inside the region the prior tasks' best architectures span.

Reference: Perrone, Shen, Seeger, Archambeau & Jenatton, "Learning Search Spaces for Bayesian
Optimization: Another View of Hyperparameter Transfer Learning" (NeurIPS 2019), as syne-tune's
``BoundingBox`` applies it: take the best ``top_n`` = 1 configuration of each prior task (syne-tune's
default ``num_hyperparameters_per_task``), restrict each categorical hyperparameter to the values those
configurations take, and search the restricted space (here with uniform random search, syne-tune's
default inner searcher). Every gene of a nasbench space is treated as categorical (its values are
choices, not an interval), on the canonical genes of each row. The box is the set of rows whose
genes all lie in it; they are asked in a random order without repetition, then, should the box be
exhausted, uniform samples of the whole space.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("box", "nbgraph-cora", seed=0, max_evals=3, transfer_from=("nbgraph-citeseer", "nbgraph-cs"))
    >>> len(trace.to_frame())
    3
"""

from __future__ import annotations

import numpy as np

from nasbench.strategies._transfer import prior_matrix
from nasbench.strategies.base import Job, Result, Strategy, check_int, register


@register("box")
class BoundingBox(Strategy):
    summary = "bounding-box transfer: random search in the gene values of the priors' best (Perrone et al. 2019)"
    transfers = True

    def __init__(self, *, top_n: int = 1) -> None:
        self.top_n = check_int("top_n", top_n, 1)

    def start(self) -> None:
        scores = prior_matrix(self.context, f"strategy {self.name}")
        genes = np.array([self.space.arch_of_row(row) for row in range(self.space.size)])
        best = {int(row) for values in scores
                for row in np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[:self.top_n]}
        inside = np.ones(len(genes), dtype=bool)
        for gene in range(genes.shape[1]):
            inside &= np.isin(genes[:, gene], genes[sorted(best), gene])
        self.box = np.flatnonzero(inside)
        self._queue = [int(row) for row in self.rng.permutation(self.box)][::-1]

    def ask(self) -> Job:
        if self._queue:
            return Job(self.space.arch_of_row(self._queue.pop()))
        return Job(self.space.sample(self.rng))

    def tell(self, job: Job, result: Result) -> None:
        pass
