"""The one run loop: a deterministic simulated clock, asynchronous workers, a budget, a trace.

A strategy is anything with ``reset(space, rng, context)``, ``ask() -> Job | None`` and
``tell(job, result)`` (see ``strategies/base.py``). The loop

* draws every random number from one ``np.random.SeedSequence(seed)``: one child generator goes to
  the strategy, one to the loop (which table seed each evaluation reads);
* keeps ``workers`` asynchronous workers: whenever a worker is free and the budget allows, it asks
  the strategy for a job; when the earliest running job finishes, the clock jumps to its end and the
  strategy is told. ``ask()`` returning ``None`` means "nothing to start until I hear back"; if
  nothing is running either, the run ends. Ties finish in the order the jobs started;
* charges each evaluation its tabulated cost: the table's ``cost_metric`` (cumulative training time to
  the fidelity, plus the ``eval_cost_metric`` validation pass where tabulated), or one unit per
  evaluation where the table has none (``cost_metric="unit"``), or any metric you name. Resuming a job
  from fidelity ``r0`` pays ``t(r) - t(r0)``. Strategy overhead is charged only through the
  strategy's deterministic ``overhead()`` model (default 0), never host time;
* applies one budget rule, here and nowhere else: **start while used < budget** — a job starts only
  while fewer than ``max_evals`` have started and the clock is below ``max_time``; the last job may
  overshoot ``max_time``, and every started job finishes and is recorded.

A strategy sees only a :class:`Result`: its job, the search metric at the asked fidelity from one
seed (oriented so higher is better), the cost, and the objectives it declared. Test metrics are read
only here, to record the test value of the validation-chosen incumbent in the trace.

Example:
    >>> import nasbench
    >>> trace = nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=20)
    >>> len(trace.to_frame())
    20
"""

from __future__ import annotations

import gc
import heapq
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from nasbench.benchmark import Benchmark, load

if TYPE_CHECKING:
    import pandas as pd

from nasbench.errors import MissingEntryError, NasbenchError
from nasbench.spaces import Arch, Space

TRACE_MAGIC = "# nasbench-trace "


class Job(NamedTuple):
    """What a strategy asks for: an architecture at a fidelity (``None`` = the final one).

    ``resume_from`` is the fidelity already trained for this architecture (resuming pays only the
    difference); ``tag`` is the strategy's own bookkeeping number (bracket, rung, ...).
    Job and Result are immutable typed records made once per evaluation on the hot path, hence
    NamedTuples (about three times cheaper to build than frozen dataclasses).
    """

    arch: Arch
    fidelity: float | None = None
    resume_from: float | None = None
    tag: int = 0


class Result(NamedTuple):
    """All a strategy may see of an evaluation.

    ``score`` is the search metric (a validation metric) at the asked fidelity from one seed drawn by
    the loop, negated where lower is better so that higher is always better; ``cost`` is the simulated
    time it took; ``objectives`` holds the extra objectives the run declared, also oriented to maximise.
    """

    job: Job
    score: float
    cost: float
    objectives: tuple[float, ...] = ()


@dataclass(frozen=True)
class SearchContext:
    """What a strategy knows about the task besides its space."""

    fidelities: tuple[float, ...]
    fidelity_unit: str
    workers: int
    max_evals: int | None
    max_time: float | None
    search_metric: str
    objectives: tuple[str, ...] = ()


class StrategyProtocol(Protocol):
    name: str

    def reset(self, space: Space, rng: np.random.Generator, context: SearchContext) -> None: ...

    def ask(self) -> Job | None: ...

    def tell(self, job: Job, result: Result) -> None: ...

    def overhead(self) -> float: ...


# --- the strategy registry (filled by plugins; nasbench never imports strategies) ----------------
def strategy_registry() -> dict[str, type]:
    """Registered strategies by name, gathered from the ``nasbench.strategies`` entry points.

    Each entry point names a callable returning ``{name: class}``; the built-in one is
    ``strategies:registry``. External optimisers plug in the same way.
    """
    registry: dict[str, type] = {}
    for point in entry_points(group="nasbench.strategies"):
        for name, cls in point.load()().items():
            if name in registry and registry[name] is not cls:
                raise NasbenchError(f"two strategy plugins register the name {name!r}")
            registry[name] = cls
    return registry


def make_strategy(name: str, **options: Any) -> StrategyProtocol:
    """Instantiate a registered strategy with its own keyword options (validated by it)."""
    registry = strategy_registry()
    cls = registry.get(name)
    if cls is None:
        raise NasbenchError(f"unknown strategy {name!r}; known strategies: {', '.join(sorted(registry))}")
    try:
        return cls(**options)
    except TypeError as exc:
        raise NasbenchError(f"strategy {name!r} got an option it does not take ({exc})") from None


# --- the trace ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TraceMeta:
    """Everything needed to reproduce and interpret a trace."""

    strategy: str
    options: str  # JSON of the strategy's options
    seed: int
    benchmark: str
    checksum: str
    search_metric: str
    test_metric: str
    test_optimum: float
    higher_is_better: bool
    max_evals: int | None
    max_time: float | None
    workers: int
    cost: str
    version: str


_COLUMNS = ("start", "end", "worker", "row", "fidelity", "seed", "valid", "cost", "live",
            "incumbent_row", "incumbent_valid", "incumbent_test")


@dataclass
class Trace:
    """One row per finished evaluation, in finishing order."""

    meta: TraceMeta
    columns: dict[str, np.ndarray]
    archs: np.ndarray = field(repr=False)  # canonical string of every row of the benchmark's table

    def to_frame(self) -> pd.DataFrame:
        """``start, end, worker, arch, row, fidelity, seed, valid, cost, live, incumbent_row,
        incumbent_valid, incumbent_test, regret`` (test regret of the incumbent, non-negative)."""
        import pandas as pd  # imported on use: it costs ~0.4 s at every command's start-up

        frame = pd.DataFrame({k: self.columns[k] for k in _COLUMNS})
        frame.insert(3, "arch", self.archs[frame["row"].to_numpy()] if len(frame) else [])
        sign = 1.0 if self.meta.higher_is_better else -1.0
        frame["regret"] = sign * (self.meta.test_optimum - frame["incumbent_test"])
        return frame

    def save(self, path: str | Path) -> None:
        """Write a CSV whose first line is ``# nasbench-trace {meta JSON}``; deterministic bytes."""
        frame = self.to_frame()
        with open(path, "w", newline="") as f:
            f.write(TRACE_MAGIC + json.dumps(asdict(self.meta), sort_keys=True) + "\n")
            frame.to_csv(f, index=False, float_format="%.10g", lineterminator="\n")

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        path = Path(path)
        try:
            with open(path) as f:
                first = f.readline()
                if not first.startswith(TRACE_MAGIC):
                    raise NasbenchError(f"{path} is not a nasbench trace (its first line lacks {TRACE_MAGIC.strip()!r})")
                meta = TraceMeta(**json.loads(first[len(TRACE_MAGIC):]))
                import pandas as pd

                frame = pd.read_csv(f)
        except (OSError, ValueError, TypeError) as exc:
            raise NasbenchError(f"cannot read trace {path}: {exc}") from None
        archs = np.empty(int(frame["row"].max()) + 1 if len(frame) else 0, dtype=object)
        archs[frame["row"].to_numpy()] = frame["arch"].to_numpy()
        return cls(meta, {k: frame[k].to_numpy() for k in _COLUMNS}, archs)


# --- the loop -----------------------------------------------------------------------------------
def _check_budget(max_evals: int | None, max_time: float | None, workers: int, seed: int) -> None:
    if max_evals is None and max_time is None:
        raise NasbenchError("give a budget: max_evals (evaluations) or max_time (simulated seconds)")
    if max_evals is not None and (not isinstance(max_evals, (int, np.integer)) or max_evals <= 0):
        raise NasbenchError(f"max_evals must be a positive integer, not {max_evals!r}")
    if max_time is not None and (not isinstance(max_time, (int, float)) or not max_time > 0 or math.isinf(max_time)):
        raise NasbenchError(f"max_time must be a positive finite number of simulated seconds, not {max_time!r}")
    if not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1:
        raise NasbenchError(f"workers must be an integer >= 1, not {workers!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise NasbenchError(f"seed must be a non-negative integer, not {seed!r}")


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
    objectives: tuple[str, ...] = (),
    **options: Any,
) -> Trace:
    """Run ``strategy`` against ``benchmark`` on the simulated clock and return the trace.

    ``strategy`` is a registry name (``options`` are its keyword arguments) or an instance;
    ``cost`` overrides the table's cost: a metric name, or ``"unit"`` for one unit per evaluation.
    All arguments are checked before anything runs.
    """
    _check_budget(max_evals, max_time, workers, seed)
    bench = benchmark if isinstance(benchmark, Benchmark) else load(benchmark)
    if isinstance(strategy, str):
        name, instance = strategy, make_strategy(strategy, **options)
    else:
        if options:
            raise NasbenchError("options go to a strategy given by name; configure an instance yourself")
        name, instance = getattr(strategy, "name", type(strategy).__name__), strategy
    search = search_metric or bench.search_metric
    info = bench.metric_info(search)
    if info.split.value == "test":
        raise NasbenchError(f"{search!r} is a test metric; strategies search on validation metrics only")
    test = bench.test_metric
    if not test:
        raise NasbenchError(f"benchmark {bench.name} has no test metric to report")
    for objective in objectives:
        if bench.metric_info(objective).split.value == "test":
            raise NasbenchError(f"objective {objective!r} is a test metric; strategies never see test metrics")
    cost_name = cost or bench.table.cost_metric or "unit"
    if cost_name != "unit":
        bench.metric_info(cost_name)
    if getattr(instance, "multi_fidelity", False) and len(bench.fidelities) < 2:
        raise NasbenchError(f"strategy {name!r} is multi-fidelity but {bench.name} has a single fidelity")

    strategy_seq, loop_seq = np.random.SeedSequence(seed).spawn(2)
    context = SearchContext(tuple(float(f) for f in bench.fidelities), bench.fidelity_unit, int(workers),
                            max_evals, max_time, search, tuple(objectives))
    instance.reset(bench.space, np.random.default_rng(strategy_seq), context)
    loop_rng = np.random.default_rng(loop_seq)

    sign = 1.0 if info.higher_is_better else -1.0
    search_values = bench.table.metric(search)
    cost_values = None if cost_name == "unit" else bench.table.metric(cost_name)
    eval_name = bench.table.extra.get("eval_cost_metric", "") if cost is None else ""
    eval_values = bench.table.metric(eval_name) if eval_name else None
    objective_values = [(bench.table.metric(o), 1.0 if bench.metric_info(o).higher_is_better else -1.0) for o in objectives]
    test_final = bench.final(test).tolist()
    fidelity_index = {float(f): i for i, f in enumerate(bench.fidelities)}
    last_fidelity = len(bench.fidelities) - 1
    n_seeds = len(bench.seeds)
    seeds = bench.seeds
    space_index = bench.space.index
    overhead = getattr(instance, "overhead", None)

    records: list[tuple] = []  # one tuple per finished evaluation, turned into columns at the end
    running: list[tuple] = []
    free = list(range(workers))
    clock, started, sequence = 0.0, 0, 0
    incumbent_key = (-1, -math.inf)
    incumbent = (-1, math.nan, math.nan)
    seed_draws: list[int] = []
    draw_position = 0
    ask, tell, heappush, heappop = instance.ask, instance.tell, heapq.heappush, heapq.heappop
    collecting = gc.isenabled()
    gc.disable()  # the loop allocates many short-lived tuples and no cycles: no collections inside it
    try:
        while True:
            while free and (max_evals is None or started < max_evals) and (max_time is None or clock < max_time):
                job = ask()
                if job is None:
                    break
                row = space_index(job.arch)
                fid = last_fidelity if job.fidelity is None else fidelity_index.get(float(job.fidelity))
                if fid is None:
                    raise NasbenchError(f"strategy {name!r} asked for fidelity {job.fidelity}, which {bench.name} lacks")
                if n_seeds > 1:
                    if draw_position == len(seed_draws):
                        seed_draws, draw_position = loop_rng.integers(n_seeds, size=4096).tolist(), 0
                    seed_col = seed_draws[draw_position]
                    draw_position += 1
                else:
                    seed_col = 0
                value = float(search_values[row, seed_col, fid])
                live = False
                if value != value:
                    seed_col, value, live = _fill_missing(bench, search_values, search, row, seed_col, fid)
                if cost_values is None:
                    spent = 1.0
                else:
                    spent = _cost(cost_values, eval_values, fidelity_index, job, row, seed_col, fid, bench.name, cost_name)
                begin = clock + overhead() if overhead is not None else clock
                extra = tuple([s * float(a[row, seed_col, fid]) for a, s in objective_values]) if objective_values else ()
                heappush(running, (begin + spent, sequence, heappop(free), begin, job, row, fid, seed_col,
                                   value, spent, live, extra))
                sequence += 1
                started += 1
            if not running:
                break
            end, _, worker, begin, job, row, fid, seed_col, value, spent, live, extra = heappop(running)
            clock = end
            heappush(free, worker)
            score = sign * value
            tell(job, Result(job, score, spent, extra))
            if fid > incumbent_key[0] or (fid == incumbent_key[0] and score > incumbent_key[1]):
                incumbent_key = (fid, score)
                incumbent = (row, value, test_final[row])
            records.append((begin, end, worker, row, fid, seed_col, value, spent, live) + incumbent)
    finally:
        if collecting:
            gc.enable()

    from nasbench import __version__

    meta = TraceMeta(
        strategy=name, options=json.dumps(_options_of(instance, options), sort_keys=True, default=str),
        seed=int(seed), benchmark=bench.name, checksum=bench.checksum, search_metric=search, test_metric=test,
        test_optimum=bench.optimum(test)[1], higher_is_better=bench.metric_info(test).higher_is_better,
        max_evals=max_evals, max_time=max_time, workers=int(workers), cost=cost_name, version=__version__,
    )
    dtypes = {"worker": np.int64, "row": np.int64, "fidelity": np.int64, "seed": np.int64, "live": bool,
              "incumbent_row": np.int64}
    columns = {k: np.fromiter(v, dtype=dtypes.get(k, np.float64), count=len(records))
               for k, v in zip(_COLUMNS, zip(*records) if records else [()] * len(_COLUMNS))}
    columns["fidelity"] = bench.fidelities[columns["fidelity"]].astype(np.float64)
    columns["seed"] = seeds[columns["seed"]].astype(np.int64)
    return Trace(meta, columns, bench.table.archs)


def _cost(cost_values: np.ndarray, eval_values: np.ndarray | None, fidelity_index: dict[float, int], job: Job,
          row: int, seed_col: int, fid: int, bench_name: str, cost_name: str) -> float:
    """Tabulated cost of a job: time to its fidelity, less the time already trained when resuming,
    plus one validation pass where tabulated."""
    spent = float(cost_values[row, seed_col, fid])
    if job.resume_from is not None:
        resumed = fidelity_index.get(float(job.resume_from))
        if resumed is None or resumed > fid:
            raise NasbenchError(f"cannot resume from fidelity {job.resume_from} to {job.fidelity} on {bench_name}")
        spent -= float(cost_values[row, seed_col, resumed])
    if eval_values is not None:
        spent += float(eval_values[row, seed_col, fid])
    if spent != spent:
        raise MissingEntryError(f"benchmark {bench_name} lacks the cost {cost_name} of row {row}")
    return spent


def _fill_missing(bench: Benchmark, values: np.ndarray, metric: str, row: int, seed_col: int,
                  fid: int) -> tuple[int, float, bool]:
    """A NaN at the drawn seed: use another seed that has the value (chosen from the draw), else
    train it live where the benchmark allows, else raise naming the entry."""
    present = np.flatnonzero(~np.isnan(values[row, :, fid]))
    if present.size:
        column = int(present[seed_col % present.size])
        return column, float(values[row, column, fid]), False
    seed = int(bench.seeds[seed_col])
    value = bench.query(row, metric, fidelity=float(bench.fidelities[fid]), seed=seed)  # trains or raises
    return seed_col, value, True


def _options_of(instance: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    config = getattr(instance, "config", None)
    return dict(config()) if callable(config) else dict(options)
