"""Every space round-trips through ConfigSpace: gene tuple -> Configuration -> JSON file -> gene tuple."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nasbench.benchmark import load
from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.spaces import get_space, list_spaces
from nasbench.spaces.base import Space
from nasbench.spaces.configspace import arch_of, configuration_of
from nasbench.spaces.nb201 import Nb201Space
from nasbench.spaces.subset import SubsetSpace

ConfigSpace = pytest.importorskip("ConfigSpace")


def _spaces() -> dict[str, Space]:
    spaces = {}
    for name in list_spaces():
        if name.endswith("-subset"):
            continue  # defined by a partial table: covered below through a subset of nb201
        spaces[name] = get_space(name)
    spaces["nb201-subset"] = SubsetSpace(Nb201Space(), [0, 11, 284])
    return spaces


SPACES = _spaces()


def test_every_registered_space_is_covered() -> None:
    assert {name for name in list_spaces() if not name.endswith("-subset")} <= set(SPACES)


@pytest.mark.parametrize("name", sorted(SPACES))
def test_round_trip(name: str, tmp_path: Path) -> None:
    space = SPACES[name]
    cs = space.to_configspace()
    assert sorted(cs) == sorted(gene for gene, _ in space.gene_choices())  # ConfigSpace sorts names
    path = tmp_path / "space.json"
    cs.to_json(path)
    again = ConfigSpace.ConfigurationSpace.from_json(path)
    assert again == cs
    rng = np.random.default_rng(0)
    for _ in range(20):
        arch = space.sample(rng)
        configuration = configuration_of(space, arch, again)
        assert arch_of(space, configuration) == arch
        assert arch_of(space, dict(configuration)) == arch
    # what ConfigSpace samples is an architecture of the space wherever the space's rules are forbidden
    # clauses (nb101's rule is graph reachability, a subset's is the table's rows: both stay with the space)
    if name not in ("nb101", "nb201-subset"):
        for configuration in again.sample_configuration(50):
            assert space.is_valid(space.check(tuple(space.gene_choices()[i][1].index(str(configuration[gene]))
                                                    for i, (gene, _) in enumerate(space.gene_choices()))))


def test_nbgraph_forbids_the_all_skip_cell() -> None:
    space = get_space("nbgraph")
    cs = space.to_configspace()
    values = {"link": "0,1,1,2", "op0": "skip", "op1": "skip", "op2": "skip", "op3": "skip"}
    with pytest.raises(ConfigSpace.exceptions.ForbiddenValueError):
        ConfigSpace.Configuration(cs, values=values).check_valid_configuration()


def test_query_accepts_a_configuration() -> None:
    bench = load("nbgraph-cora")
    arch = bench.space.parse("0,1,1,2|gcn,gin,fc,cheb")
    configuration = configuration_of(bench.space, arch, bench.space.to_configspace())
    assert bench.query(configuration, "valid_accuracy") == bench.query(arch, "valid_accuracy")
    with pytest.raises(NasbenchError, match="has no gene 'width'"):
        bench.query({"width": "64"}, "valid_accuracy")
    with pytest.raises(NasbenchError, match="takes gat, gcn"):
        bench.query({**dict(configuration), "op0": "conv"}, "valid_accuracy")


def test_info_writes_the_configspace(tmp_path: Path) -> None:
    path = tmp_path / "cora.json"
    assert main(["info", "nbgraph-cora", "--configspace", str(path)]) == 0
    assert ConfigSpace.ConfigurationSpace.from_json(path) == get_space("nbgraph").to_configspace()
    assert json.loads(path.read_text())["name"] == "nbgraph"
    assert main(["info", "nbgraph-cora", "--configspace", str(tmp_path / "no" / "dir.json")]) == 2
