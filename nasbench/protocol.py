"""The contract between the run loop and a strategy: jobs, results, the task context, the registry.

A strategy is anything with ``reset(space, rng, context)``, ``ask() -> Job | None`` and
``tell(job, result)`` (:class:`StrategyProtocol`; ``strategies/base.py`` is the built-in base class).
Strategies are found by name through the ``nasbench.strategies`` entry points, read once per process.

Example:
    >>> from nasbench.protocol import Job, make_strategy, strategy_registry
    >>> "rs" in strategy_registry()
    True
    >>> make_strategy("rs", block_size=64).config()
    {'block_size': 64}
    >>> Job((0, 1, 2)).fidelity is None
    True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, Protocol

import numpy as np

from nasbench.errors import NasbenchError, shorten
from nasbench.registry import Registry
from nasbench.spaces import Arch, Space

__all__ = ["Job", "Result", "SearchContext", "StrategyProtocol", "make_strategy", "option_names",
           "prefixed_examples", "register_prefix", "strategy_class", "strategy_registry"]


class Job(NamedTuple):
    """What a strategy asks for: an architecture at a fidelity (``None`` = the final one).

    ``resume_from`` is the fidelity already trained for this architecture (resuming pays only the
    difference); ``tag`` is the strategy's own bookkeeping number (bracket, rung, ...). ``cost``, set
    only by a strategy that trains networks itself, is the simulated time of the training that
    produced ``arch`` (a search epoch); the evaluator charges it instead of the table's cost.
    ``trial`` names the training run a job belongs to: jobs of one trial (a configuration promoted
    up the rungs, resumed or restarted) read one table seed, as one network trained longer would; a
    job without a trial, or with a trial not seen before, is a new training run and the loop draws
    its seed afresh (syne-tune's tabular backend also fixes a trial's seed).
    Job and Result are immutable typed records made once per evaluation on the hot path, hence
    NamedTuples (about three times cheaper to build than frozen dataclasses).
    """

    arch: Arch
    fidelity: float | None = None
    resume_from: float | None = None
    tag: int = 0
    cost: float | None = None
    trial: int | None = None


class Result(NamedTuple):
    """All a strategy may see of an evaluation.

    ``score`` is the search metric (a validation metric) at the asked fidelity from one seed drawn by
    the loop, negated where lower is better so that higher is always better; ``cost`` is the simulated
    time it took; ``objectives`` holds the values of the objectives the run declared, in their order,
    also oriented so that higher is better.
    """

    job: Job
    score: float
    cost: float
    objectives: tuple[float, ...] = ()


@dataclass(frozen=True)
class SearchContext:
    """What a strategy may know about the task besides its space.

    ``search_metric`` and ``objectives`` are metric names, ``search_higher_is_better`` and
    ``objective_higher_is_better`` their orientations in the table (the values a strategy is told
    are already oriented to maximise). ``training`` is a ``nasbench.train.context.TrainingContext``
    for a strategy that trains models itself (``trains_live = True``), else ``None``. ``priors``
    holds read-only validation views of other tasks, for strategies that transfer knowledge
    (empty unless the caller supplies them).
    """

    fidelities: tuple[float, ...]
    fidelity_unit: str
    workers: int
    max_evals: int | None
    max_time: float | None
    search_metric: str
    objectives: tuple[str, ...] = ()
    search_higher_is_better: bool = True
    objective_higher_is_better: tuple[bool, ...] = ()
    training: Any = None
    priors: tuple[Any, ...] = ()


class StrategyProtocol(Protocol):
    """What the run loop calls; ``overhead`` (simulated seconds before each job) is optional."""

    name: str

    def reset(self, space: Space, rng: np.random.Generator, context: SearchContext) -> None: ...

    def ask(self) -> Job | None: ...

    def tell(self, job: Job, result: Result) -> None: ...


#: every strategy by name, from the ``nasbench.strategies`` entry points (each a callable returning
#: ``{name: class}``; loaded once per process, asked again on every read)
STRATEGIES: Registry[type] = Registry("strategy", plural="strategies", group="nasbench.strategies")


def _registry() -> dict[str, type]:
    return dict(STRATEGIES)


#: resolvers of prefixed strategy names ("optuna:TPESampler"): prefix -> (resolver, example names)
_PREFIXES: dict[str, tuple[Callable[[str], type], tuple[str, ...]]] = {}


def register_prefix(prefix: str, resolver: Callable[[str], type], examples: tuple[str, ...] = ()) -> None:
    """Resolve every strategy name ``"<prefix>:<rest>"`` to the class ``resolver(rest)`` returns.

    A bridge to an external optimiser library registers its prefix this way when its strategy plugin
    is imported; ``resolver`` raises :class:`NasbenchError` for a name it does not know. ``examples``
    are full names the contract tests run.
    """
    if prefix in _PREFIXES and _PREFIXES[prefix][0] is not resolver:
        raise NasbenchError(f"two strategy plugins register the prefix {prefix!r}")
    _PREFIXES[prefix] = (resolver, tuple(examples))


def prefixed_examples() -> tuple[str, ...]:
    """The example names of every registered prefix (strategies in a registered library)."""
    _registry()
    return tuple(name for _, examples in _PREFIXES.values() for name in examples)


def strategy_class(name: str) -> type:
    """The class of a strategy name: a registered name or a ``prefix:rest`` name of a registered prefix."""
    registry = _registry()
    cls = registry.get(name) if isinstance(name, str) else None
    if cls is not None:
        return cls
    prefix, sep, rest = name.partition(":") if isinstance(name, str) else ("", "", "")
    if sep and prefix in _PREFIXES:
        return _PREFIXES[prefix][0](rest)
    prefixes = "".join(f", {p}:..." for p in sorted(_PREFIXES))
    raise NasbenchError(f"unknown strategy {shorten(name)}; known strategies: {', '.join(sorted(registry))}{prefixes}")


def strategy_registry(*, refresh: bool = False) -> dict[str, type]:
    """Registered strategies by name, gathered from the ``nasbench.strategies`` entry points.

    Each entry point names a callable returning ``{name: class}``; the built-in one is
    ``nasbench.strategies:registry``. External optimisers plug in the same way. The entry points are found
    and imported once per process (each call asks them for their strategies again, so a strategy
    registered at run time is seen); ``refresh=True`` looks for entry points again (after
    installing a plugin).
    """
    if refresh:
        STRATEGIES.refresh()
    return _registry()


@cache
def _signature(cls: type) -> inspect.Signature | None:
    try:
        return inspect.signature(cls)
    except (TypeError, ValueError):  # a constructor without a readable signature (C extension)
        return None


@cache
def option_names(cls: type) -> tuple[str, ...] | None:
    """The keyword options a strategy class's constructor takes (``None``: it takes any keyword).

    >>> from nasbench.strategies.regularized_evolution import RegularizedEvolution
    >>> option_names(RegularizedEvolution)
    ('population_size', 'sample_size', 'warm_start')
    """
    signature = _signature(cls)
    if signature is None or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return tuple(p.name for p in signature.parameters.values()
                 if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD))


def make_strategy(name: str, **options: Any) -> StrategyProtocol:
    """Instantiate a registered strategy with its own keyword options (validated by it).

    An option the strategy does not take raises naming the options it does take:

    >>> make_strategy("rs", blocksize=3)
    Traceback (most recent call last):
    ...
    nasbench.errors.NasbenchError: strategy 'rs' has no option 'blocksize'; its options: block_size
    """
    cls = strategy_class(name)
    known = option_names(cls)
    unknown = [key for key in options if known is not None and key not in known]
    if unknown:
        listed = ", ".join(known) if known else "none"
        raise NasbenchError(f"strategy {name!r} has no option {', '.join(map(shorten, unknown))}; "
                            f"its options: {listed}")
    signature = _signature(cls)
    if signature is not None:
        try:
            signature.bind(**options)
        except TypeError as exc:  # a required option left out
            raise NasbenchError(f"strategy {name!r} cannot be built from these options: {exc}") from None
    return cls(**options)

