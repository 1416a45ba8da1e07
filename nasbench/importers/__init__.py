"""Importers: one module per published benchmark, converting its files into nasbench tables.

Each module registers an :class:`Importer` (see :mod:`nasbench.importers.registry`); ``nasbench import
KIND PATH --out DIR`` runs the one registered as KIND. Every pickle is read through
:mod:`nasbench.importers.unpickle`, which allows only the globals a format needs and refuses anything
else before it can run.
"""

from nasbench.importers.registry import Importer, ImportOptions, get_importer, importer_registry, register_importer

__all__ = ["ImportOptions", "Importer", "get_importer", "importer_registry", "register_importer"]
