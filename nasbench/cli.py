"""The ``nasbench`` command line.

Every error a user can cause is a :class:`~nasbench.errors.NasbenchError`: the command prints its
sentence on one line of stderr and exits with status 2, never a traceback.

    nasbench list
    nasbench info NAME [--json] [--configspace FILE.json]
    nasbench query NAME ARCH [--metric M] [--fidelity F] [--seed S] [--json]
    nasbench export NAME --out FILE.csv
    nasbench verify NAME|PATH|STUDY [--repair]
    nasbench strategies
    nasbench run STRATEGY BENCH --seed S (--evals N | --time SECONDS) [--workers K] [--out trace.csv]
    nasbench import / build / compare   (see their --help)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from nasbench.cliargs import add_objective_arguments, parse_option
from nasbench.errors import NasbenchError, Terminated, exit_code_of, os_reason, raise_terminated, shorten

if TYPE_CHECKING:
    import pandas as pd

    from nasbench.benchmark import Benchmark

EXIT_ERROR = 2
# subcommands contributed by other parts of the package (each module has add_parser(subparsers));
# imported lazily so optional extras (torch, ray) are needed only by the commands that use them
PLUGINS = ("nasbench.importers.cli", "nasbench.train.cli", "nasbench.study.cli", "nasbench.replay.cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors: one line, non-zero exit
        raise NasbenchError(f"{self.prog}: {message}")


def one_line(text: str, limit: int = 400) -> str:
    """``text`` as one printable line of at most about ``limit`` characters (control characters escaped).

    A safety net under every message the command prints: argparse echoes arguments verbatim.

    Example:
        >>> one_line("unrecognized arguments: a\\nb")
        'unrecognized arguments: a\\\\nb'
        >>> len(one_line("x" * 10_000))
        400
    """
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) <= limit:
        return text
    suffix = f" ... ({len(text)} characters)"
    return text[:limit - len(suffix)] + suffix


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _cmd_list(args: argparse.Namespace) -> int:
    from nasbench.benchmark import list_benchmarks, resolve

    for name in list_benchmarks():
        print(f"{name}\t{resolve(name)}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from nasbench.benchmark import load

    benchmark = load(args.name)
    if args.configspace:
        _write_configspace(benchmark, args.configspace)
        return 0
    info = benchmark.info()
    info["arch_form"] = benchmark.space.string_form
    info["example_arch"] = str(benchmark.table.archs[0])
    info["completeness"] = completeness(benchmark)
    if args.json:
        from nasbench.zero_cost import correlations

        info["zero_cost_correlations"] = [c._asdict() for c in correlations(benchmark)]
        _print_json(info)
        return 0
    print(f"{info['name']}: {info['n_archs']} architectures of space {info['space']}, "
          f"{len(info['seeds'])} seed(s), {len(info['fidelities'])} "
          f"fidelit{'y' if len(info['fidelities']) == 1 else 'ies'} "
          f"({info['fidelity_unit']})")
    print(f"source: {info['source']} ({info['licence']}, {info['version']})")
    print(f"search metric: {info['search_metric']}; test metric: {info['test_metric']}; "
          f"cost: {info['cost_metric'] or info['cost_model']}")
    for metric, m in info["metrics"].items():
        print(f"  {metric:<20} split={m['split']:<6} unit={m['unit']:<10} "
              f"{'higher' if m['higher_is_better'] else 'lower'} is better")
    print(f"architecture strings: {info['arch_form']}; row 0 is {info['example_arch']}")
    done = info["completeness"]
    print(f"complete: {done['rows_complete']} of {done['rows']} rows ({done['rows_partial']} partial), "
          f"{done['entries_present']} of {done['entries']} entries (arch x seed x fidelity) hold {done['metric']}")
    _print_proxy_correlations(benchmark)
    print(f"checksum: {info['checksum']}")
    return 0


def _print_proxy_correlations(benchmark: Benchmark) -> None:
    from nasbench.zero_cost import correlations

    found = correlations(benchmark)
    if found:
        print(f"zero-cost proxies vs final {benchmark.search_metric} (seed means; rows where both are numbers):")
        for c in found:
            print(f"  {c.proxy:<20} Spearman {c.spearman:+.3f}  Kendall tau {c.kendall:+.3f}  {c.rows:>5} rows  "
                  f"{c.cpu_ms:.1f} CPU ms per network")


def _write_configspace(benchmark: Benchmark, path: str) -> None:
    configspace = benchmark.space.to_configspace()
    try:
        configspace.to_json(path, indent=1)
    except OSError as exc:
        raise NasbenchError(f"cannot write {shorten(path)}: {os_reason(exc)}") from None
    print(f"{benchmark.name}: the {benchmark.space.name} space as ConfigSpace JSON in {path}")


def completeness(benchmark: Benchmark) -> dict[str, Any]:
    """How much of the table holds the search metric: rows with every (seed, fidelity) entry, rows with
    some but not all, and entries present of the total.

    Example:
        >>> from nasbench.benchmark import load
        >>> done = completeness(load("mlp-mnist1d"))
        >>> done["rows_complete"] == done["rows"] == 720, done["entries"]
        (True, 21600)
    """
    import numpy as np

    metric = benchmark.search_metric
    present = ~np.isnan(benchmark.table.metric(metric))
    per_row = present.reshape(len(present), -1).sum(axis=1)
    entries_per_row = present[0].size if len(present) else 0
    return {"metric": metric, "rows": int(len(present)),
            "rows_complete": int(np.sum(per_row == entries_per_row)),
            "rows_partial": int(np.sum((per_row > 0) & (per_row < entries_per_row))),
            "entries_present": int(per_row.sum()), "entries": int(present.size)}


def _cmd_query(args: argparse.Namespace) -> int:
    from nasbench.benchmark import load

    b = load(args.name)
    arch: Any = int(args.arch) if args.arch.isascii() and args.arch.isdigit() else args.arch
    row = b.row(arch)
    metrics = [args.metric] if args.metric else list(b.metrics)
    values = {m: b.query(row, m, fidelity=args.fidelity, seed=args.seed) for m in metrics}
    if args.json:
        _print_json({"benchmark": b.name, "row": row, "arch": str(b.table.archs[row]), "fidelity": args.fidelity,
                     "seed": args.seed, "values": values})
        return 0
    print(f"{b.table.archs[row]} (row {row})")
    for m, v in values.items():
        print(f"  {m:<20} {v:.6g} {b.metrics[m].unit}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from nasbench.benchmark import load

    frame = load(args.name).to_frame()
    write_csv(frame, args.out)
    print(f"wrote {len(frame)} rows to {args.out}")
    return 0


def write_csv(frame: pd.DataFrame, out: str) -> None:
    """Write ``frame`` to ``out`` through a temporary file renamed into place, so a failed or interrupted
    write leaves any earlier file whole; a path that cannot be written raises saying why."""
    path = Path(out)
    try:
        if not out or path.is_dir():
            raise NasbenchError(f"cannot write {shorten(out)}: it is a directory, not a file name")
        if not path.parent.is_dir():
            raise NasbenchError(f"cannot write {shorten(out)}: "
                                f"the directory {shorten(str(path.parent))} does not exist")
    except (OSError, ValueError) as exc:
        raise NasbenchError(f"cannot write {shorten(out)}: {os_reason(exc)}") from None
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_csv(partial, index=False)
        os.replace(partial, path)
    except (OSError, ValueError) as exc:
        raise NasbenchError(f"cannot write {shorten(out)}: {os_reason(exc)}") from None
    finally:
        partial.unlink(missing_ok=True)


def _cmd_verify(args: argparse.Namespace) -> int:
    from nasbench.benchmark import resolve
    from nasbench.study.studyfile import STUDY_NAME
    from nasbench.table import verify_file

    given = Path(args.name)
    if given.suffix == ".jsonl" or (given / STUDY_NAME).is_file():
        return _verify_study(given / STUDY_NAME if given.is_dir() else given, repair=args.repair)
    if args.repair:
        raise NasbenchError(f"--repair mends study files (a .jsonl file or a directory holding {STUDY_NAME}); "
                            f"{shorten(args.name)} is not one")
    path = resolve(args.name)
    table = verify_file(path)
    print(f"{path}: OK ({table.name}, checksum {table.checksum})")
    return 0


def _verify_study(path: Path, *, repair: bool) -> int:
    """Report a study file's damage (a NasbenchError, exit 2), or with ``repair`` move it aside."""
    from nasbench.study.studyfile import repair_study, verify_study

    if repair:
        check, aside = repair_study(path)
        if aside is not None:
            print(f"{path}: repaired: {check.aside} lines moved aside into {aside} ({check.describe()}); "
                  f"{check.runs} intact runs kept; rerun the same command to complete the study")
            return 0
    else:
        check = verify_study(path)
    if check.damaged:
        raise NasbenchError(f"study file {path} is damaged ({check.describe()}), and holds {check.runs} intact runs; "
                            f"nasbench verify {path} --repair moves the damaged lines aside and keeps the intact runs")
    found = check.describe()
    print(f"{path}: OK ({check.runs} runs{'; ' + found + ', ignored on reading' if found else ''})")
    return 0


def _cmd_strategies(args: argparse.Namespace) -> int:
    from nasbench.simulate import strategy_registry

    for name, cls in sorted(strategy_registry().items()):
        flags = [flag for flag in ("multi_fidelity", "multi_objective", "trains_live") if getattr(cls, flag, False)]
        print(f"{name:<12} {getattr(cls, 'summary', '')}{'  [' + ', '.join(flags) + ']' if flags else ''}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from nasbench.simulate import run

    options = dict(parse_option(text) for text in args.option)
    # the objectives and penalties go to nasbench.run as given: it checks them (nasbench.validate), once
    penalty = ",".join(args.penalty) if args.penalty else None
    trace = run(args.strategy, args.benchmark, seed=args.seed, max_evals=args.evals, max_time=args.time,
                workers=args.workers, transfer_from=args.transfer_from, objectives=args.objectives, penalty=penalty,
                **options)
    if args.out:
        trace.save(args.out)
    # the summary reads the trace's columns directly: a frame would import pandas (~0.4 s of start-up)
    from nasbench.trace import regret

    columns, meta = trace.columns, trace.meta
    test = float(columns["incumbent_test"][-1])
    print(f"{len(columns['end'])} evaluations, simulated time {float(columns['end'][-1]):.6g}; incumbent "
          f"{int(columns['incumbent_row'][-1])} valid {float(columns['incumbent_valid'][-1]):.6g} test {test:.6g} "
          f"regret {regret(test, meta.test_optimum, meta.higher_is_better):.6g}"
          + (f"; HV regret {float(columns['hv_regret'][-1]):.6g} (test side "
             f"{float(columns['hv_regret_test'][-1]):.6g})" if "hv_regret" in columns else "")
          + (f"; trace in {args.out}" if args.out else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nasbench", description="Tabular NAS benchmarks, a simulated clock and search strategies.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_table_commands(sub)
    _add_run_command(sub)
    for module in PLUGINS:
        try:
            plugin = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and not exc.name.startswith("nasbench."):
                continue  # an optional extra (torch, ray) is not installed: its commands are absent
            if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
                continue  # that part of the package is not there yet
            raise
        plugin.add_parser(sub)
    return parser


def _add_table_commands(sub: argparse._SubParsersAction) -> None:
    """The commands that read benchmarks: list, info, query, export, verify, and strategies."""
    p = sub.add_parser("list", help="list the benchmarks found by name")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="describe a benchmark")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.add_argument("--configspace", metavar="FILE.json", help="write the space as ConfigSpace JSON instead")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("query", help="look up an architecture")
    p.add_argument("name")
    p.add_argument("arch", help="architecture string or row number")
    p.add_argument("--metric")
    p.add_argument("--fidelity", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_query)

    p = sub.add_parser("export", help="write a benchmark as CSV (one row per arch x seed x fidelity)")
    p.add_argument("name")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("verify", help="check a table's checksums, or a study file's lines")
    p.add_argument("name", help="a benchmark name or table path, or a study (its directory or its .jsonl file)")
    p.add_argument("--repair", action="store_true",
                   help="a study only: move damaged lines aside into study.damaged-<time>.jsonl beside it, keep "
                        "every intact run; the study then resumes")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("strategies", help="list the registered strategies")
    p.set_defaults(func=_cmd_strategies)


def _add_run_command(sub: argparse._SubParsersAction) -> None:
    """``nasbench run``: one strategy, one benchmark, one seed and a budget."""
    p = sub.add_parser("run", help="run one strategy on one benchmark on the simulated clock")
    p.add_argument("strategy")
    p.add_argument("benchmark")
    p.add_argument("--seed", type=int, required=True)
    budget = p.add_mutually_exclusive_group(required=True)
    budget.add_argument("--evals", type=int, help="budget in evaluations (at most 1,000,000; held in memory)")
    budget.add_argument("--time", type=float, help="budget in simulated seconds (cost units)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a strategy option (JSON value)")
    p.add_argument("--out", help="write the trace as CSV")
    p.add_argument("--transfer-from", nargs="+", default=[], metavar="NAME",
                   help="prior tasks whose validation results a transfer strategy sees (e.g. nbgraph-citeseer)")
    add_objective_arguments(p)
    p.set_defaults(func=_cmd_run)


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)  # SIGTERM stops as Ctrl-C does, keeping finished work
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except NasbenchError as exc:
        print(f"nasbench: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as interrupt:
        print(f"nasbench: {'terminated' if isinstance(interrupt, Terminated) else 'interrupted'}", file=sys.stderr)
        return exit_code_of(interrupt)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
