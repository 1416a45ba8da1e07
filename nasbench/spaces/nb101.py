"""The NAS-Bench-101 cell space: DAGs of at most 7 vertices and 9 edges, 3 operations.

Source: Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search", ICML 2019
(reference code ``google-research/nasbench``, Apache-2.0). Genes: the 21 bits of a 7x7 upper-triangular
adjacency matrix (row-major: 0->1, 0->2, ..., 5->6), then the operations of the 5 interior vertices
(``conv3x3-bn-relu``, ``conv1x1-bn-relu``, ``maxpool3x3``). Vertex 0 is the input, 6 the output.
As in the original, vertices not on an input-to-output path are pruned; a gene tuple is valid when
the input still reaches the output and the pruned graph has at most 9 edges. Isomorphic graphs share
the original's module hash and one row; the table's rows are sorted by that hash, and a 32-hex hash
is accepted wherever an architecture string is (``b.query("<hash>", ...)``, as the original API).

Sampling is by rejection over the raw gene tuples: uniform over valid encodings, *not* uniform over
the 423,624 distinct graphs (graphs with many isomorphic encodings come up more often).

Example:
    >>> space = Nb101Space()
    >>> ops = ",".join(["conv3x3-bn-relu"] * 5)
    >>> arch = space.parse("010000000000000000000|" + ops)
    >>> space.is_valid(arch)
    False
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nasbench.draws import Uniforms
from nasbench.errors import NasbenchError, shorten
from nasbench.spaces.base import Arch, Space
from nasbench.spaces.registry import register_space

if TYPE_CHECKING:
    from nasbench.table import Table

OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
N_VERTICES = 7
MAX_EDGES = 9
N_GRAPHS = 423_624
#: (source, target) of each adjacency gene, in gene order
EDGES = tuple((i, j) for i in range(N_VERTICES) for j in range(i + 1, N_VERTICES))
N_INTERIOR = N_VERTICES - 2
_HASH = re.compile(r"^[0-9a-f]{32}$")


def prune(matrix: np.ndarray, ops: Sequence[str]) -> tuple[np.ndarray, list[str]] | None:
    """Drop vertices not on an input-to-output path (the original's ModelSpec pruning); ``None`` when
    the input does not reach the output."""
    n = len(matrix)
    forward, frontier = {0}, [0]
    while frontier:
        top = frontier.pop()
        for v in range(top + 1, n):
            if matrix[top][v] and v not in forward:
                forward.add(v)
                frontier.append(v)
    backward, frontier = {n - 1}, [n - 1]
    while frontier:
        top = frontier.pop()
        for v in range(top):
            if matrix[v][top] and v not in backward:
                backward.add(v)
                frontier.append(v)
    keep = sorted(forward & backward)
    if len(keep) < 2 or keep[0] != 0 or keep[-1] != n - 1:
        return None
    matrix = np.asarray(matrix)[np.ix_(keep, keep)]
    return matrix, [ops[v] for v in keep]


def hash_module(matrix: np.ndarray, labels: Sequence[int]) -> str:
    """The original's graph fingerprint (``graph_util.hash_module``): iterated MD5 of each vertex's
    degrees and label over its neighbours, then MD5 of the sorted vertex hashes.

    Example:
        >>> m = np.array([[0, 1], [0, 0]])
        >>> len(hash_module(m, [-1, -2]))
        32
    """
    matrix = np.asarray(matrix)
    n = len(matrix)
    in_edges = matrix.sum(axis=0).tolist()
    out_edges = matrix.sum(axis=1).tolist()
    hashes = [hashlib.md5(str((out_edges[v], in_edges[v], labels[v])).encode("utf-8")).hexdigest() for v in range(n)]
    for _ in range(n):
        hashes = [
            hashlib.md5(("".join(sorted(hashes[w] for w in range(n) if matrix[w, v])) + "|"
                         + "".join(sorted(hashes[w] for w in range(n) if matrix[v, w])) + "|"
                         + hashes[v]).encode("utf-8")).hexdigest()
            for v in range(n)
        ]
    return hashlib.md5(str(sorted(hashes)).encode("utf-8")).hexdigest()


def spec_hash(matrix: np.ndarray, ops: Sequence[str]) -> str:
    """Module hash of a (pruned) spec with ops ``input, ..., output``, labelled as the original does."""
    labels = [-1] + [OPS.index(op) for op in ops[1:-1]] + [-2]
    return hash_module(matrix, labels)


def genes_of(matrix: np.ndarray, ops: Sequence[str]) -> Arch:
    """Genes of a V-vertex spec (V <= 7): vertices keep their places, the output moves to vertex 6, and
    unused vertices stay isolated (pruned away again) with the first op."""
    matrix = np.asarray(matrix)
    n = len(matrix)
    if not 2 <= n <= N_VERTICES or matrix.shape != (n, n):
        raise NasbenchError(f"a NAS-Bench-101 cell has 2..{N_VERTICES} vertices, not a {matrix.shape} matrix")
    if ops[0] != "input" or ops[-1] != "output" or any(op not in OPS for op in ops[1:-1]):
        raise NasbenchError(f"NAS-Bench-101 ops must be input, {{{', '.join(OPS)}}}..., output; "
                            f"got {shorten(list(ops))}")
    place = list(range(n - 1)) + [N_VERTICES - 1]
    full = np.zeros((N_VERTICES, N_VERTICES), dtype=np.int8)
    full[np.ix_(place, place)] = matrix
    interior = [OPS.index(op) for op in ops[1:-1]] + [0] * (N_VERTICES - n)
    return tuple(int(full[i, j]) for i, j in EDGES) + tuple(interior)


def matrix_of(arch: Arch) -> np.ndarray:
    matrix = np.zeros((N_VERTICES, N_VERTICES), dtype=np.int8)
    for bit, (i, j) in zip(arch, EDGES):
        matrix[i, j] = bit
    return matrix


def ops_of(arch: Arch) -> list[str]:
    return ["input"] + [OPS[g] for g in arch[len(EDGES):]] + ["output"]


def code_of(arch: Arch) -> int:
    """An integer for a gene tuple: adjacency bits in the low 21 bits, interior ops in base 3 above."""
    code = sum(bit << position for position, bit in enumerate(arch[:len(EDGES)]))
    ops = 0
    for g in reversed(arch[len(EDGES):]):
        ops = ops * len(OPS) + g
    return code | (ops << len(EDGES))


def arch_of_code(code: int) -> Arch:
    bits = tuple((code >> position) & 1 for position in range(len(EDGES)))
    ops, genes = code >> len(EDGES), []
    for _ in range(N_INTERIOR):
        ops, g = divmod(ops, len(OPS))
        genes.append(g)
    return bits + tuple(genes)


class Nb101Space(Space):
    """NAS-Bench-101 cells; rows (and hash lookup) come from a table's ``module_hash`` column."""

    name = "nb101"
    n_choices = (2,) * len(EDGES) + (len(OPS),) * N_INTERIOR
    string_form = ("21 adjacency bits (0->1, 0->2, ..., 5->6) '|' 5 comma-separated ops from "
                   + ", ".join(OPS) + ", or a 32-hex module hash")

    def __init__(self, hashes: np.ndarray | None = None, codes: np.ndarray | None = None) -> None:
        self._hashes = hashes  # sorted fixed-width ASCII, one per row
        self._codes = codes

    @classmethod
    def from_table(cls, table: Table) -> Nb101Space:
        return cls(table.dataset("extra/module_hash"), table.codes)

    @property
    def size(self) -> int:
        return N_GRAPHS if self._hashes is None else len(self._hashes)

    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        edges = tuple((f"edge_{a}->{b}", ("0", "1")) for a, b in EDGES)
        return edges + tuple((f"op_{v + 1}", OPS) for v in range(N_INTERIOR))

    # --- strings -----------------------------------------------------------------------------
    def encode(self, arch: Arch) -> str:
        if not super().is_valid(arch):  # gene ranges only: an invalid graph still has a string form
            self.check(arch)
        return "".join(map(str, arch[:len(EDGES)])) + "|" + ",".join(OPS[g] for g in arch[len(EDGES):])

    def parse(self, text: str) -> Arch:
        text = text.strip()
        if _HASH.match(text):
            return self.arch_of_row(self._row_of_hash(text))
        bits, _, ops = text.partition("|")
        op_list = ops.split(",")
        if len(bits) != len(EDGES) or set(bits) - {"0", "1"} or len(op_list) != N_INTERIOR \
                or any(op not in OPS for op in op_list):
            raise NasbenchError(f"malformed NAS-Bench-101 cell {shorten(text)}: expected {self.string_form}")
        return tuple(int(b) for b in bits) + tuple(OPS.index(op) for op in op_list)

    # --- validity and hashing ----------------------------------------------------------------
    def pruned(self, arch: Arch) -> tuple[np.ndarray, list[str]] | None:
        return prune(matrix_of(arch), ops_of(arch))

    def is_valid(self, arch: Arch) -> bool:
        if not super().is_valid(arch):
            return False
        spec = self.pruned(arch)
        return spec is not None and int(spec[0].sum()) <= MAX_EDGES

    def module_hash(self, arch: Arch) -> str:
        """The original's module hash of a valid cell (isomorphic cells share it)."""
        spec = self.pruned(self.check(arch))
        if spec is None or int(spec[0].sum()) > MAX_EDGES:
            raise NasbenchError(f"{self.encode(arch)} is not a valid NAS-Bench-101 cell (the input must reach the "
                                f"output and the pruned graph may have at most {MAX_EDGES} edges)")
        return spec_hash(*spec)

    # --- rows --------------------------------------------------------------------------------
    def _need_table(self) -> np.ndarray:
        if self._hashes is None:
            raise NasbenchError("the nb101 space maps cells to rows through a table; open an nb101 table first")
        return self._hashes

    def _row_of_hash(self, module_hash: str) -> int:
        hashes = self._need_table()
        key = module_hash.encode("ascii")
        row = int(np.searchsorted(hashes, key))
        if row >= len(hashes) or hashes[row] != key:
            raise NasbenchError(f"module hash {module_hash} is not in this nb101 table ({len(hashes)} cells)")
        return row

    def index(self, arch: Arch) -> int:
        return self._row_of_hash(self.module_hash(arch))

    def arch_of_row(self, row: int) -> Arch:
        self._need_table()
        if not 0 <= row < self.size or self._codes is None:
            raise NasbenchError(f"row {row} is outside this nb101 table (0..{self.size - 1})")
        return arch_of_code(int(self._codes[row]))

    # --- moves -------------------------------------------------------------------------------
    def mutate(self, arch: Arch, rng: np.random.Generator | Uniforms) -> Arch:
        """Change one gene (uniform position, uniform new value), retrying until the cell is valid and
        is a different graph (a change to a pruned vertex alone would leave the network unchanged)."""
        own = self.module_hash(arch)
        while True:
            child = super().mutate(arch, rng)
            if self.module_hash(child) != own:
                return child

    def neighbours(self, arch: Arch) -> list[Arch]:
        """Valid cells one gene away, one per distinct graph (by module hash) other than ``arch``'s."""
        seen = {self.module_hash(arch)}
        result = []
        variants = [arch[:p] + (v,) + arch[p + 1:]
                    for p, n in enumerate(self.n_choices) for v in range(n) if v != arch[p]]
        for other in filter(self.is_valid, variants):
            key = self.module_hash(other)
            if key not in seen:
                seen.add(key)
                result.append(other)
        return result

    def path_encoding(self, arch: Arch) -> np.ndarray:
        """BANANAS path encoding: one bit per op sequence of an input-to-output path (3^0 + ... + 3^5 = 364)."""
        bits = np.zeros(sum(len(OPS) ** k for k in range(N_INTERIOR + 1)))
        spec = self.pruned(self.check(arch))
        if spec is None:
            return bits
        matrix, ops = spec
        n = len(matrix)
        offsets = np.cumsum([0] + [len(OPS) ** k for k in range(N_INTERIOR + 1)])
        stack: list[tuple[int, tuple[int, ...]]] = [(0, ())]
        while stack:
            vertex, sequence = stack.pop()
            for target in range(vertex + 1, n):
                if not matrix[vertex, target]:
                    continue
                if target == n - 1:
                    code = 0
                    for g in sequence:
                        code = code * len(OPS) + g
                    bits[offsets[len(sequence)] + code] = 1.0
                else:
                    stack.append((target, sequence + (OPS.index(ops[target]),)))
        return bits


@register_space("nb101")
def _nb101(table: Table | None) -> Nb101Space:
    return Nb101Space.from_table(table) if table is not None else Nb101Space()
