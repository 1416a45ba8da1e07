"""Comparison studies: a grid of benchmark x strategy x seed, run resumably into one study file.

A study is planned first (:func:`plan`: every name checked, strategies chosen per benchmark by their
capability flags) and only then run (:func:`run_grid`, or :func:`run_study` for the runs with their
traces), on a local process pool or as Ray tasks; :func:`report` writes its report and
:func:`regress` gates a rerun on its baseline. :func:`compare` is ``nasbench compare``: the four in order.

One module per step: :mod:`~nasbench.study.planning` (the grid), :mod:`~nasbench.study.running` and
:mod:`~nasbench.study.executors` (the runs), :mod:`~nasbench.study.studyfile` (the study file),
:mod:`~nasbench.study.reporting`, :mod:`~nasbench.study.regression`, :mod:`~nasbench.study.comparison`
(the command as a function), :mod:`~nasbench.study.cli` (its flags) and :mod:`~nasbench.study.presets`
(named studies, data only). The names below are importable from here, each loaded on first use, so
that the command line and the report's sections import a step without the others.

Example:
    >>> import os, tempfile
    >>> from nasbench.study import plan, run_grid, run_study
    >>> specs = plan(["nbgraph-cora"], ["rs", "rea"], seeds=2, max_evals=20)
    >>> path = os.path.join(tempfile.mkdtemp(), "study.jsonl")
    >>> runs = run_study(specs, path, jobs=1, progress=False)
    >>> sorted({run.spec.strategy for run in runs})
    ['rea', 'rs']
    >>> study = run_grid(specs, path, jobs=1, progress=False)  # nothing left to run
    >>> [int(s.steps["evaluation"][-1]) for s in study.summaries_of(specs)]
    [20, 20, 20, 20]
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# public name -> the module of this package that defines it (loaded on first attribute access, PEP 562)
_EXPORTS = {
    **dict.fromkeys(("DEFAULT_BENCHMARKS", "DEFAULT_EVALS", "DEFAULT_LEFT_OUT", "DEFAULT_SEEDS", "RunSpec",
                     "StudySettings", "default_benchmarks", "expand", "fits", "labels", "plan", "priors_for",
                     "time_unit"), "planning"),
    **dict.fromkeys(("check_executor", "execute", "record_of", "run_grid", "run_study", "validation_regret"),
                    "running"),
    **dict.fromkeys(("EXECUTORS", "deferred_interrupts", "import_ray"), "executors"),
    **dict.fromkeys(("STUDY_FORMAT", "STUDY_MAGIC", "STUDY_NAME", "RunSummary", "StudyCheck", "StudyFile", "StudyRun",
                     "record_to_run", "repair_study", "study_lock", "study_path", "summarise", "verify_study",
                     "version_differences"), "studyfile"),
    **dict.fromkeys(("report", "study_frame"), "reporting"),
    **dict.fromkeys(("EXIT_REGRESSION", "read_baseline", "regress"), "regression"),
    **dict.fromkeys(("Comparison", "compare", "plan_comparison"), "comparison"),
    **dict.fromkeys(("DEFAULT_SECTIONS", "PRESETS", "Entry", "Preset"), "presets"),
}

__all__ = [
    "Comparison", "DEFAULT_BENCHMARKS", "DEFAULT_EVALS", "DEFAULT_LEFT_OUT", "DEFAULT_SECTIONS", "DEFAULT_SEEDS",
    "EXECUTORS", "EXIT_REGRESSION", "Entry", "PRESETS", "Preset", "RunSpec", "RunSummary", "STUDY_FORMAT",
    "STUDY_MAGIC", "STUDY_NAME", "StudyCheck", "StudyFile", "StudyRun", "StudySettings", "check_executor", "compare",
    "default_benchmarks", "deferred_interrupts", "execute", "expand", "fits", "import_ray", "labels", "plan",
    "plan_comparison", "priors_for", "read_baseline", "record_of", "record_to_run", "regress", "repair_study",
    "report", "run_grid", "run_study", "study_frame", "study_lock", "study_path", "summarise", "time_unit",
    "validation_regret", "verify_study", "version_differences"
]

if TYPE_CHECKING:
    from nasbench.study.comparison import Comparison, compare, plan_comparison
    from nasbench.study.executors import EXECUTORS, deferred_interrupts, import_ray
    from nasbench.study.planning import (
        DEFAULT_BENCHMARKS,
        DEFAULT_EVALS,
        DEFAULT_LEFT_OUT,
        DEFAULT_SEEDS,
        RunSpec,
        StudySettings,
        default_benchmarks,
        expand,
        fits,
        labels,
        plan,
        priors_for,
        time_unit,
    )
    from nasbench.study.presets import DEFAULT_SECTIONS, PRESETS, Entry, Preset
    from nasbench.study.regression import EXIT_REGRESSION, read_baseline, regress
    from nasbench.study.reporting import report, study_frame
    from nasbench.study.running import check_executor, execute, record_of, run_grid, run_study, validation_regret
    from nasbench.study.studyfile import (
        STUDY_FORMAT,
        STUDY_MAGIC,
        STUDY_NAME,
        RunSummary,
        StudyCheck,
        StudyFile,
        StudyRun,
        record_to_run,
        repair_study,
        study_lock,
        study_path,
        summarise,
        verify_study,
        version_differences,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nasbench.study' has no attribute {name!r}")
    value = getattr(import_module(f"nasbench.study.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
