"""Final-regret studies of our strategies and of Optuna's TPE (the peer) on our tables, resumable.

Usage (from the repository root, ``PYTHONPATH=$PWD``)::

    python tests/peer_study.py run OUT.jsonl LABEL STRATEGY TABLE --evals 300 --seeds 0:30 [--option k=v ...]
    python tests/peer_study.py table OUT.jsonl [OUT2.jsonl ...] --reference LABEL@EVALS

``STRATEGY`` is a registry name or ``optuna`` (:class:`peer_optuna.OptunaPeer`). Each finished run
appends one JSON line (label, table, seed, final validation and test regret of the validation-chosen
incumbent, seconds), and runs already in ``OUT.jsonl`` are skipped, so an interrupted study resumes.
``table`` prints mean ± s.e. per label and table, with the one-sided Mann-Whitney p-value of "this
label's validation regret is larger than the reference's" (and the same for test regret).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def run_study(args: argparse.Namespace) -> None:
    from peer_optuna import OptunaPeer

    import nasbench
    from nasbench.simulate import run

    out = Path(args.out)
    done = {(r["label"], r["table"], r["evals"], r["seed"]) for r in map(json.loads, out.read_text().splitlines())} \
        if out.exists() else set()
    options = dict(option.split("=", 1) for option in args.option)
    typed = {key: json.loads(value) if value[:1].isdigit() or value in ("true", "false") else value
             for key, value in options.items()}
    bench = nasbench.load(args.table)
    best = {split: bench.optimum(metric)[1] for split, metric in (("valid", bench.search_metric),
                                                                  ("test", bench.test_metric))}
    low, high = map(int, args.seeds.split(":"))
    for seed in range(low, high):
        if (args.label, args.table, args.evals, seed) in done:
            continue
        began = time.perf_counter()
        strategy = OptunaPeer() if args.strategy == "optuna" else args.strategy
        frame = run(strategy, bench, seed=seed, max_evals=args.evals, **typed).to_frame()
        row = {"label": args.label, "table": args.table, "seed": seed, "evals": args.evals,
               "valid_regret": best["valid"] - float(frame["incumbent_valid"].iloc[-1]),
               "test_regret": best["test"] - float(frame["incumbent_test"].iloc[-1]),
               "seconds": time.perf_counter() - began}
        with out.open("a") as handle:
            handle.write(json.dumps(row) + "\n")


def print_table(args: argparse.Namespace) -> None:
    from scipy.stats import mannwhitneyu

    rows = {}
    for path in args.files:
        for line in Path(path).read_text().splitlines():
            row = json.loads(line)
            rows[(f'{row["label"]}@{row["evals"]}', row["table"], row["seed"])] = row
    labels = sorted({label for label, _, _ in rows})
    for table in sorted({table for _, table, _ in rows}):
        def values(label: str, key: str, table: str = table) -> np.ndarray:
            return np.array([r[key] for (lab, tab, _), r in sorted(rows.items()) if lab == label and tab == table])

        for label in labels:
            cells = []
            for key in ("valid_regret", "test_regret"):
                ours, reference = values(label, key), values(args.reference, key)
                if not len(ours):
                    continue
                p = mannwhitneyu(ours, reference, alternative="greater").pvalue if label != args.reference else np.nan
                cells.append(f"{key} {ours.mean():.4f} ± {ours.std(ddof=1) / np.sqrt(len(ours)):.4f} (p {p:.2g})")
            if cells:
                print(f"{table} {label} n={len(values(label, 'valid_regret'))}: " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True)
    study = commands.add_parser("run")
    study.add_argument("out")
    study.add_argument("label")
    study.add_argument("strategy")
    study.add_argument("table")
    study.add_argument("--evals", type=int, default=300)
    study.add_argument("--seeds", default="0:30")
    study.add_argument("--option", action="append", default=[])
    study.set_defaults(func=run_study)
    table = commands.add_parser("table")
    table.add_argument("files", nargs="+")
    table.add_argument("--reference", required=True, help="LABEL@EVALS, e.g. optuna@300")
    table.set_defaults(func=print_table)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
