"""Every table in data/manifest.json is the file it names: size, content checksum, space, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasbench.table import Table

DATA = Path(__file__).resolve().parents[1] / "data"
ENTRIES = json.loads((DATA / "manifest.json").read_text())["tables"]


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_a_manifest_entry_matches_its_table(name: str) -> None:
    entry = ENTRIES[name]
    path = DATA / entry["file"]
    assert path.stat().st_size == entry["bytes"]
    table = Table.open(path, verify="full")
    assert (table.name, table.checksum, table.space) == (name, entry["checksum"], entry["space"])
    assert entry["command"] and entry["licence"] and entry["source"]


def test_every_table_file_is_in_the_manifest() -> None:
    assert sorted(path.name for path in DATA.glob("*.h5")) == sorted(entry["file"] for entry in ENTRIES.values())
