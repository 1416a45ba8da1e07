"""GDAS [gdas]: gradient-based search with a differentiable (Gumbel-softmax) sampler.

Reference: Dong & Yang, "Searching for A Robust Neural Architecture in Four GPU Hours" (CVPR 2019),
as run on NAS-Bench-201 by D-X-Y/AutoDL-Projects (``GDAS.py``, ``configs/nas-benchmark/algos/GDAS.config``):
each step draws one op per edge from Gumbel-softmax(alpha / tau) and computes only it, weighted by
the straight-through one-hot (so gradients reach alpha); the weights are updated on a training batch,
then alpha on a validation batch, each with a fresh draw. The temperature falls linearly from
``tau_max`` = 10 to ``tau_min`` = 0.1 over the epochs; the derived cell is the argmax of alpha.

Scaled (see ``strategies/_oneshot.py``): 250 epochs of ~390 steps become ``epochs=25`` of 10 steps;
the architecture learning rate 3e-4 becomes 0.1 (the reference's rate x steps is 29; 25 here).
"""

from __future__ import annotations

from nasbench.strategies._oneshot import OneShotStrategy
from nasbench.strategies.base import Arch, check_float, check_int, register


@register("gdas")
class Gdas(OneShotStrategy):
    summary = "GDAS (Gumbel-softmax, tau 10 -> 0.1) on the nb201 supernet, trained live"
    kind = "gdas"

    def __init__(self, *, epochs: int = 25, tau_max: float = 10.0, tau_min: float = 0.1,
                 arch_learning_rate: float = 0.1) -> None:
        self.epochs = check_int("epochs", epochs, 1)
        self.tau_max = check_float("tau_max", tau_max, 0.0, 1e3, open_low=True)
        self.tau_min = check_float("tau_min", tau_min, 0.0, self.tau_max, open_low=True)
        self.arch_learning_rate = check_float("arch_learning_rate", arch_learning_rate, 0.0, 1.0, open_low=True)

    def temperature(self, epoch: int) -> float:
        """The Gumbel-softmax temperature of search epoch ``epoch`` (0-based)."""
        fraction = epoch / (self.epochs - 1) if self.epochs > 1 else 0.0
        return self.tau_max - (self.tau_max - self.tau_min) * fraction

    def train_epoch(self) -> Arch:
        self.search.gdas_epoch(self.temperature(self.search.epoch))
        return self.search.derived()
