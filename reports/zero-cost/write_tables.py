"""Store the proxies scored by ``compute.py TABLE 1`` (every row) in the shipped table, as its metrics.

Usage: ``python reports/zero-cost/write_tables.py TABLE``. Each table seed ``s`` gets the proxies of
init seed ``s`` (the network that seed trained from); init seeds the table has no column for stay in
the chunk files. Every other dataset of the table is written back unchanged, and the manifest entry
is refreshed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import nasbench
from nasbench import manifest
from nasbench.train import store
from nasbench.zero_cost import PROXY_NAMES, seconds_metric

HERE = Path(__file__).parent
INIT_SEEDS = (0, 1, 2)


def main(name: str) -> None:
    bench = nasbench.load(name)
    chunks = [np.load(path) for path in sorted((HERE / "chunks").glob(f"{name}-s1-*.npz"))]
    rows = np.concatenate([c["rows"] for c in chunks])
    if sorted(rows.tolist()) != list(range(bench.space.size)):
        raise SystemExit(f"{name}: the chunks score {len(set(rows.tolist()))} of {bench.space.size} rows; "
                         f"run compute.py {name} 1 to the end first")
    names = [str(n) for n in chunks[0]["names"]]
    assert tuple(names) == PROXY_NAMES
    values = np.concatenate([c["values"] for c in chunks])
    seconds = np.concatenate([c["seconds"] for c in chunks])
    order = np.argsort(rows)
    columns = [INIT_SEEDS.index(int(seed)) for seed in bench.seeds]
    out: dict[str, np.ndarray] = {}
    for k, proxy in enumerate(names):
        out[proxy] = values[order][:, columns, k]
        out[seconds_metric(proxy)] = seconds[order][:, columns, k]
    path = Path(bench.table.path)
    store.set_proxies(path, bench.space, out)
    entry = manifest.read(path.parent)["tables"][name]
    manifest.record(path, command=entry["command"])
    print(f"{name}: {len(names)} proxies for {len(rows)} rows x seeds {bench.seeds.tolist()} stored in {path}")


if __name__ == "__main__":
    main(sys.argv[1])
