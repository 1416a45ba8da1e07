"""One-shot search on the :class:`~nasbench.train.supernet.Supernet`: search epochs and their cost.

:class:`OneShot` holds a run's supernet, its weight optimiser and the architecture parameters, and
trains one search epoch at a time on a :class:`~nasbench.train.context.TrainingContext`: weights on
the training split, architecture parameters on the validation split (bilevel, as DARTS; the test
split is not in the context). An epoch is ``ceil(train_examples / batch_size)`` steps of the table's
batch size; each step pairs a training batch with a validation batch, as AutoDL's search loaders do.

The weights follow NAS-Bench-201's search recipe (AutoDL-Projects ``configs/nas-benchmark/algos``):
SGD, Nesterov momentum 0.9, weight decay 5e-4, learning rate 0.025 annealed along a cosine to 0.001
over the search epochs, gradients clipped at norm 5. Architecture parameters start at
``1e-3 x N(0, 1)`` and follow Adam (betas 0.5, 0.999, weight decay 1e-3).

**Cost** (simulated seconds, never host time): each epoch is charged with the context's
:class:`~nasbench.train.context.CostModel` (fitted to the table's measured CPU seconds) as the
training examples it passes forward and backward, at the multiply-accumulates of what the pass
computes: the whole supernet (every op of every edge) for DARTS, one path (the expected flops of a
uniformly drawn path) for GDAS and RSPS; forward-only passes (RSPS's ranking) at a third.

Example:
    >>> import numpy as np, nasbench
    >>> from nasbench.train.context import make_training_context
    >>> context = make_training_context(nasbench.load("nb201-mnist1d"), rng=np.random.default_rng(0))
    >>> search = OneShot(context, epochs=2)
    >>> search.epoch_cost("darts1") < search.epoch_cost("darts2")
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch
from torch import nn

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch
from nasbench.train import models
from nasbench.train.supernet import N_EDGES, N_OPS, Supernet, derive, initialise_supernet

if TYPE_CHECKING:
    from nasbench.train.context import TrainingContext

#: forward-and-backward passes over the training examples per epoch, per search kind (see :meth:`OneShot.epoch_cost`)
PASSES = {"darts1": 2, "darts2": 5, "gdas": 2, "rsps": 1}


class _PathView(nn.Module):
    """The supernet run along one path (to count its multiply-accumulates)."""

    def __init__(self, net: Supernet, path: Sequence[int]) -> None:
        super().__init__()
        self.net, self.path = net, tuple(path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, path=self.path)


@contextmanager
def _numerics(device: torch.device) -> Iterator[None]:
    """One thread and deterministic algorithms for the duration (restored after), as the trainer."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        if device.type == "cpu":
            torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True, warn_only=True)
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


class OneShot:
    """A supernet search in progress (see the module docstring); ``epochs`` sets the cosine's length."""

    def __init__(self, context: TrainingContext, *, epochs: int, learning_rate: float = 0.025,
                 min_learning_rate: float = 0.001, arch_learning_rate: float = 3e-4) -> None:
        from nasbench.spaces.nb201 import Nb201Space

        if not isinstance(context.space, Nb201Space):
            raise NasbenchError(f"one-shot search needs the nb201 cell space, not {context.space.name}")
        self.context, self.epochs = context, epochs
        self.learning_rate, self.min_learning_rate = learning_rate, min_learning_rate
        schedule, device = context.schedule, context.device
        self.net = Supernet(channels=schedule.channels, cells_per_stage=schedule.cells_per_stage)
        initialise_supernet(self.net, context.generator())
        self.net.to(device)
        self.generator = context.generator()  # data order, validation batches, Gumbel noise, sampled paths
        self.alphas = (1e-3 * torch.randn(N_EDGES, N_OPS, generator=self.generator)).to(device).requires_grad_()
        self.weights = torch.optim.SGD(self.net.parameters(), lr=learning_rate, momentum=0.9, weight_decay=5e-4,
                                       nesterov=True)
        self.arch = torch.optim.Adam([self.alphas], lr=arch_learning_rate, betas=(0.5, 0.999), weight_decay=1e-3)
        self.epoch = 0
        x = context.splits.x_valid
        self.supernet_flops = models.count_flops(self.net, x)
        fixed = models.count_flops(_PathView(self.net, (0,) * N_EDGES), x)
        self.path_flops = fixed + (self.supernet_flops - fixed) / N_OPS  # 2 of 5 ops carry weights

    # --- cost -------------------------------------------------------------------------------------
    def epoch_cost(self, kind: str, ranked: int = 0) -> float:
        """Simulated seconds of one search epoch of ``kind`` (``darts1``, ``darts2``, ``gdas``, ``rsps``).

        DARTS first order passes the training examples once for the weights and as many validation
        examples for the architecture; second order adds the unrolled step, the validation pass
        through it and the two finite-difference passes (5 in all); GDAS passes one path twice
        (weights, architecture); RSPS once, plus ``ranked`` cells evaluated on one validation batch each.
        """
        cost, n = self.context.cost, len(self.context.splits.y_train)
        flops = self.supernet_flops if kind.startswith("darts") else self.path_flops
        seconds = cost.train(PASSES[kind] * n, flops)
        return seconds + cost.evaluate(ranked * self.context.schedule.batch_size, self.path_flops)

    # --- one epoch ----------------------------------------------------------------------------------
    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
        splits, batch = self.context.splits, self.context.schedule.batch_size
        device = self.context.device
        order = torch.randperm(len(splits.y_train), generator=self.generator).to(device)
        valid_order = torch.randperm(len(splits.y_valid), generator=self.generator).to(device)
        for step, first in enumerate(range(0, len(order), batch)):
            index = order[first:first + batch]
            start = (step * batch) % len(valid_order)
            valid = valid_order[start:start + batch]
            yield splits.x_train[index], splits.y_train[index], splits.x_valid[valid], splits.y_valid[valid]

    def _set_learning_rate(self) -> float:
        rate = self.min_learning_rate + 0.5 * (self.learning_rate - self.min_learning_rate) * (
            1.0 + math.cos(math.pi * self.epoch / self.epochs))
        for group in self.weights.param_groups:
            group["lr"] = rate
        return rate

    def _weight_step(self, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None,
                     path: Sequence[int] | None) -> None:
        self.weights.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(self.net(x, weights, path), y).backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
        self.weights.step()

    def darts_epoch(self, order: int) -> None:
        """One DARTS epoch. Per step, as the reference scripts: first order (``DARTS-V1.py``) a weight step,
        then an architecture step on a validation batch; second order (``DARTS-V2.py``) the unrolled
        architecture step first, then the weight step."""
        from nasbench.train.unrolled import unrolled_arch_gradient

        with _numerics(self.context.device):
            rate = self._set_learning_rate()
            self.net.train()
            for x, y, x_valid, y_valid in self._batches():
                if order == 1:
                    self._weight_step(x, y, self.alphas.detach().softmax(-1), None)
                    self.arch.zero_grad(set_to_none=True)
                    loss = nn.functional.cross_entropy(self.net(x_valid, self.alphas.softmax(-1)), y_valid)
                    loss.backward()
                    self.arch.step()
                else:
                    self.arch.zero_grad(set_to_none=True)
                    self.alphas.grad = unrolled_arch_gradient(self.net, self.alphas, self.weights, rate,
                                                              (x, y), (x_valid, y_valid))
                    self.arch.step()
                    self._weight_step(x, y, self.alphas.detach().softmax(-1), None)
        self.epoch += 1

    def gdas_epoch(self, tau: float) -> None:
        """One GDAS epoch at temperature ``tau``: weight step, then architecture step, each on one
        Gumbel-softmax path (straight-through hard weights) drawn afresh."""
        with _numerics(self.context.device):
            self._set_learning_rate()
            self.net.train()
            for x, y, x_valid, y_valid in self._batches():
                hard, path = self._gumbel(tau)
                self._weight_step(x, y, hard.detach(), path)
                hard, path = self._gumbel(tau)
                self.arch.zero_grad(set_to_none=True)
                nn.functional.cross_entropy(self.net(x_valid, hard, path), y_valid).backward()
                self.arch.step()
        self.epoch += 1

    def _gumbel(self, tau: float) -> tuple[torch.Tensor, tuple[int, ...]]:
        while True:  # redrawn on the (rare) non-finite sample, as the reference
            noise = -torch.empty(N_EDGES, N_OPS).exponential_(generator=self.generator).log()
            probs = ((self.alphas.log_softmax(-1) + noise.to(self.alphas.device)) / tau).softmax(-1)
            if torch.isfinite(probs).all():
                break
        index = probs.argmax(-1, keepdim=True)
        one_hot = torch.zeros_like(probs).scatter_(-1, index, 1.0)
        return one_hot - probs.detach() + probs, tuple(int(i) for i in index.flatten())

    def derived(self) -> Arch:
        """The cell the architecture weights select now (:func:`~nasbench.train.supernet.derive`)."""
        return derive(self.alphas)

    def sample_path(self) -> Arch:
        """A uniformly drawn cell (one op per edge)."""
        return tuple(int(i) for i in torch.randint(N_OPS, (N_EDGES,), generator=self.generator))

    def rsps_epoch(self) -> None:
        """One RSPS epoch: each weight step along a fresh uniformly drawn path."""
        with _numerics(self.context.device):
            self._set_learning_rate()
            self.net.train()
            for x, y, _, _ in self._batches():
                self._weight_step(x, y, None, self.sample_path())
        self.epoch += 1

    @torch.no_grad()
    def rank(self, n_cells: int) -> Arch:
        """The best of ``n_cells`` uniformly drawn cells by accuracy on one validation batch each, with
        the shared weights (batch statistics, as the reference's search cells); ties to the first."""
        splits, batch = self.context.splits, self.context.schedule.batch_size
        best: tuple[float, Arch] | None = None
        with _numerics(self.context.device):
            self.net.train()
            order = torch.randperm(len(splits.y_valid), generator=self.generator)
            for k in range(n_cells):
                path = self.sample_path()
                start = (k * batch) % len(order)
                index = order[start:start + batch].to(self.context.device)
                accuracy = float((self.net(splits.x_valid[index], path=path).argmax(1) == splits.y_valid[index])
                                 .float().mean())
                if best is None or accuracy > best[0]:
                    best = (accuracy, path)
        assert best is not None
        return best[1]


__all__ = ["OneShot", "PASSES"]
