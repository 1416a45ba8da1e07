"""Shared fixtures: paths to the repository, shared fixtures and a scratch copy of a table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nasbench.train import numerics

# Training in this process uses the kernels the shipped tables were built with; pinned before any test
# imports torch (otherwise every training call would start a pinned child process).
numerics.pin("avx2")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
NATS_FIXTURES = SHARED / "fixtures" / "nats"


@pytest.fixture
def cora_copy(tmp_path: Path) -> Path:
    """A private copy of the nbgraph-cora table, safe to damage."""
    target = tmp_path / "nbgraph-cora.h5"
    shutil.copyfile(REPO / "data" / "nbgraph-cora.h5", target)
    return target
