"""Streaming studies: summaries that give the same report as full traces, old study files, provenance,
statistics with explicit methods and intervals."""

from __future__ import annotations

import hashlib
import json
import math
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from nasbench.cli import main
from nasbench.report.anytime import RunSteps, aggregate, anytime, final, runs_frame, steps_frame
from nasbench.report.ranks import average_rank
from nasbench.report.robust import a12, iqm_interval, seeds_needed
from nasbench.report.stats import paired_wilcoxon, regression
from nasbench.study import STUDY_MAGIC, StudyFile, labels, plan, record_to_run, run_grid, version_differences


def _steps(study: StudyFile, specs) -> pd.DataFrame:
    runs = study.summaries_of(specs)
    return steps_frame([RunSteps(r.spec.benchmark, label, r.spec.seed, r.steps["evaluation"], r.steps["time"],
                                 r.steps["regret"], r.steps["valid_regret"])
                        for r, label in zip(runs, labels([r.spec for r in runs]))])


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    specs = plan(["nbgraph-cora", "mlp-mnist1d"], ["rs", "rea"], seeds=4, max_evals=40, workers=2)
    path = tmp_path_factory.mktemp("study") / "study.jsonl"
    return specs, run_grid(specs, path, jobs=1, progress=False)


def test_summaries_give_the_curves_ranks_and_finals_of_the_full_traces(small_study):
    specs, study = small_study
    runs = study.runs(specs)
    full = runs_frame([r.trace for r in runs], [r.valid_regret for r in runs], labels=labels(specs))
    steps = _steps(study, specs)
    assert len(steps) < len(full)  # only the incumbent's steps are kept
    pd.testing.assert_frame_equal(final(steps), final(full))
    for x in ("time", "evaluations"):
        pd.testing.assert_frame_equal(anytime(steps, x=x), anytime(full, x=x))
        pd.testing.assert_frame_equal(aggregate(anytime(steps, x=x)), aggregate(anytime(full, x=x)))
        pd.testing.assert_frame_equal(average_rank(anytime(steps, x=x)), average_rank(anytime(full, x=x)))


def test_the_coordinator_holds_summaries_not_traces(small_study):
    _, study = small_study
    assert not hasattr(study, "_records") and all(not hasattr(s, "trace") for s in study.summaries.values())
    reread = StudyFile.read(study.path)
    assert [s.to_json() for s in reread.summaries.values()] == [s.to_json() for s in study.summaries.values()]


def _format_1_copy(study: StudyFile, path) -> None:
    """The study as nasbench wrote it before summaries: header format 1, each body the record alone."""
    header = {k: v for k, v in study.header.items() if k not in ("libraries", "format")}
    lines = [f"{STUDY_MAGIC} 1 {json.dumps({'format': 1, **header}, sort_keys=True)}"]
    for record in study.iter_records():
        body = json.dumps(record, sort_keys=True, separators=(",", ":"))
        lines.append(f"{hashlib.sha256(body.encode()).hexdigest()} {body}")
    path.write_text("\n".join(lines) + "\n")


def test_a_format_1_study_still_loads_resumes_in_its_format_and_reports(small_study, tmp_path):
    specs, study = small_study
    old = tmp_path / "old.jsonl"
    _format_1_copy(study, old)
    loaded = StudyFile.read(old)
    assert loaded.format == 1 and [s.to_json() for s in loaded.summaries.values()] == \
        [s.to_json() for s in study.summaries.values()]
    more = plan(["nbgraph-cora", "mlp-mnist1d"], ["rs", "rea"], seeds=5, max_evals=40, workers=2)
    resumed = run_grid(more, old, jobs=1, progress=False)
    assert len(resumed.summaries) == len(more) and b"\t" not in old.read_bytes()  # appended as format 1
    assert record_to_run(next(resumed.iter_records())).trace.meta.seed == 0


def test_a_future_format_is_refused_clearly(tmp_path):
    path = tmp_path / "study.jsonl"
    path.write_text(f"{STUDY_MAGIC} 3 {{}}\n")
    with pytest.raises(Exception, match="format 3; this nasbench reads formats 1, 2"):
        StudyFile.read(path)


def test_every_study_records_library_versions_and_the_gate_warns_on_a_difference(tmp_path, capsys):
    base = tmp_path / "base"
    assert main(["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "--seeds", "3", "--evals", "10",
                 "--jobs", "1", "--no-progress", "--out", str(base)]) == 0
    header = StudyFile.read(base / "study.jsonl").header
    assert set(header["libraries"]) == {"numpy", "scipy", "torch", "pandas", "h5py", "python", "platform"}
    assert header["libraries"]["numpy"] == np.__version__
    assert "numpy " + np.__version__ in (base / "report.md").read_text()
    capsys.readouterr()
    assert main(["compare", "--baseline", str(base), "--jobs", "1", "--no-progress", "--out", str(tmp_path / "a")]) == 0
    assert "other library versions" not in capsys.readouterr().err
    lines = (base / "study.jsonl").read_text().split("\n")
    header["libraries"]["numpy"] = "1.0.0"
    lines[0] = f"{STUDY_MAGIC} 2 {json.dumps(header, sort_keys=True)}"
    (base / "study.jsonl").write_text("\n".join(lines))
    assert main(["compare", "--baseline", str(base), "--jobs", "1", "--no-progress", "--out", str(tmp_path / "b")]) == 0
    assert f"numpy 1.0.0 (now {np.__version__})" in capsys.readouterr().err
    assert version_differences({}) == ["no library versions recorded (a format 1 study)"]


def test_paired_wilcoxon_with_ties_uses_the_normal_approximation_not_a_permutation_test():
    rng = np.random.default_rng(0)
    first = pd.Series(np.round(rng.random(12), 1))  # ties, and 12 pairs: scipy's "auto" permutes here
    second = pd.Series(np.round(rng.random(12), 1))
    expected = scipy_stats.wilcoxon(first, second, zero_method="wilcox", method="approx").pvalue
    start = time.perf_counter()
    assert paired_wilcoxon(first, second) == pytest.approx(expected)
    assert time.perf_counter() - start < 0.2


def test_effect_size_interval_and_seeds_needed():
    assert a12([0.1, 0.1], [0.1, 0.1]) == 0.5 and a12([1.0, 2.0], [0.0, 0.5]) == 0.0
    low_n, high_n = seeds_needed(0.6), seeds_needed(0.9)
    assert high_n < low_n and seeds_needed(0.4) == low_n  # symmetric; a larger effect needs fewer seeds
    iqm, low, high = iqm_interval([np.arange(100.0)])
    assert iqm == pytest.approx(scipy_stats.trim_mean(np.arange(100.0), 0.25)) and low < iqm < high
    assert iqm_interval([[3.0], [3.0]]) == (3.0, 3.0, 3.0)


def test_regression_reports_effect_and_seeds_beside_p():
    old = pd.DataFrame({"benchmark": "b", "strategy": "s", "seed": range(10), "regret": np.linspace(0, 1, 10)})
    table = regression(old, old.assign(regret=old["regret"] + 0.5))
    assert table.loc[0, "a12"] < 0.5 and 1 <= table.loc[0, "seeds_needed"] < 100
    assert not math.isnan(table.loc[0, "p_value"])
