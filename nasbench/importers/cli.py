"""The ``nasbench import KIND PATH --out DIR`` subcommand; the kinds come from the importer registry
(:mod:`nasbench.importers.registry`). Every table is written atomically once its whole source has been
read, so an interrupted import leaves no table behind.

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

from nasbench.errors import NasbenchError, os_reason, shorten
from nasbench.importers.registry import ImportOptions, get_importer, importer_registry


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``import`` subcommand; its ``func(args) -> int`` runs the conversion."""
    registry = importer_registry()
    kinds = "\n".join(f"  {name:<10} {importer.help}" for name, importer in registry.items())
    joining = ", ".join(name for name, importer in registry.items() if importer.joins) or "none"
    parser = subparsers.add_parser(
        "import", help="convert a published benchmark's files into nasbench tables",
        description="Convert a published NAS benchmark into nasbench tables (no TensorFlow, no torch, "
                    "pickles read with a restricted unpickler).",
        epilog=f"kinds:\n{kinds}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=list(registry), help="which benchmark PATH holds")
    parser.add_argument("path", help="the downloaded file or directory")
    parser.add_argument("--out", required=True, help="directory the tables are written to")
    parser.add_argument("--onto", nargs="+", default=None,
                        help=f"importers that join ({joining}): the tables to join onto "
                             "(default: the matching tables in --out)")
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.set_defaults(func=handler)
    return parser


def handler(args: argparse.Namespace) -> int:
    """Run one import and print the tables written; errors propagate as NasbenchError for the CLI."""
    importer = get_importer(args.kind)
    if args.onto and not importer.joins:
        joining = [name for name, other in importer_registry().items() if other.joins]
        raise NasbenchError(f"--onto applies to {', '.join(joining)} imports only, not to {args.kind}")
    options = ImportOptions(progress=not args.no_progress,
                            onto=tuple(Path(p) for p in args.onto) if args.onto else None)
    path = Path(args.path)
    try:
        path.exists()  # raises for a name the operating system refuses (too long, say)
        written = importer.convert(path, Path(args.out), options)
    except OSError as exc:  # a file that cannot be read or written, whichever importer met it
        raise NasbenchError(f"cannot import {shorten(args.path)} into {shorten(args.out)}: {os_reason(exc)}") from None
    for table in written:
        print(table)
    return 0
