"""BANANAS [bananas]: Bayesian optimisation with a neural-network ensemble and path encoding.

Reference: White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural Architectures
for Neural Architecture Search" (AAAI 2021); the variant is naszilla/bananas ``nas_algorithms.py``
``bananas`` with ``meta_neural_net.py`` and ``params.py``'s NAS-Bench-201 settings:

* encoding: ``space.path_encoding(arch)`` where the space has one (NAS-Bench-201: 155 bits), else
  ``space.one_hot(arch)`` (NAS-Bench-Graph has no path encoding in this package);
* model: an ensemble of ``n_networks`` = 5 fully connected ReLU networks, ``n_layers`` = 10 hidden
  layers of ``width`` = 20, Adam (lr 0.01, betas 0.9/0.99), batch 32, mean absolute error,
  Glorot-uniform initialisation (Keras' defaults), trained in numpy (float32) with the members
  stacked. ``epochs`` defaults to 50, not the reference's 150: a third of the cost, and on
  NAS-Bench-Graph (cora) the ensemble ranks 1,000 held-out cells as well (Kendall tau 0.144 vs
  0.144 after 20 training cells, 0.402 vs 0.393 after 290; see the notes); ``epochs=150`` is the
  reference. The
  targets are the scores standardised (the reference regresses validation error in percent, whose
  scale differs between tables; standardising keeps the network's regime table-independent);
* acquisition: independent Thompson sampling (``its``): each candidate gets one draw from a normal
  with the ensemble's mean and (population) standard deviation, and the ``batch_size`` = 10 best
  draws are the next round;
* candidates (``acq_opt_type="mutation"``): walking the 5 best architectures from the best down,
  ``n_candidates`` = 100 mutation attempts each until 100 candidates are collected, dropping
  architectures already asked or already a candidate (same row). Mutation is the space's
  ``mutate`` (one gene changed), where the reference changes each op with probability 1/L. Once the
  one-gene neighbourhoods of the best are used up (on NAS-Bench-Graph after about 250 evaluations),
  the pool is filled with chains of 2, 3, ... mutations and then uniform samples, as the reference's
  ``max_mutation_rate`` and ``mutation_random`` options do, so every round is chosen by the model;
* ``n_initial`` = 10 distinct uniform samples start the run; the model is refitted once per round.

Batches are synchronous, as in the reference: ``ask()`` hands out the round's architectures one by
one, and once they are all out it returns ``None`` (wait) until every result of the round is back;
only then is the ensemble refitted on all results and the next round chosen.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("bananas", "nbgraph-cora", seed=0, max_evals=20, epochs=10)
    >>> len(trace.to_frame())
    20
"""

from __future__ import annotations

from collections import deque

import numpy as np

from nasbench.strategies._models import EnsembleConfig, train_mlp_ensemble
from nasbench.strategies._transfer import warm_start_queue
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_int, register

#: the reference mutates the best ``num_arches_to_mutate * patience_factor`` = 5 architectures
_PARENTS = 5
_SAMPLE_RETRIES = 100


@register("bananas")
class Bananas(Strategy):
    summary = "BANANAS: path encoding, MLP ensemble, independent Thompson sampling over mutations"

    def __init__(self, *, n_initial: int = 10, batch_size: int = 10, n_candidates: int = 100,
                 n_networks: int = 5, n_layers: int = 10, width: int = 20, epochs: int = 50,
                 warm_start: int = 0) -> None:
        self.n_initial = check_int("n_initial", n_initial, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.n_candidates = check_int("n_candidates", n_candidates, 1)
        self.n_networks = check_int("n_networks", n_networks, 2)
        self.n_layers = check_int("n_layers", n_layers, 1)
        self.width = check_int("width", width, 1)
        self.epochs = check_int("epochs", epochs, 1)
        self.warm_start = check_int("warm_start", warm_start, 0)

    def start(self) -> None:
        self._round: deque = deque()  # architectures of the current round not yet handed out
        self._running = 0
        self._asked_rows: set[int] = set()
        self._archs: list[Arch] = []  # told, in telling order
        self._scores: list[float] = []
        self.rounds = 0
        self.fallback_rounds = 0  # rounds of uniform samples because no candidate was left
        self._warm = warm_start_queue(self.space, self.context, self.warm_start, self.name)

    def encode(self, arch: Arch) -> np.ndarray:
        path = self.space.path_encoding(arch)
        return self.space.one_hot(arch) if path is None else path

    def ask(self) -> Job | None:
        if not self._round:
            if self._running:
                return None  # the round is out: wait for all of it before refitting
            self._round.extend(self.initial() if not self._scores else self.next_round())
            self.rounds += 1
        arch = self._round.popleft()
        self._asked_rows.add(self.space.index(arch))
        self._running += 1
        return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        self._running -= 1
        self._archs.append(job.arch)
        self._scores.append(result.score)

    def initial(self) -> list[Arch]:
        """``n_initial`` distinct uniform samples (the reference's random data set)."""
        archs, rows = self._warm[::-1], {self.space.index(arch) for arch in self._warm}  # the portfolio first
        for _ in range(max(self.n_initial - len(archs), 0) * _SAMPLE_RETRIES):
            arch = self.space.sample(self.rng)
            if self.space.index(arch) not in rows:
                rows.add(self.space.index(arch))
                archs.append(arch)
                if len(archs) == self.n_initial:
                    break
        return archs

    def candidates(self) -> list[Arch]:
        """``n_candidates`` architectures not asked before: mutations of the best, best parent first.

        Depth 1 is the reference's pool (one mutation per attempt, ``n_candidates`` attempts per
        parent). Where the near neighbourhoods of the parents are used up, the pool is filled as the
        reference's options do it: deeper edits (chains of ``depth`` mutations, depth 2, 3, ... up to
        the number of genes: naszilla's ``max_mutation_rate`` and its raising of the mutation rate when a
        cell will not mutate, NASLib's ``max_mutations``), then uniform samples (naszilla's
        ``acq_opt_type="mutation_random"``). Empty only once nearly every cell was asked.
        """
        order = np.argsort(-np.asarray(self._scores), kind="stable")[:_PARENTS]
        parents = [self._archs[i] for i in order]
        rows, out = set(self._asked_rows), []

        def add(arch: Arch) -> None:
            row = self.space.index(arch)
            if row not in rows:
                rows.add(row)
                out.append(arch)

        for depth in range(1, len(self.space.n_choices) + 1):
            if len(out) >= self.n_candidates:
                break
            for parent in parents:
                if len(out) >= self.n_candidates:
                    break
                for _ in range(self.n_candidates):
                    child = parent
                    for _ in range(depth):
                        child = self.space.mutate(child, self.rng)
                    add(child)
        for _ in range(self.n_candidates * _PARENTS):
            if len(out) >= self.n_candidates:
                break
            add(self.space.sample(self.rng))
        return out

    def next_round(self) -> list[Arch]:
        """Refit the ensemble and pick the round by independent Thompson sampling."""
        candidates = self.candidates()
        if not candidates:  # nearly every cell was asked: nothing left for the model to choose from
            self.fallback_rounds += 1
            return [self.space.sample(self.rng) for _ in range(self.batch_size)]
        scores = np.asarray(self._scores)
        targets = (scores - scores.mean()) / (scores.std() or 1.0)
        config = EnsembleConfig(n_networks=self.n_networks, n_layers=self.n_layers, width=self.width,
                                epochs=self.epochs)
        ensemble = train_mlp_ensemble(np.array([self.encode(a) for a in self._archs]), targets, self.rng, config)
        predictions = ensemble.predict(np.array([self.encode(a) for a in candidates]))
        draws = self.rng.normal(predictions.mean(axis=0), predictions.std(axis=0))
        self._last_round = (candidates, predictions, draws)  # kept for describe_last
        return [candidates[i] for i in np.argsort(-draws, kind="stable")[:self.batch_size]]

    def describe_last(self) -> dict:
        """The last decision, for a replay: the ensemble's mean and spread over the round's candidates."""
        chosen = vars(self).get("_last_round")
        if chosen is None or not self._scores:
            return {"phase": f"round {self.rounds}: initial uniform samples"}
        candidates, predictions, draws = chosen
        mean, spread = predictions.mean(axis=0), predictions.std(axis=0)
        order = np.argsort(-draws, kind="stable")[:self.batch_size]
        rows = [self.space.index(arch) for arch in candidates]
        return {"phase": f"round {self.rounds}: Thompson draws over {len(candidates)} candidates",
                "chosen (mean, spread, draw)": [[round(float(mean[i]), 3), round(float(spread[i]), 3),
                                                 round(float(draws[i]), 3)] for i in order],
                "mean spread of the ensemble": round(float(spread.mean()), 4),
                "marks": {"candidates": rows, "round": [rows[i] for i in order]}}
