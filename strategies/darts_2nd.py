"""Second-order DARTS [darts-2nd]: :mod:`strategies.darts` with ``order=2`` by default.

Its own name so that one study compares both orders (Liu et al. 2019, section 2.3; AutoDL-Projects
``DARTS-V2.py``): the architecture gradient goes through one unrolled weight step
(:mod:`nasbench.train.unrolled`). Every other default is :class:`strategies.darts.Darts`'s.
"""

from __future__ import annotations

from nasbench.strategies.base import register
from nasbench.strategies.darts import Darts


@register("darts-2nd")
class DartsSecondOrder(Darts):
    summary = "DARTS second order (unrolled) on the nb201 supernet; darts with order=2 by default"

    def __init__(self, *, order: int = 2, epochs: int = 25, arch_learning_rate: float = 0.02) -> None:
        super().__init__(order=order, epochs=epochs, arch_learning_rate=arch_learning_rate)
