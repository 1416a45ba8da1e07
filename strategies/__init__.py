"""Search strategies, one file each, registered by name.

``registry()`` is the ``nasbench.strategies`` entry point through which ``nasbench.run`` and the CLI
find them (nasbench itself never imports this package).
"""

from __future__ import annotations

from strategies import (  # noqa: F401  (registration)
    asha,
    bananas,
    bohb,
    genetic,
    gp_bo,
    hyperband,
    local_search,
    random_search,
    regularized_evolution,
    reinforce,
    successive_halving,
    tpe,
)
from strategies.base import REGISTRY, Strategy, register


def registry() -> dict[str, type[Strategy]]:
    """Every registered strategy by name."""
    return dict(REGISTRY)


__all__ = ["REGISTRY", "Strategy", "register", "registry"]
