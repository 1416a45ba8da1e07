"""The ``nasbench build`` subcommand: train a learning-curve table.

Example:
    nasbench build mlp --dataset mnist1d --seeds 0,1,2 --epochs 20 --out data/mlp-mnist1d.h5
"""

from __future__ import annotations

import argparse
import shlex

from nasbench.errors import NasbenchError
from nasbench.train.schedule import Schedule


def _seeds(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds takes comma-separated integers, not {text!r}") from None


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``build`` to the main CLI's subparsers; its ``func(args) -> int`` runs the build."""
    parser = subparsers.add_parser("build", help="train a learning-curve table (resumable)",
                                   description=__doc__.split("\n\n")[0].replace("``", ""))
    parser.add_argument("space", help="search space to train: mlp or nb201 (one row per isomorphism class)")
    parser.add_argument("--dataset", default="mnist1d", help="dataset: mnist1d, mnist1d-noisy or mnist1d-shifted")
    parser.add_argument("--seeds", type=_seeds, default=[0], help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--epochs", type=int, required=True, help="length of the one training schedule")
    parser.add_argument("--archs", default=None, help="file of architecture strings, one per line (default: all)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--out", required=True, help="table file to create or extend")
    parser.add_argument("--workers", type=int, default=None, help="training processes (default: one per core)")
    parser.add_argument("--chunk", type=int, default=16, help="entries trained between two appends")
    parser.add_argument("--channels", type=int, default=None, help="nb201: channels of the first stage")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="nb201: initial SGD learning rate (default 0.1, NAS-Bench-201's; the MLP takes its own)")
    parser.add_argument("--precise-bn", action="store_true",
                        help="recompute batch-norm statistics over the training examples before each evaluation")
    parser.add_argument("--clock", choices=("wall", "process"), default=None,
                        help="what train_time measures: wall seconds (default) or CPU seconds of the training process")
    parser.add_argument("--cpu-kernels", choices=("portable", "avx2", "native"), default=None,
                        help="CPU kernels torch trains with: portable (default; the same bits on every x86-64 CPU, "
                             "the shipped tables'), avx2 (the earlier pin) or the CPU's own")
    parser.add_argument("--train-examples", type=int, default=None,
                        help="train on the first N examples of the training split (default: all)")
    parser.add_argument("--limit", type=int, default=None, help="stop after this many entries")
    parser.set_defaults(func=handler)
    return parser


def _command(args: argparse.Namespace) -> str:
    """The build command as a user would type it (recorded in the table's attrs)."""
    words = ["nasbench", "build", args.space, "--dataset", args.dataset, "--seeds", ",".join(map(str, args.seeds)),
             "--epochs", str(args.epochs)]
    for flag, value in (("--archs", args.archs), ("--device", args.device), ("--channels", args.channels),
                        ("--batch-size", args.batch_size),
                        ("--learning-rate", args.learning_rate), ("--train-examples", args.train_examples),
                        ("--clock", args.clock), ("--cpu-kernels", args.cpu_kernels),
                        ("--out", args.out)):
        if value is not None:
            words += [flag, str(value)]
    if args.precise_bn:
        words.append("--precise-bn")
    return shlex.join(words)


def schedule_of(args: argparse.Namespace) -> Schedule:
    """The schedule a parsed ``nasbench build`` command trains with (defaults where a flag is absent)."""
    given = {"channels": args.channels, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
             "train_examples": args.train_examples, "precise_bn": args.precise_bn or None, "clock": args.clock,
             "cpu_kernels": args.cpu_kernels}
    return Schedule(epochs=args.epochs, **{key: value for key, value in given.items() if value is not None})


def handler(args: argparse.Namespace) -> int:
    """Run ``nasbench build``; bad input raises :class:`NasbenchError` for the main CLI to print."""
    import importlib.util

    from nasbench.train import numerics

    if importlib.util.find_spec("torch") is None:
        raise NasbenchError(f"nasbench build trains with PyTorch, which is not installed; install the pinned CPU "
                            f"build: {numerics.INSTALL_HINT}")
    if args.epochs < 1:
        raise NasbenchError(f"--epochs must be at least 1, not {args.epochs}")
    schedule = schedule_of(args)
    numerics.pin(schedule.cpu_kernels)  # this process trains with one worker: pin before torch
    from nasbench.train.builder import BuildRequest, build

    summary = build(BuildRequest(args.space, dataset=args.dataset, seeds=args.seeds, epochs=args.epochs, out=args.out,
                                 archs_file=args.archs, device=args.device, workers=args.workers, chunk=args.chunk,
                                 schedule=schedule, limit=args.limit, command=_command(args)))
    print(f"{summary.path}: trained {summary.trained} entries in {summary.wall_seconds:.0f} s; "
          f"{summary.remaining} of those asked still missing; the table lacks {summary.table_missing} entries")
    return 0
