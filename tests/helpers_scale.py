"""A large study made fast: every run's record copies a real run of its cell (one of TEMPLATES seeds).

The coordinating process sees exactly what it sees in a real study (a full record per finished run,
appended to the study file), without spending the CPU time of the runs. Used by the scale benchmarks:

    python tests/helpers_scale.py OUT SEEDS   # writes OUT/study.jsonl, prints the peak resident memory in MB
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nasbench.study.running as running
from nasbench.study import RunSpec, plan

BENCHMARKS = ("nbgraph-cora", "nbgraph-citeseer")
STRATEGIES = ("rs", "rea", "ga", "ls", "reinforce", "tpe")
EVALS = 300
TEMPLATES = 4
#: the nasbench compare command whose report reads such a study (add --seeds and --out)
COMMAND = ["compare", "--benchmarks", *BENCHMARKS, "--strategies", *STRATEGIES, "--evals", str(EVALS),
           "--jobs", "1", "--no-progress"]


def specs(seeds: int) -> list[RunSpec]:
    return plan(list(BENCHMARKS), list(STRATEGIES), seeds=seeds, max_evals=EVALS)


def synthetic_execute(seeds: int) -> Any:
    """An ``execute`` that returns, for each spec, a real record of its cell relabelled with the spec's seed."""
    templates: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for spec in specs(TEMPLATES):
        templates.setdefault((spec.benchmark, spec.strategy), []).append(running.execute(spec))

    def execute(spec: RunSpec) -> dict[str, Any]:
        template = templates[spec.benchmark, spec.strategy][spec.seed % TEMPLATES]
        return {**template, "spec": asdict(spec), "meta": {**template["meta"], "seed": spec.seed}}

    return execute


def make_study(out: Path, seeds: int) -> Path:
    """Run the synthetic study of ``seeds`` seeds per cell into ``out/study.jsonl`` in this process."""
    running.execute = synthetic_execute(seeds)  # the coordinator calls the module's execute for jobs=1
    path = out / "study.jsonl"
    running.run_grid(specs(seeds), path, jobs=1, progress=False)
    return path


def peak_resident_mb() -> float:
    """This process's peak resident memory: VmHWM, which (unlike ``ru_maxrss``) does not carry over the
    forking parent's peak through ``exec``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    make_study(Path(sys.argv[1]), int(sys.argv[2]))
    print(peak_resident_mb())
