"""Report sections: named functions from a study's frames to one heading, text, figure or table.

A section is one function registered under a name; :func:`nasbench.report.html.write_report` calls
the sections it is given, in order, and writes what they return into ``report.md`` and
``index.html``. A function returns ``None`` where it does not apply (the faithfulness table without
random search); where a reader would look for it, it returns a :class:`Section` that says why it is
absent instead.

Example (a new section: one function and one registration):
    >>> import matplotlib.pyplot as plt
    >>> @section("final-regret-histogram")
    ... def final_regret_histogram(report: ReportData) -> Section:
    ...     figure, ax = plt.subplots(figsize=(6, 3))
    ...     ax.hist(report.finals["regret"], bins=20)
    ...     ax.set_xlabel("final test regret")
    ...     return Section("Final test regret, all runs", "Histogram over every run.",
    ...                    image=report.save(figure, "histogram.png"))
    >>> import nasbench.simulate as simulate
    >>> from nasbench.report.anytime import runs_frame
    >>> from nasbench.report.html import write_report
    >>> traces = [simulate.run("rs", "nbgraph-cora", seed=seed, max_evals=10) for seed in range(3)]
    >>> paths = write_report("/tmp/doc-section", runs_frame(traces), [t.meta for t in traces],
    ...                      sections=("final", "final-regret-histogram"))
    >>> sorted(path.name for path in paths)
    ['histogram.png', 'index.html', 'report.md', 'report.tex']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nasbench.errors import NasbenchError
from nasbench.registry import Registry
from nasbench.report import faithfulness
from nasbench.report.anytime import STATISTICS, aggregate, anytime
from nasbench.report.figures import plot_anytime, plot_critical_difference, plot_ecdf, plot_ranks
from nasbench.report.latex import FIGURE_FORMATS
from nasbench.report.ranks import average_rank
from nasbench.report.robust import MAX_SEEDS, RESAMPLES
from nasbench.report.stats import (
    BASELINE,
    RANK_SUM_TEXT,
    WILCOXON_TEXT,
    critical_difference,
    final_table,
    rankable_groups,
)
from nasbench.trace import TraceMeta

#: a critical-difference diagram ranks strategies across benchmarks; with fewer blocks the Nemenyi
#: critical difference exceeds the whole rank range and the diagram says nothing
MIN_CD_BENCHMARKS = 3


@dataclass(frozen=True)
class Section:
    """What a section adds to the page: a heading, a paragraph, and an image file name or a table."""

    heading: str
    text: str
    image: str | None = None
    table: pd.DataFrame | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything a section may read: the runs frame and its final rows, the traces' metadata, and
    the study's settings; ``save`` writes a figure next to the page, ``curves`` gives the anytime curves.

    ``runs`` may hold every evaluation (:func:`~nasbench.report.anytime.runs_frame`) or, as a study's
    report does, only each run's incumbent steps (:func:`~nasbench.report.anytime.steps_frame` of the
    study file's summaries): curves, ranks and final values are the same from either, and a section
    that reads ``runs`` must read it as a step function."""

    runs: pd.DataFrame
    finals: pd.DataFrame
    metas: Sequence[TraceMeta]
    out: Path
    statistic: str = "median"
    alpha: float = 0.05
    palette: Mapping[str, tuple] = field(default_factory=dict)
    #: simulated seconds of one full training per benchmark (where the table records a cost)
    time_unit: Mapping[str, float] = field(default_factory=dict)
    #: the budgets, in trainings, at which the equal-time table reads the curves, and its log-time area
    time_budgets: tuple[float, ...] = ()
    area: tuple[float, float] | None = None
    written: list[Path] = field(default_factory=list)
    #: per benchmark of a multi-objective study, its tables' fronts (``nasbench.pareto.FrontData``)
    fronts: Mapping[str, Any] = field(default_factory=dict)
    #: the file formats of every figure (keys of :data:`FIGURE_FORMATS`), the first the one the page links
    formats: tuple[str, ...] = ("png",)
    _curves: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def curves(self, x: str) -> pd.DataFrame:
        """:func:`~nasbench.report.anytime.anytime` of the runs against ``x``, computed once per report."""
        if x not in self._curves:
            self._curves[x] = anytime(self.runs, x=x)
        return self._curves[x]

    @property
    def benchmarks(self) -> list[str]:
        return sorted(self.runs["benchmark"].unique())

    def unit_time(self, benchmark: str) -> bool:
        """Whether simulated time on ``benchmark`` is the evaluation count (unit cost, one worker)."""
        metas = [m for m in self.metas if m.benchmark == benchmark]
        return all(m.cost == "unit" and m.workers == 1 for m in metas)

    def save(self, figure: Figure, name: str) -> str:
        """Write ``figure`` as ``out/name`` once in each of the report's ``formats`` (``name``'s suffix
        replaced by each) and return the file name of the first: the page links that one.

        Fixed metadata, so the same study gives the same bytes; in PDF and SVG the text stays text."""
        stem = Path(name).with_suffix("").as_posix()
        for extension in self.formats:
            path = self.out / f"{stem}.{extension}"
            metadata, rc = FIGURE_FORMATS[extension]
            with plt.rc_context(dict(rc)):  # the fonts for this file only, never the caller's settings
                figure.savefig(path, dpi=110, metadata=dict(metadata))
            self.written.append(path)
        plt.close(figure)
        return f"{stem}.{self.formats[0]}"


SectionFunction = Callable[[ReportData], "Section | None"]
#: every section by name; reading it first imports every module of :mod:`nasbench.report` and each module
#: a ``nasbench.report_sections`` entry point names, so a section in a new module is listed nowhere else
SECTIONS: Registry[SectionFunction] = Registry("report section", package="nasbench.report",
                                               group="nasbench.report_sections")


def section(name: str) -> Callable[[SectionFunction], SectionFunction]:
    """Register a section function under ``name`` (a name taken twice raises)."""
    return SECTIONS.register(name)


def check_sections(names: Sequence[str]) -> None:
    """Raise a :class:`NasbenchError` naming any section that is not registered."""
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        raise NasbenchError(f"unknown report section {', '.join(map(repr, unknown))}; known sections: "
                            f"{', '.join(SECTIONS)}")


# --- layout ----------------------------------------------------------------------------------------
PANEL_WIDTH, PANEL_HEIGHT = 4.6, 3.4  # inches of one benchmark's axes with its labels
LEFT, RIGHT, TOP, BOTTOM, LEGEND = 0.95, 0.2, 0.35, 0.6, 0.5  # margins in inches


def panels(benchmarks: Sequence[str], draw: Callable[[Axes, str], object], *, legend: bool = True) -> Figure:
    """One panel per benchmark (up to three a row), margins fixed in inches so that axis labels fit
    whatever the number of panels; a shared legend below."""
    columns = min(3, len(benchmarks))
    rows = math.ceil(len(benchmarks) / columns)
    width = columns * PANEL_WIDTH + LEFT + RIGHT
    height = rows * PANEL_HEIGHT + TOP + BOTTOM + (LEGEND if legend else 0.0)
    figure, axes = plt.subplots(rows, columns, figsize=(width, height), squeeze=False)
    for ax, benchmark in zip(axes.ravel(), benchmarks):
        draw(ax, benchmark)
    for ax in axes.ravel()[len(benchmarks):]:
        ax.axis("off")
    # a fixed layout: tight_layout measures every tick label and costs seconds per figure
    figure.subplots_adjust(left=LEFT / width, right=1 - RIGHT / width, top=1 - TOP / height,
                           bottom=(BOTTOM + (LEGEND if legend else 0.0)) / height, wspace=0.3 * 3 / columns,
                           hspace=0.45)
    if legend:
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), frameon=False)
    return figure


# --- the standard sections -------------------------------------------------------------------------
def _anytime(report: ReportData, x: str) -> Section:
    curve = aggregate(report.curves(x), statistic=report.statistic)
    figure = panels(report.benchmarks, lambda ax, b: plot_anytime(curve, ax, benchmark=b, x=x,
                                                                  statistic=report.statistic, palette=report.palette))
    axis = "simulated time" if x == "time" else "evaluations"
    return Section(f"Test regret vs {axis}",
                   f"Test regret of the validation-chosen incumbent, {STATISTICS[report.statistic]} over seeds, "
                   "as a step function, drawn where every run has a result. Curves that coincide (strategies "
                   "whose first evaluations are the same random draws) lie on one another; each strategy has "
                   "its own line style and markers placed apart, so that every one stays visible.",
                   image=report.save(figure, f"anytime_{x}.png"))


@section("anytime-time")
def anytime_time(report: ReportData) -> Section:
    """Regret against simulated seconds; on unit-cost tables that axis is the evaluation count, said instead."""
    if all(report.unit_time(b) for b in report.benchmarks):
        return Section("Test regret vs simulated time", "Every evaluation on these tables costs one simulated "
                       "second and each run has one worker, so simulated time is the number of evaluations: "
                       "see the figure against evaluations.")
    return _anytime(report, "time")


@section("anytime-evaluations")
def anytime_evaluations(report: ReportData) -> Section:
    return _anytime(report, "evaluations")


@section("ranks")
def ranks(report: ReportData) -> Section:
    x = "evaluations" if all(report.unit_time(b) for b in report.benchmarks) else "time"
    table = average_rank(report.curves(x))
    figure = panels(report.benchmarks, lambda ax, b: plot_ranks(table, ax, benchmark=b, x=x, palette=report.palette))
    return Section(f"Average rank over {'simulated time' if x == 'time' else 'evaluations'}",
                   "Strategies ranked by incumbent test regret per seed at each point (1 = best: lower is better; "
                   "ties averaged), then averaged over seeds; drawn where every run has a result.",
                   image=report.save(figure, "ranks.png"))


def same_as_baseline(runs: pd.DataFrame, baseline: str = BASELINE) -> dict[str, list[str]]:
    """Per benchmark, the strategies whose every run steps exactly as ``baseline``'s run of the same seed
    (the same incumbent changes at the same evaluations, times and regrets): at this budget they are
    random search (a population at least the budget, say).

        >>> steps = pd.DataFrame({"benchmark": "b", "strategy": ["rs", "rs", "ga", "ga", "rea", "rea"],
        ...                       "seed": 0, "evaluation": [1, 4] * 3, "time": [1.0, 4.0] * 3,
        ...                       "regret": [0.5, 0.2, 0.5, 0.2, 0.5, 0.1]})
        >>> same_as_baseline(steps)
        {'b': ['ga']}
    """
    keys, columns = ["benchmark", "strategy", "seed"], ["evaluation", "time", "regret"]
    frame = runs[keys + columns].sort_values(keys + ["evaluation"], kind="stable")
    frame = frame.assign(step=frame.groupby(keys, sort=False).cumcount())
    base = frame[frame["strategy"] == baseline].drop(columns="strategy")
    if base.empty:
        return {}
    merged = frame[frame["strategy"] != baseline].merge(base, on=["benchmark", "seed", "step"], how="left",
                                                        suffixes=("", "_base"))
    equal = {c: (merged[c] == merged[f"{c}_base"]).to_numpy() for c in columns}
    both_missing = merged["regret"].isna().to_numpy() & merged["regret_base"].isna().to_numpy()
    same = equal["evaluation"] & equal["time"] & (equal["regret"] | both_missing)
    steps = merged.assign(same=same).groupby(keys, sort=True).agg(same=("same", "all"), steps=("step", "size"))
    base_steps = base.groupby(["benchmark", "seed"]).size().rename("base_steps")
    steps = steps.join(base_steps, on=["benchmark", "seed"])
    steps["same"] &= steps["steps"] == steps["base_steps"]
    found: dict[str, list[str]] = {}
    for (benchmark, strategy), identical in steps.groupby(level=[0, 1])["same"].all().items():
        if identical:
            found.setdefault(str(benchmark), []).append(str(strategy))
    return found


def _same_as_baseline_text(runs: pd.DataFrame) -> str:
    found = same_as_baseline(runs)
    if not found:
        return ""
    tables: dict[tuple[str, ...], list[str]] = {}  # one clause per set of strategies, naming its benchmarks
    for benchmark, strategies in sorted(found.items()):
        tables.setdefault(tuple(strategies), []).append(benchmark)
    named = "; ".join(f"{', '.join(names)} on {', '.join(benchmarks)}" for names, benchmarks in tables.items())
    return (f" Identical to {BASELINE}: {named} (every run steps exactly as {BASELINE}'s run of the same seed: at "
            "this budget the strategy is random search, for example a population at least the budget).")


@section("final")
def final_regret(report: ReportData) -> Section:
    return Section("Final test regret", f"Per benchmark, sorted by mean; iqm: interquartile mean with its 95 % "
                   f"percentile-bootstrap interval [iqm_low, iqm_high] ({RESAMPLES} resamples). p: two-sided paired "
                   f"Wilcoxon signed-rank tests (pairs = seeds; {WILCOXON_TEXT}) against the best strategy (lowest "
                   f"mean) and against random search ({BASELINE}). a12: Vargha-Delaney effect size, the probability "
                   "that a run of this strategy ends with lower regret than one of the other (0.5 = no difference; "
                   "0.56 / 0.64 / 0.71 small / medium / large). seeds: seeds per strategy a two-sided rank-sum test "
                   f"of that effect needs for 80 % power at alpha {report.alpha} (Noether 1987; {MAX_SEEDS} means "
                   "no effect to detect)." + _same_as_baseline_text(report.runs),
                   table=final_table(report.finals, alpha=report.alpha))


@section("faithfulness")
def faithfulness_table(report: ReportData) -> Section | None:
    if "valid_regret" not in report.finals or BASELINE not in set(report.finals["strategy"]):
        return None
    table = faithfulness.compare(faithfulness.from_runs(report.finals), baseline=BASELINE, alpha=report.alpha)
    table["passes"] = ["baseline" if s == BASELINE else ("yes" if ok else "no")
                       for s, ok in zip(table["strategy"], table["passes"])]
    return Section("Final validation regret against random search",
                   f"Mean ± s.e. of final validation and test regret; p: one-sided Mann-Whitney U of "
                   f"'validation regret lower than {BASELINE}' ({RANK_SUM_TEXT}; passes: p < {report.alpha}); a12: "
                   "the probability that the strategy's run has the lower validation regret.", table=table)


@section("critical-difference")
def critical_difference_diagram(report: ReportData) -> Section | None:
    """Demšar's diagram for each group of :func:`~nasbench.report.stats.rankable_groups` with enough
    benchmarks: the strategies that ran everywhere first, then (in a study where, say, multi-fidelity
    strategies ran only on the tables with fidelities) every strategy over the tables they shared."""
    if report.finals["strategy"].nunique() < 2:
        return None
    heading = "Critical-difference diagram"
    drawn, left = [], []
    groups = rankable_groups(report.finals)
    for strategies, benchmarks in groups:
        if len(strategies) < 2:
            continue
        if len(benchmarks) < MIN_CD_BENCHMARKS:
            left.append(f"{len(strategies)} strategies ran together on only {len(benchmarks)} "
                        f"benchmark{'s' if len(benchmarks) != 1 else ''} ({', '.join(benchmarks)})")
            continue
        drawn.append(critical_difference(report.finals, alpha=report.alpha, strategies=strategies))
    if not drawn:
        n = max((len(b) for s, b in groups if len(s) >= 2), default=0)
        return Section(heading, f"Not drawn: the diagram ranks strategies across benchmarks, and this study has "
                       f"{n} benchmark{'s' if n != 1 else ''} on which two or more strategies all ran. With fewer "
                       f"than {MIN_CD_BENCHMARKS} the Nemenyi critical difference spans more than the ranks can "
                       f"differ (the Friedman test needs {MIN_CD_BENCHMARKS} or more blocks to mean anything); see "
                       "the final-regret table's paired tests instead.")
    heights = [1.6 + 0.3 * len(cd.ranks) for cd in drawn]
    figure, axes = plt.subplots(len(drawn), 1, figsize=(9, sum(heights)), squeeze=False,
                                gridspec_kw={"height_ratios": heights})
    for cd, ax in zip(drawn, axes.ravel()):
        plot_critical_difference(cd, ax)
    figure.subplots_adjust(left=0.02, right=0.98, top=1 - 0.35 / sum(heights), bottom=0.02, hspace=0.35)
    diagrams = [f"{len(cd.ranks)} strategies across {cd.n_blocks} benchmarks: Friedman chi-square "
                f"{cd.statistic:.3g}, p = {cd.p_value:.3g}, "
                + (f"Nemenyi CD = {cd.critical_difference:.3g}" if cd.post_hoc_applies else
                   "not significant, so Nemenyi's test does not apply and no bars are drawn") for cd in drawn]
    scope = ("" if len(drawn) == 1 and not left else
             " Not every strategy ran on every benchmark (multi-fidelity strategies, for one, run only on tables with "
             "several fidelities), so the first diagram ranks the strategies that ran on all of them and the "
             "next rank larger sets over the benchmarks those shared.")
    missing = f" Not drawn: {'; '.join(left)} (fewer than {MIN_CD_BENCHMARKS})." if left else ""
    return Section(heading, f"Average rank of mean final test regret (seeds averaged first; 1 = best) at alpha "
                   f"{report.alpha}; {'; '.join(diagrams)}. Bars join strategies not significantly different."
                   + scope + missing, image=report.save(figure, "critical_difference.png"))


@section("ecdf")
def ecdf(report: ReportData) -> Section:
    figure = panels(report.benchmarks, lambda ax, b: plot_ecdf(report.finals, ax, benchmark=b,
                                                               palette=report.palette))
    return Section("ECDF of final test regret", "Fraction of runs whose final test regret is at most x "
                   "(higher and further left is better).", image=report.save(figure, "ecdf.png"))
