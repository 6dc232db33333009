"""bridge.ingest.protocol: every v1 message, every refusal reason, and the doc agreeing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import (
    BAD_TYPES,
    BAD_VALUE,
    LAYER_PROPS,
    MASTER_PROPS,
    MESSAGES,
    UNKNOWN_ADDRESS,
    UNSUPPORTED_PROTOCOL,
    Bye,
    Hello,
    LayerControl,
    LayerReset,
    MasterControl,
    Meta,
    Params,
    Pcm,
    PresetControl,
    ProtocolError,
    Selector,
    Transport,
    interpret,
)
from bridge.simulate import device_messages as dm
from renderer.modes import BLEND_MODES

UUID = "5f0c6a1e-9b2d-4c1e-8f7a-0123456789ab"
DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def event(address: str, *args: object):
    return interpret(decode_message(encode_message(address, list(args))))


def refused(address: str, *args: object) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        event(address, *args)
    return info.value


def test_device_messages_as_the_device_sends_them() -> None:
    assert interpret(decode_message(dm.hello(UUID, 7, 48000.0, 2))) == Hello(UUID, 7, 2, 48000.0, 2)
    assert interpret(decode_message(dm.meta(UUID, 7, "Bass", 0x12AB34, 2))) == Meta(
        UUID, 7, "Bass", 0x12AB34, 2
    )
    assert interpret(decode_message(dm.params(UUID, 7, opacity=0.5, blend="overlay"))) == Params(
        UUID, 7, 0.5, "overlay", "squiggle", 1.0, True
    )
    pcm = interpret(decode_message(dm.pcm(UUID, 7, 2**31 + 5, np.ones(100))))
    assert isinstance(pcm, Pcm) and pcm.seq == 5 and pcm.samples.shape == (100,)
    assert interpret(decode_message(dm.bye(UUID, 7))) == Bye(UUID, 7)
    assert interpret(decode_message(dm.transport(124.0, True, 9.5, 7, 8))) == Transport(
        124.0, True, 9.5, 7, 8
    )


def test_uuid_in_addresses_is_case_insensitive() -> None:
    assert event(f"/syn/{UUID.upper()}/bye", 3) == Bye(UUID, 3)


def test_controls_by_selector_and_by_address() -> None:
    assert event("/syn/layer/opacity", "Bass", 0.25) == LayerControl(
        Selector("name", "Bass"), "opacity", 0.25
    )
    assert event("/syn/layer/opacity", 3, 1) == LayerControl(Selector("index", 3), "opacity", 1.0)
    assert event("/syn/layer/blend", UUID, "multiply") == LayerControl(
        Selector("uuid", UUID), "blend", "multiply"
    )
    assert event("/syn/layer/2/blend", 3) == LayerControl(
        Selector("index", 2), "blend", BLEND_MODES[3]
    )
    assert event(f"/syn/layer/{UUID}/mute", 1.0) == LayerControl(
        Selector("uuid", UUID), "mute", True
    )
    assert event("/syn/layer/reset", "Kick") == LayerReset(Selector("name", "Kick"))
    assert event("/syn/master/trails", 0.5) == MasterControl("trails", 0.5)
    assert event("/syn/master/freeze", True) == MasterControl("freeze", True)
    assert event("/syn/master/background", 0x102030) == MasterControl("background", 0x102030)
    assert event("/syn/preset/save", "drop-1") == PresetControl("save", "drop-1")


@pytest.mark.parametrize(
    "address, args, reason",
    [
        ("/other/thing", [1], UNKNOWN_ADDRESS),
        ("/syn/hello/extra", [], UNKNOWN_ADDRESS),
        ("/syn/not-a-uuid/pcm", [1, 2, 0.5], UNKNOWN_ADDRESS),
        (f"/syn/{UUID}/dance", [1], UNKNOWN_ADDRESS),
        (f"/syn/{UUID}/hello", [1], UNKNOWN_ADDRESS),
        ("/syn/layer/sparkle", ["Bass", 1.0], UNKNOWN_ADDRESS),
        ("/syn/layer/bass/opacity", [1.0], UNKNOWN_ADDRESS),
        ("/syn/master/volume", [1.0], UNKNOWN_ADDRESS),
        ("/syn/hello", [UUID, 1, 3, 44100.0, 2, 0], UNSUPPORTED_PROTOCOL),
        ("/syn/hello", [UUID, 1, 1, 44100.0], BAD_TYPES),
        ("/syn/hello", ["not-a-uuid", 1, 1, 44100.0, 2], BAD_VALUE),
        ("/syn/hello", [UUID, 0, 1, 44100.0, 2], BAD_VALUE),
        ("/syn/hello", [UUID, 1, 1, 1e9, 2], BAD_VALUE),
        ("/syn/hello", [UUID, 1, 1, 8000.0, 16], BAD_VALUE),
        ("/syn/hello", [UUID, 1.5, 1, 44100.0, 2], BAD_TYPES),
        (f"/syn/{UUID}/meta", [1, 5, 0, 0], BAD_TYPES),
        (f"/syn/{UUID}/meta", [1, "Bass", 0x1000000, 0], BAD_VALUE),
        (f"/syn/{UUID}/params", [1, 2.0, "normal", "squiggle", 1.0, 1], BAD_VALUE),
        (f"/syn/{UUID}/params", [1, 1.0, "sparkle", "squiggle", 1.0, 1], BAD_VALUE),
        (f"/syn/{UUID}/params", [1, 1.0, "normal", "../etc", 1.0, 1], BAD_VALUE),
        (f"/syn/{UUID}/params", [1, 1.0, "normal", "squiggle", 1.0, 2], BAD_VALUE),
        (f"/syn/{UUID}/pcm", [1, 2], BAD_TYPES),
        (f"/syn/{UUID}/pcm", [1, 2, "x"], BAD_TYPES),
        (f"/syn/{UUID}/pcm", [1, 2, np.zeros(513, np.float32)], BAD_TYPES),
        (f"/syn/{UUID}/pcm", [1, -1, np.zeros(8, np.float32)], BAD_VALUE),
        (f"/syn/{UUID}/pcm", [1.0, 2.0, 3.0], BAD_TYPES),
        (f"/syn/{UUID}/bye", [], BAD_TYPES),
        ("/syn/transport", [120.0, 1, 0.0, 4, 3], BAD_VALUE),
        ("/syn/transport", [5.0, 1, 0.0, 4, 4], BAD_VALUE),
        ("/syn/transport", [float("nan"), 1, 0.0, 4, 4], BAD_VALUE),
        ("/syn/transport", [120.0, 1, float("inf"), 4, 4], BAD_VALUE),
        ("/syn/layer/opacity", ["Bass"], BAD_TYPES),
        ("/syn/layer/opacity", ["Bass", 1.5], BAD_VALUE),
        ("/syn/layer/opacity", ["Bass", "loud"], BAD_TYPES),
        ("/syn/layer/opacity", [2.5, 1.0], BAD_VALUE),
        ("/syn/layer/opacity", [b"blob", 1.0], BAD_TYPES),
        ("/syn/layer/blend", ["Bass", 99], BAD_VALUE),
        ("/syn/layer/3/blend", [float("nan")], BAD_VALUE),
        ("/syn/layer/3/blend", [float("inf")], BAD_VALUE),
        ("/syn/layer/3/blend", [2.5], BAD_VALUE),
        ("/syn/layer/blend", ["Bass", "sparkle"], BAD_VALUE),
        ("/syn/master/trails", [1.0], BAD_VALUE),
        ("/syn/master/opacity", [], BAD_TYPES),
        ("/syn/preset/load", ["../../etc/passwd"], BAD_VALUE),
    ],
)
def test_refusals_name_their_reason(address: str, args: list, reason: str) -> None:
    assert refused(address, *args).reason == reason


def test_refusals_for_a_stream_carry_its_uuid() -> None:
    error = refused(f"/syn/{UUID}/pcm", 1, 2)
    assert error.uuid == UUID
    assert refused("/syn/layer/opacity", "Bass").uuid is None


def test_every_address_and_type_string_is_documented() -> None:
    text = DOC.read_text()
    for spec in MESSAGES:
        row = f"| `{spec.address.replace('|', chr(92) + '|')}` | `{spec.type_string}` |"
        assert row in text, f"docs/protocol.md lacks the row for {spec.name}: {row}"
    for prop in LAYER_PROPS:
        assert f"`{prop}`" in text
    for prop in MASTER_PROPS:
        assert f"`{prop}`" in text
    for mode in BLEND_MODES:
        assert f"`{mode}`" in text


def test_protocol_blend_choices_are_the_renderers() -> None:
    params = next(spec for spec in MESSAGES if spec.name == "params")
    blend = next(arg for arg in params.args if arg.name == "blend")
    assert blend.choices == BLEND_MODES


def test_hello_v2_carries_a_reply_port_and_v1_hellos_are_still_taken() -> None:
    assert event("/syn/hello", UUID, 7, 2, 48000.0, 2, 9001) == Hello(UUID, 7, 2, 48000.0, 2, 9001)
    assert event("/syn/hello", UUID, 7, 1, 44100.0, 2) == Hello(UUID, 7, 1, 44100.0, 2, 0)
    assert refused("/syn/hello", UUID, 7, 3, 48000.0, 2, 0).reason == UNSUPPORTED_PROTOCOL
    assert refused("/syn/hello", UUID, 7, 2, 48000.0, 2, 70000).reason == BAD_VALUE
    assert refused("/syn/hello", UUID, 7, 2, 48000.0).reason == BAD_TYPES
    assert refused("/syn/hello", UUID, 7, 2, 48000.0, 2, 0, 5).reason == BAD_TYPES


def test_an_upper_case_uuid_is_one_device_everywhere() -> None:
    upper = UUID.upper()
    assert event("/syn/hello", upper, 7, 2, 48000.0, 2, 0).uuid == UUID
    assert event(f"/syn/{upper}/meta", 7, "Bass", 0, 1).uuid == UUID
    assert event(f"/syn/{upper}/bye", 7) == Bye(UUID, 7)


def test_replies_are_not_taken_in() -> None:
    """``/syn/status`` goes from the bridge to a device; a bridge never accepts one."""
    assert refused("/syn/status", 2, 1).reason == UNKNOWN_ADDRESS


def test_every_input_spec_builds_its_event_from_the_table() -> None:
    """Each message a sender may send is described once, in MESSAGES, and interpreted from it."""
    taken = {spec.name for spec in MESSAGES if spec.build is not None}
    assert taken == {spec.name for spec in MESSAGES if spec.direction in ("device", "control")}
    replies = {"status", "layer_count", "layer_name", "selected_name"}
    replies |= {"layer_motif", "section", "bar"}  # the structure, told to controllers
    assert {spec.name for spec in MESSAGES if spec.direction == "reply"} == replies


def test_track_names_are_cut_and_escaped_not_refused() -> None:
    """A long name keeps its meta (colour, index) and is cut to the documented limit; control
    characters become visible escapes, letters and emoji stay."""
    meta = event(f"/syn/{UUID}/meta", 1, "x" * 300, 0x123456, 7)
    assert meta.name == "x" * 63 + "…" and (meta.color, meta.track_index) == (0x123456, 7)
    assert event(f"/syn/{UUID}/meta", 1, "Kick\nSnare", 0, 0).name == "Kick\\x0aSnare"
    assert event(f"/syn/{UUID}/meta", 1, "\x1b[31mRED", 0, 0).name == "\\x1b[31mRED"
    assert event(f"/syn/{UUID}/meta", 1, "Bässe – ベース 🥁", 0, 0).name == "Bässe – ベース 🥁"
    # A controller naming the track the way the device does reaches the same name.
    control = event("/syn/layer/opacity", "x" * 300, 0.5)
    assert control.selector == Selector("name", meta.name)
