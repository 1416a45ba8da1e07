"""Multi-objective faithfulness (tests/mo_faithfulness.py): ``nsga2`` against pymoo's NSGA2, Optuna's
NSGAIISampler and random search on test-side HV regret, and ``netadapt`` against random search; reduced
twins in CI, the full studies slow (reports/multiobjective/README.md has the numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mo_faithfulness import OPTIMISERS, _done, _score, netadapt_runs, study
from scipy import stats

import nasbench

pytest.importorskip("moocore")


def _mean_final(optimiser: str, bench: nasbench.Benchmark, seeds: range, evals: int) -> float:
    return float(np.mean([_score(bench, OPTIMISERS[optimiser](bench, seed, evals))[1] for seed in seeds]))


@pytest.mark.parametrize("name", ["nbgraph-cora", "nbgraph-citeseer"])
def test_reduced_twin_nsga2_beats_random_search_and_matches_its_peers(name: str) -> None:
    """5 seeds x 300 evaluations (deterministic: the same numbers every time). Peers are compared at
    the same population: pymoo's 100 against the default, Optuna's 50 against ``population_size=50``."""
    bench = nasbench.load(name)
    ours, pop50, rs = (_mean_final(o, bench, range(5), 300) for o in ("nsga2", "nsga2-pop50", "rs"))
    assert ours < rs and pop50 < rs
    if name == "nbgraph-cora":  # on citeseer 5 seeds are too few for pymoo (30 and 100 seeds: not worse)
        pytest.importorskip("pymoo")
        assert ours <= _mean_final("pymoo-nsga2", bench, range(5), 300)
    pytest.importorskip("optuna")
    assert pop50 <= _mean_final("optuna-nsga2", bench, range(5), 300)


def test_reduced_twin_netadapt_against_random_search() -> None:
    """5 seeds on nb201-mnist1d: random search given all of netadapt's evaluations (short-fidelity
    proposals too) is better than netadapt's kept networks, by more than the seeds' spread."""
    records = netadapt_runs("nb201-mnist1d", 5)
    ours, equal_evals = (np.array([r[key] for r in records]) for key in ("netadapt", "rs_evals"))
    assert ours.mean() - equal_evals.mean() > 2 * ours.std()


def _p_less(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided Mann-Whitney p of "``a``'s regret is stochastically smaller than ``b``'s"."""
    return float(stats.mannwhitneyu(a, b, alternative="less").pvalue)


@pytest.mark.slow
def test_full_study_on_cora_and_citeseer(tmp_path: Path) -> None:
    """100 seeds x 300 evaluations (ParEGO: 30 seeds); asserts the conclusions README states."""
    pytest.importorskip("pymoo")
    pytest.importorskip("optuna")
    path = tmp_path / "runs.jsonl"
    names = ["nbgraph-cora", "nbgraph-citeseer"]
    study(path, names, ["nsga2", "nsga2-pop50", "pymoo-nsga2", "optuna-nsga2", "rs"], 100, 300)
    study(path, names, ["parego"], 30, 300)
    records = list(_done(path).values())

    def values(name: str, optimiser: str) -> np.ndarray:
        return np.array([r["hv_regret_test"] for r in records
                         if r["benchmark"] == name and r["optimiser"] == optimiser])

    for name in names:
        # not significantly worse than the peer at the same population (one-sided, alpha 0.05)
        assert _p_less(values(name, "pymoo-nsga2"), values(name, "nsga2")) >= 0.05
        assert _p_less(values(name, "optuna-nsga2"), values(name, "nsga2-pop50")) >= 0.05
        # pymoo's population of 100 against Optuna's 50 at 300 evaluations: significantly worse (measured)
        assert _p_less(values(name, "optuna-nsga2"), values(name, "nsga2")) < 0.05
        for strategy in ("nsga2", "nsga2-pop50", "parego"):  # better than multi-objective random search
            assert _p_less(values(name, strategy), values(name, "rs")) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mlp-mnist1d", "nb201-mnist1d"])
def test_full_netadapt_against_random_search(name: str) -> None:
    """30 seeds: netadapt does not beat random search at equal evaluations (it loses; README). (On the first,
    one-seed nb201 table its kept networks beat as many random final-fidelity evaluations; on the 3-seed
    table they do not, p = 0.82.)"""
    records = netadapt_runs(name, 30)
    ours = np.array([r["netadapt"] for r in records])
    assert _p_less(np.array([r["rs_evals"] for r in records]), ours) < 0.05  # random search is better
