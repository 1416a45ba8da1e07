"""Multi-objective report sections: the true front with each strategy's median attainment front,
HV regret over simulated time, and the final HV-regret table with paired tests (Holm-corrected).

These read the runs frame of multi-objective runs (its ``hv_regret``, ``hv_regret_test``, ``row`` and
``fidelity`` columns, see :func:`nasbench.report.anytime.runs_frame`) and, for the fronts, what the
caller read of each table (``fronts``: :class:`nasbench.pareto.FrontData`, the exact front included).
A study without objectives gets none of them.

Example:
    >>> import nasbench
    >>> import nasbench.simulate as simulate
    >>> from nasbench.report.anytime import runs_frame
    >>> from nasbench.report.html import write_report
    >>> traces = [simulate.run(s, "nbgraph-cora", seed=seed, max_evals=20, objectives=("valid_accuracy", "params"))
    ...           for s in ("rs", "nsga2") for seed in range(3)]
    >>> from nasbench.pareto import front_data
    >>> fronts = {"nbgraph-cora": front_data(nasbench.load("nbgraph-cora"), ("valid_accuracy", "params"))}
    >>> paths = write_report("/tmp/doc-pareto", runs_frame(traces), [t.meta for t in traces],
    ...                      sections=PARETO_SECTIONS, fronts=fronts)
    >>> sorted(path.name for path in paths)
    ['hv_regret.png', 'index.html', 'pareto_fronts.png', 'report.md', 'report.tex']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nasbench import pareto
from nasbench.report.anytime import STATISTICS, aggregate, anytime
from nasbench.report.figures import colours, curve_style, plot_anytime
from nasbench.report.sections import BOTTOM, TOP, ReportData, Section, panels, section
from nasbench.report.stats import BASELINE, final_table, holm

__all__ = ["PARETO_SECTIONS", "attainment", "final_hv_table"]

#: the sections ``nasbench compare --objectives`` adds to a report
PARETO_SECTIONS = ("pareto-front", "hv-regret-time", "hv-regret-final")


def _objectives(report: ReportData, benchmark: str) -> tuple[str, ...]:
    found = {m.objectives for m in report.metas if m.benchmark == benchmark and len(m.objectives) >= 2}
    return found.pop() if len(found) == 1 else ()


def _mo_benchmarks(report: ReportData, *, fronts: bool = False) -> list[str]:
    """Benchmarks of multi-objective runs (with ``fronts``: those whose table fronts were supplied)."""
    return [b for b in report.benchmarks if _objectives(report, b) and "hv_regret" in report.runs
            and (not fronts or b in report.fronts)]


def attainment(points: np.ndarray, runs: np.ndarray, level: float = 50.0) -> np.ndarray:
    """The ``level``-% attainment surface of several runs' points (normalised, minimised), sorted by
    the first objective: the points reached by at least ``level`` % of the runs (moocore's EAF)."""
    moocore = pareto._moocore()
    surface = moocore.eaf(points, runs, percentiles=[level])[:, :-1]
    return surface[np.argsort(surface[:, 0])]


def _front_points(report: ReportData, benchmark: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per strategy: the normalised first two objectives of each run's final validation archive (the
    values the run observed, at the final fidelity) and the run of each point."""
    data = report.fronts[benchmark]
    runs = report.runs[(report.runs["benchmark"] == benchmark) & (report.runs["fidelity"] == data.final_fidelity)]
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for strategy, group in runs.groupby("strategy", sort=True):
        chosen, ids = [], []
        for seed, run in group.groupby("seed", sort=True):
            archive = data.scale(run[list(data.objectives)].to_numpy(dtype=np.float64))[:, :2]
            archive = archive[~np.isnan(archive).any(axis=1)]
            kept = archive[pareto.nondominated(archive)]
            chosen.append(kept)
            ids.append(np.full(len(kept), seed))
        found[strategy] = (np.concatenate(chosen), np.concatenate(ids))
    return found


def _draw_fronts(ax: Axes, report: ReportData, benchmark: str) -> None:
    data = report.fronts[benchmark]
    objectives = data.objectives
    points = data.points[:, :2]
    ax.scatter(points[:, 0], points[:, 1], s=2, color="0.85", label="all architectures", rasterized=True)
    true = data.front[:, :2]
    true = true[pareto.nondominated(true)]  # with three objectives: the front of the first two
    true = true[np.argsort(true[:, 0])]
    ax.plot(true[:, 0], true[:, 1], drawstyle="steps-post", color="black", linewidth=2, label="true front")
    fronts = _front_points(report, benchmark)
    palette = report.palette or colours(sorted(report.runs["strategy"].unique()))
    corner = true.max(axis=0)
    for index, (strategy, (found, ids)) in enumerate(fronts.items()):
        surface = attainment(found, ids)
        ax.plot(surface[:, 0], surface[:, 1], drawstyle="steps-post", color=palette[strategy], label=strategy,
                **curve_style(index, len(fronts), len(surface)))
        corner = np.maximum(corner, surface.max(axis=0))
    # the fronts lie in a corner of the table's range: show that corner (every front whole)
    margin = 0.05 * np.maximum(corner, 0.02)
    ax.set_xlim(-margin[0], min(1.02, corner[0] + margin[0]))
    ax.set_ylim(-margin[1], min(1.02, corner[1] + margin[1]))
    ax.set_xlabel(f"{objectives[0]} (normalised, lower is better)")
    ax.set_ylabel(f"{objectives[1]} (normalised, lower is better)")
    ax.set_title(benchmark)
    ax.grid(True, alpha=0.3)


def _legend_below(figure: Figure, columns: int = 5) -> Figure:
    """A shared legend under the panels, the figure grown by one line of it per row of entries
    (many strategies need several rows, which the standard layout's one row would overlap)."""
    handles, labels = figure.axes[0].get_legend_handles_labels()
    rows = math.ceil(len(labels) / columns)
    width, height = figure.get_size_inches()
    extra = 0.28 * rows + 0.15
    figure.set_size_inches(width, height + extra)
    figure.subplots_adjust(bottom=(BOTTOM + extra) / (height + extra), top=1 - TOP / (height + extra))
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), columns), frameon=False)
    return figure


@section("pareto-front")
def pareto_fronts(report: ReportData) -> Section | None:
    benchmarks = _mo_benchmarks(report, fronts=True)
    if not benchmarks:
        return None
    figure = _legend_below(panels(benchmarks, lambda ax, b: _draw_fronts(ax, report, b), legend=False))
    three = any(len(_objectives(report, b)) == 3 for b in benchmarks)
    return Section("Pareto fronts", "Each objective oriented to minimisation and scaled to [0, 1] over all rows of "
                   "the table (seed mean at the final fidelity). Black: the true front of the table; coloured: "
                   "each strategy's median (50 %) attainment front of its runs' final validation archives "
                   "(the values each run observed at the final fidelity: on a table of several seeds a point can lie "
                   "beyond the true front of seed means), from moocore's empirical attainment function; grey: every "
                   "architecture. The axes show the corner of the range that holds the fronts."
                   + (" With three objectives, the first two are drawn." if three else ""),
                   image=report.save(figure, "pareto_fronts.png"))


@section("hv-regret-time")
def hv_regret_time(report: ReportData) -> Section | None:
    benchmarks = _mo_benchmarks(report)
    if not benchmarks:
        return None
    x = "evaluations" if all(report.unit_time(b) for b in benchmarks) else "time"
    runs = report.runs[report.runs["benchmark"].isin(benchmarks)]
    metric = "hv_regret_test"
    curve = aggregate(anytime(runs, x=x, metric=metric), statistic=report.statistic, metric=metric)

    def draw(ax: Axes, benchmark: str) -> None:
        plot_anytime(curve, ax, benchmark=benchmark, x=x, statistic=report.statistic, palette=report.palette)
        ax.set_ylabel(f"test-side HV regret ({STATISTICS[report.statistic]})")

    figure = _legend_below(panels(benchmarks, draw, legend=False))
    axis = "simulated time" if x == "time" else "evaluations (every one costs one simulated second)"
    return Section(f"HV regret vs {axis}",
                   "Hypervolume regret HV(true front) − HV(archive) after each evaluation, reference point 1.1 in "
                   "every normalised dimension. The archive is chosen on validation objectives and scored with "
                   "its rows' test counterparts against the true test front (the multi-objective analogue of "
                   f"the incumbent's test regret); {STATISTICS[report.statistic]} over seeds.",
                   image=report.save(figure, "hv_regret.png"))


def final_hv_table(finals: pd.DataFrame, metric: str = "hv_regret_test") -> pd.DataFrame:
    """:func:`~nasbench.report.stats.final_table` of final HV regret, with Holm-adjusted paired
    p-values (per benchmark, over the strategies compared) beside the raw ones.

    >>> finals = pd.DataFrame({"benchmark": "b", "strategy": ["rs"] * 6 + ["x"] * 6, "seed": list(range(6)) * 2,
    ...                        "hv_regret_test": [0.3, 0.2, 0.4, 0.3, 0.5, 0.3, 0.1, 0.1, 0.2, 0.0, 0.2, 0.1]})
    >>> final_hv_table(finals)[["strategy", "best"]].values.tolist()
    [['x', True], ['rs', False]]
    """
    table = final_table(finals, metric=metric)
    for column in ("p_vs_best", "p_vs_baseline"):
        adjusted = np.full(len(table), np.nan)
        for _, group in table.groupby("benchmark", sort=False):
            values = group[column].to_numpy(dtype=np.float64)
            present = ~np.isnan(values)
            if present.any():
                adjusted[group.index.to_numpy()[present]] = holm(values[present])
        table[column + "_holm"] = adjusted
    return table


@section("hv-regret-final")
def hv_regret_final(report: ReportData) -> Section | None:
    benchmarks = _mo_benchmarks(report)
    if not benchmarks:
        return None
    finals = report.finals[report.finals["benchmark"].isin(benchmarks)]
    return Section("Final HV regret", "Test-side HV regret of the final archive per benchmark, sorted by mean. "
                   "p-values: two-sided paired Wilcoxon signed-rank tests (pairs = seeds) against the best strategy "
                   f"and against random search ({BASELINE}); the _holm columns are Holm-adjusted over the "
                   "strategies of each benchmark.", table=final_hv_table(finals))
