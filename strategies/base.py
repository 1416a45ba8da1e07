"""The strategy interface: ask/tell, a registry by name, capability flags, option checks.

A strategy's constructor stores its configuration only (keyword-only, validated once); run state is
created in :meth:`Strategy.start`, called by ``reset`` when the run loop hands over the space, the
random generator and the :class:`~nasbench.protocol.SearchContext`. The configuration is exactly the
constructor's keyword options (:meth:`Strategy.config`), each stored under its own name; ``reset``
keeps those and drops everything else. The loop lives in ``nasbench/simulate.py``; strategies import
from ``nasbench``, never the reverse.

Example:
    >>> from nasbench.strategies.base import REGISTRY
    >>> "rs" in REGISTRY
    True
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.protocol import Job, Result, SearchContext, option_names
from nasbench.spaces import Arch, Space

__all__ = ["Arch", "Job", "REGISTRY", "Result", "SearchContext", "Space", "Strategy", "check_choice",
           "check_float", "check_int", "register"]

REGISTRY: dict[str, type[Strategy]] = {}


def register(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    """Class decorator adding a strategy under ``name``; a name collision raises."""

    def wrap(cls: type[Strategy]) -> type[Strategy]:
        if name in REGISTRY:
            raise NasbenchError(f"a strategy named {name!r} is already registered ({REGISTRY[name].__name__})")
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return wrap


class Strategy(ABC):
    """Base class: subclasses implement :meth:`start`, :meth:`ask` and :meth:`tell`."""

    name: ClassVar[str] = ""
    #: one line for ``nasbench strategies``
    summary: ClassVar[str] = ""
    multi_fidelity: ClassVar[bool] = False
    multi_objective: ClassVar[bool] = False
    trains_live: ClassVar[bool] = False
    #: needs prior tasks (``SearchContext.priors``; ``transfer_from`` of a run)
    transfers: ClassVar[bool] = False

    space: Space
    rng: np.random.Generator
    context: SearchContext

    def reset(self, space: Space, rng: np.random.Generator, context: SearchContext) -> None:
        """Begin a run: drop every attribute but the configuration, then call :meth:`start`.

        The configuration is the constructor's options (:meth:`config`); whatever else an
        instance holds is run state, made by :meth:`start` and gone at the next ``reset``.
        """
        options = self.config()
        state = vars(self)
        state.clear()
        state.update(options)
        self._options = options
        self.space, self.rng, self.context = space, rng, context
        self.start()

    def start(self) -> None:  # noqa: B027  (optional hook: a stateless strategy needs none)
        """Create run state (subclasses)."""

    @abstractmethod
    def ask(self) -> Job | None:
        """The next job, or ``None`` to wait for results still running."""

    @abstractmethod
    def tell(self, job: Job, result: Result) -> None:
        """Receive the result of a job this strategy asked for."""

    def overhead(self) -> float:
        """Simulated seconds charged before the next job starts (a deterministic model; default 0)."""
        return 0.0

    def config(self) -> dict[str, Any]:
        """The options the strategy was built with: one entry per keyword of its constructor,
        recorded the first time it is asked for (at the latest when the first run begins).

        >>> from nasbench.strategies.regularized_evolution import RegularizedEvolution
        >>> RegularizedEvolution(sample_size=5).config()
        {'population_size': 10, 'sample_size': 5, 'warm_start': 0}
        """
        options = vars(self).get("_options")
        if options is None:
            names = option_names(type(self))
            if names is None:
                raise NasbenchError(f"strategy {self.name!r} takes **options; its constructor must name them")
            unstored = [name for name in names if name not in vars(self)]
            if unstored:
                raise NasbenchError(f"strategy {self.name!r} must keep each constructor option as an attribute of "
                                    f"its name; missing: {', '.join(unstored)}")
            options = self._options = {name: vars(self)[name] for name in names}
        return dict(options)


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or a :class:`NasbenchError` naming the option."""
    valid = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not valid or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in {low}..{high}"
        raise NasbenchError(f"option {name} must be an integer {span}, not {value!r}")
    return int(value)


def check_float(name: str, value: Any, low: float, high: float, *, open_low: bool = False,
                open_high: bool = False) -> float:
    """``value`` as a float in the interval, or a :class:`NasbenchError` naming the option."""
    ok = (isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
          and math.isfinite(value))
    if ok:
        ok = (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        span = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        raise NasbenchError(f"option {name} must be a number in {span}, not {value!r}")
    return float(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        raise NasbenchError(f"option {name} must be one of {', '.join(map(str, choices))}, not {value!r}")
    return value
