"""Step-through replays of a search: record a run with its decisions, draw it as one HTML page.

:func:`record` runs a strategy through :class:`Recorder`, a wrapper around the strategy's ``ask`` and
``tell`` built only for a replay, so the run loop (``nasbench/simulate.py``) does no extra work in
ordinary runs. After each ``ask`` the recorder calls the strategy's optional ``describe_last()``
hook, which returns a small JSON-able dictionary of the decision just taken (a ``"marks"`` entry
maps labels to table rows the page highlights on the map); strategies without the hook show the
job only. :func:`nasbench.replay.page.render` turns the recorded steps into a self-contained page.

Example:
    >>> replay = record("rea", "nbgraph-cora", seed=0, max_evals=15)
    >>> len(replay.steps), sorted(replay.steps[-1]["marks"])
    (15, ['job', 'parent', 'population', 'tournament'])
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple

from nasbench.benchmark import Benchmark, load
from nasbench.errors import NasbenchError, shorten
from nasbench.protocol import Job, Result, SearchContext, StrategyProtocol, make_strategy
from nasbench.trace import Trace

__all__ = ["Recorder", "Replay", "from_trace", "record"]


class Replay(NamedTuple):
    """A trace and, for each of its rows, the decision that asked for that evaluation."""

    trace: Trace
    steps: list[dict[str, Any]]


class Recorder:
    """A strategy wrapped to note each decision; every other attribute is the strategy's own."""

    def __init__(self, strategy: StrategyProtocol) -> None:
        self._strategy = strategy
        self._describe = getattr(strategy, "describe_last", None)
        self._pending: dict[int, dict[str, Any]] = {}
        self._space: Any = None
        self.steps: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._strategy, name)

    def reset(self, space: Any, rng: Any, context: SearchContext) -> None:
        self._space = space
        self._strategy.reset(space, rng, context)

    def ask(self) -> Job | None:
        job = self._strategy.ask()
        if job is not None:
            decision = dict(self._describe() or {}) if callable(self._describe) else {}
            row = self._space.index(job.arch)
            decision["job"] = {"row": row, "fidelity": job.fidelity, "resume_from": job.resume_from}
            decision["marks"] = {**decision.get("marks", {}), "job": [row]}
            self._pending[id(job)] = _plain(decision)
        return job

    def tell(self, job: Job, result: Result) -> None:
        self.steps.append(self._pending.pop(id(job), {}))
        self._strategy.tell(job, result)


def _plain(value: Any) -> Any:
    """``value`` as JSON types (numpy numbers and tuples converted, non-finite floats as None)."""
    return json.loads(json.dumps(value, default=_default), parse_constant=lambda _: None)


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"a decision holds {shorten(value)}, which is not JSON")


def record(strategy: str | StrategyProtocol, benchmark: str | Benchmark, *, seed: int,
           max_evals: int | None = None, max_time: float | None = None, workers: int = 1,
           **options: Any) -> Replay:
    """Run ``strategy`` as :func:`nasbench.simulate.run` does, noting every decision for a replay."""
    from nasbench.simulate import run

    bench = benchmark if isinstance(benchmark, Benchmark) else load(benchmark)
    instance = make_strategy(strategy, **options) if isinstance(strategy, str) else strategy
    recorder = Recorder(instance)
    trace = run(recorder, bench, seed=seed, max_evals=max_evals, max_time=max_time, workers=workers)
    return Replay(trace, recorder.steps)


def from_trace(path: str) -> tuple[Replay, Benchmark]:
    """A replay of a saved trace (jobs only: a saved trace keeps no decisions) and its benchmark."""
    trace = Trace.load(path)
    bench = load(trace.meta.benchmark)
    if trace.meta.checksum and trace.meta.checksum != bench.checksum:
        raise NasbenchError(f"trace {shorten(path)} was recorded on another version of {bench.name} "
                            f"(checksum {trace.meta.checksum[:12]}, the table's is {bench.checksum[:12]})")
    rows = trace.columns["row"]
    if len(rows) == 0:
        raise NasbenchError(f"trace {shorten(path)} holds no evaluations to replay")
    if rows.min() < 0 or rows.max() >= bench.n_archs:
        raise NasbenchError(f"trace {shorten(path)} names rows outside {bench.name} (0..{bench.n_archs - 1})")
    fidelities = trace.columns["fidelity"].tolist()
    steps = [{"job": {"row": int(row), "fidelity": fidelity, "resume_from": None}}
             for row, fidelity in zip(rows.tolist(), fidelities)]
    return Replay(trace, steps), bench
