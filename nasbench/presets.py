"""Named studies: a grid (benchmarks, strategies with their options, seeds, budget) and the report
sections that read it. Data only; ``nasbench compare --preset NAME`` runs one through the study
driver, and ``--benchmarks``, ``--seeds`` and the budget flags override the preset's.

Example:
    >>> PRESETS["faithfulness"].max_evals
    300
    >>> [entry.label() for entry in PRESETS["equal-time"].entries][:5]
    ['rs', 'sh', 'hyperband', 'bohb', 'bohb preset=nb201']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: the report of ``nasbench compare`` without a preset (names in :data:`nasbench.report.sections.SECTIONS`)
DEFAULT_SECTIONS = ("anytime-time", "anytime-evaluations", "ranks", "final", "aggregate", "faithfulness",
                    "critical-difference", "ecdf", "performance-profile")


@dataclass(frozen=True)
class Entry:
    """A strategy with keyword options as given to it (its defaults for the rest)."""

    strategy: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """The strategy's name followed by its options as ``key=value``."""
        return " ".join([self.strategy, *(f"{key}={value}" for key, value in sorted(self.options.items()))])


@dataclass(frozen=True)
class Preset:
    """A named study. The budget is ``max_evals`` evaluations or ``time_units`` simulated time in units
    of each table's median cost of one full training; ``time_budgets`` and ``area`` (in the same
    units) are where the ``equal-time`` section reads the curves."""

    name: str
    description: str
    benchmarks: tuple[str, ...]
    entries: tuple[Entry, ...]
    seeds: int
    max_evals: int | None = None
    time_units: float | None = None
    sections: tuple[str, ...] = DEFAULT_SECTIONS
    time_budgets: tuple[float, ...] = ()
    area: tuple[float, float] | None = None


PRESETS: dict[str, Preset] = {preset.name: preset for preset in (
    Preset(
        name="faithfulness",
        description="final validation regret of the model-free and model-based strategies against random search, "
                    "50 seeds x 300 evaluations on the NAS-Bench-Graph tables",
        benchmarks=("nbgraph-cora", "nbgraph-citeseer"),
        entries=tuple(Entry(name) for name in ("rs", "rea", "ga", "ls", "reinforce", "tpe", "gp-bo", "bananas")),
        seeds=50, max_evals=300,
    ),
    Preset(
        name="equal-time",
        description="multi-fidelity strategies against random search at equal simulated time on a learning-curve "
                    "table; restart and resume variants",
        benchmarks=("mlp-mnist1d",),
        entries=(Entry("rs"), Entry("sh"), Entry("hyperband"), Entry("bohb"), Entry("bohb", {"preset": "nb201"}),
                 Entry("asha"), Entry("hyperband", {"resume": True}), Entry("bohb", {"resume": True}),
                 Entry("bohb", {"preset": "nb201", "resume": True})),
        seeds=100, time_units=300,
        sections=("equal-time", *DEFAULT_SECTIONS),
        time_budgets=(10, 20, 30, 50, 100, 200, 300), area=(10, 100),
    ),
)}
