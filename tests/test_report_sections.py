"""Report sections in a registry, the figures' readability, the presets, and the report's purity."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest
from conftest import REPO

import nasbench.simulate as simulate
from nasbench.errors import NasbenchError
from nasbench.report.anytime import aggregate, anytime, runs_frame
from nasbench.report.figures import plot_anytime, plot_ranks
from nasbench.report.html import write_report
from nasbench.report.ranks import average_rank
from nasbench.report.sections import SECTIONS, ReportData, Section, section
from nasbench.study import DEFAULT_SECTIONS, PRESETS


@pytest.fixture(scope="module")
def traces():
    return [simulate.run(s, b, seed=i, max_evals=12) for b in ("nbgraph-cora", "nbgraph-citeseer", "nbgraph-pubmed")
            for s in ("rs", "rea", "ga") for i in range(3)]


def test_a_registered_section_appears_in_the_page(tmp_path, traces):
    @section("test-runs-per-strategy")
    def runs_per_strategy(report: ReportData) -> Section:
        counts = report.finals.groupby("strategy").size().rename("runs").reset_index()
        return Section("Runs per strategy", "How many runs each strategy has.", table=counts)

    try:
        write_report(tmp_path, runs_frame(traces), [t.meta for t in traces],
                     sections=("final", "test-runs-per-strategy"))
    finally:
        del SECTIONS["test-runs-per-strategy"]
    page = (tmp_path / "index.html").read_text()
    assert "<h2>Runs per strategy</h2>" in page and page.index("Final test regret") < page.index("Runs per strategy")
    assert "| rea | 9 |" in (tmp_path / "report.md").read_text()


def test_section_names_are_checked_and_unique(tmp_path, traces):
    with pytest.raises(NasbenchError, match="unknown report section 'nope'"):
        write_report(tmp_path, runs_frame(traces), [t.meta for t in traces], sections=("nope",))
    with pytest.raises(NasbenchError, match="already registered"):
        section("final")(lambda report: None)


def test_every_preset_names_registered_sections_and_strategies():
    from nasbench.simulate import strategy_registry

    for preset in PRESETS.values():
        assert set(preset.sections) <= set(SECTIONS), preset.name
        assert {entry.strategy for entry in preset.entries} <= set(strategy_registry()), preset.name
    assert set(DEFAULT_SECTIONS) <= set(SECTIONS)


def test_critical_difference_is_drawn_from_three_benchmarks(tmp_path, traces):
    paths = write_report(tmp_path, runs_frame(traces), [t.meta for t in traces])
    assert "critical_difference.png" in {p.name for p in paths}
    assert "across 3 benchmarks" in (tmp_path / "report.md").read_text()


def test_critical_difference_ranks_the_shared_strategies_over_every_benchmark(tmp_path, traces):
    # hyperband runs only on the learning-curve tables: the strategies that ran everywhere are ranked over
    # all six benchmarks, and all four over the three they shared (not only over those three)
    curves = [simulate.run(s, b, seed=i, max_evals=12) for b in ("mlp-mnist1d", "mlp-mnist1d-noisy", "nb201-mnist1d")
              for s in ("rs", "rea", "ga", "hyperband") for i in range(2)]
    write_report(tmp_path, runs_frame([*traces, *curves]), [t.meta for t in [*traces, *curves]],
                 sections=("critical-difference",))
    text = (tmp_path / "report.md").read_text()
    assert "3 strategies across 6 benchmarks" in text and "4 strategies across 3 benchmarks" in text
    assert (tmp_path / "critical_difference.png").exists()


def test_time_figure_is_drawn_for_a_table_with_training_costs(tmp_path):
    traces = [simulate.run(s, "mlp-mnist1d", seed=i, max_time=30.0) for s in ("rs", "hyperband") for i in range(2)]
    paths = write_report(tmp_path, runs_frame(traces), [t.meta for t in traces])
    assert {"anytime_time.png", "anytime_evaluations.png"} <= {p.name for p in paths}
    assert "Average rank over simulated time" in (tmp_path / "report.md").read_text()


def test_faithfulness_passes_column_says_baseline_for_rs(tmp_path, traces):
    from nasbench.benchmark import load
    from nasbench.study import validation_regret

    valid = [validation_regret(t, load(t.meta.benchmark)) for t in traces]
    write_report(tmp_path, runs_frame(traces, valid), [t.meta for t in traces])
    rows = [line for line in (tmp_path / "report.md").read_text().splitlines() if line.endswith(" |")]
    rs_rows = [line for line in rows if "| rs | 3 |" in line and "baseline" in line]
    assert len(rs_rows) == 3 and not any("None" in line for line in rows)


def test_curves_are_told_apart_with_axis_units_and_readable_ticks(traces):
    runs = runs_frame(traces)
    figure, (left, right) = plt.subplots(1, 2)
    ax = plot_anytime(aggregate(anytime(runs, x="evaluations")), left, benchmark="nbgraph-cora", x="evaluations")
    lines = ax.get_lines()
    assert len({(line.get_linestyle(), line.get_marker()) for line in lines}) == len(lines) == 3
    first_marks = {line.get_label(): line.get_markevery()[0] for line in lines}
    assert len(set(first_marks.values())) == 3  # markers sit apart where the curves coincide
    assert ax.get_xlabel() == "evaluations"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) >= 3 and all(re.fullmatch(r"[0-9.]+", label) for label in labels), labels
    plot_ranks(average_rank(anytime(runs)), right, benchmark="nbgraph-cora")
    assert right.get_xlabel() == "simulated seconds" and "lower is better" in right.get_ylabel()
    plt.close(figure)


def test_one_benchmark_keeps_its_axis_labels_inside_the_figure(tmp_path):
    from nasbench.report.sections import panels

    traces = [simulate.run(s, "nbgraph-cora", seed=i, max_evals=12) for s in ("rs", "rea") for i in range(2)]
    curve = aggregate(anytime(runs_frame(traces), x="evaluations"))
    figure = panels(["nbgraph-cora"], lambda ax, b: plot_anytime(curve, ax, benchmark=b, x="evaluations"))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    for artist in [ax.yaxis.label, ax.xaxis.label, *ax.get_yticklabels()]:
        box = artist.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, artist
    plt.close(figure)


def test_report_package_runs_no_strategy_and_no_process_pool():
    """Reports read traces: nothing in nasbench/report imports the study driver (its presets, data only,
    excepted), a benchmark loader, the run loop or a process pool (the docstring examples may run
    strategies to make traces)."""
    imports = re.compile(r"^\s*(from|import)\s+(nasbench\.(study(?!\.presets\b)|benchmark)\b|"
                         r"multiprocessing|concurrent|strategies\b|nasbench\.simulate import .*\brun\b)")
    offenders = [f"{path.relative_to(REPO)}:{number}" for path in sorted((REPO / "nasbench" / "report").glob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1) if imports.search(line)]
    assert not offenders, offenders


def test_the_final_section_names_strategies_that_equal_random_search(tmp_path):
    # ga's population (100) and nsga2's exceed a 30-evaluation budget: both are random search there
    from nasbench.simulate import run as simulate_run

    traces = [simulate_run(name, "nbgraph-cora", seed=seed, max_evals=30)
              for name in ("rs", "ga", "rea") for seed in range(3)]
    write_report(tmp_path, runs_frame(traces), [t.meta for t in traces], sections=("final",))
    text = (tmp_path / "report.md").read_text()
    assert "Identical to rs: ga on nbgraph-cora" in text and "rea on" not in text
    short = [simulate_run(name, "nbgraph-cora", seed=seed, max_evals=30) for name in ("rs", "rea") for seed in range(3)]
    write_report(tmp_path / "b", runs_frame(short), [t.meta for t in short], sections=("final",))
    assert "Identical to" not in (tmp_path / "b" / "report.md").read_text()
