"""NAS-Bench-201 .pth importer: both torch containers written by our own helpers (and, where torch is
installed, by torch itself), values checked against the NATS records they hold, hostile pickles refused."""

from __future__ import annotations

import bz2
import collections
import pickle
import zipfile

import numpy as np
import pytest
from helpers_formats import TSS_SAMPLE, hostile_payload, write_torch_legacy, write_torch_zip
from test_import_nats import assert_matches_source

from nasbench.errors import NasbenchError
from nasbench.importers import nats, nb201
from nasbench.importers.unpickle import UnsafePickleError, restricted_loads
from nasbench.table import Table

INDEXES = [0, 11, 284]


def sample_records() -> dict:
    def load(name):
        return restricted_loads(bz2.decompress((TSS_SAMPLE / name).read_bytes()), nats.NATS_GLOBALS, what="t")

    return {i: load(f"{i:06d}.pickle.pbz2") for i in INDEXES}, load("meta.pickle.pbz2")["meta_archs"]


def nb201_object() -> tuple[dict, dict]:
    records, archs = sample_records()
    infos = {i: {"less": r["12"], "full": r["200"]} for i, r in records.items()}
    return {"meta_archs": archs, "arch2infos": infos, "evaluated_indexes": set(INDEXES)}, records


@pytest.mark.parametrize("writer", [write_torch_zip, write_torch_legacy])
def test_pth_values_match_the_source_records(tmp_path, writer):
    obj, records = nb201_object()
    path = writer(tmp_path / "NAS-Bench-201-v1_1-096897.pth", obj)
    paths = nb201.convert(path, tmp_path / "out")
    assert sorted(p.stem for p in paths)[:2] == ["nb201-cifar10-hp12", "nb201-cifar10-hp200"]
    assert assert_matches_source(tmp_path / "out", "nb201", records, INDEXES) > 50_000
    table = Table.open(tmp_path / "out" / "nb201-cifar10-hp200.h5")
    assert table.metric("ori_test_accuracy")[0, 0, 199] == np.float32(85.62)
    paper = Table.open(tmp_path / "out" / "nb201-cifar10-paper.h5")
    assert paper.search_metric == "valid_accuracy" and table.attrs["version"] == "NAS-Bench-201-v1_1-096897"


@pytest.mark.slow  # importing torch takes longer than the rest of this file
def test_files_written_by_torch_itself(tmp_path):
    torch = pytest.importorskip("torch")  # torch is an optional extra; the reader never imports it
    obj, records = nb201_object()
    torch.save(obj, tmp_path / "zip.pth")
    torch.save(obj, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    for name in ("zip.pth", "legacy.pth"):
        loaded = nb201.load_torch_file(tmp_path / name, what=name)
        assert loaded["arch2infos"][284]["full"]["all_results"][("cifar10", 777)]["eval_acc1es"] == \
            records[284]["200"]["all_results"][("cifar10", 777)]["eval_acc1es"]
    torch.save({"weights": torch.zeros(3)}, tmp_path / "tensor.pth")
    with pytest.raises(UnsafePickleError):
        nb201.load_torch_file(tmp_path / "tensor.pth", what="tensor file")


def test_hostile_pickles_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    with zipfile.ZipFile(tmp_path / "zip.pth", "w") as archive:
        archive.writestr("archive/data.pkl", hostile_payload(marker, protocol=2))
    with pytest.raises(UnsafePickleError):
        nb201.convert(tmp_path / "zip.pth", tmp_path / "out")
    legacy = tmp_path / "legacy.pth"
    write_torch_legacy(legacy, {})
    data = legacy.read_bytes()
    # splice the hostile object in place of the (empty) object pickle: magic, protocol, sys info stay
    header = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001))
    sys_info = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                             "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    assert data.startswith(header + sys_info)
    legacy.write_bytes(header + sys_info + hostile_payload(marker, protocol=2))
    with pytest.raises(UnsafePickleError):
        nb201.convert(legacy, tmp_path / "out")
    plain = tmp_path / "plain.pth"
    plain.write_bytes(hostile_payload(marker, protocol=2))
    with pytest.raises(NasbenchError):
        nb201.convert(plain, tmp_path / "out")
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_bad_input_gives_clear_errors(tmp_path):
    obj, _ = nb201_object()
    with pytest.raises(NasbenchError, match="version v2_0-abcdef"):
        nb201.convert(write_torch_zip(tmp_path / "NAS-Bench-201-v2_0-abcdef.pth", obj), tmp_path / "o")
    with pytest.raises(NasbenchError, match="protocol version 999"):
        nb201.convert(write_torch_legacy(tmp_path / "a.pth", obj, protocol_version=999), tmp_path / "o")
    good = write_torch_zip(tmp_path / "b.pth", obj).read_bytes()
    (tmp_path / "cut.pth").write_bytes(good[: len(good) // 2])
    with pytest.raises(NasbenchError):
        nb201.convert(tmp_path / "cut.pth", tmp_path / "o")
    legacy = write_torch_legacy(tmp_path / "c.pth", obj).read_bytes()
    (tmp_path / "cut2.pth").write_bytes(legacy[: len(legacy) // 2])
    with pytest.raises(NasbenchError, match="not a valid pickle"):
        nb201.convert(tmp_path / "cut2.pth", tmp_path / "o")
    with pytest.raises(NasbenchError, match="is a directory"):
        nb201.convert(tmp_path, tmp_path / "o")
    with pytest.raises(NasbenchError, match="not NAS-Bench-201"):
        nb201.convert(write_torch_zip(tmp_path / "d.pth", collections.OrderedDict(a=1)), tmp_path / "o")
    (tmp_path / "e.pth").write_text("text")
    with pytest.raises(NasbenchError, match="not a torch file"):
        nb201.convert(tmp_path / "e.pth", tmp_path / "o")
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.h5"))
