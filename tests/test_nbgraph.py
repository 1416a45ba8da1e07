"""NAS-Bench-Graph: the canonical mapping and every stored value agree with the package."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from nas_bench_graph import light_read
from nas_bench_graph.architecture import Arch as PackageArch

import nasbench
from nasbench.importers.nbgraph import DATASETS
from nasbench.spaces import nbgraph


@pytest.mark.parametrize("dataset", ["cora", "proteins"])
def test_canonical_row_matches_valid_hash_for_every_raw_pair(dataset: str) -> None:
    b = nasbench.load(f"nbgraph-{dataset}")
    space = b.space
    checked = 0
    for arch in itertools.product(*(range(n) for n in space.n_choices)):
        link = list(nbgraph.LINKS[arch[0]])
        ops = [space.ops[g] for g in arch[1:]]
        if all(op == "skip" for op in ops):
            assert not space.is_valid(arch)
            continue
        assert b.table.codes[space.index(arch)] == PackageArch(link, ops).valid_hash()
        checked += 1
    assert checked == space.n_raw - len(nbgraph.LINKS)  # every raw pair but the nine all-skip cells


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_stored_value_equals_the_package(dataset: str) -> None:
    b = nasbench.load(f"nbgraph-{dataset}")
    source = light_read(dataset)
    keys = b.table.codes
    assert set(keys.tolist()) == set(source)
    quantity = "roc_auc" if dataset == "proteins" else "accuracy"
    for metric, field in ((f"valid_{quantity}", "valid_perf"), (f"test_{quantity}", "perf"),
                          ("latency", "latency"), ("params", "para")):
        expected = np.array([float(source[int(k)][field]) for k in keys])
        assert np.array_equal(b.query_many(np.arange(b.n_archs), metric), expected), metric


def test_package_test_vector_and_round_trips() -> None:
    b = nasbench.load("nbgraph-cora")
    # the package's documented example key; its link is not canonical, its canonical form is in our space
    key = PackageArch([0, 1, 2, 1], ["gcn", "gin", "fc", "cheb"]).valid_hash()
    assert key == 61237
    row = int(np.flatnonzero(b.table.codes == key)[0])
    canonical = b.space.arch_of_row(row)
    assert b.space.index(canonical) == row
    assert b.row(b.table.archs[row]) == row
    for row in range(0, b.n_archs, 97):
        assert b.space.index(b.space.arch_of_row(row)) == row


def test_proteins_reports_roc_auc_with_its_restricted_ops() -> None:
    b = nasbench.load("nbgraph-proteins")
    assert set(b.metrics) == {"valid_roc_auc", "test_roc_auc", "latency", "params"}
    assert b.n_archs == 2021
    assert b.space.ops == ("gcn", "sage", "arma", "fc", "skip")


def test_sampling_is_uniform_over_the_raw_encoding_and_mutation_changes_one_gene() -> None:
    space = nasbench.load("nbgraph-cora").space
    rng = np.random.default_rng(0)
    draws = np.array(space.sample_batch(rng, 90000))
    for position, n in enumerate(space.n_choices):
        counts = np.bincount(draws[:, position], minlength=n)
        assert counts.min() > 0.9 * len(draws) / n  # ~uniform per gene (all-skip rejection is negligible)
    arch = space.sample(rng)
    for _ in range(200):
        child = space.mutate(arch, rng)
        assert sum(a != b for a, b in zip(arch, child)) == 1
        assert space.is_valid(child)
        arch = child
    neighbours = space.neighbours(arch)
    assert all(sum(a != b for a, b in zip(arch, n)) == 1 for n in neighbours)
    assert len({space.index(n) for n in neighbours}) == len(neighbours)


def test_query_semantics() -> None:
    b = nasbench.load("nbgraph-cora")
    row, best = b.optimum("valid_accuracy")
    assert best == b.final("valid_accuracy").max() == b.query(row, "valid_accuracy")
    assert b.query(row, "valid_accuracy", seed=-1, fidelity=1.0) == best
    frame = b.to_frame()
    assert len(frame) == b.n_archs and list(frame.columns[:3]) == ["arch", "seed", "fidelity"]
    assert frame.loc[row, "valid_accuracy"] == best and frame.loc[row, "arch"] == b.table.archs[row]
    _, fastest = b.optimum("latency")
    assert fastest == np.nanmin(b.final("latency"))
