"""``nasbench compare``: run a study grid resumably, write its report, optionally gate on a baseline.

    nasbench compare [--preset NAME] [--benchmarks ...] [--strategies ...] [--seeds N]
                     [--evals N | --time S | --time-units U] [--workers K] [--jobs J]
                     [--executor local|ray] [--address ADDR] [--out reports/NAME]
                     [--statistic median|mean] [--format png,pdf,svg] [--baseline STUDY]

``--preset`` runs a named study of :mod:`nasbench.study.presets` (its grid and its report sections);
``--benchmarks``, ``--seeds`` and a budget flag override the preset's.

The study file is ``OUT/study.jsonl``; rerunning the same command skips the finished runs. With
``--baseline`` the baseline's grid (benchmarks, strategies and options, seeds, budget) is rerun and
the command exits 1 when a strategy's final test regret is significantly worse than in the baseline
(one-sided Mann-Whitney U per benchmark x strategy, Holm-corrected, alpha 0.05).

The handler parses the flags into a :class:`~nasbench.study.comparison.Comparison` and calls
:func:`~nasbench.study.comparison.compare`, which plans, runs, reports and gates.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from nasbench.errors import NasbenchError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``compare`` subcommand (``func`` = :func:`handler`)."""
    from nasbench.cliargs import add_objective_arguments
    from nasbench.study.executors import EXECUTORS
    from nasbench.study.planning import DEFAULT_BENCHMARKS, DEFAULT_EVALS, DEFAULT_LEFT_OUT, DEFAULT_SEEDS
    from nasbench.study.presets import PRESETS

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
    parser.add_argument("--format", default="png", metavar="png,pdf,svg",
                        help="figure formats, comma-separated (default png; PDF and SVG keep their text as text); "
                             "OUT/report.tex holds the final-regret table as LaTeX either way")
    parser.add_argument("--baseline", type=Path, metavar="STUDY",
                        help="a baseline study file (or its directory): rerun its grid and fail on regressions")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_objective_arguments(parser)
    parser.set_defaults(func=handler)
    return parser


def handler(args: argparse.Namespace) -> int:
    """Parse the flags into a comparison and run it: 1 on a regression, 130 when interrupted."""
    from nasbench.study.comparison import Comparison, compare

    return compare(Comparison(
        benchmarks=args.benchmarks, strategies=args.strategies, options=_options(args.option), seeds=args.seeds,
        max_evals=args.evals, max_time=args.time, time_units=args.time_units, workers=args.workers,
        include_live=args.include_live, transfer_from=tuple(args.transfer_from), objectives=args.objectives,
        penalty=",".join(args.penalty) if args.penalty else None,  # repeated --penalty flags are one penalty
        preset=args.preset, baseline=args.baseline, out=args.out, executor=args.executor, jobs=args.jobs,
        address=args.address, progress=not args.no_progress, statistic=args.statistic, alpha=args.alpha,
        formats=args.format,
        command="nasbench " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "nasbench compare"))


def _options(items: list[str]) -> dict[str, dict]:
    """``--option STRATEGY.KEY=VALUE`` items by strategy, each value read as JSON, else kept as the text."""
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
