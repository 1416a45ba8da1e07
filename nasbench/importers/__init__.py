"""Importers: one module per published benchmark, converting its files into nasbench tables.

Every pickle is read through :mod:`nasbench.importers.unpickle`, which allows only the globals a
format needs and refuses anything else before it can run.
"""
