"""Builder and live fallback: resumable chunked builds, atomic appends under kill -9, the file lock,
live training on a miss, and the errors bad input gets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nasbench  # noqa: E402
from nasbench.errors import MissingEntryError, NasbenchError  # noqa: E402
from nasbench.table import Table, verify_file  # noqa: E402
from nasbench.train.builder import BuildRequest, build  # noqa: E402
from nasbench.train.live import is_live  # noqa: E402
from nasbench.train.schedule import Schedule  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY = Schedule(epochs=2, train_examples=100, batch_size=50)
ARCHS = ["layers=1,width=16,act=relu,dropout=0,lr=0.01", "layers=1,width=16,act=tanh,dropout=0,lr=0.01",
         "layers=1,width=32,act=relu,dropout=0,lr=0.01", "layers=2,width=16,act=relu,dropout=0,lr=0.01",
         "layers=1,width=16,act=sigmoid,dropout=0,lr=0.03", "layers=1,width=64,act=relu,dropout=0.2,lr=0.01"]


def _arch_file(folder: Path, archs: list[str]) -> Path:
    path = folder / "archs.txt"
    path.write_text("# a comment line\n" + "\n".join(archs) + "\n\n")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nasbench.cli", "build", "mlp", "--dataset", "mnist1d", "--epochs", "2",
            "--train-examples", "100", "--batch-size", "50", "--workers", "1", *args]


def _run(command: list[str], **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def _trained(path: Path) -> np.ndarray:
    return ~np.isnan(Table.open(path, verify="full").metric("valid_accuracy")[:, :, -1])


def test_build_records_curves_and_provenance_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "mlp-toy.h5"
    archs = _arch_file(tmp_path, ARCHS[:2])
    summary = build(BuildRequest("mlp", dataset="mnist1d", seeds=[0, 1], epochs=2, out=out, archs_file=archs, workers=1,
                                 chunk=3, schedule=TINY, command="test build", progress=False))
    assert (summary.trained, summary.remaining, summary.table_missing) == (4, 0, 720 * 2 - 4)
    table = verify_file(out)
    assert table.space == "mlp" and table.n_archs == 720 and table.fidelities.tolist() == [1.0, 2.0]
    assert table.search_metric == "valid_accuracy" and table.test_metric == "test_accuracy"
    assert table.cost_metric == "train_time" and "measured" in table.cost_model
    assert table.extra["partial"] is True and table.extra["n_trained"] == 4
    assert table.extra["split_hash"] == "bc2ded1f6b1cfaa55b9eaedf7456b9c6ef873c47b203c96afc5123e56a1db101"
    assert table.extra["builds"][-1]["command"] == "test build" and table.extra["builds"][-1]["machine"]
    assert "ONE cosine schedule" in table.extra["fidelity_note"]
    accuracy = table.metric("valid_accuracy")
    assert np.isnan(accuracy[5]).all()  # untrained rows stay missing, never imputed
    rows = [nasbench.load(out).row(a) for a in ARCHS[:2]]
    assert np.isfinite(accuracy[rows]).all() and np.isfinite(table.metric("train_time")[rows]).all()
    # running it again trains nothing; adding a seed widens the table and trains only that seed
    again = build(BuildRequest("mlp", dataset="mnist1d", seeds=[0, 1], epochs=2, out=out, archs_file=archs, workers=1,
                               schedule=TINY, progress=False))
    assert again.trained == 0
    more = build(BuildRequest("mlp", dataset="mnist1d", seeds=[2], epochs=2, out=out, archs_file=archs, workers=1,
                              schedule=TINY, progress=False))
    assert more.trained == 2 and Table.open(out).seeds.tolist() == [0, 1, 2]


def test_kill_9_loses_at_most_the_chunk_in_flight(tmp_path: Path) -> None:
    out = tmp_path / "killed.h5"
    archs = _arch_file(tmp_path, ARCHS)
    process = _run(_cli("--seeds", "0", "--archs", str(archs), "--chunk", "1", "--out", str(out)))
    deadline = time.time() + 240
    while time.time() < deadline:  # wait for the first appended chunk, then kill mid-build
        if out.exists() and _trained(out).sum() >= 1:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    stored = _trained(out)  # verify_file inside: the table is whole
    assert 1 <= stored.sum() < len(ARCHS)
    summary = build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=out, archs_file=archs, workers=1,
                                 schedule=TINY, progress=False))
    assert summary.trained == len(ARCHS) - stored.sum() and summary.remaining == 0


def test_two_builders_on_one_table_neither_lose_nor_duplicate(tmp_path: Path) -> None:
    out = tmp_path / "shared.h5"
    archs = _arch_file(tmp_path, ARCHS[:4])
    processes = [_run(_cli("--seeds", "0,1", "--archs", str(archs), "--chunk", "1", "--out", str(out)))
                 for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    counts = [int(text.split("trained ")[1].split(" ")[0]) for text, _ in outputs]
    assert sum(counts) == 8  # every entry stored exactly once, by whichever builder finished it first
    table = verify_file(out)
    assert table.extra["n_trained"] == 8 and _trained(out).sum() == 8


def test_live_fallback_trains_stores_and_marks_a_missing_entry(tmp_path: Path) -> None:
    out = tmp_path / "live.h5"
    build(BuildRequest("mlp", dataset="mnist1d", seeds=[0, 1], epochs=2, out=out,
                       archs_file=_arch_file(tmp_path, ARCHS[:1]), workers=1, schedule=TINY, progress=False))
    strict = nasbench.load(out)
    with pytest.raises(MissingEntryError, match="layers=1,width=32"):
        strict.query(ARCHS[2], "valid_accuracy", seed=0)
    bench = nasbench.load(out, on_miss="train")
    value = bench.query(ARCHS[2], "valid_accuracy", seed=1, fidelity=1)
    row = bench.row(ARCHS[2])
    assert 0.0 <= value <= 1.0 and is_live(bench, row, 1) and not is_live(bench, row, 0)
    assert not is_live(bench, bench.row(ARCHS[0]), 0)
    # the value is stored, so a fresh strict benchmark reads it
    assert nasbench.load(out).query(ARCHS[2], "valid_accuracy", seed=1, fidelity=1) == value
    # seed=None on a missing row trains the table's first seed
    mean = bench.query(ARCHS[3], "test_accuracy")
    assert is_live(bench, bench.row(ARCHS[3]), 0)
    assert np.isnan(bench.table.metric("test_accuracy")[bench.row(ARCHS[3]), 1, -1])
    assert mean == bench.query(ARCHS[3], "test_accuracy", seed=0)
    assert verify_file(out).extra["n_live"] == 2
    with pytest.raises(NasbenchError, match="no fidelity 5"):
        bench.query(ARCHS[4], "valid_accuracy", fidelity=5)


def test_two_live_fallbacks_store_one_entry(tmp_path: Path) -> None:
    out = tmp_path / "live2.h5"
    build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=out,
                       archs_file=_arch_file(tmp_path, ARCHS[:1]), workers=1, schedule=TINY, progress=False))
    script = ("import nasbench, sys; b = nasbench.load(sys.argv[1], on_miss='train'); "
              f"print(b.query({ARCHS[5]!r}, 'valid_accuracy', seed=0))")
    processes = [_run([sys.executable, "-c", script, str(out)]) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    values = {float(text.strip()) for text, _ in outputs}
    assert len(values) == 1  # the second reads what the first stored (training is deterministic anyway)
    assert verify_file(out).extra["n_trained"] == 2


def test_bad_input_gets_one_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "bad.h5"
    bad = tmp_path / "bad.txt"
    bad.write_text(ARCHS[0] + "\nlayers=9,width=16,act=relu,dropout=0,lr=0.01\n")
    with pytest.raises(NasbenchError, match=r"bad.txt, line 2: malformed mlp configuration"):
        build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=out, archs_file=bad, workers=1,
                           schedule=TINY))
    build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=2, out=out,
                       archs_file=_arch_file(tmp_path, ARCHS[:1]), workers=1, schedule=TINY, progress=False))
    with pytest.raises(NasbenchError, match="holds the mlp space, not nb201-unique"):
        build(BuildRequest("nb201", dataset="mnist1d", seeds=[0], epochs=2, out=out, workers=1, schedule=TINY))
    with pytest.raises(NasbenchError, match="2-epoch schedule, so --epochs 3"):
        build(BuildRequest("mlp", dataset="mnist1d", seeds=[0], epochs=3, out=out, workers=1,
                           schedule=Schedule(epochs=3, train_examples=100, batch_size=50)))
    with pytest.raises(NasbenchError, match="unknown dataset 'cifar10'"):
        build(BuildRequest("mlp", dataset="cifar10", seeds=[0], epochs=2, out=out, workers=1, schedule=TINY))
    with pytest.raises(NasbenchError, match="cannot train the space 'nbgraph'"):
        build(BuildRequest("nbgraph", dataset="mnist1d", seeds=[0], epochs=2, out=out, workers=1, schedule=TINY))
    process = _run(_cli("--seeds", "0", "--device", "cuda", "--out", str(tmp_path / "cuda.h5")))
    stdout, stderr = process.communicate(timeout=300)
    if not torch.cuda.is_available():
        assert process.returncode != 0 and "no CUDA device" in stderr and "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1


def test_cli_schedule_options_reach_the_table(tmp_path: Path) -> None:
    from nasbench.cli import main

    out = tmp_path / "nb201-toy.h5"
    cell = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    archs = _arch_file(tmp_path, [cell])
    assert main(["build", "nb201", "--epochs", "1", "--channels", "2", "--batch-size", "50", "--train-examples", "100",
                 "--learning-rate", "0.05", "--precise-bn", "--clock", "process", "--archs", str(archs),
                 "--workers", "1",
                 "--out", str(out)]) == 0
    table = Table.open(out)
    assert table.extra["schedule"]["learning_rate"] == 0.05 and table.extra["schedule"]["precise_bn"] is True
    assert "precise BN" in table.extra["schedule_description"]["batch_norm_statistics"]
    assert table.extra["schedule"]["clock"] == "process" and "CPU seconds" in table.cost_model
    assert "--learning-rate 0.05" in table.extra["builds"][-1]["command"]
    assert table.extra["builds"][-1]["command"].endswith("--precise-bn")
