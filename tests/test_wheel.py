"""The built wheel: it carries every shipped table and package, and answers from outside the checkout.

The wheel is installed with ``pip install --no-deps --target`` into a temporary folder (offline: its
dependencies come from this environment) and used from a working directory outside the repository,
so nothing can fall back to the checkout's ``data/``. ``.ci/run`` also installs it with its
dependencies into a fresh virtual environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy of the project files so the checkout gains no build/ or *.egg-info folder
    source = out / "source"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    for name in files:
        target = source / name
        if (REPO / name).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((REPO / name).read_bytes())
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           str(source), "-w", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("nasbench-*.whl")
    return path


def test_wheel_carries_every_table_and_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((REPO / "data" / "manifest.json").read_text())["tables"]
    assert len(manifest) == 13
    for entry in manifest.values():
        assert f"nasbench/data/{entry['file']}" in names
    assert "nasbench/data/manifest.json" in names and "nasbench/data/NOTICE" in names
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    folders = {str(p.parent.relative_to(REPO)).replace(os.sep, ".").replace("strategies", "nasbench.strategies", 1)
               for root in ("nasbench", "strategies") for p in (REPO / root).rglob("__init__.py")}
    assert folders | {"nasbench.data"} == set(listed), "pyproject.toml's package list is out of date"
    # the strategies install inside nasbench: no top-level package another project could collide with
    assert {name.split("/")[0] for name in names if not name.startswith("nasbench-")} == {"nasbench"}
    assert "nasbench/strategies/random_search.py" in names


def test_installed_wheel_lists_queries_and_runs(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    # another project's top-level package named "strategies", installed beside nasbench
    other = target / "strategies" / "__init__.py"
    other.parent.mkdir(parents=True)
    other.write_text('OWNER = "another project"\n')
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "already exists" not in done.stderr and other.read_text() == 'OWNER = "another project"\n'
    env = {**os.environ, "PYTHONPATH": str(target), "NASBENCH_DATA": ""}
    work = tmp_path / "elsewhere"
    work.mkdir()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nasbench.cli", *args], capture_output=True, text=True,
                              cwd=work, env=env)

    listed = cli("list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert len(rows) == 13 and all(Path(path).is_relative_to(target) for _, path in rows)
    query = cli("query", "nbgraph-cora", "0,1,1,2|gcn,gin,fc,cheb", "--metric", "valid_accuracy", "--json")
    assert query.returncode == 0 and json.loads(query.stdout)["values"]["valid_accuracy"] > 0.7
    run = cli("run", "rea", "nbgraph-cora", "--seed", "0", "--evals", "12")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip(), "run printed nothing"
    owner = subprocess.run([sys.executable, "-c", "import strategies; print(strategies.OWNER)"], capture_output=True,
                           text=True, cwd=work, env=env)
    assert owner.stdout.strip() == "another project", owner.stderr
