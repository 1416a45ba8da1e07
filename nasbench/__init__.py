"""nasbench: a tabular neural-architecture-search simulator.

The public API is importable from the package itself; each name is loaded on first use, so
``import nasbench`` stays cheap (no pandas, scipy, matplotlib or torch until something needs them).

    >>> import nasbench
    >>> "nbgraph-cora" in nasbench.list_benchmarks()
    True
    >>> trace = nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=5)
    >>> len(trace.to_frame())
    5
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nasbench.version import __version__

# public name -> module that defines it (loaded on first attribute access, PEP 562)
_EXPORTS = {
    "Benchmark": "nasbench.benchmark",
    "list_benchmarks": "nasbench.benchmark",
    "load": "nasbench.loading",
    "NasbenchError": "nasbench.errors",
    "Job": "nasbench.simulate",
    "Result": "nasbench.simulate",
    "SearchContext": "nasbench.simulate",
    "Trace": "nasbench.simulate",
    "make_strategy": "nasbench.simulate",
    "run": "nasbench.simulate",
    "strategy_registry": "nasbench.simulate",
}

__all__ = [
    "Benchmark", "Job", "NasbenchError", "Result", "SearchContext", "Trace", "__version__", "list_benchmarks", "load",
    "make_strategy", "run", "strategy_registry",
]

if TYPE_CHECKING:
    from nasbench.benchmark import Benchmark, list_benchmarks
    from nasbench.errors import NasbenchError
    from nasbench.loading import load
    from nasbench.simulate import Job, Result, SearchContext, Trace, make_strategy, run, strategy_registry


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nasbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
