"""REINFORCE [reinforce] behaves like the AutoDL script: 1e-3 N(0,1) logits, bias-corrected EMA
baseline updated before the advantage, the exact policy gradient, torch-style Adam, and a policy whose
probability mass moves onto the rewarded ops."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_faithfulness import late_mean_validation, p_value_against

from nasbench.benchmark import load
from nasbench.errors import NasbenchError
from nasbench.simulate import Result, SearchContext
from nasbench.spaces import get_space
from nasbench.strategies.reinforce import Reinforce


@pytest.fixture(scope="module")
def space():
    return get_space("nb201")


def started(space, seed=0, **options) -> Reinforce:
    strategy = Reinforce(**options)
    strategy.reset(space, np.random.default_rng(seed), SearchContext((1.0,), "final", 1, 1000, None, "valid"))
    return strategy


def test_initial_policy_is_near_uniform(space):
    strategy = started(space)
    logits = strategy.logits
    assert logits.shape == (6, 5)
    assert 1e-4 < logits.std() < 1e-2  # 1e-3 N(0, 1)
    assert np.allclose(strategy.probabilities(), 0.2, atol=1e-2)


def test_first_step_has_zero_advantage_and_baseline_is_bias_corrected(space):
    strategy = started(space)
    before = strategy.logits
    rewards = [0.7, 0.1, 0.4]
    job = strategy.ask()
    strategy.tell(job, Result(job, rewards[0], 1.0))
    assert strategy.baseline == pytest.approx(0.7)  # the bias correction makes b_1 = r_1
    assert np.array_equal(strategy.logits, before)  # advantage r_1 - b_1 = 0: no move
    for reward in rewards[1:]:
        job = strategy.ask()
        strategy.tell(job, Result(job, reward, 1.0))
    weights = 0.9 ** np.arange(len(rewards))[::-1]
    assert strategy.baseline == pytest.approx(np.dot(weights, rewards) / weights.sum())


def test_adam_step_follows_the_exact_policy_gradient(space):
    strategy = started(space, learning_rate=0.01)
    first = strategy.ask()
    strategy.tell(first, Result(first, 0.0, 1.0))
    logits = strategy.logits
    job = strategy.ask()
    strategy.tell(job, Result(job, 1.0, 1.0))  # baseline 0.1/0.19, advantage > 0
    advantage = 1.0 - (0.9 * 0.0 + 0.1 * 1.0) / (0.9 * 0.1 + 0.1)

    def loss(theta):  # -log p(a) * (r - b) with the reference's per-gene softmax
        log_softmax = theta - np.log(np.exp(theta).sum(axis=1, keepdims=True))
        return -log_softmax[np.arange(6), job.arch].sum() * advantage

    gradient = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[index] = 1e-6
        gradient[index] = (loss(logits + step) - loss(logits - step)) / 2e-6
    # Adam's second step: the first moment was zero after step one (zero gradient), so the update is
    # lr * m_hat / (sqrt(v_hat) + eps) with m = 0.1 g, v = 0.001 g^2, bias corrections 1-0.9^2, 1-0.999^2
    m_hat = 0.1 * gradient / (1 - 0.9**2)
    v_hat = 0.001 * gradient**2 / (1 - 0.999**2)
    expected = logits - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    assert np.allclose(strategy.logits, expected, atol=1e-7)
    chosen = strategy.logits[np.arange(6), job.arch] - logits[np.arange(6), job.arch]
    assert (chosen > 0).all()  # a better-than-baseline action became more likely


def test_policy_concentrates_on_rewarded_ops(space):
    strategy = started(space, seed=1)  # the reference's lr 0.01
    for _ in range(300):
        job = strategy.ask()
        strategy.tell(job, Result(job, float(np.mean(np.array(job.arch) == 3)), 1.0))
    probabilities = strategy.probabilities()
    assert (probabilities[:, 3] > 0.4).all()  # from 0.2 at the start (about 0.5 at 300 steps)
    assert (probabilities.argmax(axis=1) == 3).all()


def test_samples_follow_the_policy(space):
    strategy = started(space)
    strategy._logits[:, :] = np.log([0.6, 0.1, 0.1, 0.1, 0.1])
    draws = np.array([strategy.ask().arch for _ in range(3000)])
    assert np.mean(draws == 0) == pytest.approx(0.6, abs=0.03)


def test_genes_with_fewer_values_are_masked():
    space = get_space("nbgraph-proteins")  # 9 links, then 5 ops per node
    strategy = started(space)
    probabilities = strategy.probabilities()
    for gene, n in enumerate(space.n_choices):
        assert probabilities[gene, n:].sum() == 0.0
    assert all(space.is_valid(strategy.ask().arch) for _ in range(50))


def test_bad_options():
    with pytest.raises(NasbenchError, match="learning_rate"):
        Reinforce(learning_rate=0.0)
    with pytest.raises(NasbenchError, match="ema_momentum"):
        Reinforce(ema_momentum=1.0)


# --- faithfulness: beats random search ----------------------------------------------------------
def test_learns_on_nbgraph_cora():
    """Reduced CI check: after 200 evaluations reinforce proposes clearly better architectures than rs
    (measured margin about 0.0066; the check fails if the search ignores its results)."""
    benchmark = load("nbgraph-cora")
    random_search = late_mean_validation("rs", benchmark, seeds=range(8))
    assert late_mean_validation("reinforce", benchmark, seeds=range(8)) > random_search + 0.004


CORA_FAILS = pytest.mark.xfail(strict=True, reason=(
    "cora's best cells do not lie where the per-gene marginals point "
    "(notes/faithfulness_ga_ls_reinforce.md)"))


@pytest.mark.slow
@pytest.mark.parametrize("benchmark_name", [pytest.param("nbgraph-cora", marks=CORA_FAILS), "nbgraph-citeseer"])
def test_beats_random_search_on_final_validation_regret(benchmark_name):
    """Faithfulness: 50 seeds, 300 evaluations, one-sided Mann-Whitney p < 0.05 against rs."""
    assert p_value_against("reinforce", benchmark_name, processes=2) < 0.05
