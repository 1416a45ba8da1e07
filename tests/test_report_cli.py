"""``nasbench compare``: the report it writes, the regression gate, bad input."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import nasbench.simulate as simulate
from nasbench.benchmark import load
from nasbench.cli import main
from nasbench.report.anytime import aggregate, anytime, final, runs_frame
from nasbench.report.figures import plot_anytime, plot_ecdf
from nasbench.report.html import markdown_table, write_report
from nasbench.study import RunSpec, StudyFile, record_of, validation_regret

# unit-cost tables and two benchmarks: no time figure (it would repeat the evaluations one), no CD diagram
FIGURES = {"anytime_evaluations.png", "ranks.png", "ecdf.png", "performance_profile.png"}


@pytest.fixture(scope="module")
def traces():
    return [simulate.run(s, b, seed=i, max_evals=15) for b in ("nbgraph-cora", "nbgraph-citeseer")
            for s in ("rs", "rea") for i in range(4)]


def test_write_report_embeds_every_figure_and_table(tmp_path, traces):
    paths = write_report(tmp_path, runs_frame(traces), [t.meta for t in traces], statistic="mean", command="x")
    assert {p.name for p in paths} == FIGURES | {"report.md", "index.html", "report.tex"}
    markdown = (tmp_path / "report.md").read_text()
    page = (tmp_path / "index.html").read_text()
    for figure in FIGURES:
        assert f"({figure})" in markdown and f"src='{figure}'" in page
        assert (tmp_path / figure).read_bytes()[:4] == b"\x89PNG"
    assert "| nbgraph-cora | rea |" in markdown and "mean ± standard error" in markdown
    # statistics first: IQM with its interval, an effect size and the seeds needed beside every p-value
    for column in ("iqm_low", "iqm_high", "a12_vs_best", "seeds_vs_best", "a12_vs_baseline", "p_improve_low"):
        assert f" {column} |" in markdown and f"<th>{column}</th>" in page, column
    assert traces[0].meta.checksum in markdown and "0..3" in markdown  # provenance: checksum and seeds
    assert "15 evaluations per run; 1 simulated worker; cost: unit" in markdown and "[15]" not in markdown
    assert "simulated time is the number of evaluations" in markdown
    assert "Not drawn: the diagram ranks strategies across benchmarks, and this study has 2 benchmarks" in page


def test_figures_are_step_functions_on_log_axes(traces):
    runs = runs_frame(traces)
    figure, (left, right) = plt.subplots(1, 2)
    ax = plot_anytime(aggregate(anytime(runs)), left, benchmark="nbgraph-cora")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "symlog"
    assert {line.get_drawstyle() for line in ax.get_lines()} == {"steps-post"}
    assert sorted(line.get_label() for line in ax.get_lines()) == ["rea", "rs"]
    plot_ecdf(final(runs), right, benchmark="nbgraph-cora")
    assert right.get_lines()[0].get_ydata()[-1] == 1.0
    plt.close(figure)


def test_markdown_table_escapes_and_formats():
    import pandas as pd

    text = markdown_table(pd.DataFrame({"name": ["a|b"], "p": [float("nan")]}))
    assert text.splitlines()[2] == "| a\\|b | – |"


def test_compare_writes_study_and_report(tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "rea", "--seeds", "3",
                 "--evals", "12", "--jobs", "1", "--out", str(out), "--no-progress", "--option",
                 "rea.population_size=4"])
    assert code == 0
    study = StudyFile.read(out / "study.jsonl")
    assert len(study.records) == 6
    assert all('"population_size": 4' in r["meta"]["options"] for r in study.records.values()
               if r["spec"]["strategy"] == "rea")
    assert "6 runs" in capsys.readouterr().out and (out / "index.html").exists()


@pytest.mark.parametrize("argv, message", [
    (["--benchmarks", "nbgraph-nowhere"], "unknown benchmark"),
    (["--strategies", "rs", "simulated-annealing"], "unknown strategy 'simulated-annealing'"),
    (["--option", "rea.population_size=-1"], "population_size"),
    (["--option", "rea"], "STRATEGY.KEY=VALUE"),
    (["--seeds", "0"], "seeds"),
    (["--evals", "0"], "evaluation budget"),
    (["--address", "1.2.3.4:6379"], "--executor ray"),
])
def test_bad_input_fails_before_any_run(tmp_path, capsys, argv, message):
    out = tmp_path / "r"
    assert main(["compare", "--out", str(out), "--no-progress", "--seeds", "2", "--evals", "5", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["file", "unmakeable", "inside a file"])
def test_an_out_that_cannot_be_a_directory_is_one_sentence(tmp_path, capsys, kind):
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    out = {"file": existing, "unmakeable": Path("/proc/x"), "inside a file": existing / "r"}[kind]
    code = main(["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "--seeds", "1", "--evals", "3",
                 "--jobs", "1", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert ("is an existing file" if kind == "file" else "cannot create the report directory") in err
    assert existing.read_text() == "keep me"


def test_foreign_baseline_is_a_clear_error(tmp_path, capsys):
    foreign = tmp_path / "trace.csv"
    simulate.run("rs", "nbgraph-cora", seed=0, max_evals=5).save(foreign)
    assert main(["compare", "--baseline", str(foreign), "--out", str(tmp_path / "r")]) == 2
    assert "is not a nasbench study file" in capsys.readouterr().err


def _baseline(path: Path, *, better_rs: bool, seeds: int = 15, max_evals: int = 20) -> None:
    """A baseline study of rs and rea. With ``better_rs`` the rs runs are doctored to end on the
    test optimum (regret 0), as if rs had been better when the baseline was made; rea's are genuine."""
    bench = load("nbgraph-cora")
    study = StudyFile.open_or_create(path, max_evals=max_evals, max_time=None, workers=1)
    for strategy in ("rs", "rea"):
        for seed in range(seeds):
            spec = RunSpec("nbgraph-cora", strategy, seed, "{}", max_evals, None, 1, bench.checksum)
            trace = simulate.run(strategy, bench, seed=seed, max_evals=max_evals)
            if better_rs and strategy == "rs":
                trace.columns["incumbent_test"][:] = trace.meta.test_optimum
            study.append(record_of(spec, trace, validation_regret(trace, bench)))


def test_regression_gate_names_the_strategy_that_got_worse(tmp_path, capsys):
    _baseline(tmp_path / "base" / "study.jsonl", better_rs=True)
    code = main(["compare", "--baseline", str(tmp_path / "base"), "--out", str(tmp_path / "new"),
                 "--jobs", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    assert "regression: rs on nbgraph-cora" in err and "rea on" not in err
    assert "Mann-Whitney" in (tmp_path / "new" / "regression.md").read_text()


def test_regression_gate_passes_an_unchanged_rerun(tmp_path, capsys):
    _baseline(tmp_path / "base.jsonl", better_rs=False, seeds=5)
    code = main(["compare", "--baseline", str(tmp_path / "base.jsonl"), "--out", str(tmp_path / "new"),
                 "--jobs", "1", "--no-progress"])
    assert code == 0 and "no regression" in capsys.readouterr().out
    rerun = StudyFile.read(tmp_path / "new" / "study.jsonl").records
    assert rerun == StudyFile.read(tmp_path / "base.jsonl").records  # the same grid gives the same traces


def test_baseline_grid_cannot_be_changed(tmp_path, capsys):
    _baseline(tmp_path / "base.jsonl", better_rs=False, seeds=1)
    assert main(["compare", "--baseline", str(tmp_path / "base.jsonl"), "--evals", "7"]) == 2
    assert "reruns the baseline's own grid" in capsys.readouterr().err
