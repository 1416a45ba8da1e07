"""``nasbench compare`` as a function: plan, run, report and, against a baseline, gate, one step each.

:func:`compare` takes a :class:`Comparison` (the command's flags, parsed) and runs the steps in
order: :func:`plan_comparison` (every name checked, nothing written), :func:`~nasbench.study.running.run_grid`
into ``OUT/study.jsonl`` (resumable), :func:`~nasbench.study.reporting.report` and, with a baseline,
:func:`~nasbench.study.regression.regress`.

Example:
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> compare(Comparison(benchmarks=("nbgraph-cora",), strategies=("rs",), seeds=2, max_evals=5, jobs=1,
    ...                    out=out, progress=False))  # doctest: +ELLIPSIS
    2 runs in ...
    0
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nasbench.errors import NasbenchError, Terminated, exit_code_of
from nasbench.study.planning import DEFAULT_SEEDS, RunSpec, StudySettings, plan
from nasbench.study.presets import DEFAULT_SECTIONS, PRESETS, Preset
from nasbench.study.regression import read_baseline, regress
from nasbench.study.reporting import report
from nasbench.study.running import check_executor, run_grid
from nasbench.study.studyfile import STUDY_NAME, StudyFile, study_lock

if TYPE_CHECKING:
    from nasbench.report.html import ReportSettings


@dataclass(frozen=True)
class Comparison:
    """What ``nasbench compare`` is asked: the grid (the baseline's, a named preset's with ``benchmarks``,
    ``seeds`` and a budget overriding its own, or named here, with the fields of
    :class:`~nasbench.study.planning.StudySettings`), where it runs, and how it is reported and gated.
    ``out`` defaults to ``reports/compare``, ``reports/PRESET`` or ``reports/regression``."""

    benchmarks: Sequence[str] | None = None
    strategies: Sequence[str] | None = None
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seeds: int | None = None
    max_evals: int | None = None
    max_time: float | None = None
    time_units: float | None = None
    workers: int = 1
    include_live: bool = False
    transfer_from: Sequence[str] = ()
    objectives: str | Sequence[str] | None = None
    penalty: str | Mapping[str, float] | None = None
    preset: str | None = None
    baseline: Path | None = None  # a study file or its directory: rerun its grid and gate on it
    out: Path | None = None
    executor: str = "local"
    jobs: int | None = None
    address: str | None = None
    progress: bool = True
    statistic: str = "median"
    alpha: float = 0.05
    formats: str | Sequence[str] = ("png",)  # the figures' formats, "png,pdf,svg" or a sequence
    command: str = ""  # the command line, for the report's header


@dataclass(frozen=True)
class Planned:
    """A planned comparison: its runs, its report directory and sections, and what it reruns or presets."""

    specs: list[RunSpec]
    out: Path
    sections: tuple[str, ...]
    baseline: StudyFile | None = None
    preset: Preset | None = None


def compare(request: Comparison) -> int:
    """Plan (every name checked first), run, report; with a baseline, gate: 0, or
    :data:`~nasbench.study.regression.EXIT_REGRESSION` on a regression, 130 (143) when interrupted (terminated)."""
    if not 0 < request.alpha < 1:
        raise NasbenchError(f"--alpha must lie strictly between 0 and 1, not {request.alpha}")
    from nasbench.report.latex import figure_formats  # no matplotlib: the check comes at once

    request = replace(request, formats=figure_formats(request.formats))  # checked before any run
    planned = plan_comparison(request)
    check_executor(request.executor, request.jobs, request.address)
    _check_out(planned.out)  # after every check, so that bad input leaves nothing on disk
    path = planned.out / STUDY_NAME
    if planned.baseline is not None and path.resolve() == planned.baseline.path.resolve():
        raise NasbenchError("--out must differ from the baseline's directory, or the rerun would only reread it")
    with study_lock(path):  # one process runs and reports a study at a time
        try:
            study = run_grid(planned.specs, path, executor=request.executor, jobs=request.jobs,
                             address=request.address, progress=request.progress)
        except KeyboardInterrupt as interrupt:
            return _interrupted(path, interrupt)
        frame = report(study, planned.specs, planned.out, _report_settings(request, planned))
        print(f"{len(study.summaries_of(planned.specs))} runs in {path}; report: {planned.out / 'index.html'} "
              f"and {planned.out / 'report.md'}")
        if planned.baseline is None:
            return 0
        return regress(planned.baseline, study, frame, planned.out, request.alpha)


def plan_comparison(request: Comparison) -> Planned:
    """The comparison's runs, checked before anything is written: the baseline's grid, a preset's, or
    the one the request names."""
    if request.baseline is not None:
        if _grid_given(request):
            raise NasbenchError("--baseline reruns the baseline's own grid; drop --preset, --benchmarks, "
                                "--strategies, --option, --seeds, --evals, --time, --time-units, --objectives "
                                "and --penalty")
        baseline = read_baseline(request.baseline)
        specs = baseline.specs()
        return Planned(specs, request.out or Path("reports/regression"), _sections(DEFAULT_SECTIONS, specs),
                       baseline=baseline)
    if request.preset is None:
        specs = plan(request.benchmarks, request.strategies, _settings(request, None))
        return Planned(specs, request.out or Path("reports/compare"), _sections(DEFAULT_SECTIONS, specs))
    preset = PRESETS.get(request.preset)
    if preset is None:
        raise NasbenchError(f"unknown preset {request.preset!r}; known presets: {', '.join(sorted(PRESETS))}")
    if request.strategies or request.options:
        raise NasbenchError(f"--preset {preset.name} fixes the strategies and their options; drop --strategies "
                            "and --option (or run without the preset)")
    specs = plan(request.benchmarks or preset.benchmarks, None, _settings(request, preset))
    return Planned(specs, request.out or Path(f"reports/{preset.name}"), _sections(preset.sections, specs),
                   preset=preset)


def _grid_given(request: Comparison) -> bool:
    """Whether the request names any part of a grid (which a baseline's rerun takes from the baseline)."""
    budget = (request.max_evals, request.max_time, request.time_units, request.seeds)
    return bool(request.benchmarks or request.strategies or request.options or request.preset
                or request.transfer_from or request.objectives or request.penalty
                or any(value is not None for value in budget))


def _settings(request: Comparison, preset: Preset | None) -> StudySettings:
    """The request's study settings; a preset gives its entries and seeds, its budget where the request
    gives none, and leave-one-task-out priors where the request names no prior tasks."""
    seeds, max_evals, time_units = DEFAULT_SEEDS, request.max_evals, request.time_units
    if preset is not None:
        seeds = preset.seeds
        if all(value is None for value in (request.max_evals, request.max_time, request.time_units)):
            max_evals, time_units = preset.max_evals, preset.time_units
    return StudySettings(
        seeds=seeds if request.seeds is None else request.seeds, max_evals=max_evals, max_time=request.max_time,
        time_units=time_units, workers=request.workers, options=request.options,
        entries=preset.entries if preset else None, include_live=request.include_live,
        transfer_from=request.transfer_from,
        leave_one_out=preset is not None and preset.leave_one_out and not request.transfer_from,
        objectives=request.objectives or (), penalty=request.penalty)


def _sections(sections: Sequence[str], specs: Sequence[RunSpec]) -> tuple[str, ...]:
    """The report's sections: the preset's (or the default ones), and the Pareto ones for runs with objectives."""
    if not any(spec.objectives for spec in specs):
        return tuple(sections)
    from nasbench.report.pareto import PARETO_SECTIONS

    return (*sections, *PARETO_SECTIONS)


def _report_settings(request: Comparison, planned: Planned) -> ReportSettings:
    from nasbench.report.html import ReportSettings

    preset = planned.preset
    return ReportSettings(sections=planned.sections, statistic=request.statistic, alpha=request.alpha,
                          command=request.command, time_budgets=preset.time_budgets if preset else (),
                          area=preset.area if preset else None, formats=request.formats)


def _interrupted(path: Path, interrupt: KeyboardInterrupt) -> int:
    """Say what an interrupt keeps (the finished runs, resumed by the same command); its exit status."""
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):  # exiting now: a further signal must not cut this short
            signal.signal(number, signal.SIG_IGN)
    done = len(StudyFile.read(path).summaries) if path.exists() else 0
    what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
    print(f"{what}: {done} finished runs are kept in {path}; rerun the same command to resume", file=sys.stderr)
    return exit_code_of(interrupt)


def _shown(path: Path, limit: int = 80) -> str:
    text = str(path)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _check_out(out: Path) -> None:
    """Before any run: the report directory must be a directory that exists or can be made."""
    if out.exists() and not out.is_dir():
        raise NasbenchError(f"--out {_shown(out)} is an existing file; the report needs a directory "
                            "(it writes study.jsonl, index.html, report.md and figures there)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NasbenchError(f"cannot create the report directory {_shown(out)}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK):
        raise NasbenchError(f"cannot write into the report directory {_shown(out)}: permission denied")
