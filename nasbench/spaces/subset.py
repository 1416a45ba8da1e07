"""A search space restricted to the architectures one partial table holds.

Sample files and fixtures cover only some architectures of a space (the NATS-Bench sample directory
holds 3 of 15,625 cells). A table built from them stores, for each of its rows, the row that
architecture has in the full space (its ``code``); :class:`SubsetSpace` maps architectures to the
table's own rows through those codes, so a query never lands on another architecture's row, and it
samples, mutates and lists neighbours only among the architectures the table holds.

Example:
    >>> from nasbench.spaces.nb201 import Nb201Space
    >>> space = SubsetSpace(Nb201Space(), [0, 11, 284])
    >>> space.size, space.index(space.arch_of_row(2))
    (3, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nasbench.draws import Uniforms
from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch, Space

if TYPE_CHECKING:
    from nasbench.table import Table


class SubsetSpace(Space):
    """The architectures of ``base`` whose full-space rows are ``base_rows``, in that row order."""

    def __init__(self, base: Space, base_rows: Sequence[int] | np.ndarray) -> None:
        self.base = base
        self.name = f"{base.name}-subset"
        self.n_choices = base.n_choices
        self._base_rows = [int(r) for r in base_rows]
        self._row_of = {base_row: row for row, base_row in enumerate(self._base_rows)}
        if len(self._row_of) != len(self._base_rows):
            raise NasbenchError(f"a {self.name} space lists the same architecture twice")
        self.string_form = (f"{base.string_form} (one of the {len(self._base_rows)} architectures "
                            "this partial table holds)")

    @property
    def size(self) -> int:
        return len(self._base_rows)

    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return self.base.gene_choices()

    def forbidden(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        return self.base.forbidden()

    def encode(self, arch: Arch) -> str:
        return self.base.encode(arch)

    def parse(self, text: str) -> Arch:
        return self.base.parse(text)

    def index(self, arch: Arch) -> int:
        row = self._row_of.get(self.base.index(arch))
        if row is None:
            raise NasbenchError(f"{self.base.encode(arch)} is not among the {self.size} architectures this "
                                f"partial {self.base.name} table holds")
        return row

    def arch_of_row(self, row: int) -> Arch:
        if not 0 <= row < self.size:
            raise NasbenchError(f"row {row} is outside the {self.name} space (0..{self.size - 1})")
        return self.base.arch_of_row(self._base_rows[row])

    def is_valid(self, arch: Arch) -> bool:
        return self.base.is_valid(arch) and self.base.index(arch) in self._row_of

    def sample(self, rng: np.random.Generator) -> Arch:
        """Uniform over the rows the table holds (rejection over the full space would rarely hit one)."""
        return self.arch_of_row(int(rng.integers(self.size)))

    def mutate(self, arch: Arch, rng: np.random.Generator | Uniforms) -> Arch:
        """A uniformly chosen one-gene neighbour held by the table; where the table holds none, a
        uniformly chosen other row (a partial table may hold no neighbour at all)."""
        candidates = self.neighbours(arch)
        if candidates:
            return candidates[int(rng.integers(len(candidates)))]
        if self.size < 2:
            raise NasbenchError(f"the {self.name} space holds a single architecture; it cannot be mutated")
        own = self.index(arch)
        other = int(rng.integers(self.size - 1))
        return self.arch_of_row(other + (other >= own))

    def path_encoding(self, arch: Arch) -> np.ndarray | None:
        return self.base.path_encoding(arch)


def subset_of(base: Space, table: Table | None) -> SubsetSpace:
    """The subset space of a partial table of ``base`` (a factory's body: there is none without the table)."""
    if table is None:
        raise NasbenchError(f"a {base.name}-subset space is defined by a partial table; open the table instead")
    return SubsetSpace(base, table.codes)
