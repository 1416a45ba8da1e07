"""The regression gate: a baseline study's grid rerun on the current code, and a strategy that got worse named.

A strategy regresses on a benchmark when its final test regret (test-side HV regret in a
multi-objective study) in the rerun is significantly larger than in the baseline: one-sided
Mann-Whitney U per benchmark x strategy, Holm-corrected (:func:`nasbench.report.stats.regression`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nasbench.benchmark import load
from nasbench.errors import NasbenchError
from nasbench.simulate import strategy_registry
from nasbench.study.planning import RunSpec
from nasbench.study.reporting import study_frame
from nasbench.study.studyfile import StudyFile, study_path, version_differences

if TYPE_CHECKING:
    import pandas as pd

#: the exit status of ``nasbench compare --baseline`` when a strategy got worse
EXIT_REGRESSION = 1


def read_baseline(path: Path) -> StudyFile:
    """The baseline study at ``path`` (a study file or its directory), before any run: it must hold
    finished runs, its strategies be registered and its tables unchanged, since a regression test
    compares code on the same data."""
    baseline = StudyFile.read(study_path(path))
    if not baseline.summaries:
        raise NasbenchError(f"baseline study {baseline.path} holds no finished runs")
    _check_baseline(baseline.specs())
    return baseline


def _check_baseline(specs: Sequence[RunSpec]) -> None:
    registry = strategy_registry()
    missing = sorted({spec.strategy for spec in specs} - set(registry))
    if missing:
        raise NasbenchError(f"the baseline ran {', '.join(missing)}, which is no longer registered; known "
                            f"strategies: {', '.join(sorted(registry))}")
    for name, checksum in sorted({(spec.benchmark, spec.checksum) for spec in specs}):
        installed = load(name).checksum
        if installed != checksum:
            raise NasbenchError(f"the baseline ran {name} with table checksum {checksum[:12]}…, but the installed "
                                f"table has {installed[:12]}…")


def regress(baseline: StudyFile, rerun: StudyFile, frame: pd.DataFrame, out: Path, alpha: float) -> int:
    """Compare the rerun (its runs ``frame``) with the baseline at level ``alpha``: write
    ``out/regression.md``, print the verdict, and return :data:`EXIT_REGRESSION` when a strategy got
    significantly worse, else 0."""
    from nasbench.report.anytime import final
    from nasbench.report.html import markdown_table
    from nasbench.report.stats import regression

    if any(spec.objectives for spec in baseline.specs()):
        metric, quantity = "hv_regret_test", "test-side HV regret"
    else:
        metric, quantity = "regret", "test regret"
    table = regression(final(study_frame(baseline)), final(frame), alpha=alpha, metric=metric)
    differences = version_differences(baseline.header, rerun.header.get("libraries"))
    if differences:
        print(f"warning: the baseline was made with other library versions: {'; '.join(differences)}; a "
              "regression may come from them rather than from the code", file=sys.stderr)
    (out / "regression.md").write_text(
        f"One-sided Mann-Whitney U per benchmark x strategy (final {quantity} of the rerun larger than the "
        f"baseline's), Holm-corrected over {len(table)} tests, alpha {alpha}.\n\n" + markdown_table(table) + "\n")
    worse = table[table["worse"]]
    if worse.empty:
        print(f"no regression against {baseline.path}: no strategy is significantly worse "
              f"(one-sided Mann-Whitney U, Holm, alpha {alpha})")
        return 0
    for row in worse.itertuples():
        print(f"regression: {row.strategy} on {row.benchmark}: mean final {quantity} {row.current_mean:.4g} vs "
              f"{row.baseline_mean:.4g} in the baseline (Holm-adjusted p = {row.p_holm:.3g})", file=sys.stderr)
    return EXIT_REGRESSION
