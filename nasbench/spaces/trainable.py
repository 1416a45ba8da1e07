"""Trainable spaces: a search space that also says how nasbench trains its architectures.

The trainer, the table store, the builder and :class:`~nasbench.train.context.TrainingContext` ask
the space, and only the space, for the network of an architecture, its optimiser, the words that
describe a schedule and how its tables are laid out. A new trainable space is one module: subclass
:class:`TrainableSpace`, implement the three abstract methods, and register it with
``register_space(name, trains_as=...)`` (:mod:`nasbench.spaces`). Torch is imported inside the
methods that build torch objects, so spaces still import without it.

Example:
    >>> from nasbench.spaces.mlp import MlpSpace
    >>> isinstance(MlpSpace(), TrainableSpace), trainable(MlpSpace()).name
    (True, 'mlp')
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch, Space

if TYPE_CHECKING:
    import torch
    from torch import nn

    from nasbench.train.schedule import Schedule


class TrainableSpace(Space):
    """A space whose architectures nasbench can build as networks and train."""

    @abstractmethod
    def build_model(self, arch: Arch, schedule: Schedule, generator: torch.Generator) -> nn.Module:
        """The network of ``arch`` (parameters at construction values; ``generator`` drives its dropout)."""

    @abstractmethod
    def build_optimiser(self, arch: Arch, model: nn.Module, schedule: Schedule) -> tuple[torch.optim.Optimizer, float]:
        """The optimiser of ``model`` and its initial learning rate (the trainer anneals it along a cosine)."""

    @abstractmethod
    def describe_schedule(self, schedule: Schedule) -> dict[str, object]:
        """The parts of ``schedule`` this space uses, in words, for a table's attributes."""

    def row_codes(self) -> np.ndarray:
        """The ``codes`` a table of this space stores per row (default: the row numbers)."""
        return np.arange(self.size, dtype=np.int64)

    def stored_arrays(self) -> dict[str, np.ndarray]:
        """Arrays a table of this space keeps under ``extra/`` so the space can be rebuilt from the table."""
        return {}


def trainable(space: Space) -> TrainableSpace:
    """``space`` as a trainable space, or a :class:`NasbenchError` saying that nasbench cannot train it."""
    if isinstance(space, TrainableSpace):
        return space
    from nasbench.spaces import trainable_spaces

    raise NasbenchError(f"nasbench cannot train the {space.name} space; trainable spaces: "
                        f"{', '.join(trainable_spaces())}")
