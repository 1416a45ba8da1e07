"""Standing rules of the codebase, checked by reading the source."""

from __future__ import annotations

import re

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
    pattern = re.compile(r"^\s*(from|import)\s+strategies\b", re.MULTILINE)
    offenders = [str(path.relative_to(REPO)) for path in sorted((REPO / "nasbench").rglob("*.py"))
                 if pattern.search(path.read_text())]
    assert not offenders, f"nasbench modules importing strategies: {offenders}"


def test_one_file_per_strategy_with_a_cited_reference() -> None:
    from strategies.base import REGISTRY

    files = {cls.__module__ for cls in REGISTRY.values()}
    assert len(files) == len(REGISTRY)  # one module per registered strategy
    for cls in REGISTRY.values():
        import importlib

        doc = importlib.import_module(cls.__module__).__doc__ or ""
        assert re.search(r"\b(19|20)\d\d\b", doc), f"{cls.__module__} docstring cites no paper/year"
