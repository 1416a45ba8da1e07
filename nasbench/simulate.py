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
from typing import Any

import numpy as np

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError, install_hint, shorten
from nasbench.evaluate import TableEvaluator
from nasbench.protocol import Job, Result, SearchContext, StrategyProtocol, make_strategy, strategy_registry
from nasbench.trace import COLUMNS, RESERVED, Trace, TraceMeta, dtype_of, orient
from nasbench.transfer import prior_tasks
from nasbench.validate import MAX_EVALS, check_budget, check_seed, objective_names, penalty_weights

# the contract and the trace are re-exported for code written against the single-module simulator
__all__ = ["Job", "Result", "SearchContext", "StrategyProtocol", "Trace", "TraceMeta", "make_strategy", "run",
           "strategy_registry"]


def _check_metrics(bench: Benchmark, search: str, objectives: tuple[str, ...]) -> str:
    """Refuse a test metric as search metric and objectives the table or the trace cannot take (see
    :func:`nasbench.pareto.check_objectives`); return the test metric the trace reports."""
    if bench.metric_info(search).split.value == "test":
        raise NasbenchError(f"{search!r} is a test metric; strategies search on validation metrics only")
    if not bench.test_metric:
        raise NasbenchError(f"benchmark {bench.name} has no test metric to report")
    if objectives:
        from nasbench import pareto

        pareto.check_objectives(bench, objectives)
        for objective in objectives:
            if objective in RESERVED:
                raise NasbenchError(f"objective {objective!r} has the name of a trace column")
        pareto.require_indicators()
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
    if isinstance(strategy, str):
        name, instance = strategy, make_strategy(strategy, **options)
    else:
        if not all(callable(getattr(strategy, method, None)) for method in ("reset", "ask", "tell")):
            raise NasbenchError(f"strategy must be a registered name or an object with reset, ask and tell, "
                                f"not {shorten(strategy)}")
        if options:
            raise NasbenchError("options go to a strategy given by name; configure an instance yourself")
        name, instance = getattr(strategy, "name", type(strategy).__name__), strategy
    search = search_metric or bench.search_metric
    test = _check_metrics(bench, search, objectives)
    evaluator = TableEvaluator(bench, search_metric=search, cost=cost, objectives=objectives,
                               asker=f"strategy {name!r}", penalty=penalty,
                               own_costs=getattr(instance, "trains_live", False))
    if getattr(instance, "multi_fidelity", False) and len(bench.fidelities) < 2:
        raise NasbenchError(f"strategy {name!r} is multi-fidelity but {bench.name} has a single fidelity")

    strategy_seq, loop_seq, training_seq = np.random.SeedSequence(seed).spawn(3)
    training = _training_context(bench, name, device, training_seq) if getattr(instance, "trains_live", False) else None
    orientations = tuple(bench.metric_info(o).higher_is_better for o in objectives)
    context = SearchContext(tuple(float(f) for f in bench.fidelities), bench.fidelity_unit, int(workers),
                            max_evals, max_time, search, objectives, bench.metric_info(search).higher_is_better,
                            orientations, training, priors)
    instance.reset(bench.space, np.random.default_rng(strategy_seq), context)
    records, objective_records = _loop(instance, evaluator, np.random.default_rng(loop_seq), len(bench.seeds), test,
                                       context)

    from nasbench.version import __version__

    meta = TraceMeta(
        strategy=name, options=json.dumps(_options_of(instance, options), sort_keys=True, default=str),
        seed=int(seed), benchmark=bench.name, checksum=bench.checksum, search_metric=search, test_metric=test,
        test_optimum=bench.optimum(test)[1], higher_is_better=bench.metric_info(test).higher_is_better,
        max_evals=max_evals, max_time=max_time, workers=int(workers), cost=evaluator.cost_name, version=__version__,
        objectives=objectives, objective_higher_is_better=orientations,
        transfer_from=tuple(prior.name for prior in priors),
        penalty=json.dumps(evaluator.penalty, sort_keys=True) if evaluator.penalty else "",
    )
    columns = _columns(records, objective_records, objectives, bench)
    if objectives:
        from nasbench import pareto

        archived = columns["fidelity"] == bench.fidelities[-1]
        columns["hv_regret"], columns["hv_regret_test"] = pareto.hv_regret_curves(bench, objectives, columns["row"],
                                                                                   archived)
    return Trace(meta, columns, bench.archs)


def _loop(instance: StrategyProtocol, evaluator: TableEvaluator, loop_rng: np.random.Generator, n_seeds: int,
          test: str, context: SearchContext) -> tuple[list[tuple], list[tuple[float, ...]]]:
    """Drive ``instance`` on the clock; one record per finished evaluation (the :data:`COLUMNS`
    with the fidelity and seed as indices) and the raw objective values of each."""
    max_time, workers = context.max_time, context.workers
    max_evals = MAX_EVALS if context.max_evals is None else context.max_evals  # a time budget stops there too
    sign = orient(1.0, context.search_higher_is_better)
    objective_signs = [orient(1.0, higher) for higher in context.objective_higher_is_better]
    records: list[tuple] = []
    objective_records: list[tuple[float, ...]] = []
    running: list[tuple] = []
    free = list(range(workers))
    clock, started, sequence = 0.0, 0, 0
    incumbent_key = (-1, -math.inf)
    incumbent = (-1, math.nan, math.nan)
    seed_draws: list[int] = []
    draw_position = 0
    trial_seeds: dict[int, int] = {}  # the seed column of each trial that named itself
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
                if n_seeds > 1:
                    trial = job.trial
                    seed_column = trial_seeds.get(trial, -1) if trial is not None else -1
                    if seed_column < 0:  # a new training run
                        if draw_position == len(seed_draws):
                            seed_draws, draw_position = loop_rng.integers(n_seeds, size=4096).tolist(), 0
                        seed_column = seed_draws[draw_position]
                        draw_position += 1
                        if trial is not None:
                            trial_seeds[trial] = seed_column
                else:
                    seed_column = 0
                evaluation = evaluate(job, seed_column)
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
                incumbent = (row, value, evaluator.test_value(row, test))
            records.append((begin, end, worker, row, fid, seed_column, value, spent, live) + incumbent)
    finally:
        if collecting:
            gc.enable()
    if context.max_evals is None and started == MAX_EVALS and max_time is not None and clock < max_time:
        raise NasbenchError(f"the time budget allows more than {MAX_EVALS:,} evaluations, the most a run makes "
                            f"(its trace is held in memory); give a smaller time budget")
    return records, objective_records


def _columns(records: list[tuple], objective_records: list[tuple[float, ...]], objectives: tuple[str, ...],
             bench: Benchmark) -> dict[str, np.ndarray]:
    """The trace columns of the loop's records (whose fidelity and seed are table indices)."""
    count = len(records)
    indices = ("fidelity", "seed")
    columns: dict[str, np.ndarray] = {k: np.fromiter(v, dtype=np.int64 if k in indices else dtype_of(k), count=count)
                                      for k, v in zip(COLUMNS, zip(*records) if records else [()] * len(COLUMNS))}
    columns["fidelity"] = bench.fidelities[columns["fidelity"]].astype(np.float64)
    columns["seed"] = bench.seeds[columns["seed"]].astype(np.int64)
    for position, objective in enumerate(objectives):
        columns[objective] = np.fromiter((values[position] for values in objective_records), np.float64, count)
    return columns


def _options_of(instance: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    config = getattr(instance, "config", None)
    return dict(config()) if callable(config) else dict(options)

