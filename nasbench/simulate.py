"""The run loop: a deterministic simulated clock, asynchronous workers and a budget.

The contract (``Job``, ``Result``, ``SearchContext``, the registry) lives in ``nasbench/protocol.py``,
what an evaluation is worth and costs in ``nasbench/evaluate.py``, the trace in ``nasbench/trace.py``;
this module is the clock and the workers. The loop

* draws every random number from one ``np.random.SeedSequence(seed)``: one child generator goes to
  the strategy, one to the loop (which table seed each evaluation reads), one to the training
  context of a strategy that trains models itself;
* keeps ``workers`` asynchronous workers: whenever a worker is free and the budget allows, it asks
  the strategy for a job; when the earliest running job finishes, the clock jumps to its end and the
  strategy is told. ``ask()`` returning ``None`` means "nothing to start until I hear back"; if
  nothing is running either, the run ends. Ties finish in the order the jobs started;
* charges each job the cost the evaluator reads from the table. Strategy overhead is charged only
  through the strategy's deterministic ``overhead()`` model (default 0), never host time;
* applies one budget rule, here and nowhere else: **start while used < budget** — a job starts only
  while fewer than ``max_evals`` have started and the clock is below ``max_time``; the last job may
  overshoot ``max_time``, and every started job finishes and is recorded.

A strategy sees only a :class:`Result`. Test metrics are read only here, to record the test value of
the validation-chosen incumbent (the best score at the highest fidelity seen) in the trace.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("rs", "nbgraph-cora", seed=0, max_evals=20, objectives="valid_accuracy,latency")
    >>> len(trace.to_frame()), "latency" in trace.to_frame()
    (20, True)
"""

from __future__ import annotations

import gc
import heapq
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError, install_hint, shorten
from nasbench.evaluate import TableEvaluator
from nasbench.protocol import Job, Result, SearchContext, StrategyProtocol, make_strategy, strategy_registry
from nasbench.trace import COLUMNS, Trace, TraceMeta, dtype_of, orient
from nasbench.transfer import prior_tasks
from nasbench.validate import (
    MAX_EVALS,
    check_budget,
    check_run_objectives,
    check_seed,
    objective_names,
    penalty_weights,
)

# the contract and the trace are re-exported for code written against the single-module simulator
__all__ = ["Job", "Result", "SearchContext", "StrategyProtocol", "Trace", "TraceMeta", "make_strategy", "run",
           "strategy_registry"]


class _Record(NamedTuple):
    """One finished evaluation as the loop records it: a trace row, with the fidelity and the seed as
    table indices (:func:`_columns` turns them into values)."""

    start: float
    end: float
    worker: int
    row: int
    fidelity: int
    seed: int
    valid: float
    cost: float
    live: bool
    incumbent_row: int
    incumbent_valid: float
    incumbent_test: float


assert _Record._fields == COLUMNS  # the trace's schema (nasbench.trace) is the one place the columns are named


def _check_metrics(bench: Benchmark, search: str, objectives: tuple[str, ...]) -> str:
    """Refuse a test metric as search metric and objectives the table or the trace cannot take (see
    :func:`nasbench.validate.check_run_objectives`); return the test metric the trace reports."""
    if bench.metric_info(search).split.value == "test":
        raise NasbenchError(f"{search!r} is a test metric; strategies search on validation metrics only")
    if not bench.test_metric:
        raise NasbenchError(f"benchmark {bench.name} has no test metric to report")
    check_run_objectives(bench, objectives)
    return bench.test_metric


def _training_context(bench: Benchmark, name: str, device: str, seq: np.random.SeedSequence) -> Any:
    """The training context of a strategy that trains models itself (needs the training extra)."""
    try:
        from nasbench.train.context import make_training_context
    except ImportError as exc:
        raise NasbenchError(f"strategy {name!r} trains models itself, which needs PyTorch "
                            f"({install_hint('train')}); cannot import {exc.name or exc}") from None
    return make_training_context(bench, device=device, rng=np.random.default_rng(seq))


def run(
    strategy: str | StrategyProtocol,
    benchmark: str | Benchmark,
    *,
    seed: int,
    max_evals: int | None = None,
    max_time: float | None = None,
    workers: int = 1,
    search_metric: str | None = None,
    cost: str | None = None,
    objectives: str | Sequence[str] = (),
    penalty: str | Mapping[str, float] | None = None,
    device: str = "cpu",
    transfer_from: Sequence[str] = (),
    **options: Any,
) -> Trace:
    """Run ``strategy`` against ``benchmark`` on the simulated clock and return the trace.

    ``strategy`` is a registry name (``options`` are its keyword arguments) or an instance;
    ``cost`` overrides the table's cost: a metric name, or ``"unit"`` for one unit per evaluation;
    ``objectives`` names 2 or 3 metrics the strategy is told besides the score (``"valid_accuracy,latency"``
    or a sequence; each becomes a trace column, and the trace also holds the archive's HV regret, see
    :mod:`nasbench.pareto`); ``penalty`` (``{"latency": 0.1}`` or ``"latency=0.1"``) makes the score the
    search metric less λ times each normalised cost metric; ``device`` is where a strategy that trains models
    itself trains them; ``transfer_from`` names prior tasks whose validation views the strategy gets
    in ``SearchContext.priors`` (:mod:`nasbench.transfer`). The budget is ``max_evals`` or ``max_time``.
    All arguments are checked before anything runs, by the rules of :mod:`nasbench.validate`.
    """
    check_budget(max_evals, max_time, workers)
    check_seed(seed)
    objectives = objective_names(objectives, required=False)
    penalty = penalty_weights(penalty)
    bench = benchmark if isinstance(benchmark, Benchmark) else load(benchmark)
    priors = prior_tasks(bench, transfer_from, seed=seed) if transfer_from else ()
    name, instance = _strategy_of(strategy, options)
    search = search_metric or bench.search_metric
    test = _check_metrics(bench, search, objectives)
    trains_live = getattr(instance, "trains_live", False)
    evaluator = TableEvaluator(bench, search_metric=search, cost=cost, objectives=objectives,
                               asker=f"strategy {name!r}", penalty=penalty, own_costs=trains_live)
    if getattr(instance, "multi_fidelity", False) and len(bench.fidelities) < 2:
        raise NasbenchError(f"strategy {name!r} is multi-fidelity but {bench.name} has a single fidelity")

    strategy_seq, loop_seq, training_seq = np.random.SeedSequence(seed).spawn(3)
    context = SearchContext(
        fidelities=tuple(float(f) for f in bench.fidelities), fidelity_unit=bench.fidelity_unit, workers=int(workers),
        max_evals=max_evals, max_time=max_time, search_metric=search, objectives=objectives,
        search_higher_is_better=bench.metric_info(search).higher_is_better,
        objective_higher_is_better=tuple(bench.metric_info(o).higher_is_better for o in objectives),
        training=_training_context(bench, name, device, training_seq) if trains_live else None, priors=priors)
    instance.reset(bench.space, np.random.default_rng(strategy_seq), context)
    records, objective_records = _loop(instance, evaluator, np.random.default_rng(loop_seq), len(bench.seeds), test,
                                       context)
    meta = _meta(bench, context, evaluator, strategy=name, options=_options_of(instance, options), seed=seed,
                 test=test)
    return Trace(meta, _columns(records, objective_records, bench, objectives), bench.archs)


def _strategy_of(strategy: str | StrategyProtocol, options: Mapping[str, Any]) -> tuple[str, StrategyProtocol]:
    """The name and the instance of a strategy given by registry name (with its options) or as an instance."""
    if isinstance(strategy, str):
        return strategy, make_strategy(strategy, **options)
    if not all(callable(getattr(strategy, method, None)) for method in ("reset", "ask", "tell")):
        raise NasbenchError(f"strategy must be a registered name or an object with reset, ask and tell, "
                            f"not {shorten(strategy)}")
    if options:
        raise NasbenchError("options go to a strategy given by name; configure an instance yourself")
    return getattr(strategy, "name", type(strategy).__name__), strategy


def _meta(bench: Benchmark, context: SearchContext, evaluator: TableEvaluator, *, strategy: str,
          options: Mapping[str, Any], seed: int, test: str) -> TraceMeta:
    """How the run was made: the task and budget as the strategy saw them, the costs and the test metric."""
    from nasbench.version import __version__

    return TraceMeta(
        strategy=strategy, options=json.dumps(options, sort_keys=True, default=str), seed=int(seed),
        benchmark=bench.name, checksum=bench.checksum, search_metric=context.search_metric, test_metric=test,
        test_optimum=bench.optimum(test)[1], higher_is_better=bench.metric_info(test).higher_is_better,
        max_evals=context.max_evals, max_time=context.max_time, workers=context.workers, cost=evaluator.cost_name,
        version=__version__, objectives=context.objectives,
        objective_higher_is_better=context.objective_higher_is_better,
        transfer_from=tuple(prior.name for prior in context.priors),
        penalty=json.dumps(evaluator.penalty, sort_keys=True) if evaluator.penalty else "",
    )


def _loop(instance: StrategyProtocol, evaluator: TableEvaluator, loop_rng: np.random.Generator, n_seeds: int,
          test: str, context: SearchContext) -> tuple[list[_Record], list[tuple[float, ...]]]:
    """Drive ``instance`` on the clock; one record per finished evaluation and the raw objective values of each."""
    max_time, workers = context.max_time, context.workers
    max_evals = MAX_EVALS if context.max_evals is None else context.max_evals  # a time budget stops there too
    sign = orient(1.0, context.search_higher_is_better)
    objective_signs = [orient(1.0, higher) for higher in context.objective_higher_is_better]
    records: list[_Record] = []
    objective_records: list[tuple[float, ...]] = []
    running: list[tuple] = []
    free = list(range(workers))
    clock, started, sequence = 0.0, 0, 0
    incumbent_key = (-1, -math.inf)
    incumbent_row, incumbent_valid, incumbent_test = -1, math.nan, math.nan
    seed_column_of = _SeedColumns(n_seeds, loop_rng).column
    ask, tell, evaluate = instance.ask, instance.tell, evaluator.evaluate
    heappush, heappop = heapq.heappush, heapq.heappop
    overhead = getattr(instance, "overhead", None)
    # a method that returns its latest result (one-shot: the cell derived after its last epoch) is judged by it
    latest_is_incumbent = getattr(instance, "incumbent_rule", "best") == "latest"
    penalties = evaluator.penalties
    collecting = gc.isenabled()
    gc.disable()  # the loop allocates many short-lived tuples and no cycles: no collections inside it
    try:
        while True:
            while free and started < max_evals and (max_time is None or clock < max_time):
                job = ask()
                if job is None:
                    break
                evaluation = evaluate(job, seed_column_of(job.trial) if n_seeds > 1 else 0)
                begin = clock + overhead() if overhead is not None else clock
                heappush(running, (begin + evaluation.cost, sequence, heappop(free), begin, job, evaluation))
                sequence += 1
                started += 1
            if not running:
                break
            end, _, worker, begin, job, evaluation = heappop(running)
            clock = end
            heappush(free, worker)
            row, fid, seed_column, value, spent, extra, live = evaluation
            score = sign * value
            if penalties is not None:
                score -= float(penalties[row, seed_column, fid])
            if extra:
                objective_records.append(extra)
                extra = tuple([s * v for s, v in zip(objective_signs, extra)])
            tell(job, Result(job, score, spent, extra))
            if latest_is_incumbent or fid > incumbent_key[0] or (fid == incumbent_key[0] and score > incumbent_key[1]):
                incumbent_key = (fid, score)
                incumbent_row, incumbent_valid, incumbent_test = row, value, evaluator.test_value(row, test)
            records.append(_Record(start=begin, end=end, worker=worker, row=row, fidelity=fid, seed=seed_column,
                                   valid=value, cost=spent, live=live, incumbent_row=incumbent_row,
                                   incumbent_valid=incumbent_valid, incumbent_test=incumbent_test))
    finally:
        if collecting:
            gc.enable()
    _check_cap(context, started, clock)
    return records, objective_records


class _SeedColumns:
    """Which table seed each evaluation reads: a fresh draw for each training run, the same one for
    every job of a trial that names itself (``Job.trial``). The loop's generator draws them in blocks."""

    def __init__(self, n_seeds: int, rng: np.random.Generator) -> None:
        self.n_seeds, self.rng = n_seeds, rng
        self.draws: list[int] = []
        self.position = 0
        self.of_trial: dict[int, int] = {}

    def column(self, trial: int | None) -> int:
        column = self.of_trial.get(trial, -1) if trial is not None else -1
        if column < 0:  # a new training run
            if self.position == len(self.draws):
                self.draws, self.position = self.rng.integers(self.n_seeds, size=4096).tolist(), 0
            column = self.draws[self.position]
            self.position += 1
            if trial is not None:
                self.of_trial[trial] = column
        return column


def _check_cap(context: SearchContext, started: int, clock: float) -> None:
    """Refuse a time budget the evaluation cap cut short (the run ended before the clock reached it)."""
    max_time = context.max_time
    if context.max_evals is None and started == MAX_EVALS and max_time is not None and clock < max_time:
        raise NasbenchError(f"the time budget allows more than {MAX_EVALS:,} evaluations, the most a run makes "
                            f"(its trace is held in memory); give a smaller time budget")


def _columns(records: list[_Record], objective_records: list[tuple[float, ...]], bench: Benchmark,
             objectives: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The trace columns of the loop's records (whose fidelity and seed are table indices), then one
    column per objective and, with objectives, the HV regret of the archive."""
    count = len(records)
    indices = ("fidelity", "seed")
    columns: dict[str, np.ndarray] = {
        k: np.fromiter(v, dtype=np.int64 if k in indices else dtype_of(k), count=count)
        for k, v in zip(_Record._fields, zip(*records) if records else [()] * len(_Record._fields))}
    columns["fidelity"] = bench.fidelities[columns["fidelity"]].astype(np.float64)
    columns["seed"] = bench.seeds[columns["seed"]].astype(np.int64)
    for position, objective in enumerate(objectives):
        columns[objective] = np.fromiter((values[position] for values in objective_records), np.float64, count)
    if objectives:
        from nasbench import pareto

        archived = columns["fidelity"] == bench.fidelities[-1]
        columns["hv_regret"], columns["hv_regret_test"] = pareto.hv_regret_curves(bench, objectives, columns["row"],
                                                                                   archived)
    return columns


def _options_of(instance: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    config = getattr(instance, "config", None)
    return dict(config()) if callable(config) else dict(options)

