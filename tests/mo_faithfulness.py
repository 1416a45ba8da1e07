"""Multi-objective faithfulness study: ``nsga2`` against pymoo's NSGA2 and Optuna's NSGAIISampler.

Each optimiser runs on a table with objectives (valid_accuracy, latency) for a fixed number of
evaluations; every run is scored the way a nasbench trace is (:func:`nasbench.pareto.hv_regret_curves`:
the archive's validation non-dominated rows scored with their test accuracy against the true test
front). pymoo and Optuna are peer code here only (``pip install pymoo optuna``); they are driven by
their own ask/tell on the table's seed-mean values, each with its documented defaults for discrete
variables.

Usage (resumable: finished runs are kept in the JSON Lines file and skipped):

    python tests/mo_faithfulness.py --out reports/multiobjective/runs.jsonl --seeds 30 --evals 300 \
        --benchmarks nbgraph-cora nbgraph-citeseer --optimisers nsga2 pymoo-nsga2 optuna-nsga2 rs parego
    python tests/mo_faithfulness.py --out reports/multiobjective/runs.jsonl --table
    python tests/mo_faithfulness.py --out unused --netadapt --seeds 30   # netadapt against random search
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import nasbench
from nasbench.benchmark import Benchmark
from nasbench.pareto import hv_regret_curves

OBJECTIVES = ("valid_accuracy", "latency")


def _score(bench: Benchmark, rows: list[int]) -> tuple[float, float]:
    """Final (validation, test) HV regret of the archive of ``rows`` (all at the final fidelity)."""
    valid, test = hv_regret_curves(bench, OBJECTIVES, np.asarray(rows, dtype=np.int64), np.ones(len(rows), bool))
    return float(valid[-1]), float(test[-1])


def run_nasbench(strategy: str, **options: Any) -> Callable[[Benchmark, int, int], list[int]]:
    def optimise(bench: Benchmark, seed: int, evals: int) -> list[int]:
        trace = nasbench.run(strategy, bench, seed=seed, max_evals=evals, objectives=OBJECTIVES, **options)
        return trace.columns["row"].tolist()
    return optimise


def _lookup(bench: Benchmark, genes: tuple[int, ...]) -> tuple[int | None, float, float]:
    """Row, validation accuracy and latency of a gene tuple; an invalid one (the all-skip cell of
    NAS-Bench-Graph) has no row and gets the worst values of the table, as a user would assign."""
    if not bench.space.is_valid(genes):
        return None, float(np.nanmin(bench.final("valid_accuracy"))), float(np.nanmax(bench.final("latency")))
    row = bench.space.index(genes)
    return row, float(bench.final("valid_accuracy")[row]), float(bench.final("latency")[row])


def run_pymoo(bench: Benchmark, seed: int, evals: int) -> list[int]:
    """pymoo 0.6 NSGA2 (pop 100) with its documented operators for integer variables."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    space = bench.space
    upper = np.array(space.n_choices) - 1
    problem = Problem(n_var=len(upper), n_obj=2, xl=np.zeros(len(upper)), xu=upper, vtype=int)
    algorithm = NSGA2(pop_size=100, sampling=IntegerRandomSampling(),
                      crossover=SBX(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
                      mutation=PM(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
                      eliminate_duplicates=True)
    algorithm.setup(problem, seed=seed, verbose=False)
    rows: list[int] = []
    used = 0
    while used < evals:
        population = algorithm.ask()
        genes = np.rint(population.get("X")).astype(int)
        values = []
        for gene in genes:
            row, accuracy, latency = _lookup(bench, tuple(int(g) for g in gene))
            if used < evals and row is not None:
                rows.append(row)
            used += 1
            values.append((-accuracy, latency))  # pymoo minimises
        population.set("F", np.array(values))
        algorithm.tell(infills=population)
    return rows


def run_optuna(bench: Benchmark, seed: int, evals: int) -> list[int]:
    """Optuna's NSGAIISampler with its defaults (population 50), one categorical per gene."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = bench.space
    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(seed=seed))
    rows: list[int] = []
    for _ in range(evals):
        trial = study.ask()
        gene = tuple(trial.suggest_categorical(f"g{i}", list(range(n))) for i, n in enumerate(space.n_choices))
        row, accuracy, latency = _lookup(bench, gene)
        if row is not None:
            rows.append(row)
        study.tell(trial, (accuracy, latency))
    return rows


OPTIMISERS: dict[str, Callable[[Benchmark, int, int], list[int]]] = {
    "pymoo-nsga2": run_pymoo, "optuna-nsga2": run_optuna,
    **{name: run_nasbench(name) for name in ("nsga2", "rs", "parego")},
    "nsga2-pop50": run_nasbench("nsga2", population_size=50),  # Optuna's default population
}


def _done(path: Path) -> dict[tuple, dict]:
    if not path.exists():
        return {}
    records = {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn last line of an interrupted run
        records[(record["benchmark"], record["optimiser"], record["seed"], record["evals"])] = record
    return records


def study(path: Path, benchmarks: list[str], optimisers: list[str], seeds: int, evals: int) -> None:
    done = _done(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in benchmarks:
        bench = nasbench.load(name)
        for optimiser in optimisers:
            for seed in range(seeds):
                if (name, optimiser, seed, evals) in done:
                    continue
                rows = OPTIMISERS[optimiser](bench, seed, evals)
                valid, test = _score(bench, rows)
                record = {"benchmark": name, "optimiser": optimiser, "seed": seed, "evals": evals,
                          "hv_regret": valid, "hv_regret_test": test}
                with path.open("a") as f:
                    f.write(json.dumps(record) + "\n")


def table(path: Path, evals: int | None = None, ours: str = "nsga2") -> str:
    """Markdown: mean ± s.e. of final test-side HV regret, the one-sided Mann-Whitney p of "``ours`` is
    worse than this optimiser" (a small p: evidence that it is worse) and of "this optimiser is better
    than random search"."""
    import pandas as pd
    from scipy import stats

    frame = pd.DataFrame(list(_done(path).values()))
    if evals is not None:
        frame = frame[frame["evals"] == evals]
    lines = ["| benchmark | optimiser | runs | HV regret (test) mean ± s.e. | HV regret (valid) mean | "
             f"p ({ours} worse) | p (better than rs) |", "|---|---|---|---|---|---|---|"]
    for (name, optimiser), group in frame.groupby(["benchmark", "optimiser"], sort=True):
        mine = frame[(frame["benchmark"] == name) & (frame["optimiser"] == ours)]["hv_regret_test"]
        rs = frame[(frame["benchmark"] == name) & (frame["optimiser"] == "rs")]["hv_regret_test"]
        values = group["hv_regret_test"]
        # H1: ours' regret is stochastically greater (worse) than this optimiser's; a large p = no evidence
        worse = (stats.mannwhitneyu(mine, values, alternative="greater").pvalue
                 if optimiser != ours and len(mine) else float("nan"))
        better = (stats.mannwhitneyu(values, rs, alternative="less").pvalue
                  if optimiser != "rs" and len(rs) else float("nan"))
        lines.append(f"| {name} | {optimiser} | {len(values)} | {values.mean():.4f} ± {values.sem():.4f} | "
                     f"{group['hv_regret'].mean():.4f} | {worse:.3g} | {better:.3g} |")
    return "\n".join(lines)


NETADAPT_TABLES = ("mlp-mnist1d", "nb201-mnist1d")  # netadapt needs a short fidelity: learning-curve tables
NETADAPT_OBJECTIVES = ("valid_accuracy", "params")


def netadapt_runs(name: str, seeds: int) -> list[dict]:
    """Per seed: ``netadapt``'s final test-side HV regret and random search's at the same number of
    evaluations (short-fidelity proposals count), the same number of final-fidelity evaluations and the
    same simulated time."""
    bench = nasbench.load(name)
    final = bench.fidelities[-1]

    def rs(max_evals: int | None = None, max_time: float | None = None) -> float:
        trace = nasbench.run("rs", bench, seed=seed, objectives=NETADAPT_OBJECTIVES, max_evals=max_evals,
                             max_time=max_time)
        return float(trace.columns["hv_regret_test"][-1])

    records = []
    for seed in range(seeds):
        trace = nasbench.run("netadapt", bench, seed=seed, max_evals=300, objectives=NETADAPT_OBJECTIVES)
        columns = trace.columns
        n_final = int(np.sum(columns["fidelity"] == final))
        records.append({"benchmark": name, "seed": seed, "evals": len(columns["row"]), "final_evals": n_final,
                        "netadapt": float(columns["hv_regret_test"][-1]), "rs_evals": rs(max_evals=len(columns["row"])),
                        "rs_final_evals": rs(max_evals=n_final), "rs_time": rs(max_time=float(columns["end"][-1]))})
    return records


def netadapt_table(seeds: int) -> str:
    """Markdown: mean test-side HV regret of ``netadapt`` and of random search at each equal budget, with
    the one-sided Mann-Whitney p of "netadapt's regret is smaller"."""
    from scipy import stats

    lines = ["| benchmark | runs | evaluations (final fidelity) | netadapt | rs, equal evaluations (p) | "
             "rs, equal final-fidelity evaluations (p) | rs, equal simulated time (p) |",
             "|---|---|---|---|---|---|---|"]
    for name in NETADAPT_TABLES:
        records = netadapt_runs(name, seeds)
        ours = np.array([r["netadapt"] for r in records])
        cells = []
        for key in ("rs_evals", "rs_final_evals", "rs_time"):
            other = np.array([r[key] for r in records])
            cells.append(f"{other.mean():.4f} ({stats.mannwhitneyu(ours, other, alternative='less').pvalue:.3g})")
        evals, final = (np.mean([r[key] for r in records]) for key in ("evals", "final_evals"))
        lines.append(f"| {name} | {seeds} | {evals:.1f} ({final:.1f}) | {ours.mean():.4f} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--benchmarks", nargs="+", default=["nbgraph-cora", "nbgraph-citeseer"])
    parser.add_argument("--optimisers", nargs="+", default=["nsga2", "pymoo-nsga2", "optuna-nsga2", "rs"],
                        choices=sorted(OPTIMISERS))
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--evals", type=int, default=300)
    parser.add_argument("--table", action="store_true", help="print the table of the runs in --out")
    parser.add_argument("--netadapt", action="store_true", help="print netadapt against random search")
    parser.add_argument("--ours", default="nsga2", choices=sorted(OPTIMISERS), help="the optimiser the table tests")
    args = parser.parse_args(argv)
    if args.netadapt:
        print(netadapt_table(args.seeds))
        return 0
    if args.table:
        print(table(args.out, args.evals, args.ours))
        return 0
    study(args.out, args.benchmarks, args.optimisers, args.seeds, args.evals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
