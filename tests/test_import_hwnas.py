"""HW-NAS-Bench join and the ``nasbench import`` subcommand."""

from __future__ import annotations

import argparse
import pickle

import numpy as np
import pytest
from helpers_formats import TSS_SAMPLE, hostile_payload

import nasbench
from nasbench.errors import NasbenchError
from nasbench.importers import cli, hwnas
from nasbench.importers.unpickle import UnsafePickleError
from nasbench.table import Split, Table


def write_hw_pickle(path, rng):
    """A pickle in HW-NAS-Bench's layout: arrays for some metrics, lists for others, a config list and
    an fbnet section (lookup tables of floats), as the API reads it."""
    section = {}
    for dataset in ("cifar10", "cifar100", "ImageNet16-120"):
        metrics = {}
        for position, metric in enumerate(hwnas.UNITS):
            values = rng.uniform(0.5, 20, 15625)
            metrics[metric] = values if position % 2 else values.tolist()
        metrics["eyeriss_arithmetic_intensity"] = rng.uniform(1, 9, 15625).tolist()
        metrics["config"] = [{"name": "infer.tiny", "C": 16} for _ in range(3)]
        section[dataset] = metrics
    data = {"nasbench201": section, "fbnet": {"edgegpu_latency": {"ConvNorm_H32_W32": 0.25}}}
    path.write_bytes(pickle.dumps(data, protocol=4))
    return data


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("hw")
    parser = argparse.ArgumentParser(prog="nasbench")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["import", "nats-tss", str(TSS_SAMPLE), "--out", str(out), "--no-progress"])
    assert args.func(args) == 0
    source = write_hw_pickle(out / "HW-NAS-Bench-v1_0.pickle", np.random.default_rng(21))
    args = parser.parse_args(["import", "hwnas", str(out / "HW-NAS-Bench-v1_0.pickle"), "--out", str(out),
                              "--no-progress"])
    assert args.func(args) == 0
    return out, source, parser


def test_device_metrics_match_the_source(imported):
    out, source, _ = imported
    assert len(list(out.glob("*-hw.h5"))) == 11
    for name, dataset in (("nats-tss-cifar10-valid-hp200", "cifar10"),
                          ("nats-tss-imagenet16-120-paper", "ImageNet16-120")):
        joined, original = Table.open(out / f"{name}-hw.h5"), Table.open(out / f"{name}.h5")
        for metric, unit in hwnas.UNITS.items():
            info = joined.metrics[metric]
            assert (info.split, info.unit, info.higher_is_better) == (Split.NONE, unit, False)
            expected = np.asarray(source["nasbench201"][dataset][metric], dtype=np.float64)[[0, 11, 284]]
            stored = joined.metric(metric)
            assert np.array_equal(stored[:, 0, 0], expected.astype(np.float32))
            assert np.all(stored == stored[:, :1, :1])
        for metric in original.metrics:
            np.testing.assert_array_equal(joined.metric(metric), original.metric(metric))
        assert joined.search_metric == original.search_metric and joined.cost_metric == original.cost_metric
    bench = nasbench.load(out / "nats-tss-cifar100-paper-hw.h5")
    arch = bench.space.encode(bench.space.arch_of_row(2))  # row 2 of the partial table is architecture 284
    assert bench.query(arch, "pixel3_latency") == pytest.approx(
        source["nasbench201"]["cifar100"]["pixel3_latency"][284], rel=1e-6)


def test_hostile_pickle_is_refused_and_nothing_runs(tmp_path, imported):
    out, _, _ = imported
    marker = tmp_path / "ran"
    hostile = tmp_path / "HW-NAS-Bench-v1_0.pickle"
    hostile.write_bytes(hostile_payload(marker))
    with pytest.raises(UnsafePickleError):
        hwnas.join(hostile, [out / "nats-tss-cifar10-hp12.h5"], tmp_path)
    assert not marker.exists() and not list(tmp_path.glob("*.h5"))


def test_bad_input_gives_clear_errors(tmp_path, imported):
    out, _, parser = imported
    (tmp_path / "HW-NAS-Bench-v2_0.pickle").write_bytes(b"x")
    with pytest.raises(NasbenchError, match="version v2_0"):
        hwnas.read(tmp_path / "HW-NAS-Bench-v2_0.pickle")
    with pytest.raises(NasbenchError, match="is a directory"):
        hwnas.read(tmp_path)
    (tmp_path / "other.pickle").write_bytes(pickle.dumps({"fbnet": {}}))
    with pytest.raises(NasbenchError, match="no 'nasbench201' section"):
        hwnas.read(tmp_path / "other.pickle")
    with pytest.raises(NasbenchError, match="no NAS-Bench-201 / NATS-tss tables"):
        hwnas.join(out / "HW-NAS-Bench-v1_0.pickle", hwnas.targets(tmp_path), tmp_path)
    (tmp_path / "HW-NAS-Bench.h5").mkdir()
    for onto in ([], ["--onto", str(next(out.glob("*.h5")))]):  # no tables in --out, or the table named
        args = parser.parse_args(["import", "hwnas", str(tmp_path / "HW-NAS-Bench.h5"), "--out", str(tmp_path / "o"),
                                  "--no-progress", *onto])
        with pytest.raises(NasbenchError, match=r"HW-NAS-Bench.h5 is a directory; expected the HW-NAS-Bench pickle"):
            args.func(args)
    with pytest.raises(NasbenchError, match="no HW-NAS-Bench file at"):
        hwnas.join(tmp_path / "absent.pickle", [], tmp_path)
    args = parser.parse_args(["import", "nb101", str(out), "--out", str(tmp_path), "--onto", "x.h5"])
    with pytest.raises(NasbenchError, match="--onto applies to hwnas"):
        args.func(args)
    args = parser.parse_args(["import", "nb101", str(out), "--out", str(tmp_path), "--no-progress"])
    with pytest.raises(NasbenchError, match="is a directory"):
        args.func(args)
