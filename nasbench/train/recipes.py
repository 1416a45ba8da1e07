"""Training recipes: how nasbench builds and trains the networks of a trainable space.

Spaces describe architectures and the layout of their tables
(:class:`~nasbench.spaces.trainable.TrainableSpace`); they know nothing of torch networks. The trainer,
the table store and :class:`~nasbench.train.context.TrainingContext` find a space's recipe here, by the
space's name: the network of an architecture, its optimiser, and the words that describe a schedule.
A new trainable space is its space class plus one recipe registered for it with
``@register_recipe(space_name)`` (in the space's own plugin module, or here for a built-in one).
Torch is imported inside the methods that build torch objects.

Example:
    >>> from nasbench.spaces.mlp import MlpSpace
    >>> from nasbench.spaces.nbgraph import NbGraphSpace, OPS
    >>> type(recipe_for(MlpSpace())).__name__
    'MlpRecipe'
    >>> recipe_for(NbGraphSpace(OPS))
    Traceback (most recent call last):
    nasbench.errors.NasbenchError: nasbench cannot train the nbgraph space; trainable spaces: mlp, nb201, nb201-unique
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nasbench.errors import NasbenchError
from nasbench.registry import Registry
from nasbench.spaces.base import Arch, Space
from nasbench.spaces.mlp import MlpSpace
from nasbench.spaces.nb201 import Nb201Space
from nasbench.spaces.registry import GROUP
from nasbench.spaces.trainable import TrainableSpace, trainable

if TYPE_CHECKING:
    import torch
    from torch import nn

    from nasbench.train.schedule import Schedule


class Recipe(ABC):
    """How the architectures of one trainable space become networks and are trained."""

    def __init__(self, space: TrainableSpace) -> None:
        self.space = space

    @abstractmethod
    def build_model(self, arch: Arch, schedule: Schedule, generator: torch.Generator) -> nn.Module:
        """The network of ``arch`` (parameters at construction values; ``generator`` drives its dropout)."""

    @abstractmethod
    def build_optimiser(self, arch: Arch, model: nn.Module, schedule: Schedule) -> tuple[torch.optim.Optimizer, float]:
        """The optimiser of ``model`` and its initial learning rate (the trainer anneals it along a cosine)."""

    @abstractmethod
    def describe_schedule(self, schedule: Schedule) -> dict[str, object]:
        """The parts of ``schedule`` this space uses, in words, for a table's attributes."""


#: a recipe class per space name (``Space.name``)
RECIPES: Registry[type[Recipe]] = Registry("training recipe", group=GROUP)


def register_recipe(*space_names: str) -> Callable[[type[Recipe]], type[Recipe]]:
    """Register a :class:`Recipe` class for the spaces named ``space_names``; a name taken by another raises."""

    def wrap(recipe: type[Recipe]) -> type[Recipe]:
        for name in space_names:
            RECIPES.register(name, recipe)
        return recipe

    return wrap


def recipe_for(space: Space) -> Recipe:
    """The recipe of ``space``, or a one-sentence error for a space nasbench cannot train."""
    trainable_space = trainable(space)
    if space.name not in RECIPES:
        raise NasbenchError(f"no training recipe is registered for the {space.name} space "
                            f"(nasbench.train.recipes.register_recipe)")
    return RECIPES[space.name](trainable_space)


@register_recipe("mlp")
class MlpRecipe(Recipe):
    """An MLP of the configuration, trained with Adam without weight decay at its learning rate."""

    space: MlpSpace

    def build_model(self, arch: Arch, schedule: Schedule, generator: torch.Generator) -> nn.Module:
        from nasbench.train.models import MlpNetwork

        return MlpNetwork(self.space.config(arch), generator)

    def build_optimiser(self, arch: Arch, model: nn.Module, schedule: Schedule) -> tuple[torch.optim.Optimizer, float]:
        import torch

        rate = self.space.config(arch).learning_rate
        return torch.optim.Adam(model.parameters(), lr=rate, foreach=True), rate

    def describe_schedule(self, schedule: Schedule) -> dict[str, object]:
        return {"epochs": schedule.epochs, "batch_size": schedule.batch_size,
                "train_examples": schedule.train_examples or "all", "optimizer": "Adam (lr from the configuration)",
                "lr_schedule": "cosine to 0 per step over all epochs", "threads": schedule.threads,
                "clock": schedule.clock, "cpu_kernels": schedule.cpu_kernels}


@register_recipe("nb201", "nb201-unique")
class Nb201Recipe(Recipe):
    """NAS-Bench-201's recipe in 1-D: the cell network, SGD with Nesterov momentum and weight decay."""

    space: Nb201Space

    def build_model(self, arch: Arch, schedule: Schedule, generator: torch.Generator) -> nn.Module:
        from nasbench.train.models import Nb201Network

        return Nb201Network(self.space.check(arch), channels=schedule.channels,
                            cells_per_stage=schedule.cells_per_stage)

    def build_optimiser(self, arch: Arch, model: nn.Module, schedule: Schedule) -> tuple[torch.optim.Optimizer, float]:
        import torch

        optimiser = torch.optim.SGD(model.parameters(), lr=schedule.learning_rate, momentum=schedule.momentum,
                                    weight_decay=schedule.weight_decay, nesterov=True, foreach=True)
        return optimiser, schedule.learning_rate

    def describe_schedule(self, schedule: Schedule) -> dict[str, Any]:
        statistics = ("precise BN: recomputed over the training examples before each evaluation"
                      if schedule.precise_bn else "running averages of training (momentum 0.1)")
        return {"epochs": schedule.epochs, "batch_size": schedule.batch_size,
                "train_examples": schedule.train_examples or "all", "channels": schedule.channels,
                "cells_per_stage": schedule.cells_per_stage, "optimizer": "SGD nesterov",
                "learning_rate": schedule.learning_rate, "momentum": schedule.momentum,
                "weight_decay": schedule.weight_decay, "lr_schedule": "cosine to 0 per step over all epochs",
                "threads": schedule.threads, "clock": schedule.clock, "batch_norm_statistics": statistics,
                "cpu_kernels": schedule.cpu_kernels}
