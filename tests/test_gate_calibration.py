"""Calibration of the regression gate (:func:`nasbench.report.stats.regression`, as ``nasbench compare --baseline``).

False alarms: A/A reruns, the same code on disjoint seeds, many times; the gate may flag at most
alpha = 5 % of them. Power: the same gate against a deliberately weakened REA whose tournament picks
the *worst* sampled member (defined here only). Each repetition gates the four cells {rs, rea} x
{nbgraph-cora, nbgraph-citeseer} (Holm over the four) with SEEDS seeds per side, seeds never reused.

The slow tests are the measurement (``python -m pytest -m slow tests/test_gate_calibration.py -s``;
figures in reports/README.md); the CI twin repeats the A/A check on fewer, shorter runs.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from nasbench.benchmark import Benchmark, load
from nasbench.report.stats import regression
from nasbench.simulate import run
from nasbench.strategies.base import Job
from nasbench.strategies.regularized_evolution import RegularizedEvolution
from nasbench.trace import regret

BENCHMARKS = ("nbgraph-cora", "nbgraph-citeseer")
STRATEGIES = ("rs", "rea")


class WorstParentEvolution(RegularizedEvolution):
    """REA with a broken tournament: the child is a mutation of the worst of the sampled members."""

    def ask(self) -> Job:
        if self._initial_asked < self.population_size or not self._population:
            return super().ask()
        population = self._population
        members = [population[int(self.rng.random() * len(population))] for _ in range(self.sample_size)]
        parent = min(members, key=lambda member: member[0])
        return Job(self.space.mutate(parent[1], self.rng))


@cache
def _benchmark(name: str) -> Benchmark:
    return load(name)


@cache
def final_regret(strategy: str, benchmark: str, seed: int, evals: int) -> float:
    bench = _benchmark(benchmark)
    chosen = WorstParentEvolution() if strategy == "rea-worst-parent" else strategy
    trace = run(chosen, bench, seed=seed, max_evals=evals)
    return float(regret(trace.columns["incumbent_test"][-1], trace.meta.test_optimum, trace.meta.higher_is_better))


def _finals(strategies: dict[str, str], seeds: range, evals: int) -> pd.DataFrame:
    """Final regrets of every cell; ``strategies`` maps the label the gate sees to the strategy run."""
    return pd.DataFrame([{"benchmark": b, "strategy": label, "seed": s, "regret": final_regret(name, b, s, evals)}
                         for b in BENCHMARKS for label, name in strategies.items() for s in seeds])


def gate_outcomes(repetitions: int, seeds: int, evals: int, current: str = "rea", alpha: float = 0.05) -> np.ndarray:
    """For each repetition: whether the gate flagged the ``rea`` cell, and whether it flagged any cell.

    The baseline runs rs and rea on seeds ``[2kn, 2kn + n)``, the rerun rs and ``current`` (under the
    label rea) on ``[2kn + n, 2(k+1)n)``.
    """
    outcomes = []
    for k in range(repetitions):
        first = 2 * k * seeds
        old = _finals({"rs": "rs", "rea": "rea"}, range(first, first + seeds), evals)
        new = _finals({"rs": "rs", "rea": current}, range(first + seeds, first + 2 * seeds), evals)
        table = regression(old, new, alpha=alpha)
        outcomes.append((bool(table.loc[table["strategy"] == "rea", "worse"].any()), bool(table["worse"].any())))
    return np.array(outcomes)


def test_aa_reruns_rarely_alarm_ci_twin():
    """20 A/A repetitions of 10 seeds x 30 evaluations: deterministic, at most 2 alarms (10 %)."""
    any_alarm = gate_outcomes(20, 10, 30)[:, 1]
    assert any_alarm.sum() <= 2, f"{any_alarm.sum()} of 20 A/A reruns flagged a regression"


def test_worst_parent_tournament_is_weaker():
    """The weakened REA really is worse, so that the power measurement measures something."""
    seeds = range(40)
    weak = np.mean([final_regret("rea-worst-parent", "nbgraph-cora", s, 100) for s in seeds])
    sound = np.mean([final_regret("rea", "nbgraph-cora", s, 100) for s in seeds])
    assert weak > sound


@pytest.mark.slow
def test_aa_false_alarm_rate_at_most_alpha():
    outcomes = gate_outcomes(200, 20, 50)
    rate = outcomes[:, 1].mean()
    print(f"A/A: {outcomes[:, 1].sum()} of {len(outcomes)} reruns flagged (rate {rate:.3f}; rea cell "
          f"{outcomes[:, 0].mean():.3f})")
    assert rate <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("seeds", [10, 20, 40])
def test_power_against_a_broken_tournament(seeds):
    outcomes = gate_outcomes(50, seeds, 100, current="rea-worst-parent")
    power = outcomes[:, 0].mean()
    print(f"power at {seeds} seeds: {outcomes[:, 0].sum()} of {len(outcomes)} flagged ({power:.2f})")
    assert power > 0.05  # better than chance; the figure itself goes in reports/README.md
