"""The ``nasbench import KIND PATH --out DIR`` subcommand.

Kinds: ``nats-tss`` and ``nats-sss`` (a NATS-Bench fast-mode directory or single-file archive),
``nb201`` (a NAS-Bench-201 ``.pth``), ``nb101`` (a NAS-Bench-101 ``.tfrecord``), ``hwnas`` (the
HW-NAS-Bench pickle, joined onto the nb201/NATS-tss tables already in ``--out`` or those named with
``--onto``). Every table is written atomically once its whole source has been read, so an interrupted
import leaves no table behind.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="nasbench")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["import", "nb101", "nasbench_only108.tfrecord", "--out", "data"])
    >>> args.kind, args.out
    ('nb101', 'data')
"""

from __future__ import annotations

import argparse
from pathlib import Path

KINDS = ("nats-tss", "nats-sss", "nb201", "nb101", "hwnas")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``import`` subcommand; its ``func(args) -> int`` runs the conversion."""
    parser = subparsers.add_parser(
        "import", help="convert a published benchmark's files into nasbench tables",
        description="Convert a published NAS benchmark into nasbench tables (no TensorFlow, no torch, "
                    "pickles read with a restricted unpickler).")
    parser.add_argument("kind", choices=KINDS, help="which benchmark PATH holds")
    parser.add_argument("path", help="the downloaded file or directory")
    parser.add_argument("--out", required=True, help="directory the tables are written to")
    parser.add_argument("--onto", nargs="+", default=None,
                        help="hwnas only: the tables to join onto (default: the nb201-space tables in --out)")
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.set_defaults(func=handler)
    return parser


def handler(args: argparse.Namespace) -> int:
    """Run one import and print the tables written; errors propagate as NasbenchError for the CLI."""
    progress = not args.no_progress
    out = Path(args.out)
    if args.onto and args.kind != "hwnas":
        from nasbench.errors import NasbenchError

        raise NasbenchError("--onto applies to hwnas imports only")
    if args.kind in ("nats-tss", "nats-sss"):
        from nasbench.importers import nats

        paths = nats.convert(args.kind, args.path, out, progress=progress)
    elif args.kind == "nb201":
        from nasbench.importers import nb201

        paths = nb201.convert(args.path, out, progress=progress)
    elif args.kind == "nb101":
        from nasbench.importers import nb101

        paths = [nb101.convert(args.path, out, progress=progress)]
    else:
        from nasbench.importers import hwnas

        paths = hwnas.join(args.path, args.onto if args.onto else hwnas.targets(out), out)
    for path in paths:
        print(path)
    return 0
