"""bridge.control: the selected layer, layer numbers, relative steps, the state a controller
sees, and feedback to registered controllers (pure logic, then real UDP on 127.0.0.1)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from bridge.control.feedback import (
    MESSAGES_PER_FRAME,
    FeedbackRegistry,
    FeedbackSender,
    changes,
)
from bridge.control.show_controls import ControlIO, ShowControls
from bridge.control.state import capture_state
from bridge.control.steps import StepError, stepped
from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import (
    LAYER_PROPS,
    MASTER_PROPS,
    SELECTED,
    FeedbackRegister,
    LayerControl,
    SelectLayer,
    interpret,
)
from bridge.ingest.registry import DeviceParams
from bridge.ingest.replies import Replier
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks, TrackInfo
from renderer.modes import BLEND_MODES

UUIDS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)]


def info(i: int, name: str, index: int) -> TrackInfo:
    return TrackInfo(i, UUIDS[i], name, 0x336699, index, True, DeviceParams(), 1)


def show(tracks=(("Kick", 0), ("Bass", 3), ("Keys", 7))) -> ShowControls:
    looks = Looks()
    looks.sync([info(i, name, index) for i, (name, index) in enumerate(tracks)])
    return ShowControls(LooksKeyboard(looks))


def osc(address: str, *args: object):
    return interpret(decode_message(encode_message(address, list(args))))


def test_steps_clamp_numbers_wrap_lists_and_toggle_switches() -> None:
    assert stepped(LAYER_PROPS["opacity"], 0.95, 0.1) == 1.0
    assert stepped(LAYER_PROPS["opacity"], 0.05, -0.1) == 0.0
    assert stepped(LAYER_PROPS["blend"], "normal", -1) == "plus-lighter"  # wraps
    assert stepped(LAYER_PROPS["blend"], "normal", 2) == "screen"
    assert stepped(LAYER_PROPS["mute"], False, -1) is True
    assert stepped(MASTER_PROPS["background"], 0xFFFFF0, 100) == 0xFFFFFF  # int, clamped
    with pytest.raises(StepError):
        stepped(LAYER_PROPS["style"], "squiggle", 1)


def test_layer_numbers_are_the_huds_and_not_lives_track_index() -> None:
    controls = show()
    looks = controls.looks
    # Layer 2 is the second from the bottom (Bass, Live's track 3), not Live's track 2.
    assert controls.apply(osc("/syn/layers/2/opacity", 0.25)) == 1
    assert looks.value(1, "opacity") == 0.25
    assert controls.apply(osc("/syn/layers/4/opacity", 0.25)) == 0  # only 3 layers
    # By Live's track index, the looks do it (ShowControls leaves it to them).
    assert controls.apply(osc("/syn/layer/7/opacity", 0.5)) is None
    # Keys 1…9 select the same numbers.
    controls.keyboard.apply("select-3")
    assert controls.state.selected == 0  # not published yet
    assert capture_state(controls.keyboard).selected == 3


def test_the_selected_layer_and_relative_steps() -> None:
    controls = show()
    looks, keyboard = controls.looks, controls.keyboard
    assert controls.apply(SelectLayer(2)) == 1
    assert keyboard.selected_layer() == 1
    controls.apply(osc("/syn/selected/opacity", "-", 0.3))
    assert looks.value(1, "opacity") == pytest.approx(0.7)
    before = BLEND_MODES.index(str(looks.value(1, "blend")))
    controls.apply(osc("/syn/selected/blend", "+", 1))
    assert looks.value(1, "blend") == BLEND_MODES[(before + 1) % len(BLEND_MODES)]
    controls.apply(osc("/syn/selected/mute", "+", 1))
    controls.apply(osc("/syn/selected/mute", "+", 1))
    controls.apply(osc("/syn/selected/solo", "+", 1))
    assert looks.value(1, "mute") is False and looks.value(1, "solo") is True
    # Stepping the selection wraps, and the key Tab moves the same selection.
    controls.apply(osc("/syn/select", "+", 2))
    assert keyboard.selected_layer() == 0
    keyboard.apply("select-previous")
    assert keyboard.selected_layer() == 2
    # Relative by name, and relative master properties.
    controls.apply(osc("/syn/layer/opacity", "Kick", "-", 0.5))
    assert looks.value(0, "opacity") == 0.5
    controls.apply(osc("/syn/master/composition", "+", 1))
    assert looks.composition == "grid"
    controls.apply(osc("/syn/master/trails", "+", 0.5))
    assert looks.master.trails == 0.5 and looks.master.trails_on
    controls.apply(osc("/syn/master/freeze", "+", 1))
    assert looks.master.freeze is True
    # A style cannot be stepped: counted, nothing changes.
    assert controls.apply(osc("/syn/selected/style", "+", 1)) == 0
    assert controls.counters["not_steppable"] == 1


def test_the_state_has_every_address_a_controller_sends_to() -> None:
    controls = show()
    controls.apply(SelectLayer(3))
    controls.apply(osc("/syn/layers/1/mute", 1))
    values = capture_state(controls.keyboard).values
    assert values["/syn/layers/count"] == 3
    assert [values[f"/syn/layers/{n}/name"] for n in (1, 2, 3)] == ["Kick", "Bass", "Keys"]
    assert values["/syn/layers/1/mute"] == 1 and values["/syn/layers/2/mute"] == 0
    assert values["/syn/select"] == 3 and values["/syn/selected/name"] == "Keys"
    assert values["/syn/selected/opacity"] == 1.0
    assert values["/syn/master/composition"] == "stage"
    # before the first bar: no motif, no section (told, so a surface can clear its labels)
    assert values["/syn/layers/1/motif"] == "" and values["/syn/structure/section"] == ""
    assert values["/syn/structure/bar"] == 0
    # Every value is one a controller may send back to the same address (the names and
    # the structure are only told).
    for address, value in values.items():
        if address.endswith(("/name", "/count", "/motif")) or "/structure/" in address:
            continue
        assert interpret(decode_message(encode_message(address, [value]))) is not None


def test_changes_send_what_differs_and_clear_vanished_names() -> None:
    sent = {
        "/syn/layers/2/name": "Bass",
        "/syn/layers/2/motif": "a'",
        "/syn/layers/2/opacity": 0.5,
        "/syn/layers/2/mute": 1,
        "/syn/layers/3/opacity": 0.0,  # already empty: nothing to clear
        "/syn/select": 1,
    }
    values = {"/syn/select": 1, "/syn/layers/count": 1}
    # Every label and fader of the layer that went clears: "", 0, 0.0 as it was typed.
    assert sorted(changes(sent, values)) == [
        ("/syn/layers/2/motif", ""),
        ("/syn/layers/2/mute", 0),
        ("/syn/layers/2/name", ""),
        ("/syn/layers/2/opacity", 0.0),
        ("/syn/layers/count", 1),
    ]


def test_the_registry_is_capped_and_registrations_expire() -> None:
    registry = FeedbackRegistry(cap=2, expiry=10.0, static=[("127.0.0.1", 9100)])
    assert registry.register("127.0.0.1", 9101, now=0.0)
    assert not registry.register("127.0.0.1", 9102, now=1.0)
    assert registry.counters["feedback_refused"] == 1
    assert registry.register("127.0.0.1", 9101, now=5.0)  # renewed
    registry.expire(14.0)
    assert ("127.0.0.1", 9101) in registry.controllers
    registry.expire(15.0)
    assert list(registry.controllers) == [("127.0.0.1", 9100)]  # static ones stay
    assert registry.handle(FeedbackRegister(9101), now=16.0).startswith("feedback: the")
    assert registry.counters["feedback_no_host"] == 1


def receive_all(sock: socket.socket) -> dict[str, object]:
    got = {}
    sock.settimeout(1.0)
    try:
        while True:
            message = decode_message(sock.recv(4096))
            got[message.address] = message.arguments()[0]
            sock.settimeout(0.2)
    except TimeoutError:
        pass
    return got


def test_registered_controllers_get_the_state_then_the_changes_over_udp() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    replier = Replier()
    try:
        registry = FeedbackRegistry()
        controls = show()
        controls.feedback = FeedbackSender(registry, replier)
        controls.apply(FeedbackRegister(port, host="127.0.0.1"), now=0.0)
        controls.publish(1.0)
        first = receive_all(listener)
        assert first["/syn/layers/count"] == 3
        assert first["/syn/layers/2/name"] == "Bass"
        assert first["/syn/select"] == 1 and first["/syn/selected/name"] == "Kick"
        assert first["/syn/master/opacity"] == pytest.approx(1.0)
        assert len(first) == len(controls.state.values)
        # A change goes out alone.
        controls.apply(osc("/syn/selected/opacity", 0.5))
        controls.publish(2.0)
        assert receive_all(listener) == {"/syn/layers/1/opacity": 0.5, "/syn/selected/opacity": 0.5}
        # A layer that goes: the count drops and its name clears.
        controls.looks.sync([info(0, "Kick", 0), info(1, "Bass", 3)])
        controls.looks.advance(0.0)
        controls.looks.advance(5.0)
        controls.publish(3.0)
        gone = receive_all(listener)
        assert gone["/syn/layers/count"] == 2 and gone["/syn/layers/3/name"] == ""
        assert replier.counters["feedback"] == len(first) + 2 + len(gone)
    finally:
        replier.close()
        listener.close()


def test_a_big_state_is_sent_over_several_frames() -> None:
    tracks = [(f"T{i}", i) for i in range(4)] * 8  # 32 layers, ~400 values
    looks = Looks()
    uuids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(len(tracks))]
    looks.sync(
        [
            TrackInfo(i, uuids[i], name, 0, n, True, DeviceParams(), 1)
            for i, (name, n) in enumerate(tracks)
        ]
    )
    controls = ShowControls(LooksKeyboard(looks))
    replier = Replier()
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        registry = FeedbackRegistry(static=[("127.0.0.1", listener.getsockname()[1])])
        controls.feedback = FeedbackSender(registry, replier)
        total = len(capture_state(controls.keyboard).values)
        assert total > MESSAGES_PER_FRAME
        controls.publish(1.0)
        assert registry.counters["feedback_deferred"] == total - MESSAGES_PER_FRAME
        controls.publish(2.0)
        assert len(receive_all(listener)) == total
    finally:
        replier.close()
        listener.close()


def test_a_show_without_feedback_or_midi_says_so() -> None:
    controls = ShowControls(LooksKeyboard(Looks()), ControlIO())
    assert controls.apply(FeedbackRegister(9000, host="127.0.0.1")) == 0
    assert "feedback is off" in controls.message
    assert controls.apply(osc("/syn/midi/learn", "mute")) == 0
    assert "--midi" in controls.message
    assert controls.apply(LayerControl(SELECTED, "opacity", 0.5)) == 0  # no layers


def test_keys_number_layers_in_the_scenes_order_even_on_ties() -> None:
    """Two tracks without a Live index share an order; the HUD lists them as the scene
    does (by arrival), so keys and layer numbers must follow the scene, not the keys' text."""
    looks = Looks()
    looks.sync([info(0, "A", -1), info(1, "B", -1), info(2, "C", 5)])
    scene_order = [1, 0]  # the scene has B before A, and does not have C yet
    keyboard = LooksKeyboard(looks, draw_order=lambda: scene_order)
    assert keyboard.layer_ids() == [1, 0, 2]
    keyboard.apply("select-1")
    assert keyboard.selected_layer() == 1
    assert capture_state(keyboard).layers[0].name == "B"
    assert LooksKeyboard(looks).layer_ids() == [2, 0, 1]  # without a scene: by order, key


def test_fractional_steps_move_lists_at_least_one_place_and_round_the_selection() -> None:
    blend = LAYER_PROPS["blend"]
    assert stepped(blend, "normal", 0.3) == BLEND_MODES[1]
    assert stepped(blend, "normal", -0.2) == BLEND_MODES[-1]
    assert stepped(blend, "normal", 1.6) == BLEND_MODES[2]
    assert stepped(blend, "normal", 0.0) == "normal"
    controls = show()
    controls.apply(osc("/syn/select", "+", 1.7))  # two places, not one
    assert controls.keyboard.selected_layer() == 2


def test_select_0_is_a_buttons_release_and_changes_nothing() -> None:
    controls = show()
    controls.apply(SelectLayer(2))
    assert controls.apply(osc("/syn/select", 0)) == 1
    assert controls.keyboard.selected_layer() == 1


def test_a_value_is_not_echoed_to_the_host_that_set_it() -> None:
    """A dragged TouchOSC fader must not get its own, older values back; another
    controller (another host) still follows."""
    here = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    here.bind(("127.0.0.1", 0))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.2", 0))
    replier = Replier()
    try:
        registry = FeedbackRegistry(static=[here.getsockname(), other.getsockname()])
        controls = show()
        controls.feedback = FeedbackSender(registry, replier)
        controls.publish(1.0)
        receive_all(here), receive_all(other)
        moved = osc("/syn/layers/2/opacity", 0.4)
        controls.apply(replace(moved, sender="127.0.0.1"))
        master = replace(osc("/syn/master/opacity", 0.5), sender="127.0.0.1")
        assert controls.apply(master) is None and controls.looks.apply(master)  # the looks'
        controls.publish(2.0)
        assert receive_all(here) == {}  # it set them: nothing comes back
        assert receive_all(other) == {
            "/syn/layers/2/opacity": pytest.approx(0.4),
            "/syn/master/opacity": 0.5,
        }
        assert registry.counters["feedback_quiet"] == 2
        # A relative step is not the controller's value: it is told the result.
        controls.apply(replace(osc("/syn/layers/2/opacity", "+", 0.1), sender="127.0.0.1"))
        controls.publish(3.0)
        assert receive_all(here) == {"/syn/layers/2/opacity": pytest.approx(0.5)}
    finally:
        replier.close()
        here.close()
        other.close()


def test_the_shows_control_counters_reach_the_session(tmp_path) -> None:
    from bridge.control.session import ControlOptions, ControlSession
    from bridge.ingest.service import BridgeService

    with BridgeService(port=0) as service:
        with ControlSession(ControlOptions(presets_dir=tmp_path), service) as session:
            controls = ShowControls(LooksKeyboard(show().looks), session.io)
            controls.apply(osc("/syn/selected/style", "+", 1))
            assert session.counters()["not_steppable"] == 1
        assert session.counters()["not_steppable"] == 1  # still there once closed


def test_learning_keeps_its_line_on_the_hud_until_a_control_moves() -> None:
    from bridge.control.midi_learn import MidiLearner
    from bridge.control.midi_map import MidiEvent

    class Ports:
        def __init__(self) -> None:
            self.events: list[MidiEvent] = []

        def take(self) -> list[MidiEvent]:
            events, self.events = self.events, []
            return events

        def send(self, changes) -> int:
            return 0

    ports, learner = Ports(), MidiLearner(clock=lambda: 0.0)
    controls = ShowControls(show().keyboard, ControlIO(learner=learner, midi=ports))
    controls.apply(osc("/syn/midi/learn", "mute"))
    for _ in range(3):  # frames pass: the line stays
        list(controls.incoming([]))
        controls.message = ""  # (whatever else the show said meanwhile)
        list(controls.incoming([]))
        assert "MIDI learn mute" in controls.message
    ports.events = [MidiEvent("note", 0, 36, 1.0, "pads")]
    list(controls.incoming([]))
    assert "note 36" in controls.message and learner.status == ""
