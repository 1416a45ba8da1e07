"""Prior tasks in a run: the views, the strategies that use them, the checks, the negative control."""

from __future__ import annotations

import dataclasses
import gc
import json

import numpy as np
import pytest

import nasbench
from nasbench.benchmark import Benchmark
from nasbench.errors import NasbenchError
from nasbench.simulate import run
from nasbench.strategies._transfer import greedy_portfolio
from nasbench.study import Entry, RunSpec, labels, plan
from nasbench.table import Table
from nasbench.transfer import PriorTask, prior_tasks

TARGET = "nbgraph-cora"
PRIORS = ("nbgraph-citeseer", "nbgraph-pubmed")
WARM = ("rea", "ls", "tpe", "gp-bo", "bananas")


def test_a_view_holds_the_priors_validation_metric_and_nothing_else() -> None:
    target = nasbench.load(TARGET)
    views = prior_tasks(target, PRIORS, seed=0)
    assert [field.name for field in dataclasses.fields(PriorTask)] == ["name", "space", "metric", "values",
                                                                       "higher_is_better"]
    for view, name in zip(views, PRIORS):
        prior = nasbench.load(name)
        assert view.metric == prior.search_metric == "valid_accuracy"
        np.testing.assert_array_equal(view.values, prior.final("valid_accuracy"))
        assert not np.array_equal(view.values, prior.final("test_accuracy"), equal_nan=True)
        assert not np.array_equal(view.values, target.final("valid_accuracy"), equal_nan=True)
        assert not view.values.flags.writeable and not view.oriented().flags.writeable
        with pytest.raises(ValueError):
            view.values[0] = 1.0
        # the view holds plain values only: no table, benchmark or file behind it (no way to a test metric)
        assert all(type(value) in (str, bool, np.ndarray) for value in vars(view).values())
        assert view.values.base is None and view.values.dtype == np.float64
        assert not any(isinstance(o, (Benchmark, Table)) for o in gc.get_referents(*vars(view).values()))


def _forbid_test_reads(monkeypatch: pytest.MonkeyPatch, target: str) -> list[str]:
    """Make every read of a test metric, or of any metric of a table other than ``target`` after the
    views are built, raise; returns the log of the reads seen."""
    seen: list[str] = []
    final, values = Benchmark.final, Benchmark.metric_values

    def guarded(method):
        def read(self: Benchmark, metric: str):
            seen.append(f"{self.name}:{metric}")
            if self.name != target and self.metric_info(metric).split.value == "test":
                raise AssertionError(f"a test metric of prior {self.name} was read")
            return method(self, metric)
        return read

    monkeypatch.setattr(Benchmark, "final", guarded(final))
    monkeypatch.setattr(Benchmark, "metric_values", guarded(values))
    return seen


@pytest.mark.parametrize(("strategy", "options"), [("zeroshot", {}), ("box", {}), ("rgpe", {"n_prior": 10})]
                         + [(name, {"warm_start": 3}) for name in WARM])
def test_no_strategy_reads_a_test_metric_or_the_target_through_the_priors(
        strategy: str, options: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from nasbench import transfer

    transfer._load.cache_clear()
    seen = _forbid_test_reads(monkeypatch, TARGET)
    contexts = []
    cls = nasbench.strategy_registry()[strategy]
    start = cls.start

    def spy(self) -> None:
        contexts.append(self.context)
        start(self)

    monkeypatch.setattr(cls, "start", spy)
    run(strategy, TARGET, seed=1, max_evals=6, transfer_from=PRIORS, **options)
    (context,) = contexts
    assert [prior.name for prior in context.priors] == list(PRIORS)
    assert all(isinstance(prior, PriorTask) for prior in context.priors)
    # the priors' own reads are their validation metric only
    assert {read for read in seen if not read.startswith(TARGET)} == {f"{p}:valid_accuracy" for p in PRIORS}


def test_the_target_and_unrelated_tasks_are_refused_before_anything_runs(tmp_path) -> None:
    for names, message in [((TARGET,), "cannot be its own prior"), (("shuffled:" + TARGET,), "cannot be its own"),
                           (("nope",), "unknown prior task"), (("mlp-mnist1d",), "does not map into"),
                           (PRIORS + PRIORS[:1], "twice"), ("nbgraph-citeseer", "sequence of table names")]:
        with pytest.raises(NasbenchError, match=message):
            run("zeroshot", TARGET, seed=0, max_evals=5, transfer_from=names)
    with pytest.raises(NasbenchError, match="warm_start=8 of strategy rea exceeds the budget of 5"):
        run("rea", TARGET, seed=0, max_evals=5, warm_start=8, transfer_from=PRIORS)
    for strategy, options in [("zeroshot", {}), ("rea", {"warm_start": 2})]:
        with pytest.raises(NasbenchError, match="needs prior tasks"):
            run(strategy, TARGET, seed=0, max_evals=5, **options)
    with pytest.raises(NasbenchError, match="transfers from prior tasks; name them"):
        plan([TARGET], ["zeroshot"], seeds=1, max_evals=5)
    with pytest.raises(NasbenchError, match="cannot be its own prior"):
        plan([TARGET, "nbgraph-citeseer"], ["zeroshot"], seeds=1, max_evals=5, transfer_from=["nbgraph-citeseer"])


def test_compare_refuses_bad_priors_with_exit_2_and_writes_nothing(tmp_path) -> None:
    from nasbench.cli import main

    out = tmp_path / "report"
    assert main(["compare", "--benchmarks", TARGET, "--strategies", "zeroshot", "--seeds", "1", "--evals", "3",
                 "--transfer-from", TARGET, "--out", str(out), "--no-progress"]) == 2
    assert not out.exists()


def test_proteins_maps_into_nbgraph_and_back() -> None:
    cora, proteins = nasbench.load(TARGET), nasbench.load("nbgraph-proteins")
    (into,) = prior_tasks(cora, ("nbgraph-proteins",), seed=0)
    covered = ~np.isnan(into.values)
    assert covered.sum() == proteins.n_archs == 2021
    rows = {text: row for row, text in enumerate(proteins.archs.tolist())}
    for row in np.flatnonzero(covered)[:50]:
        assert into.values[row] == proteins.final(proteins.search_metric)[rows[cora.archs[row]]]
    (back,) = prior_tasks(proteins, (TARGET,), seed=0)
    assert not np.isnan(back.values).any()


def test_the_shuffled_control_permutes_the_rows_by_the_run_seed() -> None:
    target = nasbench.load(TARGET)
    (real,) = prior_tasks(target, PRIORS[:1], seed=0)
    (shuffled,) = prior_tasks(target, ("shuffled:" + PRIORS[0],), seed=0)
    (again,) = prior_tasks(target, ("shuffled:" + PRIORS[0],), seed=0)
    (other,) = prior_tasks(target, ("shuffled:" + PRIORS[0],), seed=1)
    np.testing.assert_array_equal(np.sort(shuffled.values), np.sort(real.values))
    np.testing.assert_array_equal(shuffled.values, again.values)
    assert not np.array_equal(shuffled.values, real.values) and not np.array_equal(shuffled.values, other.values)
    assert abs(np.corrcoef(shuffled.values, real.values)[0, 1]) < 0.05


def _reference_portfolio(scores: np.ndarray, size: int) -> list[int]:
    """syne-tune's ZeroShotTransfer loop on integer ranks (1 = best), for data without ties."""
    ranks = (-scores).argsort(axis=1).argsort(axis=1) + 1
    remaining = list(range(scores.shape[1]))
    current = ranks.astype(np.int64)
    chosen = []
    for _ in range(size):
        means = current[:, remaining].mean(axis=0)
        best = remaining[int(np.argmin(means))]
        chosen.append(best)
        current = np.minimum(current, current[:, [best]])
        remaining.remove(best)
        if remaining and (current[:, remaining].std(axis=1) == 0).all():
            sub = scores[:, remaining]
            current = np.zeros_like(current)
            current[:, remaining] = (-sub).argsort(axis=1).argsort(axis=1) + 1
    return chosen


def test_the_greedy_portfolio_is_syne_tunes_on_full_coverage() -> None:
    rng = np.random.default_rng(3)
    for tasks, configs in [(2, 40), (3, 25), (5, 60)]:
        scores = rng.random((tasks, configs))
        assert greedy_portfolio(scores, configs) == _reference_portfolio(scores, configs)


@pytest.mark.parametrize("strategy", WARM)
def test_warm_start_asks_the_portfolio_first(strategy: str) -> None:
    target = nasbench.load(TARGET)
    scores = np.stack([p.oriented() for p in prior_tasks(target, PRIORS, seed=0)])
    expected = greedy_portfolio(scores, 4)
    trace = run(strategy, TARGET, seed=2, max_evals=8, warm_start=4, transfer_from=PRIORS)
    assert trace.columns["row"][:4].tolist() == expected
    zeroshot = run("zeroshot", TARGET, seed=5, max_evals=4, transfer_from=PRIORS)
    assert zeroshot.columns["row"].tolist() == expected
    assert zeroshot.meta.transfer_from == PRIORS


def test_leave_one_out_plans_priors_for_the_entries_that_use_them() -> None:
    family = ["nbgraph-cora", "nbgraph-citeseer", "nbgraph-proteins"]
    specs = plan(family, entries=[Entry("rs"), Entry("zeroshot"), Entry("rea", {"warm_start": 2}),
                                  Entry("zeroshot", shuffled=True)], seeds=1, max_evals=5, leave_one_out=True)
    by = {(s.benchmark, s.strategy, s.options, s.transfer_from.startswith("shuffled:")): s for s in specs}
    assert by[("nbgraph-cora", "rs", "{}", False)].priors() == ()
    assert by[("nbgraph-cora", "zeroshot", "{}", False)].priors() == ("nbgraph-citeseer", "nbgraph-proteins")
    assert by[("nbgraph-proteins", "rea", '{"warm_start": 2}', False)].priors() == ("nbgraph-cora", "nbgraph-citeseer")
    assert by[("nbgraph-cora", "zeroshot", "{}", True)].priors() == ("shuffled:nbgraph-citeseer",
                                                                     "shuffled:nbgraph-proteins")
    assert "zeroshot (shuffled priors)" in labels(specs)
    assert len({spec.key() for spec in specs}) == len(specs)
    assert plan(["nbgraph-c*"], ["rs"], seeds=1, max_evals=3)[0].benchmark == "nbgraph-citeseer"


def test_a_study_record_without_priors_reads_as_before() -> None:
    old = {"benchmark": TARGET, "strategy": "rs", "seed": 0, "options": "{}", "max_evals": 5, "max_time": None,
           "workers": 1, "checksum": "", "time_units": None}
    spec = RunSpec(**json.loads(json.dumps(old)))
    assert spec.transfer_from == "" and spec.key() == f"{TARGET}|rs|{{}}|0"


def test_a_study_without_named_strategies_leaves_the_transfer_ones_out() -> None:
    specs = plan(["nbgraph-cora"], seeds=1, max_evals=3)
    strategies = {spec.strategy for spec in specs}
    assert "rs" in strategies and not strategies & {"zeroshot", "box", "rgpe"}
    assert all(spec.transfer_from == "" for spec in specs)
