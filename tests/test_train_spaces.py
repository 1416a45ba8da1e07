"""The spaces nasbench trains: mlp, and nb201 with one row per isomorphism class (no torch needed)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from nasbench.spaces import get_space
from nasbench.spaces.mlp import MlpSpace
from nasbench.spaces.nb201 import EDGES, OPS, Nb201Space
from nasbench.spaces.nb201_unique import Nb201UniqueSpace

ALL_CELLS = list(itertools.product(range(5), repeat=6))


@pytest.fixture(scope="module")
def nb201() -> Nb201Space:
    return Nb201Space()


@pytest.fixture(scope="module")
def unique() -> Nb201UniqueSpace:
    return get_space("nb201-unique")


def test_mlp_space_has_720_configurations_that_round_trip() -> None:
    space = get_space("mlp")
    assert space.size == 720
    strings = {space.encode(space.arch_of_row(row)) for row in range(space.size)}
    assert len(strings) == 720
    for row in (0, 1, 257, 719):
        arch = space.arch_of_row(row)
        assert space.index(space.parse(space.encode(arch))) == row
    config = space.config(space.parse("layers=3,width=128,act=tanh,dropout=0.4,lr=0.03"))
    assert (config.layers, config.width, config.activation, config.dropout, config.learning_rate) == (
        3, 128, "tanh", 0.4, 0.03)


@pytest.mark.parametrize("text", ["layers=5,width=64,act=relu,dropout=0.2,lr=0.003",
                                  "layers=2,width=64,act=gelu,dropout=0.2,lr=0.003",
                                  "width=64,layers=2,act=relu,dropout=0.2,lr=0.003",
                                  "layers=2,width=64", "layers=two,width=64,act=relu,dropout=0.2,lr=0.003"])
def test_mlp_space_refuses_malformed_strings(text: str) -> None:
    with pytest.raises(NasbenchError, match="malformed mlp configuration"):
        MlpSpace().parse(text)


def _evaluate_with_shared_functions(arch: tuple[int, ...], signal: np.ndarray) -> np.ndarray:
    """The cell with every op type one fixed nonlinear function (zero for 'none', identity for skip).

    The functions map zero to zero, as the key assumes of an op fed only zero."""
    functions = {0: lambda v: np.zeros_like(v), 1: lambda v: v, 2: lambda v: np.tanh(1.3 * v),
                 3: lambda v: np.sin(2.1 * v) + 0.3 * v ** 2, 4: lambda v: v ** 3 - 0.5 * v}
    ops = dict(zip(EDGES, arch))
    nodes = {0: signal}
    for target in (1, 2, 3):
        nodes[target] = sum(functions[ops[(target, source)]](nodes[source]) for source in range(target))
    return nodes[3]


def test_isomorphic_cells_compute_the_same_function(nb201: Nb201Space) -> None:
    # Every op type given one fixed function is a coarser reading than distinct parameters, so
    # cells of one class must agree on it; a class that mixed different cells would show up here.
    signal = np.linspace(-2.0, 2.0, 7)
    first_output: dict[str, np.ndarray] = {}
    for arch in ALL_CELLS:
        key = nb201.isomorphism_class(arch)
        output = _evaluate_with_shared_functions(arch, signal)
        if key in first_output:
            np.testing.assert_allclose(output, first_output[key], atol=1e-9, err_msg=nb201.encode(arch))
        else:
            first_output[key] = output
    assert len(first_output) == 5425


def test_isomorphism_merges_what_is_equal_and_splits_what_is_not(nb201: Nb201Space) -> None:
    def key(text: str) -> str:
        return nb201.isomorphism_class(nb201.parse(text))

    # a skip edge is the identity: conv(x) via a skip hop equals conv(x) straight to the output
    assert key("|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|") == \
        key("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    # sums do not care about order: conv3 on one branch and conv1 on the other, either way round
    assert key("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|skip_connect~2|") == \
        key("|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|")
    # two convs reading ONE shared conv differ from two convs each reading its own conv
    shared = key("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    separate = key("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    assert shared != separate
    # conv of a sum differs from a sum of convs
    assert key("|nor_conv_1x1~0|+|skip_connect~0|skip_connect~1|+|none~0|none~1|nor_conv_3x3~2|") != \
        key("|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_3x3~0|nor_conv_3x3~1|none~2|")
    # an edge whose result cannot reach the output changes nothing
    assert key("|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|nor_conv_1x1~0|none~1|none~2|") == \
        key("|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|")


def test_cells_with_a_disconnected_output_are_one_class(nb201: Nb201Space) -> None:
    disconnected = [a for a in ALL_CELLS if not nb201.live_instances(a)[1]]
    assert len(disconnected) > 100
    assert {nb201.isomorphism_class(a) for a in disconnected} == {"zero"}
    reachable = [a for a in ALL_CELLS if nb201.live_instances(a)[1]]
    assert "zero" not in {nb201.isomorphism_class(a) for a in reachable[:500]}


def test_unique_space_maps_every_cell_to_its_class_row(nb201: Nb201Space, unique: Nb201UniqueSpace) -> None:
    assert unique.size == 5425
    rows = np.array([unique.index(a) for a in ALL_CELLS])
    assert set(rows.tolist()) == set(range(5425))
    keys = [nb201.isomorphism_class(a) for a in ALL_CELLS]
    by_key: dict[str, int] = {}
    for key, row in zip(keys, rows):
        assert by_key.setdefault(key, int(row)) == row
    # the representative is the class member that comes first in NATS order, and rows keep that order
    representatives = [nb201.index(unique.arch_of_row(r)) for r in range(unique.size)]
    assert representatives == sorted(representatives)
    assert representatives[0] == 0
    first_nats_row: dict[str, int] = {}
    for arch, key in zip(ALL_CELLS, keys):
        first_nats_row[key] = min(first_nats_row.get(key, nb201.size), nb201.index(arch))
    for arch, key in zip(ALL_CELLS[::7], keys[::7]):
        assert nb201.index(unique.canonical(arch)) == first_nats_row[key]


def test_nats_order_of_the_raw_space_is_unchanged(nb201: Nb201Space) -> None:
    assert nb201.size == 15625
    assert nb201.encode(nb201.arch_of_row(0)) == \
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    assert len({nb201.index(a) for a in ALL_CELLS}) == 15625


def test_unique_space_from_a_stored_map_equals_the_computed_one(unique: Nb201UniqueSpace) -> None:
    rebuilt = Nb201UniqueSpace(unique.raw_to_row)
    assert rebuilt.size == unique.size
    assert all(rebuilt.arch_of_row(r) == unique.arch_of_row(r) for r in range(0, unique.size, 37))
    with pytest.raises(NasbenchError, match="raw-to-row map"):
        Nb201UniqueSpace(unique.raw_to_row[:10])
    assert OPS[0] == "none"


def test_shipped_tables_are_read_without_torch() -> None:
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    if not (repo / "data" / "mlp-mnist1d.h5").is_file():
        pytest.skip("data/mlp-mnist1d.h5 is not built")
    script = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'): raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import nasbench\n"
        "b = nasbench.load('mlp-mnist1d', on_miss='train')\n"
        "print(b.space.name, 0 <= b.query(0, 'valid_accuracy', seed=0) <= 1, 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["mlp", "True", "False"]
