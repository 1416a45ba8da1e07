"""One call per job: what an evaluation is worth and what it costs, read from the table.

:class:`TableEvaluator` answers a :class:`~nasbench.protocol.Job` at a seed the run loop drew with
an :class:`Evaluation`: the search metric, the simulated cost, the declared objectives and whether
the entry was trained live for it.

* **Value**: the search metric at the job's fidelity for the drawn seed. Where that seed lacks it,
  another seed that has it is used (chosen from the draw); where no seed has it, the benchmark's miss
  handler trains it live (``nasbench.load(..., on_miss="train")``) or a ``MissingEntryError`` names it.
* **Cost**: the table's cost metric (cumulative training time to the fidelity) at the same seed, less
  the time to ``job.resume_from`` when resuming, plus the ``eval_cost_metric`` validation pass where
  tabulated; one unit per evaluation for ``cost="unit"`` (the default where the table has no cost);
  a job's own ``cost`` (a self-training strategy's search epoch) where it carries one.
* **Objectives**: the raw table value of each declared objective at the same entry.
* **Penalty** (optional): ``penalty={"latency": 0.1}`` searches accuracy − λ·cost, the cost metric
  scaled to [0, 1] over every entry of the table; :attr:`TableEvaluator.penalties` holds λ·cost per entry.

After a live fill the benchmark holds a new version of its table; the evaluator reads its arrays
again, so later entries (the cost of the trained one included) come from the new version.

Example:
    >>> import nasbench
    >>> from nasbench.protocol import Job
    >>> bench = nasbench.load("nbgraph-cora")
    >>> evaluator = TableEvaluator(bench, objectives=("latency",))
    >>> result = evaluator.evaluate(Job(bench.space.arch_of_row(7)), 0)
    >>> result.row, result.cost, result.live
    (7, 1.0, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from nasbench.benchmark import Benchmark
from nasbench.errors import MissingEntryError, NasbenchError
from nasbench.protocol import Job
from nasbench.validate import penalty_weights

__all__ = ["Evaluation", "TableEvaluator"]


class Evaluation(NamedTuple):
    """One evaluated job: the table entry read (row, fidelity index, seed column), the search
    metric's raw ``value``, its ``cost``, the raw ``objectives`` and whether it was trained ``live``."""

    row: int
    fidelity: int
    seed: int
    value: float
    cost: float
    objectives: tuple[float, ...]
    live: bool


_new = tuple.__new__  # builds a NamedTuple without its keyword-handling constructor (a third of the cost)


class TableEvaluator:
    """Evaluates jobs against a benchmark's table (see the module docstring).

    ``search_metric`` defaults to the benchmark's; ``cost`` to the table's cost metric (``"unit"``
    where it has none). Every name is checked here, before any evaluation. ``asker`` names who asks
    in error messages (the run loop passes the strategy); ``own_costs`` lets jobs carry their cost.
    """

    def __init__(self, benchmark: Benchmark, *, search_metric: str | None = None, cost: str | None = None,
                 objectives: Sequence[str] = (), asker: str = "a job",
                 penalty: str | Mapping[str, float] | None = None, own_costs: bool = False) -> None:
        self.benchmark = benchmark
        self.asker = asker
        self.own_costs = own_costs
        self.search_metric = search_metric or benchmark.search_metric
        self.cost_name = cost or benchmark.cost_metric or "unit"
        self.objectives = tuple(objectives)
        # the validation pass is charged with the table's own cost only
        self.eval_cost_name = benchmark.eval_cost_metric if cost is None else ""
        for metric in (self.search_metric, *self.objectives):
            benchmark.metric_info(metric)
        if self.cost_name != "unit":
            benchmark.metric_info(self.cost_name)
        self.penalty = _check_penalty(benchmark, penalty)
        self._read()

    def _read(self) -> None:
        """(Re-)read the arrays of the benchmark's current table version."""
        bench = self.benchmark
        self._revision = bench.revision
        self._values = bench.metric_values(self.search_metric)
        self._costs = None if self.cost_name == "unit" else bench.metric_values(self.cost_name)
        self._eval_costs = bench.metric_values(self.eval_cost_name) if self.eval_cost_name else None
        self._objectives = [bench.metric_values(name) for name in self.objectives]
        self.penalties = _penalties(bench, self.penalty) if self.penalty else None
        self._test: list[float] | None = None
        self._fidelity_index = {float(f): i for i, f in enumerate(bench.fidelities)}
        self._last_fidelity = len(bench.fidelities) - 1
        self._index = bench.space.index

    def fidelity_of(self, job: Job) -> int:
        """Index of the job's fidelity in the table (``None``: the last)."""
        if job.fidelity is None:
            return self._last_fidelity
        fid = self._fidelity_index.get(float(job.fidelity))
        if fid is None:
            raise NasbenchError(f"{self.asker} asked for fidelity {job.fidelity}, which {self.benchmark.name} lacks")
        return fid

    def evaluate(self, job: Job, seed: int) -> Evaluation:
        """The evaluation of ``job`` at seed column ``seed`` (drawn by the caller)."""
        row = self._index(job.arch)
        fid = self._last_fidelity if job.fidelity is None else self.fidelity_of(job)
        value = float(self._values[row, seed, fid])
        live = False
        if value != value:
            seed, value, live = self._fill(row, seed, fid)
        if job.cost is not None:  # a self-training strategy's own (simulated) training time
            if not self.own_costs:
                raise NasbenchError(f"{self.asker} set a job's cost, which only strategies that train live may")
            spent = float(job.cost)
        elif self._costs is None:
            spent = 1.0
        else:
            spent = self._cost(job, row, seed, fid)
        objectives = tuple([float(values[row, seed, fid]) for values in self._objectives]) if self._objectives else ()
        return _new(Evaluation, (row, fid, seed, value, spent, objectives, live))

    def test_value(self, row: int, metric: str) -> float:
        """Seed-mean of the test ``metric`` at the final fidelity of ``row`` (for the incumbent's record)."""
        if self._test is None:
            self._test = self.benchmark.final(metric).tolist()
        return self._test[row]

    def _cost(self, job: Job, row: int, seed: int, fid: int) -> float:
        costs = self._costs
        assert costs is not None
        spent = float(costs[row, seed, fid])
        if job.resume_from is not None:
            resumed = self._fidelity_index.get(float(job.resume_from))
            if resumed is None or resumed > fid:
                raise NasbenchError(f"cannot resume from fidelity {job.resume_from} to {job.fidelity} on "
                                    f"{self.benchmark.name}")
            spent -= float(costs[row, seed, resumed])
        if self._eval_costs is not None:
            spent += float(self._eval_costs[row, seed, fid])
        if spent != spent:
            raise MissingEntryError(f"benchmark {self.benchmark.name} lacks the cost {self.cost_name} of row {row}")
        return spent

    def _fill(self, row: int, seed: int, fid: int) -> tuple[int, float, bool]:
        """A NaN at the drawn seed: use another seed that has the value (chosen from the draw), else
        train it live where the benchmark allows, else raise naming the entry."""
        present = np.flatnonzero(~np.isnan(self._values[row, :, fid]))
        if present.size:
            column = int(present[seed % present.size])
            return column, float(self._values[row, column, fid]), False
        bench = self.benchmark
        value = bench.query(row, self.search_metric, fidelity=float(bench.fidelities[fid]),
                            seed=int(bench.seeds[seed]))  # trains or raises
        if bench.revision != self._revision:
            self._read()  # the table was replaced by one holding the trained entry
        return seed, value, True


def _check_penalty(bench: Benchmark, penalty: Any) -> dict[str, float]:
    """The penalty's weights by metric (:func:`nasbench.validate.penalty_weights`), each on a non-test
    metric of the table that varies."""
    checked = penalty_weights(penalty)
    for metric in checked:
        if bench.metric_info(metric).split.value == "test":
            raise NasbenchError(f"penalty metric {metric!r} is a test metric; strategies never see test metrics")
        values = bench.metric_values(metric)
        if np.all(np.isnan(values)) or np.nanmin(values) == np.nanmax(values):
            raise NasbenchError(f"penalty metric {metric!r} is missing or constant on {bench.name}")
    return checked


def _penalties(bench: Benchmark, penalty: Mapping[str, float]) -> np.ndarray:
    """λ·cost per entry, shape of the table's metrics, each cost scaled to [0, 1] over the table; a
    cost that is lower-is-better is penalised as it grows, a higher-is-better one as it falls."""
    total = np.zeros(bench.metric_values(next(iter(penalty))).shape)
    for metric, weight in penalty.items():
        values = bench.metric_values(metric)
        low, high = np.nanmin(values), np.nanmax(values)
        scaled = (values - low) / (high - low)
        total += weight * (scaled if not bench.metric_info(metric).higher_is_better else 1.0 - scaled)
    return total
