"""Write a report directory: PNG figures, ``report.md`` and ``index.html`` embedding them and the tables.

Everything is computed from a runs frame (:func:`~nasbench.report.anytime.runs_frame`) and the
traces' metadata; nothing here runs a strategy.

Example:
    >>> import nasbench.simulate as simulate
    >>> from nasbench.report.anytime import runs_frame
    >>> traces = [simulate.run(s, "nbgraph-cora", seed=i, max_evals=10) for s in ("rs", "rea") for i in range(3)]
    >>> paths = write_report("/tmp/doc-report", runs_frame(traces), [t.meta for t in traces])
    >>> sorted(p.name for p in paths)[:2]
    ['anytime_evaluations.png', 'anytime_time.png']
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nasbench.errors import NasbenchError
from nasbench.report import faithfulness
from nasbench.report.anytime import STATISTICS, aggregate, anytime, final
from nasbench.report.figures import colours, plot_anytime, plot_critical_difference, plot_ecdf, plot_ranks
from nasbench.report.ranks import average_rank
from nasbench.report.stats import BASELINE, critical_difference, final_table
from nasbench.simulate import TraceMeta


def markdown_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table; floats to ``digits`` significant digits, NaN as ``–``.

    Example:
        >>> print(markdown_table(pd.DataFrame({"a": [1.23456], "b": ["x"]})))
        | a | b |
        |---|---|
        | 1.235 | x |
    """
    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "–" if math.isnan(value) else f"{value:.{digits}g}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def _panels(benchmarks: Sequence[str], draw: Callable[[plt.Axes, str], None], *, legend: bool = True) -> plt.Figure:
    columns = min(3, len(benchmarks))
    rows = math.ceil(len(benchmarks) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows), squeeze=False)
    for ax, benchmark in zip(axes.ravel(), benchmarks):
        draw(ax, benchmark)
    for ax in axes.ravel()[len(benchmarks):]:
        ax.axis("off")
    # a fixed layout: tight_layout measures every tick label and costs seconds per figure
    bottom = (0.55 + (0.4 if legend else 0.0)) / (3.6 * rows)
    figure.subplots_adjust(left=0.08, right=0.98, top=1 - 0.35 / (3.6 * rows), bottom=bottom, wspace=0.28, hspace=0.45)
    if legend:
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False)
    return figure


def _save(figure: plt.Figure, path: Path) -> Path:
    # fixed metadata so that the same study gives the same bytes
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
    return path


def provenance(metas: Sequence[TraceMeta]) -> dict[str, Any]:
    """What a reader needs to reproduce the study: versions, table checksums, options, seeds, budget."""
    frame = pd.DataFrame([asdict(m) for m in metas])
    return {
        "versions": sorted(frame["version"].unique()),
        "benchmarks": {b: sorted(g["checksum"].unique()) for b, g in frame.groupby("benchmark")},
        "strategies": {s: sorted(g["options"].unique()) for s, g in frame.groupby("strategy")},
        "seeds": sorted(int(s) for s in frame["seed"].unique()),
        "budget": {"max_evals": sorted({m.max_evals for m in metas}, key=str),
                   "max_time": sorted({m.max_time for m in metas}, key=str),
                   "workers": sorted({m.workers for m in metas}), "cost": sorted({m.cost for m in metas})},
    }


def _seed_text(seeds: list[int]) -> str:
    return f"{seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds))


def write_report(out: str | os.PathLike, runs: pd.DataFrame, metas: Sequence[TraceMeta], *,
                 statistic: str = "median", command: str = "", title: str = "nasbench comparison",
                 alpha: float = 0.05) -> list[Path]:
    """Write figures, ``report.md`` and ``index.html`` into ``out``; return the paths written."""
    if statistic not in STATISTICS:
        raise NasbenchError(f"the statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    benchmarks = sorted(runs["benchmark"].unique())
    palette = colours(list(runs["strategy"].unique()))
    finals = final(runs)
    written: list[Path] = []
    sections: list[tuple[str, str, str | None, pd.DataFrame | None]] = []  # heading, text, image, table

    for x in ("time", "evaluations"):
        curve = aggregate(anytime(runs, x=x), statistic=statistic)
        figure = _panels(benchmarks, lambda ax, b: plot_anytime(curve, ax, benchmark=b, x=x, statistic=statistic,
                                                                palette=palette))
        written.append(_save(figure, out / f"anytime_{x}.png"))
        sections.append((f"Test regret vs {'simulated time' if x == 'time' else 'evaluations'}",
                         f"Test regret of the validation-chosen incumbent, {STATISTICS[statistic]} over seeds, "
                         "as a step function (drawn where every run has a result).", written[-1].name, None))

    ranks = average_rank(anytime(runs, x="time"))
    figure = _panels(benchmarks, lambda ax, b: plot_ranks(ranks, ax, benchmark=b, palette=palette))
    written.append(_save(figure, out / "ranks.png"))
    sections.append(("Average rank over time", "Strategies ranked by incumbent test regret per seed at each time "
                     "(ties averaged), then averaged over seeds.", written[-1].name, None))

    table = final_table(finals)
    sections.append(("Final test regret", f"Per benchmark, sorted by mean. p-values: two-sided paired Wilcoxon "
                     f"signed-rank tests (pairs = seeds) against the best strategy (lowest mean) and against "
                     f"random search ({BASELINE}).", None, table))

    if "valid_regret" in finals and BASELINE in set(finals["strategy"]):
        check = faithfulness.compare(faithfulness.from_runs(finals), baseline=BASELINE, alpha=alpha)
        sections.append(("Final validation regret against random search",
                         f"Mean ± s.e. of final validation and test regret; p: one-sided Mann-Whitney U of "
                         f"'validation regret lower than {BASELINE}' (passes: p < {alpha}).", None, check))

    strategies = sorted(finals["strategy"].unique())
    if len(strategies) >= 2:
        cd = critical_difference(finals, alpha=alpha)
        figure, ax = plt.subplots(figsize=(9, 1.6 + 0.3 * len(strategies)))
        plot_critical_difference(cd, ax)
        written.append(_save(figure, out / "critical_difference.png"))
        sections.append(("Critical-difference diagram", f"Average rank of mean final test regret across "
                         f"{cd.n_blocks} benchmark(s) (seeds averaged first); Friedman chi-square "
                         f"{cd.statistic:.3g}, p = {cd.p_value:.3g}; Nemenyi CD = {cd.critical_difference:.3g} "
                         f"at alpha {alpha}. Bars join strategies not significantly different.",
                         written[-1].name, None))

    figure = _panels(benchmarks, lambda ax, b: plot_ecdf(finals, ax, benchmark=b, palette=palette))
    written.append(_save(figure, out / "ecdf.png"))
    sections.append(("ECDF of final test regret", "Fraction of runs whose final test regret is at most x.",
                     written[-1].name, None))

    facts = provenance(metas)
    header = [
        ("command", command or "(library call)"),
        ("package version", ", ".join(facts["versions"])),
        ("benchmarks (table checksum)", "; ".join(f"{b} ({', '.join(c)})" for b, c in facts["benchmarks"].items())),
        ("strategies (options)", "; ".join(f"{s} {' / '.join(o)}" for s, o in facts["strategies"].items())),
        ("seeds", _seed_text(facts["seeds"])),
        ("budget", f"max_evals {facts['budget']['max_evals']}, max_time {facts['budget']['max_time']}, "
                   f"workers {facts['budget']['workers']}, cost {facts['budget']['cost']}"),
        ("aggregation", STATISTICS[statistic]),
    ]
    written.append(_write_markdown(out / "report.md", title, header, sections))
    written.append(_write_html(out / "index.html", title, header, sections))
    return written


def _write_markdown(path: Path, title: str, header: list[tuple[str, str]],
                    sections: list[tuple[str, str, str | None, pd.DataFrame | None]]) -> Path:
    lines = [f"# {title}", ""]
    lines += [f"- **{key}**: {value}" for key, value in header]
    for heading, text, image, table in sections:
        lines += ["", f"## {heading}", "", text, ""]
        if image:
            lines.append(f"![{heading}]({image})")
        if table is not None:
            lines.append(markdown_table(table))
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_html(path: Path, title: str, header: list[tuple[str, str]],
                sections: list[tuple[str, str, str | None, pd.DataFrame | None]]) -> Path:
    escape = html.escape
    body = [f"<h1>{escape(title)}</h1>", "<table class='meta'>"]
    body += [f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in header]
    body.append("</table>")
    for heading, text, image, table in sections:
        body += [f"<h2>{escape(heading)}</h2>", f"<p>{escape(text)}</p>"]
        if image:
            body.append(f"<img src='{escape(image)}' alt='{escape(heading)}'>")
        if table is not None:
            body.append(table.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="–", border=0))
    style = ("body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
             "text-align:right}table.meta td,table.meta th{text-align:left}img{max-width:100%}")
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{escape(title)}</title>"
                    f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    return path
