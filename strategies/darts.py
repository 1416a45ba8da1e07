"""DARTS [darts]: differentiable architecture search on the weight-sharing supernet.

Reference: Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search" (ICLR 2019), as run
on NAS-Bench-201 by D-X-Y/AutoDL-Projects (``DARTS-V1.py`` first order, ``DARTS-V2.py`` second
order, ``configs/nas-benchmark/algos/DARTS.config``): every edge is a softmax(alpha)-weighted sum of
all five ops; each step updates the weights with SGD on a training batch and alpha with Adam on a
validation batch (first order: weights first, as ``DARTS-V1.py``; second order: the unrolled alpha
step first, as ``DARTS-V2.py``); the derived cell takes the argmax op of each edge (``none`` included).
``order=2`` differentiates through one unrolled weight step (:mod:`nasbench.train.unrolled`); it is
also registered as ``darts-2nd`` (a variant: the same class with ``order=2`` by default), so that one
study compares both orders (Liu et al. 2019, section 2.3).

Scaled (see ``strategies/_oneshot.py``): 50 epochs of ~390 steps become ``epochs=25`` of 10 steps;
the architecture learning rate 3e-4 becomes 0.02 (rate x steps: 5.9 in the reference, 5 here).
"""

from __future__ import annotations

from nasbench.strategies._oneshot import OneShotStrategy
from nasbench.strategies.base import Arch, check_choice, check_float, check_int, register, register_variant


@register("darts")
class Darts(OneShotStrategy):
    summary = "DARTS (order 1 or 2) on the nb201 supernet, trained live; one derived cell per epoch"

    def __init__(self, *, order: int = 1, epochs: int = 25, arch_learning_rate: float = 0.02) -> None:
        self.order = check_choice("order", order, (1, 2))
        self.epochs = check_int("epochs", epochs, 1)
        self.arch_learning_rate = check_float("arch_learning_rate", arch_learning_rate, 0.0, 1.0, open_low=True)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"darts{self.order}"

    def train_epoch(self) -> Arch:
        self.search.darts_epoch(self.order)
        return self.search.derived()


register_variant("darts-2nd", Darts, "DARTS second order (unrolled) on the nb201 supernet; darts with order=2 "
                 "by default", order=2)
