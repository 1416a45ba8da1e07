"""The importer interface and the registry behind ``nasbench import KIND PATH --out DIR``.

An importer converts one published benchmark's files into nasbench tables. It is a subclass of
:class:`Importer` with a ``name`` (the KIND), a one-line ``help`` saying what PATH is, and
``convert(path, out, options) -> [written table paths]``, registered with :func:`register_importer`.
The registry finds importers by itself: every module of the ``nasbench.importers`` package is
imported, then every module named by a ``nasbench.importers`` entry point (how another package adds
one), and each registers its classes when imported. (syne-tune's ``BlackboxRecipe`` is the model.)

Example:
    >>> registry = importer_registry()
    >>> sorted(registry)
    ['hwnas', 'nats-sss', 'nats-tss', 'nb101', 'nb201', 'nbgraph']
    >>> registry["nbgraph"].help.split(":")[0]
    'a NAS-Bench-Graph dataset of the installed nas-bench-graph package'
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TypeVar

from nasbench.errors import NasbenchError

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


_REGISTRY: dict[str, Importer] = {}
_discovered = False
ImporterClass = TypeVar("ImporterClass", bound=type[Importer])


def register_importer(cls: ImporterClass) -> ImporterClass:
    """Class decorator: register an instance of ``cls`` under ``cls.name``; a second use of a name raises."""
    if not cls.name or not cls.help:
        raise NasbenchError(f"importer {cls.__name__} needs a name and a help line")
    if cls.name in _REGISTRY and type(_REGISTRY[cls.name]) is not cls:
        raise NasbenchError(f"an importer named {cls.name!r} is already registered "
                            f"({type(_REGISTRY[cls.name]).__name__})")
    _REGISTRY[cls.name] = cls()
    return cls


def importer_registry() -> dict[str, Importer]:
    """Every registered importer by name (the package's modules and entry points are imported once)."""
    global _discovered
    if not _discovered:
        _discovered = True
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):  # the package's folder
            importlib.import_module(f"nasbench.importers.{module.name}")
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            entry.load()
    return dict(sorted(_REGISTRY.items()))


def get_importer(kind: str) -> Importer:
    """The importer registered as ``kind``; an unknown kind raises listing the known ones."""
    registry = importer_registry()
    importer = registry.get(kind)
    if importer is None:
        from nasbench.errors import shorten

        raise NasbenchError(f"unknown import kind {shorten(kind)}; known kinds: {', '.join(registry)}")
    return importer
