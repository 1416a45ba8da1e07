"""Shared pieces of the transfer strategies: the prior tasks' matrix and the greedy zero-shot portfolio.

The portfolio is the greedy one of Wistuba, Schilling & Schmidt-Thieme, "Sequential Model-Free
Hyperparameter Tuning" (ICDM 2015), in the form of syne-tune's ``ZeroShotTransfer``: rank every
configuration on each prior task (1 = best); repeatedly take the configuration of best average rank
across the tasks, then clip each task's ranks at the rank the taken configuration has there (a task
already served by the portfolio stops pulling), and re-rank the remaining configurations once every
task is fully served. One deviation, needed where a prior covers only part of the target's space
(``nbgraph-proteins`` holds 2,021 of 26,206 ``nbgraph`` rows): ranks are normalised per task to
``(0, 1]`` and a configuration the task does not hold gets 0.5, the expected normalised rank of an
unknown one (syne-tune assumes every configuration occurs in every task; with full coverage the
order is the same). Ties go to the lowest row.

``warm_start=K`` (rea, ls, tpe, gp-bo, bananas; default 0 = the strategy unchanged) asks the
portfolio's first K architectures first, in place of the first K samples of the strategy's initial
random design (population, initial set, startup trials); then the strategy goes on as usual, its
models fitted on every result including the portfolio's.

Example:
    >>> import numpy as np
    >>> scores = np.array([[3.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0]])  # two tasks, higher is better
    >>> greedy_portfolio(scores, 4)
    [0, 3, 1, 2]
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.protocol import SearchContext
from nasbench.spaces import Arch, Space

#: the normalised rank of a configuration a prior task does not hold
UNKNOWN_RANK = 0.5


def prior_matrix(context: SearchContext, who: str) -> np.ndarray:
    """The priors' values oriented to maximise, shape ``(n_priors, n_rows)``; refuses a run without priors."""
    if not context.priors:
        raise NasbenchError(f"{who} needs prior tasks; name some with transfer_from "
                            f"(--transfer-from on the command line)")
    return np.stack([prior.oriented() for prior in context.priors])


def _normalised_ranks(scores: np.ndarray) -> np.ndarray:
    """Per task, rank / count among the configurations it holds (1/count = best); UNKNOWN_RANK elsewhere.

    Where every task holds every configuration, the plain ranks 1..n: the same order, and ties of the
    average rank stay exact (floating-point division would break some of them).
    """
    full = not np.isnan(scores).any()
    ranks = np.full(scores.shape, UNKNOWN_RANK)
    for task, row in enumerate(scores):
        held = np.flatnonzero(~np.isnan(row))
        order = held[np.argsort(-row[held], kind="stable")]
        ranks[task, order] = np.arange(1, len(order) + 1) / (1 if full else max(len(order), 1))
    return ranks


def greedy_portfolio(scores: np.ndarray, size: int) -> list[int]:
    """The first ``size`` configurations (column indices) of the greedy portfolio of ``scores``
    (tasks x configurations, higher is better, NaN where a task lacks a configuration)."""
    remaining = np.ones(scores.shape[1], dtype=bool)
    ranks = _normalised_ranks(scores)
    chosen: list[int] = []
    while len(chosen) < min(size, scores.shape[1]):
        mean = np.where(remaining, ranks.mean(axis=0), np.inf)
        best = int(np.argmin(mean))
        chosen.append(best)
        remaining[best] = False
        ranks = np.minimum(ranks, ranks[:, best:best + 1])
        live = ranks[:, remaining]
        if live.size and np.all(live.max(axis=1) == live.min(axis=1)):  # every task fully served: re-rank the rest
            ranks = np.full(scores.shape, np.inf)
            ranks[:, remaining] = _normalised_ranks(scores[:, remaining])
    return chosen


def portfolio(space: Space, context: SearchContext, size: int, who: str) -> list[Arch]:
    """The first ``size`` architectures of the greedy portfolio over the run's prior tasks."""
    return [space.arch_of_row(row) for row in greedy_portfolio(prior_matrix(context, who), size)]


def warm_start_queue(space: Space, context: SearchContext, warm_start: int, who: str) -> list[Arch]:
    """The portfolio's first ``warm_start`` architectures as a stack (``pop()`` gives the next one); empty for 0.

    ``warm_start`` larger than the run's evaluation budget is refused: the run would be the portfolio only.
    """
    if warm_start == 0:
        return []
    if context.max_evals is not None and warm_start > context.max_evals:
        raise NasbenchError(f"warm_start={warm_start} of strategy {who} exceeds the budget of {context.max_evals} "
                            f"evaluations")
    return portfolio(space, context, warm_start, f"strategy {who} with warm_start={warm_start}")[::-1]
