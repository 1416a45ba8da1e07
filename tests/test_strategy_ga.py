"""The GA [ga] behaves like pymoo's GA: tournaments, uniform crossover, mutation rate, (mu+lambda)
survival, duplicate elimination, generation-synchronous asks."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from helpers_faithfulness import late_mean_validation, p_value_against

from nasbench.benchmark import load
from nasbench.errors import NasbenchError
from nasbench.simulate import Job, Result, SearchContext
from nasbench.spaces import get_space
from nasbench.strategies.genetic import GeneticAlgorithm


@pytest.fixture(scope="module")
def space():
    return get_space("nb201")


def started(space, seed=0, **options) -> GeneticAlgorithm:
    strategy = GeneticAlgorithm(**options)
    context = SearchContext((1.0,), "final", 1, 1000, None, "valid")
    strategy.reset(space, np.random.default_rng(seed), context)
    return strategy


def score_of(arch) -> float:
    """A smooth score with a unique optimum (all genes 3)."""
    return -float(sum((g - 3) ** 2 for g in arch))


def run_generation(strategy) -> list[tuple[float, tuple]]:
    """Ask the whole current generation (until ``None``), then tell every result."""
    jobs = []
    while (job := strategy.ask()) is not None:
        jobs.append(job)
    for job in jobs:
        strategy.tell(job, Result(job, score_of(job.arch), 1.0))
    return [(score_of(job.arch), job.arch) for job in jobs]


def test_generation_synchronous_and_distinct(space):
    strategy = started(space)
    first = run_generation(strategy)
    assert len(first) == 100  # ask() returned None exactly after the population was handed out
    assert len({space.index(arch) for _, arch in first}) == 100
    assert strategy.generation == 0
    second = run_generation(strategy)
    assert strategy.generation == 1
    population_rows = {space.index(arch) for _, arch in first}
    child_rows = [space.index(arch) for _, arch in second]
    # duplicates removed: no child repeats a parent or another child
    assert len(set(child_rows)) == len(child_rows) == 100
    assert not population_rows & set(child_rows)


def test_mu_plus_lambda_survival(space):
    strategy = started(space)
    first = run_generation(strategy)
    second = run_generation(strategy)
    strategy.ask()  # triggers survival of generation 1 before breeding generation 2
    pool = sorted(first + second, key=lambda member: -member[0])
    survivors = sorted(strategy._population, key=lambda member: -member[0])
    assert [s for s, _ in survivors] == [s for s, _ in pool[:100]]
    assert max(s for s, _ in second + first) == survivors[0][0]


def test_binary_tournament(space):
    strategy = started(space)
    run_generation(strategy)
    strategy._population = [(float(i), space.sample(strategy.rng)) for i in range(100)]
    # winners of a fixed draw: recompute the competitors with a copy of the generator
    state = strategy.rng.bit_generator.state
    winners = strategy.tournament(100)
    strategy.rng.bit_generator.state = state
    competitors = np.concatenate([strategy.rng.permutation(100) for _ in range(2)]).reshape(100, 2)
    assert np.array_equal(winners, competitors.max(axis=1))  # score i = index i: the larger index wins
    # every member competed exactly twice (two permutations), so the worst never wins
    assert 0 not in winners and 99 in winners


def test_uniform_crossover_takes_each_gene_from_a_parent(space):
    strategy = started(space, crossover_probability=1.0, mutation_probability=0.0)
    run_generation(strategy)
    strategy._survive()
    parents = [arch for _, arch in strategy._population]
    children = strategy._mate(600)
    parent_genes = np.array(parents)
    mixed = 0
    for child in children:
        child = np.array(child)
        # a gene value that no parent holds at that position would betray a non-UX operator
        assert all((parent_genes[:, i] == child[i]).any() for i in range(len(child)))
        mixed += not any((parent_genes == child).all(axis=1))
    assert mixed > len(children) / 2  # most children are new combinations


def test_no_crossover_copies_parents(space):
    strategy = started(space, crossover_probability=0.0, mutation_probability=0.0)
    run_generation(strategy)
    strategy._survive()
    parents = {arch for _, arch in strategy._population}
    assert set(strategy._mate(200)) <= parents


def test_mutation_rate_is_one_over_length(space):
    strategy = started(space)
    arch = (0,) * 6
    changed = Counter(sum(g != 0 for g in strategy.mutate(arch)) for _ in range(6000))
    mean = sum(k * v for k, v in changed.items()) / 6000
    # each of L=6 genes is redrawn w.p. 1/6 over 5 values, so it changes w.p. 1/6 * 4/5
    assert mean == pytest.approx(6 * (1 / 6) * (4 / 5), rel=0.1)


def test_improves_over_generations(space):
    strategy = started(space, seed=3)
    means = [np.mean([s for s, _ in run_generation(strategy)]) for _ in range(6)]
    assert means[-1] > means[0] + 3  # selection pressure pulls the children towards the optimum


def test_bad_options():
    with pytest.raises(NasbenchError, match="population_size"):
        GeneticAlgorithm(population_size=1)
    with pytest.raises(NasbenchError, match="crossover_probability"):
        GeneticAlgorithm(crossover_probability=1.5)


def test_job_type(space):
    assert isinstance(started(space).ask(), Job)


# --- faithfulness: beats random search ----------------------------------------------------------
def test_learns_on_nbgraph_cora():
    """Reduced CI check: after 200 evaluations ga proposes clearly better architectures than rs
    (measured margin about 0.009; the check fails if the search ignores its results)."""
    benchmark = load("nbgraph-cora")
    random_search = late_mean_validation("rs", benchmark, seeds=range(8))
    assert late_mean_validation("ga", benchmark, seeds=range(8)) > random_search + 0.004


CORA_FAILS = pytest.mark.xfail(strict=True, reason=(
    "pop 100 leaves 2 generations in 300 evaluations; passes at 1000 and with pop 20 "
    "(notes/faithfulness_ga_ls_reinforce.md)"))


@pytest.mark.slow
@pytest.mark.parametrize("benchmark_name", [pytest.param("nbgraph-cora", marks=CORA_FAILS), "nbgraph-citeseer"])
def test_beats_random_search_on_final_validation_regret(benchmark_name):
    """Faithfulness: 50 seeds, 300 evaluations, one-sided Mann-Whitney p < 0.05 against rs."""
    assert p_value_against("ga", benchmark_name, processes=2) < 0.05
