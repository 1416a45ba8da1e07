"""The NAS-Bench-Graph space (Qin et al., NeurIPS 2022 Datasets & Benchmarks).

Four computing nodes; ``link[i]`` is node i's input (0 = the raw input, j = node j), chosen among the
nine canonical links the benchmark enumerates; each node applies one of nine GNN ops (proteins: five).
Leaf nodes feed the output. The raw encoding is ``(link index, op0, op1, op2, op3)``; sampling is
uniform over it (as the package's ``random_arch``), rejecting the excluded all-skip cell. Isomorphic
raw architectures share a row: the raw-to-row map is the package's own ``Arch(...).valid_hash()``,
computed once by the importer and stored in each table (``/extra/raw_to_row``), so the mapping is the
benchmark's by construction and is tested against it for every raw pair.

String form: ``0,1,1,2|gcn,gin,fc,cheb`` (link, then the four ops).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from nasbench.errors import NasbenchError, shorten
from nasbench.spaces.base import Arch, Space
from nasbench.spaces.registry import register_space

if TYPE_CHECKING:
    from nasbench.table import Table

LINKS = ((0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
         (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3))
OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
PROTEINS_OPS = ("gcn", "sage", "arma", "fc", "skip")
_KEY_BASE = len(OPS) + 1  # the package hashes ops in base len(gnn_list) + 1


def package_key(link: tuple[int, ...], ops: tuple[str, ...]) -> int:
    """The benchmark package's key of a raw (link, ops) pair (its ``valid_hash``)."""
    from nas_bench_graph.architecture import Arch as PackageArch

    return int(PackageArch(list(link), list(ops)).valid_hash())


def key_to_arch(key: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Decode a package key into its canonical (link, ops)."""
    ops = []
    for _ in range(4):
        key, digit = divmod(key, _KEY_BASE)
        ops.append(OPS[digit])
    return LINKS[key], tuple(reversed(ops))


class NbGraphSpace(Space):
    """NAS-Bench-Graph architectures; ``ops`` is the dataset's op list."""

    string_form = "l0,l1,l2,l3|op0,op1,op2,op3 (e.g. 0,1,1,2|gcn,gin,fc,cheb)"

    def __init__(self, ops: tuple[str, ...] = OPS, *, raw_to_row: np.ndarray | None = None,
                 row_keys: np.ndarray | None = None) -> None:
        self.ops = tuple(ops)
        self.name = "nbgraph" if self.ops == OPS else "nbgraph-proteins"
        self.n_choices = (len(LINKS),) + (len(self.ops),) * 4
        self._skip = self.ops.index("skip")
        if raw_to_row is None or row_keys is None:
            raw_to_row, row_keys = self.canonical_map()
        self._raw_to_row = np.asarray(raw_to_row, dtype=np.int64)
        self._row_keys = np.asarray(row_keys, dtype=np.int64)
        if len(self._raw_to_row) != self.n_raw:
            raise NasbenchError(f"raw-to-row map has {len(self._raw_to_row)} entries, expected {self.n_raw}")

    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        links = tuple(",".join(map(str, link)) for link in LINKS)
        return (("link", links),) + tuple((f"op{i}", self.ops) for i in range(4))

    def forbidden(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        return (tuple((gene, self._skip) for gene in range(1, 5)),)  # the all-skip cell

    def canonical_map(self) -> tuple[np.ndarray, np.ndarray]:
        """Raw-to-row map and row keys computed with the package's ``valid_hash`` (about a second)."""
        keys = np.full(self.n_raw, -1, dtype=np.int64)
        for code, arch in enumerate(itertools.product(*(range(n) for n in self.n_choices))):
            if any(g != self._skip for g in arch[1:]):  # all-skip is excluded
                keys[code] = package_key(LINKS[arch[0]], tuple(self.ops[g] for g in arch[1:]))
        row_keys = np.unique(keys[keys >= 0])
        raw_to_row = np.where(keys >= 0, np.searchsorted(row_keys, keys), -1)
        return raw_to_row, row_keys

    @property
    def size(self) -> int:
        return len(self._row_keys)

    def is_valid(self, arch: Arch) -> bool:
        try:  # every valid raw tuple is a key of the lookup (a dict probe beats checking each gene)
            return arch in self._lookup
        except TypeError:  # unhashable input
            return False

    def encode(self, arch: Arch) -> str:
        return ",".join(map(str, LINKS[arch[0]])) + "|" + ",".join(self.ops[g] for g in arch[1:])

    def parse(self, text: str) -> Arch:
        try:
            link_text, ops_text = text.strip().split("|")
            link = tuple(int(x) for x in link_text.split(","))
            ops = tuple(x.strip() for x in ops_text.split(","))
            arch = (LINKS.index(link),) + tuple(self.ops.index(op) for op in ops)
        except ValueError:
            raise NasbenchError(
                f"malformed {self.name} architecture {shorten(text)}: expected {self.string_form}, with a link among "
                f"{[','.join(map(str, link)) for link in LINKS]} and ops among {', '.join(self.ops)}") from None
        if len(arch) != 5:
            raise NasbenchError(f"malformed {self.name} architecture {shorten(text)}: "
                                f"expected four ops ({self.string_form})")
        if not self.is_valid(arch):
            raise NasbenchError(f"{shorten(text)} is outside the {self.name} space: the all-skip cell is excluded")
        return arch

    def valid_mask(self, genes: np.ndarray) -> np.ndarray:
        inside = np.all((genes >= 0) & (genes < np.array(self.n_choices)), axis=1)
        return inside & np.any(genes[:, 1:] != self._skip, axis=1)

    @cached_property
    def _lookup(self) -> dict[Arch, int]:
        return self._lookup_from(self._raw_to_row)

    def index(self, arch: Arch) -> int:
        try:
            return self._lookup[arch]
        except (KeyError, TypeError):
            arch = self.check(arch)  # raises for genes out of range
            if arch in self._lookup:
                return self._lookup[arch]
            raise NasbenchError(f"{self.encode(arch)} is outside the {self.name} space: "
                                "the all-skip cell is excluded") from None

    def key(self, row: int) -> int:
        """The package's key (``valid_hash``) of a row."""
        return int(self._row_keys[row])

    @cached_property
    def _row_archs(self) -> list[Arch]:
        archs = []
        for key in self._row_keys:
            link, ops = key_to_arch(int(key))
            archs.append((LINKS.index(link),) + tuple(self.ops.index(op) for op in ops))
        return archs

    def arch_of_row(self, row: int) -> Arch:
        if not 0 <= row < self.size:
            raise NasbenchError(f"row {row} is outside the {self.name} space (0..{self.size - 1})")
        return self._row_archs[row]


def _factory(ops: tuple[str, ...]) -> Callable[[Table | None], NbGraphSpace]:
    def factory(table: Table | None) -> NbGraphSpace:
        if table is not None and table.has("extra/raw_to_row"):
            return NbGraphSpace(ops, raw_to_row=table.dataset("extra/raw_to_row"), row_keys=table.codes)
        return NbGraphSpace(ops)

    return factory


register_space("nbgraph")(_factory(OPS))
register_space("nbgraph-proteins")(_factory(PROTEINS_OPS))
