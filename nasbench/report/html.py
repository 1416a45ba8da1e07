"""Write a report directory: figures (PNG, PDF and/or SVG), ``report.md`` and ``index.html`` embedding
them and the tables, and ``report.tex``, the final-regret table for a paper (:mod:`nasbench.report.latex`).

Everything is computed from a runs frame (:func:`~nasbench.report.anytime.runs_frame`) and the
traces' metadata; nothing here runs a strategy.

Example:
    >>> import nasbench.simulate as simulate
    >>> from nasbench.report.anytime import runs_frame
    >>> traces = [simulate.run(s, "nbgraph-cora", seed=i, max_evals=10) for s in ("rs", "rea") for i in range(3)]
    >>> paths = write_report("/tmp/doc-report", runs_frame(traces), [t.meta for t in traces])
    >>> sorted(p.name for p in paths)[:2]
    ['anytime_evaluations.png', 'ecdf.png']
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nasbench.errors import NasbenchError
from nasbench.report import DEFAULT_SECTIONS
from nasbench.report.anytime import STATISTICS, final
from nasbench.report.figures import colours
from nasbench.report.latex import figure_formats, latex_table
from nasbench.report.sections import SECTIONS, ReportData, Section, check_sections
from nasbench.report.stats import final_table
from nasbench.trace import TraceMeta


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


def provenance(metas: Sequence[TraceMeta]) -> dict[str, Any]:
    """What a reader needs to reproduce the study: versions, table checksums, options, seeds, budget."""
    checksums: dict[str, set[str]] = {}
    options: dict[str, set[str]] = {}
    for meta in metas:  # one pass of plain sets: a study may hold 100,000 runs
        checksums.setdefault(meta.benchmark, set()).add(meta.checksum)
        options.setdefault(meta.strategy, set()).add(meta.options)
    return {
        "versions": sorted({m.version for m in metas}),
        "benchmarks": {b: sorted(c) for b, c in sorted(checksums.items())},
        "strategies": {s: sorted(o) for s, o in sorted(options.items())},
        "seeds": sorted({int(m.seed) for m in metas}),
        "budget": {"max_evals": sorted({m.max_evals for m in metas}, key=str),
                   "max_time": sorted({m.max_time for m in metas}, key=str),
                   "workers": sorted({m.workers for m in metas}), "cost": sorted({m.cost for m in metas})},
    }


def _seed_text(seeds: list[int]) -> str:
    return f"{seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds))


def budget_text(metas: Sequence[TraceMeta]) -> str:
    """The budget of the runs in words, each distinct value once.

    Example:
        >>> import nasbench.simulate as simulate
        >>> budget_text([simulate.run("rs", "nbgraph-cora", seed=0, max_evals=5).meta])
        '5 evaluations per run; 1 simulated worker; cost: unit'
    """
    def values(name: str) -> list:
        return sorted({getattr(m, name) for m in metas if getattr(m, name) is not None}, key=str)

    evals, seconds, workers, costs = values("max_evals"), values("max_time"), values("workers"), values("cost")
    parts = [f"{' or '.join(map(str, evals))} evaluations per run" if evals else "",
             f"{' / '.join(f'{t:.6g}' for t in seconds)} simulated seconds per run" if seconds else "",
             f"{' or '.join(map(str, workers))} simulated worker{'s' if workers != [1] else ''}",
             f"cost: {', '.join(costs)}"]
    return "; ".join(part for part in parts if part)


@dataclass(frozen=True)
class ReportSettings:
    """How a report reads and shows its runs: the registered ``sections`` in order
    (:data:`nasbench.report.sections.SECTIONS`), the curves' ``statistic`` and the tests' ``alpha``,
    and the page's header (``title``, ``command``, ``libraries``: name -> version, as a study header
    records them). ``time_unit`` (simulated seconds of one full training per benchmark),
    ``time_budgets`` and ``area`` (in trainings) are read by the ``equal-time`` section; ``fronts``
    (``nasbench.pareto.FrontData`` per benchmark) by the ``pareto-front`` section. ``formats``: every
    figure is written in each (:func:`figure_formats`); the page shows the PNG, or the SVG without one,
    and ``report.md`` links the first.

    Example:
        >>> ReportSettings(sections=("final",), statistic="mean").alpha
        0.05
    """

    sections: Sequence[str] = DEFAULT_SECTIONS
    statistic: str = "median"
    alpha: float = 0.05
    title: str = "nasbench comparison"
    command: str = ""
    libraries: Mapping[str, str] | None = None
    time_unit: Mapping[str, float] | None = None
    time_budgets: Sequence[float] = ()
    area: tuple[float, float] | None = None
    fronts: Mapping[str, Any] | None = None
    formats: str | Sequence[str] = ("png",)


def write_report(out: str | os.PathLike, runs: pd.DataFrame, metas: Sequence[TraceMeta],
                 settings: ReportSettings | None = None, **fields: Any) -> list[Path]:
    """Write the report of ``runs`` (a runs frame) and their ``metas`` into ``out`` as figures,
    ``report.md``, ``index.html`` and ``report.tex``; return the paths written. ``settings`` (a
    :class:`ReportSettings`), or its fields as keywords (``sections=("final",)``; with ``settings``, they
    replace its fields), say which sections and how.
    """
    settings = ReportSettings(**fields) if settings is None else replace(settings, **fields)
    if settings.statistic not in STATISTICS:
        raise NasbenchError(f"the statistic must be one of {', '.join(STATISTICS)}, not {settings.statistic!r}")
    check_sections(settings.sections)
    formats = figure_formats(settings.formats)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NasbenchError(f"cannot create report directory {out}: {exc.strerror or exc}") from None
    report = ReportData(runs, final(runs), metas, out, settings.statistic, settings.alpha,
                        colours(list(runs["strategy"].unique())), dict(settings.time_unit or {}),
                        tuple(float(t) for t in settings.time_budgets), settings.area,
                        fronts=dict(settings.fronts or {}), formats=formats)
    results = [(name, SECTIONS[name](report)) for name in settings.sections]
    written = [section for _, section in results if section is not None]
    header = _header(metas, settings)
    # the final section's table is this one: reuse it rather than bootstrap every interval twice
    table = next((section.table for name, section in results if name == "final" and section is not None), None)
    table = final_table(report.finals, alpha=settings.alpha) if table is None else table
    tex = out / "report.tex"
    tex.write_text(latex_table(table, alpha=settings.alpha))
    return [*report.written, _write_markdown(out / "report.md", settings.title, header, written),
            _write_html(out / "index.html", settings.title, header, written, formats), tex]


def _header(metas: Sequence[TraceMeta], settings: ReportSettings) -> list[tuple[str, str]]:
    """The page's header: what made the report, and the facts that reproduce the study."""
    facts = provenance(metas)
    header = [
        ("command", settings.command or "(library call)"),
        ("package version", ", ".join(facts["versions"])),
        ("benchmarks (table checksum)", "; ".join(f"{b} ({', '.join(c)})" for b, c in facts["benchmarks"].items())),
        ("strategies (options)", "; ".join(f"{s} {' / '.join(o)}" for s, o in facts["strategies"].items())),
        ("seeds", _seed_text(facts["seeds"])),
        ("budget", budget_text(metas)),
        ("aggregation", STATISTICS[settings.statistic]),
    ]
    if settings.libraries:
        libraries = ", ".join(f"{name} {version}" for name, version in settings.libraries.items())
        header.insert(2, ("libraries", libraries))
    return header


def _write_markdown(path: Path, title: str, header: list[tuple[str, str]], sections: list[Section]) -> Path:
    lines = [f"# {title}", ""]
    lines += [f"- **{key}**: {value}" for key, value in header]
    for heading, text, image, table in ((s.heading, s.text, s.image, s.table) for s in sections):
        lines += ["", f"## {heading}", "", text, ""]
        if image and image.endswith(".pdf"):  # no Markdown viewer shows a PDF inline
            lines.append(f"[{heading} (PDF)]({image})")
        elif image:
            lines.append(f"![{heading}]({image})")
        if table is not None:
            lines.append(markdown_table(table))
    path.write_text("\n".join(lines) + "\n")
    return path


def _shown(image: str, formats: Sequence[str]) -> str:
    """The file of a figure the page shows: its PNG where one is written, else its SVG, else its first format."""
    stem, dot, extension = image.rpartition(".")
    if not dot or extension not in formats:  # a file a section wrote itself
        return image
    return next((f"{stem}.{shown}" for shown in ("png", "svg") if shown in formats), image)


def _write_html(path: Path, title: str, header: list[tuple[str, str]], sections: list[Section],
                formats: Sequence[str] = ("png",)) -> Path:
    escape = html.escape
    body = [f"<h1>{escape(title)}</h1>", "<table class='meta'>"]
    body += [f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in header]
    body.append("</table>")
    for heading, text, image, table in ((s.heading, s.text, s.image, s.table) for s in sections):
        body += [f"<h2>{escape(heading)}</h2>", f"<p>{escape(text)}</p>"]
        shown = _shown(image, formats) if image else None
        if shown and shown.endswith(".pdf"):  # a browser shows a PDF on its own, not in an <img>
            body.append(f"<p><a href='{escape(shown)}'>{escape(heading)} (PDF)</a></p>")
        elif shown:
            body.append(f"<img src='{escape(shown)}' alt='{escape(heading)}'>")
        if table is not None:
            body.append(table.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="–", border=0))
    style = ("body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
             "text-align:right}table.meta td,table.meta th{text-align:left}img{max-width:100%}")
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{escape(title)}</title>"
                    f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    return path
