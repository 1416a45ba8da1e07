"""Importers behind one interface: the registry holds every importer of the package, the CLI takes its
kinds from it, NAS-Bench-Graph imports from the command line, and a new importer is one class."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

import nasbench
import nasbench.importers
from nasbench.cli import main
from nasbench.importers import registry
from nasbench.importers.registry import Importer, ImportOptions, importer_registry, register_importer
from nasbench.table import Table


def test_every_importer_class_in_the_package_is_registered() -> None:
    found = set()
    for module in pkgutil.iter_modules(nasbench.importers.__path__):
        for _, cls in inspect.getmembers(importlib.import_module(f"nasbench.importers.{module.name}"), inspect.isclass):
            if issubclass(cls, Importer) and not inspect.isabstract(cls) and cls.name:
                found.add(cls.name)
    assert sorted(importer_registry()) == sorted(found) and len(found) >= 6


def test_the_cli_lists_the_registered_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = capsys.readouterr().out
    for kind, importer in importer_registry().items():
        assert f"  {kind:<10} {importer.help}" in text
    assert main(["import", "nope", "x", "--out", "y"]) == 2
    assert "invalid choice: 'nope' (choose from 'hwnas', 'nats-sss'" in capsys.readouterr().err


def test_nbgraph_imports_from_the_command_line_and_matches_the_shipped_table(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture) -> None:
    assert main(["import", "nbgraph", "proteins", "--out", str(tmp_path / "out")]) == 0
    written = tmp_path / "out" / "nbgraph-proteins.h5"
    assert capsys.readouterr().out.split() == [str(written)]
    assert Table.open(written).checksum == Table.open(REPO / "data" / "nbgraph-proteins.h5").checksum


def test_nbgraph_imports_a_light_table_file(tmp_path: Path) -> None:
    from nasbench.importers.nbgraph import source_path

    copy = tmp_path / "proteins.bench"
    shutil.copyfile(source_path("proteins"), copy)
    assert main(["import", "nbgraph", str(copy), "--out", str(tmp_path)]) == 0
    assert nasbench.load(tmp_path / "nbgraph-proteins.h5").n_archs == 2021


@pytest.mark.parametrize("path, message", [
    ("foo", "nbgraph imports a dataset name (cora, citeseer"),
    ("missing/cora.bench", "no NAS-Bench-Graph light table at missing/cora.bench"),
])
def test_nbgraph_refuses_what_it_cannot_import(tmp_path: Path, capsys: pytest.CaptureFixture, path: str,
                                               message: str) -> None:
    assert main(["import", "nbgraph", path, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_onto_is_refused_by_importers_that_do_not_join(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["import", "nbgraph", "cora", "--out", str(tmp_path), "--onto", "x.h5"]) == 2
    assert "--onto applies to hwnas imports only, not to nbgraph" in capsys.readouterr().err


def test_a_name_registered_twice_raises() -> None:
    class Other(Importer):
        name = "nbgraph"
        help = "a second nbgraph importer"

        def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
            return []

    with pytest.raises(nasbench.NasbenchError, match="an importer named 'nbgraph' is already registered"):
        register_importer(Other)


# --- the README "Extending: an importer" example, run as written ----------------------------------------
EXAMPLE = '''
import csv
from pathlib import Path

import numpy as np

from nasbench.importers import Importer, ImportOptions, register_importer
from nasbench.spaces import get_space
from nasbench.table import MetricInfo, Split, TableContents, write_table


@register_importer
class Nb201CsvImporter(Importer):
    name = "nb201-csv"
    help = "a CSV file with columns arch, valid_accuracy, test_accuracy (NAS-Bench-201 cell strings)"

    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        space = get_space("nb201")
        codes = [space.index(space.parse(row["arch"])) for row in rows]  # rows of the full space
        metrics = {name: (np.array([[[float(row[name])]] for row in rows]), MetricInfo(name, split, "fraction", True))
                   for name, split in (("valid_accuracy", Split.VALID), ("test_accuracy", Split.TEST))}
        table = out / f"{path.stem}.h5"
        write_table(table, TableContents(
            name=path.stem, space="nb201-subset", codes=codes,
            archs=[space.encode(space.arch_of_row(code)) for code in codes], seeds=[0], fidelities=[1.0],
            fidelity_unit="final", metrics=metrics, source=str(path), licence="CC0-1.0", version="1"))
        return [table]
'''


@pytest.fixture
def example_importer() -> Iterator[None]:
    exec(compile(EXAMPLE, "README example", "exec"), {"__name__": "readme_example"})
    yield
    del registry.IMPORTERS["nb201-csv"]


def test_readme_importer_example(tmp_path: Path, example_importer: None) -> None:
    cells = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
             "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"]
    source = tmp_path / "scores.csv"
    source.write_text("arch,valid_accuracy,test_accuracy\n" + f"{cells[0]},0.91,0.90\n{cells[1]},0.52,0.50\n")
    assert main(["import", "nb201-csv", str(source), "--out", str(tmp_path)]) == 0
    b = nasbench.load(tmp_path / "scores.h5")
    assert b.query(cells[1], "test_accuracy") == 0.5 and b.optimum("valid_accuracy") == (0, 0.91)
    assert np.isclose(nasbench.run("rs", b, seed=0, max_evals=4).to_frame()["incumbent_test"].iloc[-1], 0.90)


def test_a_path_the_operating_system_refuses_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for kind in ("nb101", "nats-tss", "nb201", "hwnas"):
        assert main(["import", kind, "x" * 300, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "File name too long" in err and len(err.splitlines()) == 1, err[:200]
