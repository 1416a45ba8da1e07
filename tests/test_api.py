"""The public API: exported from the package lazily, and bad arguments raise NasbenchError naming them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

import nasbench
from nasbench.errors import shorten

HEAVY = ("pandas", "scipy", "matplotlib", "torch", "h5py")


def test_every_name_in_all_resolves() -> None:
    for name in nasbench.__all__:
        assert getattr(nasbench, name) is not None, name
    assert set(nasbench.__all__) <= set(dir(nasbench))
    assert nasbench.run is __import__("nasbench.simulate", fromlist=["run"]).run


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nasbench.nope  # noqa: B018


def test_import_nasbench_loads_no_heavy_module() -> None:
    code = f"import sys, nasbench; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"


def test_run_from_the_package() -> None:
    trace = nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=7)
    assert isinstance(trace, nasbench.Trace) and len(trace.to_frame()) == 7


@pytest.fixture(scope="module")
def cora() -> nasbench.Benchmark:
    return nasbench.load("nbgraph-cora")


@pytest.mark.parametrize("rows", [[], (), np.array([], dtype=np.int64), range(0)])
def test_query_many_of_nothing_is_an_empty_float_array(cora: nasbench.Benchmark, rows: object) -> None:
    for kwargs in ({}, {"seed": -1}, {"fidelity": 1.0}):
        values = cora.query_many(rows, "latency", **kwargs)  # type: ignore[arg-type]
        assert values.shape == (0,) and values.dtype == np.float64


@pytest.mark.parametrize("kwargs, words", [
    ({"fidelity": "x"}, ["fidelity 'x'", "None (the final one) or one of 1"]),
    ({"fidelity": True}, ["fidelity True", "one of 1"]),
    ({"fidelity": 10**400}, ["fidelity 1000", "characters"]),
    ({"seed": "a"}, ["seed 'a'", "None (the mean over seeds) or one of -1"]),
    ({"seed": "-1"}, ["seed '-1'"]),
    ({"seed": 1.5}, ["seed 1.5"]),
    ({"seed": 10**400}, ["seed 1000"]),
])
def test_bad_fidelity_or_seed_names_the_argument_and_its_values(cora: nasbench.Benchmark, kwargs: dict,
                                                                words: list[str]) -> None:
    for call in (lambda: cora.query(3, "valid_accuracy", **kwargs),
                 lambda: cora.query_many([3], "valid_accuracy", **kwargs)):
        with pytest.raises(nasbench.NasbenchError) as caught:
            call()
        assert all(word in str(caught.value) for word in words), str(caught.value)


@pytest.mark.parametrize("arch", [("gcn", "gin", "fc", "cheb", "gcn"), (1.5, 1, 1, 1, 1), (True, 1, 1, 1, 1),
                                  [[1]], ("a",), (1, 2), object()])
def test_bad_gene_tuple_is_a_nasbench_error(cora: nasbench.Benchmark, arch: object) -> None:
    with pytest.raises(nasbench.NasbenchError, match="architecture|gene"):
        cora.query(arch, "valid_accuracy")


def test_integer_gene_tuples_still_answer(cora: nasbench.Benchmark) -> None:
    arch = cora.space.parse("0,1,1,2|gcn,gin,fc,cheb")
    as_numpy = tuple(np.int64(g) for g in arch)
    assert cora.query(arch, "valid_accuracy") == cora.query(as_numpy, "valid_accuracy") == \
        cora.query("0,1,1,2|gcn,gin,fc,cheb", "valid_accuracy")


@pytest.mark.parametrize("metric", [["valid_accuracy"], None, 3, "nope"])
def test_bad_metric_is_a_nasbench_error(cora: nasbench.Benchmark, metric: object) -> None:
    for call in (lambda: cora.query(3, metric), lambda: cora.query(3, metric, seed=-1),  # type: ignore[arg-type]
                 lambda: cora.query_many([3], metric)):  # type: ignore[arg-type]
        with pytest.raises(nasbench.NasbenchError, match="known metrics"):
            call()


@pytest.mark.parametrize("name", ["x" * 100_000, "a/" + "b" * 5000, "bad\x00name", "x" * 5000 + ".h5"])
def test_messages_quote_at_most_80_characters_of_the_input(cora: nasbench.Benchmark, name: str) -> None:
    with pytest.raises(nasbench.NasbenchError) as caught:
        nasbench.load(name)
    assert len(str(caught.value)) < 80 + 400
    with pytest.raises(nasbench.NasbenchError) as caught:
        cora.query(name, "valid_accuracy")
    assert len(str(caught.value)) < 80 + 400 and "\n" not in str(caught.value)


def test_load_refuses_what_is_not_a_name_or_path() -> None:
    for value in (None, 3, ["nbgraph-cora"]):
        with pytest.raises(nasbench.NasbenchError, match="a benchmark is a name"):
            nasbench.load(value)  # type: ignore[arg-type]


def test_shorten_keeps_short_input_and_bounds_long_input() -> None:
    assert shorten("abc") == "'abc'"
    for size in (79, 80, 81, 1000, 100_000):
        text = shorten("é\n" * size)
        assert len(text) <= 80 and "\n" not in text
    assert shorten("x" * 100, limit=60).endswith("(102 characters)")
