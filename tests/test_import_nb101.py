"""NAS-Bench-101: CRC-32C, protobuf decoding, module hash, the nb101 space, and the streaming importer
on a TFRecord fixture written by our own writer."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from helpers_formats import (
    crc32c_bitwise,
    encode_model_metrics,
    hostile_payload,
    nb101_record,
    tfrecord_frame,
    write_tfrecord,
)

import nasbench
from nasbench.errors import NasbenchError
from nasbench.importers import nb101
from nasbench.importers.tfrecord import (
    as_double,
    as_int32,
    crc32c,
    crc32c_many,
    decode_message,
    masked_crc32c,
    read_records,
)
from nasbench.spaces.nb101 import Nb101Space, genes_of, spec_hash
from nasbench.table import Split, Table

INCEPTION = np.array([[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0],
                      [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]])
INCEPTION_OPS = ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3",
                 "output"]


def test_crc32c_matches_the_check_value_and_an_independent_bitwise_crc():
    assert crc32c(b"123456789") == 0xE3069283
    rng = np.random.default_rng(1)
    chunks = [rng.bytes(int(n)) for n in rng.integers(0, 300, 64)] + [b""]
    expected = [crc32c_bitwise(c) for c in chunks]
    assert [crc32c(c) for c in chunks] == expected
    assert crc32c_many(chunks).tolist() == expected


def test_protobuf_decoding_round_trips_our_encoder():
    evaluations = [{"current_epoch": float(e), "training_time": 10.0 * e, "train_accuracy": 0.1 * e,
                    "validation_accuracy": 0.2, "test_accuracy": 0.3, "checkpoint_path": "ckpt"} for e in (0, 54, 108)]
    decoded = nb101.decode_metrics(encode_model_metrics(evaluations, 2_694_282, 1234.5), "test")
    assert decoded["trainable_parameters"] == 2_694_282 and decoded["total_time"] == 1234.5
    assert decoded["evaluations"][2]["training_time"] == 1080.0
    assert as_int32(decode_message(encode_model_metrics([], -5, 0.0))[0][2]) == -5
    assert as_double(struct.pack("<d", 0.25)) == 0.25
    with pytest.raises(NasbenchError, match="ends inside"):
        decode_message(encode_model_metrics(evaluations, 1, 1.0)[:-3])


def test_module_hash_matches_the_original_test_vector():
    assert spec_hash(INCEPTION, INCEPTION_OPS) == "28cfc7874f6d200472e1a9dcd8650aa0"
    space = Nb101Space()
    arch = genes_of(INCEPTION, INCEPTION_OPS)
    assert space.module_hash(arch) == "28cfc7874f6d200472e1a9dcd8650aa0"
    # swapping the two interchangeable branches gives an isomorphic cell with the same hash
    permuted = INCEPTION[np.ix_([0, 2, 1, 3, 4, 5, 6], [0, 2, 1, 3, 4, 5, 6])]
    ops = [INCEPTION_OPS[i] for i in [0, 2, 1, 3, 4, 5, 6]]
    assert space.module_hash(genes_of(permuted, ops)) == "28cfc7874f6d200472e1a9dcd8650aa0"
    assert space.path_encoding(arch).sum() == 4  # four input-to-output paths


def test_space_validity_sampling_and_moves():
    space = Nb101Space()
    rng = np.random.default_rng(2)
    dense = tuple([1] * 21) + (0,) * 5  # 21 edges: valid graph shape, too many edges
    assert not space.is_valid(dense)
    disconnected = tuple([1] + [0] * 20) + (0,) * 5  # only 0->1: the input never reaches the output
    assert not space.is_valid(disconnected)
    direct = tuple([0] * 5 + [1] + [0] * 15) + (2,) * 5  # only 0->6
    assert space.is_valid(direct)
    assert space.module_hash(direct) == spec_hash(np.array([[0, 1], [0, 0]]), ["input", "output"])
    for _ in range(30):
        arch = space.sample(rng)
        assert space.is_valid(arch)
        child = space.mutate(arch, rng)
        assert space.is_valid(child) and space.module_hash(child) != space.module_hash(arch)
        assert sum(a != b for a, b in zip(arch, child)) == 1
    neighbours = space.neighbours(genes_of(INCEPTION, INCEPTION_OPS))
    hashes = {space.module_hash(n) for n in neighbours}
    assert len(hashes) == len(neighbours) > 5 and all(space.is_valid(n) for n in neighbours)
    assert space.parse(space.encode(direct)) == direct
    with pytest.raises(NasbenchError, match="malformed NAS-Bench-101 cell"):
        space.parse("0101|conv3x3-bn-relu")
    with pytest.raises(NasbenchError, match="open an nb101 table"):
        space.index(direct)


def make_source(rng: np.random.Generator, n_cells: int, budgets=(4, 12, 36, 108)):
    """Random distinct valid cells and their records: ``[(hash, epochs, matrix, ops, evaluations, params, total)]``."""
    space = Nb101Space()
    cells: dict[str, tuple[np.ndarray, list[str]]] = {}
    while len(cells) < n_cells:
        matrix, ops = space.pruned(space.sample(rng))
        cells.setdefault(spec_hash(matrix, ops), (matrix, ops))
    records = []
    for module_hash, (matrix, ops) in cells.items():
        for epochs in budgets:
            for _ in range(3):
                evaluations = [{"current_epoch": float(e), "training_time": float(rng.uniform(0, 5000)),
                                "train_accuracy": float(rng.uniform()), "validation_accuracy": float(rng.uniform()),
                                "test_accuracy": float(rng.uniform())} for e in (0, epochs / 2, epochs)]
                records.append((module_hash, epochs, matrix, ops, evaluations, int(rng.integers(1e5, 5e7)),
                                float(rng.uniform(0, 6000))))
    order = rng.permutation(len(records))
    return [records[i] for i in order]


def payloads(records):
    return [nb101_record(h, e, m, o, encode_model_metrics(ev, p, t)) for h, e, m, o, ev, p, t in records]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    rng = np.random.default_rng(101)
    records = make_source(rng, 40)
    directory = tmp_path_factory.mktemp("nb101")
    source = write_tfrecord(directory / "nasbench_full.tfrecord", payloads(records))
    return records, nb101.convert(source, directory / "out"), source


def test_every_value_matches_its_source_record(converted):
    records, path, _ = converted
    table = Table.open(path)
    assert table.name == "nb101-cifar10" and list(table.fidelities) == [4, 12, 36, 108]
    assert list(table.seeds) == [0, 1, 2] and table.n_archs == 40 and table.extra["partial"] is True
    hashes = [h.decode() for h in table.dataset("extra/module_hash")]
    assert hashes == sorted(hashes)
    seen: dict[tuple[str, int], int] = {}
    for module_hash, epochs, _matrix, _ops, evaluations, params, total in records:
        row, budget = hashes.index(module_hash), [4, 12, 36, 108].index(epochs)
        repeat = seen[(module_hash, epochs)] = seen.get((module_hash, epochs), -1) + 1
        for prefix, evaluation in (("", evaluations[2]), ("halfway_", evaluations[1])):
            assert table.metric(prefix + "train_accuracy")[row, repeat, budget] == evaluation["train_accuracy"]
            assert table.metric(prefix + "valid_accuracy")[row, repeat, budget] == evaluation["validation_accuracy"]
            assert table.metric(prefix + "test_accuracy")[row, repeat, budget] == evaluation["test_accuracy"]
            assert table.metric(prefix + "train_time")[row, repeat, budget] == evaluation["training_time"]
        assert table.metric("params")[row, repeat, budget] == params
        assert table.metric("total_time")[row, repeat, budget] == total
        assert Nb101Space().module_hash(Nb101Space().parse(table.archs[row])) == module_hash
    assert not np.isnan(table.metric("valid_accuracy")).any()
    assert table.metrics["valid_accuracy"].split == Split.VALID and table.cost_metric == "train_time"


def test_queries_by_module_hash_and_by_isomorphic_cell(converted):
    records, path, _ = converted
    bench = nasbench.load(path)
    module_hash, _, matrix, ops, evaluations, _, _ = next(r for r in records if r[1] == 108)
    by_hash = bench.query(module_hash, "valid_accuracy", fidelity=108, seed=None)
    row = bench.row(module_hash)
    assert bench.row(bench.space.encode(genes_of(matrix, ops))) == row
    values = [r[4][2]["validation_accuracy"] for r in records if r[0] == module_hash and r[1] == 108]
    assert by_hash == pytest.approx(np.mean(values), rel=1e-12)
    with pytest.raises(NasbenchError, match="not in this nb101 table"):
        bench.row("0" * 32)
    assert 0 <= bench.space.index(bench.space.arch_of_row(5)) == 5


def test_only108_file_is_a_single_fidelity_table(tmp_path):
    records = make_source(np.random.default_rng(7), 5, budgets=(108,))
    path = nb101.convert(write_tfrecord(tmp_path / "nasbench_only108.tfrecord", payloads(records)), tmp_path)
    table = Table.open(path)
    assert table.name == "nb101-cifar10-only108" and list(table.fidelities) == [108.0]


def test_bad_crc_names_the_record_offset(tmp_path):
    frames = [tfrecord_frame(p) for p in payloads(make_source(np.random.default_rng(4), 2, budgets=(108,)))]
    offset = sum(len(f) for f in frames[:3])
    damaged = bytearray(frames[3])
    damaged[20] ^= 0x01
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(b"".join(frames[:3]) + bytes(damaged) + b"".join(frames[4:]))
    with pytest.raises(NasbenchError, match=f"data CRC of the record at byte offset {offset} does not match"):
        nb101.convert(path, tmp_path / "out")
    path.write_bytes(b"".join(frames)[:-7])
    with pytest.raises(NasbenchError, match="truncated: the record at byte offset"):
        nb101.convert(path, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_masked_crc_framing_agrees_with_our_writer():
    frame = tfrecord_frame(b"hello")
    assert struct.unpack("<I", frame[8:12])[0] == masked_crc32c(frame[:8])
    assert list(read_records(io.BytesIO(frame * 3))) == [(0, b"hello"), (21, b"hello"), (42, b"hello")]


def test_bad_input_and_hostile_pickles_are_refused(tmp_path):
    with pytest.raises(NasbenchError, match="is a directory; expected a TFRecord file"):
        nb101.convert(tmp_path, tmp_path / "out")
    with pytest.raises(NasbenchError, match="no TFRecord file"):
        nb101.convert(tmp_path / "missing.tfrecord", tmp_path / "out")
    marker = tmp_path / "ran"
    hostile = tmp_path / "nasbench_only108.tfrecord"
    hostile.write_bytes(hostile_payload(marker) * 3)  # the importer never unpickles: refused as framing
    with pytest.raises(NasbenchError, match="length CRC|claims|truncated"):
        nb101.convert(hostile, tmp_path / "out")
    assert not marker.exists()
    not_json = write_tfrecord(tmp_path / "x.tfrecord", [b"\x80\x04not json"])
    with pytest.raises(NasbenchError, match="not a NAS-Bench-101 record"):
        nb101.convert(not_json, tmp_path / "out")
    record = payloads(make_source(np.random.default_rng(5), 1, budgets=(108,)))[0].replace(b", 108,", b", 50,")
    with pytest.raises(NasbenchError, match="trained for 50 epochs"):
        nb101.convert(write_tfrecord(tmp_path / "y.tfrecord", [record]), tmp_path / "out")
    assert not list((tmp_path / "out").glob("*.h5")) if (tmp_path / "out").exists() else True


def test_interrupted_conversion_leaves_no_table(tmp_path, monkeypatch, converted):
    _, _, source = converted
    calls = {"n": 0}
    real = nb101.parse_record

    def interrupted(data, where):
        calls["n"] += 1
        if calls["n"] == 100:
            raise KeyboardInterrupt
        return real(data, where)

    monkeypatch.setattr(nb101, "parse_record", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nb101.convert(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()
