"""TFRecord framing and protobuf wire format, read without TensorFlow or generated code.

A TFRecord file is a sequence of records, each ``uint64 length | uint32 masked_crc32c(length bytes) |
data | uint32 masked_crc32c(data)`` (little-endian). CRC-32C is the Castagnoli polynomial (reflected
0x82F63B78), computed here from a 256-entry table; ``masked`` rotates the CRC right by 15 bits and adds
0xA282EAD8, as TensorFlow does. A record whose CRC disagrees, or a file that ends inside a record, is
refused naming the record's byte offset.

Example:
    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    >>> decode_message(bytes([0x10, 0x96, 0x01]))
    [(2, 0, 150)]
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nasbench.errors import NasbenchError

_POLYNOMIAL = 0x82F63B78  # Castagnoli, bit-reflected
_MASK_DELTA = 0xA282EAD8


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_POLYNOMIAL if crc & 1 else 0)
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C of ``data`` (continuing from ``crc``, the CRC of what came before).

    Example:
        >>> crc32c(b"6789", crc32c(b"12345")) == crc32c(b"123456789")
        True
    """
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The masked CRC TFRecord stores (masking keeps CRCs of CRC-bearing data well distributed)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


class _ZeroRuns:
    """Register after feeding n zero bytes to a register that starts at 0xFFFFFFFF, for n = 0, 1, ...
    (grown on demand)."""

    def __init__(self) -> None:
        self.values = [0xFFFFFFFF]

    def __getitem__(self, lengths: np.ndarray) -> np.ndarray:
        longest = int(lengths.max(initial=0))
        while len(self.values) <= longest:
            crc = self.values[-1]
            self.values.append(_TABLE[crc & 0xFF] ^ (crc >> 8))
        return np.asarray(self.values, dtype=np.uint32)[lengths]


_ZEROS = _ZeroRuns()
_TABLE_ARRAY = np.asarray(_TABLE, dtype=np.uint32)


def crc32c_many(chunks: Sequence[bytes]) -> np.ndarray:
    """CRC-32C of each chunk, computed for all chunks at once with numpy.

    The CRC register update is linear, so the CRC of ``data`` equals the register reached from 0 over
    ``data`` XOR the register reached from 0xFFFFFFFF over as many zero bytes, XOR 0xFFFFFFFF; and
    leading zero bytes leave a zero register unchanged. So the chunks are right-aligned in one zero-padded
    matrix and the table step runs column by column over all of them together.

    Example:
        >>> [hex(c) for c in crc32c_many([b"123456789", b""])]
        ['0xe3069283', '0x0']
    """
    if not chunks:
        return np.zeros(0, dtype=np.uint32)
    lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    width = int(lengths.max())
    # byte position major, so that each step reads one contiguous row of bytes (one from each chunk)
    matrix = np.zeros((width, len(chunks)), dtype=np.uint8)
    flat = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    chunk_of_byte = np.repeat(np.arange(len(chunks)), lengths)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(flat.size) - np.repeat(starts, lengths) + np.repeat(width - lengths, lengths)
    matrix[position, chunk_of_byte] = flat
    register = np.zeros(len(chunks), dtype=np.uint32)
    index = np.empty(len(chunks), dtype=np.uint32)
    for column in matrix:
        np.bitwise_xor(register, column, out=index)
        np.bitwise_and(index, 0xFF, out=index)
        np.right_shift(register, 8, out=register)
        np.bitwise_xor(register, _TABLE_ARRAY.take(index), out=register)
    return register ^ _ZEROS[lengths] ^ np.uint32(0xFFFFFFFF)


def _masked_many(chunks: Sequence[bytes]) -> np.ndarray:
    crc = crc32c_many(chunks).astype(np.uint64)
    return ((((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF).astype(np.uint32)


def read_records(stream: BinaryIO, *, name: str = "TFRecord file", check_crc: bool = True,
                 max_record_bytes: int = 1 << 26, batch: int = 2048) -> Iterator[tuple[int, bytes]]:
    """Yield ``(byte offset, data)`` for each record of a TFRecord stream, checking both CRCs.

    CRCs are checked ``batch`` records at a time (see :func:`crc32c_many`), before any record of the
    batch is yielded. ``max_record_bytes`` bounds a single record, so a corrupted length field cannot
    make the reader allocate gigabytes before its CRC check fails.
    """
    pending: list[tuple[int, bytes, int, bytes, int]] = []
    offset = 0
    while True:
        header = stream.read(12)
        if not header:
            break
        if len(header) < 12:
            raise NasbenchError(f"{name} is truncated: the record at byte offset {offset} ends inside its header")
        (length,) = struct.unpack("<Q", header[:8])
        if length > max_record_bytes:
            if check_crc and masked_crc32c(header[:8]) != struct.unpack("<I", header[8:])[0]:
                raise NasbenchError(f"{name} is corrupted: the length CRC of the record at byte offset {offset} "
                                    f"does not match (is this a TFRecord file?)")
            raise NasbenchError(f"{name}: the record at byte offset {offset} claims {length} bytes, more than "
                                f"any record of this format ({max_record_bytes})")
        body = stream.read(length + 4)
        if len(body) < length + 4:
            raise NasbenchError(f"{name} is truncated: the record at byte offset {offset} needs {length + 16} bytes "
                                f"but the file ends after {12 + len(body)}")
        pending.append((offset, header[:8], struct.unpack("<I", header[8:])[0], body[:length],
                        struct.unpack("<I", body[length:])[0]))
        offset += 16 + length
        if len(pending) >= batch:
            yield from _checked(pending, name, check_crc)
            pending = []
    yield from _checked(pending, name, check_crc)


def _checked(pending: list[tuple[int, bytes, int, bytes, int]], name: str,
             check_crc: bool) -> Iterator[tuple[int, bytes]]:
    if check_crc and pending:
        for label, chunks, crcs in (("length", [p[1] for p in pending], [p[2] for p in pending]),
                                    ("data", [p[3] for p in pending], [p[4] for p in pending])):
            stored = np.fromiter(crcs, dtype=np.uint32, count=len(pending))
            bad = np.flatnonzero(_masked_many(chunks) != stored)
            if bad.size:
                raise NasbenchError(f"{name} is corrupted: the {label} CRC of the record at byte offset "
                                    f"{pending[int(bad[0])][0]} does not match"
                                    + (" (is this a TFRecord file?)" if label == "length" else ""))
    for record in pending:
        yield record[0], record[3]


def open_tfrecord(path: str | Path) -> BinaryIO:
    """Open a TFRecord file for :func:`read_records`, refusing directories and missing paths."""
    path = Path(path)
    if path.is_dir():
        raise NasbenchError(f"{path} is a directory; expected a TFRecord file (e.g. nasbench_only108.tfrecord)")
    if not path.is_file():
        raise NasbenchError(f"no TFRecord file at {path}")
    return open(path, "rb", buffering=1 << 20)


# --- protobuf wire format -------------------------------------------------------------------------
def _varint(data: bytes, position: int) -> tuple[int, int]:
    if position < len(data) and data[position] < 0x80:
        return data[position], position + 1
    result = shift = 0
    while True:
        if position >= len(data):
            raise NasbenchError("a protobuf message ends inside a varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise NasbenchError("a protobuf varint runs past 64 bits")


def decode_message(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)`` for each field of a serialised message, in order: varints as
    unsigned ints, 64- and 32-bit fields as their raw little-endian bytes (see :func:`as_double`),
    length-delimited fields as bytes."""
    fields: list[tuple[int, int, int | bytes]] = []
    position, size = 0, len(data)
    while position < size:
        key = data[position]
        if key < 0x80:  # one-byte keys (field numbers below 16) are the rule: skip the general varint
            position += 1
        else:
            key, position = _varint(data, position)
        wire_type = key & 7
        value: int | bytes
        if wire_type == 1 or wire_type == 5:
            end = position + (8 if wire_type == 1 else 4)
            if end > size:
                raise NasbenchError(f"a protobuf message ends inside a {64 if wire_type == 1 else 32}-bit field")
            value = data[position:end]
            position = end
        elif wire_type == 0:
            value, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > size:
                raise NasbenchError("a protobuf message ends inside a length-delimited field")
            value = data[position:position + length]
            position += length
        else:
            raise NasbenchError(f"a protobuf message uses wire type {wire_type}, which proto2 messages here never use")
        fields.append((key >> 3, wire_type, value))
    return fields


_DOUBLE = struct.Struct("<d")


def as_double(raw: bytes) -> float:
    """A 64-bit field's raw bytes as an IEEE double."""
    return _DOUBLE.unpack(raw)[0]


def as_int32(raw: int) -> int:
    """A varint as a signed int32 (negative values arrive as 64-bit two's complement)."""
    raw &= 0xFFFFFFFF
    return raw - (1 << 32) if raw >= 1 << 31 else raw
