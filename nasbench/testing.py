"""The contract every strategy keeps, as checks that any test suite imports.

The project's tests run these checks over every registered strategy (``tests/test_contract.py``);
a plugin runs them over its own, by subclassing :class:`StrategyContract` in its test file (pytest
collects the checks as tests) or by calling :func:`check_strategy` (no pytest needed). The strategy
comes from the caller, as a class or a registered name: nasbench never imports the strategies.

Each check runs the strategy through :func:`nasbench.simulate.run` behind a transparent wrapper that
watches what crosses the ask/tell boundary, and raises ``AssertionError`` with one sentence that
names the strategy and the broken promise:

* :func:`check_valid_asks`: every ask is a :class:`~nasbench.protocol.Job` holding an architecture
  of the space, at a fidelity the table holds (below the final one, or resuming, only for a strategy
  that declares ``multi_fidelity``); only a strategy that trains live sets a job's ``cost``.
* :func:`check_budget`: ``max_evals`` holds with one and four workers, ``max_time`` by the rule
  "start while used < budget"; an overhead is a time >= 0, no worker runs two jobs at once, and the
  strategy reads no table itself (each read would be an evaluation outside the budget).
* :func:`check_no_test_metric`: a strategy is told exactly the validation value of its job at the
  seed the loop drew, its cost and its objectives; while it runs it reads no metric of any table
  (a test metric least of all); it holds no benchmark, table or table array; its context names no
  test metric.
* :func:`check_determinism`: one seed, one trace; a strategy that draws from its generator asks
  otherwise for another seed; one that never draws keeps no generator of its own (it would ignore the
  run's seed), so a deterministic design such as a fixed portfolio passes.
* :func:`check_fresh_process`: with four workers, the trace is the same again and in a fresh process.
* :func:`check_capabilities`: the tiers a strategy declares match what it does: ``multi_fidelity``
  asks below the final fidelity; ``transfers`` refuses a run without prior tasks and asks otherwise
  when they are shuffled; ``incumbent_rule`` (``"latest"`` for one-shot methods) is a known rule.
* :func:`check_objectives` (needs ``nasbench[mo]``): ``multi_objective`` is reproducible with two
  objectives, told exactly their oriented values; a strategy that does not declare it asks the same
  when the objectives it is told are negated.

Example: a plugin's strategy (any object with ``reset``, ``ask`` and ``tell``) and its tests.

    >>> from nasbench.protocol import Job
    >>> from nasbench.testing import StrategyContract, check_strategy
    >>> class Walk:  # mutates the best architecture so far
    ...     name = "walk"
    ...     def reset(self, space, rng, context):
    ...         self.space, self.rng, self.best = space, rng, (float("-inf"), space.sample(rng))
    ...     def ask(self):
    ...         return Job(self.space.mutate(self.best[1], self.rng))
    ...     def tell(self, job, result):
    ...         self.best = max(self.best, (result.score, job.arch))
    >>> class TestWalk(StrategyContract):  # in the plugin's tests: pytest runs each check as a test
    ...     strategy = Walk
    >>> ran = check_strategy(Walk, fresh_process=False)  # the same checks without pytest
    >>> "determinism" in ran and "no test metric" in ran
    True

``fresh_process=False`` because a class defined here cannot be rebuilt in another process; a
plugin's class, importable from its module, can.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import pickle
import random
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn

import numpy as np

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError, shorten
from nasbench.protocol import Job, Result, SearchContext, make_strategy, strategy_class
from nasbench.simulate import Trace, run
from nasbench.spaces import Space
from nasbench.table import Split, Table
from nasbench.trace import MO_COLUMNS, orient
from nasbench.transfer import SHUFFLED
from nasbench.validate import require_indicators

__all__ = ["CHECKS", "EVALS", "PRIORS", "Case", "CheckUnavailable", "StrategyContract", "check_budget",
           "check_capabilities", "check_determinism", "check_fresh_process", "check_no_test_metric",
           "check_objectives", "check_strategy", "check_valid_asks"]

#: evaluations per checked run
EVALS = 40
#: the benchmark a strategy is checked on unless the caller names one, by what it declares
SINGLE_FIDELITY, MULTI_FIDELITY, LIVE = "nbgraph-cora", "mlp-mnist1d", "nb201-mnist1d"
#: the prior tasks of a strategy that transfers, on a table of the nbgraph space
PRIORS = ("nbgraph-citeseer", "nbgraph-pubmed")
#: the two seeds compared, and the workers of the asynchronous runs
SEED, OTHER_SEED, WORKERS = 11, 12, 4


class CheckUnavailable(Exception):
    """A check cannot run here (an optional extra is not installed); not a failure of the strategy."""


@dataclass(frozen=True)
class Case:
    """One strategy as the checks run it: a registered name or a class, built with ``options``.

    ``benchmark`` (a table name or path) defaults by what the strategy declares (:data:`LIVE`,
    :data:`MULTI_FIDELITY` or :data:`SINGLE_FIDELITY`); ``transfer_from`` defaults to :data:`PRIORS`
    for a strategy that transfers (on an nbgraph table) and is empty for every other; ``max_time``,
    the budget of the time-budget run, defaults to eight median costs of the table (25 evaluations
    where it has no cost).
    """

    strategy: str | type
    benchmark: str | os.PathLike[str] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    transfer_from: Sequence[str] | None = None
    max_evals: int = EVALS
    max_time: float | None = None


def _flag(cls: type, name: str) -> bool:
    return bool(getattr(cls, name, False))


@lru_cache(maxsize=8)
def _load(reference: str) -> Benchmark:
    return load(reference)


class _Subject:
    """A :class:`Case` resolved: the class, the benchmark, the prior tasks and how to build an instance."""

    def __init__(self, case: Case) -> None:
        strategy = case.strategy
        self.case = case
        self.cls = strategy_class(strategy) if isinstance(strategy, str) else strategy
        if not isinstance(self.cls, type):
            raise TypeError(f"the contract checks a strategy class or a registered name, not {shorten(strategy)}")
        self.name = strategy if isinstance(strategy, str) else getattr(self.cls, "name", "") or self.cls.__qualname__
        self.label = f"strategy {self.name!r}"
        self.options = dict(case.options)
        default = LIVE if _flag(self.cls, "trains_live") else MULTI_FIDELITY if _flag(self.cls, "multi_fidelity") \
            else SINGLE_FIDELITY
        self.reference = os.fspath(case.benchmark) if case.benchmark is not None else default
        self.bench = _load(self.reference)
        if not _flag(self.cls, "transfers"):
            self.priors: tuple[str, ...] = tuple(case.transfer_from or ())
        elif case.transfer_from is not None:
            self.priors = tuple(case.transfer_from)
        elif self.bench.space.name == "nbgraph":
            self.priors = tuple(name for name in PRIORS if name != self.bench.name)
        else:
            raise ValueError(f"{self.label} transfers: name its prior tasks (transfer_from) for {self.bench.name}")
        self.max_evals = case.max_evals
        self.fidelities = frozenset(float(f) for f in self.bench.fidelities)
        self.final = float(self.bench.fidelities[-1])
        cost = self.bench.table.cost_metric
        self.time_budget = case.max_time if case.max_time is not None else \
            25.0 if cost == "" else float(np.nanmedian(self.bench.final(cost))) * 8
        try:
            self.key: tuple | None = (self.cls, strategy, tuple(sorted(self.options.items())), self.reference,
                                      self.bench.checksum, self.priors, self.max_evals, self.time_budget)
            hash(self.key)
        except TypeError:  # an unhashable option value: its runs are not kept
            self.key = None

    def build(self) -> Any:
        strategy = self.case.strategy
        return make_strategy(strategy, **self.options) if isinstance(strategy, str) else self.cls(**self.options)


def _subject(case: Case | str | type) -> _Subject:
    return _Subject(case if isinstance(case, Case) else Case(case))


def _fail(message: str) -> NoReturn:
    raise AssertionError(message)


# --- watching what a strategy reads ------------------------------------------------------------
class _Reading:
    """Which strategy call is running (``""``: the loop's own code) and the table metrics read meanwhile."""

    call = ""
    reads: list[tuple[str, str, bool, str]] = []  # (table, metric, is a test metric, through which method)


def _note(table: Table, metric: str, via: str, test: bool = False) -> None:
    if _Reading.call:
        info = table.metrics.get(metric)
        _Reading.reads.append((table.name, metric, test or (info is not None and info.split is Split.TEST), via))


def _metric_reader(cls: type, method: str, position: int) -> tuple[type, str, Callable]:
    """A wrapper of ``cls.method`` noting the metric name at argument ``position`` (after ``self``)."""
    original = getattr(cls, method)

    def read(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _Reading.call:
            table = self if isinstance(self, Table) else self.table
            if method == "dataset":
                if str(args[0]).startswith("metrics/"):
                    _note(table, str(args[0]).split("/", 1)[1], "Table.dataset")
            elif method == "pareto_front":
                split = args[1] if len(args) > 1 else kwargs.get("split", "valid")
                for metric in args[0] if args else kwargs.get("objectives", ()):
                    _note(table, str(metric), "Benchmark.pareto_front", test=split == "test")
            else:
                metric = args[position] if len(args) > position else kwargs.get("metric", "")
                _note(table, str(metric), f"Benchmark.{method}")
        return original(self, *args, **kwargs)

    return cls, method, read


@contextmanager
def _watching_tables() -> Iterator[None]:
    """Note every table metric read while a strategy call runs (the methods below reach every stored
    value, the Benchmark's caches included); put back the plain methods afterwards. The methods are
    those of the classes, so a check must not run beside other work on other threads."""
    readers = [_metric_reader(Table, "dataset", 0), _metric_reader(Benchmark, "final", 0),
               _metric_reader(Benchmark, "query", 1), _metric_reader(Benchmark, "query_many", 1),
               _metric_reader(Benchmark, "pareto_front", 0)]
    originals = [(cls, method, vars(cls)[method]) for cls, method, _ in readers]
    for cls, method, read in readers:
        setattr(cls, method, read)
    try:
        yield
    finally:
        for cls, method, original in originals:
            setattr(cls, method, original)


# --- one observed run ---------------------------------------------------------------------------
class _Setting(NamedTuple):
    seed: int = SEED
    workers: int = 1
    timed: bool = False  # the time budget instead of max_evals
    objectives: bool = False  # two objectives: the search metric and a cost
    negated: bool = False  # the objectives the strategy is told are negated
    priors: str = "given"  # "given", "none" or "shuffled"
    repeat: int = 0


_PLAIN, _AGAIN, _OTHER = _Setting(), _Setting(repeat=1), _Setting(seed=OTHER_SEED)
_PARALLEL, _PARALLEL_AGAIN = _Setting(workers=WORKERS), _Setting(workers=WORKERS, repeat=1)
_TIMED = _Setting(seed=4, workers=2, timed=True)


class _Observed(NamedTuple):
    """What one run showed: its trace and everything that crossed the strategy's boundary."""

    digest: str
    columns: Mapping[str, np.ndarray]
    jobs: tuple[Job, ...]
    results: tuple[Result, ...]
    context: SearchContext
    objectives: tuple[str, ...]
    drew: bool  # the strategy drew from a generator the run gave it
    own_generator: str  # where it keeps a generator of its own ("" where it keeps none)
    table_data: str  # what of a table it holds, and where ("" where it holds nothing)


class _Watched:
    """Wraps a strategy for one run: checks each ask as it is made, keeps what the strategy is told,
    notes what it reads. Anything else the loop looks up (capability flags, ``config``) is the strategy's."""

    def __init__(self, inner: Any, subject: _Subject, negated: bool) -> None:
        self.inner, self.subject, self.negated = inner, subject, negated
        self.name = subject.name
        self.jobs: list[Job] = []
        self.results: list[Result] = []

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "inner":
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    @contextmanager
    def _call(self, method: str) -> Iterator[None]:
        _Reading.call, _Reading.reads = method, []
        try:
            yield
        finally:
            _Reading.call, reads = "", _Reading.reads
        for table, metric, test, via in reads[:1]:
            if test:
                _fail(f"{self.subject.label} read the test metric {metric!r} of {table} in {method} ({via}); "
                      f"a strategy sees validation results only")
            _fail(f"{self.subject.label} read the metric {metric!r} of {table} itself in {method} ({via}), an "
                  f"evaluation outside the budget; a strategy learns scores only from tell")

    def reset(self, space: Space, rng: np.random.Generator, context: SearchContext) -> None:
        self.space, self.context = space, context
        # the run's generators: the strategy's own and that of a training context (a live strategy's)
        training_rng = getattr(context.training, "rng", None)
        self.generators = [rng] + ([training_rng] if isinstance(training_rng, np.random.Generator) else [])
        self.states = _states(self.generators)
        with self._call("reset"):
            self.inner.reset(space, rng, context)

    def ask(self) -> Job | None:
        with self._call("ask"):
            job = self.inner.ask()
        if job is not None:
            self._check(job)
            self.jobs.append(job)
        return job

    def tell(self, job: Job, result: Result) -> None:
        self.results.append(result)
        if self.negated:
            result = result._replace(objectives=tuple(-value for value in result.objectives))
        with self._call("tell"):
            self.inner.tell(job, result)

    def overhead(self) -> float:
        method = getattr(self.inner, "overhead", None)
        with self._call("overhead"):
            value = method() if method is not None else 0.0
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            _fail(f"{self.subject.label} reported an overhead of {shorten(value)} simulated seconds; an overhead "
                  f"is a finite time >= 0")
        return value

    def _check(self, job: Any) -> None:
        subject, label = self.subject, self.subject.label
        if not isinstance(job, Job):
            _fail(f"{label} asked for {shorten(job)}, which is not a Job")
        if not isinstance(job.arch, tuple) or not self.space.is_valid(job.arch):
            _fail(f"{label} asked for {shorten(job.arch)}, which is not an architecture of the {self.space.name} "
                  f"space")
        fidelity = _fidelity(job.fidelity, subject)
        if fidelity is None:
            _fail(f"{label} asked for fidelity {shorten(job.fidelity)}, which {subject.bench.name} lacks (it holds "
                  f"{', '.join(f'{f:g}' for f in sorted(subject.fidelities))})")
        multi_fidelity = _flag(subject.cls, "multi_fidelity")
        if fidelity != subject.final and not multi_fidelity:
            _fail(f"{label} asked for fidelity {fidelity:g} below the final {subject.final:g} but does not declare "
                  f"multi_fidelity")
        if job.resume_from is not None:
            resumed = _fidelity(job.resume_from, subject)
            if not multi_fidelity or resumed is None or resumed > fidelity:
                _fail(f"{label} asked to resume from fidelity {shorten(job.resume_from)} to {fidelity:g}, which "
                      f"only a multi_fidelity strategy may, from a lower fidelity the table holds")
        if job.cost is not None and not _flag(subject.cls, "trains_live"):
            _fail(f"{label} set a job's cost, which only a strategy that trains live (trains_live = True) may")


def _fidelity(value: Any, subject: _Subject) -> float | None:
    """``value`` as a fidelity of the subject's table (``None`` is the final one), or ``None`` if it is none."""
    if value is None:
        return subject.final
    try:
        fidelity = float(value)
    except (TypeError, ValueError):
        return None
    return fidelity if fidelity in subject.fidelities else None


def _states(generators: Sequence[np.random.Generator]) -> list[tuple[bytes, int]]:
    """Where each generator stands: its state and how many children its seed sequence spawned."""
    return [(pickle.dumps(rng.bit_generator.state),
             int(getattr(getattr(rng.bit_generator, "seed_seq", None), "n_children_spawned", 0)))
            for rng in generators]


def _find(value: Any, kind: Callable[[Any], str], path: str, skip: Callable[[Any], bool], depth: int = 0,
          seen: set[int] | None = None) -> str:
    """The description and path of the first object under ``value`` that ``kind`` names ("" if none)."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 4 or skip(value):
        return ""
    seen.add(id(value))
    found = kind(value)
    if found:
        return f"{found} ({path})"
    if isinstance(value, dict):
        children = [(f"{path}[{key!r}]", child) for key, child in value.items()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = [(f"{path}[{index}]", child) for index, child in enumerate(value)]
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        children = [(f"{path}.{name}", child) for name, child in vars(value).items()]
    else:
        children = []
    for where, child in children:
        found = _find(child, kind, where, skip, depth + 1, seen)
        if found:
            return found
    return ""


def _table_data(value: Any) -> str:
    if isinstance(value, Benchmark):
        return "the benchmark"
    if isinstance(value, Table):
        return "a table"
    if isinstance(value, np.ndarray):
        base = value.base
        while isinstance(base, np.ndarray):
            if isinstance(base, np.memmap):
                return "an array of a table file"
            base = base.base
    return ""


def _own_generator(value: Any) -> str:
    own = isinstance(value, (np.random.Generator, np.random.RandomState, np.random.BitGenerator, random.Random))
    return "a random generator of its own" if own else ""


def _digest(trace: Trace) -> str:
    """A fingerprint of every column of a trace, bit for bit."""
    digest = hashlib.sha256()
    for name in sorted(trace.columns):
        column = np.ascontiguousarray(trace.columns[name])
        digest.update(f"{name}:{column.dtype}:".encode())
        digest.update(column.tobytes())
    return digest.hexdigest()


def _objectives_of(bench: Benchmark) -> tuple[str, ...]:
    cost = next((m for m in ("latency", "params", "flops", "train_time") if m in bench.metrics), None)
    if cost is None:
        raise CheckUnavailable(f"{bench.name} has no cost metric (latency, params, flops, train_time) to pair with "
                               f"{bench.search_metric} as a second objective")
    return (bench.search_metric, cost)


def _run(subject: _Subject, setting: _Setting) -> _Observed:
    watched = _Watched(subject.build(), subject, setting.negated)
    priors = {"given": subject.priors, "none": (),
              "shuffled": tuple(SHUFFLED + name for name in subject.priors)}[setting.priors]
    objectives = _objectives_of(subject.bench) if setting.objectives else ()
    budget = {"max_time": subject.time_budget} if setting.timed else {"max_evals": subject.max_evals}
    with _watching_tables():
        trace = run(watched, subject.bench, seed=setting.seed, workers=setting.workers, objectives=objectives,
                    transfer_from=priors, **budget)
    inner, context = watched.inner, watched.context
    drew = _states(watched.generators) != watched.states
    # what the loop handed over (generators, space, context, training context) is the strategy's by design
    handed = [*watched.generators, *(rng.bit_generator for rng in watched.generators), watched.space, context,
              context.training]
    own = _find(inner, _own_generator, "strategy", lambda value: any(value is h for h in handed))
    held = _find(inner, _table_data, "strategy", lambda v: isinstance(v, Space))  # the space holds index data only
    return _Observed(_digest(trace), trace.columns, tuple(watched.jobs), tuple(watched.results), watched.context,
                     objectives, drew, own, held)


#: observed runs, kept so that the checks of one strategy share its runs (the least recently used go)
_OBSERVED: OrderedDict[tuple, _Observed] = OrderedDict()


def _observe(subject: _Subject, setting: _Setting) -> _Observed:
    if subject.key is None:
        return _run(subject, setting)
    key = (subject.key, setting)
    if key in _OBSERVED:
        _OBSERVED.move_to_end(key)
        return _OBSERVED[key]
    observed = _OBSERVED[key] = _run(subject, setting)
    while len(_OBSERVED) > 64:
        _OBSERVED.popitem(last=False)
    return observed


def _asks(observed: _Observed) -> list[tuple[Any, Any]]:
    return [(job.arch, job.fidelity) for job in observed.jobs]


def _first_difference(first: _Observed, second: _Observed) -> str:
    for name in [*first.columns, *(name for name in second.columns if name not in first.columns)]:
        a, b = first.columns.get(name), second.columns.get(name)
        if a is None or b is None or len(a) != len(b):
            return f" (column {name!r} differs in length)"
        unequal = np.flatnonzero(~((a == b) | ((a != a) & (b != b))))
        if unequal.size:
            return f" (first in column {name!r} at evaluation {int(unequal[0])})"
    return ""


# --- the checks ---------------------------------------------------------------------------------
def check_valid_asks(case: Case | str | type) -> None:
    """Every job asked is a valid architecture at a valid fidelity, with one and with several workers and
    under a time budget (see the module docstring)."""
    subject = _subject(case)
    for setting in (_PLAIN, _PARALLEL, _TIMED):
        _observe(subject, setting)  # the wrapper checks each ask as it is made


def check_budget(case: Case | str | type) -> None:
    """``max_evals`` and ``max_time`` are kept; overheads are times; each worker runs one job at a time."""
    subject = _subject(case)
    label = subject.label
    for setting in (_PLAIN, _PARALLEL):
        observed = _observe(subject, setting)
        recorded, asked = len(observed.columns["row"]), len(observed.jobs)
        if recorded != asked or asked > subject.max_evals:
            _fail(f"{label} had {asked} jobs started and {recorded} recorded with {setting.workers} worker(s) under "
                  f"a budget of {subject.max_evals} evaluations")
        _check_workers(subject, observed)
    observed = _observe(subject, _TIMED)
    columns, budget = observed.columns, subject.time_budget
    if not len(columns["start"]):
        _fail(f"{label} made no evaluation within a time budget of {budget:g} simulated seconds")
    late = np.flatnonzero(columns["start"] >= budget)
    if late.size:
        _fail(f"{label} had an evaluation start at {columns['start'][late[0]]:g} s, not before the time budget of "
              f"{budget:g} s")
    _check_workers(subject, observed)


def _check_workers(subject: _Subject, observed: _Observed) -> None:
    columns = observed.columns
    start, end, cost, worker = columns["start"], columns["end"], columns["cost"], columns["worker"]
    if (end - start < cost - 1e-9).any() or (start < 0).any():
        _fail(f"{subject.label} had an evaluation take less simulated time than its cost")
    for one in np.unique(worker):
        order = np.argsort(start[worker == one], kind="stable")
        begins, ends = start[worker == one][order], end[worker == one][order]
        if (begins[1:] < ends[:-1] - 1e-9).any():
            _fail(f"{subject.label} had worker {int(one)} run two jobs at once (a job started before the simulated "
                  f"clock reached it)")


def check_no_test_metric(case: Case | str | type) -> None:
    """Nothing but the validation score, the cost and the objectives of its own jobs reaches a strategy."""
    subject = _subject(case)
    if list(Result._fields) != ["job", "score", "cost", "objectives"]:
        _fail(f"{subject.label} is told a Result of {', '.join(Result._fields)}; a strategy may see a job, its "
              f"validation score, its cost and its objectives only")
    for setting in (_PLAIN, _PARALLEL):
        observed = _observe(subject, setting)  # the wrapper fails a strategy that reads a table while it runs
        _check_told(subject, observed)
        if observed.table_data:
            _fail(f"{subject.label} holds {observed.table_data} after a run; a strategy sees the space and its "
                  f"results only")
        _check_context(subject, observed.context)


def _check_told(subject: _Subject, observed: _Observed) -> None:
    """Each result told is exactly the table's entry of that very job, at the seed and fidelity recorded."""
    bench, columns, context = subject.bench, observed.columns, observed.context
    values = bench.metric_values(context.search_metric)
    sign = orient(1.0, context.search_higher_is_better)
    extras = [(bench.metric_values(name), higher) for name, higher in
              zip(observed.objectives, context.objective_higher_is_better)]
    seed_index = {int(seed): index for index, seed in enumerate(bench.seeds)}
    fidelity_index = {float(fidelity): index for index, fidelity in enumerate(bench.fidelities)}
    for number, result in enumerate(observed.results):
        row = int(columns["row"][number])
        entry = (row, seed_index[int(columns["seed"][number])], fidelity_index[float(columns["fidelity"][number])])
        expected = sign * float(values[entry])
        told = tuple(orient(float(array[entry]), higher) for array, higher in extras)
        if (bench.space.index(result.job.arch) != row or result.score != expected
                or result.cost != float(columns["cost"][number]) or tuple(result.objectives) != told):
            _fail(f"{subject.label} was told {shorten(result)} for evaluation {number}, not the validation value "
                  f"{expected!r} of {context.search_metric} (and cost, objectives) of that job")


def _check_context(subject: _Subject, context: SearchContext) -> None:
    label, bench = subject.label, subject.bench
    for role, metric in [("search metric", context.search_metric), *(("objective", o) for o in context.objectives)]:
        if bench.metric_info(metric).split is Split.TEST:
            _fail(f"the context of {label} names the test metric {metric!r} as its {role}")
    for prior in context.priors:
        if _load(prior.name.removeprefix(SHUFFLED)).metric_info(prior.metric).split is not Split.VALID:
            _fail(f"the context of {label} holds prior task {prior.name}'s {prior.metric!r}, not a validation metric")
    held = _find(context, _table_data, "context", lambda value: isinstance(value, Space))
    if held:
        _fail(f"the context of {label} holds {held}; it carries metric names and validation views only")


def check_determinism(case: Case | str | type) -> None:
    """One seed, one trace; another seed, other asks, for a strategy that draws from its generator."""
    subject = _subject(case)
    label = subject.label
    first, again, other = (_observe(subject, setting) for setting in (_PLAIN, _AGAIN, _OTHER))
    if first.digest != again.digest:
        _fail(f"{label} gave two different traces for seed {SEED}{_first_difference(first, again)}")
    if first.drew and _asks(first) == _asks(other):
        _fail(f"{label} draws from its generator yet asked the same {len(first.jobs)} jobs for seeds {SEED} and "
              f"{OTHER_SEED}: its choices ignore the run's seed")
    if not first.drew and first.own_generator:
        _fail(f"{label} never drew from a generator the run gave it but keeps {first.own_generator}: it ignores "
              f"the run's seed")


def check_fresh_process(case: Case | str | type) -> None:
    """With four workers, the same trace again in this process and in a fresh Python process."""
    subject = _subject(case)
    first, again = _observe(subject, _PARALLEL), _observe(subject, _PARALLEL_AGAIN)
    if first.digest != again.digest:
        _fail(f"{subject.label} gave two different traces for seed {SEED} with {WORKERS} workers"
              f"{_first_difference(first, again)}")
    recipe = {**_recipe(subject), "options": subject.options, "benchmark": subject.reference,
              "transfer_from": list(subject.priors), "max_evals": subject.max_evals}
    try:
        spec = json.dumps(recipe)
    except TypeError:
        spec = ""
    if not spec or json.loads(spec)["options"] != subject.options:
        raise ValueError(f"{subject.label}'s options must be JSON values to be rebuilt in a fresh process")
    paths = json.dumps([os.path.abspath(path) for path in sys.path])
    script = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
              "from nasbench.testing import _fresh_digest; print(_fresh_digest(sys.argv[2]))")
    done = subprocess.run([sys.executable, "-c", script, paths, spec], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        _fail(f"{subject.label} could not run in a fresh Python process ({reason})")
    if done.stdout.strip() != first.digest:
        _fail(f"{subject.label} gave another trace in a fresh Python process than in this one (seed {SEED}, "
              f"{WORKERS} workers)")


def _recipe(subject: _Subject) -> dict[str, str]:
    """How a fresh process builds the strategy: from its module where the class can be imported, else by name."""
    cls = subject.cls
    module, qualname = cls.__module__, cls.__qualname__
    if module != "__main__" and "<" not in qualname and module in sys.modules:
        found: Any = sys.modules[module]
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if found is cls:
            return {"module": module, "qualname": qualname}
    if isinstance(subject.case.strategy, str):
        return {"name": subject.case.strategy}
    raise ValueError(f"{subject.label} cannot be rebuilt in a fresh process: define its class at the top level "
                     f"of an importable module")


def _fresh_digest(spec_text: str) -> str:
    """The trace digest of the run that :func:`check_fresh_process` compares (called in the fresh process)."""
    spec = json.loads(spec_text)
    if "module" in spec:
        strategy: Any = importlib.import_module(spec["module"])
        for part in spec["qualname"].split("."):
            strategy = getattr(strategy, part)
        case = Case(strategy, spec["benchmark"], spec["options"], spec["transfer_from"], spec["max_evals"])
    else:
        case = Case(spec["name"], spec["benchmark"], spec["options"], spec["transfer_from"], spec["max_evals"])
    subject = _subject(case)
    return _digest(run(subject.build(), subject.bench, seed=SEED, workers=WORKERS, max_evals=subject.max_evals,
                       transfer_from=subject.priors))


def check_capabilities(case: Case | str | type) -> None:
    """The tiers a strategy declares (multi-fidelity, transfer, its incumbent rule) match what it does."""
    subject = _subject(case)
    cls, label = subject.cls, subject.label
    first = _observe(subject, _PLAIN)
    if _flag(cls, "multi_fidelity") and all(_fidelity(job.fidelity, subject) == subject.final for job in first.jobs):
        _fail(f"{label} declares multi_fidelity but asked only for the final fidelity in {len(first.jobs)} jobs")
    rule = getattr(cls, "incumbent_rule", "best")
    if rule not in ("best", "latest"):
        _fail(f"{label} declares the incumbent rule {shorten(rule)}; the rules are 'best' and 'latest' (one-shot)")
    if not _flag(cls, "transfers"):
        return
    try:
        _run(subject, _Setting(priors="none"))
    except NasbenchError:
        pass  # refused in one sentence, as a strategy that needs prior tasks does
    else:
        _fail(f"{label} declares transfers (it needs prior tasks) but ran without any")
    if _asks(_observe(subject, _Setting(priors="shuffled"))) == _asks(first):
        _fail(f"{label} declares transfers but asked the same jobs with its prior tasks shuffled: it does not use them")


def check_objectives(case: Case | str | type) -> None:
    """A multi-objective strategy is told its objectives exactly and is reproducible with them; any other
    asks the same whatever objectives it is told. Raises :class:`CheckUnavailable` without ``nasbench[mo]``."""
    subject = _subject(case)
    label = subject.label
    try:
        require_indicators()
    except NasbenchError as exc:
        raise CheckUnavailable(f"the objective checks of {label} need the mo extra: {exc}") from None
    if _flag(subject.cls, "multi_objective"):
        first = _observe(subject, _Setting(objectives=True))
        again = _observe(subject, _Setting(objectives=True, repeat=1))
        if first.digest != again.digest:
            _fail(f"{label} gave two different traces for seed {SEED} with objectives "
                  f"{', '.join(first.objectives)}{_first_difference(first, again)}")
        if not set(MO_COLUMNS) <= set(first.columns):
            _fail(f"{label}'s run with objectives has no {' and '.join(MO_COLUMNS)} columns")
        _check_told(subject, first)
        return
    try:
        negated = _observe(subject, _Setting(objectives=True, negated=True))
    except NasbenchError:
        return  # a single-objective strategy may refuse objectives, in one sentence
    _check_told(subject, negated)
    if _asks(negated) != _asks(_observe(subject, _PLAIN)):
        _fail(f"{label} does not declare multi_objective but its asks change when the run declares objectives "
              f"(told negated)")


#: every check by name, in the order :func:`check_strategy` runs them
CHECKS: Mapping[str, Callable[[Case | str | type], None]] = MappingProxyType({
    "valid asks": check_valid_asks, "budget": check_budget, "no test metric": check_no_test_metric,
    "determinism": check_determinism, "fresh process": check_fresh_process, "capabilities": check_capabilities,
    "objectives": check_objectives,
})


def check_strategy(strategy: str | type, benchmark: str | os.PathLike[str] | None = None, *,
                   options: Mapping[str, Any] | None = None, transfer_from: Sequence[str] | None = None,
                   max_evals: int = EVALS, max_time: float | None = None,
                   fresh_process: bool = True) -> tuple[str, ...]:
    """Run every check of :data:`CHECKS` on ``strategy`` (see :class:`Case` for the arguments); return the
    names of the checks that ran. A check that needs an extra not installed here is left out
    (:class:`CheckUnavailable`), and so is the fresh-process check with ``fresh_process=False``."""
    case = Case(strategy, benchmark, dict(options or {}), transfer_from, max_evals, max_time)
    ran = []
    for name, check in CHECKS.items():
        if name == "fresh process" and not fresh_process:
            continue
        try:
            check(case)
        except CheckUnavailable:
            continue
        ran.append(name)
    return tuple(ran)


class StrategyContract:
    """The checks as a pytest test class: subclass it as ``Test...`` and set ``strategy`` (a class or a
    registered name); the other attributes are those of :class:`Case`. pytest is imported only to skip
    a check whose extra is missing."""

    strategy: str | type | None = None
    benchmark: str | os.PathLike[str] | None = None
    options: Mapping[str, Any] = MappingProxyType({})
    transfer_from: Sequence[str] | None = None
    max_evals: int = EVALS
    max_time: float | None = None

    def case(self) -> Case:
        if self.strategy is None:
            raise TypeError(f"{type(self).__name__} names no strategy: set its strategy attribute")
        return Case(self.strategy, self.benchmark, dict(self.options), self.transfer_from, self.max_evals,
                    self.max_time)

    def test_valid_asks(self) -> None:
        check_valid_asks(self.case())

    def test_budget(self) -> None:
        check_budget(self.case())

    def test_no_test_metric_reaches_the_strategy(self) -> None:
        check_no_test_metric(self.case())

    def test_determinism(self) -> None:
        check_determinism(self.case())

    def test_same_trace_in_a_fresh_process(self) -> None:
        check_fresh_process(self.case())

    def test_capabilities(self) -> None:
        check_capabilities(self.case())

    def test_objectives(self) -> None:
        try:
            check_objectives(self.case())
        except CheckUnavailable as exc:
            import pytest

            pytest.skip(str(exc))
