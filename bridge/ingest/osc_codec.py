"""OSC 1.0 datagrams to and from Python values, with a fast path for float lists.

Max for Live cannot send blobs, so each track's audio arrives as messages of up to 512
``f`` arguments. A general-purpose parser that builds one Python float per argument costs
about 0.5 ms per such message (see docs/protocol.md); here a trailing run of ``f``
arguments is read with one ``numpy.frombuffer`` call instead, which is what lets one bridge
ingest dozens of tracks on a fraction of a core.

This module is pure: bytes in, values out, and the reverse. Sockets live in
:mod:`bridge.ingest.receiver`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Deepest bundle nesting accepted; deeper packets are malformed (and a recursion bomb).
MAX_BUNDLE_DEPTH = 4

_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_FLOAT32 = struct.Struct(">f")
_FLOAT64 = struct.Struct(">d")

#: Fixed-size argument payloads by type tag.
_FIXED_SIZES = {"i": 4, "f": 4, "h": 8, "d": 8, "t": 8, "c": 4, "r": 4, "m": 4}
_NO_DATA = {"T": True, "F": False, "N": None, "I": float("inf")}

Value = int | float | str | bytes | bool | None


class OscParseError(ValueError):
    """A datagram is not valid OSC 1.0 (truncated, misaligned, unknown type tag...)."""


class OscBuildError(ValueError):
    """A value cannot be encoded as OSC."""


@dataclass(frozen=True)
class OscMessage:
    """One decoded OSC message.

    Attributes:
        address: the address pattern, e.g. ``/syn/transport``.
        tags: the type tag string without its leading comma, e.g. ``"iiffff"``.
        args: decoded values of every argument *before* ``tail``.
        tail: the trailing run of ``f`` arguments as one float32 array (empty if the
            message does not end in floats). Audio samples arrive here without ever
            becoming Python objects.
    """

    address: str
    tags: str
    args: tuple[Value, ...]
    tail: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def arguments(self) -> list[Value]:
        """All arguments as Python values (the tail converted to floats)."""
        return [*self.args, *self.tail.tolist()]

    def __len__(self) -> int:
        return len(self.tags)


def _read_string(data: bytes, offset: int) -> tuple[str, int]:
    end = data.find(b"\x00", offset)
    if end < 0:
        raise OscParseError(f"unterminated string at byte {offset}")
    raw = data[offset:end]
    next_offset = (end + 4) & ~3
    if next_offset > len(data):
        raise OscParseError(f"string padding runs past the end at byte {offset}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OscParseError(f"string at byte {offset} is not UTF-8") from exc
    return text, next_offset


def _read_blob(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(data):
        raise OscParseError("truncated blob size")
    (size,) = _INT32.unpack_from(data, offset)
    start = offset + 4
    if size < 0 or start + size > len(data):
        raise OscParseError(f"blob of {size} bytes runs past the end")
    return data[start : start + size], start + ((size + 3) & ~3)


def _trailing_float_run(tags: str) -> int:
    """Length of the run of ``f`` tags at the end of ``tags``."""
    return len(tags) - len(tags.rstrip("f"))


def decode_message(data: bytes) -> OscMessage:
    """Decode one OSC message (not a bundle).

    Raises:
        OscParseError: the bytes are not a well-formed OSC 1.0 message.
    """
    if len(data) < 4 or len(data) % 4:
        raise OscParseError(f"message size {len(data)} is not a positive multiple of 4")
    address, offset = _read_string(data, 0)
    if not address.startswith("/"):
        raise OscParseError(f"address {address[:40]!r} does not start with '/'")
    if not address.isascii() or not address.isprintable() or " " in address:
        raise OscParseError("address must be printable ASCII without spaces")
    if offset >= len(data):
        raise OscParseError("missing type tag string")
    tag_string, offset = _read_string(data, offset)
    if not tag_string.startswith(","):
        raise OscParseError("type tag string must start with ','")
    tags = tag_string[1:]
    run = _trailing_float_run(tags)
    head = tags[: len(tags) - run]
    args: list[Value] = []
    for tag in head:
        if tag in _FIXED_SIZES:
            size = _FIXED_SIZES[tag]
            if offset + size > len(data):
                raise OscParseError(f"argument '{tag}' runs past the end")
            if tag == "i":
                args.append(_INT32.unpack_from(data, offset)[0])
            elif tag == "f":
                args.append(_FLOAT32.unpack_from(data, offset)[0])
            elif tag == "h":
                args.append(_INT64.unpack_from(data, offset)[0])
            elif tag == "d":
                args.append(_FLOAT64.unpack_from(data, offset)[0])
            else:  # timetag, char, rgba, midi: kept as raw bytes
                args.append(bytes(data[offset : offset + size]))
            offset += size
        elif tag == "s" or tag == "S":
            text, offset = _read_string(data, offset)
            args.append(text)
        elif tag == "b":
            blob, offset = _read_blob(data, offset)
            args.append(blob)
        elif tag in _NO_DATA:
            args.append(_NO_DATA[tag])
        else:
            raise OscParseError(f"unsupported type tag {tag!r}")
    tail = np.zeros(0, np.float32)
    if run:
        if offset + 4 * run > len(data):
            raise OscParseError(f"{run} float arguments run past the end")
        tail = np.frombuffer(data, dtype=">f4", count=run, offset=offset).astype(np.float32)
        offset += 4 * run
    if offset != len(data):
        raise OscParseError(f"{len(data) - offset} unexpected bytes after the arguments")
    return OscMessage(address, tags, tuple(args), tail)


def decode_packet(data: bytes, _depth: int = 0) -> list[OscMessage]:
    """Decode a datagram: a message, or a bundle whose messages are returned in order.

    Bundle time tags are ignored (everything applies on arrival): a future-dated bundle
    must never make the receiver wait.

    Raises:
        OscParseError: the bytes are not well-formed OSC.
    """
    if data[:8] != b"#bundle\x00":
        return [decode_message(data)]
    if _depth >= MAX_BUNDLE_DEPTH:
        raise OscParseError(f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
    if len(data) < 16:
        raise OscParseError("bundle shorter than its header")
    offset = 16
    messages: list[OscMessage] = []
    while offset < len(data):
        if offset + 4 > len(data):
            raise OscParseError("truncated bundle element size")
        (size,) = _INT32.unpack_from(data, offset)
        offset += 4
        if size <= 0 or size % 4 or offset + size > len(data):
            raise OscParseError(f"bad bundle element size {size}")
        messages.extend(decode_packet(data[offset : offset + size], _depth + 1))
        offset += size
    return messages


def _pad_string(text: str) -> bytes:
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OscBuildError(f"string is not valid Unicode text: {exc.reason}") from None
    if b"\x00" in raw:
        raise OscBuildError("OSC strings cannot contain NUL")
    return raw + b"\x00" * (4 - len(raw) % 4)


def encode_message(address: str, args: Iterable[Value | np.ndarray] = ()) -> bytes:
    """Encode an OSC message.

    Python ``int`` becomes ``i`` (32-bit), ``float`` becomes ``f``, ``str`` ``s``, ``bool``
    ``T``/``F``, ``bytes`` ``b``; a 1-D numpy float array becomes a run of ``f`` (this is
    how audio is sent, as Max does).

    Raises:
        OscBuildError: for an address without '/', an int outside 32 bits, or an
            unsupported value.
    """
    if not address.startswith("/"):
        raise OscBuildError(f"address {address!r} must start with '/'")
    tags = [","]
    payload: list[bytes] = []
    for value in args:
        if isinstance(value, bool):
            tags.append("T" if value else "F")
        elif isinstance(value, (int, np.integer)):
            if not -(2**31) <= int(value) < 2**31:
                raise OscBuildError(f"int {value} does not fit in 32 bits")
            tags.append("i")
            payload.append(_INT32.pack(int(value)))
        elif isinstance(value, (float, np.floating)):
            tags.append("f")
            payload.append(_FLOAT32.pack(float(value)))
        elif isinstance(value, str):
            tags.append("s")
            payload.append(_pad_string(value))
        elif isinstance(value, bytes):
            tags.append("b")
            payload.append(_INT32.pack(len(value)) + value + b"\x00" * (-len(value) % 4))
        elif isinstance(value, np.ndarray):
            if value.ndim != 1:
                raise OscBuildError("only 1-D arrays can be sent as float lists")
            tags.append("f" * value.size)
            payload.append(value.astype(">f4").tobytes())
        elif value is None:
            tags.append("N")
        else:
            raise OscBuildError(f"cannot encode {type(value).__name__} as OSC")
    return _pad_string(address) + _pad_string("".join(tags)) + b"".join(payload)


def encode_bundle(messages: Sequence[bytes], timetag: int = 1) -> bytes:
    """Wrap encoded messages in a bundle (timetag 1 means "immediately")."""
    parts = [b"#bundle\x00", struct.pack(">Q", timetag)]
    for message in messages:
        parts.append(_INT32.pack(len(message)))
        parts.append(message)
    return b"".join(parts)
