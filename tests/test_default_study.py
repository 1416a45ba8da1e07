"""The write-ups state the default study's size as ``nasbench compare`` plans it (README item 11:
they said 2,400 runs where the command plans more)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO

from nasbench.cli import main
from nasbench.study import comparison, planning


class _Planned(Exception):
    pass


@pytest.fixture(scope="module")
def default_plan() -> list[planning.RunSpec]:
    """The specs of ``nasbench compare`` with no arguments, as its handler plans them (nothing runs)."""
    planned: list[planning.RunSpec] = []
    real = comparison.plan

    def record(*args, **kwargs):
        planned.extend(real(*args, **kwargs))
        raise _Planned

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(comparison, "plan", record)  # as the command's comparison calls it
        with pytest.raises(_Planned):
            main(["compare", "--no-progress"])
    return planned


def _stated(path: Path) -> list[tuple[int, int, int]]:
    """Every ``x N seeds x M evaluations: K runs`` of a write-up, as (seeds, evaluations, runs)."""
    text = " ".join(path.read_text().split())
    return [tuple(int(n.replace(",", "")) for n in found)
            for found in re.findall(r"x ([\d,]+) seeds x ([\d,]+) evaluations: ([\d,]+) runs", text)]


@pytest.mark.parametrize("write_up", ["README.md", "reports/default/README.md"])
def test_the_stated_default_study_is_the_planned_one(default_plan: list[planning.RunSpec], write_up: str) -> None:
    seeds = len({spec.seed for spec in default_plan})
    evals = {spec.max_evals for spec in default_plan}
    assert seeds == planning.DEFAULT_SEEDS and evals == {planning.DEFAULT_EVALS}
    stated = _stated(REPO / write_up)
    assert stated, f"{write_up} no longer states the default study as 'x N seeds x M evaluations: K runs'"
    assert set(stated) == {(seeds, planning.DEFAULT_EVALS, len(default_plan))}, \
        f"{write_up} states {stated}; nasbench compare plans {len(default_plan):,} runs"


def test_the_readme_table_times_the_planned_study(default_plan: list[planning.RunSpec]) -> None:
    text = " ".join((REPO / "README.md").read_text().split())
    found = re.findall(r"`nasbench compare` with no arguments \(([\d,]+) runs", text)
    stated = [int(n.replace(",", "")) for n in found]
    assert stated == [len(default_plan)], f"README states {stated}; nasbench compare plans {len(default_plan):,} runs"
