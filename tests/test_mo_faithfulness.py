"""Multi-objective faithfulness (tests/mo_faithfulness.py): ``nsga2`` against pymoo's NSGA2, Optuna's
NSGAIISampler and random search on test-side HV regret; a reduced twin in CI, the full study slow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mo_faithfulness import OPTIMISERS, _done, _score, study
from scipy import stats

import nasbench

pytest.importorskip("moocore")


def _mean_final(optimiser: str, bench: nasbench.Benchmark, seeds: range, evals: int) -> float:
    return float(np.mean([_score(bench, OPTIMISERS[optimiser](bench, seed, evals))[1] for seed in seeds]))


def test_reduced_twin_nsga2_beats_random_search_and_pymoo_on_cora() -> None:
    """5 seeds x 300 evaluations on nbgraph-cora (deterministic: the same numbers every time)."""
    bench = nasbench.load("nbgraph-cora")
    ours = _mean_final("nsga2", bench, range(5), 300)
    assert ours < _mean_final("rs", bench, range(5), 300)
    pytest.importorskip("pymoo")
    assert ours <= _mean_final("pymoo-nsga2", bench, range(5), 300)


@pytest.mark.slow
def test_full_study_on_cora_and_citeseer(tmp_path: Path) -> None:
    """30 seeds x 300 evaluations (reports/multiobjective/README.md has the numbers)."""
    pytest.importorskip("pymoo")
    pytest.importorskip("optuna")
    path = tmp_path / "runs.jsonl"
    names = ["nbgraph-cora", "nbgraph-citeseer"]
    study(path, names, ["nsga2", "nsga2-pop50", "pymoo-nsga2", "optuna-nsga2", "rs", "parego"], 30, 300)
    records = list(_done(path).values())

    def values(name: str, optimiser: str) -> np.ndarray:
        return np.array([r["hv_regret_test"] for r in records
                         if r["benchmark"] == name and r["optimiser"] == optimiser])

    for name in names:
        for ours in ("nsga2", "nsga2-pop50"):
            for other in ("pymoo-nsga2", "optuna-nsga2"):  # not significantly worse (one-sided, alpha 0.05)
                assert stats.mannwhitneyu(values(name, ours), values(name, other), alternative="greater").pvalue >= 0.05
        for strategy in ("nsga2-pop50", "parego"):  # better than multi-objective random search
            assert stats.mannwhitneyu(values(name, strategy), values(name, "rs"), alternative="less").pvalue < 0.05
