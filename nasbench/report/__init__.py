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

from nasbench.report.anytime import aggregate, anytime, final, runs_frame
from nasbench.report.ranks import average_rank
from nasbench.report.stats import critical_difference, final_table, regression

__all__ = ["aggregate", "anytime", "average_rank", "critical_difference", "final", "final_table", "regression",
           "runs_frame"]
