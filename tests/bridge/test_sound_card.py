"""Sound-card input without a sound card: channel specs, the real-time hand-off, the
virtual tracks' events through the real ingest, and device lookup."""

from __future__ import annotations

import queue

import numpy as np
import pytest

from bridge.ingest.applier import Ingest
from bridge.ingest.protocol import Bye, Hello, Meta, Params, Pcm
from bridge.ingest.receiver import Arrival
from bridge.ingest.registry import TrackRegistry
from bridge.ingest.transport import TransportClock
from bridge.rig.channels import InputSpecError, parse_input, short_device_name
from bridge.rig.handoff import BlockHandoff
from bridge.rig.sound_card import InputDevice, SoundCardError, find_input
from bridge.rig.virtual_tracks import VirtualTracks, decimate, decimation_for


# -- channel specs ---------------------------------------------------------------------------
def test_default_layout_is_stereo_pairs_with_an_odd_last_channel_alone():
    spec = parse_input("Scarlett")
    assert spec.device == "Scarlett" and spec.layout == "stereo"
    assert spec.resolve(5) == ((0, 1), (2, 3), (4,))
    assert parse_input("2:mono").resolve(3) == ((0,), (1,), (2,))


def test_groups_count_from_one_and_a_colon_inside_the_name_is_kept():
    spec = parse_input("HDA Intel PCH: ALC892 Analog (hw:0,0):1+2, 4")
    assert spec.device == "HDA Intel PCH: ALC892 Analog (hw:0,0)"
    assert spec.resolve(4) == ((0, 1), (3,))
    assert parse_input("hw:0,0:stereo").device == "hw:0,0"
    with pytest.raises(InputSpecError, match="give its index"):
        parse_input("hw:0,0")  # read as channels 0 and 0 of a device "hw"


@pytest.mark.parametrize("text", ["", ":1", "x:0", "x:1,1", "x:1+1", "x:2+3,3"])
def test_bad_specs_say_why(text):
    with pytest.raises(InputSpecError):
        parse_input(text)


def test_a_channel_the_device_lacks_is_refused():
    with pytest.raises(InputSpecError, match="has 2 input channel"):
        parse_input("x:3").resolve(2)
    with pytest.raises(InputSpecError, match="no input channels"):
        parse_input("x").resolve(0)


def test_short_device_names():
    assert short_device_name("HDA Intel PCH: ALC892 Analog (hw:0,0)") == "HDA Intel PCH"
    assert short_device_name("system") == "system"
    assert len(short_device_name("x" * 100)) == 24


# -- the hand-off ----------------------------------------------------------------------------
def test_handoff_keeps_order_and_drops_when_full_without_overwriting():
    handoff = BlockHandoff(slots=2, frames=3, channels=1)
    blocks = [np.full((3, 1), i, np.float32) for i in range(4)]
    assert [handoff.put(b) for b in blocks[:3]] == [True, True, False]
    assert handoff.dropped == 1 and handoff.pending == 2
    number, block = handoff.take()
    assert number == 0 and block[0, 0] == 0
    assert handoff.put(blocks[3])
    taken = [handoff.take(), handoff.take(), handoff.take()]
    assert [(n, int(b[0, 0])) for n, b in taken[:2]] == [(1, 1), (3, 3)]
    assert taken[2] is None
    assert not handoff.put(np.zeros((2, 1), np.float32)) and handoff.misshapen == 1


def test_taken_blocks_are_copies():
    handoff = BlockHandoff(slots=1, frames=2, channels=1)
    handoff.put(np.ones((2, 1), np.float32))
    _, block = handoff.take()
    handoff.put(np.zeros((2, 1), np.float32))
    assert block.sum() == 2.0


# -- virtual tracks --------------------------------------------------------------------------
@pytest.mark.parametrize(("rate", "factor"), [(48000, 2), (44100, 2), (96000, 4), (32000, 1)])
def test_decimation_keeps_the_stream_at_22k_or_above(rate, factor):
    assert decimation_for(rate) == factor
    assert rate / factor >= 22050 or factor == 1


def test_decimate_is_a_box_average():
    block = np.arange(8, dtype=np.float32).reshape(4, 2)
    assert decimate(block, 2).tolist() == [[1.0, 2.0], [5.0, 6.0]]
    with pytest.raises(ValueError):
        decimate(np.zeros((3, 1), np.float32), 2)


def test_events_describe_each_group_as_a_device():
    tracks = VirtualTracks("system", ((0, 1), (2,)), 48000, style="wave", nonce=7)
    events = tracks.announce()
    assert [type(e) for e in events] == [Hello, Meta, Params] * 2
    hello, meta, params = events[:3]
    assert hello.stream_rate == 24000 and hello.nonce == 7
    assert (meta.name, meta.track_index) == ("system 1/2", 0)
    assert events[4].name == "system 3" and events[4].color != meta.color
    assert params.style == "wave" and params.enabled
    again = VirtualTracks("system", ((0, 1), (2,)), 48000)
    assert [t.uuid for t in again.tracks] == [t.uuid for t in tracks.tracks]  # stable
    assert [type(e) for e in tracks.bye()] == [Bye, Bye]


def test_blocks_reach_the_rings_through_the_real_ingest_and_drops_become_silence():
    """Left = 1, right = 3 on a pair, 5 on channel 3: the pair's ring holds their mean (2),
    decimated; a block the hand-off dropped is filled with silence and counted as lost."""
    tracks = VirtualTracks("card", ((0, 1), (2,)), 48000)
    registry = TrackRegistry()
    ingest = Ingest(queue.SimpleQueue(), registry, TransportClock())
    for event in tracks.announce():
        ingest.apply(Arrival(0.0, event=event))
    handoff = BlockHandoff(slots=2, frames=512, channels=3)
    block = np.tile(np.array([1.0, 3.0, 5.0], np.float32), (512, 1))
    handoff.put(block)
    handoff.put(block)
    handoff.put(block)  # dropped: both slots unread
    for _ in range(2):
        number, taken = handoff.take()
        for event in tracks.pcm(number, taken):
            ingest.apply(Arrival(0.01, event=event))
    handoff.put(block)
    number, taken = handoff.take()
    assert number == 3
    for event in tracks.pcm(number, taken):
        assert isinstance(event, Pcm) and event.samples.shape == (256,)
        ingest.apply(Arrival(0.02, event=event))
    pair, single = registry.ordered()
    assert pair.meta.name == "card 1/2" and pair.stream.stream_rate == 24000
    assert pair.stream.counters.lost == 1 and pair.stream.counters.packets == 3
    audio = pair.stream.ring.latest(4 * 256)
    assert np.all(audio[:512] == 2.0) and np.all(audio[512:768] == 0.0)
    assert np.all(audio[768:] == 2.0)
    assert np.all(single.stream.ring.latest(256) == 5.0)


# -- device lookup ---------------------------------------------------------------------------
DEVICES = [
    InputDevice(0, "HDA Intel PCH: ALC892 Analog (hw:0,0)", "ALSA", 2, 44100.0),
    InputDevice(3, "Scarlett 18i20 USB", "ALSA", 18, 48000.0, is_default=True),
    InputDevice(5, "Scarlett 2i2 USB", "ALSA", 2, 48000.0),
]


def test_devices_are_found_by_index_name_or_default():
    assert find_input("3", DEVICES).name == "Scarlett 18i20 USB"
    assert find_input("2i2", DEVICES).index == 5
    assert find_input("default", DEVICES).index == 3
    with pytest.raises(SoundCardError, match="several"):
        find_input("scarlett", DEVICES)
    with pytest.raises(SoundCardError, match="index 4"):
        find_input("4", DEVICES)
    with pytest.raises(SoundCardError, match="no input device named"):
        find_input("motu", DEVICES)
