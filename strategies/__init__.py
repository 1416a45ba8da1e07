"""Search strategies, one file each, registered by name.

The registry (:data:`~nasbench.strategies.base.REGISTRY`, a :class:`nasbench.registry.Registry`)
imports every public module of this package (not ``_*.py`` helpers) when it is first read, so a new
strategy file registers itself by being there; a named variant of a strategy (``darts-2nd``) is a
registration in its strategy's file. ``registry()`` is the ``nasbench.strategies`` entry point through
which ``nasbench.run`` and the CLI find them (nasbench itself never imports this package).
"""

from __future__ import annotations

if __name__ != "nasbench.strategies":
    # one name only: a second import under "strategies" would register every strategy a second time
    raise ImportError(f"import the strategies as nasbench.strategies, not as {__name__}")

import pkgutil

from nasbench.strategies.base import REGISTRY, Strategy, register

#: the modules holding strategies
MODULES = tuple(info.name for info in pkgutil.iter_modules(__path__)
                if not info.name.startswith("_") and info.name != "base")


def registry() -> dict[str, type[Strategy]]:
    """Every registered strategy by name."""
    return dict(REGISTRY)


__all__ = ["MODULES", "REGISTRY", "Strategy", "register", "registry"]
