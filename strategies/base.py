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

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.protocol import Job, Result, SearchContext, option_names
from nasbench.registry import Registry
from nasbench.spaces import Arch, Space

__all__ = ["Arch", "Job", "REGISTRY", "Result", "SearchContext", "Space", "Strategy", "check_choice",
           "check_float", "check_int", "register", "register_variant"]

#: the built-in strategies by name; reading it first imports every public module of this package
REGISTRY: Registry[type[Strategy]] = Registry("strategy", plural="strategies", package="nasbench.strategies")


def register(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    """Class decorator adding a strategy under ``name``; a name collision raises."""

    def wrap(cls: type[Strategy]) -> type[Strategy]:
        REGISTRY.register(name, cls)
        cls.name = name
        return cls

    return wrap


def register_variant(name: str, base: type[Strategy], summary: str, **defaults: Any) -> type[Strategy]:
    """Register ``base`` again under ``name`` with other default options: a named preset, not a new file.

    The variant is a subclass whose constructor takes the same options with ``defaults`` in place (so
    its :meth:`Strategy.config` and its trace say which), and whose ``variant_of`` names ``base``.

        >>> from nasbench.strategies.darts import Darts
        >>> REGISTRY["darts-2nd"].variant_of, REGISTRY["darts-2nd"]().config()["order"]
        ('darts', 2)
    """
    signature = inspect.signature(base.__init__)
    unknown = sorted(set(defaults) - set(signature.parameters))
    if unknown:
        raise NasbenchError(f"strategy {base.name!r} has no option {', '.join(unknown)} for its variant {name!r}")
    parameters = [p.replace(default=defaults[p.name]) if p.name in defaults else p
                  for p in signature.parameters.values()]

    def __init__(self: Strategy, **options: Any) -> None:
        base.__init__(self, **{**defaults, **options})

    __init__.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    title = "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
    variant = type(title, (base,), {"__init__": __init__, "__module__": base.__module__, "__qualname__": title,
                                    "__doc__": f"{summary} (:class:`{base.__qualname__}` with {defaults}).",
                                    "summary": summary, "variant_of": base.name})
    return register(name)(variant)


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
    #: the strategy this one presets other defaults of (:func:`register_variant`), or ""
    variant_of: ClassVar[str] = ""

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
