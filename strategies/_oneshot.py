"""The shared part of the one-shot strategies (``darts``, ``gdas``, ``rsps``): one search epoch per job.

A one-shot strategy trains a supernet itself (``trains_live = True``) through the run's
:class:`~nasbench.train.context.TrainingContext`. Each ``ask`` trains one search epoch
(:class:`~nasbench.train.oneshot.OneShot`) and returns the cell derived after it as a job whose
``cost`` is the simulated time of that epoch; the loop looks the cell up in the table (validation
value at the drawn seed, test value for regret). Epochs run one after another: while one is
outstanding ``ask`` answers ``None``, and after the last epoch the search is over. Before any
training, ``start`` refuses a run without a training context and a time budget below one epoch.

Scaled from the AutoDL-Projects NAS-Bench-201 scripts (CIFAR-10, 25k training images, batch 64,
about 390 steps an epoch) to the table's schedule (1,000 training examples, batch 100: 10 steps an
epoch): batch size and channels are the table's; the epoch count is cut to what a 2-core CPU trains
for a 10-seed study; Adam's architecture learning rate is raised so that rate x architecture steps
is of the reference's order (Adam moves a parameter by about its rate per step).
"""

from __future__ import annotations

from typing import Any

from nasbench.errors import NasbenchError
from nasbench.strategies.base import Arch, Job, Result, Strategy


class OneShotStrategy(Strategy):
    """Base of the one-shot strategies: subclasses train an epoch (:meth:`train_epoch`) and derive a cell."""

    trains_live = True
    #: the method's answer at any time is the cell derived after its latest epoch, so the trace's
    #: incumbent is that cell, not the best of the derived cells by (free) table lookups
    incumbent_rule = "latest"
    #: the search kind whose epoch cost :meth:`nasbench.train.oneshot.OneShot.epoch_cost` charges
    kind = ""
    epochs: int
    arch_learning_rate: float

    def start(self) -> None:
        training: Any = self.context.training
        if training is None:
            raise NasbenchError(f"strategy {self.name!r} trains a supernet and needs the run's training context "
                                f"(run it through nasbench.simulate.run)")
        self.search = training.one_shot(epochs=self.epochs, arch_learning_rate=self.arch_learning_rate)
        first = self.epoch_cost()
        budget = self.context.max_time
        if budget is not None and budget < first:
            raise NasbenchError(f"a time budget of {budget:g} simulated seconds is less than one {self.name} search "
                                f"epoch ({first:.3g} s); give --time of at least {first:.3g}")
        self._waiting = False

    def epoch_cost(self) -> float:
        """Simulated seconds of one search epoch (the same for every epoch)."""
        return self.search.epoch_cost(self.kind)

    def train_epoch(self) -> Arch:
        """Train one search epoch and return the cell derived after it (subclasses)."""
        raise NotImplementedError

    def ask(self) -> Job | None:
        if self._waiting or self.search.epoch >= self.epochs:
            return None
        self._waiting = True
        cost = self.epoch_cost()
        return Job(self.train_epoch(), cost=cost)

    def tell(self, job: Job, result: Result) -> None:
        self._waiting = False
