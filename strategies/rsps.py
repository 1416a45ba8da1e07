"""RSPS [rsps]: random search with parameter sharing.

Reference: Li & Talwalkar, "Random Search and Reproducibility for Neural Architecture Search"
(UAI 2019), as run on NAS-Bench-201 by D-X-Y/AutoDL-Projects (``RANDOM-NAS.py``): every weight step
trains the shared supernet along one uniformly drawn cell (single path, no architecture parameters);
the search then draws ``select_num`` = 100 cells and keeps the one most accurate on one validation
batch each, with the shared weights.

The ranking runs after every epoch, as the reference's does (it ranks once more after the last
epoch; here the last epoch's ranking is the result), so each epoch reports a derived cell like DARTS
and GDAS. Scaled (see ``strategies/_oneshot.py``): ``epochs=25`` of 10 steps; the reference's validation
batches are 512 images, here the table's batch size.
"""

from __future__ import annotations

from nasbench.strategies._oneshot import OneShotStrategy
from nasbench.strategies.base import Arch, check_int, register


@register("rsps")
class Rsps(OneShotStrategy):
    summary = "random search with parameter sharing (single-path supernet, best of 100 by shared weights)"
    kind = "rsps"
    arch_learning_rate = 3e-4  # unused: RSPS has no architecture parameters

    def __init__(self, *, epochs: int = 25, select_num: int = 100) -> None:
        self.epochs = check_int("epochs", epochs, 1)
        self.select_num = check_int("select_num", select_num, 1)

    def epoch_cost(self) -> float:
        return self.search.epoch_cost(self.kind, ranked=self.select_num)

    def train_epoch(self) -> Arch:
        self.search.rsps_epoch()
        return self.search.rank(self.select_num)
