"""MIDI learn through real MIDI ports: JACK MIDI under a dummy JACK server.

The test plays a controller: a JACK client with a virtual output (its knobs) and a virtual
input (its LEDs / motor faders), opened through mido's rtmidi backend with the JACK API. The
bridge's :class:`~bridge.control.midi_port.MidiPorts` connects to both as it would to a
hardware controller; a knob is learnt, moves a layer, and the layer's value comes back.
"""

from __future__ import annotations

import time

import mido
import pytest
import rtmidi

from bridge.control.midi_learn import MidiLearner
from bridge.control.midi_map import (
    HOLD_SECONDS,
    MAPPINGS_FILE,
    MidiMap,
    MidiSource,
    load_mappings,
)
from bridge.control.midi_port import (
    MidiPortError,
    MidiPorts,
    chosen_inputs,
    feedback_outputs,
    paired_outputs,
)
from bridge.control.show_controls import ControlIO, ShowControls
from bridge.ingest.protocol import SELECTED, LayerControl
from bridge.ingest.registry import DeviceParams
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks, TrackInfo
from tests.bridge.jack_server import dummy_server

JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"
UUID = "00000000-0000-4000-8000-000000000001"


def jack_midi_backend():
    """mido's rtmidi backend with the JACK API, or skip saying why not."""
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        pytest.skip("python-rtmidi was built without JACK support")
    return mido.Backend(JACK_BACKEND)


def pump(controls: ShowControls, until, timeout: float = 5.0) -> list:
    """Run the show's control intake (as each frame does) until ``until()`` holds."""
    taken: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in controls.incoming([]):
            taken.append(event)
            if controls.apply(event) is None:
                controls.looks.apply(event)
        if until():
            break
        time.sleep(0.01)
    return taken


@pytest.mark.slow
def test_a_knob_is_learnt_moves_the_layer_and_follows_it(tmp_path) -> None:
    backend = jack_midi_backend()
    with dummy_server(tmp_path):
        knobs = backend.open_output("knobs", virtual=True, client_name="controller")
        received: list = []
        leds = backend.open_input(
            "leds", virtual=True, client_name="controller", callback=received.append
        )
        ports = None
        try:
            # (JACK names the second client of one name "controller-01".)
            ports = MidiPorts(["controller:knobs"], outputs=[":leds"], backend=JACK_BACKEND)
            assert ports.input_names == ["controller:knobs"]
            assert [name.endswith(":leds") for name in ports.outputs] == [True]
            looks = Looks()
            looks.sync([TrackInfo(1, UUID, "Bass", 0, 0, True, DeviceParams(), 1)])
            path = tmp_path / MAPPINGS_FILE
            learner = MidiLearner(MidiMap(), path)
            controls = ShowControls(LooksKeyboard(looks), ControlIO(learner=learner, midi=ports))

            # Choose the control (↑: the selected layer's opacity), then turn a knob.
            learner.arm("opacity-up")
            for _ in range(50):  # JACK connects the ports on its own thread: keep turning
                knobs.send(mido.Message("control_change", control=7, value=10))
                pump(controls, lambda: learner.armed is None, timeout=0.1)
                if learner.armed is None:
                    break
            assert learner.armed is None, "the knob never arrived through JACK"
            assert load_mappings(path).mappings[0].target == "/syn/selected/opacity"

            # Turning it now moves the layer, through the same controls as OSC.
            knobs.send(mido.Message("control_change", control=7, value=64))
            taken = pump(controls, lambda: looks.value(1, "opacity") != 1.0)
            assert taken == [LayerControl(SELECTED, "opacity", pytest.approx(64 / 127))]
            assert looks.value(1, "opacity") == pytest.approx(64 / 127)

            # Another controller changes it: the knob's LED ring / motor fader follows
            # (once the hand is off it: a moved control is left alone for a moment).
            controls.apply(LayerControl(SELECTED, "opacity", 0.25))
            time.sleep(HOLD_SECONDS)
            controls.publish(1.0)
            deadline = time.monotonic() + 5.0
            while not received and time.monotonic() < deadline:
                time.sleep(0.01)
            feedback = [m for m in received if m.type == "control_change"]
            assert feedback and feedback[-1].control == 7
            assert feedback[-1].value == round(0.25 * 127)
            assert ports.counters["midi_dropped"] == 0
        finally:
            if ports is not None:
                ports.close()
            knobs.close()
            leds.close()


def test_a_missing_port_is_a_clear_error(tmp_path) -> None:
    backend = jack_midi_backend()
    del backend
    with dummy_server(tmp_path), pytest.raises(MidiPortError, match="no MIDI input matches"):
        MidiPorts(["no-such-controller"], backend=JACK_BACKEND)


def test_the_bridge_session_loads_saved_mappings_and_opens_the_ports(tmp_path) -> None:
    from bridge.control.session import ControlOptions, ControlSession
    from bridge.ingest.service import BridgeService

    jack_midi_backend()
    saved = MidiMap()
    saved.bind(MidiSource("cc", 0, 7), "/syn/master/opacity")
    saved.save(tmp_path / MAPPINGS_FILE)
    with dummy_server(tmp_path), BridgeService(port=0) as service:
        backend = mido.Backend(JACK_BACKEND)
        knobs = backend.open_output("knobs", virtual=True, client_name="controller")
        try:
            options = ControlOptions(
                midi=["controller"], midi_backend=JACK_BACKEND, presets_dir=tmp_path
            )
            with ControlSession(options, service) as session:
                assert session.io.learner is not None
                assert session.io.learner.map.mappings == saved.mappings
                assert session.midi.input_names == ["controller:knobs"]
            assert session.midi is None  # closed
        finally:
            knobs.close()


def test_which_ports_open_and_where_feedback_goes() -> None:
    ins = ["Midi Through:Midi Through Port-0 14:0", "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0"]
    ins.append("RtMidiOut Client:RtMidi output")  # the bridge's own port (JACK lists it)
    # Alone, --midi opens every input but loopbacks and our own ports (feedback loops).
    assert chosen_inputs(ins, []) == [ins[1]]
    # Named, by a part of the name in any case; a Through port only when asked for.
    assert chosen_inputs(ins, ["NANO"]) == [ins[1]]
    assert chosen_inputs(ins, ["through"]) == [ins[0]]
    outs = ["nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0", "Launchpad:Launchpad MIDI 1 24:0"]
    assert paired_outputs(ins[1], outs) == [outs[0]]  # the same name
    assert paired_outputs("controller:knobs", ["controller:leds", "other:x"]) == [
        "controller:leds"  # the same client (JACK, CoreMIDI)
    ]


def test_feedback_goes_to_the_controller_a_mapping_came_from() -> None:
    outs = ["nano:out", "pad:out", "lights:in"]
    assert feedback_outputs("nano:in", outs, []) == ["nano:out"]
    assert feedback_outputs("nano:in", outs, ["LIGHTS"]) == ["nano:out", "lights:in"]
    assert feedback_outputs("", outs, []) == outs  # a mapping from an older file: all


@pytest.mark.slow
def test_a_controller_unplugged_and_plugged_back_works_again(tmp_path, caplog) -> None:
    backend = jack_midi_backend()
    with dummy_server(tmp_path):
        knobs = backend.open_output("knobs", virtual=True, client_name="controller")
        ports = MidiPorts(["controller"], backend=JACK_BACKEND, rescan_seconds=None)
        try:

            def arrives(value: int) -> bool:
                for _ in range(100):  # JACK connects on its own thread: keep sending
                    knobs.send(mido.Message("control_change", control=7, value=value))
                    time.sleep(0.02)
                    if any(e.value == value / 127 for e in ports.take()):
                        return True
                return False

            assert arrives(10)
            knobs.close()  # unplugged
            ports.rescan()
            assert ports.input_names == [] and ports.counters["midi_port_lost"] == 1
            assert "gone" in caplog.text
            knobs = backend.open_output("knobs", virtual=True, client_name="controller")
            ports.rescan()  # plugged back in
            assert ports.input_names == ["controller:knobs"]
            assert ports.counters["midi_port_opened"] == 1
            assert arrives(20), "the controller's knob did not work again after re-plugging"
        finally:
            ports.close()
            knobs.close()


@pytest.mark.slow
def test_the_rescan_thread_follows_ports_by_itself(tmp_path) -> None:
    backend = jack_midi_backend()
    with dummy_server(tmp_path):
        knobs = backend.open_output("knobs", virtual=True, client_name="controller")
        ports = MidiPorts(["controller"], backend=JACK_BACKEND, rescan_seconds=0.2)
        try:
            knobs.close()
            deadline = time.monotonic() + 5.0
            while ports.input_names and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ports.input_names == []
            knobs = backend.open_output("knobs", virtual=True, client_name="controller")
            while not ports.input_names and time.monotonic() < deadline + 5.0:
                time.sleep(0.05)
            assert ports.input_names == ["controller:knobs"]
        finally:
            ports.close()
            knobs.close()
