"""The search-space registry: a name to a factory ``factory(table_or_None) -> Space``.

Each space module registers its own factories with :func:`register_space`; the registry imports every
public module of :mod:`nasbench.spaces` (and each module a ``nasbench.spaces`` entry point names) the
first time it is read, so a new space is one file. A table
names its space, and :func:`space_for_table` builds it, handing over any index data the table stores
(for instance NAS-Bench-Graph's raw-to-row map).

Example:
    >>> "nbgraph" in list_spaces() and get_space("nb201").size
    15625
    >>> trainable_spaces()["nb201"]
    'nb201-unique'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nasbench.registry import Registry

if TYPE_CHECKING:
    from nasbench.spaces.base import Space
    from nasbench.table import Table

Factory = Callable[["Table | None"], "Space"]
#: the entry-point group naming the modules of other packages that register spaces (and their recipes)
GROUP = "nasbench.spaces"

SPACES: Registry[Factory] = Registry("search space", package="nasbench.spaces", group=GROUP)
#: the spaces nasbench can train, each with the registered space its tables are indexed by
TRAINABLE: Registry[str] = Registry("trainable space", package="nasbench.spaces", group=GROUP)


def register_space(name: str, *, trains_as: str | None = None) -> Callable[[Factory], Factory]:
    """Register ``factory(table_or_None) -> Space`` under ``name``; a name taken by another factory raises.

    ``trains_as`` marks a trainable space (:class:`~nasbench.spaces.trainable.TrainableSpace`, trained
    through its :mod:`~nasbench.train.recipes` recipe): the registered space its tables are indexed by
    (nb201 tables keep one row per isomorphism class).
    """

    def wrap(factory: Factory) -> Factory:
        SPACES.register(name, factory)
        if trains_as is not None:
            TRAINABLE.register(name, trains_as)
        return factory

    return wrap


def trainable_spaces() -> dict[str, str]:
    """Names nasbench can train (``nasbench build NAME``), each with the space its tables use."""
    return dict(TRAINABLE)


def list_spaces() -> list[str]:
    return list(SPACES)


def get_space(name: str, table: Table | None = None) -> Space:
    """Build the space ``name`` (using ``table``'s index data when given)."""
    return SPACES.entry(name)(table)


def space_for_table(table: Table) -> Space:
    return get_space(table.space, table)
