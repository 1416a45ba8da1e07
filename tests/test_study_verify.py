"""``nasbench verify STUDY [--repair]``: damaged lines are reported, moved aside, and the study resumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.study import StudyFile, plan, run_grid

SEEDS = 6
COMPARE = ["compare", "--benchmarks", "nbgraph-cora", "--strategies", "rs", "--seeds", str(SEEDS), "--evals", "10",
           "--jobs", "1", "--no-progress"]


def _study(tmp_path: Path) -> Path:
    out = tmp_path / "report"
    run_grid(plan(["nbgraph-cora"], ["rs"], seeds=SEEDS, max_evals=10), out / "study.jsonl", jobs=1, progress=False)
    return out


def _flip(path: Path, line_numbers: list[int]) -> list[bytes]:
    """Flip one bit in the middle of each of the given lines (1-based); return the damaged lines."""
    lines = path.read_bytes().splitlines(keepends=True)
    for number in line_numbers:
        line = bytearray(lines[number - 1])
        line[len(line) // 2] ^= 0x01
        lines[number - 1] = bytes(line)
    path.write_bytes(b"".join(lines))
    return [lines[number - 1] for number in line_numbers]


def test_damage_is_reported_moved_aside_and_the_study_resumes(tmp_path, capsys):
    out = _study(tmp_path)
    study = out / "study.jsonl"
    clean = StudyFile.read(study).records
    header, *runs = study.read_bytes().splitlines(keepends=True)
    damaged = _flip(study, [3, 5, 1 + SEEDS])  # two in the middle and the last line
    with pytest.raises(NasbenchError, match="line 3 does not match its checksum; nasbench verify .* --repair"):
        StudyFile.read(study)

    assert main(["verify", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "is damaged (damaged: lines 3, 5 and 7)" in err, err
    assert "holds 3 intact runs" in err and "--repair" in err

    assert main(["verify", str(study), "--repair"]) == 0
    said = capsys.readouterr().out
    assert "repaired: 3 lines moved aside" in said and "3 intact runs kept" in said, said
    [aside] = out.glob("study.damaged-*.jsonl")
    assert aside.read_bytes() == b"".join(damaged) and aside.name in said
    assert study.read_bytes() == header + runs[0] + runs[2] + runs[4]
    assert main(["verify", str(out)]) == 0 and capsys.readouterr().out.endswith(": OK (3 runs)\n")

    assert main([*COMPARE, "--out", str(out)]) == 0  # the same command: only the three missing runs
    assert study.read_bytes().startswith(header + runs[0] + runs[2] + runs[4])
    assert len(study.read_bytes().splitlines()) == 1 + SEEDS
    assert StudyFile.read(study).records == clean


def test_a_damaged_header_cannot_be_repaired_and_nothing_is_written(tmp_path, capsys):
    out = _study(tmp_path)
    study = out / "study.jsonl"
    text = study.read_bytes()
    start = text.index(b"{")
    study.write_bytes(text[:start] + b"[" + text[start + 1:])  # the header's JSON no longer reads
    damaged = study.read_bytes()
    for argv in (["verify", str(out)], ["verify", str(out), "--repair"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "damaged header line, which nothing can rebuild" in err, err
    assert study.read_bytes() == damaged and not list(out.glob("study.damaged-*"))


def test_repeated_and_unfinished_lines_read_as_ok_and_repair_moves_them_aside(tmp_path, capsys):
    out = _study(tmp_path)
    study = out / "study.jsonl"
    whole = study.read_bytes()
    lines = whole.splitlines(keepends=True)
    study.write_bytes(whole + lines[2] + lines[3][:50])  # a run stored twice, then an interrupted write
    assert main(["verify", str(out)]) == 0
    assert capsys.readouterr().out.endswith(
        f"OK ({SEEDS} runs; repeating a stored run: line {SEEDS + 2}; unfinished: line {SEEDS + 3}, "
        "ignored on reading)\n")
    assert main(["verify", str(out), "--repair"]) == 0
    assert "repaired: 2 lines moved aside" in capsys.readouterr().out
    assert study.read_bytes() == whole
    [aside] = out.glob("study.damaged-*.jsonl")
    assert aside.read_bytes() == lines[2] + lines[3][:50]
    assert main(["verify", str(out), "--repair"]) == 0  # a clean study is left untouched
    assert capsys.readouterr().out.endswith(f"OK ({SEEDS} runs)\n") and len(list(out.glob("study.damaged-*"))) == 1


@pytest.mark.parametrize("argv, message", [
    (["verify", "{tmp}/absent/study.jsonl"], "cannot read study file"),
    (["verify", "{tmp}/absent/study.jsonl", "--repair"], "cannot read study file"),
    (["verify", "{tmp}", "--repair"], "--repair mends study files"),
    (["verify", "nbgraph-cora", "--repair"], "--repair mends study files"),
])
def test_bad_verify_input_is_one_sentence_and_creates_nothing(tmp_path, capsys, argv, message):
    assert main([part.format(tmp=tmp_path) for part in argv]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_verify_still_checks_a_table(capsys):
    assert main(["verify", "nbgraph-cora"]) == 0 and ": OK (nbgraph-cora, checksum" in capsys.readouterr().out
