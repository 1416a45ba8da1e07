"""Successive halving [sh]: the most aggressive Hyperband bracket, run over and over.

Reference: Jamieson & Talwalkar, "Non-stochastic Best Arm Identification and Hyperparameter
Optimization" (AISTATS 2016), in the form Hyperband uses it (Li et al., "Hyperband: A Novel
Bandit-Based Approach to Hyperparameter Optimization", JMLR 2018, the inner loop of Algorithm 1;
HpBandSter's ``SuccessiveHalving`` iteration). Each bracket samples ``eta**s_max`` configurations
uniformly, evaluates them at the lowest rung and keeps the best ``1/eta`` for the next rung, up to the
maximum fidelity; then a new bracket begins. Default ``eta = 3`` (HpBandSter, the paper).

Rungs are the table's fidelities (epochs) ``R eta**-s`` snapped down to an available epoch (see
``strategies/_brackets.py``). Synchronous, as in HpBandSter's iteration: with several workers,
``ask`` returns ``None`` while a rung waits for its last results (HpBandSter's master would open the
next bracket meanwhile; we do not). A promoted configuration is retrained from scratch and pays
``t(r)`` (HpBandSter), or with ``resume=True`` continues and pays ``t(r_next) - t(r)``.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("sh", "curves", seed=0, max_evals=13)  # doctest: +SKIP
"""

from __future__ import annotations

from nasbench.strategies._brackets import Bracket, SynchronousHalving, hyperband_brackets
from nasbench.strategies.base import register


@register("sh")
class SuccessiveHalving(SynchronousHalving):
    summary = "successive halving: eta^s_max configurations, keep the top 1/eta per rung (eta 3)"

    def brackets(self, s_max: int) -> list[Bracket]:
        return hyperband_brackets(s_max, self.eta)[:1]
