"""The rules for a run's arguments, written once: the API (``nasbench.run``, ``nasbench.study.plan``,
``Benchmark.pareto_front``) and the CLI (``nasbench run``, ``nasbench compare``) call these.

Each function takes the value as a user gives it and returns it in one checked form, or raises one
:class:`~nasbench.errors.NasbenchError` sentence. Most need no table (shape, count, range); the
objectives are also checked on the table they are read from (:func:`check_objectives`: an unknown,
test or constant metric; :func:`check_run_objectives`, what a run adds), each entry point calling
these once; a penalty's metrics are checked where the table is read (:class:`nasbench.evaluate.TableEvaluator`).

* a **budget** is ``max_evals`` evaluations or ``max_time`` simulated seconds (or, for a study, a
  time in trainings), exactly one of them; a run makes at most :data:`MAX_EVALS` evaluations (its
  trace is held in memory, a few hundred bytes per evaluation), whatever the budget;
* **objectives** are none, or 2 or 3 distinct metric names: one comma-separated string
  (``"valid_accuracy,latency"``, as ``--objectives`` takes it) or a sequence of names;
* a **penalty** is a mapping ``{metric: lambda}`` or the ``--penalty`` text ``"latency=0.1,params=0.2"``,
  each lambda a finite number >= 0.

Example:
    >>> objective_names(" valid_accuracy, latency")
    ('valid_accuracy', 'latency')
    >>> penalty_weights("latency=0.1,params=0.2")
    {'latency': 0.1, 'params': 0.2}
    >>> check_budget(100, None)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from nasbench.errors import NasbenchError, install_hint, shorten
from nasbench.trace import RESERVED

if TYPE_CHECKING:
    from nasbench.benchmark import Benchmark

#: the most evaluations one run makes: its trace is held in memory (a benchmark, tests/test_bench_simulate.py,
#: checks that a run of this size stays under :data:`MAX_RUN_BYTES`)
MAX_EVALS = 1_000_000
MAX_RUN_BYTES = 2 * 1024**3

__all__ = ["MAX_EVALS", "check_budget", "check_objectives", "check_run_objectives", "check_seed", "counterpart",
           "name_sequence", "objective_names", "penalty_weights", "require_indicators"]


def _is_integer(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_positive_finite(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and 0 < float(value) < math.inf


def check_budget(max_evals: Any, max_time: Any, workers: Any = 1, *, time_units: Any = None) -> None:
    """One budget: ``max_evals`` (a positive integer), ``max_time`` (positive finite simulated seconds)
    or, for a study, ``time_units`` (positive finite trainings); ``workers`` an integer >= 1.

    Example:
        >>> check_budget(10, None, workers=4)
        >>> check_budget(10, 5.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        nasbench.errors.NasbenchError: give one budget, max_evals (evaluations) or max_time (...), not both
    """
    if max_time is not None and time_units is not None:
        raise NasbenchError("give the time budget in simulated seconds or in units of a training, not both")
    time_name = "time_units (trainings)" if time_units is not None else "max_time (simulated seconds)"
    if max_evals is None and max_time is None and time_units is None:
        raise NasbenchError("give a budget: max_evals (evaluations) or max_time (simulated seconds)")
    if max_evals is not None and (max_time is not None or time_units is not None):
        raise NasbenchError(f"give one budget, max_evals (evaluations) or {time_name}, not both")
    if max_evals is not None and not (_is_integer(max_evals) and max_evals > 0):
        raise NasbenchError(f"max_evals must be a positive integer (the evaluation budget), not {shorten(max_evals)}")
    if max_evals is not None and max_evals > MAX_EVALS:
        raise NasbenchError(f"max_evals is at most {MAX_EVALS:,} (a run's trace is held in memory), "
                            f"not {shorten(max_evals)}")
    if max_time is not None and not _is_positive_finite(max_time):
        raise NasbenchError(f"max_time must be a positive finite number of simulated seconds (the time budget), "
                            f"not {shorten(max_time)}")
    if time_units is not None and not _is_positive_finite(time_units):
        raise NasbenchError(f"time_units must be a positive finite number of trainings (the time budget), "
                            f"not {shorten(time_units)}")
    if not (_is_integer(workers) and workers >= 1):
        raise NasbenchError(f"workers must be an integer >= 1, not {shorten(workers)}")


def check_seed(seed: Any) -> int:
    """``seed`` as an int if it is a non-negative integer, else one :class:`NasbenchError`."""
    if not (_is_integer(seed) and seed >= 0):
        raise NasbenchError(f"seed must be a non-negative integer, not {shorten(seed)}")
    return int(seed)


def name_sequence(names: Any, what: str, noun: str, example: str) -> tuple[str, ...]:
    """``names`` (benchmarks, strategies, prior tasks) as a tuple of strings, or one :class:`NasbenchError`
    when they are not a sequence of strings (one bare string included: it is no list of names).

    Example:
        >>> name_sequence(["nbgraph-cora"], "benchmarks", "table names", "['nbgraph-cora']")
        ('nbgraph-cora',)
    """
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence) \
            or not all(isinstance(name, str) for name in names):
        raise NasbenchError(f"{what} must be a sequence of {noun}, e.g. {example}, not {shorten(names)}")
    return tuple(names)


def objective_names(objectives: Any, *, required: bool = True) -> tuple[str, ...]:
    """The objectives as a tuple of 2 or 3 distinct names, from one comma-separated string (split on
    commas, each name stripped, as ``--objectives`` reads it) or a sequence of names; with
    ``required=False``, ``None`` or an empty sequence is no objectives, ``()``.

    Example:
        >>> objective_names(["valid_accuracy", "latency"]), objective_names(None, required=False)
        (('valid_accuracy', 'latency'), ())
    """
    if not required and (objectives is None or (isinstance(objectives, (tuple, list)) and not objectives)):
        return ()
    shape = ("objectives are 2 or 3 metric names, one comma-separated string or a sequence, e.g. "
             "'valid_accuracy,latency' or ('valid_accuracy', 'latency'), not ")
    if isinstance(objectives, str):
        names = tuple(name.strip() for name in objectives.split(","))
    elif isinstance(objectives, bytes) or not isinstance(objectives, Sequence):
        raise NasbenchError(shape + shorten(objectives))
    else:
        names = tuple(objectives)
        for name in names:
            if not isinstance(name, str):
                raise NasbenchError(f"objectives are metric names, e.g. ('valid_accuracy', 'latency'), "
                                    f"not {shorten(name)}")
    if not all(names):
        raise NasbenchError(shape + shorten(objectives) + " (an empty name)")
    if not 2 <= len(names) <= 3:
        raise NasbenchError(f"give 2 or 3 objectives, not {len(names)} ({', '.join(map(shorten, names))})")
    if len(set(names)) != len(names):
        raise NasbenchError(f"objectives name a metric twice: {', '.join(map(shorten, names))}")
    return names


def check_objectives(bench: Benchmark, objectives: Any) -> tuple[str, ...]:
    """The objectives as a tuple, or one :class:`NasbenchError` saying what is wrong with them on ``bench``:
    what :func:`objective_names` refuses (not 2 or 3 names, a name twice), an unknown or test metric, or
    a metric (or its test :func:`counterpart`) that is missing or constant at the table's final fidelity.

    Example:
        >>> from nasbench.benchmark import load
        >>> check_objectives(load("nbgraph-cora"), "valid_accuracy,latency")
        ('valid_accuracy', 'latency')
    """
    objectives = objective_names(objectives)
    for objective in objectives:
        if bench.metric_info(objective).split.value == "test":
            raise NasbenchError(f"objective {objective!r} is a test metric; strategies never see test metrics")
        for name in dict.fromkeys((objective, counterpart(bench, objective))):
            values = bench.final(name)
            present = values[~np.isnan(values)]
            if present.size == 0:
                raise NasbenchError(f"benchmark {bench.name} has no value of {name!r} at its final fidelity")
            if present.min() == present.max():
                raise NasbenchError(f"objective {name!r} is constant on {bench.name} ({present[0]:g}); "
                                    "it cannot trade off against anything")
    return objectives


def check_run_objectives(bench: Benchmark, objectives: Any) -> tuple[str, ...]:
    """The objectives of a run on ``bench`` (``nasbench.run``, and each table of a study's plan before
    anything runs): ``()`` for none; else :func:`check_objectives`'s, none named like a trace column
    (each objective becomes one), with ``moocore`` installed (the trace holds the archive's HV regret).

    Example:
        >>> from nasbench.benchmark import load
        >>> check_run_objectives(load("nbgraph-cora"), None)
        ()
    """
    objectives = objective_names(objectives, required=False)
    if objectives:
        check_objectives(bench, objectives)
        for objective in objectives:
            if objective in RESERVED:
                raise NasbenchError(f"objective {objective!r} has the name of a trace column")
        require_indicators()
    return objectives


def counterpart(bench: Benchmark, objective: str) -> str:
    """The metric that scores ``objective`` on the test side: its ``test_`` twin for a validation
    metric, the metric itself otherwise."""
    if bench.metric_info(objective).split.value == "valid":
        twin = "test_" + objective.removeprefix("valid_")
        if twin not in bench.metrics:
            raise NasbenchError(f"objective {objective!r} has no test counterpart {twin!r} on {bench.name}")
        return twin
    return objective


def require_indicators() -> Any:
    """The ``moocore`` module, which computes the hypervolume and IGD+ (imported on first use), or the
    clear error of its absence, raised before a multi-objective run starts."""
    try:
        import moocore
    except ImportError:
        raise NasbenchError(f"hypervolume and IGD+ need moocore: {install_hint('mo')}") from None
    return moocore

def penalty_weights(penalty: Any) -> dict[str, float]:
    """λ by metric from a mapping ``{metric: lambda}`` or the text ``"metric=lambda[,metric=lambda]"``
    (as ``--penalty`` takes it), each λ a finite number >= 0; ``None`` or an empty mapping is no penalty.

    Example:
        >>> penalty_weights({"latency": 1}), penalty_weights(None)
        ({'latency': 1.0}, {})
    """
    if penalty is None:
        return {}
    if isinstance(penalty, str):
        return _parse_penalty(penalty)
    if not isinstance(penalty, Mapping):
        raise NasbenchError(f"penalty is a mapping {{metric: lambda}} or text metric=lambda[,metric=lambda], "
                            f"e.g. {{'latency': 0.1}} or 'latency=0.1', not {shorten(penalty)}")
    weights: dict[str, float] = {}
    for metric, weight in penalty.items():
        if not isinstance(metric, str) or not metric:
            raise NasbenchError(f"penalty metrics are metric names, e.g. {{'latency': 0.1}}, not {shorten(metric)}")
        if not (isinstance(weight, Real) and not isinstance(weight, bool) and 0 <= float(weight) < math.inf):
            raise NasbenchError(f"the penalty weight of {metric} must be a finite number >= 0, not {shorten(weight)}")
        weights[metric] = float(weight)
    return weights


def _parse_penalty(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in text.split(","):
        metric, _, weight = (part.strip() for part in item.partition("="))
        try:
            value = float(weight)
        except ValueError:
            value = math.nan
        if not metric or not 0 <= value < math.inf:
            raise NasbenchError(f"penalty takes METRIC=LAMBDA[,METRIC=LAMBDA] with LAMBDA a finite number >= 0, "
                                f"e.g. latency=0.1; not {shorten(text)}")
        if metric in weights:
            raise NasbenchError(f"penalty names {shorten(metric)} twice: {shorten(text)}")
        weights[metric] = value
    return weights
