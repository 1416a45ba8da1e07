"""Trainable spaces: search spaces whose tables nasbench builds by training, and how those tables are laid out.

A trainable space describes its architectures and its table layout (which ``codes`` a table stores,
which arrays rebuild the space from a table); it knows nothing of networks. How an architecture is
trained (its network, optimiser and schedule words) is its recipe, registered for the space class in
:mod:`nasbench.train.recipes`. A new trainable space subclasses :class:`TrainableSpace`, is registered
with ``register_space(name, trains_as=...)`` (:mod:`nasbench.spaces`), and has one recipe.

Example:
    >>> from nasbench.spaces.mlp import MlpSpace
    >>> isinstance(MlpSpace(), TrainableSpace), trainable(MlpSpace()).name
    (True, 'mlp')
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Space
from nasbench.spaces.registry import trainable_spaces


class TrainableSpace(Space):
    """A space whose architectures nasbench can train, with the layout of the tables it builds."""

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
    raise NasbenchError(f"nasbench cannot train the {space.name} space; trainable spaces: "
                        f"{', '.join(trainable_spaces())}")
