"""Search spaces, one module each, registered by name (:mod:`nasbench.spaces.registry`).

A new space is one module here: a :class:`Space` subclass and a factory registered with
``@register_space(name)``; the registry finds the module by itself.
"""

from __future__ import annotations

from nasbench.spaces.base import Arch, Space
from nasbench.spaces.registry import get_space, list_spaces, register_space, space_for_table, trainable_spaces

__all__ = ["Arch", "Space", "get_space", "list_spaces", "register_space", "trainable_spaces", "space_for_table"]
