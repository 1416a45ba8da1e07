"""One registry type for every kind of extension: strategies, importers, spaces, recipes, report sections.

A :class:`Registry` maps names to entries (classes or factories) and reads like a dict (``del``
removes a registration made in this process). Entries come in three ways: a decorator (or call) of
:meth:`Registry.register` in the module that defines them; a package scan, which imports every public
module of a package the first time the registry is read, so that a new file registers itself by being
there; and an entry-point group (outside packages), naming callables that return ``{name: entry}``
(asked again on every read, so that a later registration is seen) or modules that register their
entries when imported. A name that two different entries claim is refused in one sentence.

Example:
    >>> colours = Registry("colour")
    >>> @colours.register("red")
    ... def red() -> str:
    ...     return "#f00"
    >>> colours.entry("red")(), "red" in colours, list(colours)
    ('#f00', True, ['red'])
    >>> colours.register("red", print)
    Traceback (most recent call last):
    nasbench.errors.NasbenchError: a colour named 'red' is already registered (red)
    >>> colours.entry("blue")
    Traceback (most recent call last):
    nasbench.errors.NasbenchError: unknown colour 'blue'; known colours: red
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, TypeVar, overload

from nasbench.errors import NasbenchError, shorten

T = TypeVar("T")


class Registry(MutableMapping[str, T]):
    """Named entries of one kind; ``package`` is scanned and ``group``'s entry points are read on first use."""

    def __init__(self, kind: str, *, plural: str | None = None, package: str | None = None,
                 group: str | None = None) -> None:
        self.kind, self.plural = kind, plural or f"{kind}s"
        self.package, self.group = package, group
        self._entries: dict[str, T] = {}
        self._sources: list[Callable[[], Mapping[str, T]]] | None = None

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, entry: T) -> T: ...

    def register(self, name: str, entry: Any = None) -> Any:
        """Add ``entry`` under ``name`` (as a decorator when ``entry`` is left out); a taken name raises."""
        if entry is None:
            return lambda decorated: self.register(name, decorated)
        known = self._entries.get(name)
        if known is not None and not _same(known, entry):
            article = "an" if self.kind[0] in "aeiou" else "a"
            raise NasbenchError(f"{article} {self.kind} named {name!r} is already registered ({_label(known)})")
        self._entries[name] = entry
        return entry

    def entry(self, name: str) -> T:
        """The entry of ``name``, or a one-sentence error listing the known names."""
        entries = self._all()
        if not isinstance(name, str) or name not in entries:
            known = ", ".join(sorted(entries))
            raise NasbenchError(f"unknown {self.kind} {shorten(name)}; known {self.plural}: {known}")
        return entries[name]

    def refresh(self) -> None:
        """Look for entry points again (after installing a plugin)."""
        self._sources = None

    def __getitem__(self, name: str) -> T:
        return self._all()[name]

    def __setitem__(self, name: str, entry: T) -> None:
        self.register(name, entry)

    def __delitem__(self, name: str) -> None:  # a registration of this process (tests remove theirs)
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> dict[str, T]:
        if self._sources is None:
            self._sources = []  # set first: the modules imported below register into this registry
            if self.package is not None:
                scanned = importlib.import_module(self.package)
                for info in pkgutil.iter_modules(scanned.__path__):
                    if not info.name.startswith("_"):
                        importlib.import_module(f"{self.package}.{info.name}")
            if self.group is not None:  # a module named by an entry point registers its entries when loaded
                loaded = [point.load() for point in entry_points(group=self.group)]
                self._sources = [source for source in loaded if not isinstance(source, ModuleType)]
        if not self._sources:
            return self._entries
        merged = dict(self._entries)
        for source in self._sources:
            for name, entry in source().items():
                if name in merged and not _same(merged[name], entry):
                    raise NasbenchError(f"two {self.plural} are registered as {name!r}: "
                                        f"{_label(merged[name])} and {_label(entry)}")
                merged[name] = entry
        return merged


def _same(a: object, b: object) -> bool:
    """One entry, possibly seen twice (a module imported again defines equal classes anew)."""
    return a is b or _key(a) == _key(b)


def _key(entry: object) -> object:
    """What makes two entries the same: a value itself; a class or function by its module and name; any
    other object by its class."""
    if isinstance(entry, (str, int, float, tuple, frozenset)):
        return entry
    named = entry if hasattr(entry, "__qualname__") else type(entry)
    return getattr(named, "__module__", None), getattr(named, "__qualname__", None)


def _label(entry: object) -> str:
    return str(getattr(entry, "__qualname__", None) or type(entry).__qualname__)


__all__ = ["Registry"]
