"""bridge.ingest.protocol: layer numbers, the selected layer, relative steps, feedback
registration and MIDI learn addresses (issue 16)."""

from __future__ import annotations

import pytest

from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import (
    BAD_TYPES,
    BAD_VALUE,
    CONTROL_EVENTS,
    SELECTED,
    UNKNOWN_ADDRESS,
    FeedbackRegister,
    LayerControl,
    MasterControl,
    MidiLearn,
    ProtocolError,
    SelectLayer,
    Selector,
    interpret,
)


def event(address: str, *args: object):
    return interpret(decode_message(encode_message(address, list(args))))


def refused(address: str, *args: object) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        event(address, *args)
    return info.value


def test_layer_numbers_and_the_selected_layer() -> None:
    number_2 = Selector("number", 2)
    assert event("/syn/layers/2/opacity", 0.5) == LayerControl(number_2, "opacity", 0.5)
    assert event("/syn/layers/1/blend", 2) == LayerControl(Selector("number", 1), "blend", "screen")
    assert event("/syn/selected/mute", 1) == LayerControl(SELECTED, "mute", True)
    assert event("/syn/select", 3) == SelectLayer(3)
    # Layer numbers start at 1, as the HUD counts; 0 and 5 digits are not layer numbers.
    assert refused("/syn/layers/0/opacity", 0.5).reason == UNKNOWN_ADDRESS
    assert refused("/syn/layers/12345/opacity", 0.5).reason == UNKNOWN_ADDRESS
    # 0 changes nothing (a TouchOSC button's release), so it is no protocol error.
    assert event("/syn/select", 0) == SelectLayer(0)
    assert refused("/syn/select", -1).reason == BAD_VALUE
    assert event("/syn/select", "+", 1.7) == SelectLayer(2, True)  # rounded, not cut
    assert refused("/syn/layers/1/name", "x").reason == UNKNOWN_ADDRESS  # a reply only
    assert refused("/syn/layers/count", 3).reason == UNKNOWN_ADDRESS


def test_relative_steps_follow_a_plus_or_minus_string() -> None:
    assert event("/syn/selected/opacity", "+", 0.125) == LayerControl(
        SELECTED, "opacity", 0.125, True
    )
    assert event("/syn/layers/3/opacity", "-", 0.25) == LayerControl(
        Selector("number", 3), "opacity", -0.25, True
    )
    assert event("/syn/layer/opacity", "Bass", "-", 0.5) == LayerControl(
        Selector("name", "Bass"), "opacity", -0.5, True
    )
    # A step for a list property is a number of places, not an index into the list.
    assert event("/syn/layer/2/blend", "+", 1) == LayerControl(
        Selector("index", 2), "blend", 1.0, True
    )
    assert event("/syn/master/composition", "-", 1) == MasterControl("composition", -1.0, True)
    assert event("/syn/select", "+", 1) == SelectLayer(1, True)
    assert event("/syn/select", "-", 2) == SelectLayer(-2, True)
    # A step beyond the absolute range is fine (it is clamped where applied)...
    assert event("/syn/master/trails", "+", 5.0) == MasterControl("trails", 5.0, True)
    # ...but not an absurd or non-numeric one, nor another sign.
    assert refused("/syn/selected/opacity", "+", float("inf")).reason == BAD_VALUE
    assert refused("/syn/selected/opacity", "+", 1e9).reason == BAD_VALUE
    assert refused("/syn/selected/blend", "+", "overlay").reason == BAD_TYPES
    assert refused("/syn/selected/opacity", "*", 2.0).reason == BAD_TYPES
    assert refused("/syn/preset/load", "+", "drop").reason == BAD_TYPES  # no steps there


def test_feedback_and_midi_learn_messages() -> None:
    assert event("/syn/feedback/register", 9002) == FeedbackRegister(9002)
    assert event("/syn/feedback/unregister", 9002) == FeedbackRegister(9002, register=False)
    assert refused("/syn/feedback/register", 0).reason == BAD_VALUE
    assert event("/syn/midi/learn", "opacity-up") == MidiLearn("learn", "opacity-up")
    assert event("/syn/midi/learn", "/syn/selected/opacity") == MidiLearn(
        "learn", "/syn/selected/opacity"
    )
    assert event("/syn/midi/learn", "") == MidiLearn("learn", "")
    assert event("/syn/midi/forget", "mute") == MidiLearn("forget", "mute")
    assert refused("/syn/midi/learn", "Opacity Up!").reason == BAD_VALUE


def test_every_new_control_is_a_control_event() -> None:
    for address, args in (
        ("/syn/select", [1]),
        ("/syn/selected/opacity", [0.5]),
        ("/syn/feedback/register", [9002]),
        ("/syn/midi/learn", ["mute"]),
        ("/syn/master/trails", ["+", 0.1]),
    ):
        assert isinstance(event(address, *args), CONTROL_EVENTS)
