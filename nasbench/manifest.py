"""The manifest of shipped tables: ``data/manifest.json``.

One entry per table file: its name, file, table checksum (the SHA-256 content checksum stored in the
table), file size, source and licence. ``tests/test_manifest.py`` checks every entry against its file;
:func:`record` adds or refreshes an entry after a table is (re)built.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nasbench.table import Table

MANIFEST = "manifest.json"


def read(data_dir: Path) -> dict[str, Any]:
    path = data_dir / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {"tables": {}}


def record(table_path: Path, *, command: str) -> None:
    """Add or refresh ``table_path``'s entry in the manifest beside it (written atomically)."""
    table_path = Path(table_path)
    table = Table.open(table_path, verify="full")
    manifest = read(table_path.parent)
    manifest["tables"][table.name] = {
        "file": table_path.name, "checksum": table.checksum, "bytes": table_path.stat().st_size,
        "space": table.space, "source": table.attrs.get("source", ""), "licence": table.attrs.get("licence", ""),
        "version": table.attrs.get("version", ""), "command": command,
    }
    manifest["tables"] = dict(sorted(manifest["tables"].items()))
    tmp = table_path.parent / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, table_path.parent / MANIFEST)
