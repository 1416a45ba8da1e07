"""The table format: round trip, missing values, provenance, and refusal of damaged files."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import nasbench
from nasbench.errors import CorruptTableError, NasbenchError
from nasbench.table import MetricInfo, Split, Table, TableContents, verify_file, write_table


def _toy(path: Path) -> Path:
    values = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    values[1, 2, 3] = np.nan
    write_table(path, TableContents(
        name="toy", space="nb201", archs=["a", "b"], codes=[5, 7], seeds=[0, 1, 2],
        fidelities=[1, 2, 3, 4], fidelity_unit="epochs",
        metrics={"valid_accuracy": (values, MetricInfo("valid_accuracy", Split.VALID, "fraction", True))},
        source="unit test", licence="CC0", version="1", attrs={"note": "x"}))
    return path


def test_round_trip_keeps_values_missing_entries_and_provenance(tmp_path: Path) -> None:
    table = Table.open(_toy(tmp_path / "t.h5"))
    values = table.metric("valid_accuracy")
    assert values.shape == (2, 3, 4)
    assert values[0, 1, 2] == 6.0
    assert np.isnan(values[1, 2, 3])  # missing stays missing
    assert table.metrics["valid_accuracy"].split is Split.VALID
    assert table.codes.tolist() == [5, 7]
    assert table.archs.tolist() == ["a", "b"]
    assert table.fidelities.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert table.extra == {"note": "x"}
    assert len(table.checksum) == 64
    assert not values.flags.writeable


def test_an_open_table_keeps_reading_its_own_version_when_the_file_is_replaced(tmp_path: Path) -> None:
    # builders and live fallbacks rename a new version over the file while readers have it open
    path = _toy(tmp_path / "t.h5")
    table = Table.open(path, verify="lazy")  # headers only: no array mapped yet
    write_table(path, TableContents(
        name="toy", space="nb201", archs=["a", "b", "c"], codes=[5, 7, 9], seeds=[0],
        fidelities=[1, 2], fidelity_unit="epochs",
        metrics={"valid_accuracy": (np.full((3, 1, 2), 0.5),
                                    MetricInfo("valid_accuracy", Split.VALID, "fraction", True))},
        source="unit test", licence="CC0", version="2"))
    values = table.metric("valid_accuracy")  # verified against the digest read with the old headers
    assert values.shape == (2, 3, 4) and values[0, 1, 2] == 6.0
    assert Table.open(path).metric("valid_accuracy").shape == (3, 1, 2)


def test_write_rejects_inconsistent_shapes(tmp_path: Path) -> None:
    with pytest.raises(NasbenchError, match="shape"):
        write_table(tmp_path / "bad.h5", TableContents(
            name="x", space="nb201", archs=["a"], codes=[0], seeds=[0],
            fidelities=[1], fidelity_unit="epochs",
            metrics={"m": (np.zeros((2, 1, 1)), MetricInfo("m", Split.NONE, "", True))},
            source="", licence="", version=""))
    assert not (tmp_path / "bad.h5").exists()


def test_opening_reads_headers_only_for_large_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _toy(tmp_path / "t.h5")
    monkeypatch.setattr("nasbench.table.EAGER_VERIFY_BYTES", 0)
    table = Table.open(path)
    assert table._verified == {"seeds", "fidelities"}  # only what the header needs; metrics on first touch
    table.metric("valid_accuracy")
    assert "metrics/valid_accuracy" in table._verified


def _flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))


def _data_offset(path: Path, key: str) -> int:
    with h5py.File(path, "r") as f:
        return f[key].id.get_offset()


def test_bit_flip_in_metric_data_is_refused(cora_copy: Path) -> None:
    _flip_byte(cora_copy, _data_offset(cora_copy, "metrics/test_accuracy") + 8 * 1234 + 3)
    with pytest.raises(CorruptTableError, match="metrics/test_accuracy"):
        nasbench.load(cora_copy)
    with pytest.raises(CorruptTableError, match="SHA-256"):
        verify_file(cora_copy)


def test_bit_flip_in_lazily_verified_table_is_refused_on_first_touch(cora_copy: Path) -> None:
    _flip_byte(cora_copy, _data_offset(cora_copy, "metrics/valid_accuracy") + 100)
    table = Table.open(cora_copy, verify="lazy")
    table.metric("test_accuracy")  # undamaged array is fine
    with pytest.raises(CorruptTableError, match="valid_accuracy"):
        table.metric("valid_accuracy")


def test_altered_attribute_is_refused(cora_copy: Path) -> None:
    with h5py.File(cora_copy, "r+") as f:
        f["metrics/test_accuracy"].attrs["split"] = "valid"  # a quiet relabelling of test as valid
    with pytest.raises(CorruptTableError, match="header checksum"):
        nasbench.load(cora_copy)


def test_truncated_table_is_refused(cora_copy: Path) -> None:
    data = cora_copy.read_bytes()
    cora_copy.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptTableError):
        nasbench.load(cora_copy)


def test_non_table_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "junk.h5").write_bytes(b"not an hdf5 file at all")
    with pytest.raises(CorruptTableError, match="not a readable"):
        nasbench.load(tmp_path / "junk.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(CorruptTableError, match="not a nasbench table"):
        nasbench.load(tmp_path / "other.h5")
