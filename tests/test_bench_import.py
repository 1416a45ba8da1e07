"""Conversion throughput (records/s) and peak traced memory of each importer, with pytest-benchmark.

Run: ``pytest tests/test_bench_import.py --benchmark-enable -s`` (records/s and peak MiB are printed and
stored in each benchmark's ``extra_info``). ``NASBENCH_BENCH_NB101_CELLS`` and ``NASBENCH_BENCH_NB101_REPEATS`` scale
the synthetic NB101 file (default 500 cells x 3 repeats at 108 epochs; 423624 x 1 has the real file's
row count, which is what sets the memory), ``NASBENCH_BENCH_NATS_ARCHS`` the NATS/NB201 fixture.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_formats import TSS_SAMPLE, encode_model_metrics, masked, nb101_record, write_nats_tss_dir, write_torch_zip

from nasbench.importers import nats
from nasbench.importers.tfrecord import crc32c_many
from nasbench.spaces.nb101 import arch_of_code, matrix_of, ops_of
from nasbench.spaces.nb201 import Nb201Space


def synthetic_nb101(path: Path, n_cells: int, rng: np.random.Generator, repeats: int = 3) -> int:
    """A TFRecord file shaped like nasbench_only108: ``n_cells`` distinct raw cells x ``repeats``. Hashes
    are random (the importer keys rows by the file's hash, as it must for the real file), and CRCs are
    computed with the importer's batch CRC for speed (its correctness is tested elsewhere)."""
    codes = rng.choice(2**21 * 243, size=n_cells, replace=False)
    evaluations = [{"current_epoch": float(e), "training_time": 100.0 * e, "train_accuracy": 0.9,
                    "validation_accuracy": 0.9, "test_accuracy": 0.9} for e in (0, 54, 108)]
    with open(path, "wb") as f:
        for start in range(0, n_cells, 2048):
            payloads = []
            for code in codes[start:start + 2048]:
                arch = arch_of_code(int(code))
                metrics = encode_model_metrics(evaluations, int(rng.integers(1e5, 5e7)), float(rng.uniform(0, 6000)))
                module_hash = rng.bytes(16).hex()
                payloads += [nb101_record(module_hash, 108, matrix_of(arch), ops_of(arch), metrics)] * repeats
            lengths = [struct.pack("<Q", len(p)) for p in payloads]
            length_crcs, data_crcs = crc32c_many(lengths), crc32c_many(payloads)
            for length, payload, length_crc, data_crc in zip(lengths, payloads, length_crcs, data_crcs):
                f.write(length + struct.pack("<I", masked(int(length_crc))) + payload
                        + struct.pack("<I", masked(int(data_crc))))
    return repeats * n_cells


def measured(benchmark, snippet: str, n_records: int, out: Path) -> None:
    """Time ``snippet`` (Python source running one conversion into ``out``) in this process, then run it
    again in a fresh interpreter to read that process's peak resident memory (VmHWM)."""
    def run():
        shutil.rmtree(out, ignore_errors=True)
        exec(snippet, {})

    benchmark.pedantic(run, rounds=1, iterations=1)
    if benchmark.disabled:  # plain test runs (--benchmark-disable) only check that the conversion works
        assert any(out.glob("*.h5"))
        return
    seconds = benchmark.stats.stats.mean
    shutil.rmtree(out, ignore_errors=True)
    # VmHWM is this process's own peak (ru_maxrss would carry over the parent's peak across fork and exec)
    probe = snippet + "\nprint(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    peak_mib = int(result.stdout.split()[-1]) / 1024
    benchmark.extra_info.update({"records": n_records, "records_per_s": n_records / seconds, "peak_rss_mib": peak_mib})
    print(f"\n{benchmark.name}: {n_records} records in {seconds:.2f} s = {n_records / seconds:,.0f} records/s, "
          f"peak resident memory {peak_mib:.0f} MiB (whole interpreter)")


def test_bench_nb101(benchmark, tmp_path):
    n_cells = int(os.environ.get("NASBENCH_BENCH_NB101_CELLS", "500"))
    source = tmp_path / "nasbench_only108.tfrecord"
    repeats = int(os.environ.get("NASBENCH_BENCH_NB101_REPEATS", "3"))
    n_records = synthetic_nb101(source, n_cells, np.random.default_rng(0), repeats)
    script = f"from nasbench.importers import nb101; nb101.convert({str(source)!r}, {str(tmp_path / 'out')!r})"
    measured(benchmark, script, n_records, tmp_path / "out")


@pytest.fixture(scope="module")
def tss_fixture(tmp_path_factory) -> tuple[Path, int]:
    """NATS-tss fast-mode directory of ``NASBENCH_BENCH_NATS_ARCHS`` architectures (default 4); a record
    here is one architecture's file (both schedules, all datasets and seeds)."""
    space = Nb201Space()
    meta = [space.encode(space.arch_of_row(i)) for i in range(space.size)]
    directory = tmp_path_factory.mktemp("bench") / "NATS-tss-v1_0-3ffb9-simple"
    n_archs = int(os.environ.get("NASBENCH_BENCH_NATS_ARCHS", "4"))
    write_nats_tss_dir(directory, meta, range(n_archs), np.random.default_rng(1))
    return directory, n_archs


def test_bench_nats_tss(benchmark, tmp_path, tss_fixture):
    directory, n_archs = tss_fixture
    measured(benchmark, f"from nasbench.importers import nats; nats.convert('nats-tss', {str(directory)!r}, "
                        f"{str(tmp_path / 'out')!r})", n_archs, tmp_path / "out")


def test_bench_nats_tss_real_sample(benchmark, tmp_path):
    measured(benchmark, f"from nasbench.importers import nats; nats.convert('nats-tss', {str(TSS_SAMPLE)!r}, "
                        f"{str(tmp_path / 'out')!r})", 3, tmp_path / "out")


def test_bench_nb201(benchmark, tmp_path, tss_fixture):
    directory, n_archs = tss_fixture
    archs, indexes, records, _ = nats.open_archive(directory, nats.FLAVOURS["nats-tss"])
    infos = {i: {"less": r["12"], "full": r["200"]} for i, r in records}
    path = write_torch_zip(tmp_path / "NAS-Bench-201-v1_1-096897.pth",
                           {"meta_archs": archs, "arch2infos": infos, "evaluated_indexes": set(indexes)})
    script = f"from nasbench.importers import nb201; nb201.convert({str(path)!r}, {str(tmp_path / 'out')!r})"
    measured(benchmark, script, n_archs, tmp_path / "out")
