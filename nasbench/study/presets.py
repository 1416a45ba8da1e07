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

from nasbench.report import DEFAULT_SECTIONS


@dataclass(frozen=True)
class Entry:
    """A strategy with keyword options as given to it (its defaults for the rest)."""

    strategy: str
    options: Mapping[str, Any] = field(default_factory=dict)
    shuffled: bool = False  # negative control of a transfer study: priors with their rows permuted

    def label(self) -> str:
        """The strategy's name followed by its options as ``key=value``."""
        words = [self.strategy, *(f"{key}={value}" for key, value in sorted(self.options.items()))]
        return " ".join(words + ["(shuffled priors)"] * self.shuffled)


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
    leave_one_out: bool = False  # each benchmark's priors are the others (nasbench.study.planning.plan)


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
                 Entry("bohb", {"preset": "nb201", "resume": True}), Entry("asha", {"resume": True}),
                 Entry("asha-tpe")),
        seeds=100, time_units=300,
        sections=("equal-time", *DEFAULT_SECTIONS),
        time_budgets=(10, 20, 30, 50, 100, 200, 300), area=(10, 100),
    ),
    Preset(
        name="transfer",
        description="transfer strategies against the same strategies cold, leave-one-task-out over the "
                    "NAS-Bench-Graph tables (each target's priors are the others), with shuffled-priors controls",
        benchmarks=("nbgraph-*",),
        entries=(Entry("rs"), Entry("zeroshot"), Entry("zeroshot", shuffled=True), Entry("box"),
                 Entry("rea"), Entry("rea", {"warm_start": 10}), Entry("rea", {"warm_start": 10}, shuffled=True),
                 Entry("ls"), Entry("ls", {"warm_start": 10}), Entry("tpe"), Entry("tpe", {"warm_start": 10}),
                 Entry("bananas"), Entry("bananas", {"warm_start": 10})),
        seeds=10, max_evals=100, leave_one_out=True,
        sections=("transfer", "transfer-valid", "transfer-curves", "anytime-evaluations", "final"),
    ),
    Preset(
        name="transfer-gp",
        description="the Gaussian-process strategies of the transfer study (RGPE, gp-bo warm-started and cold), "
                    "leave-one-task-out over the NAS-Bench-Graph tables; fewer seeds, as each run refits GPs",
        benchmarks=("nbgraph-*",),
        entries=(Entry("gp-bo"), Entry("gp-bo", {"warm_start": 10}), Entry("rgpe")),
        seeds=3, max_evals=50, leave_one_out=True,
        sections=("transfer", "transfer-valid", "transfer-curves", "anytime-evaluations", "final"),
    ),
)}
