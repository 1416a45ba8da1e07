"""Importing the strategies (the registry the CLI reads at every ``nasbench run``) stays light:
scipy, torch and pandas are imported by a strategy only when it fits a model."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scipy", "torch", "pandas", "matplotlib", "sklearn")


def modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_registry_and_constructors_import_no_heavy_dependency():
    loaded = modules_after("import nasbench.strategies\nfor cls in nasbench.strategies.registry().values(): cls()")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_a_model_based_run_imports_scipy_when_it_fits():
    loaded = modules_after("from nasbench.simulate import run\nrun('gp-bo', 'nbgraph-cora', seed=0, max_evals=12)")
    assert "scipy" in loaded  # the check above is not vacuous: the GP does use scipy, lazily
