"""The device's JavaScript under node, its messages followed through the patch to the bridge.

Each test runs a scenario (load, dials, matrices from jit.catch~, LOM changes, timers) in
tests/max_device/max_js_harness.js, plays the outlet calls through the patcher's own
route/pack/prepend wiring to udpsend (patch_sim.py), encodes what udpsend would send with
Max's typing, and checks each datagram with the bridge's validator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridge.ingest.protocol import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    MESSAGES,
    NONCE_RANGE,
    UUID_PATTERN,
    Bye,
    Hello,
    Meta,
    Params,
    Pcm,
    Transport,
)
from renderer.modes import BLEND_MODES
from tests.max_device.conftest import bridge_events, wire_bytes
from tests.max_device.js_runner import SONG_ID, TRACK_ID, Scenario, default_lom
from tests.max_device.patch_sim import PatchSimulator

FRAME = 256
PROTOCOL_DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def ramp_rows(rows: int, start: float = -0.9) -> list[list[float]]:
    """Distinct, exactly representable float32 samples, so equality checks are exact."""
    values = np.linspace(start, 0.9, rows * FRAME).astype(np.float32)
    return values.reshape(rows, FRAME).tolist()


def simulate(patcher, run, numbers: str = "integral-int", instance: int = 0) -> PatchSimulator:
    sim = PatchSimulator(patcher, numbers)
    sim.feed(run.emitted, instance)
    return sim


def of_type(events, kind):
    return [event for event in events if isinstance(event, kind)]


def test_a_loaded_device_speaks_protocol_v2(patcher, run_js) -> None:
    rows = ramp_rows(3)
    run = run_js(
        Scenario()
        .loaded(44100.0)
        .call("level", 0.5)
        .call("opacity", 50.0)
        .call("blend", 3)
        .call("style", 1)
        .call("reactivity", 2.5)
        .matrix("catch", rows)
        .call("jit_matrix", "catch")
        .advance(1000)
    )
    sim = simulate(patcher, run)
    events = bridge_events(sim)  # raises ProtocolError if the bridge would drop any

    (hello, *_) = of_type(events, Hello)
    assert UUID_PATTERN.match(hello.uuid)
    assert NONCE_RANGE[0] <= hello.nonce <= NONCE_RANGE[1]
    assert (hello.proto, hello.sample_rate, hello.decimation) == (2, 44100.0, 2)
    assert hello.reply_port == 9001, "a lone device is the set's listener"
    assert isinstance(events[0], Hello), "hello must come first"

    meta = of_type(events, Meta)[0]
    assert (meta.name, meta.color, meta.track_index) == ("Bass", 0xFF3300, 2)

    params = of_type(events, Params)[-1]
    assert params.opacity == pytest.approx(0.5)
    assert (params.blend, params.style, params.gain, params.enabled) == (
        "overlay",
        "glyphs",
        2.5,
        True,
    )

    pcm = of_type(events, Pcm)
    assert [message.seq for message in pcm] == [0, 1, 2]
    received = np.concatenate([message.samples for message in pcm])
    np.testing.assert_array_equal(received, np.asarray(rows, np.float32).ravel())

    transport = of_type(events, Transport)
    assert 25 <= len(transport) <= 35, "about 30 transport messages a second"
    assert transport[-1] == Transport(128.0, True, 33.5, 7, 8)

    # One identity throughout: every device message names the hello's uuid and nonce.
    for event in events:
        if hasattr(event, "nonce"):
            assert (event.uuid, event.nonce) == (hello.uuid, hello.nonce)
    # And the heartbeat repeats hello, meta and params after a second.
    assert len(of_type(events, Hello)) == 2


def test_wire_types_do_not_depend_on_how_max_types_js_numbers(patcher, run_js) -> None:
    run = run_js(
        Scenario()
        .loaded(48000.0)
        .call("level", 0.5)
        .call("opacity", 100.0)  # whole numbers where the protocol wants floats
        .call("reactivity", 1.0)
        .matrix("catch", [[0.0] * FRAME])  # digital silence: every sample a whole number
        .call("jit_matrix", "catch")
        .advance(100)
    )
    as_ints = simulate(patcher, run, "integral-int")
    as_floats = simulate(patcher, run, "float")
    assert [wire_bytes(d) for d in as_ints.sent] == [wire_bytes(d) for d in as_floats.sent]
    spec_tags = {spec.name: spec.type_string for spec in MESSAGES}
    for datagram in as_ints.sent:
        kind = datagram.address.rsplit("/", 1)[-1]
        expected = spec_tags[kind].replace("f…", "")
        assert datagram.tags.startswith(expected), (datagram.address, datagram.tags)
        if kind == "pcm":
            assert datagram.tags == "ii" + "f" * FRAME


def test_every_address_sent_is_documented(patcher, run_js) -> None:
    run = run_js(
        Scenario()
        .loaded()
        .call("level", 0.5)
        .matrix("catch", ramp_rows(1))
        .call("jit_matrix", "catch")
        .advance(40)
        .call("stream", 0)
    )
    documented = PROTOCOL_DOC.read_text(encoding="utf-8")
    kinds = set()
    for datagram in simulate(patcher, run).sent:
        template = datagram.address
        uuid = template.split("/")[2]
        if UUID_PATTERN.match(uuid):
            template = template.replace(uuid, "{uuid}")
        assert f"`{template}`" in documented, f"{template} is not in docs/protocol.md"
        kinds.add(template)
    assert kinds == {spec.address for spec in MESSAGES if spec.direction == "device"}


@pytest.mark.parametrize(
    ("rate", "decimation"),
    [(44100.0, 2), (48000.0, 2), (88200.0, 4), (96000.0, 4), (192000.0, 4)],
)
def test_decimation_follows_the_sample_rate(patcher, run_js, rate, decimation) -> None:
    sim = simulate(patcher, run_js(Scenario().loaded(rate)))
    hello = of_type(bridge_events(sim), Hello)[0]
    assert (hello.sample_rate, hello.decimation) == (rate, decimation)
    catch = patcher.only("jit.catch~")
    assert [atom.python() for atom in sim.dsp[catch.id]] == ["downsample", decimation]
    for biquad in patcher.named("biquad~"):
        assert len(sim.dsp[biquad.id]) == 5, "every anti-alias section gets coefficients"


def test_a_sample_rate_change_reannounces_the_stream(patcher, run_js) -> None:
    sim = simulate(patcher, run_js(Scenario().loaded(44100.0).call("samplerate", 96000.0)))
    hellos = of_type(bridge_events(sim), Hello)
    rates = [(h.sample_rate, h.decimation) for h in hellos]
    assert [r for i, r in enumerate(rates) if i == 0 or rates[i - 1] != r] == [
        (44100.0, 2),
        (96000.0, 4),
    ]
    assert hellos[0].nonce == hellos[1].nonce


def test_lowpass_sections_are_a_butterworth_filter(run_js) -> None:
    signal = pytest.importorskip("scipy.signal")
    rate, cutoff = 44100.0, 0.42 * 22050.0
    run = run_js(Scenario().eval(f"butterworthSections(4, {cutoff}, {rate})"))
    # biquad~: y = a0 x + a1 x1 + a2 x2 - b1 y1 - b2 y2
    sos = np.array([[a0, a1, a2, 1.0, b1, b2] for a0, a1, a2, b1, b2 in run.evals[0]])
    reference = signal.butter(8, cutoff, fs=rate, output="sos")
    freqs = np.linspace(0, rate / 2, 512)
    _, ours = signal.sosfreqz(sos, worN=freqs, fs=rate)
    _, theirs = signal.sosfreqz(reference, worN=freqs, fs=rate)
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), atol=1e-9)
    _, at_nyquist = signal.sosfreqz(sos, worN=[11025.0, 13000.0], fs=rate)
    assert 20 * np.log10(np.abs(at_nyquist)).max() < -10, "aliasing band must be attenuated"


def test_the_uuid_is_made_once_and_survives_rebangs(patcher, run_js) -> None:
    run = run_js(Scenario().loaded().call("bang").call("bang").eval("device.uuid"))
    sim = simulate(patcher, run)
    uuids = {event.uuid for event in bridge_events(sim) if hasattr(event, "uuid")}
    assert uuids == {run.evals[0]}
    assert [atom.value for atom in sim.stored["Device ID"]] == [run.evals[0]]


def test_a_stored_uuid_is_adopted_and_never_replaced(patcher, run_js) -> None:
    stored = "0f1e2d3c-4b5a-4697-8877-665544332211"
    run = run_js(Scenario().call("storeduuid", stored.upper()).loaded().call("bang"))
    events = bridge_events(simulate(patcher, run))
    assert {event.uuid for event in events if hasattr(event, "uuid")} == {stored}
    assert not of_type(events, Bye)


def test_a_uuid_restored_after_load_ends_the_temporary_stream(patcher, run_js) -> None:
    stored = "0f1e2d3c-4b5a-4697-8877-665544332211"
    run = run_js(Scenario().loaded().eval("device.uuid").call("storeduuid", stored))
    events = bridge_events(simulate(patcher, run))
    temporary = run.evals[0]
    bye = of_type(events, Bye)
    assert [b.uuid for b in bye] == [temporary]
    assert isinstance(events[-3], Hello) and events[-3].uuid == stored
    assert events.index(bye[0]) < len(events) - 3


def test_each_load_draws_a_new_nonce(run_js) -> None:
    nonces = {run_js(Scenario(seed=seed).eval("device.nonce")).evals[0] for seed in (1, 2, 3)}
    assert len(nonces) == 3
    assert all(1 <= nonce < 2**24 for nonce in nonces), "nonces stay exact in a float32"


def test_stream_off_says_goodbye_and_stops(patcher, run_js) -> None:
    run = run_js(
        Scenario()
        .loaded()
        .call("stream", 0)
        .matrix("catch", ramp_rows(1))
        .call("jit_matrix", "catch")
        .advance(2000)
        .call("stream", 1)
    )
    sim = simulate(patcher, run)
    events = bridge_events(sim)
    names = [type(event).__name__ for event in events]
    off = names.index("Bye")
    assert isinstance(events[off - 1], Params) and events[off - 1].enabled is False
    assert names[off + 1 :] == ["Hello", "Meta", "Params"], "silent while off, back when on"
    assert sim.status_text() == "no bridge"


@pytest.mark.parametrize("ending", ["enabled", "deleted"])
def test_disabling_or_deleting_the_device_sends_bye_once(patcher, run_js, ending) -> None:
    scenario = Scenario().loaded()
    scenario = scenario.call("enabled", 0) if ending == "enabled" else scenario.call("deleted")
    run = run_js(scenario.call("deleted").call("notifydeleted").advance(3000))
    events = bridge_events(simulate(patcher, run))
    assert [type(event).__name__ for event in events][-1] == "Bye"
    assert len(of_type(events, Bye)) == 1
    assert of_type(events, Bye)[0].nonce == of_type(events, Hello)[0].nonce


def test_rename_recolour_and_reorder_update_meta(patcher, run_js) -> None:
    run = run_js(
        Scenario()
        .loaded()
        .lom_set(TRACK_ID, "name", "Lead Synth")
        .lom_set(TRACK_ID, "color", 0x1188FF)
        .eval("lom.track.object.path = 'live_set tracks 5'")
        .lom_set(SONG_ID, "tracks", ["id", 9, "id", TRACK_ID])
    )
    metas = of_type(bridge_events(simulate(patcher, run)), Meta)
    seen = [(m.name, m.color, m.track_index) for m in metas]
    assert [m for i, m in enumerate(seen) if i == 0 or seen[i - 1] != m] == [
        ("Bass", 0xFF3300, 2),
        ("Lead Synth", 0xFF3300, 2),
        ("Lead Synth", 0x1188FF, 2),
        ("Lead Synth", 0x1188FF, 5),
    ]


def test_a_device_inside_a_rack_finds_its_track(patcher, run_js) -> None:
    lom = default_lom(name="Drums", index=0)
    objects = lom["objects"]
    objects["20"] = {
        "path": "live_set tracks 0 devices 0",
        "type": "RackDevice",
        "canonical_parent": TRACK_ID,
        "props": {},
    }
    objects["21"] = {
        "path": "live_set tracks 0 devices 0 chains 1",
        "type": "Chain",
        "canonical_parent": 20,
        "props": {"name": "Kick"},
    }
    objects["7"]["canonical_parent"] = 21
    meta = of_type(bridge_events(simulate(patcher, run_js(Scenario(lom=lom).loaded()))), Meta)[0]
    assert (meta.name, meta.track_index) == ("Drums", 0)


def test_outside_live_nothing_errors_and_defaults_hold(patcher, run_js) -> None:
    run = run_js(Scenario(lom=None).loaded().advance(100))
    events = bridge_events(simulate(patcher, run))
    meta = of_type(events, Meta)[0]
    assert (meta.name, meta.color, meta.track_index) == ("", 0, -1)
    assert of_type(events, Transport)[-1] == Transport(120.0, False, 0.0, 4, 4)


def test_bad_inputs_are_ignored(patcher, run_js) -> None:
    run = run_js(
        Scenario()
        .loaded()
        .call("blend", len(BLEND_MODES))
        .call("style", -1)
        .call("opacity", "loud")
        .eval("opacity(NaN); reactivity(Infinity); samplerate(-1); port(70000)")
        .call("hostname", "bad host!")
        .call("storeduuid", "not-a-uuid")
        .matrix("wide", [[0.1] * (FRAME + 1)])
        .call("jit_matrix", "wide")
        .eval("device.dropped")
    )
    sim = simulate(patcher, run)
    events = bridge_events(sim)
    assert len(of_type(events, Params)) == 1, "no bad value produced a params message"
    assert not of_type(events, Pcm)
    assert run.evals[-1] == 1, "the odd-sized matrix was dropped and counted"
    assert sim.udp == {"host": DEFAULT_HOST, "port": DEFAULT_PORT}
    host_field = patcher.only("textedit")
    assert [atom.value for atom in sim.shown[host_field.id]] == [DEFAULT_HOST]


def test_host_and_port_reach_udpsend_and_are_stored(patcher, run_js) -> None:
    run = run_js(Scenario().loaded().call("hostname", "192.168.1.20").call("port", 9100))
    sim = simulate(patcher, run)
    assert sim.udp == {"host": "192.168.1.20", "port": 9100}
    assert [atom.value for atom in sim.stored["Host"]] == ["192.168.1.20"]
    restored = simulate(patcher, run_js(Scenario().call("storedhost", "10.0.0.2").loaded()))
    assert restored.udp["host"] == "10.0.0.2"


def test_sequence_numbers_wrap_to_zero(patcher, run_js) -> None:
    run = run_js(
        Scenario()
        .loaded()
        .call("level", 0.5)
        .eval("device.seq = 2147483647")
        .matrix("catch", ramp_rows(2))
        .call("jit_matrix", "catch")
    )
    pcm = of_type(bridge_events(simulate(patcher, run)), Pcm)
    assert [message.seq for message in pcm] == [2147483647, 0]


def test_status_shows_connection_and_silence(patcher, run_js) -> None:
    heard = Scenario().loaded().call("reply", "/syn/status", 2, 1)
    loud = run_js(heard.call("level", 0.5))
    assert simulate(patcher, loud).status_text() == "connected"
    quiet = run_js(
        Scenario().loaded().call("level", 0.5).advance(2000).call("reply", "/syn/status", 2, 1)
    )
    assert simulate(patcher, quiet).status_text() == "connected, silent"
    gone = run_js(Scenario().loaded().call("reply", "/syn/status", 2, 1).advance(4000))
    assert simulate(patcher, gone).status_text() == "no bridge"
    off = run_js(Scenario().loaded().call("level", 0.5).call("enabled", 0))
    assert simulate(patcher, off).status_text() == "device off"


def test_a_copied_uuid_is_replaced_in_the_copy(patcher, run_js) -> None:
    # A duplicated track (or a default track, or a preset from another track) restores
    # the same stored uuid into a second device in the same Live.
    copied = "0f1e2d3c-4b5a-4697-8877-665544332211"
    scenario = Scenario(instances=2)
    scenario.use(0).call("storeduuid", copied).loaded()
    scenario.use(1).call("storeduuid", copied).loaded()
    run = run_js(scenario)
    original, copy = (simulate(patcher, run, instance=k) for k in (0, 1))
    assert {e.uuid for e in bridge_events(original) if hasattr(e, "uuid")} == {copied}
    fresh = {e.uuid for e in bridge_events(copy) if hasattr(e, "uuid")}
    assert len(fresh) == 1 and copied not in fresh and UUID_PATTERN.match(fresh.pop())
    assert copy.stored["Device ID"][0].value != copied, "the copy stores its new uuid"


def test_a_deleted_device_gives_its_uuid_back(patcher, run_js) -> None:
    # Delete a device, then undo: the re-created device keeps its identity.
    uuid = "0f1e2d3c-4b5a-4697-8877-665544332211"
    scenario = Scenario(instances=2)
    scenario.use(0).call("storeduuid", uuid).loaded().call("deleted")
    scenario.use(1).call("storeduuid", uuid).loaded()
    run = run_js(scenario)
    restored = bridge_events(simulate(patcher, run, instance=1))
    assert {e.uuid for e in restored if hasattr(e, "uuid")} == {uuid}


def test_a_claim_left_by_a_vanished_device_expires(patcher, run_js) -> None:
    # If Live frees a device without freebang, its claim goes stale instead of forcing
    # every later load of that uuid to become a new identity.
    uuid = "0f1e2d3c-4b5a-4697-8877-665544332211"
    scenario = Scenario(instances=2)
    scenario.use(0).call("storeduuid", uuid).loaded().eval("stopTimers()")
    scenario.use(1).advance(5000).call("storeduuid", uuid).loaded()
    restored = bridge_events(simulate(patcher, run_js(scenario), instance=1))
    assert {e.uuid for e in restored if hasattr(e, "uuid")} == {uuid}
