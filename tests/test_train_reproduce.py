"""The shipped learning-curve tables reproduce: a few rows of each, rebuilt with the table's own recorded
command, equal the stored rows, on whatever x86-64 CPU runs the test.

Tolerance: none for training. Every curve except ``train_time`` (a measured time) and the network's size
must be equal as floats. The zero-cost proxies are compared to 1e-5 relative: ``zc_grasp`` (a sum of
terms of both signs through a double backward pass) came out one float32 step apart (1.3e-7 relative) in
the builder and in a fresh process for one MLP, so bit equality is not what it promises. The tables are
trained in the portable mode (:mod:`nasbench.train.numerics`), which gives the same bits on every
x86-64 CPU (``tests/test_portable_numerics.py`` emulates them); a difference in numerics is never small
(other kernels change every one of 30 sampled ``nb201-mnist1d`` curves, by up to 0.043 validation
accuracy), so a loose tolerance would only hide it.

A table whose portable rebuild is still being trained in chunks (``PENDING``, see
``reports/tables/rebuild.py``) is checked against its committed chunks instead, with the command its
merged table will record.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.table import Table  # noqa: E402
from nasbench.train import numerics, store  # noqa: E402
from nasbench.train.builder import table_space  # noqa: E402
from nasbench.train.schedule import CURVES, Schedule  # noqa: E402
from nasbench.train.trainer import train  # noqa: E402
from nasbench.zero_cost import PROXY_NAMES  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHUNKS = REPO / "reports" / "tables" / "chunks"
#: tables whose portable rebuild is in progress: checked against their chunks until merged
PENDING: set[str] = set()
#: rows to rebuild per shipped table: the cell the mismatch was first seen on, a cell that drifted by 0.019
#: under other kernels, and MLPs with and without dropout (its masks come from a generator)
ROWS = {
    "nb201-mnist1d": ["|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_3x3~2|",
                      "|nor_conv_1x1~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_3x3~0|skip_connect~1|avg_pool_3x3~2|"],
    "mlp-mnist1d": ["layers=4,width=32,act=relu,dropout=0,lr=0.03", "layers=1,width=16,act=relu,dropout=0.2,lr=0.01"],
    "mlp-mnist1d-noisy": ["layers=4,width=32,act=relu,dropout=0,lr=0.03",
                          "layers=1,width=16,act=relu,dropout=0.2,lr=0.01"],
    "mlp-mnist1d-shifted": ["layers=4,width=32,act=relu,dropout=0,lr=0.03",
                            "layers=1,width=16,act=relu,dropout=0.2,lr=0.01"],
}
STORED = [name for name in CURVES if name != "train_time"] + ["params", "flops"]
PORTABLE = ("2.13.0+cpu", "portable", "DEFAULT", 1, "cpu")


def _rebuild(command: str, archs: list[str], out: Path) -> Table:
    """``command`` (a ``nasbench build`` line) run for ``archs`` only, into ``out``, with one worker."""
    words = shlex.split(command)
    assert words[:2] == ["nasbench", "build"]
    words[words.index("--out") + 1] = str(out)
    listing = out.with_suffix(".txt")
    listing.write_text("\n".join(archs) + "\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for key in {key for setting in numerics.KERNEL_ENV.values() for key in setting}:
        env.pop(key, None)  # the build command pins its own kernels
    done = subprocess.run([sys.executable, "-m", "nasbench.cli", *words[1:], "--archs", str(listing), "--workers",
                           "1"], cwd=out.parent, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return Table.open(out)


def _rows(table: Table, archs: list[str]) -> list[int]:
    space = table_space(table.space if table.space != "nb201-unique" else "nb201")
    return [space.index(space.parse(text)) for text in archs]


def _assert_rows_equal(rebuilt: Table, shipped: Table, rows: list[int]) -> None:
    assert rebuilt.seeds.tolist() == shipped.seeds.tolist()
    for name in STORED:
        np.testing.assert_array_equal(rebuilt.metric(name)[rows], shipped.metric(name)[rows], err_msg=name)
    for name in PROXY_NAMES:
        np.testing.assert_allclose(rebuilt.metric(name)[rows], shipped.metric(name)[rows], rtol=1e-5, err_msg=name)


@pytest.mark.parametrize("name", sorted(set(ROWS) - PENDING))
def test_rows_rebuilt_with_the_recorded_command_equal_the_shipped_rows(name: str, tmp_path: Path) -> None:
    shipped = Table.open(REPO / "data" / f"{name}.h5")
    rebuilt = _rebuild(str(shipped.extra["created_by"]), ROWS[name], tmp_path / f"{name}.h5")
    _assert_rows_equal(rebuilt, shipped, _rows(rebuilt, ROWS[name]))
    assert rebuilt.extra["numerics"] == shipped.extra["numerics"]


def _first_chunk(name: str) -> dict[str, np.ndarray]:
    chunk = CHUNKS / name / "00000.npz"
    assert chunk.is_file(), f"{name} is pending a rebuild but its first chunk {chunk} is not committed"
    return dict(np.load(chunk))


@pytest.mark.parametrize("name", sorted(PENDING))
def test_rows_rebuilt_with_the_pending_command_equal_the_committed_chunks(name: str, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "reports" / "tables"))
    try:
        from rebuild import COMMANDS
    finally:
        sys.path.pop(0)
    chunk = _first_chunk(name)
    space = table_space("nb201" if name.startswith("nb201") else "mlp")
    wanted = sorted(set(chunk["rows"].tolist()))[:2]
    rebuilt = _rebuild(COMMANDS[name], [space.encode(space.arch_of_row(r)) for r in wanted], tmp_path / f"{name}.h5")
    assert json.loads(str(chunk["numerics"])) == rebuilt.extra["numerics"]
    column = {int(s): i for i, s in enumerate(rebuilt.seeds)}
    for i, (row, seed) in enumerate(zip(chunk["rows"].tolist(), chunk["seeds"].tolist())):
        if row not in wanted:
            continue
        for metric in STORED:
            stored = rebuilt.metric(metric)[row, column[seed]]  # params and flops repeat over the epochs
            np.testing.assert_array_equal(stored[-1] if chunk[metric].ndim == 1 else stored, chunk[metric][i],
                                          err_msg=metric)
        for metric in PROXY_NAMES:
            np.testing.assert_allclose(rebuilt.metric(metric)[row, column[seed], 0], chunk[f"proxy:{metric}"][i],
                                       rtol=1e-5, err_msg=metric)


def test_a_process_that_ran_torch_first_trains_in_a_pinned_child(tmp_path: Path) -> None:
    # torch runs a kernel before anything is pinned, so this process dispatches to the CPU's widest kernels
    script = ("import sys, json, torch; torch.ones(3).sum(); "
              "from nasbench.train.builder import table_space; from nasbench.train.trainer import train; "
              "from nasbench.table import Table; from nasbench.train import store; "
              "t = Table.open(sys.argv[1]); s = table_space('mlp'); "
              "r = train(s, s.parse(sys.argv[2]), seed=0, schedule=store.schedule_of(t)); "
              "print(json.dumps([torch.backends.cpu.get_cpu_capability(), r.numerics.cpu_capability, "
              "r.valid_accuracy.tolist(), r.train_loss.tolist()]))")
    env = {key: value for key, value in os.environ.items()
           if key not in {key for setting in numerics.KERNEL_ENV.values() for key in setting}}
    env["PYTHONPATH"] = str(REPO)
    shipped = Table.open(REPO / "data" / "mlp-mnist1d.h5")
    arch = ROWS["mlp-mnist1d"][1]
    done = subprocess.run([sys.executable, "-c", script, str(shipped.path), arch], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    here, trained_under, valid, loss = json.loads(done.stdout)
    assert trained_under == "DEFAULT", here  # `here` is the CPU's own (AVX2, AVX512): the child did the training
    row = table_space("mlp").index(table_space("mlp").parse(arch))
    np.testing.assert_array_equal(valid, shipped.metric("valid_accuracy")[row, 0])
    np.testing.assert_array_equal(loss, shipped.metric("train_loss")[row, 0])


@pytest.mark.parametrize("name", sorted(ROWS))
def test_the_shipped_tables_record_portable_numerics(name: str) -> None:
    recorded = store.numerics_of(Table.open(REPO / "data" / f"{name}.h5"))
    assert recorded is not None
    fields = (recorded.torch, recorded.cpu_kernels, recorded.cpu_capability, recorded.threads, recorded.device)
    if name in PENDING:  # a merged rebuild must leave PENDING, or this fails
        assert fields != PORTABLE
        chunk = numerics.Numerics.from_attrs(json.loads(str(_first_chunk(name)["numerics"])))
        fields = (chunk.torch, chunk.cpu_kernels, chunk.cpu_capability, chunk.threads, chunk.device)
    assert fields == PORTABLE


def test_an_entry_trained_under_other_numerics_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "toy.h5"
    space = table_space("mlp")
    schedule = Schedule(epochs=1, train_examples=50, batch_size=50)
    store.create(out, space, dataset="mnist1d", seeds=[0], schedule=schedule, command="test")
    result = train(space, space.arch_of_row(0), seed=0, schedule=schedule)
    assert result.numerics == numerics.expected("portable", "cpu", 1)
    other = type(result)(**{**result.__dict__, "numerics": numerics.Numerics(
        torch="2.13.0+cpu", device="cpu", cpu_kernels="native", cpu_capability="AVX512", threads=1)})
    with pytest.raises(NasbenchError, match="cpu_capability DEFAULT \\(here AVX512\\)"):
        store.append(out, space, [store.Entry(0, 0, other)])
    assert store.append(out, space, [store.Entry(0, 0, result)]) == 1
    newer = numerics.Numerics(torch="2.14.0", device="cpu", cpu_kernels="portable", cpu_capability="DEFAULT",
                              threads=1)
    with pytest.raises(NasbenchError, match=r"torch 2.13.0.*here 2.14.0.*pip install"):
        numerics.explain(numerics.expected("portable", "cpu", 1), newer, "table toy")
