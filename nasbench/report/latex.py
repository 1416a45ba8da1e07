r"""What a paper prints: the formats of a report's figures, and its final-regret table as LaTeX (``report.tex``).

:data:`FIGURE_FORMATS` are the formats :meth:`~nasbench.report.sections.ReportData.save` writes a figure
in, and :func:`figure_formats` checks a request for them; this module imports no plotting or data library,
so that ``nasbench compare`` checks ``--format`` before it runs anything without waiting for matplotlib.

:func:`latex_table` turns a :func:`~nasbench.report.stats.final_table` into one booktabs ``table``: a group
of rows per benchmark (its name a row of its own, groups set apart by ``\midrule``), a row per strategy,
and two columns, the median with its quartiles and the IQM with its 95 % bootstrap interval, both as
:func:`~nasbench.report.stats.final_table` computes them. The best strategy of a benchmark (the table's
``best``: lowest mean, the strategy the paired tests compare against) is set in bold; a dagger marks each
strategy that the report's two-sided paired Wilcoxon signed-rank test does not tell from the best at the
report's alpha. The caption says so. The text is a fragment: ``\input{report.tex}`` in a document whose
preamble has ``\usepackage{booktabs}``; nothing else is needed.

Example:
    >>> import pandas as pd
    >>> from nasbench.report.stats import final_table
    >>> final = pd.DataFrame({"benchmark": "b", "strategy": ["rs"] * 3 + ["rea"] * 3,
    ...                       "seed": [0, 1, 2] * 2, "regret": [0.3, 0.2, 0.4, 0.1, 0.0, 0.1]})
    >>> tex = latex_table(final_table(final))
    >>> print(next(line for line in tex.splitlines() if line.startswith(r"\textbf")))
    \textbf{rea} & \textbf{0.100 [0.050, 0.100]} & \textbf{0.067 [0.000, 0.100]} \\
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nasbench.errors import NasbenchError, shorten

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.typing import RcKeyType

#: the formats a figure is saved in, each with its ``savefig`` metadata (no software version or date, so
#: that the same study gives the same bytes) and the rcParams of its save: SVG keeps text as ``<text>``
#: elements and a PDF embeds its fonts as TrueType (type 42), so that a paper's text search finds the labels
FIGURE_FORMATS: Mapping[str, tuple[Mapping[str, None], Mapping[RcKeyType, Any]]] = {
    "png": ({"Software": None}, {}),
    "pdf": ({"Creator": None, "Producer": None, "CreationDate": None}, {"pdf.fonttype": 42}),
    "svg": ({"Creator": None, "Date": None}, {"svg.fonttype": "none", "svg.hashsalt": "nasbench"}),
}


def figure_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """The figure formats, from one comma-separated string (as ``--format`` reads it, each name stripped,
    any case) or a sequence of names, as a tuple of known formats (:data:`FIGURE_FORMATS`), each once in
    the order given; else one :class:`NasbenchError`.

    Example:
        >>> figure_formats("png, PDF,svg"), figure_formats(["svg"])
        (('png', 'pdf', 'svg'), ('svg',))
    """
    if isinstance(formats, str):
        names = formats.split(",")
    elif isinstance(formats, Sequence) and all(isinstance(name, str) for name in formats):
        names = list(formats)
    else:
        names = []
    checked = tuple(dict.fromkeys(name.strip().lower() for name in names))
    if not checked or any(name not in FIGURE_FORMATS for name in checked):
        raise NasbenchError(f"the figure formats are one or more of {', '.join(FIGURE_FORMATS)}, comma-separated "
                            f"(e.g. --format png,pdf), not {shorten(formats)}")
    return checked


#: LaTeX's special characters in running text, and what stands for each
SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"\textless{}", ">": r"\textgreater{}"}
HEADER = r"Strategy & Median [IQR] & IQM [95\,\% CI] \\"
COLUMNS = 3
DAGGER = r"$^\dagger$"


def escape(text: str) -> str:
    r"""``text`` with LaTeX's special characters escaped.

    Example:
        >>> print(escape("bohb preset=nb201_x & 50% #1"))
        bohb preset=nb201\_x \& 50\% \#1
    """
    return "".join(SPECIALS.get(character, character) for character in str(text))


def decimals_for(values: pd.Series) -> int:
    """Decimals that show the largest of ``values`` with three significant digits (0 to 6; 3 when all are 0).

    Example:
        >>> import pandas as pd
        >>> decimals_for(pd.Series([0.0325, 0.0593])), decimals_for(pd.Series([12.5, 3.0]))
        (4, 1)
    """
    largest = float(values.abs().max()) if len(values) else math.nan
    if not largest > 0 or math.isinf(largest):
        return 3
    return min(6, max(0, 2 - math.floor(math.log10(largest))))


def number(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` fixed decimals (a minus sign in math mode, never ``-0``; ``--`` for NaN).

    Example:
        >>> number(0.12345, 3), number(-0.00001, 3), number(-1.5, 1), number(float("nan"), 2)
        ('0.123', '0.000', '$-$1.5', '--')
    """
    if math.isnan(value):
        return "--"
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else "$-$" + text[1:]
    return text


def _rows(group: pd.DataFrame, alpha: float, decimals: int | None) -> list[str]:
    """The rows of one benchmark: its name, then each strategy (the best in bold, its ties daggered)."""
    places = decimals if decimals is not None else decimals_for(
        group[["median", "q25", "q75", "iqm", "iqm_low", "iqm_high"]].stack())
    rows = [rf"\multicolumn{{{COLUMNS}}}{{l}}{{\textit{{{escape(group['benchmark'].iloc[0])}}}}} \\"]
    for row in group.itertuples(index=False):
        cells = [escape(row.strategy),
                 f"{number(row.median, places)} [{number(row.q25, places)}, {number(row.q75, places)}]",
                 f"{number(row.iqm, places)} [{number(row.iqm_low, places)}, {number(row.iqm_high, places)}]"]
        if row.best:
            cells = [rf"\textbf{{{cell}}}" for cell in cells]
        elif row.p_vs_best >= alpha:  # NaN (fewer than two paired seeds) is no tie: it was not tested
            cells[0] += DAGGER
        rows.append(" & ".join(cells) + r" \\")
    return rows


def caption(table: pd.DataFrame, alpha: float) -> str:
    """What the table shows, its marks and the test behind them, in LaTeX."""
    from nasbench.report.robust import CONFIDENCE, RESAMPLES  # scipy: only when a table is written

    seeds = sorted({int(n) for n in table["n"]})
    over = f" over {seeds[0]} seeds" if len(seeds) == 1 else ""
    untested = table["p_vs_best"].isna() & ~table["best"].astype(bool)
    note = " Strategies with fewer than two seeds paired with the best are not tested." if untested.any() else ""
    return (f"Final test regret per benchmark{over} (lower is better): median [first and third quartiles] and "
            f"interquartile mean (IQM) [{CONFIDENCE:.0%} percentile-bootstrap interval, {RESAMPLES} resamples]."
            .replace("%", r"\,\%")
            + r" Bold: the best strategy on the benchmark (lowest mean final regret). " + DAGGER
            + r": not significantly different from the best by a two-sided paired Wilcoxon signed-rank test "
            rf"(pairs = seeds) at $\alpha = {alpha:g}$." + note)


def latex_table(table: pd.DataFrame, *, alpha: float = 0.05, decimals: int | None = None) -> str:
    r"""One booktabs table of :func:`~nasbench.report.stats.final_table`'s ``table``, read at ``alpha``
    (the alpha it was computed at); ``decimals`` fixed decimals (default: per benchmark, three
    significant digits of its largest value). A fragment that needs only ``\usepackage{booktabs}``."""
    lines = ["% nasbench final-regret table: a fragment for \\input{report.tex};",
             "% the preamble needs only \\usepackage{booktabs}.",
             r"\begin{table}[tbp]", r"\centering", rf"\caption{{{caption(table, alpha)}}}",
             r"\label{tab:final-regret}", r"\begin{tabular}{lrr}", r"\toprule", HEADER]
    for _, group in table.groupby("benchmark", sort=True):
        lines += [r"\midrule", *_rows(group, alpha, decimals)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"
