"""The portable training mode gives the same bits on every x86-64 CPU; the earlier AVX2 pin does not.

Other CPUs are emulated on this one by capping what each library may use, the way a CPU without
those instructions would: ATen's kernels (``ATEN_CPU_CAPABILITY``), oneDNN's (``ONEDNN_MAX_CPU_ISA``),
MKL's (``MKL_ENABLE_INSTRUCTIONS``) and glibc's math functions (``GLIBC_TUNABLES`` hwcaps without FMA
and AVX). A mode's own setting applies where the emulated CPU has it (a CPU without AVX2 runs ATen's
default kernels whatever the mode asks). Each cell trains two nb201 cells and two MLPs for two epochs
of their tables' schedules in a fresh process and prints a digest of every curve. NNPACK, which the
portable mode also switches off, reads the CPU itself (cpuinfo) and cannot be capped from outside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("torch")

from nasbench.train import numerics  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ATEN = ["default", "avx2", "avx512"]
ONEDNN = ["SSE41", "AVX2", "AVX512_CORE", None]  # None: unset, the CPU's widest
NO_FMA = "glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-AVX512F,-AVX512DQ,-AVX512BW,-AVX512VL"
#: a cell that drifted under other kernels, one with 1x1 convolutions, MLPs with and without dropout
ROWS = {
    "nb201-mnist1d": ["|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_3x3~2|",
                      "|nor_conv_1x1~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_3x3~0|skip_connect~1|avg_pool_3x3~2|"],
    "mlp-mnist1d": ["layers=4,width=32,act=relu,dropout=0,lr=0.03", "layers=1,width=16,act=relu,dropout=0.2,lr=0.01"],
}
CHILD = """
import dataclasses, hashlib, json, sys
import numpy as np
from nasbench.table import Table
from nasbench.train import store
from nasbench.train.builder import table_space
from nasbench.train.data import load_dataset
from nasbench.train.trainer import _train_here
mode, rows = sys.argv[1], json.loads(sys.argv[2])
digests = {}
for name, archs in rows.items():
    table = Table.open(f"data/{name}.h5")
    schedule = dataclasses.replace(store.schedule_of(table), epochs=2, cpu_kernels=mode)
    space = table_space("nb201" if table.space == "nb201-unique" else table.space)
    for text in archs:
        result = _train_here(space, space.parse(text), seed=0, schedule=schedule,
                             data=load_dataset(str(table.extra["dataset"])), device="cpu")
        curves = np.concatenate([getattr(result, c) for c in ("train_accuracy", "train_loss", "valid_accuracy",
                                                               "valid_loss", "test_accuracy", "test_loss")])
        digests[text] = hashlib.sha256(curves.tobytes()).hexdigest()
print(json.dumps(digests))
"""


def _capped(mode: str, aten: str, onednn: str | None, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a training process of ``mode`` on a CPU capped at ``aten``/``onednn``."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS")}
    asked = numerics.KERNEL_ENV[mode]
    wanted_aten = asked.get("ATEN_CPU_CAPABILITY", aten)
    env["ATEN_CPU_CAPABILITY"] = min(wanted_aten, aten, key=ATEN.index)
    wanted_onednn = asked.get("ONEDNN_MAX_CPU_ISA", onednn)
    levels = [level for level in (wanted_onednn, onednn) if level is not None]
    if levels:
        env["ONEDNN_MAX_CPU_ISA"] = min(levels, key=ONEDNN.index)
    env.update({key: value for key, value in asked.items() if key not in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")})
    env.update(extra, PYTHONPATH=str(REPO))
    return env


def _digests(mode: str, cells: list[tuple[str, str | None, dict[str, str]]]) -> list[dict[str, str]]:
    def run(cell: tuple[str, str | None, dict[str, str]]) -> dict[str, str]:
        done = subprocess.run([sys.executable, "-c", CHILD, mode, json.dumps(ROWS)], cwd=REPO, env=_capped(mode, *cell),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, cells))


#: the grid's corners, MKL capped to SSE4.2 and glibc without FMA/AVX: the default suite's cells
FEW_CELLS = [("default", "SSE41", {}), ("avx512", None, {}), ("avx2", "AVX2", {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}),
             ("avx512", "AVX512_CORE", {"GLIBC_TUNABLES": NO_FMA})]


def test_the_portable_mode_gives_the_same_bits_on_emulated_cpus() -> None:
    digests = _digests("portable", FEW_CELLS)
    assert all(d == digests[0] for d in digests), digests


def test_the_avx2_pin_gives_other_bits_on_a_cpu_without_avx2() -> None:
    with_avx2, without = _digests("avx2", [("avx512", None, {}), ("default", "SSE41", {})])
    assert with_avx2.keys() == without.keys()
    assert all(with_avx2[key] != without[key] for key in with_avx2)


@pytest.mark.slow
def test_the_portable_mode_gives_the_same_bits_in_every_cell_of_the_grid() -> None:
    cells = [(aten, onednn, {}) for aten in ATEN for onednn in ONEDNN]
    cells += [("avx512", None, {"MKL_ENABLE_INSTRUCTIONS": level}) for level in ("SSE4_2", "AVX2")]
    cells += [("avx512", None, {"GLIBC_TUNABLES": NO_FMA})]
    digests = _digests("portable", cells)
    assert all(d == digests[0] for d in digests), digests
