"""Train one (architecture, seed) and record its learning curve, epoch by epoch.

Deterministic on CPU: parameters, data order and dropout masks all come from ``torch.Generator``
objects seeded from ``(seed, architecture string)``, deterministic algorithms are requested, and the
thread count is fixed (one thread: on this scale of model, threads cost more in synchronisation than
they gain, and two single-threaded processes train twice as many networks as one two-threaded one).
The same bits on another CPU need the same kernels too: training runs with the schedule's
``cpu_kernels`` (:mod:`nasbench.train.numerics`), in a pinned child process if this one is not pinned,
and every result records the :class:`~nasbench.train.numerics.Numerics` it was trained under. The
space's recipe says which network and optimiser an architecture gets (:mod:`nasbench.train.recipes`).

Where the time goes, and what is done about it (profiled on a 2-core CPU, nb201 at 8 channels): a
step is a few dozen tiny kernels, so Python and dispatch overhead dominate, not arithmetic. Hence:
the data live on the device as single tensors and batches are index slices (no DataLoader); zero
edges and dead ops are pruned from the cell; gradients are set to None rather than zeroed; the
optimiser uses its multi-tensor (``foreach``) path; running loss and accuracy are summed in tensors
and read once per epoch; evaluation runs each split in one batch under ``torch.inference_mode``.

Fidelity is the epoch of ONE schedule: the learning rate follows a cosine over all ``epochs``, so the
value at epoch 3 of a 12-epoch run is a snapshot mid-schedule, not the result of a 3-epoch run.

Example:
    >>> from nasbench.spaces.mlp import MlpSpace
    >>> space = MlpSpace()
    >>> result = train(space, space.parse("layers=1,width=16,act=relu,dropout=0,lr=0.01"), seed=0,
    ...                schedule=Schedule(epochs=2))
    >>> result.valid_accuracy.shape, 0.0 <= float(result.valid_accuracy[-1]) <= 1.0
    ((2,), True)
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch, Space
from nasbench.spaces.trainable import trainable
from nasbench.train import models, numerics
from nasbench.train.data import Mnist1d, load_mnist1d
from nasbench.train.recipes import recipe_for
from nasbench.train.schedule import CURVES, Schedule, TrainResult


def _seed_of(seed: int, text: str, purpose: str) -> int:
    """A 63-bit seed for one purpose, from the run's seed and the architecture string."""
    digest = hashlib.sha256(f"{int(seed)}|{text}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def build_model(space: Space, arch: Arch, schedule: Schedule, generator: torch.Generator) -> nn.Module:
    """The network for ``arch`` (its parameters still at construction values; see :func:`models.initialise`)."""
    return recipe_for(space).build_model(arch, schedule, generator)


def check_device(device: str) -> torch.device:
    """``device`` as a torch device, refusing ``cuda`` where no CUDA device is present."""
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise NasbenchError(f"device must be cpu or cuda, not {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise NasbenchError(f"--device {device} was asked for but this machine has no CUDA device (torch "
                            f"{torch.__version__}); use --device cpu")
    return torch.device(device)


def _tensors(data: Mnist1d, device: torch.device) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.ascontiguousarray(getattr(data, name))).to(device)
            for name in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")}


@torch.inference_mode()
def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    return float((logits.argmax(1) == y).float().mean()), float(loss)


@torch.no_grad()
def _recompute_batch_norm(model: nn.Module, x: torch.Tensor) -> None:
    """Precise BN: set every batch-norm layer's statistics to those of ``x`` (one training-mode pass)."""
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average: after one pass, exactly the statistics of x
    model.train()
    model(x)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum
    model.eval()


def _epoch(model: nn.Module, optimiser: torch.optim.Optimizer, rows: tuple[torch.Tensor, torch.Tensor],
           order: torch.Tensor, batch: int, rate: Callable[[int], float], *,
           first_step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass over the training ``rows`` (inputs, labels) in ``order``, step ``first_step`` onwards at
    learning rate ``rate(step)``: the loss summed over the rows and the number predicted right."""
    x_train, y_train = rows
    loss_sum = torch.zeros((), device=x_train.device)
    correct = torch.zeros((), dtype=torch.int64, device=x_train.device)
    for step, first in enumerate(range(0, len(order), batch), start=first_step):
        index = order[first:first + batch]
        x, y = x_train[index], y_train[index]
        for group in optimiser.param_groups:
            group["lr"] = rate(step)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
    return loss_sum, correct


def train(space: Space, arch: Arch, *, seed: int, schedule: Schedule, data: Mnist1d | None = None,
          device: str = "cpu") -> TrainResult:
    """Train ``arch`` of ``space`` with ``seed`` under ``schedule``; return its per-epoch curves.

    On the CPU, a process whose kernels are not those of ``schedule.cpu_kernels`` (torch ran before
    :func:`numerics.pin`) trains in a fresh pinned process (:mod:`nasbench.train.pinned`, a few
    seconds to start). The thread count, the deterministic-algorithms setting and the backends the
    kernels setting switches off (:func:`numerics.backends`) are changed for the run and restored after.
    """
    trainable(space)
    if check_device(device).type == "cpu" and not numerics.is_pinned(schedule.cpu_kernels):
        from nasbench.train.pinned import train_in_child

        return train_in_child(space, arch, seed=seed, schedule=schedule, data=data)
    return _train_here(space, arch, seed=seed, schedule=schedule, data=data, device=device)


def _train_here(space: Space, arch: Arch, *, seed: int, schedule: Schedule, data: Mnist1d | None,
                device: str) -> TrainResult:
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        if device == "cpu":
            torch.set_num_threads(schedule.threads)
        torch.use_deterministic_algorithms(True, warn_only=True)
        with numerics.backends(schedule.cpu_kernels):
            return _train(space, arch, seed=seed, schedule=schedule, data=data, device=device)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(space: Space, arch: Arch, *, seed: int, schedule: Schedule, data: Mnist1d | None,
           device: str) -> TrainResult:
    arch = space.check(arch)
    torch_device = check_device(device)
    if schedule.clock == "process" and torch_device.type != "cpu":
        raise NasbenchError("the process clock measures CPU time; a CUDA build needs the wall clock")
    clock = time.process_time if schedule.clock == "process" else time.perf_counter
    data = load_mnist1d() if data is None else data
    text = space.encode(arch)
    init_generator = torch.Generator().manual_seed(_seed_of(seed, text, "init"))
    order_generator = torch.Generator().manual_seed(_seed_of(seed, text, "order"))
    dropout_generator = torch.Generator(device=torch_device).manual_seed(_seed_of(seed, text, "dropout"))

    model = build_model(space, arch, schedule, dropout_generator)
    models.initialise(model, init_generator)
    tensors = _tensors(data, torch_device)
    params = models.count_parameters(model)
    flops = models.count_flops(model, tensors["x_valid"])
    model.to(torch_device)
    optimiser, base_rate = recipe_for(space).build_optimiser(arch, model, schedule)

    x_train, y_train = tensors["x_train"][:schedule.train_examples], tensors["y_train"][:schedule.train_examples]
    n_train, batch = len(y_train), schedule.batch_size
    steps_per_epoch = math.ceil(n_train / batch)
    total_steps = schedule.epochs * steps_per_epoch
    curves = {name: np.full(schedule.epochs, np.nan) for name in CURVES}
    elapsed = 0.0

    def cosine(step: int) -> float:  # one cosine over every step of the schedule
        return base_rate * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))

    for epoch in range(schedule.epochs):
        model.train()
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        start = clock()
        order = torch.randperm(n_train, generator=order_generator).to(torch_device)
        loss_sum, correct = _epoch(model, optimiser, (x_train, y_train), order, batch, cosine,
                                   first_step=epoch * steps_per_epoch)
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        elapsed += clock() - start
        if schedule.precise_bn:
            _recompute_batch_norm(model, x_train)
        model.eval()
        curves["train_loss"][epoch] = float(loss_sum) / n_train
        curves["train_accuracy"][epoch] = float(correct) / n_train
        for split in ("valid", "test"):
            measured = _evaluate(model, tensors[f"x_{split}"], tensors[f"y_{split}"])
            curves[f"{split}_accuracy"][epoch], curves[f"{split}_loss"][epoch] = measured
        curves["train_time"][epoch] = elapsed
    return TrainResult(**curves, params=params, flops=flops,
                       numerics=numerics.measured(schedule.cpu_kernels, device))
