"""Replays: recording leaves the run unchanged, strategies describe their decisions, the page steps in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from nasbench.benchmark import load
from nasbench.cli import main
from nasbench.errors import NasbenchError
from nasbench.replay import from_trace, record
from nasbench.replay.page import render
from nasbench.simulate import run

# (strategy, table, evaluations): the three searches a lecture shows
SEARCHES = [("rea", "nbgraph-cora", 30), ("hyperband", "nb201-mnist1d", 40), ("gp-bo", "nbgraph-cora", 16)]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("strategy, table, evals", SEARCHES + [("tpe", "nbgraph-cora", 25),
                                                                ("asha", "nb201-mnist1d", 30),
                                                                ("bananas", "nbgraph-cora", 20)])
def test_recording_leaves_the_trace_unchanged(strategy: str, table: str, evals: int) -> None:
    replay = record(strategy, table, seed=3, max_evals=evals)
    plain = run(strategy, table, seed=3, max_evals=evals)
    for name, column in plain.columns.items():
        np.testing.assert_array_equal(replay.trace.columns[name], column, err_msg=name)
    assert len(replay.steps) == evals
    assert [step["job"]["row"] for step in replay.steps] == plain.columns["row"].tolist()


def test_rea_describes_population_tournament_and_parent() -> None:
    steps = record("rea", "nbgraph-cora", seed=0, max_evals=20).steps
    assert steps[0]["phase"] == "initial uniform sample"
    late = steps[-1]
    assert len(late["marks"]["population"]) == 10 and len(late["marks"]["tournament"]) == 3
    assert late["marks"]["parent"][0] in late["marks"]["tournament"]
    assert late["parent_score"] == max(late["tournament_scores"])


def test_hyperband_describes_brackets_and_promotions() -> None:
    steps = record("hyperband", "nb201-mnist1d", seed=0, max_evals=40).steps
    promoted = [s for s in steps if any(label.startswith("promoted") for label in s["marks"])]
    assert promoted, "no promotion among 40 Hyperband jobs"
    step = promoted[0]
    label = next(label for label in step["marks"] if label.startswith("promoted"))
    assert step["job"]["row"] in step["marks"][label]
    assert step["configurations per rung"][0] > step["configurations per rung"][1]


def test_gp_bo_describes_its_acquisition() -> None:
    steps = record("gp-bo", "nbgraph-cora", seed=0, max_evals=13).steps
    assert steps[0]["phase"].startswith("initial design")
    last = steps[-1]
    assert last["phase"].startswith("ucb over a pool")
    assert last["job"]["row"] == last["marks"]["top 5 by acquisition"][0]  # the asked one is the argmax
    assert last["best acquisition values"] == sorted(last["best acquisition values"], reverse=True)


def test_a_strategy_without_the_hook_shows_its_job() -> None:
    steps = record("rs", "nbgraph-cora", seed=0, max_evals=3).steps
    assert [sorted(step) for step in steps] == [["job", "marks"]] * 3


def test_page_is_self_contained_and_small() -> None:
    bench = load("nbgraph-cora")
    html = render(record("rea", bench, seed=0, max_evals=300), bench)
    assert len(html.encode()) <= 5_000_000
    for reference in ("http://", "https://", " src=", " href=", "@import", "fetch("):
        assert reference not in html


def test_replay_of_a_saved_trace(tmp_path: Path) -> None:
    trace_path = tmp_path / "t.csv"
    run("rs", "mlp-mnist1d", seed=1, max_evals=7).save(trace_path)
    replay, bench = from_trace(str(trace_path))
    assert bench.name == "mlp-mnist1d" and len(replay.steps) == 7
    assert main(["replay", "--trace", str(trace_path), "--out", str(tmp_path / "r.html")]) == 0


@pytest.mark.parametrize("argv, message", [
    (["replay", "rea", "nbgraph-cora", "--seed", "0", "--evals", "5", "--out", "x.png"], "an .html file"),
    (["replay", "rea", "nbgraph-cora", "--evals", "5", "--out", "x.html"], "needs --seed"),
    (["replay", "nope", "nbgraph-cora", "--seed", "0", "--evals", "5", "--out", "x.html"], "unknown strategy"),
    (["replay", "--trace", "missing.csv", "--out", "x.html"], "cannot read trace"),
])
def test_bad_replay_input_is_one_line(argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_malformed_trace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    run("rs", "mlp-mnist1d", seed=1, max_evals=3).save(path)
    path.write_text("row,arch\n1,x\n")
    with pytest.raises(NasbenchError, match="cannot read trace"):
        from_trace(str(path))


def test_a_table_too_large_for_a_map_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import nasbench.replay.layout as layout

    monkeypatch.setattr(layout, "MAX_POINTS", 100)
    monkeypatch.setattr(layout, "_MAPS", {})
    with pytest.raises(NasbenchError, match="cannot draw a map of mlp-mnist1d"):
        layout.architecture_map(load("mlp-mnist1d"))


def _open(page: Path, step: int) -> tuple[str, str]:
    """The DOM of ``page`` after stepping to ``step`` in headless Chromium, and the browser's log."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom",
             f"{page.as_uri()}#step={step}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def _errors(dom: str, log: str) -> list[str]:
    caught = dom.split('<pre id="errors">', 1)[1].split("</pre>", 1)[0].strip()
    logged = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    return ([caught] if caught else []) + logged


def _between(dom: str, start: str, end: str) -> str:
    return dom.split(start, 1)[1].split(end, 1)[0]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it: .ci/run)")
@pytest.mark.parametrize("strategy, table, evals", SEARCHES)
def test_replay_steps_in_chromium(strategy: str, table: str, evals: int, tmp_path: Path) -> None:
    page = tmp_path / "replay.html"
    assert main(["replay", strategy, table, "--seed", "0", "--evals", str(evals), "--out", str(page)]) == 0
    first, log_first = _open(page, 1)
    later, log_later = _open(page, evals - 2)
    assert _errors(first, log_first) == [] and _errors(later, log_later) == []
    assert 'data-step="1"' in first and f'data-step="{evals - 2}"' in later
    assert f'data-drawn="{evals - 2}"' in later
    status = ('<div id="status">', "</div>")
    assert _between(first, *status) != _between(later, *status)
    decision = ('<dl id="decision">', "</dl>")
    assert _between(first, *decision) != _between(later, *decision)
    steps = json.loads(_between(later, '<script type="application/json" id="data">', "</script>"))["steps"]
    assert f"evaluated row {steps[evals - 3]['row']} " in _between(later, *status)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it: .ci/run)")
def test_the_browser_check_sees_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    bench = load("mlp-mnist1d")
    html = render(record("rs", bench, seed=0, max_evals=3), bench)
    page.write_text(html.replace("show(0);", "show(0); undefinedFunction();", 1))
    assert _errors(*_open(page, 2))


def test_tpe_describes_its_split_and_density_ratio() -> None:
    steps = record("tpe", "nbgraph-cora", seed=0, max_evals=25).steps
    assert steps[0]["phase"].startswith("startup")
    last = steps[-1]
    assert len(last["marks"]["good (below)"]) == 2 and len(last["marks"]["bad (above)"]) == 22
    assert last["density ratio l(x)/g(x) of the suggestion"] > 0


def test_bananas_describes_the_ensemble_over_its_candidates() -> None:
    steps = record("bananas", "nbgraph-cora", seed=0, max_evals=20, epochs=5).steps
    last = steps[-1]
    assert last["phase"].startswith("round 2: Thompson draws")
    assert last["job"]["row"] in last["marks"]["round"]
    draws = [draw for _, _, draw in last["chosen (mean, spread, draw)"]]
    assert draws == sorted(draws, reverse=True) and last["mean spread of the ensemble"] > 0
