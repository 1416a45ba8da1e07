"""The importer interface and the registry behind ``nasbench import KIND PATH --out DIR``.

An importer converts one published benchmark's files into nasbench tables. It is a subclass of
:class:`Importer` with a ``name`` (the KIND), a one-line ``help`` saying what PATH is, and
``convert(path, out, options) -> [written table paths]``, registered with :func:`register_importer`.
The registry (a :class:`nasbench.registry.Registry`) finds importers by itself: every module of the
``nasbench.importers`` package is imported, then every module named by a ``nasbench.importers`` entry
point (how another package adds one), and each registers its classes when imported. (syne-tune's
``BlackboxRecipe`` is the model.)

Example:
    >>> registry = importer_registry()
    >>> "nbgraph" in registry and all(importer.name == kind for kind, importer in registry.items())
    True
    >>> registry["nbgraph"].help.split(":")[0]
    'a NAS-Bench-Graph dataset of the installed nas-bench-graph package'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from nasbench.errors import NasbenchError
from nasbench.registry import Registry

ENTRY_POINT_GROUP = "nasbench.importers"


@dataclass(frozen=True)
class ImportOptions:
    """How to run a conversion; importers ignore what does not apply to them."""

    #: show a progress bar
    progress: bool = False
    #: importers that join (``Importer.joins``): the tables to join onto; None = those found in ``out``
    onto: tuple[Path, ...] | None = None


class Importer(ABC):
    """Converts one published benchmark's files into nasbench tables."""

    #: the KIND of ``nasbench import KIND``
    name: str = ""
    #: one line for ``nasbench import --help``: what PATH holds
    help: str = ""
    #: whether it adds columns to tables already converted (``--onto``) rather than reading PATH alone
    joins: bool = False

    @abstractmethod
    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        """Convert the files at ``path`` into tables in the directory ``out``; return the tables written.

        Raise :class:`~nasbench.errors.NasbenchError` for anything wrong with ``path``; write each table
        atomically (:func:`nasbench.table.write_table` does) once its source has been read in full.
        """


#: every importer by name: the modules of this package, then the modules ``nasbench.importers`` entry
#: points name, each registering its classes when imported (read on first use)
IMPORTERS: Registry[Importer] = Registry("importer", plural="import kinds", package="nasbench.importers",
                                         group=ENTRY_POINT_GROUP)
ImporterClass = TypeVar("ImporterClass", bound=type[Importer])


def register_importer(cls: ImporterClass) -> ImporterClass:
    """Class decorator: register an instance of ``cls`` under ``cls.name``; a second use of a name raises."""
    if not cls.name or not cls.help:
        raise NasbenchError(f"importer {cls.__name__} needs a name and a help line")
    IMPORTERS.register(cls.name, cls())
    return cls


def importer_registry() -> dict[str, Importer]:
    """Every registered importer by name."""
    return dict(IMPORTERS)


def get_importer(kind: str) -> Importer:
    """The importer registered as ``kind``; an unknown kind raises listing the known ones."""
    return IMPORTERS.entry(kind)
