"""Reporting a study: the runs frame read from its study file, and the report directory written from it.

A report reads each run's summary (the incumbent's steps), not its trace, so that a study of
100,000 runs reports in seconds; only a multi-objective study, whose HV-regret curves need every
evaluation, reads its full records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nasbench.benchmark import load
from nasbench.errors import NasbenchError
from nasbench.study.planning import RunSpec, labels, time_unit
from nasbench.study.studyfile import StudyFile

if TYPE_CHECKING:
    import pandas as pd

    from nasbench.report.html import ReportSettings


def report(study: StudyFile, specs: Sequence[RunSpec], out: Path, settings: ReportSettings) -> pd.DataFrame:
    """Write the report of the runs of ``specs`` into ``out`` (figures, ``report.md``, ``index.html``):
    ``settings`` with each table's time unit, a multi-objective study's fronts and the library versions
    the study records; return the runs frame it was made from (the regression gate reads its finals)."""
    from nasbench.report.html import write_report

    frame = study_frame(study, specs)
    settings = replace(settings, time_unit=_time_units(specs), fronts=_fronts(specs),
                       libraries=study.header.get("libraries"))
    write_report(out, frame, [run.meta for run in study.summaries_of(specs)], settings)
    return frame


def study_frame(study: StudyFile, specs: Sequence[RunSpec] | None = None) -> pd.DataFrame:
    """The runs frame of the study's finished runs of ``specs`` (all of them for ``None``), under their
    labels: each run's incumbent steps, or every evaluation where the runs have objectives."""
    from nasbench.report.anytime import RunSteps, runs_frame, steps_frame

    if any(spec.objectives for spec in (study.specs() if specs is None else specs)):
        full = study.runs(specs)
        return runs_frame([run.trace for run in full], [run.valid_regret for run in full],
                          labels=labels([run.spec for run in full]))
    runs = study.summaries_of(specs)
    return steps_frame([RunSteps(run.spec.benchmark, label, run.spec.seed, run.steps["evaluation"],
                                 run.steps["time"], run.steps["regret"], run.steps["valid_regret"])
                        for run, label in zip(runs, labels([run.spec for run in runs]))])


def _time_units(specs: Sequence[RunSpec]) -> dict[str, float]:
    """Simulated seconds of one full training per benchmark (:func:`~nasbench.study.planning.time_unit`)."""
    units = {}
    for name in dict.fromkeys(spec.benchmark for spec in specs):
        with contextlib.suppress(NasbenchError):  # a table without a training cost has no time unit
            units[name] = time_unit(load(name))
    return units


def _fronts(specs: Sequence[RunSpec]) -> dict[str, Any]:
    """The fronts (``nasbench.pareto.FrontData``) of each benchmark that runs with objectives."""
    fronts = {}
    for spec in specs:
        if spec.objectives and spec.benchmark not in fronts:
            from nasbench.pareto import front_data

            fronts[spec.benchmark] = front_data(load(spec.benchmark), spec.objectives.split(","))
    return fronts
