"""The NAS-Bench-201 / NATS-Bench topology cell space (15,625 cells).

A cell has 4 nodes and 6 edges (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2), each carrying one of five ops.
Genes are the six ops in string order; the string form is
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``. Rows follow the index order shared by NAS-Bench-201,
NATS-Bench tss and HW-NAS-Bench (shipped in ``data/nb201_order.npy``, taken from the NATS-tss meta
file, MIT licence). These benchmarks trained every cell separately, so each cell is its own row; the
isomorphism classes are available through :meth:`Nb201Space.isomorphism_class` for tables that merge them.

Example:
    >>> space = Nb201Space()
    >>> cell = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    >>> space.index(space.parse(cell))
    0
"""

from __future__ import annotations

import itertools
import re
from functools import cached_property
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from nasbench.errors import NasbenchError, shorten
from nasbench.spaces.base import Arch
from nasbench.spaces.registry import register_space
from nasbench.spaces.subset import SubsetSpace, subset_of
from nasbench.spaces.trainable import TrainableSpace

if TYPE_CHECKING:
    from nasbench.table import Table

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: (target node, source node) of each edge, in gene order
EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
_OP = r"([a-z_0-9]+)"
_PATTERN = re.compile(rf"^\|{_OP}~0\|\+\|{_OP}~0\|{_OP}~1\|\+\|{_OP}~0\|{_OP}~1\|{_OP}~2\|$")


class Nb201Space(TrainableSpace):
    """NAS-Bench-201 cells in NATS-tss index order."""

    name = "nb201"
    n_choices = (5,) * 6
    string_form = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2| with op in " + ", ".join(OPS)

    def __init__(self) -> None:
        with resources.as_file(resources.files("nasbench.spaces") / "data" / "nb201_order.npy") as order_file:
            order = np.load(order_file)
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
            raise NasbenchError(f"malformed NAS-Bench-201 cell {shorten(text)}: expected {self.string_form}")
        return tuple(OPS.index(op) for op in match.groups())

    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((f"edge_{target}<-{source}", OPS) for target, source in EDGES)

    def raw_code(self, arch: Arch) -> int:
        code = 0
        for g in arch:
            code = code * 5 + g
        return code

    @cached_property
    def _lookup(self) -> dict[Arch, int]:
        return self._lookup_from(self._raw_to_row)

    def is_valid(self, arch: Arch) -> bool:
        try:
            return arch in self._lookup
        except TypeError:
            return False

    def index(self, arch: Arch) -> int:
        try:
            return self._lookup[arch]
        except (KeyError, TypeError):
            return self._lookup[self.check(arch)]  # check raises for anything outside the space

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
        """A key shared exactly by cells that build the same network up to relabelling.

        The cell is read as a graph of operation *instances*: ``none`` is zero (and an op fed only
        zero is zero), ``skip_connect`` is the identity, so it merges its source's terms into its
        target's sum; every conv or pool edge fed a non-zero node is one instance with its own
        parameters. Instances that do not reach the output are dropped, and the key is the smallest
        labelling of what remains (instances named by their expression, ties broken by trying every
        order). So two convolutions reading one shared instance differ from two reading separate
        copies of it, and every cell whose output is cut off from the input is the one class ``"zero"``.
        (NAS-Bench-201's own ``to_unique_str`` compares expression strings only, which merges those
        two and, because it keeps zero terms, splits some equal cells: 6,466 classes against 5,425.)

        Example:
            >>> space = Nb201Space()
            >>> a = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")
            >>> space.isomorphism_class(a) == space.isomorphism_class(space.parse(
            ...     "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"))
            True
        """
        return self._iso_key(self.check(arch))

    @staticmethod
    def live_instances(arch: Arch) -> tuple[list[tuple[int, tuple]], tuple]:
        """The cell as operation instances that reach the output.

        Returns ``(instances, output)``: ``instances[k] = (op, inputs)`` with ``inputs`` a sorted tuple
        of references (``-1`` the cell input, ``j`` instance ``j``; a reference may repeat, since a
        skip path can add a node twice), and ``output`` the references summed at the cell output
        (empty when the output is cut off). Instances appear in an order where inputs come first.
        """
        ops = dict(zip(EDGES, arch))
        created: list[tuple[int, tuple]] = []
        nodes: dict[int, tuple] = {0: (-1,)}
        for target in (1, 2, 3):
            refs: list[int] = []
            for source in range(target):
                op, terms = ops[(target, source)], nodes[source]
                if op == 0 or not terms:  # 'none', or a source that is itself zero
                    continue
                if op == 1:  # skip: the source's terms join this sum unchanged
                    refs.extend(terms)
                else:
                    created.append((op, terms))
                    refs.append(len(created) - 1)
            nodes[target] = tuple(sorted(refs))
        live: set[int] = set()
        stack = [r for r in nodes[3] if r >= 0]
        while stack:
            ref = stack.pop()
            if ref not in live:
                live.add(ref)
                stack.extend(r for r in created[ref][1] if r >= 0)
        renumber = {old: new for new, old in enumerate(sorted(live))}
        renumber[-1] = -1
        instances = [(created[old][0], tuple(sorted(renumber[r] for r in created[old][1]))) for old in sorted(live)]
        return instances, tuple(sorted(renumber[r] for r in nodes[3]))

    @staticmethod
    def _iso_key(arch: Arch) -> str:
        instances, output = Nb201Space.live_instances(arch)
        if not output:
            return "zero"
        expressions: list[str] = []
        for op, inputs in instances:  # inputs come first, so their expressions exist already
            expressions.append(f"{OPS[op]}({'+'.join(sorted('x' if r < 0 else expressions[r] for r in inputs))})")
        labels = sorted(set(expressions))
        groups = [[k for k, e in enumerate(expressions) if e == label] for label in labels]
        best: tuple | None = None
        # Instances with different expressions are ordered by them; only equal ones can be confused,
        # and there are at most six instances, so trying every order within each group is cheap.
        for choice in itertools.product(*(itertools.permutations(group) for group in groups)):
            order = [k for group in choice for k in group]
            position = {k: i for i, k in enumerate(order)}
            position[-1] = -1
            form = (tuple((expressions[k], tuple(sorted(position[r] for r in instances[k][1]))) for k in order),
                    tuple(sorted(position[r] for r in output)))
            if best is None or form < best:
                best = form
        return repr(best)


@register_space("nb201", trains_as="nb201-unique")
def _nb201(table: Table | None) -> Nb201Space:
    return Nb201Space()


@register_space("nb201-subset")
def _nb201_subset(table: Table | None) -> SubsetSpace:
    return subset_of(Nb201Space(), table)
