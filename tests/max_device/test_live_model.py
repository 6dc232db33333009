"""The device as Max and Live run it: UI objects, stored values, deferlow, the catch, the set.

Every test drives a :class:`~tests.max_device.max_world.MaxWorld`: the real script under
node inside a model of the patcher file, with Max's first-in-first-out low-priority queue,
what each UI object really outputs, Live's parameter limits, a catch that forgets audio
nobody polled within 100 ms, and several devices sharing one Global. Issue #11 lists the
faults these tests were written against.
"""

from __future__ import annotations

import math

import pytest

from bridge.ingest.protocol import UUID_PATTERN, Hello, Params, Pcm, Transport
from bridge.ingest.sequence import Action, SequenceTracker
from max_device.patcher import Patcher
from tests.max_device.conftest import bridge_events

STORED = "0f1e2d3c-4b5a-4697-8877-665544332211"
REPLY_PORT = 9001


def box_of(patcher: Patcher, longname: str) -> str:
    return next(p.box.id for p in patcher.parameters() if p.longname == longname)


def uuids(events) -> set[str]:
    return {event.uuid for event in events if hasattr(event, "uuid")}


def of_type(events, kind):
    return [event for event in events if isinstance(event, kind)]


# ------------------------------------------------------------------ 1. parameters Live can hold


def test_every_parameter_is_one_live_can_hold(patcher: Patcher) -> None:
    for param in patcher.parameters():
        name = param.longname
        assert param.type in (0, 1, 2, 3), f"{name}: unknown parameter type {param.type}"
        if param.type == 1:  # Live's Int holds 0-255 (Max names it "Int (0-255)")
            assert param.mmin is not None and param.mmax is not None, name
            assert 0 <= param.mmin <= param.mmax <= 255, f"{name}: an Int holds 0-255"
        if param.type == 2:
            assert param.enum and param.mmax == len(param.enum) - 1, name
        if param.type == 0:
            assert param.mmin is not None and param.mmax is not None, name
            assert math.isfinite(param.mmin) and math.isfinite(param.mmax), name
        if param.initial_enabled and param.type in (0, 1):
            (initial,) = param.initial
            assert param.mmin <= initial <= param.mmax, f"{name}: initial out of range"


@pytest.mark.parametrize("port", [9000, 9100, 40000, 65535])
def test_a_port_typed_into_the_port_box_reaches_udpsend(world, patcher, port) -> None:
    max_ = world()
    max_.load(0)
    max_.devices[0].user_sets(box_of(patcher, "Port"), port)
    assert max_.devices[0].udp["port"] == port
    # A set saved with that port sends to it after reloading.
    again = world(seed=2)
    again.load(0, {"Port": port})
    assert again.devices[0].udp["port"] == port


# ------------------------------------------------------------------ 2. what UI objects output


def test_a_host_typed_into_the_field_reaches_udpsend_and_is_stored(world, patcher) -> None:
    max_ = world()
    max_.load(0)
    host_field = patcher.only("textedit").id
    max_.devices[0].user_types(host_field, "192.168.1.20")
    max_.run(100)
    assert max_.devices[0].udp["host"] == "192.168.1.20"
    assert max_.stored(0, "Host") == ["192.168.1.20"]
    # Reopening the set restores it, into udpsend and into the field.
    again = world(seed=2)
    again.load(0, {"Host": "192.168.1.20", "Device ID": STORED})
    again.run(100)
    assert again.devices[0].udp["host"] == "192.168.1.20"
    assert [a.value for a in again.devices[0].shown[host_field]] == ["192.168.1.20"]


def test_every_control_reaches_the_bridge_through_its_object(world, patcher) -> None:
    max_ = world()
    max_.load(0)
    device = max_.devices[0]
    device.user_sets(box_of(patcher, "Opacity"), 50.0)  # live.dial: a float
    device.user_sets(box_of(patcher, "Blend"), 3)  # live.menu: an index
    device.user_sets(box_of(patcher, "Style"), 1)
    device.user_sets(box_of(patcher, "Reactivity"), 2.5)
    max_.run(50)
    params = of_type(bridge_events(device), Params)[-1]
    assert (params.opacity, params.blend, params.style, params.gain) == (
        0.5,
        "overlay",
        "glyphs",
        2.5,
    )
    device.user_sets(box_of(patcher, "Stream"), 0)  # live.toggle: 0
    names = [type(e).__name__ for e in bridge_events(device) if not isinstance(e, Transport)]
    assert names[-2:] == ["Params", "Bye"]


# ------------------------------------------------------------------ 3. identity without loops


@pytest.mark.parametrize("restore_first", [True, False], ids=["restore-then-bang", "bang-first"])
def test_a_stored_uuid_settles_whatever_the_order(world, restore_first) -> None:
    max_ = world()
    max_.load(0, {"Device ID": STORED, "Host": "10.0.0.2"}, restore_first=restore_first)
    max_.run(3000)
    events = bridge_events(max_.devices[0])
    assert len(of_type(events, Hello)) <= 6, "a hello a second, not a storm"
    assert max_.eval(0, "device.uuid") == STORED
    assert max_.stored(0, "Device ID") == [STORED], "the stored value is the truth"
    assert max_.stored(0, "Host") == ["10.0.0.2"]
    assert max_.devices[0].udp["host"] == "10.0.0.2"
    late = events[len(events) // 2 :]
    assert uuids(late) == {STORED}, "it settled on the stored uuid"
    assert len([e for e in events if type(e).__name__ == "Bye"]) <= 1


def test_a_new_device_makes_one_uuid_and_stores_it_once(world) -> None:
    max_ = world()
    max_.load(0)
    max_.run(3000)
    (uuid,) = uuids(bridge_events(max_.devices[0]))
    assert UUID_PATTERN.match(uuid) and max_.stored(0, "Device ID") == [uuid]


def test_a_preset_with_another_host_takes_over_without_echo(world) -> None:
    max_ = world()
    max_.load(0, {"Device ID": STORED, "Host": "10.0.0.2"})
    max_.run(500)
    max_.load_preset(0, {"Device ID": STORED, "Host": "10.0.0.3"})
    max_.run(2000)
    assert max_.devices[0].udp["host"] == "10.0.0.3"
    assert max_.stored(0, "Host") == ["10.0.0.3"]
    assert uuids(bridge_events(max_.devices[0])) == {STORED}


def test_a_duplicated_device_gets_its_own_uuid_and_both_settle(world) -> None:
    max_ = world(instances=2)
    max_.load(0, {"Device ID": STORED})
    max_.load(1, {"Device ID": STORED})
    max_.run(3000)
    original, copy = (uuids(bridge_events(device)) for device in max_.devices)
    assert original == {STORED}
    assert len(copy) == 1 and STORED not in copy
    assert max_.stored(1, "Device ID") == list(copy), "the copy stores its own uuid"


def test_a_reloaded_set_keeps_its_uuid(world) -> None:
    max_ = world(instances=2)
    max_.load(0, {"Device ID": STORED})
    max_.run(1000)
    max_.delete(0)  # the set closes; the same Max loads it again
    max_.load(1, {"Device ID": STORED})
    max_.run(2000)
    assert uuids(bridge_events(max_.devices[1])) == {STORED}


# ------------------------------------------------------------------ 4. gaps are counted


def test_a_stall_longer_than_the_catch_buffer_skips_seq_by_the_lost_rows(world) -> None:
    max_ = world()
    max_.load(0)
    max_.play(0, 0.5)
    max_.run(500)
    max_.run(180, stalled=True)  # Live's main thread is busy saving the set
    max_.run(500)
    pcm = of_type(bridge_events(max_.devices[0]), Pcm)
    tracker = SequenceTracker()
    decisions = [tracker.decide(message.seq) for message in pcm]
    assert all(d.action is Action.ACCEPT for d in decisions)
    filled = sum(d.missing for d in decisions)
    lost_rows = max_.lost[0] / 256
    assert lost_rows > 3, "the stall overflowed the catch"
    assert abs(filled - lost_rows) <= 1, "the bridge fills (and counts) what was lost"


def test_without_a_stall_nothing_is_skipped(world) -> None:
    max_ = world(sample_rate=96000.0)
    max_.load(0)
    max_.play(0, 0.5)
    max_.run(1000)
    pcm = of_type(bridge_events(max_.devices[0]), Pcm)
    assert len(pcm) > 50 and max_.lost[0] == 0
    seqs = [message.seq for message in pcm]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


# ------------------------------------------------------------------ 5. one transport sender


def test_one_device_per_set_sends_transport_and_another_takes_over(world) -> None:
    max_ = world(instances=4)
    for k in range(4):
        max_.load(k)
    max_.run(1000)
    senders = [k for k, d in enumerate(max_.devices) if of_type(bridge_events(d), Transport)]
    assert len(senders) == 1, f"transport from {senders}"
    (leader,) = senders
    count = len(of_type(bridge_events(max_.devices[leader]), Transport))
    assert 25 <= count <= 35
    listening = [
        k
        for k, d in enumerate(max_.devices)
        if any(h.reply_port for h in of_type(bridge_events(d), Hello))
    ]
    assert listening == [leader], "the transport sender is the one listener"
    before = {k: len(of_type(bridge_events(d), Transport)) for k, d in enumerate(max_.devices)}
    max_.delete(leader)
    max_.run(2000)
    after = {k: len(of_type(bridge_events(d), Transport)) for k, d in enumerate(max_.devices)}
    new = [k for k in after if k != leader and after[k] > before[k]]
    assert len(new) == 1, "exactly one device took over"
    assert max_.bridge_replies(REPLY_PORT), "and listens in its place"


# ------------------------------------------------------------------ 7. liveness and silence


def test_the_status_says_whether_a_bridge_answers(world, patcher) -> None:
    max_ = world(instances=2)
    max_.load(0)
    max_.load(1)
    max_.play(0, 0.5)
    max_.play(1, 0.5)
    max_.run(1000)
    status = [d.status_text() for d in max_.devices]
    assert status == ["no bridge", "no bridge"]
    for _ in range(3):
        assert max_.bridge_replies(REPLY_PORT, tracks=2)
        max_.run(1000)
    assert [d.status_text() for d in max_.devices] == ["connected", "connected"]
    max_.run(4000)  # the bridge quit
    assert [d.status_text() for d in max_.devices] == ["no bridge", "no bridge"]


def test_a_silent_track_stops_sending_and_resumes_with_its_onset(world) -> None:
    max_ = world()
    max_.load(0)
    max_.play(0, 0.5)
    max_.run(500)
    max_.play(0, 0.0)  # the clip stops: digital silence
    max_.run(3000)
    sent = len(of_type(bridge_events(max_.devices[0]), Pcm))
    max_.run(1000)
    assert len(of_type(bridge_events(max_.devices[0]), Pcm)) == sent, "no silent pcm"
    max_.play(0, 0.5)
    max_.run(200)
    resumed = of_type(bridge_events(max_.devices[0]), Pcm)[sent:]
    assert len(resumed) >= 8
    seqs = [message.seq for message in resumed]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "no gap counted for silence"


def test_a_frozen_track_sends_no_audio(world) -> None:
    max_ = world()
    max_.load(0)
    max_.play(0, 0.5)
    max_.run(300)
    max_.freeze(0)
    sent = len(of_type(bridge_events(max_.devices[0]), Pcm))
    max_.run(2000)
    assert len(of_type(bridge_events(max_.devices[0]), Pcm)) == sent


def test_controls_follow_the_live_theme_and_explain_themselves(patcher: Patcher) -> None:
    controls = ("live.dial", "live.menu", "live.toggle", "live.numbox", "textedit")
    shown = [box for box in patcher.boxes.values() if box.raw.get("presentation") == 1]
    for box in shown:
        themed = box.raw.get("saved_attribute_attributes", {})
        if box.name in ("comment", "textedit"):
            expression = themed.get("textcolor", {}).get("expression", "")
            assert expression.startswith("themecolor.live_"), f"{box.id} {box.text!r}"
        if box.name in controls or box.raw.get("varname") == "status":
            assert box.raw.get("annotation"), f"{box.id} {box.name} has no Info View text"
            assert box.raw.get("annotation_name"), f"{box.id} {box.name} has no Info View title"
