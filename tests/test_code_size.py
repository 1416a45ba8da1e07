"""Functions stay small enough to read, and their parameter lists short enough to call (issue #23).

Every ``.py`` file under ``nasbench/`` and ``strategies/`` is parsed (``nasbench/strategies`` is a link to
``strategies/``; each file is read once). A function's length is ``end_lineno - lineno + 1`` of its
``def`` (decorators excluded, docstring included); a nested function counts inside its parent and on its
own. Its parameters are the named ones, ``self``/``cls`` and ``*args``/``**kwargs`` not counted.

The rules:

* no function is over :data:`MAX_LINES` lines;
* no function takes over :data:`MAX_PARAMETERS` parameters: a longer list is a dataclass (``TableContents``,
  ``BuildRequest``, ``EnsembleConfig``), which names the group, validates it once and is passed whole.

One exception, decided by what a function is, never by a list of names: where at most
:data:`MAX_POSITIONAL` parameters are positional and all the others keyword-only, a function may take more
if it is

* the constructor of a strategy (a class in the method resolution order of a registered strategy): the
  README documents a strategy's keyword-only constructor arguments as its options, which are its
  ``config()``, the CLI's ``--option KEY=VALUE`` and a study's grid, so they stay flat; or
* a public entry point exported in ``nasbench.__all__`` (``nasbench.run``, a class's constructor): users
  call it by keyword, and a keyword-only API with defaults reads better than a configuration object.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from conftest import REPO

MAX_LINES = 60
MAX_PARAMETERS = 8
MAX_POSITIONAL = 3


def _sources() -> list[Path]:
    seen: dict[Path, Path] = {}
    for folder in ("nasbench", "strategies"):
        for path in sorted((REPO / folder).rglob("*.py")):
            seen.setdefault(path.resolve(), path)  # a file reached through the link is the same file
    return sorted(seen.values())


def _module_of(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    if parts[0] == "strategies":  # installed as nasbench.strategies
        parts = ("nasbench", *parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function with its qualified name (``Class.method``, ``outer.<locals>.inner``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], list[str]]:
    """The positional and the keyword-only parameter names, ``self``/``cls`` left out."""
    arguments = function.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args]
    if positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    return positional, [a.arg for a in arguments.kwonlyargs]


def _keyword_apis() -> set[tuple[str, str]]:
    """(module, qualified name) of strategy constructors and of the entry points in ``nasbench.__all__``."""
    import nasbench

    classes = {base for cls in nasbench.strategy_registry().values() for base in cls.__mro__ if base is not object}
    for name in nasbench.__all__:
        value = getattr(nasbench, name)
        if isinstance(value, type):
            classes.add(value)
    apis = {(cls.__module__, f"{cls.__qualname__}.__init__") for cls in classes}
    for name in nasbench.__all__:
        value = getattr(nasbench, name)
        if callable(value) and not isinstance(value, type):
            apis.add((value.__module__, value.__qualname__))
    return apis


def _measured() -> Iterator[tuple[str, str, str, int, list[str], list[str]]]:
    """(where, module, qualified name, lines, positional, keyword-only) of every function."""
    for path in _sources():
        module = _module_of(path)
        for name, function in _functions(ast.parse(path.read_text(), str(path))):
            lines = (function.end_lineno or function.lineno) - function.lineno + 1
            where = f"{path.relative_to(REPO)}:{function.lineno} {name}"
            yield (where, module, name, lines, *_parameters(function))


def test_no_function_is_over_60_lines() -> None:
    offenders = [f"{where} ({lines} lines)" for where, _, _, lines, _, _ in _measured() if lines > MAX_LINES]
    assert not offenders, f"functions over {MAX_LINES} lines: {offenders}"


def test_no_function_takes_over_8_parameters_without_a_dataclass() -> None:
    apis = _keyword_apis()
    offenders = []
    for where, module, name, _, positional, keyword_only in _measured():
        if len(positional) + len(keyword_only) <= MAX_PARAMETERS:
            continue
        if len(positional) <= MAX_POSITIONAL and (module, name) in apis:
            continue  # a keyword-only API: a strategy's options, or a public entry point
        offenders.append(f"{where} ({len(positional)} positional, {len(keyword_only)} keyword-only)")
    assert not offenders, f"functions over {MAX_PARAMETERS} parameters (take a dataclass): {offenders}"


def test_the_exception_covers_what_it_says_and_nothing_else() -> None:
    apis = _keyword_apis()
    assert ("nasbench.simulate", "run") in apis  # nasbench.run
    assert ("nasbench.strategies.bohb", "Bohb.__init__") in apis  # a strategy's options
    assert ("nasbench.table", "write_table") not in apis
    assert ("nasbench.strategies._models", "train_mlp_ensemble") not in apis
