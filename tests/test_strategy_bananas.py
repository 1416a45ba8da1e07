"""BANANAS [bananas] behaves like naszilla/bananas: path encoding where the space has paths,
an MLP ensemble trained on MAE, synchronous rounds of 10 chosen by independent Thompson sampling
over mutations of the best architectures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nasbench.strategies.bananas as bananas_module
from nasbench.errors import NasbenchError
from nasbench.simulate import Job, Result, SearchContext
from nasbench.spaces import get_space
from nasbench.strategies._models import EnsembleConfig, MLPEnsemble, train_mlp_ensemble
from nasbench.strategies.bananas import Bananas


@pytest.fixture(scope="module")
def space():
    return get_space("nb201")


def started(space, seed=0, **options) -> Bananas:
    strategy = Bananas(**options)
    strategy.reset(space, np.random.default_rng(seed), SearchContext((1.0,), "final", 1, 1000, None, "valid"))
    return strategy


def bowl(arch) -> float:
    return -float(sum((g - 3) ** 2 for g in arch))


def play_round(strategy) -> list[tuple]:
    """Ask until the strategy waits (``None``), then tell every result."""
    jobs = []
    while (job := strategy.ask()) is not None:
        jobs.append(job)
    for job in jobs:
        strategy.tell(job, Result(job, bowl(job.arch), 1.0))
    return [job.arch for job in jobs]


def test_path_encoding_where_the_space_has_paths(space):
    strategy = started(space)
    arch = space.sample(np.random.default_rng(0))
    assert strategy.encode(arch).shape == (155,)  # NAS-Bench-201: 5 + 25 + 125 op sequences
    assert np.array_equal(strategy.encode(arch), space.path_encoding(arch))

    class NoPaths(type(space)):
        def path_encoding(self, arch):
            return None

    plain = started(NoPaths())
    assert np.array_equal(plain.encode(arch), space.one_hot(arch)) and plain.encode(arch).shape == (30,)


def test_synchronous_rounds_of_ten(space, monkeypatch):
    fits = []
    real = bananas_module.train_mlp_ensemble

    def counting(x, y, rng, config):
        fits.append(len(y))
        return real(x, y, rng, dataclasses.replace(config, epochs=2))

    monkeypatch.setattr(bananas_module, "train_mlp_ensemble", counting)
    strategy = started(space)
    first = play_round(strategy)
    assert len(first) == 10 and len({space.index(a) for a in first}) == 10 and fits == []
    for expected in (10, 20, 30):
        chosen = play_round(strategy)
        assert len(chosen) == 10 and fits[-1] == expected  # one refit per round, on every result so far
    assert strategy.rounds == 4
    # a round is handed out one by one; with results pending, the strategy waits
    job = strategy.ask()
    strategy.tell(job, Result(job, 0.0, 1.0))
    for _ in range(9):
        assert strategy.ask() is not None
    assert strategy.ask() is None


def distance(a, b) -> int:
    return sum(g != h for g, h in zip(a, b))


def test_candidates_mutate_the_best_first_and_are_new(space):
    strategy = started(space)
    play_round(strategy)
    candidates = strategy.candidates()
    assert 100 <= len(candidates) < 200  # the reference checks the size between parents only
    rows = [space.index(a) for a in candidates]
    assert len(set(rows)) == len(rows) and not set(rows) & {space.index(a) for a in strategy._archs}
    order = np.argsort(-np.asarray(strategy._scores), kind="stable")
    best = strategy._archs[order[0]]
    parents = [strategy._archs[i] for i in order[:5]]
    # the one-gene neighbours of the parents come first, then (their 5 x 24 being too few) deeper edits
    near = [any(distance(a, p) == 1 for p in parents) for a in candidates]
    assert sum(near) >= 24 and near == sorted(near, reverse=True)
    # the best parent's 24 one-gene neighbours come first (its 100 attempts almost surely find all)
    assert all(distance(a, best) == 1 for a in candidates[:20])


@pytest.fixture(scope="module")
def cora():
    from nasbench.benchmark import load

    return load("nbgraph-cora")


def test_used_up_neighbourhoods_are_filled_with_deeper_edits(cora):
    """Five best cells whose every one-gene neighbour was evaluated (the state bananas reaches on
    nbgraph-cora after about 250 evaluations): the pool is still full, the model still chooses."""
    space = cora.space
    strategy = started(space, epochs=2)
    parents = list({space.index(a): a for a in space.sample_batch(np.random.default_rng(1), 5)}.values())
    told = {space.index(a): (a, 0.0) for p in parents for a in space.neighbours(p)}
    told.update({space.index(p): (p, 1.0) for p in parents})
    for row, (arch, score) in told.items():
        strategy._asked_rows.add(row)
        strategy.tell(Job(arch), Result(Job(arch), score, 1.0))
    strategy._running = 0
    candidates = strategy.candidates()
    assert strategy.n_candidates <= len(candidates) < 2 * strategy.n_candidates
    assert not {space.index(a) for a in candidates} & set(told)
    assert all(min(distance(a, p) for p in parents) >= 2 for a in candidates)
    chosen = strategy.next_round()
    assert len(chosen) == strategy.batch_size and not {space.index(a) for a in chosen} & set(told)
    assert strategy.fallback_rounds == 0


def empty_pools(monkeypatch, benchmark, seeds, max_evals: int, **options) -> list[int]:
    """Rounds per seed whose candidate pool came back empty (the model had nothing to choose from)."""
    from nasbench.simulate import run

    sizes: list[int] = []
    real = Bananas.candidates
    monkeypatch.setattr(Bananas, "candidates", lambda self: sizes.append(len(found := real(self))) or found)
    empty = []
    for seed in seeds:
        sizes.clear()
        run("bananas", benchmark, seed=seed, max_evals=max_evals, **options)
        empty.append(sizes.count(0))
    return empty


def test_no_fallback_rounds_reduced(monkeypatch, cora):
    # with a two-epoch model the one-gene pool ran dry in 16 of seed 1's 40 rounds (0.5 s for all three)
    assert empty_pools(monkeypatch, cora, range(3), 400, epochs=2) == [0, 0, 0]


@pytest.mark.slow
def test_no_fallback_rounds_up_to_1000(monkeypatch, cora):
    # with the one-gene pool alone 57, 75 and 70 of about 100 rounds fell back to uniform samples
    assert empty_pools(monkeypatch, cora, range(3), 1000) == [0, 0, 0]


def test_independent_thompson_sampling(space, monkeypatch):
    strategy = started(space)
    play_round(strategy)
    candidates = strategy.candidates()
    means = np.linspace(0.0, 1.0, len(candidates))

    def fake(spread):
        offsets = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])[:, None] * spread
        return lambda *args, **kwargs: type("Fake", (), {"predict": lambda self, x: means[None, :] + offsets})()

    # no spread: Thompson draws equal the means, the round is the 10 best predicted
    monkeypatch.setattr(bananas_module, "train_mlp_ensemble", fake(0.0))
    monkeypatch.setattr(strategy, "candidates", lambda: candidates)
    assert strategy.next_round() == candidates[::-1][:10]
    # wide spread: each candidate is drawn from its own normal, so the picks vary from round to round
    monkeypatch.setattr(bananas_module, "train_mlp_ensemble", fake(5.0))
    picks = [tuple(strategy.next_round()) for _ in range(3)]
    assert len(set(picks)) == 3 and all(len(set(p)) == 10 for p in picks)


def test_mlp_ensemble_learns_and_members_differ():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(64, 12)).astype(float)
    y = x @ rng.normal(size=12)
    y = (y - y.mean()) / y.std()
    ensemble = train_mlp_ensemble(x, y, rng, EnsembleConfig(n_networks=3, n_layers=3, epochs=60))
    assert isinstance(ensemble, MLPEnsemble) and ensemble.weights[1].shape == (3, 21, 20)  # bias as last row
    predictions = ensemble.predict(x)
    assert np.abs(predictions.mean(0) - y).mean() < 0.25  # mean absolute error, targets of std 1
    assert predictions.std(axis=0).mean() > 1e-3  # independent initialisations disagree somewhat
    # the default architecture is the reference's: 10 hidden layers of 20
    default = train_mlp_ensemble(x, y, rng, EnsembleConfig(epochs=1))
    assert len(default.weights) == 11 and default.weights[0].shape == (5, 13, 20)


@pytest.mark.parametrize("n_layers, n_rows", [(1, 70), (2, 32), (3, 5), (3, 70)])
def test_mlp_ensemble_trains_as_the_batch_major_loop(n_layers, n_rows):
    """The feature-major trainer is the earlier batch-major one (same draws, same steps) up to float32
    rounding, for one batch, several with a smaller last one, and exact multiples of the batch size."""
    from _mlp_baseline import train_baseline

    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(n_rows, 12)).astype(float)
    y = rng.standard_normal(n_rows)
    config = EnsembleConfig(n_networks=3, n_layers=n_layers, epochs=10)
    expected = train_baseline(x, y, np.random.default_rng(2), config).predict(x[:9])
    np.testing.assert_allclose(train_mlp_ensemble(x, y, np.random.default_rng(2), config).predict(x[:9]),
                               expected, atol=1e-4)


def test_model_rounds_beat_uniform_samples(space):
    strategy = started(space, epochs=30)
    rounds = [[bowl(a) for a in play_round(strategy)] for _ in range(5)]
    # uniform cells score -18 on average (s.e. of a 40-cell mean: 0.9); the model's rounds do far better
    assert np.mean(rounds[1:]) > -10.0


@pytest.mark.parametrize("option, value", [("n_initial", 0), ("batch_size", 0), ("n_candidates", 0),
                                           ("n_networks", 1), ("n_layers", 0), ("width", 0), ("epochs", 0)])
def test_invalid_options(option, value):
    with pytest.raises(NasbenchError, match=option):
        Bananas(**{option: value})


def test_reduced_faithfulness_proposals_find_good_cells():
    """On nbgraph-cora the model's proposals (after the initial samples) land in the top 8% of cells
    (validation accuracy above 0.80) at least twice as often as uniform sampling would (the 50-seed
    regret comparison with random search is the slow test below)."""
    from nasbench.benchmark import load
    from nasbench.simulate import run

    benchmark = load("nbgraph-cora")
    uniform_share = float(np.mean(benchmark.final(benchmark.search_metric) > 0.80))
    traces = [run("bananas", benchmark, seed=seed, max_evals=60, epochs=20) for seed in range(3)]
    proposals = np.concatenate([trace.to_frame()["valid"].iloc[10:] for trace in traces])
    # 150 uniform cells would give 0.078 +- 0.022
    assert np.mean(proposals > 0.80) > 2 * uniform_share, (np.mean(proposals > 0.80), uniform_share)


@pytest.mark.slow
@pytest.mark.parametrize("table_name", ["nbgraph-cora", "nbgraph-citeseer"])
def test_faithfulness_against_random_search(table_name):
    from helpers_faithfulness import collect

    from nasbench.report.faithfulness import compare

    table = compare(collect(["rs", "bananas"], [table_name], seeds=range(50), max_evals=300, processes=2))
    assert table[table["strategy"] == "bananas"].iloc[0]["p_value"] < 0.05, table.to_string()
