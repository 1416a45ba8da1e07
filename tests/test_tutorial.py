"""The tutorial (reports/tutorial/) runs top to bottom, its self-checks pass, and the shipped files are current."""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from conftest import REPO

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TUTORIAL = REPO / "reports" / "tutorial"


def _build_module():
    spec = importlib.util.spec_from_file_location("tutorial_build", TUTORIAL / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tutorial_build"] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_notebook_and_html_are_the_built_ones() -> None:
    built = [cell.source for cell in _build_module().notebook().cells]
    shipped = nbformat.read(TUTORIAL / "tutorial.ipynb", as_version=4)
    assert [cell.source for cell in shipped.cells] == built, "run python reports/tutorial/build.py"
    page = html.unescape(re.sub(r"<[^>]+>", "", (TUTORIAL / "tutorial.html").read_text()))
    for cell in shipped.cells:
        if cell.cell_type == "code":
            assert all(line in page for line in cell.source.splitlines()), cell.source[:60]


def test_tutorial_runs_top_to_bottom_and_every_self_check_passes(tmp_path: Path) -> None:
    executed = _build_module().execute(_build_module().notebook(), str(tmp_path))
    printed = []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            printed.append(output.get("text", ""))
    checks = [text for text in printed if "correct" in text]
    assert len(checks) == 4 and all(text.strip() == "correct" for text in checks), checks
    assert (tmp_path / "replay.html").stat().st_size > 0
