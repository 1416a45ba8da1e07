"""Final-regret studies of our strategies and of Optuna's TPE (the peer) on our tables, resumable.

Usage (from the repository root, ``PYTHONPATH=$PWD``)::

    python tests/peer_study.py run OUT.jsonl LABEL STRATEGY TABLE --evals 300 --seeds 0:30 [--option k=v ...]
    python tests/peer_study.py run OUT.jsonl LABEL STRATEGY TABLE --units 30 100 --seeds 0:30
    python tests/peer_study.py table OUT.jsonl [OUT2.jsonl ...] --reference LABEL@EVALS

``STRATEGY`` is a registry name or ``optuna`` (:class:`peer_optuna.OptunaPeer`). Each finished run
appends one JSON line (label, table, seed, final validation and test regret of the validation-chosen
incumbent, seconds; with ``--units`` one line per budget, at equal simulated time: the run goes to the
largest budget in units of the table's median cost of one full training and each line holds the
incumbent among the evaluations finished by its budget, ``evals`` reading ``"30u"``), and runs
already in ``OUT.jsonl`` are skipped, so an interrupted study resumes. ``table`` prints mean ± s.e.
and median per label and table, with the one-sided Mann-Whitney p-value of "this label's validation
regret is larger than the reference's" (and the same for test regret).
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
    from nasbench.study import time_unit, validation_regret

    out = Path(args.out)
    done = {(r["label"], r["table"], r["evals"], r["seed"]) for r in map(json.loads, out.read_text().splitlines())} \
        if out.exists() else set()
    last_budget = f"{max(args.units):g}u" if args.units else args.evals
    options = dict(option.split("=", 1) for option in args.option)
    typed = {key: json.loads(value) if value[:1].isdigit() or value in ("true", "false") else value
             for key, value in options.items()}
    bench = nasbench.load(args.table)
    best = {split: bench.optimum(metric)[1] for split, metric in (("valid", bench.search_metric),
                                                                  ("test", bench.test_metric))}
    low, high = map(int, args.seeds.split(":"))
    for seed in range(low, high):
        if (args.label, args.table, last_budget, seed) in done:
            continue
        began = time.perf_counter()
        strategy = OptunaPeer() if args.strategy == "optuna" else args.strategy
        budget = {"max_time": max(args.units) * time_unit(bench)} if args.units else {"max_evals": args.evals}
        trace = run(strategy, bench, seed=seed, **budget, **typed)
        frame = trace.to_frame()
        # at equal time the report's validation regret (final epoch of the incumbent), else the searched value's
        frame["valid_regret"] = validation_regret(trace, bench) if args.units else \
            best["valid"] - frame["incumbent_valid"]
        frame["regret"] = frame["regret"] if args.units else best["test"] - frame["incumbent_test"]
        cuts = [(f"{u:g}u", int(np.searchsorted(frame["end"], u * time_unit(bench), side="right")))
                for u in args.units] or [(args.evals, len(frame))]
        seconds = time.perf_counter() - began
        with out.open("a") as handle:
            for evals, finished in cuts:
                last = frame.iloc[finished - 1]  # the incumbent among the evaluations finished by the budget
                row = {"label": args.label, "table": args.table, "seed": seed, "evals": evals,
                       "valid_regret": float(last["valid_regret"]), "test_regret": float(last["regret"]),
                       "seconds": seconds}
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
                # a reference without "@" is read at the label's own budget
                against = args.reference if "@" in args.reference else f"{args.reference}@{label.split('@')[1]}"
                ours, reference = values(label, key), values(against, key)
                if not len(ours):
                    continue
                p = mannwhitneyu(ours, reference, alternative="greater").pvalue if label != against else np.nan
                cells.append(f"{key} {ours.mean():.4f} ± {ours.std(ddof=1) / np.sqrt(len(ours)):.4f} "
                             f"median {np.median(ours):.4f} (p {p:.2g})")
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
    study.add_argument("--units", type=float, nargs="+", default=[],
                       help="budgets in full trainings at equal simulated time (instead of --evals)")
    study.add_argument("--seeds", default="0:30")
    study.add_argument("--option", action="append", default=[])
    study.set_defaults(func=run_study)
    table = commands.add_parser("table")
    table.add_argument("files", nargs="+")
    table.add_argument("--reference", required=True,
                       help="LABEL@EVALS, e.g. optuna@300, or LABEL: that label at each row's own budget")
    table.set_defaults(func=print_table)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
