"""NAS-Bench-201 cells with one row per isomorphism class (5,425 rows).

Tables trained by nasbench itself (``nb201-mnist1d``) train each distinct network once: every raw
cell maps to the row of its class (:meth:`Nb201Space.isomorphism_class`), and the row's architecture
is the member of the class that comes first in NATS-tss order. Rows follow that order too, so the
string form and the order of rows are those of NATS-tss with the duplicates left out.

Example:
    >>> space = Nb201UniqueSpace()
    >>> space.size
    5425
    >>> a = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    >>> b = space.parse("|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|none~2|")
    >>> space.index(a) == space.index(b)  # every edge into node 3 (the output) is none: both cut it off
    True
    >>> c = space.parse("|avg_pool_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|")
    >>> d = space.parse("|avg_pool_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|")
    >>> space.index(c) == space.index(d)  # pooling, then a skip to the output, is pooling straight to it
    True
    >>> space.index(a) == space.index(c)
    False
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch
from nasbench.spaces.nb201 import Nb201Space
from nasbench.spaces.registry import register_space

if TYPE_CHECKING:
    from nasbench.table import Table


def raw_to_class_row(space: Nb201Space) -> np.ndarray:
    """For every raw code (base-5 genes), the row of its class; classes ordered by their first NATS row."""
    raw_to_row = np.empty(space.n_raw, dtype=np.int64)
    class_row: dict[str, int] = {}
    for nats_row in range(space.size):
        arch = space.arch_of_row(nats_row)
        key = space.isomorphism_class(arch)
        raw_to_row[space.raw_code(arch)] = class_row.setdefault(key, len(class_row))
    return raw_to_row


class Nb201UniqueSpace(Nb201Space):
    """NAS-Bench-201 cells, isomorphic cells sharing one row."""

    name = "nb201-unique"

    def __init__(self, raw_to_row: np.ndarray | None = None) -> None:
        super().__init__()
        nats = Nb201Space()
        self._class_of_raw = raw_to_class_row(nats) if raw_to_row is None else np.asarray(raw_to_row, dtype=np.int64)
        if self._class_of_raw.shape != (self.n_raw,):
            raise NasbenchError(f"an nb201-unique raw-to-row map needs {self.n_raw} entries, "
                                f"not {self._class_of_raw.shape}")
        n_rows = int(self._class_of_raw.max()) + 1
        representative = np.full(n_rows, -1, dtype=np.int64)
        for nats_row in range(nats.size - 1, -1, -1):  # backwards, so the first NATS row wins
            representative[self._class_of_raw[nats.raw_code(nats.arch_of_row(nats_row))]] = nats_row
        self._representatives = [nats.arch_of_row(int(r)) for r in representative]
        self.nats_rows = representative

    @property
    def size(self) -> int:
        return len(self._representatives)

    def index(self, arch: Arch) -> int:
        return int(self._class_of_raw[self.raw_code(self.check(arch))])

    def arch_of_row(self, row: int) -> Arch:
        if not 0 <= row < self.size:
            raise NasbenchError(f"row {row} is outside the nb201-unique space (0..{self.size - 1})")
        return self._representatives[row]

    @property
    def raw_to_row(self) -> np.ndarray:
        """The map from raw code to row (stored in tables as ``extra/raw_to_row``)."""
        return self._class_of_raw

    def row_codes(self) -> np.ndarray:
        """Each row's NATS-tss row (the class member that stands for it)."""
        return self.nats_rows.astype(np.int64)

    def stored_arrays(self) -> dict[str, np.ndarray]:
        return {"raw_to_row": self.raw_to_row}


@register_space("nb201-unique", trains_as="nb201-unique")
def _nb201_unique(table: Table | None) -> Nb201UniqueSpace:
    if table is not None and table.has("extra/raw_to_row"):
        return Nb201UniqueSpace(table.dataset("extra/raw_to_row"))
    return Nb201UniqueSpace()
