"""Shared fixtures: paths to the repository, its test data and a scratch copy of a table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nasbench.train import numerics

# Training in this process uses the kernels the shipped tables were built with; pinned before any test
# imports torch (otherwise every training call would start a pinned child process).
numerics.pin(numerics.DEFAULT_KERNELS)

REPO = Path(__file__).resolve().parents[1]
#: real NATS-Bench sample files (MIT licence; tests/fixtures/nats/README.md, data/NOTICE)
NATS_FIXTURES = REPO / "tests" / "fixtures" / "nats"


@pytest.fixture
def cora_copy(tmp_path: Path) -> Path:
    """A private copy of the nbgraph-cora table, safe to damage."""
    target = tmp_path / "nbgraph-cora.h5"
    shutil.copyfile(REPO / "data" / "nbgraph-cora.h5", target)
    return target
