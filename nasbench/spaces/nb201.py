"""The NAS-Bench-201 / NATS-Bench topology cell space (15,625 cells).

A cell has 4 nodes and 6 edges (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2), each carrying one of five ops.
Genes are the six ops in string order; the string form is
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``. Rows follow the index order shared by NAS-Bench-201,
NATS-Bench tss and HW-NAS-Bench (shipped in ``data/nb201_order.npy``, taken from the NATS-tss meta
file, MIT licence). These benchmarks trained every cell separately, so each cell is its own row; the
isomorphism classes are available through :meth:`Nb201Space.isomorphism_class` for tables that merge them.

Example:
    >>> space = Nb201Space()
    >>> space.index(space.parse("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"))
    0
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch, Space

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: (target node, source node) of each edge, in gene order
EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
_PATTERN = re.compile(r"^\|([a-z_0-9]+)~0\|\+\|([a-z_0-9]+)~0\|([a-z_0-9]+)~1\|\+\|([a-z_0-9]+)~0\|([a-z_0-9]+)~1\|([a-z_0-9]+)~2\|$")


class Nb201Space(Space):
    """NAS-Bench-201 cells in NATS-tss index order."""

    name = "nb201"
    n_choices = (5,) * 6
    string_form = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2| with op in " + ", ".join(OPS)

    def __init__(self) -> None:
        order = np.load(resources.files("nasbench.spaces") / "data" / "nb201_order.npy")
        self._row_codes = order.astype(np.int64)
        raw = self._row_codes @ (5 ** np.arange(5, -1, -1))
        self._raw_to_row = np.empty(len(raw), dtype=np.int64)
        self._raw_to_row[raw] = np.arange(len(raw))
        self._rows = [tuple(int(g) for g in r) for r in self._row_codes]

    @property
    def size(self) -> int:
        return len(self._rows)

    def encode(self, arch: Arch) -> str:
        o = [OPS[g] for g in arch]
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"

    def parse(self, text: str) -> Arch:
        match = _PATTERN.match(text.strip())
        if match is None or any(op not in OPS for op in match.groups()):
            raise NasbenchError(f"malformed NAS-Bench-201 cell {text!r}: expected {self.string_form}")
        return tuple(OPS.index(op) for op in match.groups())

    def raw_code(self, arch: Arch) -> int:
        code = 0
        for g in arch:
            code = code * 5 + g
        return code

    def index(self, arch: Arch) -> int:
        return int(self._raw_to_row[self.raw_code(self.check(arch))])

    def arch_of_row(self, row: int) -> Arch:
        if not 0 <= row < self.size:
            raise NasbenchError(f"row {row} is outside the nb201 space (0..{self.size - 1})")
        return self._rows[row]

    def path_encoding(self, arch: Arch) -> np.ndarray:
        """BANANAS path encoding: one bit per op sequence on an input-to-output path (5 + 25 + 125 = 155)."""
        ops = dict(zip(EDGES, arch))
        bits = np.zeros(5 + 25 + 125)
        offsets = {1: 0, 2: 5, 3: 30}
        for path in ((0, 3), (0, 1, 3), (0, 2, 3), (0, 1, 2, 3)):
            seq = [ops[(b, a)] for a, b in zip(path, path[1:])]
            if 0 in seq:  # a 'none' op cuts the path
                continue
            code = 0
            for g in seq:
                code = code * 5 + g
            bits[offsets[len(seq)] + code] = 1.0
        return bits

    @cached_property
    def _isomorphism_keys(self) -> np.ndarray:
        return np.array([self._iso_key(a) for a in self._rows])

    def isomorphism_class(self, arch: Arch) -> str:
        """A key shared by cells that compute the same function: edges that cannot reach the output or
        cannot be reached from the input are dropped ('none'), and the op multiset of each path is kept."""
        return self._iso_key(self.check(arch))

    @staticmethod
    def _iso_key(arch: Arch) -> str:
        ops = dict(zip(EDGES, arch))
        live = {edge: op for edge, op in ops.items() if op != 0}
        reach_in = {0}
        for target in (1, 2, 3):
            if any((target, s) in live and s in reach_in for s in range(target)):
                reach_in.add(target)
        reach_out = {3}
        for source in (2, 1, 0):
            if any((t, source) in live and t in reach_out for t in range(source + 1, 4)):
                reach_out.add(source)
        paths = []
        for path in ((0, 3), (0, 1, 3), (0, 2, 3), (0, 1, 2, 3)):
            seq = [ops[(b, a)] for a, b in zip(path, path[1:])]
            if 0 not in seq and all(n in reach_in and n in reach_out for n in path):
                paths.append("".join(map(str, seq)))
        return "/".join(sorted(paths)) or "empty"
