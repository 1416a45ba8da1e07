"""Final-regret statistics: paired Wilcoxon table, Friedman + Nemenyi, Holm, the regression gate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from nasbench.errors import NasbenchError
from nasbench.report.stats import (
    critical_difference,
    final_table,
    holm,
    nemenyi_q,
    paired_wilcoxon,
    rankable_groups,
    regression,
)

# q_0.05 for k = 2..10 as published (Demšar 2006; ../shared/reference/strategies.md)
Q_005 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]


def _final(values: dict[str, list[float]], benchmark: str = "b") -> pd.DataFrame:
    rows = [(benchmark, s, seed, v) for s, vs in values.items() for seed, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["benchmark", "strategy", "seed", "regret"])


def test_nemenyi_q_matches_the_published_table():
    for k, q in zip(range(2, 11), Q_005):
        assert nemenyi_q(k) == pytest.approx(q, abs=0.0015)


def test_critical_difference_formula_and_friedman_against_scipy():
    rng = np.random.default_rng(3)
    frames = [_final({s: list(rng.random(4) + shift) for s, shift in (("a", 0.0), ("b", 0.3), ("c", 0.6), ("d", 0.1))},
                     benchmark=f"bench{i}") for i in range(6)]
    final = pd.concat(frames)
    result = critical_difference(final)
    k, n = 4, 6
    assert result.critical_difference == pytest.approx(nemenyi_q(k) * math.sqrt(k * (k + 1) / (6 * n)))
    means = final.groupby(["benchmark", "strategy"]).regret.mean().unstack()
    expected = scipy_stats.friedmanchisquare(*(means[c] for c in means.columns))
    assert result.statistic == pytest.approx(expected.statistic) and result.p_value == pytest.approx(expected.pvalue)
    assert result.ranks.mean() == pytest.approx((k + 1) / 2)  # ranks of k items average (k+1)/2
    assert list(result.ranks.index)[0] == "a"


def test_ties_are_averaged_in_ranks():
    final = pd.concat([_final({"a": [0.1], "b": [0.1], "c": [0.3]}, benchmark=f"x{i}") for i in range(3)])
    assert critical_difference(final).ranks.to_dict() == {"a": 1.5, "b": 1.5, "c": 3.0}


def test_cliques_join_strategies_closer_than_the_cd():
    final = pd.concat([_final({"a": [0.0], "b": [0.1], "c": [0.2]}, benchmark=f"x{i}") for i in range(2)])
    result = critical_difference(final)
    assert result.critical_difference > 2  # N = 2 benchmarks cannot separate anything
    assert result.groups() == [("a", "b", "c")]


def test_strategies_that_ran_on_fewer_benchmarks_leave_the_shared_ranking_whole():
    shared = [_final({"a": [0.1], "b": [0.2]}, benchmark=f"x{i}") for i in range(5)]
    extra = [_final({"a": [0.1], "b": [0.2], "c": [0.0]}, benchmark=f"y{i}") for i in range(3)]
    final = pd.concat([*shared, *extra])
    assert critical_difference(final).n_blocks == 3  # every strategy: only where c ran
    assert critical_difference(final, strategies=["a", "b"]).n_blocks == 8
    assert rankable_groups(final) == [(("a", "b"), tuple(f"{p}{i}" for p, n in (("x", 5), ("y", 3)) for i in range(n))),
                                      (("a", "b", "c"), ("y0", "y1", "y2"))]


def test_critical_difference_needs_two_strategies():
    with pytest.raises(NasbenchError, match="two strategies"):
        critical_difference(_final({"a": [0.1, 0.2]}))


def test_final_table_uses_paired_wilcoxon_by_seed():
    rng = np.random.default_rng(0)
    rs = rng.random(12)
    rea = rs - 0.05 - 0.01 * rng.random(12)
    other = rs + 0.01 * rng.standard_normal(12)
    table = final_table(_final({"rs": list(rs), "rea": list(rea), "other": list(other)})).set_index("strategy")
    assert table.loc["rea", "best"] and not table.loc["rs", "best"]
    assert table.loc["rs", "p_vs_best"] == pytest.approx(scipy_stats.wilcoxon(rs, rea).pvalue)
    assert table.loc["other", "p_vs_baseline"] == pytest.approx(scipy_stats.wilcoxon(other, rs).pvalue)
    assert math.isnan(table.loc["rs", "p_vs_baseline"]) and math.isnan(table.loc["rea", "p_vs_best"])
    assert table.loc["rs", "se"] == pytest.approx(scipy_stats.sem(rs))


def test_paired_wilcoxon_pairs_by_seed_not_position():
    first = pd.Series([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], index=[0, 1, 2, 3, 4, 5])
    assert paired_wilcoxon(first, first.iloc[::-1]) == 1.0
    assert math.isnan(paired_wilcoxon(first.iloc[:1], first.iloc[:1]))


def test_holm_against_hand_computed_values():
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]


def test_regression_flags_only_the_strategy_that_got_worse():
    rng = np.random.default_rng(1)
    old = _final({"rea": list(rng.random(20) * 0.1), "rs": list(rng.random(20) * 0.1)})
    new = old.copy()
    new.loc[new["strategy"] == "rs", "regret"] += 0.2
    table = regression(old, new).set_index("strategy")
    assert table.loc["rs", "worse"] and not table.loc["rea", "worse"]
    assert table.loc["rea", "p_value"] == 1.0  # identical samples
    expected = scipy_stats.mannwhitneyu(new[new.strategy == "rs"].regret, old[old.strategy == "rs"].regret,
                                        alternative="greater", method="exact").pvalue  # 40 values, no ties
    assert table.loc["rs", "p_holm"] == pytest.approx(min(1.0, 2 * expected))


def test_regression_does_not_flag_an_improvement():
    old = _final({"rs": list(np.linspace(0.1, 0.3, 15))})
    assert not regression(old, old.assign(regret=old.regret - 0.1))["worse"].any()


def test_regression_needs_every_baseline_cell():
    old = _final({"rs": [0.1, 0.2], "rea": [0.1, 0.2]})
    with pytest.raises(NasbenchError, match="lacks rea"):
        regression(old, old[old.strategy == "rs"])


def test_nemenyi_is_read_only_after_friedman_rejects():
    import matplotlib.pyplot as plt

    from nasbench.report.figures import plot_critical_difference

    clear = pd.concat([_final({"a": [0.0], "b": [0.1], "c": [0.2]}, benchmark=f"x{i}") for i in range(6)])
    mixed = pd.concat([_final({"a": [0.0], "b": [0.1], "c": [0.2]}, benchmark="x0"),
                       _final({"a": [0.2], "b": [0.0], "c": [0.1]}, benchmark="x1"),
                       _final({"a": [0.1], "b": [0.2], "c": [0.0]}, benchmark="x2")])
    for final, applies in ((clear, True), (mixed, False)):
        result = critical_difference(final)
        assert result.post_hoc_applies is applies and (result.p_value < result.alpha) is applies
        figure, ax = plt.subplots()
        plot_critical_difference(result, ax)
        bars = [c for c in ax.collections if np.allclose(c.get_colors()[0][:3], (0.839, 0.153, 0.157), atol=0.01)]
        assert bool(bars) is applies and ("does not apply" in ax.get_title()) is not applies
        plt.close(figure)
