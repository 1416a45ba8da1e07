"""The one restricted unpickler every pickle path goes through.

A pickle names the callables it needs as ``(module, name)`` globals; :class:`RestrictedUnpickler`
resolves only those on an allow-list and refuses every other one *before* it is imported or called,
so a payload such as ``os.system`` never runs. Each importer passes the smallest allow-list its format
needs (for example :data:`NUMPY_SCALARS` for NAS-Bench-Graph).

Example:
    >>> import pickle, numpy as np
    >>> restricted_loads(pickle.dumps({"a": np.float64(0.5)}), NUMPY_SCALARS, what="example")
    {'a': np.float64(0.5)}
"""

from __future__ import annotations

import importlib
import io
import pickle
from collections.abc import Iterable
from typing import IO, Any

from nasbench.errors import NasbenchError

Global = tuple[str, str]

#: numpy scalars and dtypes, as written by numpy 1.x (numpy.core) and 2.x (numpy._core)
NUMPY_SCALARS: frozenset[Global] = frozenset({
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("numpy", "dtype"),
})
#: ordered dictionaries, as NATS-Bench writes its records
ORDERED_DICT: frozenset[Global] = frozenset({("collections", "OrderedDict")})
#: how protocol-2 pickles (torch's default) rebuild a bytes object, e.g. a numpy scalar's payload
PROTOCOL2_BYTES: frozenset[Global] = frozenset({("_codecs", "encode")})
#: sets, as protocol-2 pickles name them (Python 2's __builtin__) and as later protocols do
SETS: frozenset[Global] = frozenset({("__builtin__", "set"), ("builtins", "set")})
#: numpy arrays (rebuilt from shape, dtype and raw bytes; object arrays unpickle their items through
#: the same restricted unpickler)
NUMPY_ARRAYS: frozenset[Global] = frozenset({
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
})

# numpy 2 moved numpy.core to numpy._core; resolve old names to the new home without the deprecation shim
_RENAMED = {"numpy.core.multiarray": "numpy._core.multiarray",
            "__builtin__": "builtins"}  # protocol-2 pickles use Python 2's module name


class UnsafePickleError(NasbenchError):
    """A pickle asked for a global outside the allow-list; nothing from it was run."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the allowed ``(module, name)`` globals."""

    def __init__(self, file: IO[bytes], allowed: Iterable[Global], *, what: str) -> None:
        super().__init__(file)
        self._allowed = frozenset(allowed)
        self._what = what

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._allowed:
            allowed = ", ".join(sorted(f"{m}.{n}" for m, n in self._allowed)) or "none"
            raise UnsafePickleError(
                f"refused to unpickle {self._what}: it asks for {module}.{name}, which is not among the "
                f"globals this format needs ({allowed}); nothing from the file was run"
            )
        module = _RENAMED.get(module, module)
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):  # numpy 1.x has no numpy._core
            return getattr(importlib.import_module(module.replace("numpy._core", "numpy.core")), name)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"refused to unpickle {self._what}: it uses persistent ids, which this format does not")


def restricted_load(file: IO[bytes], allowed: Iterable[Global], *, what: str) -> Any:
    """Unpickle from a binary file object allowing only ``allowed`` globals."""
    try:
        return RestrictedUnpickler(file, allowed, what=what).load()
    except NasbenchError:
        raise
    except Exception as exc:  # truncated or malformed streams raise assorted pickle/EOF errors
        raise NasbenchError(f"cannot read {what}: not a valid pickle ({type(exc).__name__}: {exc})") from None


def restricted_loads(data: bytes, allowed: Iterable[Global], *, what: str) -> Any:
    """Unpickle ``data`` allowing only ``allowed`` globals."""
    return restricted_load(io.BytesIO(data), allowed, what=what)
