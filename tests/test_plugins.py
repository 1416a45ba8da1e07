"""Every extension kind added from outside, in one file: a temporary distribution with entry points.

``toyplugin.py`` adds a strategy, an importer, a search space and a report section; its
``.dist-info`` names it in each kind's entry-point group. Nothing of nasbench is edited: each kind
must be found, listed where nasbench lists that kind, and run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = '''
"""A plugin adding one extension of every kind."""
from pathlib import Path

import numpy as np

from nasbench.importers import Importer, ImportOptions, register_importer
from nasbench.report.sections import ReportData, Section, section
from nasbench.spaces import register_space
from nasbench.spaces.nbgraph import OPS, NbGraphSpace
from nasbench.spaces.subset import SubsetSpace
from nasbench.strategies.base import Job, Result, Strategy
from nasbench.table import MetricInfo, Split, TableContents, write_table


class ToyWalk(Strategy):
    """Samples uniformly, but never the same architecture twice in a row."""

    summary = "a toy walk from a plugin"

    def start(self) -> None:
        self._last = None

    def ask(self) -> Job:
        arch = self.space.sample(self.rng)
        while arch == self._last:
            arch = self.space.sample(self.rng)
        self._last = arch
        return Job(arch)

    def tell(self, job: Job, result: Result) -> None:
        pass


def strategies() -> dict:
    return {"toy-walk": ToyWalk}


@register_space("toy-graph")
def toy_graph(table):  # the rows a toy table holds, of NAS-Bench-Graph's space
    return NbGraphSpace(OPS) if table is None else SubsetSpace(NbGraphSpace(OPS), table.codes)


@register_importer
class ToyImporter(Importer):
    name = "toy"
    help = "a text file of validation accuracies, one per line, for the first rows of toy-graph"

    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        values = [float(line) for line in Path(path).read_text().split()]
        space = NbGraphSpace(OPS)
        metric = np.array(values).reshape(-1, 1, 1)
        table = out / "toy.h5"
        write_table(table, TableContents(
            name="toy", space="toy-graph", codes=list(range(len(values))),
            archs=[space.encode(space.arch_of_row(row)) for row in range(len(values))], seeds=[0],
            fidelities=[1.0], fidelity_unit="final",
            metrics={"valid_accuracy": (metric, MetricInfo("valid_accuracy", Split.VALID, "fraction", True)),
                     "test_accuracy": (metric, MetricInfo("test_accuracy", Split.TEST, "fraction", True))},
            source=str(path), licence="CC0-1.0", version="1"))
        return [table]


@section("toy-count")
def toy_count(report: ReportData) -> Section:
    return Section("Runs counted by a plugin", f"{len(report.finals)} runs.")
'''

ENTRY_POINTS = """[nasbench.strategies]
toy = toyplugin:strategies

[nasbench.importers]
toy = toyplugin

[nasbench.spaces]
toy = toyplugin

[nasbench.report_sections]
toy = toyplugin
"""

CHECK = """
import sys
from pathlib import Path

import nasbench
from nasbench.cli import main
from nasbench.report.anytime import runs_frame
from nasbench.report.html import write_report
from nasbench.spaces import get_space, list_spaces

out = Path(sys.argv[1])
assert "toy-graph" in list_spaces() and get_space("toy-graph").name == "nbgraph"
(out / "scores.txt").write_text("0.5\\n0.7\\n0.6\\n")
assert main(["import", "toy", str(out / "scores.txt"), "--out", str(out)]) == 0
traces = [nasbench.run("toy-walk", out / "toy.h5", seed=seed, max_evals=2) for seed in range(2)]
assert {t.meta.strategy for t in traces} == {"toy-walk"}
write_report(out / "report", runs_frame(traces), [t.meta for t in traces], sections=("final", "toy-count"))
assert "Runs counted by a plugin" in (out / "report" / "report.md").read_text()
main(["strategies"])
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    info = folder / "toyplugin-0.1.dist-info"
    info.mkdir(parents=True)
    (folder / "toyplugin.py").write_text(PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return folder


def test_every_extension_kind_plugs_in_from_one_outside_file(site: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("toy-walk") and "a toy walk from a plugin" in line for line in done.stdout.splitlines())
    listed = subprocess.run([sys.executable, "-m", "nasbench.cli", "import", "--help"], capture_output=True, text=True,
                            env=env)
    assert "toy" in listed.stdout and "a text file of validation accuracies" in listed.stdout
