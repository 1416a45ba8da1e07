"""ASHA driven by the multivariate TPE [asha-tpe]: ASHA's promotions, uniform start-up, the model's
observations ranked as Optuna's TPE ranks the trials of a pruned study (highest rung reached, then
score; running trials above) or BOHB's highest rung; not worse than Optuna's TPE +
SuccessiveHalvingPruner at equal simulated time (the 30-seed comparison is the slow test)."""

from __future__ import annotations

import numpy as np
import pytest

import nasbench
from nasbench.errors import NasbenchError
from nasbench.simulate import Result, SearchContext, run
from nasbench.spaces.nb201 import Nb201Space
from nasbench.strategies.asha_tpe import AshaTpe
from nasbench.study import time_unit, validation_regret

OPTUNA_SHA = "optuna:TPESampler+SuccessiveHalvingPruner"


def started(**options) -> AshaTpe:
    strategy = AshaTpe(**options)
    context = SearchContext(tuple(float(e) for e in range(1, 10)), "epochs", 1, None, 1e9, "valid_accuracy")
    strategy.reset(Nb201Space(), np.random.default_rng(0), context)
    return strategy


def test_defaults_and_options() -> None:
    strategy = AshaTpe()
    assert (strategy.eta, strategy.resume, strategy.observations, strategy.n_startup, strategy.n_candidates,
            strategy.prior_weight) == (3, True, "trials", 10, 24, 1.0)
    with pytest.raises(NasbenchError, match="option observations"):
        AshaTpe(observations="all")
    with pytest.raises(NasbenchError, match="option n_startup"):
        AshaTpe(n_startup=0)


def test_start_up_is_ashas_uniform_sampling() -> None:
    """Until ten trials have a result the jobs are those of ``asha`` with the same seed."""
    ours = run("asha-tpe", "mlp-mnist1d", seed=4, max_evals=12).to_frame()
    asha = run("asha", "mlp-mnist1d", seed=4, max_evals=12, resume=True).to_frame()
    assert ours["row"].iloc[:10].tolist() == asha["row"].iloc[:10].tolist()
    assert ours["fidelity"].tolist() == asha["fidelity"].tolist()[:len(ours)]


def test_trials_rank_by_rung_then_score_and_running_ones_are_above() -> None:
    strategy = started()
    jobs = [strategy.ask() for _ in range(12)]  # twelve new trials at rung 0 (epoch 1)
    for position, job in enumerate(jobs[:11]):
        strategy.tell(job, Result(job, 0.1 + 0.01 * position, 1.0))  # trial 10 best at rung 0
    promoted = strategy.ask()  # ASHA promotes the best of rung 0 (trial 10) to rung 1
    assert promoted.tag == 10 and promoted.fidelity == 3.0
    strategy.tell(promoted, Result(promoted, 0.05, 1.0))  # worse at epoch 3 than any epoch-1 score
    in_flight = strategy.ask()  # the next promotion: trial 9, now running like trial 11
    below, above = strategy._trial_split()
    # ten trials told and not running, gamma(10) = 1: trial 10 (the deepest, despite its score) alone below
    assert in_flight.tag == 9 and below.tolist() == [list(strategy._trials[10])]
    assert sorted(map(tuple, above.tolist())) == sorted(strategy._trials[t] for t in range(12) if t != 10)


def test_rung_observations_use_the_highest_rung_with_enough_results() -> None:
    strategy = started(observations="rung", n_startup=3)
    jobs = [strategy.ask() for _ in range(3)]
    for position, job in enumerate(jobs):
        strategy.tell(job, Result(job, position, 1.0))
    below, above = strategy._rung_split()
    assert below.tolist() == [list(strategy._trials[2])] and len(above) == 2


def test_the_model_concentrates_on_good_genes() -> None:
    """Score 1 where gene 0 takes value 3: after 60 trials most proposals have it (uniform: 1/5)."""
    strategy = started()
    for _ in range(60):
        job = strategy.ask()
        strategy.tell(job, Result(job, float(job.arch[0] == 3), 1.0))
    assert np.mean([strategy.propose()[0] == 3 for _ in range(100)]) > 0.4


def regrets(strategy: str, table: str, seeds: range, units: tuple[float, ...]) -> np.ndarray:
    """(budget, seed, [validation regret, test regret]) of the incumbent at each budget in ``units``."""
    bench = nasbench.load(table)
    unit = time_unit(bench)
    out = []
    for seed in seeds:
        trace = run(strategy, bench, seed=seed, max_time=max(units) * unit)
        frame = trace.to_frame().assign(valid_regret=validation_regret(trace, bench))
        cuts = np.searchsorted(frame["end"], np.asarray(units) * unit, side="right") - 1
        out.append(frame[["valid_regret", "regret"]].to_numpy()[cuts])
    return np.asarray(out).transpose(1, 0, 2)


def not_worse(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """One-sided Mann-Whitney: no evidence (p > 0.05) that our regrets are larger."""
    from scipy.stats import mannwhitneyu

    return bool(mannwhitneyu(ours, theirs, alternative="greater").pvalue > 0.05)


def test_reduced_not_worse_than_optunas_tpe_with_successive_halving() -> None:
    """15 seeds at 30 units on ``mlp-mnist1d`` (``asha``, sampling uniformly, fails it: p 0.002)."""
    pytest.importorskip("optuna")
    ours = regrets("asha-tpe", "mlp-mnist1d", range(15), (30,))
    theirs = regrets(OPTUNA_SHA, "mlp-mnist1d", range(15), (30,))
    assert all(not_worse(ours[0, :, k], theirs[0, :, k]) for k in (0, 1)), (ours.mean(1), theirs.mean(1))


@pytest.mark.slow
@pytest.mark.parametrize("table", ["mlp-mnist1d", "nb201-mnist1d"])
def test_not_worse_than_optunas_tpe_with_successive_halving(table: str) -> None:
    """30 seeds, 30 and 100 units: validation and test regret of the incumbent against Optuna 5's
    TPESampler + SuccessiveHalvingPruner on the same table and clock (reports/multifidelity/README.md)."""
    pytest.importorskip("optuna")
    units = (30, 100)
    ours = regrets("asha-tpe", table, range(30), units)
    theirs = regrets(OPTUNA_SHA, table, range(30), units)
    for budget, unit in enumerate(units):
        for k, split in enumerate(("valid", "test")):
            assert not_worse(ours[budget, :, k], theirs[budget, :, k]), \
                (unit, split, ours[budget, :, k].mean(), theirs[budget, :, k].mean())
