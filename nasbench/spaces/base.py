"""The search-space interface every space module implements.

An architecture is a tuple of small non-negative integers (its *genes*); gene ``i`` takes values in
``range(space.n_choices[i])``. Strategies see only this interface, so every strategy works on every
space: categorical models (TPE, GP, BANANAS) read ``n_choices`` and ``genes``; evolutionary ones call
``mutate`` and ``neighbours``; all of them call ``sample``.

Several raw architectures may be the same network (isomorphic graphs); ``index`` maps each to one
canonical *row* of the benchmark table, ``decode(row)`` gives that row's canonical architecture.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from nasbench.draws import Uniforms, uniforms_of
from nasbench.errors import NasbenchError, shorten

Arch = tuple[int, ...]


class Space(ABC):
    """A finite search space of architectures encoded as integer gene tuples."""

    #: registry name of the space, e.g. ``"nbgraph"``
    name: str = ""
    #: number of values each gene can take
    n_choices: tuple[int, ...] = ()
    #: human-readable form of an architecture string, shown when parsing fails
    string_form: str = ""

    # --- sizes -------------------------------------------------------------------------------
    @property
    @abstractmethod
    def size(self) -> int:
        """Number of canonical rows (distinct architectures) in the space."""

    @property
    def n_raw(self) -> int:
        """Number of raw gene tuples (before validity and isomorphism are taken into account)."""
        return int(np.prod(self.n_choices, dtype=np.int64))

    # --- strings -----------------------------------------------------------------------------
    @abstractmethod
    def encode(self, arch: Arch) -> str:
        """The architecture's string form (not canonicalised: encode(decode(s)) == s)."""

    @abstractmethod
    def parse(self, text: str) -> Arch:
        """Parse a string form; raise :class:`NasbenchError` showing ``string_form`` if malformed."""

    def decode(self, value: str | int) -> Arch:
        """Architecture of a string, or the canonical architecture stored in a row."""
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return self.arch_of_row(int(value))
        if isinstance(value, str):
            return self.parse(value)
        raise NasbenchError(f"cannot decode {shorten(value)}: expected an architecture string or a row number")

    # --- rows --------------------------------------------------------------------------------
    @abstractmethod
    def index(self, arch: Arch) -> int:
        """Canonical row of an architecture (isomorphic architectures share a row)."""

    @abstractmethod
    def arch_of_row(self, row: int) -> Arch:
        """The canonical architecture of a row."""

    def canonical(self, arch: Arch) -> Arch:
        """The canonical representative of ``arch``'s isomorphism class."""
        return self.arch_of_row(self.index(arch))

    def is_valid(self, arch: Arch) -> bool:
        """Whether a gene tuple is an architecture of the space."""
        return (
            len(arch) == len(self.n_choices)
            and all(isinstance(g, (int, np.integer)) and 0 <= g < n for g, n in zip(arch, self.n_choices))
        )

    def check(self, arch: Sequence[int]) -> Arch:
        """Return ``arch`` as a tuple, or raise :class:`NasbenchError` if it lies outside the space.

        Genes must be integers (``int`` or numpy integers, not booleans): ``("gcn", ...)`` or ``(1.5, ...)``
        is refused rather than converted.
        """
        try:
            genes = tuple(arch)
        except TypeError:
            genes = None
        if genes is None or not all(isinstance(g, (int, np.integer)) and not isinstance(g, bool) for g in genes):
            raise NasbenchError(
                f"{shorten(arch)} is not an architecture of the {self.name} space: a gene tuple holds "
                f"{len(self.n_choices)} integers with ranges {list(self.n_choices)} (string form {self.string_form})"
            )
        genes = tuple(int(g) for g in genes)
        if not self.is_valid(genes):
            raise NasbenchError(
                f"{shorten(genes)} is not an architecture of the {self.name} space "
                f"(expected {len(self.n_choices)} genes with ranges {list(self.n_choices)}, "
                f"string form {self.string_form})"
            )
        return genes

    def _lookup_from(self, raw_to_row: np.ndarray) -> dict[Arch, int]:
        """A dict from every valid raw gene tuple to its row (raw codes in mixed radix ``n_choices``)."""
        grids = np.indices(self.n_choices).reshape(len(self.n_choices), -1).T
        keep = raw_to_row >= 0
        return dict(zip(map(tuple, grids[keep].tolist()), raw_to_row[keep].tolist()))

    # --- sampling and moves ------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        """Uniform over the valid raw encodings (rejection sampling)."""
        while True:
            arch = tuple(int(rng.integers(n)) for n in self.n_choices)
            if self.is_valid(arch):
                return arch

    def sample_batch(self, rng: np.random.Generator, n: int) -> list[Arch]:
        """``n`` independent uniform samples (vectorised; the same distribution as :meth:`sample`)."""
        result: list[Arch] = []
        while len(result) < n:
            draws = rng.integers(0, self.n_choices, size=(n - len(result), len(self.n_choices)))
            result.extend(a for a in map(tuple, draws[self.valid_mask(draws)].tolist()))
        return result

    def valid_mask(self, genes: np.ndarray) -> np.ndarray:
        """Which rows of an ``(n, len(n_choices))`` gene array are valid (vectorised where overridden)."""
        return np.fromiter((self.is_valid(tuple(a)) for a in genes.tolist()), dtype=bool, count=len(genes))

    def neighbours(self, arch: Arch) -> list[Arch]:
        """Valid architectures differing from ``arch`` in exactly one gene, in a fixed order,
        one per canonical row other than ``arch``'s own."""
        own = self.index(arch)
        seen = {own}
        result = []
        for position, n in enumerate(self.n_choices):
            for value in range(n):
                if value == arch[position]:
                    continue
                other = arch[:position] + (value,) + arch[position + 1:]
                if not self.is_valid(other):
                    continue
                row = self.index(other)
                if row not in seen:
                    seen.add(row)
                    result.append(other)
        return result

    def mutate(self, arch: Arch, rng: np.random.Generator | Uniforms) -> Arch:
        """Change exactly one gene to a different value (uniform position, uniform new value),
        retrying until the result is valid. ``rng`` may be a :class:`~nasbench.draws.Uniforms` over the
        generator (the same draws, served faster)."""
        n_genes = len(self.n_choices)
        while True:
            # floor(u * n) of a double is uniform on range(n); two uniforms cost a fraction of two
            # Generator.integers calls, and mutation sits on the simulator's hot path
            u_position, u_value = uniforms_of(rng, 2)
            position = int(u_position * n_genes)
            n = self.n_choices[position]
            if n < 2:
                continue
            value = int(u_value * (n - 1))
            value += value >= arch[position]
            child = arch[:position] + (value,) + arch[position + 1:]
            if self.is_valid(child):
                return child

    # --- named genes (Optuna distributions, ConfigSpace) ----------------------------------------
    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``(name, labels)`` of each gene in order; label ``k`` stands for gene value ``k``.
        Spaces name their genes and choices; the default is ``g0, g1, ...`` with labels ``"0", "1", ...``."""
        return tuple((f"g{i}", tuple(map(str, range(n)))) for i, n in enumerate(self.n_choices))

    def forbidden(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Gene combinations the space excludes, each ``((gene, value), ...)`` (all must hold to exclude);
        a validity rule that is no such list (a graph's reachability) is left to :meth:`is_valid`."""
        return ()

    def to_configspace(self) -> Any:
        """The space as a ``ConfigSpace.ConfigurationSpace`` (needs ``pip install "nasbench[configspace]"``);
        see :mod:`nasbench.spaces.configspace`."""
        from nasbench.spaces.configspace import to_configspace

        return to_configspace(self)

    # --- encodings for models ----------------------------------------------------------------
    def one_hot(self, arch: Arch) -> np.ndarray:
        """Concatenated one-hot encoding of the genes (length ``sum(n_choices)``)."""
        out = np.zeros(sum(self.n_choices), dtype=np.float64)
        offset = 0
        for g, n in zip(arch, self.n_choices):
            out[offset + g] = 1.0
            offset += n
        return out

    def path_encoding(self, arch: Arch) -> np.ndarray | None:
        """Path encoding (BANANAS) where the space has input-to-output paths, else ``None``."""
        return None
