"""TPE [tpe] behaves like hyperopt's tpe.suggest: start-up trials, the n_below split (running trials
as infinite losses), forgetting-weighted categorical estimators with prior pseudocounts, per-gene
l/g maximisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers_faithfulness import collect

from nasbench.errors import NasbenchError
from nasbench.simulate import Result, SearchContext
from nasbench.spaces import get_space
from nasbench.strategies.tpe import TreeParzenEstimator, forgetting_weights, n_below, parzen_categorical


@pytest.fixture(scope="module")
def space():
    return get_space("nb201")


def started(space, seed=0, **options) -> TreeParzenEstimator:
    strategy = TreeParzenEstimator(**options)
    strategy.reset(space, np.random.default_rng(seed), SearchContext((1.0,), "final", 1, 1000, None, "valid"))
    return strategy


def gene_zero_is_three(arch) -> float:
    """Good exactly when gene 0 is 3; every other gene is irrelevant."""
    return 1.0 if arch[0] == 3 else 0.0


def ask_and_tell(strategy, n: int, score=gene_zero_is_three) -> list[tuple]:
    archs = []
    for _ in range(n):
        job = strategy.ask()
        strategy.tell(job, Result(job, score(job.arch), 1.0))
        archs.append(job.arch)
    return archs


def test_n_below_is_hyperopts_rule():
    for n in (1, 20, 21, 64, 65, 300, 9999, 10000, 10001):
        assert n_below(n, 0.25) == min(math.ceil(0.25 * math.sqrt(n)), 25)
    assert n_below(20, 0.25) == 2 and n_below(300, 0.25) == 5 and n_below(10**6, 0.25) == 25


def test_forgetting_weights_ramp_the_oldest():
    assert np.array_equal(forgetting_weights(25, 25), np.ones(25))
    weights = forgetting_weights(30, 25)
    assert np.allclose(weights[:5], np.linspace(1 / 30, 1.0, 5)) and np.array_equal(weights[5:], np.ones(25))
    assert np.all(np.diff(weights) >= 0)  # older observations never weigh more


def test_parzen_estimator_has_prior_pseudocounts():
    # no observations: the prior alone, uniform
    assert np.allclose(parzen_categorical(np.array([], dtype=int), 4, 1.0, 25), 0.25)
    # prior weight 1 adds one pseudocount per value (hyperopt: counts + n_values * prior_weight / n_values)
    assert np.allclose(parzen_categorical(np.array([1, 1, 1]), 3, 1.0, 25), [1 / 6, 4 / 6, 1 / 6])
    assert np.allclose(parzen_categorical(np.array([1, 1, 1]), 3, 3.0, 25), [3 / 12, 6 / 12, 3 / 12])
    # 27 observations with LF 25: the two oldest (value 0) weigh 1/27 and 1
    probabilities = parzen_categorical(np.array([0, 0] + [2] * 25), 3, 1.0, 25)
    assert np.allclose(probabilities * (1 / 27 + 1 + 25 + 3), [1 / 27 + 1 + 1, 1, 26])


def test_startup_trials_ignore_results(space):
    first = ask_and_tell(started(space), 30)
    second = ask_and_tell(started(space), 30, score=lambda arch: -gene_zero_is_three(arch))
    assert first[:20] == second[:20]  # 20 uniform start-up trials, whatever the scores
    assert first[20:] != second[20:]


def test_split_sizes_and_running_trials(space):
    strategy = started(space)
    ask_and_tell(strategy, 63)
    running = [strategy.ask() for _ in range(2)]  # 65 trials, two of them running
    below, above = strategy.split()
    assert len(below) == n_below(65, 0.25) == 3 and len(above) == 62
    assert all(gene_zero_is_three(arch) == 1.0 for arch in below)  # the lowest losses
    # running trials carry an infinite loss, so they sit in the above set
    assert all(any(np.array_equal(row, job.arch) for row in above) for job in running)
    told = {job.arch for job in running}
    for job in running:
        strategy.tell(job, Result(job, 2.0, 1.0))  # now the two best of all
    below, _ = strategy.split()
    assert told <= {tuple(int(g) for g in row) for row in below}


def test_suggestions_concentrate_on_the_good_gene_value(space):
    strategy = started(space)
    archs = ask_and_tell(strategy, 120)
    after = np.mean([arch[0] == 3 for arch in archs[20:]])
    # uniform would give 0.2; not near 1 because the ties put most good trials in g(x) too
    assert after > 0.45
    # the irrelevant genes stay spread out (each gene is modelled on its own)
    assert len({arch[5] for arch in archs[20:]}) >= 3


def test_suggestion_maximises_the_density_ratio(space):
    strategy = started(space, n_candidates=500)
    ask_and_tell(strategy, 40)
    below, above = strategy.split()
    expected = []
    for gene, n_values in enumerate(space.n_choices):
        ratio = (np.log(parzen_categorical(below[:, gene], n_values, 1.0, 25))
                 - np.log(parzen_categorical(above[:, gene], n_values, 1.0, 25)))
        expected.append(int(np.argmax(ratio)))
    # with 500 candidates per gene the best value of l/g is almost surely among them
    assert strategy.suggest() == tuple(expected)


@pytest.mark.parametrize("option, value", [("gamma", 0), ("gamma", 1.5), ("n_startup", 0), ("n_candidates", 0),
                                           ("prior_weight", 0.0), ("forgetting", 0), ("gamma", "a")])
def test_invalid_options(option, value):
    with pytest.raises(NasbenchError, match=option):
        TreeParzenEstimator(**{option: value})


def test_reduced_faithfulness_model_phase_finds_better_cells():
    """After the start-up phase TPE proposes cells of higher validation accuracy than random search
    (the 50-seed regret comparison is the slow test below)."""
    from nasbench.benchmark import load
    from nasbench.simulate import run

    benchmark = load("nbgraph-cora")
    means = {}
    for name in ("rs", "tpe"):
        means[name] = np.mean([run(name, benchmark, seed=seed, max_evals=120).to_frame()["valid"].iloc[20:].mean()
                               for seed in range(4)])
    assert means["tpe"] > means["rs"] + 0.003


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured p = 0.44 (cora) and 0.056 (citeseer): the best cells do not factorise "
                   "over genes, and hyperopt's own TPE gives the same regrets (two-sided p 0.59 / 0.67); evidence "
                   "in /work/notes/faithfulness_tpe_gp_bananas.md")
@pytest.mark.parametrize("table_name", ["nbgraph-cora", "nbgraph-citeseer"])
def test_faithfulness_against_random_search(table_name):
    from nasbench.report.faithfulness import compare

    table = compare(collect(["rs", "tpe"], [table_name], seeds=range(50), max_evals=300, processes=2))
    row = table[table["strategy"] == "tpe"].iloc[0]
    assert row["p_value"] < 0.05, table.to_string()
