"""Standing rules of the codebase, checked by reading the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

SOURCES = sorted((REPO / "nasbench").rglob("*.py")) + sorted((REPO / "strategies").rglob("*.py"))
GLOBAL_RNG = re.compile(r"(^|[^.\w])(np\.random\.(seed|rand|randn|randint|choice|shuffle|permutation|random)\(|"
                        r"random\.(seed|random|choice|randint|shuffle|sample)\(|torch\.manual_seed\()")


def test_randomness_is_passed_in_never_global() -> None:
    offenders = [f"{path.relative_to(REPO)}:{number}" for path in SOURCES
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if GLOBAL_RNG.search(line) and "SeedSequence" not in line]
    assert not offenders, f"global RNG calls: {offenders}"


def test_nasbench_never_imports_strategies() -> None:
    def is_strategy(name: str) -> bool:
        return name == "nasbench.strategies" or name.startswith("nasbench.strategies.")

    offenders = sorted(f"{name} -> {', '.join(sorted(filter(is_strategy, targets)))}"
                       for name, targets in graph().items() if not is_strategy(name) and any(map(is_strategy, targets)))
    assert not offenders, f"nasbench modules importing strategies: {offenders}"


def test_one_file_per_strategy_with_a_cited_reference() -> None:
    from nasbench.strategies.base import REGISTRY

    strategies = [cls for cls in REGISTRY.values() if not cls.variant_of]  # a variant lives in its strategy's file
    files = {cls.__module__ for cls in strategies}
    assert len(files) == len(strategies)  # one module per registered strategy
    assert all(REGISTRY[cls.variant_of].__module__ == cls.__module__ for cls in REGISTRY.values() if cls.variant_of)
    for cls in REGISTRY.values():
        import importlib

        doc = importlib.import_module(cls.__module__).__doc__ or ""
        assert re.search(r"\b(19|20)\d\d\b", doc), f"{cls.__module__} docstring cites no paper/year"


# -- the import graph: every import statement (module-level and inside functions), importlib calls by
# literal name and module-level tuples of module names loaded by name (cli.PLUGINS). ``if TYPE_CHECKING:``
# blocks do not run, so they are not edges; nor is a module started as another process (``python -m``).
# Importing a.b.c is an edge to a.b.c only (not to its parent packages).
Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[0] == "strategies":  # installed as nasbench.strategies (a link in the checkout)
        parts.insert(0, "nasbench")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for root in ("nasbench", "strategies") for p in sorted((REPO / root).rglob("*.py"))}


def imports(path: Path, name: str, known: set[str] | dict[str, Path]) -> set[str]:
    """The project modules that ``path`` (module ``name``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def target(dotted: str) -> str:  # the innermost project module a dotted name lies in
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(target(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else target(base) for a in node.names)
        elif (isinstance(node, ast.Call) and ast.unparse(node.func) in ("importlib.import_module", "import_module")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(target(node.args[0].value))
        for inner in ast.iter_child_nodes(node):
            visit(inner)

    tree = ast.parse(path.read_text(encoding="utf-8"))
    visit(tree)
    for statement in tree.body:  # a module-level tuple of module names, loaded by name (cli.PLUGINS)
        if isinstance(statement, ast.Assign) and isinstance(statement.value, (ast.Tuple, ast.List)):
            names = [e.value for e in statement.value.elts if isinstance(e, ast.Constant)]
            if names and all(isinstance(n, str) and n in known for n in names):
                found.update(str(n) for n in names)
    return found - {"", name}


def graph() -> Graph:
    known = modules()
    return {name: imports(path, name, known) for name, path in known.items()}


def cycles(edges: Graph) -> list[list[str]]:
    """The circles of a graph: its strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return sorted(found)


def test_the_import_graph_has_no_circles() -> None:
    found = cycles(graph())
    assert not found, f"import circles: {found}"


# the layers, bottom first; a module may import its own layer and the layers below it, never above. A
# module belongs to the layer of its first name under nasbench ("nasbench" itself is the package's
# public face). The strategies are on top: nothing of nasbench imports them (they are found by entry point).
LAYERS = (
    ("foundation", ("errors", "version", "draws", "registry", "trace", "table", "manifest", "validate", "pareto",
                    "zero_cost", "cliargs")),
    ("spaces", ("spaces",)),
    ("lookup", ("benchmark", "importers", "protocol", "transfer", "evaluate", "objective")),
    ("training", ("train", "loading")),
    ("search", ("simulate",)),
    ("reports", ("report", "replay")),
    ("studies", ("study", "testing")),
    ("commands", ("cli", "conftest", "nasbench")),
    ("strategies", ("strategies",)),
)


def layer_of(module: str) -> int:
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else parts[0]
    found = [i for i, (_, heads) in enumerate(LAYERS) if head in heads]
    assert len(found) == 1, f"{module} is in {len(found)} layers of LAYERS (add it to one)"
    return found[0]


def test_layers_only_import_downward() -> None:
    upward = sorted(f"{module} ({LAYERS[layer_of(module)][0]}) -> {target} ({LAYERS[layer_of(target)][0]})"
                    for module, targets in graph().items() for target in targets
                    if layer_of(target) > layer_of(module))
    assert not upward, f"imports running up the layers: {upward}"


def test_the_graph_sees_function_level_literal_and_listed_imports(tmp_path: Path) -> None:
    known = {"p", "p.a", "p.b", "p.c", "p.d"}
    source = tmp_path / "a.py"
    source.write_text("from typing import TYPE_CHECKING\nimport importlib\nif TYPE_CHECKING:\n    import p.d\n"
                      "def f():\n    from p import b\n    importlib.import_module('p.c')\n    run(['-m', 'p.d'])\n"
                      "PLUGINS = ('p',)\n")
    assert imports(source, "p.a", known) == {"p.b", "p.c", "p"}
    assert cycles({"x": {"y"}, "y": {"x"}, "z": {"x"}}) == [["x", "y"]]


def test_strategies_train_only_through_the_training_context() -> None:
    reaching = sorted(f"{module} -> {target}" for module, targets in graph().items()
                      if module.startswith("nasbench.strategies") for target in targets
                      if target.startswith("nasbench.train"))
    assert not reaching, f"strategies reaching past TrainingContext into training internals: {reaching}"
