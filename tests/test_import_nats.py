"""NATS-Bench importer: real sample files, a larger fixture written by our own pbz2 writer, the papers'
convention tables, refusal of hostile pickles, and bad input."""

from __future__ import annotations

import bz2
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers_formats import SSS_SAMPLE, TSS_SAMPLE, hostile_payload, write_nats_tss_dir, write_pbz2

import nasbench
from nasbench.errors import NasbenchError
from nasbench.importers import nats
from nasbench.importers.unpickle import UnsafePickleError, restricted_loads
from nasbench.spaces.nb201 import Nb201Space
from nasbench.table import Split, Table, verify_file

SET_PREFIX = {"x-valid": "valid", "x-test": "test", "ori-test": "ori_test"}


def load_source(path: Path):
    return restricted_loads(bz2.decompress(path.read_bytes()), nats.NATS_GLOBALS, what="test source")


def assert_matches_source(out_dir: Path, prefix: str, records: dict, indexes: list[int]) -> int:
    """Every value of every run in ``records`` is in its table cell, and every other cell of that run is
    NaN; returns the number of values checked."""
    tables: dict[str, Table] = {}
    checked = 0
    for row, index in enumerate(indexes):
        for hp, arch_results in records[index].items():
            for (dataset, seed), run in arch_results["all_results"].items():
                name = f"{prefix}-{dataset.lower()}-hp{hp}"
                table = tables.setdefault(name, Table.open(out_dir / f"{name}.h5"))
                assert table.archs[row] == arch_results["arch_str"] and table.codes[row] == index
                column = list(table.seeds).index(seed)
                expected: dict[str, dict[int, float]] = {
                    "train_accuracy": run["train_acc1es"], "train_loss": run["train_losses"]}
                times = run["train_times"]
                present = 0
                while present in times:
                    present += 1
                expected["train_time"] = dict(enumerate(np.cumsum([times[e] for e in range(present)])))
                for source_key, quantity in (("eval_acc1es", "accuracy"), ("eval_losses", "loss"),
                                             ("eval_times", "eval_time")):
                    for key, value in run[source_key].items():
                        set_name, epoch = key.split("@")
                        expected.setdefault(f"{SET_PREFIX[set_name]}_{quantity}", {})[int(epoch)] = value
                for metric, by_epoch in expected.items():
                    stored = table.metric(metric)[row, column]
                    epochs = np.array(list(by_epoch), dtype=int)
                    values = np.array(list(by_epoch.values()), dtype=np.float64).astype(np.float32)
                    assert np.array_equal(stored[epochs], values), (name, metric, index, seed)
                    assert np.count_nonzero(~np.isnan(stored)) == len(by_epoch), (name, metric, "extra values")
                    checked += len(by_epoch)
                constants = {"params": run["params"], "flops": run["flop"],
                             "latency": sum(run["latency"]) / len(run["latency"])}
                for metric, value in constants.items():
                    assert np.all(table.metric(metric)[row, column] == np.float32(value))
                    checked += 1
    return checked


@pytest.fixture(scope="module")
def tss_sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tss")
    nats.convert("nats-tss", TSS_SAMPLE, out)
    return out


def test_known_value_of_the_real_sample(tss_sample):
    bench = nasbench.load(tss_sample / "nats-tss-cifar10-hp200.h5")
    arch = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    assert bench.query(arch, "ori_test_accuracy", fidelity=200, seed=777) == pytest.approx(85.62, abs=1e-5)
    assert bench.query(arch, "params") == pytest.approx(0.129306, rel=1e-6)
    assert bench.query(arch, "flops") == pytest.approx(15.64737, rel=1e-6)
    assert bench.metric_info("ori_test_accuracy").split == Split.TEST
    assert bench.table.extra["partial"] is True and bench.space.name == "nb201-subset"


def test_every_value_of_the_real_sample_matches_its_source(tss_sample):
    indexes = [0, 11, 284]
    records = {i: load_source(TSS_SAMPLE / f"{i:06d}.pickle.pbz2") for i in indexes}
    assert assert_matches_source(tss_sample, "nats-tss", records, indexes) > 50_000


def test_split_labels_and_missing_epochs_of_the_real_sample(tss_sample):
    valid = Table.open(tss_sample / "nats-tss-cifar10-valid-hp200.h5")
    assert valid.search_metric == "valid_accuracy" and valid.test_metric == "ori_test_accuracy"
    assert valid.cost_metric == "train_time" and list(valid.seeds) == [777, 888, 999]
    assert list(valid.fidelities[[0, -1]]) == [1.0, 200.0]
    ori = valid.metric("ori_test_accuracy")
    assert np.all(np.isnan(ori[:, :, :-1])) and not np.any(np.isnan(ori[:, :, -1]))  # only ori-test@199 exists
    c100 = Table.open(tss_sample / "nats-tss-cifar100-hp200.h5")
    assert c100.metrics["valid_accuracy"].split == Split.VALID and c100.test_metric == "test_accuracy"
    assert np.all(np.isnan(c100.metric("test_accuracy")[:, :, :-1]))
    assert Table.open(tss_sample / "nats-tss-cifar10-hp12.h5").search_metric == ""  # cifar10 has no validation set


def test_paper_table_follows_the_convention(tss_sample):
    paper = Table.open(tss_sample / "nats-tss-cifar10-paper.h5")
    low = Table.open(tss_sample / "nats-tss-cifar10-valid-hp12.h5")
    high = Table.open(tss_sample / "nats-tss-cifar10-hp200.h5")
    assert list(paper.seeds) == list(low.seeds) == [111, 777]
    assert paper.search_metric == "valid_accuracy" and paper.test_metric == "test_accuracy"
    assert paper.cost_metric == "search_cost"
    np.testing.assert_array_equal(paper.metric("valid_accuracy"), low.metric("valid_accuracy"))
    expected_cost = low.metric("train_time") + low.metric("valid_eval_time")
    np.testing.assert_array_equal(paper.metric("search_cost"), expected_cost)
    report = np.mean(high.metric("ori_test_accuracy")[:, :, -1].astype(np.float64), axis=1)
    np.testing.assert_allclose(paper.metric("test_accuracy")[:, 1, 5], report, rtol=1e-6)
    c100 = Table.open(tss_sample / "nats-tss-cifar100-paper.h5")
    high100 = Table.open(tss_sample / "nats-tss-cifar100-hp200.h5")
    np.testing.assert_allclose(c100.metric("test_accuracy")[:, 0, -1],
                               np.mean(high100.metric("test_accuracy")[:, :, -1].astype(np.float64), axis=1), rtol=1e-6)


def test_partial_table_queries_never_reach_another_row(tss_sample):
    bench = nasbench.load(tss_sample / "nats-tss-cifar100-hp12.h5")
    full = Nb201Space()
    for row, index in enumerate([0, 11, 284]):
        assert bench.row(full.encode(full.arch_of_row(index))) == row
    with pytest.raises(NasbenchError, match="not among the 3 architectures"):
        bench.row(full.encode(full.arch_of_row(5)))
    rng = np.random.default_rng(0)
    assert {bench.space.index(bench.space.sample(rng)) for _ in range(50)} == {0, 1, 2}
    child = bench.space.mutate(bench.space.arch_of_row(0), rng)
    assert bench.space.is_valid(child) and bench.space.index(child) != 0


def test_size_space_sample(tmp_path):
    paths = nats.convert("nats-sss", SSS_SAMPLE, tmp_path)
    names = sorted(p.stem for p in paths)
    assert "nats-sss-cifar100-hp90" in names and "nats-sss-imagenet16-120-hp01" in names
    assert not any(name.endswith("paper") for name in names)
    records = {i: load_source(SSS_SAMPLE / f"{i:06d}.pickle.pbz2") for i in [0, 11, 284]}
    assert assert_matches_source(tmp_path, "nats-sss", records, [0, 11, 284]) > 10_000
    bench = nasbench.load(tmp_path / "nats-sss-cifar10-valid-hp12.h5")
    assert bench.row("8:8:8:16:32") == 1 and list(bench.seeds) == [777, 888, 999]


def test_larger_fixture_from_our_writer(tmp_path):
    rng = np.random.default_rng(6)
    space = Nb201Space()
    meta = [space.encode(space.arch_of_row(i)) for i in range(space.size)]
    indexes = sorted(rng.choice(space.size, size=8, replace=False).tolist())
    drop = {indexes[3]: {("cifar100", 111): [7, 8, 9, 10, 11]}, indexes[5]: {("cifar10-valid", 777): [0]}}
    source = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    records = write_nats_tss_dir(source, meta, indexes, rng, hp_200_epochs="200", drop=drop)
    out = tmp_path / "out"
    paths = nats.convert("nats-tss", source, out)
    assert len(paths) == 11 and all(verify_file(p) for p in paths)
    assert assert_matches_source(out, "nats-tss", records, indexes) > 100_000
    c100 = Table.open(out / "nats-tss-cifar100-hp12.h5")
    row = indexes.index(indexes[3])
    assert np.all(np.isnan(c100.metric("train_accuracy")[row, 0, 7:]))
    assert np.all(np.isnan(c100.metric("train_time")[row, 0, 7:]))  # a gap ends the cumulative time
    valid = Table.open(out / "nats-tss-cifar10-valid-hp12.h5")
    assert np.all(np.isnan(valid.metric("train_time")[5, 1]))  # epoch 0 missing: no total is known


def test_hostile_pickles_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    directory = shutil.copytree(TSS_SAMPLE, tmp_path / "NATS-tss-v1_0-3ffb9-simple")
    (directory / "000011.pickle.pbz2").write_bytes(bz2.compress(hostile_payload(marker)))
    with pytest.raises(UnsafePickleError, match="posix.system|os.system|nt.system"):
        nats.convert("nats-tss", directory, tmp_path / "out")
    assert not marker.exists()
    assert not list((tmp_path / "out").glob("*.h5")) and not list((tmp_path / "out").glob(".nasbench-import-*"))
    single = tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    single.write_bytes(bz2.compress(hostile_payload(marker)))
    with pytest.raises(UnsafePickleError):
        nats.convert("nats-tss", single, tmp_path / "out")
    assert not marker.exists()


def test_single_file_archive(tmp_path):
    meta = load_source(TSS_SAMPLE / "meta.pickle.pbz2")
    meta["arch2infos"] = {i: load_source(TSS_SAMPLE / f"{i:06d}.pickle.pbz2") for i in (0, 284)}
    single = write_pbz2(tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2", meta)
    nats.convert("nats-tss", single, tmp_path / "out")
    table = Table.open(tmp_path / "out" / "nats-tss-cifar10-hp200.h5")
    assert list(table.codes) == [0, 284] and table.metric("ori_test_accuracy")[0, 0, -1] == np.float32(85.62)


def test_bad_input_gives_clear_errors(tmp_path):
    with pytest.raises(NasbenchError, match="32,768 architectures, which is nats-sss"):
        nats.convert("nats-tss", shutil.copytree(SSS_SAMPLE, tmp_path / "renamed"), tmp_path / "o")
    with pytest.raises(NasbenchError, match="NATS-sss archive, not nats-tss"):
        nats.convert("nats-tss", SSS_SAMPLE, tmp_path / "o")
    with pytest.raises(NasbenchError, match="version v9_9-abcde"):
        nats.convert("nats-tss", shutil.copytree(TSS_SAMPLE, tmp_path / "NATS-tss-v9_9-abcde-simple"), tmp_path / "o")
    truncated = shutil.copytree(TSS_SAMPLE, tmp_path / "cut" / "NATS-tss-v1_0-3ffb9-simple")
    data = (truncated / "000284.pickle.pbz2").read_bytes()
    (truncated / "000284.pickle.pbz2").write_bytes(data[: len(data) // 2])
    with pytest.raises(NasbenchError, match="damaged or truncated"):
        nats.convert("nats-tss", truncated, tmp_path / "o")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NasbenchError, match="no meta.pickle.pbz2"):
        nats.convert("nats-tss", tmp_path / "empty", tmp_path / "o")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(NasbenchError, match="neither a NATS-Bench fast-mode directory"):
        nats.convert("nats-tss", tmp_path / "x.txt", tmp_path / "o")
    assert not list((tmp_path / "o").glob("*.h5"))


def test_interrupted_conversion_leaves_no_table(tmp_path, monkeypatch):
    real = nats.read_pbz2

    def interrupted(path, what):
        if path.name == "000284.pickle.pbz2":
            raise KeyboardInterrupt
        return real(path, what)

    monkeypatch.setattr(nats, "read_pbz2", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nats.convert("nats-tss", TSS_SAMPLE, tmp_path)
    assert list(tmp_path.iterdir()) == []
