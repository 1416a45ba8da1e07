"""The MNIST-1D variants: the generator's own arguments changed, split and hashed like the main split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mnist1d")

from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.table import Table  # noqa: E402
from nasbench.train.data import VARIANTS, load_dataset, split_description  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: the split hashes the shipped variant tables were built on
HASHES = {"mnist1d-noisy": "7c6c3f76d41d1c8874c6d615e925574c005da8c0980bb80efbb0376ea0504371",
          "mnist1d-shifted": "f207d3e76fd39b9d43b67b3328ecc42a5ca94530224819c338ce636804335d57"}


@pytest.mark.parametrize("name", sorted(HASHES))
def test_a_variant_is_its_own_split_with_the_main_splits_shape(name: str) -> None:
    main, data = load_dataset("mnist1d"), load_dataset(name)
    assert data.name == name and data.split_hash == HASHES[name] != main.split_hash
    for split in ("train", "valid", "test"):
        assert getattr(data, f"x_{split}").shape == getattr(main, f"x_{split}").shape
        assert set(np.unique(getattr(data, f"y_{split}"))) == set(range(10))
    for key, value in VARIANTS[name].items():
        assert f"{key}={value}" in split_description(name)


@pytest.mark.parametrize("name", sorted(HASHES))
def test_the_shipped_variant_table_records_its_split(name: str) -> None:
    table = Table.open(REPO / "data" / f"mlp-{name}.h5")
    assert table.extra["dataset"] == name
    assert table.extra["split_hash"] == load_dataset(name).split_hash
    assert table.extra["split"] == split_description(name)
    assert f"--dataset {name} " in table.extra["created_by"]


def test_an_unknown_dataset_is_refused() -> None:
    with pytest.raises(NasbenchError, match="unknown dataset 'mnist1d-rotated'; known datasets: mnist1d, "):
        load_dataset("mnist1d-rotated")
