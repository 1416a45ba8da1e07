"""Uniform draws served from blocks, for the code on the simulator's hot path.

One ``Generator.random(k)`` call costs about 1.7 us on the reference machine, more than a whole
evaluation of random search spends in the run loop; :class:`Uniforms` draws 1,024 doubles at once and
serves them as Python floats for about 0.4 us a request.

Example:
    >>> import numpy as np
    >>> Uniforms(np.random.default_rng(0)).random(3) == np.random.default_rng(0).random(3).tolist()
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Uniforms:
    """A generator's uniform doubles, drawn a block at a time.

    ``random(k)`` returns the next ``k`` doubles as a list: the very numbers ``rng.random(k).tolist()``
    would have returned, as long as nothing else draws from ``rng`` meanwhile (numpy's generator makes
    each double from one 64-bit output, so a block is the concatenation of successive calls; a test
    checks it). Other methods (``integers``, ``choice``, ...) go to ``rng`` itself, so the object can
    stand in for the generator where only ``random`` is on the hot path, e.g. ``Space.mutate``.
    """

    def __init__(self, rng: np.random.Generator, block: int = 1024) -> None:
        self._rng, self._block = rng, block
        self._values: list[float] = []
        self._position = 0

    def random(self, k: int) -> list[float]:
        position = self._position
        end = position + k
        if end > len(self._values):
            self._values = self._values[position:] + self._rng.random(max(self._block, k)).tolist()
            position, end = 0, k
        self._position = end
        return self._values[position:end]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rng, name)


def uniforms_of(rng: np.random.Generator | Uniforms, k: int) -> list[float]:
    """``k`` uniform doubles as floats from a generator or a :class:`Uniforms`."""
    draws = rng.random(k)
    return draws if isinstance(draws, list) else draws.tolist()
