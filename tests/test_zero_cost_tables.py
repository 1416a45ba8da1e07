"""Zero-cost proxies as table metrics: the builder and the live fallback score every entry they train,
older tables gain the columns without any other dataset changing, and ``nasbench info`` ranks them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nasbench  # noqa: E402
from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.table import Split, Table  # noqa: E402
from nasbench.train import store  # noqa: E402
from nasbench.train.builder import BuildRequest, build  # noqa: E402
from nasbench.train.data import load_mnist1d  # noqa: E402
from nasbench.train.proxies import proxies  # noqa: E402
from nasbench.train.schedule import Schedule  # noqa: E402
from nasbench.zero_cost import PROXY_METRICS, PROXY_NAMES, correlations, seconds_metric  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY = Schedule(epochs=2, train_examples=100, batch_size=50)
ARCHS = ["layers=1,width=16,act=relu,dropout=0,lr=0.01", "layers=2,width=32,act=tanh,dropout=0.2,lr=0.03"]


def _build(tmp_path: Path, archs: list[str], seeds: list[int]) -> Path:
    listing = tmp_path / "archs.txt"
    listing.write_text("\n".join(archs) + "\n")
    out = tmp_path / "toy.h5"
    build(BuildRequest("mlp", dataset="mnist1d", seeds=seeds, epochs=2, out=out, archs_file=listing, workers=1,
                       schedule=TINY, progress=False))
    return out


def test_the_builder_stores_every_proxy_of_the_network_each_seed_trained_from(tmp_path: Path) -> None:
    out = _build(tmp_path, ARCHS, [0, 1])
    bench = nasbench.load(out)
    assert all(bench.table.metrics[name].split == Split.NONE for name in PROXY_METRICS)
    data = load_mnist1d()
    for text in ARCHS:
        row = bench.row(text)
        for column, seed in enumerate((0, 1)):
            expected = proxies(bench.space, bench.space.parse(text), seed=seed, schedule=TINY, data=data)
            for name in PROXY_NAMES:
                stored = bench.table.metric(name)[row, column]
                np.testing.assert_array_equal(stored, np.float32(expected[name]), err_msg=name)  # at every epoch
                assert np.all(bench.table.metric(seconds_metric(name))[row, column] > 0)
    assert np.isnan(bench.table.metric("zc_snip")[0]).all()  # untrained rows stay missing


def test_the_live_fallback_scores_the_entry_it_trains(tmp_path: Path) -> None:
    out = _build(tmp_path, ARCHS[:1], [0])
    bench = nasbench.load(out, on_miss="train")
    bench.query(ARCHS[1], "valid_accuracy", seed=0)
    row = bench.row(ARCHS[1])
    expected = proxies(bench.space, bench.space.parse(ARCHS[1]), seed=0, schedule=TINY, data=load_mnist1d())
    assert bench.query(row, "zc_synflow", seed=0) == pytest.approx(expected["zc_synflow"], rel=1e-6)


def test_set_proxies_adds_columns_and_leaves_every_other_dataset_as_it_was(tmp_path: Path) -> None:
    out = _build(tmp_path, ARCHS, [0])
    bench = nasbench.load(out)
    older = tmp_path / "older.h5"  # the same table as an older builder wrote it: no proxy columns
    store._write(older, {k: v for k, v in bench.table.extra.items() if k != "zero_cost"}, space=bench.space,
                 seeds=[0], fidelities=np.array(bench.fidelities),
                 metrics={name: np.array(bench.table.metric(name)) for name in store.METRICS},
                 live=np.array(bench.table.dataset("extra/live")))
    assert not store.has_proxies(Table.open(older))
    before = {}
    with h5py.File(older) as handle:
        handle.visititems(lambda key, obj: before.setdefault(key, obj.attrs["sha256"])
                          if isinstance(obj, h5py.Dataset) else None)
    rows = [bench.row(text) for text in ARCHS]
    values = {name: np.full((bench.space.size, 1), np.nan) for name in PROXY_METRICS}
    for name in PROXY_METRICS:
        values[name][rows] = bench.table.metric(name)[rows, :, -1]
    store.set_proxies(older, bench.space, values)
    rewritten = Table.open(older, verify="full")
    with h5py.File(older) as handle:
        for key, digest in before.items():
            assert handle[key].attrs["sha256"] == digest, key
    for name in PROXY_METRICS:
        np.testing.assert_array_equal(rewritten.metric(name), bench.table.metric(name))
    with pytest.raises(NasbenchError, match="not zero-cost proxy metrics"):
        store.set_proxies(older, bench.space, {"valid_accuracy": values["zc_snip"]})
    with pytest.raises(NasbenchError, match="needs \\(720, 1\\)"):
        store.set_proxies(older, bench.space, {"zc_snip": np.zeros((3, 1))})


def test_correlations_rank_only_rows_with_a_proxy_and_info_prints_them(tmp_path: Path) -> None:
    out = _build(tmp_path, ARCHS + ["layers=3,width=64,act=relu,dropout=0,lr=0.003"], [0])
    bench = nasbench.load(out)
    found = correlations(bench)
    finite = {name: int(np.isfinite(bench.final(name)).sum()) for name in PROXY_NAMES}
    assert [c.proxy for c in found] == [name for name in PROXY_NAMES if finite[name] >= 3]
    assert len(found) >= 6 and all(c.rows == finite[c.proxy] == 3 for c in found)
    assert all(-1 <= c.spearman <= 1 and c.cpu_ms > 0 for c in found)
    assert correlations(nasbench.load("nbgraph-cora")) == []
    shown = subprocess.run([sys.executable, "-m", "nasbench.cli", "info", str(out)], capture_output=True, text=True,
                           cwd=REPO, check=True).stdout
    assert "zero-cost proxies vs final valid_accuracy" in shown and "zc_naswot" in shown


def test_the_shipped_nb201_table_tells_cells_apart_by_jacov() -> None:
    # the old degenerate jacov (a batch larger than the input dimension) left 434 distinct float32 values
    jacov = Table.open(nasbench.load("nb201-mnist1d").table.path).metric("zc_jacov")
    assert not np.isnan(jacov).any() and len(np.unique(jacov)) >= 1000
