"""Regularized evolution: its block-drawn uniforms are the generator's own stream."""

from __future__ import annotations

import numpy as np
import pandas as pd

import nasbench
import nasbench.strategies.regularized_evolution as rea_module
from nasbench.draws import Uniforms
from nasbench.simulate import run


def test_uniforms_are_the_generators_successive_draws_across_refills() -> None:
    served, direct = Uniforms(np.random.default_rng(5), block=7), np.random.default_rng(5)
    for k in (3, 2, 5, 1, 9, 4, 2, 3):  # crosses several block boundaries, one request larger than a block
        assert served.random(k) == direct.random(k).tolist()


def test_rea_with_block_draws_equals_rea_drawing_from_the_generator(monkeypatch) -> None:
    bench = nasbench.load("nbgraph-cora")
    buffered = run("rea", bench, seed=11, max_evals=400).to_frame()
    monkeypatch.setattr(rea_module, "Uniforms", lambda rng: rng)  # every draw straight from the generator
    direct = run("rea", bench, seed=11, max_evals=400).to_frame()
    pd.testing.assert_frame_equal(buffered, direct)
    assert buffered["row"].nunique() > 100  # the evolution moved


def test_mutation_through_uniforms_works_on_a_space_that_draws_integers() -> None:
    from nasbench.spaces.nbgraph import NbGraphSpace
    from nasbench.spaces.subset import SubsetSpace

    base = NbGraphSpace()
    space = SubsetSpace(base, np.arange(0, base.size, 97))
    parent = space.arch_of_row(3)
    child = space.mutate(parent, Uniforms(np.random.default_rng(0)))
    assert space.index(child) != 3
