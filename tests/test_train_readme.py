"""The README's live-training snippet runs as written: build a table with missing entries, then fill one live."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_readme import fenced_blocks, run_blocks

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[1]


def test_the_live_training_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("## Learning-curve tables and live training", 1)[1].split("\n## ", 1)[0]
    blocks = fenced_blocks(section)
    assert [block.language for block in blocks] == ["console", "python"]
    monkeypatch.chdir(tmp_path)
    run_blocks(blocks, tmp_path)
    import nasbench
    from nasbench.train.live import is_live

    bench = nasbench.load(tmp_path / "my-mlp.h5")
    assert is_live(bench, bench.row("layers=2,width=32,act=tanh,dropout=0,lr=0.003"), 0)
    assert not (tmp_path / "my-mlp.h5.lock").exists()
