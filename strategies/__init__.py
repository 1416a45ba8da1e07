"""Search strategies, one file each, registered by name.

Every public module of this package (not ``_*.py`` helpers, not ``base``) is imported here, so a
new strategy file registers itself by being there. ``registry()`` is the ``nasbench.strategies``
entry point through which ``nasbench.run`` and the CLI find them (nasbench itself never imports
this package).
"""

from __future__ import annotations

if __name__ != "nasbench.strategies":
    # one name only: a second import under "strategies" would register every strategy a second time
    raise ImportError(f"import the strategies as nasbench.strategies, not as {__name__}")

import importlib
import pkgutil

from nasbench.strategies.base import REGISTRY, Strategy, register

#: the modules holding strategies, in import order
MODULES = tuple(info.name for info in pkgutil.iter_modules(__path__)
                if not info.name.startswith("_") and info.name != "base")
for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")


def registry() -> dict[str, type[Strategy]]:
    """Every registered strategy by name."""
    return dict(REGISTRY)


__all__ = ["MODULES", "REGISTRY", "Strategy", "register", "registry"]
