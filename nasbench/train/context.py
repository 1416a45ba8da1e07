"""What a strategy that trains networks itself (one-shot, DARTS) may use: :class:`TrainingContext`.

The context holds the table's training and validation splits (the test split is never loaded into
it), the device, the trainable space's model and optimiser builders under the table's own schedule,
torch generators drawn from the run's ``rng``, and a deterministic :class:`CostModel` that turns the
training a strategy does into simulated seconds (never host time). The run loop builds it once,
lazily, for strategies with ``trains_live = True`` through :func:`make_training_context`.

Example:
    >>> import numpy as np, nasbench
    >>> context = make_training_context(nasbench.load("nb201-mnist1d"), device="cpu", rng=np.random.default_rng(0))
    >>> context.splits.x_train.shape, sorted(vars(context.splits))
    (torch.Size([1000, 1, 40]), ['x_train', 'x_valid', 'y_train', 'y_valid'])
    >>> round(context.cost.train(examples=1000, flops=context.cost.reference_flops), 3) > 0
    True
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch
from nasbench.spaces.trainable import TrainableSpace, trainable
from nasbench.table import Table
from nasbench.train import numerics
from nasbench.train.recipes import recipe_for
from nasbench.train.schedule import Schedule

if TYPE_CHECKING:
    import torch
    from torch import nn

    from nasbench.train.oneshot import OneShot

#: a forward pass costs about a third of a training step (forward, backward, update)
EVALUATION_FRACTION = 1 / 3


@dataclass(frozen=True)
class CostModel:
    """Simulated seconds of training work: ``examples x (per_example + per_flop x flops)``.

    Calibrated once from a table by least squares over every trained (row, seed): the seconds per
    training example of the row's whole run (``train_time`` at the last epoch over epochs x training
    examples) against the row's network ``flops`` (multiply-accumulates per example). A training
    example is one forward, backward and update; evaluating an example is charged
    :data:`EVALUATION_FRACTION` of that. Deterministic: the same table gives the same model. On
    ``nb201-mnist1d`` it is 0.109 ms per example plus 1.45 ns per multiply-accumulate and example
    (median run predicted 1.416 s, recorded 1.415 s; predicted and recorded runs correlate 0.59).
    """

    per_example: float
    per_flop: float
    reference_flops: float

    @classmethod
    def from_table(cls, table: Table, examples: int) -> CostModel:
        """The model fitted to ``table``'s recorded ``train_time``, ``examples`` training examples per run."""
        seconds = np.asarray(table.metric("train_time"))[:, :, -1]
        flops = np.asarray(table.metric("flops"))[:, :, -1]
        trained = np.isfinite(seconds) & np.isfinite(flops)
        if trained.sum() < 2:
            raise NasbenchError(f"table {table.name} has too few trained entries to calibrate a cost model")
        x, y = flops[trained], seconds[trained] / examples
        per_flop, per_example = np.polyfit(x, y, 1) if np.ptp(x) > 0 else (0.0, float(np.mean(y)))
        return cls(float(per_example), float(per_flop), float(np.median(x)))

    def train(self, examples: int, flops: float) -> float:
        """Seconds to train ``examples`` examples of a network of ``flops`` multiply-accumulates each."""
        return float(examples) * max(self.per_example + self.per_flop * float(flops), 0.0)

    def evaluate(self, examples: int, flops: float) -> float:
        """Seconds to evaluate (forward only) ``examples`` examples of such a network."""
        return EVALUATION_FRACTION * self.train(examples, flops)


@dataclass(frozen=True)
class SearchSplits:
    """The splits a search may read: training and validation tensors on the context's device."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor


@dataclass(frozen=True)
class TrainingContext:
    """Everything a self-training strategy needs from the benchmark, and nothing of its test split."""

    space: TrainableSpace
    schedule: Schedule
    splits: SearchSplits
    device: torch.device
    cost: CostModel
    rng: np.random.Generator

    def generator(self) -> torch.Generator:
        """A fresh CPU ``torch.Generator`` seeded from the context's ``rng``."""
        import torch

        return torch.Generator().manual_seed(int(self.rng.integers(2**63 - 1)))

    def build_model(self, arch: Arch) -> nn.Module:
        """The table's network for ``arch``, initialised from :meth:`generator`, on the context's device."""
        from nasbench.train import models

        model = recipe_for(self.space).build_model(arch, self.schedule, self.generator())
        models.initialise(model, self.generator())
        return model.to(self.device)

    def build_optimiser(self, arch: Arch, model: nn.Module) -> tuple[torch.optim.Optimizer, float]:
        """The optimiser the table's schedule trains ``arch`` with, and its initial learning rate."""
        return recipe_for(self.space).build_optimiser(arch, model, self.schedule)

    def flops(self, model: nn.Module) -> int:
        """Multiply-accumulates of ``model`` per example (the cost model's unit)."""
        from nasbench.train import models

        return models.count_flops(model, self.splits.x_valid)

    def one_shot(self, *, epochs: int, arch_learning_rate: float) -> OneShot:
        """A weight-sharing supernet search over the table's space (:class:`~nasbench.train.oneshot.OneShot`)."""
        from nasbench.train.oneshot import OneShot

        return OneShot(self, epochs=epochs, arch_learning_rate=arch_learning_rate)

    def proxy_names(self) -> tuple[str, ...]:
        """The zero-cost proxies :meth:`proxy_scores` computes (:data:`nasbench.train.proxies.PROXIES`)."""
        from nasbench.train.proxies import PROXIES

        return tuple(PROXIES)

    def proxy_scores(self, name: str, archs: Sequence[Arch]) -> list[float]:
        """The zero-cost proxy ``name`` of each architecture at initialisation, on one training batch of the
        schedule's size (a fresh network each, initialised from :meth:`generator`)."""
        from nasbench.train.proxies import PROXIES

        x = self.splits.x_train[:self.schedule.batch_size]
        y = self.splits.y_train[:self.schedule.batch_size]
        return [PROXIES[name](self.build_model(arch), x, y, self.generator()) for arch in archs]


def make_training_context(benchmark: Any, *, device: str = "cpu", rng: np.random.Generator) -> TrainingContext:
    """The training context of a table nasbench trained; clear errors for what cannot be trained here."""
    space = trainable(benchmark.space)  # a table of an untrainable space (nbgraph, nb101) stops here
    if importlib.util.find_spec("torch") is None:
        raise NasbenchError(f"training live needs PyTorch, which is not installed; install the pinned CPU build: "
                            f"{numerics.INSTALL_HINT}")
    import torch

    from nasbench.train import store
    from nasbench.train.data import load_dataset
    from nasbench.train.trainer import check_device

    table: Table = benchmark.table
    schedule = store.schedule_of(table)
    torch_device = check_device(device)
    data = load_dataset(str(table.extra.get("dataset", "")))
    if data.split_hash != table.extra.get("split_hash"):
        raise NasbenchError(f"table {table.name} was trained on another {table.extra.get('dataset')} split than "
                            f"this machine generates (hash {data.split_hash}); it cannot be trained on here")
    n_train = schedule.train_examples or len(data.y_train)

    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(array)).to(torch_device)  # a copy: nothing refers back to the dataset

    splits = SearchSplits(tensor(data.x_train[:n_train]), tensor(data.y_train[:n_train]),
                          tensor(data.x_valid), tensor(data.y_valid))
    cost = CostModel.from_table(table, schedule.epochs * n_train)
    return TrainingContext(space, schedule, splits, torch_device, cost, rng)


__all__ = ["CostModel", "EVALUATION_FRACTION", "SearchSplits", "TrainingContext", "make_training_context"]
