"""What a training run is (:class:`Schedule`) and what it returns (:class:`TrainResult`).

Kept free of torch, so tables and the builder's bookkeeping can read schedules without it.

Example:
    >>> Schedule(epochs=12).batch_size
    256
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.train.numerics import DEFAULT_KERNELS, Numerics, check_kernels


@dataclass(frozen=True)
class Schedule:
    """How a network is trained (everything but the architecture and the seed).

    ``train_examples`` trains on the first that many examples of the training split (``None``: all
    3,000); validation and test always use their whole splits. ``channels`` and ``cells_per_stage``
    size the nb201 network; the MLP takes its learning rate
    from its configuration. nb201 follows NAS-Bench-201's recipe: SGD, Nesterov momentum 0.9,
    weight decay 5e-4, learning rate 0.1; the MLP uses Adam without weight decay. Both anneal the
    learning rate to zero along a per-step cosine over ``epochs``.

    ``precise_bn`` recomputes every batch-norm layer's statistics over the training examples (one
    forward pass in training mode, cumulative average) before each evaluation, instead of evaluating
    with the running averages (momentum 0.1) that training leaves behind. Training itself is
    unchanged (training-mode batch norm never reads the running averages). On a short schedule the
    running averages lag far behind the weights, and that lag, not the network, decides the early
    epochs' validation accuracy: on 64 random nb201 cells (4 channels, 9 epochs of 10 steps) the
    Spearman correlation of epoch-3 with final validation accuracy is 0.35 with running averages and
    0.67 with precise BN (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021).

    ``clock`` is what ``train_time`` measures: ``"wall"`` seconds, or ``"process"`` CPU seconds of the
    (single-threaded) training process, which other jobs on the machine do not inflate (CPU only).

    ``cpu_kernels`` selects the CPU kernels torch trains with (:mod:`nasbench.train.numerics`):
    ``"portable"`` (the same bits on every x86-64 CPU; the shipped tables'), ``"avx2"`` (the earlier
    pin, kept to read older tables) or ``"native"``.
    """

    epochs: int
    batch_size: int = 256
    channels: int = 8
    cells_per_stage: int = 1
    learning_rate: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    threads: int = 1
    train_examples: int | None = None
    precise_bn: bool = False
    clock: str = "wall"
    cpu_kernels: str = DEFAULT_KERNELS

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.channels < 1 or self.cells_per_stage < 1 or (
                not self.learning_rate > 0) or (self.train_examples is not None and self.train_examples < 1):
            raise NasbenchError(f"a schedule needs positive epochs, batch size, channels, cells and learning rate, "
                                f"not {self}")
        if self.clock not in ("wall", "process"):
            raise NasbenchError(f"the training clock must be 'wall' or 'process', not {self.clock!r}")
        check_kernels(self.cpu_kernels)


@dataclass(frozen=True)
class TrainResult:
    """Per-epoch curves (length ``epochs``) and the network's size.

    ``train_*`` are running means over each epoch's batches in training mode (as NAS-Bench-201
    records them); ``valid_*``/``test_*`` are measured after each epoch in evaluation mode.
    ``train_time`` is the measured time of the training steps, cumulative, in seconds (evaluation
    excluded): wall-clock, or CPU seconds under ``Schedule(clock="process")``.
    """

    train_accuracy: np.ndarray
    train_loss: np.ndarray
    valid_accuracy: np.ndarray
    valid_loss: np.ndarray
    test_accuracy: np.ndarray
    test_loss: np.ndarray
    train_time: np.ndarray
    params: int
    flops: int
    #: what else its numbers depend on (torch, kernels, threads), as measured by the process that trained it
    numerics: Numerics | None = None


#: the per-epoch curves of a :class:`TrainResult`, in the order tables store them
CURVES = ("train_accuracy", "train_loss", "valid_accuracy", "valid_loss", "test_accuracy", "test_loss", "train_time")
