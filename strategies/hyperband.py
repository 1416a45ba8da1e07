"""Hyperband [hyperband]: successive halving over brackets of every aggressiveness.

Reference: Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, "Hyperband: A Novel Bandit-Based Approach
to Hyperparameter Optimization" (JMLR 2018), Algorithm 1, as run by HpBandSter's ``HyperBand``
optimizer (random configurations, eta 3). Brackets ``s = s_max..0`` in turn, then again: bracket
``s`` samples ``n = ceil((s_max + 1) eta**s / (s + 1))`` configurations uniformly at rung
``R eta**-s`` and keeps ``floor(n eta**-i)`` at its ``i``-th rung. The bracket sizes follow the
paper, not HpBandSter's ``floor((s_max + 1) / (s + 1)) eta**s`` (see ``strategies/_brackets.py``,
which also says how rungs are snapped to the table's epochs).

Synchronous within a bracket: with several workers ``ask`` returns ``None`` while a rung waits.
Promotions retrain from scratch (``t(r)``, as HpBandSter) unless ``resume=True``
(``t(r_next) - t(r)``).

Example:
    >>> from nasbench.strategies._brackets import hyperband_brackets
    >>> [b.sizes for b in hyperband_brackets(2, 3)]
    [(9, 3, 1), (5, 1), (3,)]
"""

from __future__ import annotations

from nasbench.strategies._brackets import Bracket, SynchronousHalving, hyperband_brackets
from nasbench.strategies.base import register


@register("hyperband")
class Hyperband(SynchronousHalving):
    summary = "Hyperband: successive-halving brackets s = s_max..0, random configurations (eta 3)"

    def brackets(self, s_max: int) -> list[Bracket]:
        return hyperband_brackets(s_max, self.eta)
