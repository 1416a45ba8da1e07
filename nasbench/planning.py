"""Planning a study: the grid benchmark x strategy x seed, every name checked before anything runs."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nasbench.benchmark import Benchmark, list_benchmarks, load
from nasbench.errors import NasbenchError
from nasbench.simulate import strategy_registry

#: the default study (every fitting strategy x 20 seeds x 50 evaluations on two NAS-Bench-Graph tables)
#: is sized to finish in under a minute on 2 cores; gp-bo dominates it (reports/README.md)
DEFAULT_BENCHMARKS = ("nbgraph-cora", "nbgraph-citeseer")
DEFAULT_SEEDS = 20
DEFAULT_EVALS = 50


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

    def key(self) -> str:
        """Identity of the run in a study file: everything but the checksum (checked separately)."""
        return f"{self.benchmark}|{self.strategy}|{self.options}|{self.seed}"




def default_benchmarks() -> list[str]:
    """The default study's benchmarks that are installed (see :data:`DEFAULT_BENCHMARKS`)."""
    known = set(list_benchmarks())
    return [name for name in DEFAULT_BENCHMARKS if name in known]


def fits(strategy_class: type, benchmark: Benchmark, *, include_live: bool = False,
         include_multi_objective: bool = False) -> bool:
    """Whether a strategy suits a benchmark in a single-objective regret study, by capability flags."""
    if getattr(strategy_class, "multi_fidelity", False) and len(benchmark.fidelities) < 2:
        return False
    if getattr(strategy_class, "trains_live", False) and not include_live:
        return False
    return include_multi_objective or not getattr(strategy_class, "multi_objective", False)


def plan(
    benchmarks: Sequence[str] | None = None,
    strategies: Sequence[str] | None = None,
    *,
    seeds: int = DEFAULT_SEEDS,
    max_evals: int | None = None,
    max_time: float | None = None,
    workers: int = 1,
    options: dict[str, dict[str, Any]] | None = None,
    include_live: bool = False,
) -> list[RunSpec]:
    """The grid benchmark x strategy x seed (seeds ``0..seeds-1``), every name checked first.

    ``strategies=None`` takes every registered strategy that fits each benchmark (multi-fidelity ones
    only on tables with more than one fidelity; live-training ones only with ``include_live``;
    multi-objective ones only when named). A named strategy that fits none of the benchmarks raises.

    Example:
        >>> len(plan(["nbgraph-cora"], ["rs"], seeds=3, max_evals=10))
        3
    """
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise NasbenchError(f"the number of seeds must be an integer >= 1, not {seeds!r}")
    if max_evals is None and max_time is None:
        max_evals = DEFAULT_EVALS
    if max_evals is not None and (not isinstance(max_evals, int) or isinstance(max_evals, bool) or max_evals < 1):
        raise NasbenchError(f"the evaluation budget must be an integer >= 1, not {max_evals!r}")
    if max_time is not None and (not isinstance(max_time, (int, float)) or not 0 < max_time < math.inf):
        raise NasbenchError(f"the time budget must be a positive finite number of simulated seconds, not {max_time!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise NasbenchError(f"workers must be an integer >= 1, not {workers!r}")
    names = list(benchmarks) if benchmarks else default_benchmarks()
    if not names:
        raise NasbenchError("no benchmark to run: none of the default tables is installed; name some with --benchmarks")
    unknown = sorted(set(names) - set(list_benchmarks()))
    if unknown:
        raise NasbenchError(f"unknown benchmark {', '.join(map(repr, unknown))}; known benchmarks: "
                            f"{', '.join(list_benchmarks())}")
    registry = strategy_registry()
    if strategies:
        missing = sorted(set(strategies) - set(registry))
        if missing:
            raise NasbenchError(f"unknown strategy {', '.join(map(repr, missing))}; known strategies: "
                                f"{', '.join(sorted(registry))}")
    options = options or {}
    stray = sorted(set(options) - set(strategies or registry))
    if stray:
        raise NasbenchError(f"options given for {', '.join(map(repr, stray))}, which the study does not run")
    for name, given in options.items():  # a bad option value fails here, before any run starts
        try:
            registry[name](**given)
        except TypeError as exc:
            raise NasbenchError(f"strategy {name!r} got an option it does not take ({exc})") from None

    specs: list[RunSpec] = []
    used: set[str] = set()
    for bench_name in dict.fromkeys(names):
        bench = load(bench_name)
        chosen = list(dict.fromkeys(strategies)) if strategies else sorted(registry)
        for strategy in chosen:
            if not fits(registry[strategy], bench, include_live=include_live or bool(strategies),
                        include_multi_objective=bool(strategies)):
                continue
            used.add(strategy)
            option_json = json.dumps(options.get(strategy, {}), sort_keys=True)
            specs.extend(RunSpec(bench.name, strategy, seed, option_json, max_evals, max_time, workers, bench.checksum)
                         for seed in range(seeds))
    if strategies:
        unfit = [s for s in dict.fromkeys(strategies) if s not in used]
        if unfit:
            raise NasbenchError(f"strategy {', '.join(map(repr, unfit))} fits none of the benchmarks "
                                f"{', '.join(names)} (a multi-fidelity strategy needs a table with several fidelities)")
    if not specs:
        raise NasbenchError("no registered strategy fits the chosen benchmarks")
    return specs

