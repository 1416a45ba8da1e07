"""Reports: pure functions from traces to frames, tables and figures.

``anytime`` (traces -> runs frame -> curves on a grid -> aggregates), ``ranks`` (average rank over
time), ``stats`` (final-regret tests, Friedman + Nemenyi, the regression gate), ``faithfulness``
(validation regret against random search), ``figures`` (one Axes each) and ``html`` (the report
directory). Nothing here imports a strategy: reports read traces.

Example:
    >>> import nasbench.simulate as simulate
    >>> from nasbench.report import anytime, final, runs_frame
    >>> runs = runs_frame([simulate.run("rs", "nbgraph-cora", seed=s, max_evals=10) for s in range(2)])
    >>> len(final(runs))
    2
"""

from importlib import import_module
from typing import Any

# re-exported lazily (PEP 562): the CLI imports nasbench.study.cli at start-up, and scipy.stats alone
# would add about two seconds to every `nasbench` command
_EXPORTS = {"aggregate": "anytime", "anytime": "anytime", "final": "anytime", "runs_frame": "anytime",
            "average_rank": "ranks", "critical_difference": "stats", "final_table": "stats", "regression": "stats"}

#: the report of ``nasbench compare`` without a preset (names in :data:`nasbench.report.sections.SECTIONS`)
DEFAULT_SECTIONS = ("anytime-time", "anytime-evaluations", "ranks", "final", "aggregate", "faithfulness",
                    "critical-difference", "ecdf", "performance-profile")

__all__ = sorted([*_EXPORTS, "DEFAULT_SECTIONS"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nasbench.report' has no attribute {name!r}")
    value = getattr(import_module(f"nasbench.report.{module}"), name)
    globals()[name] = value  # after the import, which binds the submodule of the same name here
    return value
