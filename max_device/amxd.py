"""The ``.amxd`` container: pack a patcher into the bytes Live reads, and read them back.

An unfrozen Max for Live device is a run of chunks, each a 4-character ASCII tag, a
little-endian uint32 length and that many bytes of data:

- ``ampf`` (4 bytes): the device type, ``aaaa`` for an audio effect, ``mmmm`` for a MIDI
  effect, ``iiii`` for an instrument;
- ``meta`` (4 bytes): opaque; zeros are accepted;
- ``ptch`` (N bytes): the patcher JSON ``{"patcher": {...}}`` in UTF-8, NUL-terminated.

A *frozen* device carries an ``mx@c`` archive in ``ptch`` instead of JSON. We keep device
sources unfrozen in git (Ableton's own guideline), so this module only writes unfrozen
devices and refuses frozen ones with a clear error instead of guessing at the archive.

This module is pure: bytes in, values out, and the reverse. Files live in
:mod:`max_device.build` and :mod:`max_device.reader`.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

#: Device type codes of the ``ampf`` chunk, by the name Live shows.
DEVICE_TYPES: dict[str, bytes] = {
    "audio_effect": b"aaaa",
    "midi_effect": b"mmmm",
    "instrument": b"iiii",
}
_TYPE_NAMES = {code: name for name, code in DEVICE_TYPES.items()}

_HEADER = struct.Struct("<4sI")
_FROZEN_MAGIC = b"mx@c"
_REQUIRED_ORDER = (b"ampf", b"meta", b"ptch")


class AmxdError(ValueError):
    """Bytes that are not an unfrozen ``.amxd`` device, or a patcher that cannot be one."""


@dataclass(frozen=True)
class Chunk:
    """One tagged chunk of the container: ``tag`` (4 ASCII bytes) and its ``data``."""

    tag: bytes
    data: bytes


@dataclass(frozen=True)
class Device:
    """A parsed unfrozen device: its type name, the ``meta`` bytes and the patcher dict."""

    device_type: str
    meta: bytes
    patcher: dict[str, Any]


def split_chunks(data: bytes) -> list[Chunk]:
    """Cut ``data`` into its chunks without interpreting them.

    Raises:
        AmxdError: a header or a chunk runs past the end of ``data``, or a tag is not
            4 printable ASCII characters.
    """
    chunks: list[Chunk] = []
    offset = 0
    while offset < len(data):
        if offset + _HEADER.size > len(data):
            raise AmxdError(
                f"truncated chunk header at byte {offset}: {len(data) - offset} bytes left, "
                f"a header needs {_HEADER.size}"
            )
        tag, length = _HEADER.unpack_from(data, offset)
        if not all(0x20 < byte < 0x7F for byte in tag):
            raise AmxdError(f"chunk tag {tag!r} at byte {offset} is not 4 printable characters")
        start = offset + _HEADER.size
        if start + length > len(data):
            raise AmxdError(
                f"chunk {tag.decode('ascii')!r} at byte {offset} claims {length} bytes, "
                f"only {len(data) - start} remain (is the file truncated?)"
            )
        chunks.append(Chunk(tag, data[start : start + length]))
        offset = start + length
    return chunks


def encode_device(patcher: dict[str, Any], *, device_type: str = "audio_effect") -> bytes:
    """Return the bytes of an unfrozen device holding ``patcher``.

    Args:
        patcher: the whole patcher document, ``{"patcher": {...}}``.
        device_type: a key of :data:`DEVICE_TYPES`.

    Raises:
        AmxdError: unknown device type, or ``patcher`` is not a patcher document.
    """
    if device_type not in DEVICE_TYPES:
        known = ", ".join(DEVICE_TYPES)
        raise AmxdError(f"unknown device type {device_type!r}; use one of: {known}")
    _check_patcher_document(patcher)
    text = json.dumps(patcher, indent="\t", ensure_ascii=False)
    payload = text.encode("utf-8") + b"\x00"
    chunks = (
        Chunk(b"ampf", DEVICE_TYPES[device_type]),
        Chunk(b"meta", bytes(4)),
        Chunk(b"ptch", payload),
    )
    return b"".join(_HEADER.pack(chunk.tag, len(chunk.data)) + chunk.data for chunk in chunks)


def decode_device(data: bytes) -> Device:
    """Parse the bytes of an unfrozen device.

    Raises:
        AmxdError: not a device, a frozen device, or a ``ptch`` chunk that is not a
            NUL-terminated UTF-8 patcher JSON. The message says which and where.
    """
    if len(data) < _HEADER.size or data[:4] != b"ampf":
        raise AmxdError(f"not an .amxd device: expected chunk 'ampf' at byte 0, found {data[:4]!r}")
    chunks = split_chunks(data)
    tags = tuple(chunk.tag for chunk in chunks)
    if tags[: len(_REQUIRED_ORDER)] != _REQUIRED_ORDER:
        found = ", ".join(tag.decode("ascii", "replace") for tag in tags)
        raise AmxdError(f"expected chunks ampf, meta, ptch in that order; found {found}")
    ampf, meta, ptch = chunks[:3]
    device_type = _TYPE_NAMES.get(ampf.data)
    if device_type is None:
        raise AmxdError(
            f"unknown device type {ampf.data!r} in 'ampf' (expected aaaa, mmmm or iiii)"
        )
    if ptch.data.startswith(_FROZEN_MAGIC):
        raise AmxdError(
            "this device is frozen (its 'ptch' chunk is an mx@c archive); only unfrozen "
            "devices can be read. Unfreeze it in Max and save, or read its source .maxpat"
        )
    if not ptch.data.endswith(b"\x00"):
        raise AmxdError("the 'ptch' chunk is not NUL-terminated")
    try:
        text = ptch.data[:-1].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AmxdError(f"the 'ptch' chunk is not UTF-8 (byte {exc.start})") from exc
    try:
        patcher = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AmxdError(
            f"the 'ptch' chunk is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    _check_patcher_document(patcher)
    return Device(device_type, meta.data, patcher)


def _check_patcher_document(document: object) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("patcher"), dict):
        raise AmxdError('a patcher document is a JSON object {"patcher": {...}}')
    patcher = document["patcher"]
    for key in ("boxes", "lines"):
        if not isinstance(patcher.get(key), list):
            raise AmxdError(f'the patcher has no "{key}" list')
