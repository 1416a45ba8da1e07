"""The NAS-Bench-201 cell space: string <-> index order matches the NATS-tss meta file."""

from __future__ import annotations

import bz2

import numpy as np
import pytest
from conftest import NATS_FIXTURES

from nasbench.errors import NasbenchError
from nasbench.importers.unpickle import restricted_load
from nasbench.spaces.nb201 import Nb201Space

META = NATS_FIXTURES / "NATS-tss-v1_0-3ffb9-simple" / "meta.pickle.pbz2"


def test_string_index_mapping_matches_the_nats_meta_file() -> None:
    with bz2.open(META) as f:
        meta = restricted_load(f, (), what="NATS meta")
    space = Nb201Space()
    assert space.size == meta["total_archs"] == len(meta["meta_archs"]) == 15625
    for index, text in enumerate(meta["meta_archs"]):
        arch = space.parse(text)
        assert space.index(arch) == index
        assert space.encode(space.decode(index)) == text


def test_malformed_strings_show_the_expected_form() -> None:
    space = Nb201Space()
    with pytest.raises(NasbenchError, match=r"expected \|op~0\|"):
        space.parse("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(NasbenchError, match="not an architecture"):
        space.index((5, 0, 0, 0, 0, 0))


def test_path_encoding_has_bananas_length_and_ignores_none_paths() -> None:
    space = Nb201Space()
    all_none = space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert space.path_encoding(all_none).sum() == 0
    direct = space.parse("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    encoding = space.path_encoding(direct)
    assert encoding.shape == (155,) and encoding.sum() == 1 and encoding[3] == 1


def test_mutation_and_neighbours() -> None:
    space = Nb201Space()
    rng = np.random.default_rng(1)
    arch = space.sample(rng)
    assert len(space.neighbours(arch)) == 24  # six edges x four other ops
    child = space.mutate(arch, rng)
    assert sum(a != b for a, b in zip(arch, child)) == 1
