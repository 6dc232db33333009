"""bridge.ingest.osc_codec: byte literals in, values out; interop with python-osc."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from pythonosc.osc_message import OscMessage as PyOscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.ingest.osc_codec import (
    OscBuildError,
    OscParseError,
    decode_message,
    decode_packet,
    encode_bundle,
    encode_message,
)

# "/a" ,if 1 0.5 — written out by hand from the OSC 1.0 spec.
RAW_IF = b"/a\x00\x00" + b",if\x00" + b"\x00\x00\x00\x01" + b"\x3f\x00\x00\x00"


def test_decodes_a_hand_written_datagram() -> None:
    message = decode_message(RAW_IF)
    assert message.address == "/a"
    assert message.tags == "if"
    assert message.args == (1,)
    assert message.tail.tolist() == [0.5]
    assert message.arguments() == [1, 0.5]


def test_string_padding_exact_multiple_of_four_needs_four_nuls() -> None:
    raw = b"/abc\x00\x00\x00\x00" + b",s\x00\x00" + b"hey\x00"
    message = decode_message(raw)
    assert message.address == "/abc" and message.args == ("hey",)


def test_float_run_is_read_as_one_array() -> None:
    samples = np.linspace(-1, 1, 512, dtype=np.float32)
    data = encode_message("/syn/x/pcm", [7, 9, samples])
    assert len(data) == 12 + 516 + 8 + 2048  # address, tags, nonce+seq, floats
    message = decode_message(data)
    assert message.args == (7, 9)
    assert message.tail.dtype == np.float32
    np.testing.assert_array_equal(message.tail, samples)


def test_all_argument_types_round_trip() -> None:
    data = encode_message("/t", [1, -(2**31), 2.5, "ünï", b"\x01\x02\x03", True, False, None])
    message = decode_message(data)
    assert message.tags == "iifsbTFN"
    assert message.arguments() == [1, -(2**31), 2.5, "ünï", b"\x01\x02\x03", True, False, None]


def test_other_fixed_size_types_decode() -> None:
    raw = (
        b"/x\x00\x00"
        + b",hdc\x00\x00\x00\x00"
        + struct.pack(">q", 2**40)
        + struct.pack(">d", 0.1)
        + b"\x00\x00\x00A"
    )
    message = decode_message(raw)
    assert message.args[:2] == (2**40, 0.1)


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "multiple of 4"),
        (b"/a\x00", "multiple of 4"),
        (b"/abc", "unterminated"),
        (b"/a\x00\x00", "missing type tag"),
        (b"/a\x00\x00if\x00\x00", "must start with ','"),
        (b"xa\x00\x00,\x00\x00\x00", "start with '/'"),
        (b"/a\x00\x00,i\x00\x00", "runs past the end"),
        (b"/a\x00\x00,ff\x00" + b"\x00\x00\x00\x00", "past the end"),
        (b"/a\x00\x00,q\x00\x00", "unsupported type tag"),
        (b"/a\x00\x00,s\x00\x00\xff\xfe\x00\x00", "UTF-8"),
        (RAW_IF + b"\x00\x00\x00\x00", "unexpected bytes"),
        (b"/a\x00\x00,b\x00\x00\x00\x00\x00\x09abcd", "blob"),
        (b"/a b\x00\x00\x00\x00,\x00\x00\x00", "printable"),
    ],
)
def test_malformed_datagrams_raise_parse_errors(raw: bytes, reason: str) -> None:
    with pytest.raises(OscParseError, match=reason):
        decode_message(raw)


def test_bundles_flatten_in_order_and_nesting_is_bounded() -> None:
    a = encode_message("/a", [1])
    b = encode_message("/b", [2.0])
    bundle = encode_bundle([a, encode_bundle([b])])
    assert [m.address for m in decode_packet(bundle)] == ["/a", "/b"]
    nested = a
    for _ in range(6):
        nested = encode_bundle([nested])
    with pytest.raises(OscParseError, match="nested"):
        decode_packet(nested)
    with pytest.raises(OscParseError, match="element size"):
        decode_packet(b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 400) + a)


def test_encode_refuses_what_osc_cannot_carry() -> None:
    with pytest.raises(OscBuildError):
        encode_message("no-slash", [])
    with pytest.raises(OscBuildError):
        encode_message("/a", [2**31])
    with pytest.raises(OscBuildError):
        encode_message("/a", [object()])
    with pytest.raises(OscBuildError):
        encode_message("/a", ["nul\x00inside"])
    with pytest.raises(OscBuildError, match="Unicode"):
        encode_message("/a", ["\ud800"])  # a lone surrogate cannot be UTF-8


def test_python_osc_messages_decode_identically() -> None:
    builder = OscMessageBuilder(address="/syn/transport")
    for value, tag in [(124.0, "f"), (1, "i"), (17.25, "f"), (4, "i"), (4, "i")]:
        builder.add_arg(value, tag)
    message = decode_message(builder.build().dgram)
    assert message.tags == "fifii"
    assert message.arguments() == [124.0, 1, 17.25, 4, 4]


def test_our_messages_parse_in_python_osc() -> None:
    samples = np.array([0.25, -0.5, 1.0], dtype=np.float32)
    data = encode_message("/syn/u/pcm", [5, 6, samples])
    theirs = PyOscMessage(data)
    assert theirs.address == "/syn/u/pcm"
    assert theirs.params == [5, 6, 0.25, -0.5, 1.0]
