"""bridge.control.midi_map / midi_learn: scaling, presses, feedback, learning, the mapping
file, and the keyboard's L (pure logic: MidiEvents, no ports)."""

from __future__ import annotations

import json
from dataclasses import replace

import mido
import pytest

from bridge.control.midi_learn import LEARN_TIMEOUT, MidiLearner
from bridge.control.midi_map import (
    HOLD_SECONDS,
    MAPPINGS_FILE,
    KeyAction,
    Mapping,
    MidiEvent,
    MidiMap,
    MidiMapError,
    MidiSource,
    check_mappings,
    key_actions,
    load_mappings,
)
from bridge.control.midi_modes import guess_mode, ticks
from bridge.control.midi_port import event_from, message_for
from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import (
    LAYER_PROPS,
    MASTER_PROPS,
    SELECTED,
    LayerControl,
    MasterControl,
    ProtocolError,
    Selector,
    interpret,
)
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks
from renderer.modes import BLEND_MODES


def cc(number: int, value: int, channel: int = 0) -> MidiEvent:
    return MidiEvent("cc", channel, number, value / 127.0, "ctl")


def test_a_fader_scales_to_the_property_range_list_and_switch() -> None:
    midi = MidiMap()
    midi.bind(MidiSource("cc", 0, 7), "/syn/selected/opacity")
    midi.bind(MidiSource("cc", 0, 8), "/syn/layers/2/blend")
    midi.bind(MidiSource("cc", 0, 9), "/syn/master/freeze")
    midi.bind(MidiSource("pitchbend", 1, 0), "/syn/master/brightness")
    assert midi.events(cc(7, 127)) == [LayerControl(SELECTED, "opacity", 1.0)]
    assert midi.events(cc(7, 0)) == [LayerControl(SELECTED, "opacity", 0.0)]
    assert midi.events(cc(8, 127)) == [
        LayerControl(Selector("number", 2), "blend", BLEND_MODES[-1])
    ]
    assert midi.events(cc(8, 0))[0].value == BLEND_MODES[0]  # type: ignore[union-attr]
    assert midi.events(cc(9, 100)) == [MasterControl("freeze", True)]
    bend = midi.events(MidiEvent("pitchbend", 1, 0, 0.5))
    assert bend == [MasterControl("brightness", pytest.approx(2.0, abs=1e-6))]
    assert midi.events(cc(7, 64, channel=3)) == []  # another channel: not mapped


def test_buttons_fire_actions_once_per_press() -> None:
    midi = MidiMap()
    midi.bind(MidiSource("note", 0, 36), "mute")
    midi.bind(MidiSource("cc", 0, 20), "select-next")
    press = MidiEvent("note", 0, 36, 0.8)
    assert midi.events(press) == [KeyAction("mute")]
    assert midi.events(MidiEvent("note", 0, 36, 0.0)) == []  # note-off
    assert midi.events(cc(20, 127)) == [KeyAction("select-next")]
    assert midi.events(cc(20, 120)) == []  # still held
    assert midi.events(cc(20, 0)) == []
    assert midi.events(cc(20, 127)) == [KeyAction("select-next")]


def test_a_source_drives_one_target_and_targets_are_checked() -> None:
    midi = MidiMap()
    midi.bind(MidiSource("cc", 0, 7), "/syn/selected/opacity")
    midi.bind(MidiSource("cc", 0, 7), "/syn/master/opacity")
    assert [m.target for m in midi.mappings] == ["/syn/master/opacity"]
    for bad in ("/syn/selected/style", "/syn/layers/0/opacity", "/syn/selected/nope", "quit"):
        with pytest.raises(MidiMapError):
            midi.bind(MidiSource("cc", 0, 1), bad)
    assert midi.forget("/syn/master/opacity") == 1 and midi.mappings == []


def test_feedback_moves_controls_only_when_the_state_differs() -> None:
    midi = MidiMap()
    fader = midi.bind(MidiSource("cc", 0, 7), "/syn/selected/opacity")
    led = midi.bind(MidiSource("note", 0, 36), "mute")
    values = {"/syn/selected/opacity": 0.5, "/syn/selected/mute": 1}
    assert midi.feedback(values) == [(fader, 0.5), (led, 1.0)]
    assert midi.feedback(values) == []
    values["/syn/selected/mute"] = 0
    assert midi.feedback(values) == [(led, 0.0)]
    midi.events(cc(7, 127))  # the fader was moved there: no echo back
    assert midi.feedback({**values, "/syn/selected/opacity": 1.0}) == []


def test_learning_binds_the_first_control_moved_and_saves(tmp_path) -> None:
    path = tmp_path / MAPPINGS_FILE
    learner = MidiLearner(MidiMap(), path)
    learner.arm("opacity-up")
    assert learner.take([MidiEvent("note", 0, 40, 0.0)]) == []  # a note-off is no choice
    assert learner.armed == "opacity-up"
    assert learner.take([cc(7, 30)]) == []  # learnt, not applied
    assert learner.armed is None
    # A knob learnt for ↑ drives the selected layer's opacity itself, from its own port.
    # A knob on the selected layer's number gets pickup (a new layer's value, no jump).
    knob = Mapping(MidiSource("cc", 0, 7, "ctl"), "/syn/selected/opacity", pickup=True)
    assert learner.map.mappings == [knob]
    assert "CC 7 ch 1 on ctl" in learner.message
    # A pad learnt for ↑ fires the action.
    learner.arm("opacity-up")
    learner.take([MidiEvent("note", 9, 36, 1.0)])
    assert learner.take([MidiEvent("note", 9, 36, 1.0)]) == [KeyAction("opacity-up")]
    # Saved at once, and loaded back the same.
    assert load_mappings(path).mappings == learner.map.mappings
    data = json.loads(path.read_text())
    assert data["mappings"][1] == {
        "kind": "note",
        "channel": 10,
        "number": 36,
        "port": "",
        "target": "opacity-up",
        "mode": "absolute",
        "pickup": False,
    }
    assert learner.arm("no-such-action").startswith("MIDI learn:") and learner.armed is None


def test_mapping_files_are_checked_entry_by_entry(tmp_path) -> None:
    good = {"kind": "cc", "channel": 1, "number": 7, "target": "/syn/master/trails"}
    assert len(check_mappings({"synaesthete_midi": 1, "mappings": [good]}).mappings) == 1
    cases = {
        "mappings[0].channel": {**good, "channel": 0},
        "mappings[0].kind": {**good, "kind": "sysex"},
        "mappings[0].number": {**good, "number": 128},
        "mappings[0].target": {**good, "target": "/syn/master/nope"},
        "unknown key 'velocity'": {**good, "velocity": 3},
    }
    for where, entry in cases.items():
        with pytest.raises(MidiMapError, match=where.replace("[", r"\[").replace("]", r"\]")):
            check_mappings({"synaesthete_midi": 1, "mappings": [entry]})
    with pytest.raises(MidiMapError, match="synaesthete_midi must be 1"):
        check_mappings({"mappings": []})
    bad = tmp_path / "midi.mappings.json"
    bad.write_text("{not json")
    with pytest.raises(MidiMapError):
        load_mappings(bad)
    assert load_mappings(tmp_path / "absent.json").mappings == []


class Recorder:
    def __init__(self) -> None:
        self.armed: list[str] = []

    def arm(self, target: str) -> str:
        self.armed.append(target)
        return f"learn {target}"

    def cancel(self) -> str:
        return "cancelled"


def test_l_then_a_key_chooses_the_control_in_the_window() -> None:
    learner = Recorder()
    keyboard = LooksKeyboard(Looks(), learner=learner)
    assert keyboard.handle("l")
    assert "press the key" in keyboard.message
    assert keyboard.handle("up") and learner.armed == ["opacity-up"]
    assert keyboard.handle("l") and keyboard.handle("escape")  # Esc cancels, not quits
    assert keyboard.message == "cancelled"
    assert keyboard.handle("l") and keyboard.handle("p")  # the window's own: refused
    assert "cannot be mapped" in keyboard.message and learner.armed == ["opacity-up"]
    assert not keyboard.handle("p")  # afterwards P is the window's again
    plain = LooksKeyboard(Looks())
    assert plain.handle("l") and "--midi" in plain.message


def test_mido_messages_become_events_and_positions_become_messages() -> None:

    assert event_from(mido.Message("note_on", channel=9, note=36, velocity=127), "p") == (
        MidiEvent("note", 9, 36, 1.0, "p")
    )
    assert event_from(mido.Message("note_on", note=36, velocity=0)).value == 0.0
    assert event_from(mido.Message("note_off", note=36, velocity=64)).value == 0.0
    assert event_from(mido.Message("pitchwheel", pitch=-8192)).value == 0.0
    assert event_from(mido.Message("pitchwheel", pitch=8191)).value == 1.0
    assert event_from(mido.Message("control_change", control=1, value=127)).value == 1.0
    assert event_from(mido.Message("clock")) is None
    assert event_from(mido.Message("aftertouch", value=3)) is None
    fader = Mapping(MidiSource("cc", 2, 7), "/syn/master/opacity")
    assert message_for(fader, 0.5) == mido.Message("control_change", channel=2, control=7, value=64)
    bend = Mapping(MidiSource("pitchbend", 0, 0), "/syn/master/opacity")
    assert message_for(bend, 1.0).pitch == 8191 and message_for(bend, 0.0).pitch == -8192
    led = Mapping(MidiSource("note", 0, 36), "mute")
    assert message_for(led, 1.0).type == "note_on" and message_for(led, 0.0).type == "note_off"


def slow_event(target: str, position: float):
    """What the old path made: the OSC message a controller sends, encoded and parsed."""
    from bridge.control.midi_map import _scaled, target_arg

    value = _scaled(target_arg(target), position)
    return interpret(decode_message(encode_message(target, [value])))


def test_prebuilt_events_equal_a_controllers_messages_for_every_target() -> None:
    targets = [f"/syn/selected/{p}" for p in LAYER_PROPS if p != "style"]
    targets += [f"/syn/layers/3/{p}" for p in LAYER_PROPS if p != "style"]
    targets += [f"/syn/master/{p}" for p in MASTER_PROPS]
    targets += ["/syn/layer/5/opacity"]
    for number, target in enumerate(targets):
        midi = MidiMap()
        midi.bind(MidiSource("cc", 0, number % 128), target)
        for raw in (0, 1, 31, 63, 64, 100, 127):
            (fast,) = midi.events(cc(number % 128, raw))
            try:
                slow = slow_event(target, raw / 127.0)
            except ProtocolError:  # float32 made 0.99 a little more than trails' 0.99
                assert raw == 127 and fast.value == MASTER_PROPS["trails"].high, target
                continue
            assert type(fast.value) is type(slow.value), (target, raw)
            if isinstance(slow.value, float):  # OSC carried it as a float32
                assert fast.value == pytest.approx(slow.value, rel=1e-6, abs=1e-6)
                fast = replace(fast, value=slow.value)
            assert fast == slow, (target, raw)


def test_a_burst_of_one_fader_becomes_its_last_position_but_presses_all_count() -> None:
    midi = MidiMap()
    midi.bind(MidiSource("cc", 0, 7), "/syn/selected/opacity")
    midi.bind(MidiSource("cc", 0, 20), "select-next")
    burst = [cc(7, v) for v in range(0, 128, 4)] + [cc(20, 127), cc(20, 0), cc(20, 127)]
    burst.append(cc(7, 127))
    out = midi.take(burst)
    assert out == [
        KeyAction("select-next"),
        KeyAction("select-next"),
        LayerControl(SELECTED, "opacity", 1.0),
    ]
    assert midi.counters["midi_coalesced"] == len(range(0, 128, 4))


def test_relative_encoders_step_in_both_conventions() -> None:
    assert [ticks("relative", v) for v in (1, 3, 127, 125, 64, 0)] == [1, 3, -1, -3, -64, 0]
    assert [ticks("offset", v) for v in (65, 67, 63, 61, 64)] == [1, 3, -1, -3, 0]
    midi = MidiMap()
    midi.bind(MidiSource("cc", 0, 1), "/syn/selected/opacity", mode="relative")
    midi.bind(MidiSource("cc", 0, 2), "/syn/master/composition", mode="offset")
    midi.bind(MidiSource("cc", 0, 3), "select-next", mode="relative")
    assert midi.events(cc(1, 1)) == [LayerControl(SELECTED, "opacity", 0.01, True)]
    assert midi.events(cc(1, 126)) == [LayerControl(SELECTED, "opacity", -0.02, True)]
    assert midi.events(cc(2, 63)) == [MasterControl("composition", -1.0, True)]
    # Every tick counts: a frame's ticks add up to one step (not the last tick alone).
    (step,) = midi.take([cc(1, 1)] * 5 + [cc(1, 127)])
    assert step == LayerControl(SELECTED, "opacity", pytest.approx(0.04), True)
    # An encoder on a key action fires it to the right, its opposite to the left.
    assert midi.events(cc(3, 1)) == [KeyAction("select-next")]
    assert midi.events(cc(3, 127)) == [KeyAction("select-previous")]
    # An endless encoder has no position: no feedback for it.
    assert midi.feedback({"/syn/selected/opacity": 0.3}, now=10.0) == []


def test_learning_tells_an_encoder_from_a_knob(tmp_path) -> None:
    assert guess_mode(1, 1) == "relative" and guess_mode(65, 65) == "offset"
    assert guess_mode(1, 2) == "absolute" and guess_mode(40, 40) == "absolute"
    path = tmp_path / MAPPINGS_FILE
    learner = MidiLearner(MidiMap(), path, clock=lambda: 0.0)
    learner.arm("/syn/selected/opacity")
    assert learner.take([cc(7, 1), cc(7, 1)]) == [LayerControl(SELECTED, "opacity", 0.01, True)]
    assert learner.map.mappings[0].mode == "relative"
    assert load_mappings(path).mappings[0].mode == "relative"  # saved
    learner.arm("/syn/master/opacity")
    learner.take([cc(8, 30), cc(8, 31)])
    assert learner.map.mappings[-1].mode == "absolute"


def test_pickup_waits_until_the_knob_reaches_the_value() -> None:
    midi = MidiMap()
    knob = midi.bind(MidiSource("cc", 0, 7), "/syn/selected/opacity", pickup=True)
    assert knob.pickup
    assert midi.events(cc(7, 127))[0].value == 1.0  # nothing known yet: it takes over
    midi.feedback({"/syn/selected/opacity": 1.0}, now=10.0)
    # Another layer is selected: its opacity is 0.2, the knob is still at the top.
    midi.feedback({"/syn/selected/opacity": 0.2}, now=11.0)
    assert midi.events(cc(7, 110)) == [] and midi.events(cc(7, 90)) == []
    assert midi.counters["midi_pickup_waiting"] == 2
    # Crossing the value picks it up (no jump), then it follows.
    assert midi.events(cc(7, 20))[0].value == pytest.approx(20 / 127)
    assert midi.events(cc(7, 60))[0].value == pytest.approx(60 / 127)


def test_a_moved_control_gets_no_feedback_for_a_moment() -> None:
    midi = MidiMap()
    fader = midi.bind(MidiSource("cc", 0, 7), "/syn/selected/opacity")
    midi.events(cc(7, 64), now=100.0)
    values = {"/syn/selected/opacity": 0.9}
    assert midi.feedback(values, now=100.0 + HOLD_SECONDS / 2) == []  # the hand is on it
    assert midi.feedback(values, now=100.0 + HOLD_SECONDS * 2) == [(fader, 0.9)]


def test_learning_gives_up_after_a_while_and_says_so_until_then() -> None:
    clock = [0.0]
    learner = MidiLearner(MidiMap(), clock=lambda: clock[0])
    learner.arm("mute")
    assert "move a control" in learner.status
    clock[0] = LEARN_TIMEOUT + 1.0
    assert learner.take([]) == [] and learner.armed is None and learner.status == ""
    assert "stopped" in learner.message
    assert learner.take([MidiEvent("note", 0, 36, 1.0)]) == []  # not learnt any more


def test_every_key_action_can_be_learnt() -> None:
    actions = key_actions()
    assert {"colour-previous", "colour-next", "structure", "form", "select-9"} <= actions
    assert not actions & {"quit", "screenshot", "midi-learn", "toggle-hud"}


def test_a_mapping_from_a_port_matches_it_again_after_a_replug() -> None:
    midi = MidiMap()
    nano = "nanoKONTROL2:nanoKONTROL2 MIDI 1"
    midi.bind(MidiSource("cc", 0, 7, f"{nano} 20:0"), "/syn/master/opacity")
    again = MidiEvent("cc", 0, 7, 1.0, f"{nano} 24:0")
    assert midi.events(again) == [MasterControl("opacity", 1.0)]
    assert midi.events(MidiEvent("cc", 0, 7, 1.0, "other:port")) == []
    # Files from before ports were recorded (no port, mode, pickup) still load and match all.
    old = {"kind": "cc", "channel": 1, "number": 7, "target": "/syn/master/opacity"}
    loaded = check_mappings({"synaesthete_midi": 1, "mappings": [old]})
    assert loaded.events(MidiEvent("cc", 0, 7, 0.0, "any:port")) == [MasterControl("opacity", 0.0)]
    with pytest.raises(MidiMapError, match=r"mappings\[0\]\.mode"):
        check_mappings({"synaesthete_midi": 1, "mappings": [{**old, "mode": "spin"}]})
