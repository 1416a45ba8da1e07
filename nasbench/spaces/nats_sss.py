"""The NATS-Bench size search space (``sss``): 32,768 channel configurations.

A network has five stages; each stage's channel count is one of 8, 16, ..., 64. Genes are the five
channel choices (0..7 for 8..64); the string form is ``c1:c2:c3:c4:c5`` (e.g. ``8:16:32:64:64``).
Rows follow the NATS-sss index order: base 8 with the last stage fastest, so row 1 is ``8:8:8:8:16``.
Every configuration is a distinct network, so each raw encoding is its own row.

Example:
    >>> space = NatsSssSpace()
    >>> space.index(space.parse("8:8:8:16:32"))
    11
    >>> space.encode(space.arch_of_row(32767))
    '64:64:64:64:64'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasbench.errors import NasbenchError, shorten
from nasbench.spaces.base import Arch, Space
from nasbench.spaces.registry import register_space
from nasbench.spaces.subset import SubsetSpace, subset_of

if TYPE_CHECKING:
    from nasbench.table import Table

CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)
N_STAGES = 5


class NatsSssSpace(Space):
    """Channel counts of the five stages, in NATS-sss index order."""

    name = "nats-sss"
    n_choices = (len(CHANNELS),) * N_STAGES
    string_form = "c1:c2:c3:c4:c5 with each c in " + ", ".join(map(str, CHANNELS))

    @property
    def size(self) -> int:
        return len(CHANNELS) ** N_STAGES

    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((f"channels_{stage + 1}", tuple(map(str, CHANNELS))) for stage in range(N_STAGES))

    def encode(self, arch: Arch) -> str:
        return ":".join(str(CHANNELS[g]) for g in self.check(arch))

    def parse(self, text: str) -> Arch:
        parts = text.strip().split(":")
        try:
            arch = tuple(CHANNELS.index(int(p)) for p in parts)
        except ValueError:
            arch = ()
        if len(parts) != N_STAGES or len(arch) != N_STAGES:
            raise NasbenchError(f"malformed NATS-sss configuration {shorten(text)}: expected {self.string_form}")
        return arch

    def index(self, arch: Arch) -> int:
        row = 0
        for g in self.check(arch):
            row = row * len(CHANNELS) + g
        return row

    def arch_of_row(self, row: int) -> Arch:
        if not 0 <= row < self.size:
            raise NasbenchError(f"row {row} is outside the nats-sss space (0..{self.size - 1})")
        genes = []
        for _ in range(N_STAGES):
            row, g = divmod(row, len(CHANNELS))
            genes.append(g)
        return tuple(reversed(genes))


@register_space("nats-sss")
def _nats_sss(table: Table | None) -> NatsSssSpace:
    return NatsSssSpace()


@register_space("nats-sss-subset")
def _nats_sss_subset(table: Table | None) -> SubsetSpace:
    return subset_of(NatsSssSpace(), table)
