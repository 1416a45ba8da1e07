"""Prefixed strategy names resolve through registered resolvers (nasbench.protocol.register_prefix)."""

from __future__ import annotations

import pytest

from nasbench.errors import NasbenchError
from nasbench.protocol import _PREFIXES, make_strategy, register_prefix, strategy_class
from nasbench.strategies.random_search import RandomSearch


def _toy(rest: str) -> type:
    if rest != "rs":
        raise NasbenchError(f"toy has no strategy {rest!r}")
    return RandomSearch


def test_a_registered_prefix_resolves_and_refuses_a_second_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_PREFIXES, "toy", (_toy, ()))
    assert strategy_class("toy:rs") is RandomSearch
    assert make_strategy("toy:rs", block_size=8).config() == {"block_size": 8}
    with pytest.raises(NasbenchError, match="toy has no strategy 'x'"):
        make_strategy("toy:x")
    with pytest.raises(NasbenchError, match="two strategy plugins register the prefix 'toy'"):
        register_prefix("toy", lambda rest: RandomSearch)


def test_an_unknown_prefix_lists_the_known_ones() -> None:
    with pytest.raises(NasbenchError, match=r"unknown strategy 'nope:x'; known strategies: .*rs.*optuna:\.\.\."):
        make_strategy("nope:x")
