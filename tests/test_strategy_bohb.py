"""BOHB behaves like HpBandSter's: statsmodels' categorical KDE, the model of the largest budget with
enough points, the top 15 % as the good set, the random fraction honoured, the NAS-Bench-201 preset.

Also the check that Hyperband and BOHB beat random search at equal simulated time
(slow: >= 30 seeds on the learning-curve table; CI: a reduced version on the fixture)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from curve_fixture import make_curve_table

import nasbench
from nasbench.errors import NasbenchError
from nasbench.report.anytime import runs_frame
from nasbench.report.equal_time import log_time_mean, regret_at
from nasbench.simulate import Job, Result, SearchContext, run
from nasbench.spaces.nb201 import Nb201Space
from nasbench.strategies.bohb import Bohb, CategoricalKde
from nasbench.study import time_unit, validation_regret

SPACE = Nb201Space()


@pytest.fixture(scope="module")
def curves(tmp_path_factory: pytest.TempPathFactory) -> nasbench.Benchmark:
    return nasbench.load(make_curve_table(tmp_path_factory.mktemp("bohb") / "curves.h5"))


def started(seed: int = 0, **options) -> Bohb:
    strategy = Bohb(**options)
    context = SearchContext(tuple(float(e) for e in range(1, 13)), "epochs", 1, 100, None, "valid_accuracy")
    strategy.reset(SPACE, np.random.default_rng(seed), context)
    return strategy


def feed(strategy: Bohb, archs: list, losses: list, budget: float) -> None:
    for arch, loss in zip(archs, losses):
        job = Job(tuple(arch), budget)
        strategy.observe(job, Result(job, -loss, 1.0))


def test_kde_bandwidth_and_aitchison_aitken_kernel_by_hand() -> None:
    data = np.array([[0, 1], [0, 2], [1, 2], [0, 2]])
    kde = CategoricalKde(data, 1e-3)
    expected_bw = 1.06 * data.std(axis=0) * 4 ** (-1 / 6)
    assert np.allclose(kde.bandwidth, expected_bw)
    h0, h1 = kde.bandwidth
    point = np.array([[0, 2]])
    # levels present in the data: 2 in each column -> other-value weight h / (2 - 1)
    by_hand = np.mean([(1 - h0) * h1, (1 - h0) * (1 - h1), h0 * (1 - h1), (1 - h0) * (1 - h1)])
    assert kde.pdf(point)[0] == pytest.approx(by_hand)
    constant = CategoricalKde(np.array([[3, 0], [3, 1], [3, 0]]), 0.3)
    assert constant.bandwidth[0] == 0.3  # std 0 -> clipped to min_bandwidth
    assert np.isinf(constant.pdf(np.array([[2, 0]]))[0])  # one level in the data: h / (1 - 1), as statsmodels


def test_kde_agrees_with_statsmodels() -> None:
    sm = pytest.importorskip("statsmodels.api")  # the reference BOHB uses it; optional here
    rng = np.random.default_rng(0)
    for _ in range(30):
        data = rng.choice(5, size=(int(rng.integers(7, 30)), 6), p=rng.dirichlet(np.ones(5)))
        ours = CategoricalKde(data, 1e-3)
        theirs = sm.nonparametric.KDEMultivariate(data=data.astype(float), var_type="u" * 6, bw="normal_reference")
        assert np.allclose(ours.bandwidth, np.clip(theirs.bw, 1e-3, None))
        points = data[rng.integers(len(data), size=5)]
        assert np.allclose(ours.pdf(points), [theirs.pdf(p.astype(float)) for p in points])


def test_model_needs_enough_points_and_uses_the_top_15_percent() -> None:
    strategy = started()
    rng = np.random.default_rng(1)
    archs = rng.integers(0, 5, size=(100, 6))
    losses = rng.permutation(100).astype(float)
    feed(strategy, archs[:13], losses[:13], 1.0)
    assert strategy.model_budget() is None  # 7 good + 6 bad: the bad KDE needs d + 1 = 7 points
    feed(strategy, archs[13:14], losses[13:14], 1.0)
    assert strategy.model_budget() == 1.0
    feed(strategy, archs[14:], losses[14:], 1.0)
    good, bad = strategy._models[1.0]
    order = np.argsort(losses)
    assert len(good.data) == 15 and len(bad.data) == 85  # 15 % of 100, and the other 85 %
    assert sorted(map(tuple, good.data)) == sorted(map(tuple, archs[order[:15]]))


def test_largest_budget_with_a_model_wins_and_smaller_budgets_stop_recording() -> None:
    strategy = started()
    rng = np.random.default_rng(2)
    feed(strategy, rng.integers(0, 5, size=(20, 6)), rng.random(20), 1.0)
    feed(strategy, rng.integers(0, 5, size=(10, 6)), rng.random(10), 4.0)
    assert strategy.model_budget() == 1.0  # 10 points at budget 4 are not enough
    feed(strategy, rng.integers(0, 5, size=(4, 6)), rng.random(4), 4.0)
    assert strategy.model_budget() == 4.0
    before = len(strategy._configs[1.0])
    feed(strategy, rng.integers(0, 5, size=(5, 6)), rng.random(5), 1.0)
    assert len(strategy._configs[1.0]) == before  # HpBandSter ignores results below its largest model


@pytest.mark.parametrize("fraction", [0.0, 1 / 3, 1.0])
def test_random_fraction_is_honoured(fraction: float) -> None:
    strategy = started(random_fraction=fraction)
    rng = np.random.default_rng(3)
    feed(strategy, rng.integers(0, 5, size=(40, 6)), rng.random(40), 12.0)
    draws = 900
    for _ in range(draws):
        strategy.propose(1.0)
    expected = draws * (1 - fraction)
    assert abs(strategy.model_based_picks - expected) <= 4 * np.sqrt(draws * fraction * (1 - fraction)) + 1e-9


def test_model_based_proposals_follow_the_good_configurations() -> None:
    strategy = started(random_fraction=0.0)
    rng = np.random.default_rng(4)
    good = rng.integers(0, 5, size=(10, 6))
    good[:, 0] = 3  # the good configurations all put a 3x3 conv on edge 1<-0
    bad = rng.integers(0, 5, size=(50, 6))
    bad[:, 0] = rng.choice([0, 1, 2, 4], size=50)
    feed(strategy, np.vstack([good, bad]), np.r_[np.zeros(10), np.ones(50)], 12.0)
    proposals = np.array([strategy.propose(1.0) for _ in range(300)])
    assert np.mean(proposals[:, 0] == 3) > 0.9  # uniform sampling would give 0.2


def test_first_configurations_are_uniform_and_the_preset_is_the_nb201_scripts() -> None:
    strategy = Bohb(preset="nb201")
    assert (strategy.num_samples, strategy.random_fraction, strategy.bandwidth_factor,
            strategy.min_bandwidth, strategy.top_n_percent) == (4, 0.0, 3.0, 0.3, 15)
    assert Bohb(preset="nb201", num_samples=8).num_samples == 8
    default = Bohb()
    assert (default.num_samples, default.random_fraction, default.min_bandwidth) == (64, 1 / 3, 1e-3)
    with pytest.raises(NasbenchError, match="option preset"):
        Bohb(preset="naslib")
    with pytest.raises(NasbenchError, match="option random_fraction"):
        Bohb(random_fraction=1.5)
    fresh = started()
    assert fresh.propose(1.0) in SPACE._lookup and fresh.model_based_picks == 0


def test_bohb_runs_the_hyperband_schedule(curves: nasbench.Benchmark) -> None:
    bohb = run("bohb", curves, seed=3, max_evals=44).to_frame()
    hyperband = run("hyperband", curves, seed=3, max_evals=44).to_frame()
    assert bohb["fidelity"].tolist() == hyperband["fidelity"].tolist()
    assert bohb["row"].iloc[:9].tolist() == hyperband["row"].iloc[:9].tolist()  # no model yet: same samples


# --- Hyperband and BOHB beat random search at equal simulated time ---------------------------------
def final_regret(strategy: str, bench: nasbench.Benchmark, seeds: range, budget: float, **options) -> np.ndarray:
    traces = [run(strategy, bench, seed=s, max_time=budget, **options) for s in seeds]
    # (seed, [validation regret, test regret]) of the final incumbent
    return np.array([(validation_regret(t, bench)[-1], t.to_frame()["regret"].iloc[-1]) for t in traces])


UNITS = 100  # budget in median full-schedule trainings of the table


def budget_of(bench: nasbench.Benchmark) -> float:
    return UNITS * time_unit(bench)


_BOHB_DEFAULTS_ON_NB201 = pytest.mark.xfail(strict=True, reason=(
    "nb201-mnist1d: at one budget 30 seeds are too few for BOHB with HpBandSter's defaults (100 units: median "
    "0.0810 vs rs 0.0695 over seeds 0-29, 0.0765 vs 0.0810 over seeds 0-299 on the anytime curve); the "
    "anytime test below uses 300 seeds"))
_CASES = [(table, strategy, options) for table in ("mlp-mnist1d", "nb201-mnist1d")
          for strategy, options in (("hyperband", {}), ("bohb", {}), ("bohb", {"preset": "nb201"}))]


@pytest.mark.slow
@pytest.mark.parametrize("table, strategy, options", [
    pytest.param(*case, marks=_BOHB_DEFAULTS_ON_NB201) if case == ("nb201-mnist1d", "bohb", {}) else case
    for case in _CASES])
def test_beats_random_search_at_equal_time_over_30_seeds(strategy: str, options: dict, table: str) -> None:
    bench = nasbench.load(table)
    assert not bench.table.extra.get("partial", False)
    ours = final_regret(strategy, bench, range(30), budget_of(bench), **options)
    baseline = final_regret("rs", bench, range(30), budget_of(bench))
    assert np.median(ours[:, 1]) < np.median(baseline[:, 1])  # test regret of the incumbent: the criterion


_SEEDS = {"mlp-mnist1d": 100, "nb201-mnist1d": 300}  # nb201-mnist1d: the effect is small, see README


@pytest.mark.slow
@pytest.mark.parametrize("table", sorted(_SEEDS))
def test_beats_random_search_over_the_anytime_curve(table: str) -> None:
    """Median regret below rs at 10, 30 and 100 units, and for the log-time mean over 10-100 units."""
    bench = nasbench.load(table)
    assert not bench.table.extra.get("partial", False)
    entries = (("rs", "rs", {}), ("hyperband", "hyperband", {}), ("bohb", "bohb", {}),
               ("bohb preset=nb201", "bohb", {"preset": "nb201"}))
    unit = time_unit(bench)
    runs = pd.concat([runs_frame([run(strategy, bench, seed=s, max_time=100 * unit, **options)
                                  for s in range(_SEEDS[table])]).assign(strategy=label)
                      for label, strategy, options in entries], ignore_index=True)
    medians = regret_at(runs, np.array([10, 30, 100]) * unit).groupby("strategy").median()
    areas = log_time_mean(runs, 10 * unit, 100 * unit).groupby("strategy").median()
    for label, _, _ in entries[1:]:
        assert (medians.loc[label] < medians.loc["rs"]).all(), (label, medians)
        assert areas[label] < areas["rs"], (label, areas)


def test_beats_random_search_at_equal_time_reduced(curves: nasbench.Benchmark) -> None:
    """CI version on the synthetic fixture (effects measured over 160 seeds, see the notes)."""
    baseline = final_regret("rs", curves, range(40), budget_of(curves))[:, 1]
    for strategy, options, seeds in (("hyperband", {}, 40), ("bohb", {"preset": "nb201"}, 20)):
        ours = final_regret(strategy, curves, range(seeds), budget_of(curves), **options)[:, 1]
        assert np.median(ours) < np.median(baseline[:seeds]), strategy
