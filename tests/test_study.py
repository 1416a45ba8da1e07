"""The study runner: planning by capability flags, resumable study file, executors, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from nasbench.simulate import run, strategy_registry
from nasbench.study import DEFAULT_LEFT_OUT, STUDY_MAGIC, StudyFile, execute, plan, run_study, summarise

REPO = Path(__file__).resolve().parents[1]


def test_plan_is_the_full_grid_with_seeds_from_zero():
    specs = plan(["nbgraph-cora", "nbgraph-citeseer"], ["rs", "rea"], seeds=3, max_evals=10)
    assert len(specs) == 2 * 2 * 3
    assert sorted({spec.seed for spec in specs}) == [0, 1, 2]
    assert all(spec.checksum and spec.max_evals == 10 for spec in specs)


def test_default_plan_selects_strategies_by_capability_flags():
    registry = strategy_registry()
    specs = plan(["nbgraph-cora"], None, seeds=1, max_evals=5)
    chosen = {spec.strategy for spec in specs}
    for name, cls in registry.items():
        # nbgraph has one fidelity; a strategy that transfers needs prior tasks, which this plan has none of
        unfit = cls.multi_fidelity or cls.trains_live or cls.multi_objective or getattr(cls, "transfers", False)
        assert (name in chosen) == (not unfit and name not in DEFAULT_LEFT_OUT), name


def test_the_default_study_covers_every_shipped_table_and_ranks_over_all_of_them():
    import pandas as pd

    from nasbench.benchmark import DATA_DIR
    from nasbench.manifest import read
    from nasbench.report.sections import MIN_CD_BENCHMARKS
    from nasbench.report.stats import rankable_groups

    specs = plan()
    shipped = set(read(DATA_DIR)["tables"])
    assert {spec.benchmark for spec in specs} == shipped and len(shipped) >= 13
    assert {spec.seed for spec in specs} == set(range(20)) and {spec.max_evals for spec in specs} == {100}
    registry = strategy_registry()
    for name in shipped:  # every fitting strategy on every table, the measured exceptions aside
        chosen = {spec.strategy for spec in specs if spec.benchmark == name}
        multi_fidelity = {s for s in chosen if registry[s].multi_fidelity}
        assert bool(multi_fidelity) == name.startswith(("mlp-", "nb201-")), name
        assert {"rs", "rea", "tpe", "gp-bo"} <= chosen and not chosen & set(DEFAULT_LEFT_OUT), name
    final = pd.DataFrame([(s.benchmark, s.strategy, s.seed, 0.0) for s in specs],
                         columns=["benchmark", "strategy", "seed", "regret"])
    strategies, benchmarks = rankable_groups(final)[0]  # the critical-difference diagram's first group
    assert len(benchmarks) == len(shipped) >= 9 >= MIN_CD_BENCHMARKS and len(strategies) >= 8


def test_named_strategy_that_fits_no_benchmark_is_an_error():
    multi_fidelity = [n for n, cls in strategy_registry().items() if cls.multi_fidelity]
    if not multi_fidelity:
        pytest.skip("no multi-fidelity strategy is registered")
    with pytest.raises(NasbenchError, match="fits none"):
        plan(["nbgraph-cora"], [multi_fidelity[0]], seeds=1, max_evals=5)


@pytest.mark.parametrize("kwargs, message", [
    ({"benchmarks": ["no-such-table"]}, "unknown benchmark 'no-such-table'"),
    ({"strategies": ["rs", "no-such-strategy"]}, "unknown strategy 'no-such-strategy'"),
    ({"seeds": 0}, "seeds"),
    ({"max_evals": -1}, "evaluation budget"),
    ({"workers": 0}, "workers"),
    ({"options": {"rea": {"population_size": -3}}}, "population_size"),
    ({"options": {"rea": {"no_such_option": 1}}}, "option"),
])
def test_bad_input_raises_before_anything_runs(kwargs, message):
    arguments = {"benchmarks": ["nbgraph-cora"], "strategies": ["rs", "rea"], "seeds": 2, "max_evals": 5, **kwargs}
    with pytest.raises(NasbenchError, match=message):
        plan(**arguments)


def test_study_file_holds_what_reproduces_each_run(tmp_path):
    specs = plan(["nbgraph-cora"], ["rea"], seeds=2, max_evals=15, options={"rea": {"population_size": 5}})
    runs = run_study(specs, tmp_path / "study.jsonl", jobs=1, progress=False)
    assert [r.spec for r in runs] == specs
    for study_run in runs:
        meta = study_run.trace.meta
        assert json.loads(meta.options)["population_size"] == 5
        assert meta.checksum == specs[0].checksum and meta.version and meta.seed == study_run.spec.seed
        direct = run("rea", "nbgraph-cora", seed=meta.seed, max_evals=15, population_size=5)
        assert direct.to_frame().equals(study_run.trace.to_frame())
        assert np.all(study_run.valid_regret >= 0) and np.all(np.diff(study_run.valid_regret) <= 0)


def test_rerun_skips_finished_runs_and_extends_the_grid(tmp_path):
    path = tmp_path / "study.jsonl"
    run_study(plan(["nbgraph-cora"], ["rs"], seeds=2, max_evals=10), path, jobs=1, progress=False)
    first = path.read_bytes()
    run_study(plan(["nbgraph-cora"], ["rs"], seeds=2, max_evals=10), path, jobs=1, progress=False)
    assert path.read_bytes() == first  # nothing rerun, nothing appended
    runs = run_study(plan(["nbgraph-cora"], ["rs"], seeds=3, max_evals=10), path, jobs=1, progress=False)
    assert path.read_bytes().startswith(first) and len(runs) == 3
    assert len(path.read_bytes().splitlines()) == 1 + 3


def test_process_pool_gives_the_records_of_one_process(tmp_path):
    specs = plan(["nbgraph-cora"], ["rs", "rea"], seeds=3, max_evals=20)
    run_study(specs, tmp_path / "pool.jsonl", jobs=2, progress=False)
    pooled = StudyFile.read(tmp_path / "pool.jsonl").records
    assert pooled == {spec.key(): execute(spec) for spec in specs}


def test_a_different_budget_on_the_same_file_is_refused(tmp_path):
    path = tmp_path / "study.jsonl"
    run_study(plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=10), path, jobs=1, progress=False)
    with pytest.raises(NasbenchError, match="--evals 10"):
        run_study(plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=20), path, jobs=1, progress=False)


def _small_study(path: Path) -> None:
    run_study(plan(["nbgraph-cora"], ["rs"], seeds=2, max_evals=10), path, jobs=1, progress=False)


def test_corrupted_record_is_a_clear_error(tmp_path):
    path = tmp_path / "study.jsonl"
    _small_study(path)
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"seed":0', b'"seed":7', 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(NasbenchError, match="corrupted: line 2"):
        StudyFile.read(path)


@pytest.mark.parametrize("content", [b"start,end,worker\n1,2,0\n", b"", b"\x89HDF\r\n\x1a\n\x00\x00",
                                     f"{STUDY_MAGIC} 99 {{}}\n".encode(), f"{STUDY_MAGIC} 1 [1,\n".encode()])
def test_foreign_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "study.jsonl"
    path.write_bytes(content)
    with pytest.raises(NasbenchError, match="study"):
        run_study(plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=5), path, jobs=1, progress=False)


def test_a_torn_last_line_is_dropped_and_rerun(tmp_path):
    path = tmp_path / "study.jsonl"
    _small_study(path)
    whole = path.read_bytes()
    path.write_bytes(whole[:-200])  # an interrupt in the middle of writing the last run
    assert len(StudyFile.read(path).records) == 1
    _small_study(path)
    assert path.read_bytes() == whole


def test_missing_study_file_reads_as_a_clear_error(tmp_path):
    with pytest.raises(NasbenchError, match="cannot read study file"):
        StudyFile.read(tmp_path / "absent.jsonl")


def test_bad_executor_arguments(tmp_path):
    specs = plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=5)
    with pytest.raises(NasbenchError, match="executor"):
        run_study(specs, tmp_path / "s.jsonl", executor="slurm")
    with pytest.raises(NasbenchError, match="--executor ray"):
        run_study(specs, tmp_path / "s.jsonl", address="10.0.0.1:6379")
    assert not (tmp_path / "s.jsonl").exists()


def test_the_ray_executor_without_ray_is_one_sentence_before_anything_is_written_or_drawn(
        tmp_path, capsys, monkeypatch):
    from nasbench.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as where it is absent
    out = tmp_path / "report"
    code = main(["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "--seeds", "2", "--evals", "10",
                 "--executor", "ray", "--out", str(out)])  # a progress bar, were one drawn, would go to stderr
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "", captured
    assert captured.err == ('nasbench: error: the ray executor needs Ray, which is not installed: '
                            'pip install "nasbench[ray]"\n')
    assert not out.exists()
    with pytest.raises(NasbenchError, match=r'pip install "nasbench\[ray\]"'):
        run_study(plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=5), tmp_path / "s.jsonl", executor="ray")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("interrupts, target, number", [
    (1, "process", signal.SIGINT), (2, "process", signal.SIGINT), (5, "process", signal.SIGINT),
    (2, "group", signal.SIGINT), (1, "process", signal.SIGTERM), (3, "process", signal.SIGTERM),
    (1, "group", signal.SIGTERM)])
def test_interrupts_exit_promptly_keeping_finished_runs(tmp_path, interrupts, target, number):
    """Ctrl-C (SIGINT) or SIGTERM during a pooled study, once or repeatedly 50 ms apart, to the coordinating
    process or to its whole process group as a terminal or a process manager sends it: exit 130 (143 for
    SIGTERM) within 2 s with one line, finished runs kept intact; the rerun completes them without
    rewriting what was kept."""
    out = tmp_path / "report"
    study = out / "study.jsonl"
    command = [sys.executable, "-m", "nasbench.cli", "compare", "--benchmarks", "nbgraph-cora", "--strategies",
               "rs", "rea", "--seeds", "40", "--evals", "300", "--jobs", "2", "--out", str(out), "--no-progress"]
    # a shell that started us in the background may have left SIGINT ignored, and an ignored SIGINT is
    # inherited: Python then installs no KeyboardInterrupt handler. Restore the default in the child.
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=target == "group",
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if study.exists() and study.read_bytes().count(b"\n") >= 4:  # header + at least 3 runs
            break
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    first = time.monotonic()
    for _ in range(interrupts):
        if target == "group":
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)
        time.sleep(0.05)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL) if target == "group" else process.kill()
        process.communicate()
        pytest.fail(f"still running 30 s after {interrupts} signal(s)")
    elapsed = time.monotonic() - first
    assert process.returncode == (143 if number == signal.SIGTERM else 130), stderr
    assert elapsed < 2.0, f"exit took {elapsed:.2f} s"
    assert stderr.decode().count("\n") == 1 and b"rerun the same command to resume" in stderr, stderr
    kept = StudyFile.read(study)
    assert 3 <= len(kept.records) < 80
    if interrupts != 2 or target != "process":
        return  # one rerun check is enough
    before = study.read_bytes()
    finished = subprocess.run(command, cwd=REPO, capture_output=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    after = StudyFile.read(study)
    assert len(after.records) == 80
    assert study.read_bytes().startswith(before)  # the kept runs were neither rewritten nor rerun
    assert (out / "index.html").exists()


def test_a_worker_that_dies_is_a_clear_error_and_keeps_finished_runs(tmp_path):
    from nasbench.study.executors import _run_local

    specs = plan(["nbgraph-cora"], ["rs"], seeds=4, max_evals=5)
    stored: list[dict] = []
    with pytest.raises(NasbenchError, match="worker process died"):
        _run_local(specs, 2, _die_on_seed_2, stored.append)
    assert {record["spec"]["seed"] for record in stored} <= {0, 1, 3}


def _die_on_seed_2(spec):
    if spec.seed == 2:
        os._exit(3)
    return execute(spec)


def _compare(out: Path, seeds: int = 20) -> list[str]:
    return [sys.executable, "-m", "nasbench.cli", "compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs",
            "--seeds", str(seeds), "--evals", "50", "--jobs", "1", "--no-progress", "--out", str(out)]


def _wait_for_holder(process: subprocess.Popen, lock: Path) -> None:
    """Until ``process`` holds the study lock (its note names its pid), or fail."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if lock.exists() and f'"pid": {process.pid},' in lock.read_text():
            return
        time.sleep(0.02)
    pytest.fail(f"the first compare never held the study lock: {process.communicate()}")


def test_a_second_compare_on_the_same_out_is_refused_naming_the_holder(tmp_path):
    """Two `nasbench compare` on one --out, the second started ~0.3 s after the first took the lock:
    the second exits 2 with one line naming the first (pid, host, start); every run is stored once."""
    import socket

    out = tmp_path / "report"
    first = subprocess.Popen(_compare(out), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_holder(first, out / "study.lock")
    time.sleep(0.3)
    second = subprocess.run(_compare(out), cwd=REPO, capture_output=True, text=True, timeout=120)
    _, first_stderr = first.communicate(timeout=120)
    assert first.returncode == 0, first_stderr
    assert second.returncode == 2, second.stderr
    message = second.stderr.strip()
    assert len(message.splitlines()) == 1 and "in use by process" in message, message
    assert f"process {first.pid} on {socket.gethostname()} since 20" in message, message
    lines = (out / "study.jsonl").read_bytes().splitlines()
    assert len(lines) == 1 + 20 and len(StudyFile.read(out / "study.jsonl").summaries) == 20
    assert (out / "study.lock").read_text() == ""  # released, with no stale note


def test_the_study_lock_goes_with_a_killed_holder(tmp_path):
    out = tmp_path / "report"
    holder = subprocess.Popen(_compare(out, seeds=200), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_holder(holder, out / "study.lock")
    holder.kill()  # SIGKILL: no cleanup ran, the operating system released the lock
    holder.communicate()
    rerun = subprocess.run(_compare(out), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert len(StudyFile.read(out / "study.jsonl").summaries) == 20


def test_the_study_lock_is_held_once_per_process_and_released_on_error(tmp_path):
    from nasbench.study import study_lock

    path = tmp_path / "study.jsonl"
    with pytest.raises(RuntimeError), study_lock(path):
        with study_lock(path):  # the same process again: a no-op, not a refusal
            _small_study(path)  # run_grid takes the lock too
        raise RuntimeError
    with study_lock(path):  # released by the error above
        pass
    code = (f"import sys; from nasbench.study import study_lock\n"
            f"with study_lock({str(path)!r}): sys.stdout.write('held\\n'); sys.stdout.flush(); sys.stdin.read()")
    other = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        with pytest.raises(NasbenchError, match=f"in use by process {other.pid} on "):
            _small_study(path)
    finally:
        other.communicate("")


def test_a_run_stored_twice_is_read_once_as_first_stored(tmp_path):
    path = tmp_path / "study.jsonl"
    _small_study(path)
    study = StudyFile.read(path)
    first = next(study.iter_records())
    later = {**first, "valid_regret": [0.0] * len(first["valid_regret"])}  # the same run key, other content
    study.append(later)
    study.append(first)
    again = StudyFile.read(path)
    assert len(path.read_bytes().splitlines()) == 1 + 4
    assert len(again.summaries) == len(list(again.iter_records())) == len(again.runs()) == 2
    assert next(again.iter_records()) == first and again.records[summarise(first).spec.key()] == first
    kept = again.summaries_of()[0].steps["valid_regret"]
    assert np.array_equal(kept, summarise(first).steps["valid_regret"]) and not np.all(kept == 0)
