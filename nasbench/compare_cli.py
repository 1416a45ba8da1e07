"""``nasbench compare``: run a study grid resumably, write its report, optionally gate on a baseline.

    nasbench compare [--preset NAME] [--benchmarks ...] [--strategies ...] [--seeds N]
                     [--evals N | --time S | --time-units U] [--workers K] [--jobs J]
                     [--executor local|ray] [--address ADDR] [--out reports/NAME]
                     [--statistic median|mean] [--baseline STUDY]

``--preset`` runs a named study of :mod:`nasbench.presets` (its grid and its report sections);
``--benchmarks``, ``--seeds`` and a budget flag override the preset's.

The study file is ``OUT/study.jsonl``; rerunning the same command skips the finished runs. With
``--baseline`` the baseline's grid (benchmarks, strategies and options, seeds, budget) is rerun and
the command exits 1 when a strategy's final test regret is significantly worse than in the baseline
(one-sided Mann-Whitney U per benchmark x strategy, Holm-corrected, alpha 0.05).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from nasbench.errors import NasbenchError, Terminated, exit_code_of

if TYPE_CHECKING:
    import pandas as pd

    from nasbench.planning import RunSpec
    from nasbench.presets import Preset
    from nasbench.studyfile import RunSummary, StudyFile

STUDY_NAME = "study.jsonl"
EXIT_REGRESSION = 1


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``compare`` subcommand (``func`` = :func:`handler`)."""
    from nasbench.executors import EXECUTORS
    from nasbench.planning import DEFAULT_BENCHMARKS, DEFAULT_EVALS, DEFAULT_LEFT_OUT, DEFAULT_SEEDS
    from nasbench.presets import PRESETS

    parser = subparsers.add_parser(
        "compare", help="run a benchmark x strategy x seed study and write a report",
        description="Run a benchmark x strategy x seed study resumably into OUT/study.jsonl and write "
                    "OUT/index.html and OUT/report.md; with --baseline, fail when a strategy got worse.")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a named study: "
                        + "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values()))
    parser.add_argument("--benchmarks", nargs="+", metavar="NAME",
                        help=f"benchmarks (default: every shipped table, {' '.join(DEFAULT_BENCHMARKS)}, those "
                             "installed; the default study takes ~45 s on 2 idle cores, report included)")
    parser.add_argument("--strategies", nargs="+", metavar="NAME",
                        help="strategies (default: every registered one that fits each benchmark, but "
                             + "; ".join(f"{name}: {why}" for name, why in DEFAULT_LEFT_OUT.items()) + ")")
    parser.add_argument("--option", action="append", default=[], metavar="STRATEGY.KEY=JSON",
                        help="a strategy option, e.g. rea.population_size=20 (repeatable)")
    parser.add_argument("--seeds", type=int, help=f"seeds 0..N-1 (default {DEFAULT_SEEDS})")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--evals", type=int, help=f"evaluations per run (default {DEFAULT_EVALS})")
    budget.add_argument("--time", type=float, help="simulated seconds per run")
    budget.add_argument("--time-units", type=float, metavar="U",
                        help="simulated time per run in units of each table's median cost of one full training")
    parser.add_argument("--workers", type=int, default=1, help="simulated asynchronous workers per run (default 1)")
    parser.add_argument("--jobs", type=int, help="processes (local) or CPUs of a local Ray (default: all cores)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local", help="local process pool or Ray tasks")
    parser.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    parser.add_argument("--include-live", action="store_true", help="also run strategies that train live")
    parser.add_argument("--transfer-from", nargs="+", default=[], metavar="NAME",
                        help="prior tasks whose validation results transfer strategies see (nasbench.transfer)")
    parser.add_argument("--out", type=Path, help="report directory (default reports/compare, "
                                                 "or reports/regression with --baseline)")
    parser.add_argument("--statistic", choices=("median", "mean"), default="median",
                        help="curve aggregation: median with quartiles, or mean with standard error")
    parser.add_argument("--baseline", type=Path, metavar="STUDY",
                        help="a baseline study file (or its directory): rerun its grid and fail on regressions")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    from nasbench.cliargs import add_objective_arguments

    add_objective_arguments(parser)
    parser.set_defaults(func=handler)
    return parser


def _options(items: list[str]) -> dict[str, dict]:
    options: dict[str, dict] = {}
    for item in items:
        name, equals, value = item.partition("=")
        strategy, dot, key = name.partition(".")
        if not (equals and dot and strategy and key):
            raise NasbenchError(f"--option {item!r} must read STRATEGY.KEY=VALUE, e.g. rea.population_size=20")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value  # a bare word is a string option
        options.setdefault(strategy, {})[key] = parsed
    return options


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


def _study_path(path: Path) -> Path:
    return path / STUDY_NAME if path.is_dir() else path


def handler(args: argparse.Namespace) -> int:
    """Plan (all names checked first), run, report; 1 on a regression, 130 when interrupted."""
    from nasbench.cliargs import objective_arguments
    from nasbench.planning import DEFAULT_SEEDS, plan
    from nasbench.presets import DEFAULT_SECTIONS, PRESETS
    from nasbench.study import StudyFile, check_executor, study_lock

    if not 0 < args.alpha < 1:
        raise NasbenchError(f"--alpha must lie strictly between 0 and 1, not {args.alpha}")
    baseline = None
    preset = PRESETS[args.preset] if args.preset else None
    sections = preset.sections if preset else DEFAULT_SECTIONS
    objectives, penalty = objective_arguments(args)
    if objectives:
        from nasbench.report.pareto import PARETO_SECTIONS

        sections = (*sections, *PARETO_SECTIONS)
    if args.baseline is not None:
        if args.benchmarks or args.strategies or args.option or args.evals or args.time or args.time_units \
                or args.seeds is not None or preset or args.transfer_from or args.objectives or args.penalty:
            raise NasbenchError("--baseline reruns the baseline's own grid; drop --preset, --benchmarks, "
                                "--strategies, --option, --seeds, --evals, --time, --time-units, --objectives "
                                "and --penalty")
        baseline = StudyFile.read(_study_path(args.baseline))
        if not baseline.summaries:
            raise NasbenchError(f"baseline study {baseline.path} holds no finished runs")
        specs = baseline.specs()
        _check_baseline(specs)
        if any(spec.objectives for spec in specs):
            from nasbench.report.pareto import PARETO_SECTIONS

            sections = (*sections, *PARETO_SECTIONS)
        out = args.out or Path("reports/regression")
    elif preset is not None:
        if args.strategies or args.option:
            raise NasbenchError(f"--preset {preset.name} fixes the strategies and their options; drop --strategies "
                                "and --option (or run without the preset)")
        budget_given = args.evals is not None or args.time is not None or args.time_units is not None
        out = args.out or Path(f"reports/{preset.name}")
        specs = plan(args.benchmarks or preset.benchmarks, entries=preset.entries,
                     seeds=preset.seeds if args.seeds is None else args.seeds,
                     max_evals=args.evals if budget_given else preset.max_evals, max_time=args.time,
                     time_units=args.time_units if budget_given else preset.time_units,
                     workers=args.workers, include_live=args.include_live, transfer_from=args.transfer_from,
                     leave_one_out=preset.leave_one_out and not args.transfer_from, objectives=objectives,
                     penalty=penalty)
    else:
        out = args.out or Path("reports/compare")
        specs = plan(args.benchmarks, args.strategies, seeds=DEFAULT_SEEDS if args.seeds is None else args.seeds,
                     max_evals=args.evals, max_time=args.time, time_units=args.time_units, workers=args.workers,
                     options=_options(args.option), include_live=args.include_live, transfer_from=args.transfer_from,
                     objectives=objectives, penalty=penalty)
    check_executor(args.executor, args.jobs, args.address)
    _check_out(out)  # after every check, so that bad input leaves nothing on disk
    study_path = out / STUDY_NAME
    if baseline is not None and study_path.resolve() == baseline.path.resolve():
        raise NasbenchError("--out must differ from the baseline's directory, or the rerun would only reread it")
    with study_lock(study_path):  # one process runs and reports a study at a time
        return _run_and_report(args, specs, out, baseline, preset, sections)


def _run_and_report(args: argparse.Namespace, specs: list[RunSpec], out: Path, baseline: StudyFile | None,
                    preset: Preset | None, sections: tuple[str, ...]) -> int:
    """Run the planned grid into ``out`` (the study held by this process), then write its report and gate."""
    from nasbench.planning import time_unit
    from nasbench.study import StudyFile, run_grid

    study_path = out / STUDY_NAME
    try:
        study = run_grid(specs, study_path, executor=args.executor, jobs=args.jobs, address=args.address,
                         progress=not args.no_progress)
    except KeyboardInterrupt as interrupt:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):  # exiting now: a further signal must not cut this short
                signal.signal(number, signal.SIG_IGN)
        done = len(StudyFile.read(study_path).summaries) if study_path.exists() else 0
        what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
        print(f"{what}: {done} finished runs are kept in {study_path}; rerun the same command to resume",
              file=sys.stderr)
        return exit_code_of(interrupt)

    from nasbench.benchmark import load
    from nasbench.report.anytime import final
    from nasbench.report.html import markdown_table, write_report

    runs = study.summaries_of(specs)
    # summaries keep each run's incumbent steps; the HV-regret curves of a multi-objective study need
    # every evaluation, so those studies read their full records
    multi_objective = any(spec.objectives for spec in specs)
    frame = _full_frame(study, specs) if multi_objective else _frame(runs)
    command = "nasbench " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "nasbench compare"
    units = {}
    for name in dict.fromkeys(spec.benchmark for spec in specs):
        with contextlib.suppress(NasbenchError):  # a table without a training cost has no time unit
            units[name] = time_unit(load(name))
    fronts = {}
    for spec in specs:
        if spec.objectives and spec.benchmark not in fronts:
            from nasbench.pareto import front_data

            fronts[spec.benchmark] = front_data(load(spec.benchmark), spec.objectives.split(","))
    write_report(out, frame, [run.meta for run in runs], statistic=args.statistic, command=command,
                 alpha=args.alpha, sections=sections, time_unit=units, libraries=study.header.get("libraries"),
                 fronts=fronts,
                 time_budgets=preset.time_budgets if preset else (), area=preset.area if preset else None)
    print(f"{len(runs)} runs in {study_path}; report: {out / 'index.html'} and {out / 'report.md'}")
    if baseline is None:
        return 0

    from nasbench.report.stats import regression
    from nasbench.studyfile import version_differences

    if multi_objective:
        metric, quantity = "hv_regret_test", "test-side HV regret"
        old_frame = _full_frame(baseline, None)
    else:
        metric, quantity = "regret", "test regret"
        old_frame = _frame(baseline.summaries_of())
    table = regression(final(old_frame), final(frame), alpha=args.alpha, metric=metric)
    differences = version_differences(baseline.header, study.header.get("libraries"))
    if differences:
        print(f"warning: the baseline was made with other library versions: {'; '.join(differences)}; a "
              "regression may come from them rather than from the code", file=sys.stderr)
    (out / "regression.md").write_text(
        f"One-sided Mann-Whitney U per benchmark x strategy (final {quantity} of the rerun larger than the "
        f"baseline's), Holm-corrected over {len(table)} tests, alpha {args.alpha}.\n\n" + markdown_table(table) + "\n")
    worse = table[table["worse"]]
    if worse.empty:
        print(f"no regression against {baseline.path}: no strategy is significantly worse "
              f"(one-sided Mann-Whitney U, Holm, alpha {args.alpha})")
        return 0
    for row in worse.itertuples():
        print(f"regression: {row.strategy} on {row.benchmark}: mean final {quantity} {row.current_mean:.4g} vs "
              f"{row.baseline_mean:.4g} in the baseline (Holm-adjusted p = {row.p_holm:.3g})", file=sys.stderr)
    return EXIT_REGRESSION


def _full_frame(study: StudyFile, specs: list[RunSpec] | None) -> pd.DataFrame:
    """The report's runs frame from the study's full records (every evaluation, HV-regret columns)."""
    from nasbench.planning import labels
    from nasbench.report.anytime import runs_frame

    full = study.runs(specs)
    return runs_frame([run.trace for run in full], [run.valid_regret for run in full],
                      labels=labels([run.spec for run in full]))


def _frame(runs: list[RunSummary]) -> pd.DataFrame:
    """The report's runs frame of study summaries: each run's incumbent steps, under its label."""
    from nasbench.planning import labels
    from nasbench.report.anytime import RunSteps, steps_frame

    return steps_frame([RunSteps(run.spec.benchmark, label, run.spec.seed, run.steps["evaluation"],
                                 run.steps["time"], run.steps["regret"], run.steps["valid_regret"])
                        for run, label in zip(runs, labels([run.spec for run in runs]))])


def _check_baseline(specs: list) -> None:
    """Before any run: the baseline's strategies must be registered and its tables unchanged, since a
    regression test compares code on the same data."""
    from nasbench.benchmark import load
    from nasbench.simulate import strategy_registry

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
