"""A plain objective function over a benchmark, for tools that call a function instead of ask/tell.

:class:`Objective` has HPOBench's ``objective_function(configuration, fidelity)`` shape: it returns
the validation value of the search metric (as stored; see ``higher_is_better``), the simulated cost
of that evaluation and an info dictionary, and advances a simulated clock the caller reads as
:attr:`Objective.clock`. Which table seed each call reads is drawn from the objective's own
generator (``seed``), as the run loop draws it, so the same seed and the same calls give the same
values. Test metrics are never returned. A configuration is anything ``Benchmark.query`` accepts: a
row number, an architecture string, a gene tuple, a ConfigSpace ``Configuration`` or a mapping of gene
names to labels; ``fidelity`` is a table fidelity, a mapping ``{unit: value}`` (HPOBench passes a
dictionary) or ``None`` for the final one. ``resume_from`` charges only the training since that fidelity.

Example:
    >>> objective = Objective("nbgraph-cora", seed=0)
    >>> answer = objective.objective_function("0,1,1,2|gcn,gin,fc,cheb")
    >>> round(answer.value, 4), answer.cost, objective.clock, answer.info["row"]
    (0.7913, 1.0, 1.0, 13909)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError, shorten
from nasbench.evaluate import TableEvaluator
from nasbench.protocol import Job
from nasbench.validate import check_seed

__all__ = ["Objective", "ObjectiveValue"]


class ObjectiveValue(NamedTuple):
    """One call's answer: the validation ``value``, its simulated ``cost`` and ``info``."""

    value: float
    cost: float
    info: dict[str, Any]


class Objective:
    """``benchmark`` as a function of a configuration and a fidelity, on a simulated clock."""

    def __init__(self, benchmark: str | Benchmark, *, seed: int = 0, search_metric: str | None = None,
                 cost: str | None = None) -> None:
        check_seed(seed)
        self.benchmark = benchmark if isinstance(benchmark, Benchmark) else load(benchmark)
        metric = search_metric or self.benchmark.search_metric
        if self.benchmark.metric_info(metric).split.value == "test":
            raise NasbenchError(f"{metric!r} is a test metric; an objective returns validation metrics only")
        self._evaluator = TableEvaluator(self.benchmark, search_metric=metric, cost=cost, asker="the objective")
        self.search_metric = metric
        self.higher_is_better = self.benchmark.metric_info(metric).higher_is_better
        self._rng = np.random.default_rng(np.random.SeedSequence(seed))
        self.clock = 0.0
        self.n_calls = 0

    def _fidelity(self, fidelity: Any) -> float | None:
        if fidelity is None or isinstance(fidelity, (int, float, np.integer, np.floating)) \
                and not isinstance(fidelity, bool):
            return None if fidelity is None else float(fidelity)
        if isinstance(fidelity, Mapping) and len(fidelity) == 1:
            (unit, value), = fidelity.items()
            if unit == self.benchmark.fidelity_unit:
                return self._fidelity(value)
        raise NasbenchError(f"fidelity must be a number of {self.benchmark.fidelity_unit}, a mapping "
                            f"{{{self.benchmark.fidelity_unit!r}: value}} or None, not {shorten(fidelity)}")

    def objective_function(self, configuration: Any, fidelity: Any = None, *,
                           resume_from: Any = None) -> ObjectiveValue:
        """Evaluate ``configuration`` at ``fidelity``; the clock advances by the cost."""
        bench = self.benchmark
        row = bench.row(configuration)
        job = Job(bench.space.arch_of_row(row), self._fidelity(fidelity), self._fidelity(resume_from))
        seed_column = int(self._rng.integers(len(bench.seeds))) if len(bench.seeds) > 1 else 0
        evaluation = self._evaluator.evaluate(job, seed_column)
        self.clock += evaluation.cost
        self.n_calls += 1
        info = {"row": row, "arch": str(bench.archs[row]), "fidelity": float(bench.fidelities[evaluation.fidelity]),
                "seed": int(bench.seeds[evaluation.seed]), "metric": self.search_metric, "clock": self.clock,
                "calls": self.n_calls, "trained_live": evaluation.live}
        return ObjectiveValue(evaluation.value, evaluation.cost, info)

    __call__ = objective_function
