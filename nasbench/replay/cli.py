"""``nasbench replay``: write a step-through replay of a search as one HTML file.

    nasbench replay STRATEGY BENCH --seed S (--evals N | --time T) [--workers K] [--option K=V] --out replay.html
    nasbench replay --trace saved.csv --out replay.html
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nasbench.errors import NasbenchError, os_reason, shorten


def _cmd_replay(args: argparse.Namespace) -> int:
    from nasbench.benchmark import load
    from nasbench.cliargs import parse_option
    from nasbench.replay import from_trace, record
    from nasbench.replay.page import render

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise NasbenchError(f"--out names the replay page, an .html file, not {shorten(args.out)}")
    if args.trace:
        if args.strategy or args.benchmark or args.evals or args.time:
            raise NasbenchError("give either --trace FILE or STRATEGY BENCH with a budget, not both")
        replay, bench = from_trace(args.trace)
    else:
        if not (args.strategy and args.benchmark):
            raise NasbenchError("give STRATEGY and BENCH (or --trace FILE)")
        if args.seed is None or (args.evals is None and args.time is None):
            raise NasbenchError("a replay of a new run needs --seed and a budget (--evals N or --time T)")
        options: dict[str, Any] = dict(parse_option(text) for text in args.option)
        bench = load(args.benchmark)
        from nasbench.replay.layout import architecture_map

        architecture_map(bench)  # refuse a table without a map before running anything
        replay = record(args.strategy, bench, seed=args.seed, max_evals=args.evals, max_time=args.time,
                        workers=args.workers, **options)
    html = render(replay, bench)
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise NasbenchError(f"cannot write {shorten(args.out)}: {os_reason(exc)}") from None
    print(f"replay of {len(replay.steps)} evaluations in {out} ({len(html.encode()) / 1e6:.2f} MB)")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("replay", help="write a step-through replay of a search as one HTML file")
    p.add_argument("strategy", nargs="?")
    p.add_argument("benchmark", nargs="?")
    p.add_argument("--seed", type=int)
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--evals", type=int, help="budget in evaluations")
    budget.add_argument("--time", type=float, help="budget in simulated seconds")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a strategy option (JSON value)")
    p.add_argument("--trace", help="replay a trace saved by nasbench run --out (jobs only, no decisions)")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.set_defaults(func=_cmd_replay)
