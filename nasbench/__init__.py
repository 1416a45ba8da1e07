"""nasbench: a tabular neural-architecture-search simulator.

    >>> import nasbench
    >>> "nbgraph-cora" in nasbench.list_benchmarks()
    True
"""

from nasbench.benchmark import Benchmark, list_benchmarks, load
from nasbench.errors import NasbenchError

__version__ = "0.1.0"

__all__ = ["Benchmark", "NasbenchError", "list_benchmarks", "load", "__version__"]
