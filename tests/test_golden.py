"""Golden traces: every registered strategy still asks for the same evaluations (see tests/golden.py)."""

from __future__ import annotations

import json

import pytest
from golden import TABLES, WORKERS, integer_trace, path_of, runs_for


@pytest.mark.parametrize("table", TABLES)
def test_every_registered_strategy_has_a_golden_trace(table: str) -> None:
    stored = json.loads(path_of(table).read_text())
    expected = {f"{label}|{workers}" for label, _, _ in runs_for(table) for workers in WORKERS}
    assert set(stored) == expected, "regenerate with: PYTHONPATH=$PWD python tests/golden.py --write"


@pytest.mark.parametrize(("table", "label", "strategy", "options", "workers"), [
    (table, label, strategy, options, workers)
    for table in TABLES for label, strategy, options in runs_for(table) for workers in WORKERS])
def test_trace_matches_the_golden_one(table: str, label: str, strategy: str, options: dict, workers: int) -> None:
    stored = json.loads(path_of(table).read_text())[f"{label}|{workers}"]
    assert integer_trace(table, strategy, options, workers) == stored
