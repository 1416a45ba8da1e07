"""The README's live-training snippet runs as written: build a table with missing entries, then fill one live."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[1]


def _section_blocks() -> list[tuple[str, str]]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Learning-curve tables and live training", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(bash|python)\n(.*?)```", section, flags=re.S)


def test_the_live_training_snippet_runs(tmp_path: Path) -> None:
    blocks = _section_blocks()
    assert [kind for kind, _ in blocks] == ["bash", "python"]
    env = dict(os.environ, PYTHONPATH=str(REPO), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    shell = subprocess.run(["bash", "-e", "-c", blocks[0][1]], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600)
    assert shell.returncode == 0, shell.stderr
    python = subprocess.run([sys.executable, "-c", blocks[1][1]], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert python.returncode == 0, python.stderr
    assert 0.0 <= float(python.stdout.strip()) <= 1.0
    import nasbench
    from nasbench.train.live import is_live

    bench = nasbench.load(tmp_path / "my-mlp.h5")
    assert is_live(bench, bench.row("layers=2,width=32,act=tanh,dropout=0,lr=0.003"), 0)
    assert not (tmp_path / "my-mlp.h5.lock").exists()
