"""Zero-shot transfer [zeroshot]: the prior tasks' greedy portfolio, in order, without looking at results.

Reference: Wistuba, Schilling & Schmidt-Thieme, "Sequential Model-Free Hyperparameter Tuning" (ICDM
2015), as syne-tune's ``ZeroShotTransfer`` implements it (the greedy average-rank portfolio with
rank clipping; ``strategies/_transfer.py`` says how it is computed and where it deviates). The
portfolio is computed once per run from ``SearchContext.priors`` (validation metrics of other tasks)
with as many entries as the evaluation budget, or ``portfolio_size`` under a time budget; if a run
outlasts it, the strategy continues with uniform samples (syne-tune's stops asking). Results of the
target are never used.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("zeroshot", "nbgraph-cora", seed=0, max_evals=3, transfer_from=("nbgraph-citeseer",))
    >>> len(trace.to_frame())
    3
"""

from __future__ import annotations

from nasbench.strategies._transfer import portfolio
from nasbench.strategies.base import Job, Result, Strategy, check_int, register


@register("zeroshot")
class ZeroShot(Strategy):
    summary = "zero-shot transfer: the greedy average-rank portfolio of the prior tasks (Wistuba et al. 2015)"
    transfers = True

    def __init__(self, *, portfolio_size: int = 256) -> None:
        self.portfolio_size = check_int("portfolio_size", portfolio_size, 1)

    def start(self) -> None:
        size = self.context.max_evals or self.portfolio_size
        self._queue = portfolio(self.space, self.context, size, "strategy zeroshot")[::-1]

    def ask(self) -> Job:
        return Job(self._queue.pop() if self._queue else self.space.sample(self.rng))

    def tell(self, job: Job, result: Result) -> None:
        pass
