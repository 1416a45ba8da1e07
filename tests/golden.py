"""Golden traces: the integer trace (row, fidelity index, seed) of every registered strategy.

One JSON file per table under ``tests/golden/``: for each strategy (multi-fidelity ones only on the
learning-curve table) and 1 and 4 workers, the evaluations of a short run in finishing order. The
refactors of the run loop must leave them identical; a change of a strategy's behaviour regenerates
them, with the reason in the commit.

Regenerate (about a minute)::

    PYTHONPATH=$PWD python tests/golden.py --write

Check without writing: ``python tests/golden.py`` (exit 1 on a difference), or
``python -m pytest tests/test_golden.py``.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nasbench.benchmark import Benchmark

GOLDEN = Path(__file__).resolve().parent / "golden"
TABLES = ("nbgraph-cora", "mlp-mnist1d")
MULTI_FIDELITY_TABLE = "mlp-mnist1d"
EVALS = 40
WORKERS = (1, 4)
SEED = 3
#: options that let a short run reach a strategy's model-based or generational phase
OPTIONS: dict[str, dict] = {"ga": {"population_size": 10}}
#: extra variants on the learning-curve table: (label, strategy, options); ``max_time`` is a budget
VARIANTS = (("hyperband+resume", "hyperband", {"resume": True}), ("asha+resume", "asha", {"resume": True}),
            ("asha+time", "asha", {"max_time": 15.0}), ("rea+time", "rea", {"max_time": 50.0}))
#: the prior tasks of the runs of strategies that transfer, per table
PRIORS = {"nbgraph-cora": ("nbgraph-citeseer", "nbgraph-pubmed"),
          "mlp-mnist1d": ("mlp-mnist1d-noisy", "mlp-mnist1d-shifted")}
#: strategies run once more with ``warm_start`` (the first jobs from the priors' portfolio)
WARM_STARTED = ("rea", "ls", "tpe", "gp-bo", "bananas")


def runs_for(table: str) -> list[tuple[str, str, dict]]:
    """(label, strategy, options) of every golden run on ``table``."""
    from nasbench.simulate import strategy_registry

    registry = strategy_registry()
    multi = table == MULTI_FIDELITY_TABLE
    priors = {"transfer_from": PRIORS[table]}
    runs = [(name, name, {**OPTIONS.get(name, {}), **(priors if getattr(cls, "transfers", False) else {})})
            for name, cls in sorted(registry.items())
            if not getattr(cls, "trains_live", False) and (multi or not getattr(cls, "multi_fidelity", False))]
    runs += [(f"{name}+warm", name, {"warm_start": 5, **priors}) for name in WARM_STARTED if name in registry]
    if multi:
        runs += [variant for variant in VARIANTS if variant[1] in registry]
    return runs


@cache
def _benchmark(table: str) -> Benchmark:
    import nasbench

    return nasbench.load(table)


def integer_trace(table: str, strategy: str, options: dict, workers: int) -> list[list[int]]:
    """``[row, fidelity index, seed]`` of every evaluation of one run, in finishing order."""
    from nasbench.simulate import run

    bench = _benchmark(table)
    options = dict(options)
    budget = {"max_time": options.pop("max_time")} if "max_time" in options else {"max_evals": EVALS}
    trace = run(strategy, bench, seed=SEED, workers=workers, **budget, **options)
    fidelity = np.searchsorted(bench.fidelities, trace.columns["fidelity"])
    return [[int(r), int(f), int(s)] for r, f, s in zip(trace.columns["row"], fidelity, trace.columns["seed"])]


def compute(table: str) -> dict[str, list[list[int]]]:
    """Every golden run on ``table``, keyed ``label|workers``."""
    return {f"{label}|{workers}": integer_trace(table, strategy, options, workers)
            for label, strategy, options in runs_for(table) for workers in WORKERS}


def path_of(table: str) -> Path:
    return GOLDEN / f"{table}.json"


def dump(traces: dict[str, list[list[int]]]) -> str:
    """One line per run, so that a diff names the runs that changed."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}"
             for key, value in sorted(traces.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str]) -> int:
    write = "--write" in argv
    status = 0
    for table in TABLES:
        traces = compute(table)
        if write:
            GOLDEN.mkdir(exist_ok=True)
            path_of(table).write_text(dump(traces))
            print(f"wrote {path_of(table)} ({len(traces)} runs)")
            continue
        stored = json.loads(path_of(table).read_text())
        changed = sorted(key for key in stored.keys() | traces.keys() if stored.get(key) != traces.get(key))
        print(f"{table}: {'identical' if not changed else 'changed: ' + ', '.join(changed)}")
        status |= bool(changed)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
