"""Planning a study: the grid benchmark x strategy x seed, every name checked before anything runs.

:func:`plan` takes the benchmark and strategy names and a :class:`StudySettings` (or its fields as
keywords), checked once when it is made; each step below checks one thing, in the order a user
would fix them: the benchmarks, the strategies and their options, the prior tasks, then each table.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nasbench.benchmark import Benchmark, list_benchmarks, load
from nasbench.errors import NasbenchError, shorten
from nasbench.protocol import strategy_class
from nasbench.simulate import strategy_registry
from nasbench.study.presets import Entry
from nasbench.transfer import SHUFFLED, check_transfer_from, maps_into
from nasbench.validate import check_budget, check_run_objectives, name_sequence, objective_names, penalty_weights

#: the default study: every shipped table (``data/manifest.json``) x every strategy that fits it, but
#: those of :data:`DEFAULT_LEFT_OUT`, x 20 seeds x :data:`DEFAULT_EVALS` evaluations; the budget is where
#: the strategies separate and the whole study, report included, still takes under a minute on 2 cores
#: (both measured in reports/default/README.md)
DEFAULT_BENCHMARKS = ("mlp-mnist1d", "mlp-mnist1d-noisy", "mlp-mnist1d-shifted", "nb201-mnist1d",
                      "nbgraph-arxiv", "nbgraph-citeseer", "nbgraph-computers", "nbgraph-cora", "nbgraph-cs",
                      "nbgraph-photo", "nbgraph-physics", "nbgraph-proteins", "nbgraph-pubmed")
DEFAULT_SEEDS = 20
DEFAULT_EVALS = 100
#: strategies that fit the default tables but are not among the default strategies, for the time they
#: would add to the default study (measured; named with ``strategies``, they run)
DEFAULT_LEFT_OUT = {
    "bananas": "a 100-evaluation run costs 0.25-0.34 s of CPU (gp-bo 0.16-0.19 s, the rest together 0.08 s), "
               "so its 260 runs would add ~75 CPU-s, ~38 s on 2 cores, to a study of ~45 s",
}

StrategyClasses = dict[str, type]


@dataclass(frozen=True)
class RunSpec:
    """One cell of the grid: what to run, with which budget, on which table (by checksum)."""

    benchmark: str
    strategy: str
    seed: int
    options: str = "{}"  # JSON of the strategy's keyword options as given (defaults omitted)
    max_evals: int | None = None
    max_time: float | None = None
    workers: int = 1
    checksum: str = ""
    time_units: float | None = None  # the time budget as given in trainings (max_time holds the seconds)
    transfer_from: str = ""  # the prior tasks, comma-separated (nasbench.transfer); "" = none
    objectives: str = ""  # comma-separated objective metrics ("" = a single-objective run)
    penalty: str = ""  # JSON {metric: lambda} of a scalarised search ("" = none)

    def key(self) -> str:
        """Identity of the run in a study file: everything but the checksum (checked separately)."""
        key = f"{self.benchmark}|{self.strategy}|{self.options}|{self.seed}"
        if self.objectives or self.penalty:
            key = f"{key}|{self.objectives}|{self.penalty}"
        return f"{key}|from={self.transfer_from}" if self.transfer_from else key

    def priors(self) -> tuple[str, ...]:
        """The prior tasks as a tuple of names."""
        return tuple(self.transfer_from.split(",")) if self.transfer_from else ()

    def run_options(self) -> dict[str, Any]:
        """The keyword arguments of ``nasbench.run`` this spec adds to the strategy's options."""
        return {"objectives": tuple(self.objectives.split(",")) if self.objectives else (),
                "penalty": json.loads(self.penalty) if self.penalty else None, "transfer_from": self.priors()}


@dataclass(frozen=True)
class StudySettings:
    """Everything a plan takes besides the benchmark and strategy names, checked once, when made (one
    :class:`NasbenchError` for a bad value).

    ``seeds`` runs seeds ``0..seeds-1``. The budget is one of ``max_evals``, ``max_time`` or
    ``time_units`` (a time in units of each table's median cost of one full training, :func:`time_unit`,
    so that tables of different cost get the same budget in trainings); none is :data:`DEFAULT_EVALS`
    evaluations. ``options`` gives each named strategy one set of options (``{"rea": {"population_size":
    20}}``); ``entries`` names strategies with their options instead, one strategy possibly several times.
    ``include_live`` adds the strategies that train live to the defaults. ``transfer_from`` gives every run
    those prior tasks; ``leave_one_out`` gives each benchmark the study's other benchmarks that map into its
    space (:func:`priors_for`), to the entries that use them (a transferring strategy, or a ``warm_start``
    option); the others run cold. ``objectives`` (2 or 3 metrics, checked on every benchmark) and
    ``penalty`` go to every run, in the forms :func:`nasbench.run` takes.

    Example:
        >>> StudySettings(seeds=3, objectives="valid_accuracy, latency").objectives
        ('valid_accuracy', 'latency')
    """

    seeds: int = DEFAULT_SEEDS
    max_evals: int | None = None
    max_time: float | None = None
    time_units: float | None = None
    workers: int = 1
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    entries: Sequence[Entry] | None = None
    include_live: bool = False
    transfer_from: Sequence[str] = ()
    leave_one_out: bool = False
    objectives: Sequence[str] = ()  # given as nasbench.run takes them, kept as a tuple of names
    penalty: str | Mapping[str, float] | None = None  # likewise, kept as a dict of weights ({} for none)

    def __post_init__(self) -> None:
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise NasbenchError(f"the number of seeds must be an integer >= 1, not {shorten(self.seeds)}")
        check_budget(self.evaluations, self.max_time, self.workers, time_units=self.time_units)  # nasbench.run's rules
        object.__setattr__(self, "objectives", objective_names(self.objectives, required=False))
        object.__setattr__(self, "penalty", penalty_weights(self.penalty))
        options: Any = {} if self.options is None else self.options
        if not (isinstance(options, Mapping) and all(
                isinstance(name, str) and isinstance(given, Mapping) for name, given in options.items())):
            raise NasbenchError(f"options map strategy names to their options, e.g. {{'rea': {{'population_size': "
                                f"20}}}}, not {shorten(options)}")
        object.__setattr__(self, "options", options)
        if self.transfer_from and self.leave_one_out:
            raise NasbenchError("give the prior tasks (--transfer-from) or leave-one-task-out, not both")

    @property
    def evaluations(self) -> int | None:
        """The evaluation budget of each run: ``max_evals``, or :data:`DEFAULT_EVALS` where no budget is given."""
        if self.max_evals is None and self.max_time is None and self.time_units is None:
            return DEFAULT_EVALS
        return self.max_evals


def default_benchmarks() -> list[str]:
    """The default study's benchmarks that are installed (see :data:`DEFAULT_BENCHMARKS`)."""
    known = set(list_benchmarks())
    return [name for name in DEFAULT_BENCHMARKS if name in known]


def fits(strategy_class: type, benchmark: Benchmark, *, include_live: bool = False,
         include_multi_objective: bool = False, priors: bool = False) -> bool:
    """Whether a strategy suits a benchmark in a single-objective regret study, by capability flags
    (a strategy that transfers from prior tasks only where the run has some)."""
    if getattr(strategy_class, "transfers", False) and not priors:
        return False
    if getattr(strategy_class, "multi_fidelity", False) and len(benchmark.fidelities) < 2:
        return False
    if getattr(strategy_class, "trains_live", False) and not include_live:
        return False
    return include_multi_objective or not getattr(strategy_class, "multi_objective", False)


def plan(benchmarks: Sequence[str] | None = None, strategies: Sequence[str] | None = None,
         settings: StudySettings | None = None, **fields: Any) -> list[RunSpec]:
    """The grid benchmark x strategy x seed, every name checked first.

    ``settings`` (a :class:`StudySettings`), or its fields as keywords (``seeds=3, max_evals=10``; with
    ``settings``, they replace its fields), give the seeds, the budget, the strategies' options and the
    rest. Benchmark names may be shell patterns (``nbgraph-*``); ``None`` is the installed tables of
    :data:`DEFAULT_BENCHMARKS`. ``strategies=None`` takes every registered strategy that fits each
    benchmark (multi-fidelity ones only on tables with more than one fidelity; live-training ones only
    with ``include_live``; multi-objective ones only with objectives, and a strategy fitted for
    multi-objective runs only is left out without), but those of :data:`DEFAULT_LEFT_OUT`. A named
    strategy that fits none of the benchmarks raises.

    Example:
        >>> len(plan(["nbgraph-cora"], ["rs"], seeds=3, max_evals=10))
        3
    """
    settings = StudySettings(**fields) if settings is None else replace(settings, **fields)
    names = _benchmark_names(benchmarks)
    registry, named = _named_strategies(strategies, settings)
    entries = _entries(registry, named, settings)
    transfers = [name for name in named if getattr(registry[name], "transfers", False)]  # named explicitly
    if transfers and not (settings.transfer_from or settings.leave_one_out):
        raise NasbenchError(f"strategy {', '.join(map(repr, dict.fromkeys(transfers)))} transfers from prior "
                            f"tasks; name them with --transfer-from")
    specs = [spec for name in names for spec in _cells(load(name), names, entries, registry, bool(named), settings)]
    used = {spec.strategy for spec in specs}
    unfit = [name for name in dict.fromkeys(named) if name not in used]
    if unfit:
        raise NasbenchError(f"strategy {', '.join(map(repr, unfit))} fits none of the benchmarks "
                            f"{', '.join(names)} (a multi-fidelity strategy needs a table with several fidelities)")
    if not specs:
        raise NasbenchError("no registered strategy fits the chosen benchmarks")
    return specs


def _benchmark_names(benchmarks: Sequence[str] | None) -> list[str]:
    """The study's benchmarks, patterns expanded (the installed defaults for ``None``), each installed."""
    names = expand(benchmarks) if benchmarks is not None else default_benchmarks()
    if not names:
        raise NasbenchError("no benchmark to run: none of the default tables is installed; name some with --benchmarks"
                            if benchmarks is None else "no benchmark to run: benchmarks is empty")
    unknown = sorted(set(names) - set(list_benchmarks()))
    if unknown:
        raise NasbenchError(f"unknown benchmark {', '.join(map(shorten, unknown))}; known benchmarks: "
                            f"{', '.join(list_benchmarks())}")
    return names


def _named_strategies(strategies: Sequence[str] | None, settings: StudySettings) -> tuple[StrategyClasses, list[str]]:
    """The registry (with the names of a bridged library the study uses) and the strategies the study
    names, by ``strategies`` or by its entries (none: the defaults), each one known."""
    if settings.entries is not None and (strategies or settings.options):
        raise NasbenchError("give the strategies as entries, or as names with options, not both")
    if settings.entries is not None:
        named = [entry.strategy for entry in settings.entries]
    else:
        given = () if strategies is None else strategies
        named = list(name_sequence(given, "strategies", "strategy names", "['rs', 'rea']"))
    registry = strategy_registry()
    registry.update({name: strategy_class(name) for name in named if ":" in name})  # a bridged library's names
    missing = sorted(set(named) - set(registry))
    if missing:
        raise NasbenchError(f"unknown strategy {', '.join(map(shorten, missing))}; known strategies: "
                            f"{', '.join(sorted(registry))}")
    return registry, named


def _entries(registry: StrategyClasses, named: list[str], settings: StudySettings) -> list[Entry]:
    """The strategies with their options (the settings' entries, or each strategy named or by default
    with its options); every option checked now by making the strategy, before any run starts."""
    defaults = [name for name in sorted(registry) if name not in DEFAULT_LEFT_OUT]
    stray = sorted(set(settings.options) - set(named or defaults))
    if stray:
        raise NasbenchError(f"options given for {', '.join(map(shorten, stray))}, which the study does not run")
    if settings.entries is not None:
        entries = list(settings.entries)
    else:
        entries = [Entry(name, settings.options.get(name, {})) for name in dict.fromkeys(named or defaults)]
    for entry in entries:
        try:
            registry[entry.strategy](**entry.options)
        except TypeError as exc:
            raise NasbenchError(f"strategy {entry.strategy!r} got an option it does not take "
                                f"({shorten(str(exc), 200)})") from None
    return entries


def _cells(bench: Benchmark, family: Sequence[str], entries: Sequence[Entry], registry: StrategyClasses, named: bool,
           settings: StudySettings) -> list[RunSpec]:
    """The runs of one benchmark: each entry that fits it (all fit where ``named``), over the seeds, with
    the prior tasks it uses; the objectives and penalty checked on the table first."""
    check_run_objectives(bench, settings.objectives)  # the rules nasbench.run applies, before anything runs
    if settings.penalty:
        from nasbench.evaluate import TableEvaluator

        TableEvaluator(bench, penalty=settings.penalty)
    seconds = settings.time_units * time_unit(bench) if settings.time_units is not None else settings.max_time
    priors = priors_for(bench, family) if settings.leave_one_out else _checked_priors(bench, settings.transfer_from)
    extra = {"objectives": ",".join(settings.objectives),
             "penalty": json.dumps(settings.penalty, sort_keys=True) if settings.penalty else ""}
    cells: list[RunSpec] = []
    for entry in {entry.label(): entry for entry in entries}.values():
        cls = registry[entry.strategy]
        if not fits(cls, bench, include_live=settings.include_live or named,
                    include_multi_objective=named or bool(settings.objectives), priors=bool(priors)):
            continue
        uses = not settings.leave_one_out or getattr(cls, "transfers", False) or bool(entry.options.get("warm_start"))
        given = ",".join(SHUFFLED + name if entry.shuffled else name for name in priors) if uses else ""
        option_json = json.dumps(dict(entry.options), sort_keys=True)
        cells.extend(RunSpec(bench.name, entry.strategy, seed, option_json, settings.evaluations, seconds,
                             settings.workers, bench.checksum, settings.time_units, given, **extra)
                     for seed in range(settings.seeds))
    return cells


def expand(names: Sequence[str]) -> list[str]:
    """Benchmark names with shell patterns (``nbgraph-*``) replaced by the installed tables they match.

    >>> expand(["nbgraph-c*", "mlp-mnist1d"])[:3]
    ['nbgraph-citeseer', 'nbgraph-computers', 'nbgraph-cora']
    """
    known = list_benchmarks()
    out: list[str] = []
    for name in name_sequence(names, "benchmarks", "table names", "['nbgraph-cora', 'mlp-*']"):
        matched = fnmatch.filter(known, name) if any(c in name for c in "*?[") else [name]
        if not matched:
            raise NasbenchError(f"no installed benchmark matches {shorten(name)}; known benchmarks: {', '.join(known)}")
        out.extend(matched)
    return list(dict.fromkeys(out))


def priors_for(bench: Benchmark, family: Sequence[str]) -> tuple[str, ...]:
    """Leave-one-task-out: the benchmarks of ``family`` other than ``bench`` that map into its space."""
    return tuple(name for name in dict.fromkeys(family)
                 if name != bench.name and maps_into(load(name), bench))


def _checked_priors(bench: Benchmark, names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as prior tasks of ``bench``, every one checked now (target, unknown, unrelated space)."""
    names = check_transfer_from(bench.name, names)
    for name in names:
        prior = load(name.removeprefix(SHUFFLED))
        if not maps_into(prior, bench):
            raise NasbenchError(f"prior task {prior.name} ({prior.space.name} space) does not map into the "
                                f"{bench.space.name} space of {bench.name}")
    return names


def time_unit(bench: Benchmark) -> float:
    """Simulated seconds of one full training: the median final cost over the table.

    Example:
        >>> round(time_unit(load("mlp-mnist1d")), 3)
        0.32
    """
    if not bench.table.cost_metric:
        raise NasbenchError(f"table {bench.name} records no training cost, so it has no simulated time to share")
    return float(np.nanmedian(bench.final(bench.table.cost_metric)))


def labels(specs: Sequence[RunSpec]) -> list[str]:
    """A label per spec: the strategy's name, followed by its options as given where the study runs that
    strategy with several sets of options.

    Example:
        >>> specs = plan(["nbgraph-cora"], entries=[Entry("rea"), Entry("rea", {"population_size": 5})],
        ...              seeds=1, max_evals=5)
        >>> labels(specs)
        ['rea', 'rea population_size=5']
    """
    variants: dict[str, set[str]] = {}
    for spec in specs:
        variants.setdefault(spec.strategy, set()).add(spec.options)
    names = [Entry(spec.strategy, json.loads(spec.options)).label() if len(variants[spec.strategy]) > 1
             else spec.strategy for spec in specs]
    return [f"{name} (shuffled priors)" if spec.transfer_from.startswith(SHUFFLED) else name
            for name, spec in zip(names, specs)]
