"""Search spaces, one module each, and a registry from name to factory.

A table names its space; :func:`space_for_table` builds it, handing over any index data the table
stores (for instance NAS-Bench-Graph's raw-to-row map).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nasbench.errors import NasbenchError
from nasbench.spaces.base import Arch, Space
from nasbench.spaces.trainable import mark_trainable, trainable_spaces

if TYPE_CHECKING:
    from nasbench.table import Table

_FACTORIES: dict[str, Callable[[Table | None], Space]] = {}


def register_space(name: str, *, trains_as: str | None = None) -> Callable:
    """Register ``factory(table_or_None) -> Space`` under ``name``; a duplicate name raises.

    ``trains_as`` marks a trainable space (:class:`~nasbench.spaces.trainable.TrainableSpace`, trained
    through its :mod:`~nasbench.train.recipes` recipe): the registered space its tables are indexed by
    (nb201 tables keep one row per isomorphism class).
    """

    def wrap(factory: Callable[[Table | None], Space]) -> Callable:
        if name in _FACTORIES:
            raise NasbenchError(f"a search space named {name!r} is already registered")
        _FACTORIES[name] = factory
        if trains_as is not None:
            mark_trainable(name, trains_as)
        return factory

    return wrap


def list_spaces() -> list[str]:
    return sorted(_FACTORIES)


def get_space(name: str, table: Table | None = None) -> Space:
    """Build the space ``name`` (using ``table``'s index data when given)."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise NasbenchError(f"unknown search space {name!r}; known spaces: {', '.join(list_spaces())}")
    return factory(table)


def space_for_table(table: Table) -> Space:
    return get_space(table.space, table)


@register_space("nb201", trains_as="nb201-unique")
def _nb201(table: Table | None) -> Space:
    from nasbench.spaces.nb201 import Nb201Space

    return Nb201Space()


def _nbgraph_factory(ops_name: str) -> Callable[[Table | None], Space]:
    def factory(table: Table | None) -> Space:
        from nasbench.spaces import nbgraph

        ops = nbgraph.OPS if ops_name == "all" else nbgraph.PROTEINS_OPS
        if table is not None and table.has("extra/raw_to_row"):
            return nbgraph.NbGraphSpace(ops, raw_to_row=table.dataset("extra/raw_to_row"), row_keys=table.codes)
        return nbgraph.NbGraphSpace(ops)

    return factory


register_space("nbgraph")(_nbgraph_factory("all"))
register_space("nbgraph-proteins")(_nbgraph_factory("proteins"))

__all__ = ["Arch", "Space", "get_space", "list_spaces", "register_space", "trainable_spaces", "space_for_table"]


@register_space("mlp", trains_as="mlp")
def _mlp(table: Table | None) -> Space:
    from nasbench.spaces.mlp import MlpSpace

    return MlpSpace()


@register_space("nb201-unique", trains_as="nb201-unique")
def _nb201_unique(table: Table | None) -> Space:
    from nasbench.spaces.nb201_unique import Nb201UniqueSpace

    if table is not None and table.has("extra/raw_to_row"):
        return Nb201UniqueSpace(table.dataset("extra/raw_to_row"))
    return Nb201UniqueSpace()


# --- spaces of the published-benchmark importers (full and partial tables) --------------------------
def _subset_of(base: Space, table: Table | None) -> Space:
    from nasbench.spaces.subset import SubsetSpace

    if table is None:
        raise NasbenchError(f"a {base.name}-subset space is defined by a partial table; open the table instead")
    return SubsetSpace(base, table.codes)


@register_space("nats-sss")
def _nats_sss(table: Table | None) -> Space:
    from nasbench.spaces.nats_sss import NatsSssSpace

    return NatsSssSpace()


@register_space("nats-sss-subset")
def _nats_sss_subset(table: Table | None) -> Space:
    from nasbench.spaces.nats_sss import NatsSssSpace

    return _subset_of(NatsSssSpace(), table)


@register_space("nb201-subset")
def _nb201_subset(table: Table | None) -> Space:
    from nasbench.spaces.nb201 import Nb201Space

    return _subset_of(Nb201Space(), table)


@register_space("nb101")
def _nb101(table: Table | None) -> Space:
    from nasbench.spaces.nb101 import Nb101Space

    return Nb101Space.from_table(table) if table is not None else Nb101Space()
