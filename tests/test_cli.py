"""The command line: answers offline, and every error is one sentence on stderr with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nasbench.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_info_json_answers() -> None:
    done = _cli("info", "nbgraph-cora", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["n_archs"] == 26206 and info["metrics"]["test_accuracy"]["split"] == "test"


def test_list_query_export_verify(tmp_path: Path) -> None:
    assert "nbgraph-proteins" in _cli("list").stdout
    done = _cli("query", "nbgraph-cora", "0,1,1,2|gcn,gin,fc,cheb", "--metric", "test_accuracy", "--json")
    assert json.loads(done.stdout)["values"]["test_accuracy"] == pytest.approx(0.7916666)
    out = tmp_path / "cora.csv"
    assert _cli("export", "nbgraph-proteins", "--out", str(out)).returncode == 0
    assert out.read_text().splitlines()[0] == "arch,seed,fidelity,latency,params,test_roc_auc,valid_roc_auc"
    assert "OK" in _cli("verify", "nbgraph-cora").stdout


@pytest.mark.parametrize("args, message", [
    (("info", "nbgraph-corra"), "unknown benchmark 'nbgraph-corra'; known benchmarks: "),
    (("query", "nbgraph-cora", "gcn,gcn"), "expected l0,l1,l2,l3|op0,op1,op2,op3"),
    (("query", "nbgraph-cora", "0,0,0,0|skip,skip,skip,skip"), "outside the nbgraph space"),
    (("query", "nbgraph-cora", "3", "--metric", "accuracy"), "no metric 'accuracy'; known metrics"),
    (("query", "nbgraph-cora", "3", "--fidelity", "7"), "no fidelity 7"),
    (("query", "nbgraph-cora", "3", "--seed", "4"), "no seed 4; seed is None (the mean over seeds) or one of -1"),
    (("verify", "missing.h5"), "no table file at 'missing.h5'"),
    (("run", "nope", "nbgraph-cora", "--seed", "0", "--evals", "5"), "unknown strategy 'nope'; known strategies:"),
    (("run", "rea", "nbgraph-cora", "--seed", "0", "--evals", "0"), "max_evals must be a positive integer"),
    (("run", "rea", "nbgraph-cora", "--seed", "0", "--evals", "5", "--workers", "0"),
     "workers must be an integer >= 1"),
    (("run", "rea", "nbgraph-cora", "--seed", "0", "--evals", "5", "--option", "sample_size=0"),
     "option sample_size must be an integer >= 1"),
])
def test_errors_are_one_sentence_without_traceback(args: tuple[str, ...], message: str) -> None:
    done = _cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    if args[0] == "info":
        assert "nbgraph-arxiv, nbgraph-citeseer" in done.stderr  # the known names are listed
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_corrupted_table_is_named_by_verify_and_refused_by_query(cora_copy: Path) -> None:
    data = bytearray(cora_copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cora_copy.write_bytes(bytes(data))
    for args in (("verify", str(cora_copy)), ("query", str(cora_copy), "3")):
        done = _cli(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert str(cora_copy) in done.stderr and "verification" in done.stderr


def test_run_writes_byte_identical_traces(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        assert _cli("run", "rea", "nbgraph-citeseer", "--seed", "3", "--evals", "50", "--workers", "2",
                    "--out", str(tmp_path / name)).returncode == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.mark.parametrize("out, reason", [
    ("missing_dir/x.csv", "the directory 'missing_dir' does not exist"),
    (".", "it is a directory"),
    ("/proc/x.csv", "No such file or directory"),
])
def test_export_says_why_it_cannot_write(tmp_path: Path, out: str, reason: str) -> None:
    done = _cli("export", "nbgraph-proteins", "--out", out, cwd=tmp_path)
    assert done.returncode == 2 and reason in done.stderr and "None" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_export_over_an_existing_file_replaces_it_whole(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    out.write_text("old\n")
    assert _cli("export", "nbgraph-proteins", "--out", str(out)).returncode == 0
    assert len(out.read_text().splitlines()) == 2021 + 1 and [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_info_shows_the_architecture_format_and_completeness(tmp_path: Path) -> None:
    text = _cli("info", "nbgraph-cora").stdout
    assert "architecture strings: l0,l1,l2,l3|op0,op1,op2,op3" in text and "row 0 is 0,0,0,0|" in text
    assert "complete: 26206 of 26206 rows (0 partial), 26206 of 26206 entries" in text
    info = json.loads(_cli("info", "mlp-mnist1d", "--json").stdout)
    assert info["example_arch"] == "layers=1,width=16,act=relu,dropout=0,lr=0.001"
    assert info["completeness"] == {"metric": "valid_accuracy", "rows": 720, "rows_complete": 720, "rows_partial": 0,
                                    "entries_present": 21600, "entries": 21600}


def test_info_counts_the_entries_of_a_partial_table(tmp_path: Path) -> None:
    from nasbench.benchmark import load
    from nasbench.cli import completeness
    from nasbench.table import Table, TableContents, write_table

    source = load("mlp-mnist1d").table
    metrics = {name: (np.array(source.metric(name)), info) for name, info in source.metrics.items()}
    for values, _ in metrics.values():
        values[5:, 1:, :] = np.nan  # rows 5.. keep seed 0 only
        values[700:] = np.nan  # rows 700.. hold nothing
    path = tmp_path / "partial.h5"
    write_table(path, TableContents(
        name="partial", space=source.space, archs=source.archs.tolist(), codes=source.codes,
        seeds=source.seeds.tolist(), fidelities=source.fidelities.tolist(), fidelity_unit=source.fidelity_unit,
        metrics=metrics, source="test", licence="CC0-1.0", version="1",
        search_metric=source.search_metric, test_metric=source.test_metric))
    done = completeness(load(path))
    assert (done["rows_complete"], done["rows_partial"], done["entries_present"]) == (5, 695, 5 * 30 + 695 * 10)
    assert Table.open(path).n_archs == 720
    assert "complete: 5 of 720 rows (695 partial), 7100 of 21600 entries" in _cli("info", str(path)).stdout
