"""The .amxd container: layout, round trip, and a clear error for every malformed file."""

from __future__ import annotations

import json
import struct

import pytest

from max_device.amxd import DEVICE_TYPES, AmxdError, decode_device, encode_device, split_chunks

DOCUMENT = {
    "patcher": {
        "openinpresentation": 1,
        "boxes": [{"box": {"id": "obj-1", "maxclass": "comment", "text": "Café ♫"}}],
        "lines": [],
    }
}


def chunk(tag: bytes, data: bytes) -> bytes:
    return tag + struct.pack("<I", len(data)) + data


def device_bytes(ptch: bytes, *, kind: bytes = b"aaaa") -> bytes:
    return chunk(b"ampf", kind) + chunk(b"meta", bytes(4)) + chunk(b"ptch", ptch)


def test_layout_is_ampf_meta_ptch_little_endian() -> None:
    data = encode_device(DOCUMENT)
    assert data[:12] == b"ampf" + struct.pack("<I", 4) + b"aaaa"
    assert data[12:24] == b"meta" + struct.pack("<I", 4) + bytes(4)
    assert data[24:28] == b"ptch"
    (length,) = struct.unpack("<I", data[28:32])
    assert length == len(data) - 32
    assert data.endswith(b"\x00")
    assert json.loads(data[32:-1].decode("utf-8")) == DOCUMENT


@pytest.mark.parametrize("device_type", sorted(DEVICE_TYPES))
def test_round_trip_keeps_type_and_json(device_type: str) -> None:
    device = decode_device(encode_device(DOCUMENT, device_type=device_type))
    assert device.device_type == device_type
    assert device.meta == bytes(4)
    assert device.patcher == DOCUMENT


def test_chunks_split_in_order() -> None:
    tags = [c.tag for c in split_chunks(encode_device(DOCUMENT))]
    assert tags == [b"ampf", b"meta", b"ptch"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an .amxd device"),
        (b"RIFF" + bytes(20), "not an .amxd device"),
        (chunk(b"ampf", b"aaaa")[:10], "claims 4 bytes"),
        (chunk(b"ampf", b"aaaa") + b"met", "truncated chunk header"),
        (chunk(b"ampf", b"aaaa") + chunk(b"me\x00a", bytes(4)), "not 4 printable"),
        (chunk(b"ampf", b"aaaa") + chunk(b"meta", bytes(4)), "ampf, meta, ptch"),
        (device_bytes(b"{}\x00", kind=b"zzzz"), "unknown device type"),
        (device_bytes(b"mx@c" + bytes(40)), "frozen"),
        (device_bytes(json.dumps(DOCUMENT).encode()), "NUL-terminated"),
        (device_bytes(b"\xff\xfe{}\x00"), "not UTF-8"),
        (device_bytes(b'{"patcher": \n [1,\x00'), "not JSON"),
        (device_bytes(b'{"patcher": []}\x00'), "patcher document"),
        (device_bytes(b'{"patcher": {"boxes": []}}\x00'), '"lines"'),
    ],
)
def test_malformed_files_get_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(AmxdError, match=message):
        decode_device(data)


def test_json_errors_name_line_and_column() -> None:
    with pytest.raises(AmxdError, match=r"line 2 column \d+"):
        decode_device(device_bytes(b'{"patcher":\n {,}}\x00'))


def test_every_truncation_is_an_amxd_error() -> None:
    data = encode_device(DOCUMENT)
    for end in range(len(data)):
        with pytest.raises(AmxdError):
            decode_device(data[:end])


def test_encoding_refuses_what_live_could_not_load() -> None:
    with pytest.raises(AmxdError, match="unknown device type"):
        encode_device(DOCUMENT, device_type="video_effect")
    with pytest.raises(AmxdError, match="patcher document"):
        encode_device({"boxes": []})
