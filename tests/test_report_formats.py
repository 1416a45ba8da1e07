"""Reports a paper can print (#25 item 3): every figure in PNG, PDF and SVG (text kept as text), and
``report.tex``, the final-regret table as booktabs LaTeX (the best in bold, its ties by the stated test marked).

``report.tex`` is compiled with ``pdflatex -halt-on-error`` where pdflatex is installed; everywhere it is
parsed (:func:`tex_problems`), and the parser is shown to reject broken tables.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import nasbench.simulate as simulate
from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.report.anytime import final, runs_frame
from nasbench.report.html import write_report
from nasbench.report.latex import figure_formats, latex_table
from nasbench.report.stats import final_table

SECTIONS = ("final", "ecdf")
TIE, WORSE = "bohb preset=nb201", "worse_50%#&"


@pytest.fixture(scope="module")
def traces():
    return [simulate.run(s, "nbgraph-cora", seed=i, max_evals=12) for s in ("rs", "rea") for i in range(3)]


def _report(path, traces, formats):
    return write_report(path, runs_frame(traces), [t.meta for t in traces], sections=SECTIONS, formats=formats)


# --- figure formats -------------------------------------------------------------------------------------
def test_every_figure_is_written_in_each_format_with_text_as_text(tmp_path, traces):
    before = (plt.rcParams["svg.fonttype"], plt.rcParams["pdf.fonttype"])
    paths = _report(tmp_path, traces, ("svg", "png", "pdf"))
    assert {"ecdf.svg", "ecdf.png", "ecdf.pdf", "report.tex"} <= {p.name for p in paths}
    assert (tmp_path / "ecdf.png").read_bytes()[:4] == b"\x89PNG"
    svg = (tmp_path / "ecdf.svg").read_text()
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert "rea" in texts and "final test regret" in " ".join(texts), texts[:10]  # labels, not glyph paths
    pdf = (tmp_path / "ecdf.pdf").read_bytes()
    # type 42: TrueType font programs embedded (a Type0 / CIDFontType2 font or a simple TrueType one), no Type 3
    assert b"/FontFile2" in pdf and re.search(rb"/Subtype /(CIDFontType2|TrueType)", pdf) and b"/Type3" not in pdf
    assert (plt.rcParams["svg.fonttype"], plt.rcParams["pdf.fonttype"]) == before  # set for the save only
    # report.md links the first format, the page shows the PNG
    assert "![ECDF of final test regret](ecdf.svg)" in (tmp_path / "report.md").read_text()
    assert "src='ecdf.png'" in (tmp_path / "index.html").read_text()


def test_the_font_check_tells_embedded_truetype_from_the_default(tmp_path):
    """The control for the check above: matplotlib's default (type 3 fonts) has no /FontFile2."""
    figure, ax = plt.subplots()
    ax.set_xlabel("evaluations")
    figure.savefig(tmp_path / "default.pdf")
    figure.savefig(tmp_path / "default.svg")
    plt.close(figure)
    assert b"/FontFile2" not in (tmp_path / "default.pdf").read_bytes()
    assert "<text" not in (tmp_path / "default.svg").read_text()


def test_without_png_the_page_shows_the_svg_and_vector_files_are_reproducible(tmp_path, traces):
    _report(tmp_path / "a", traces, "pdf,svg")
    _report(tmp_path / "b", traces, ["pdf", "svg"])
    assert not (tmp_path / "a" / "ecdf.png").exists()
    assert "src='ecdf.svg'" in (tmp_path / "a" / "index.html").read_text()
    assert "[ECDF of final test regret (PDF)](ecdf.pdf)" in (tmp_path / "a" / "report.md").read_text()
    for name in ("ecdf.pdf", "ecdf.svg", "report.tex"):  # no date, version or random id in the bytes
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_pdf_only_report_links_the_pdf(tmp_path, traces):
    _report(tmp_path, traces, ("pdf",))
    assert "<a href='ecdf.pdf'>" in (tmp_path / "index.html").read_text()


def test_figure_formats_are_checked():
    assert figure_formats(" PNG,svg ,png") == ("png", "svg")
    for bad in ("png,bmp", "", "png,", ["png", 3], None):
        with pytest.raises(NasbenchError, match="the figure formats are one or more of png, pdf, svg"):
            figure_formats(bad)


def test_compare_format_flag(tmp_path, capsys):
    out = tmp_path / "bad"
    argv = ["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "rea", "--seeds", "2", "--evals", "5",
            "--jobs", "1", "--no-progress"]
    assert main([*argv, "--out", str(out), "--format", "png,bmp"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "'png,bmp'" in err and "Traceback" not in err, err
    assert not out.exists()  # checked before any run
    out = tmp_path / "good"
    assert main([*argv, "--out", str(out), "--format", "svg,pdf"]) == 0
    assert (out / "ecdf.svg").exists() and (out / "ecdf.pdf").exists() and not (out / "ecdf.png").exists()
    assert "src='ecdf.svg'" in (out / "index.html").read_text()
    assert tex_problems((out / "report.tex").read_text()) == []


# --- report.tex -----------------------------------------------------------------------------------------
def tex_problems(text: str) -> list[str]:
    """What keeps ``text`` from being a well-formed booktabs table fragment (empty when none)."""
    problems = []
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("%"))
    plain = re.sub(r"\\[{}&%$#_]", "", body)  # escaped specials are text
    depth = 0
    for character in plain:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            problems.append("a } closes nothing")
            break
    if depth > 0:
        problems.append(f"{depth} unclosed {{")
    stack: list[str] = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", plain):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"\\end{{{name}}} without its \\begin")
    problems += [f"\\begin{{{name}}} never ended" for name in stack]
    rules = [plain.find(rule) for rule in (r"\toprule", r"\midrule", r"\bottomrule")]
    if -1 in rules or rules != sorted(rules):
        problems.append("toprule, midrule and bottomrule missing or out of order")
        return problems
    spec = re.search(r"\\begin\{tabular\}\{(\w+)\}", plain)
    rows = [row.strip() for row in re.split(r"\\\\", plain[rules[0] + len(r"\toprule"):rules[2]])]
    for row in filter(None, (re.sub(r"\\(midrule|addlinespace)", "", row).strip() for row in rows)):
        span = re.match(r"\\multicolumn\{(\d+)\}", row)
        columns = int(span.group(1)) if span else row.count("&") + 1
        if spec is None or columns != len(spec.group(1)):
            problems.append(f"{columns} columns in {row[:40]!r}")
    return problems


def _final() -> pd.DataFrame:
    """Two benchmarks, ten seeds: ``a`` best on the first, a strategy the test cannot tell from it, and one
    clearly worse (every seed worse: exact Wilcoxon p = 2 / 2^10); on the second the order is reversed."""
    rng = np.random.default_rng(3)
    best = rng.uniform(0.01, 0.05, 10)
    first = {"a": best, TIE: best + np.array([0.002, -0.001] * 5), WORSE: best + 0.1}
    second = {"a": best + 0.2, TIE: best + 0.1, WORSE: best}
    frames = [pd.DataFrame({"benchmark": benchmark, "strategy": strategy, "seed": range(10), "regret": values})
              for benchmark, table in (("nb201_cifar10", first), ("b2", second)) for strategy, values in table.items()]
    return pd.concat(frames, ignore_index=True)


def _groups(tex: str) -> dict[str, list[list[str]]]:
    """Rows of the tabular by benchmark, each row its cells."""
    groups: dict[str, list[list[str]]] = {}
    current = ""
    for line in tex.splitlines():
        heading = re.match(r"\\multicolumn\{\d+\}\{l\}\{\\textit\{(.*)\}\} \\\\$", line)
        if heading:
            current = heading.group(1)
            groups[current] = []
        elif current and line.endswith(r" \\"):
            groups[current].append(line[:-3].split(" & "))
    return groups


def _marks(tex: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Per benchmark: the strategy whose every cell is bold, and the strategies with a dagger."""
    bold, daggered = {}, {}
    for benchmark, rows in _groups(tex).items():
        strong = [row for row in rows if all(cell.startswith(r"\textbf{") for cell in row)]
        assert not any(r"\textbf" in cell for row in rows if row not in strong for cell in row)
        assert len(strong) == 1, f"{benchmark}: {len(strong)} bold rows"
        bold[benchmark] = strong[0][0][len(r"\textbf{"):-1]
        daggered[benchmark] = {row[0].removesuffix(r"$^\dagger$") for row in rows if row[0].endswith(r"$^\dagger$")}
    return bold, daggered


def test_latex_table_bolds_the_best_and_marks_its_ties():
    table = final_table(_final(), alpha=0.05)
    tex = latex_table(table, alpha=0.05)
    assert tex_problems(tex) == []
    escaped_tie, escaped_worse = "bohb preset=nb201", r"worse\_50\%\#\&"
    bold, daggered = _marks(tex)
    assert bold == {"nb201\\_cifar10": "a", "b2": escaped_worse}
    assert daggered == {"nb201\\_cifar10": {escaped_tie}, "b2": set()}
    # the marks follow the table's own test: tie p >= alpha, worse p < alpha
    p = table.set_index(["benchmark", "strategy"])["p_vs_best"]
    assert p[("nb201_cifar10", TIE)] >= 0.05 > p[("nb201_cifar10", WORSE)]
    assert "two-sided paired Wilcoxon signed-rank test" in tex and r"$\alpha = 0.05$" in tex
    assert tex.count(r"\begin{tabular}{lrr}") == 1 and "\\usepackage{booktabs}" in tex.splitlines()[1]
    # fixed decimals: the first benchmark's largest value is ~0.15, so three decimals in every number
    row = next(r for r in _groups(tex)["nb201\\_cifar10"] if r[0] == r"\textbf{a}")
    numbers = re.findall(r"\d+\.\d+", " ".join(row[1:]))
    assert len(numbers) == 6 and {len(n.split(".")[1]) for n in numbers} == {3}, numbers
    iqm = table.set_index(["benchmark", "strategy"]).loc[("nb201_cifar10", "a")]
    assert numbers[3:] == [f"{iqm[c]:.3f}" for c in ("iqm", "iqm_low", "iqm_high")]  # the report's own IQM


def test_alpha_changes_the_marks():
    tex = latex_table(final_table(_final(), alpha=0.001), alpha=0.001)
    assert _marks(tex)[1]["nb201\\_cifar10"] == {"bohb preset=nb201", r"worse\_50\%\#\&"}  # 0.001 < p < 0.01


@pytest.mark.parametrize("break_it, problem", [
    (lambda t: t.replace(r"\bottomrule", ""), "toprule, midrule and bottomrule"),
    (lambda t: t.replace(r"\end{tabular}", "", 1), "never ended"),
    (lambda t: t.replace(r"\textbf{a}", r"\textbf{a", 1), "unclosed"),
    (lambda t: t.replace(r" \\" + "\n" + "bohb", r" & x \\" + "\nbohb", 1), "4 columns"),
])
def test_the_parser_rejects_broken_tables(break_it, problem):
    tex = latex_table(final_table(_final()))
    assert any(problem in found for found in tex_problems(break_it(tex))), tex_problems(break_it(tex))


def test_a_best_value_that_is_not_bold_fails():
    tex = latex_table(final_table(_final()))
    unbolded = re.sub(r"\\textbf\{(a)\} & \\textbf\{([^}]*)\}", r"\1 & \2", tex, count=1)
    assert unbolded != tex
    with pytest.raises(AssertionError):
        _marks(unbolded)


def test_write_report_writes_the_table(tmp_path, traces):
    runs = runs_frame(traces)
    _report(tmp_path, traces, ("png",))
    tex = (tmp_path / "report.tex").read_text()
    assert tex == latex_table(final_table(final(runs)), alpha=0.05)
    write_report(tmp_path / "no-final", runs, [t.meta for t in traces], sections=("ecdf",))  # written always
    assert (tmp_path / "no-final" / "report.tex").read_text() == tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (the parser test runs)")
def test_report_tex_compiles(tmp_path):
    (tmp_path / "report.tex").write_text(latex_table(final_table(_final())))
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
                                        "\\input{report.tex}\n\\end{document}\n")
    result = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "paper.tex"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]


def test_the_format_check_imports_no_plotting_library():
    """`nasbench compare` checks --format before it takes the study lock: matplotlib would add a second."""
    code = ("import sys, nasbench.report.latex as latex; latex.figure_formats('pdf'); "
            "print(sorted(m for m in ('matplotlib', 'pandas', 'scipy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
