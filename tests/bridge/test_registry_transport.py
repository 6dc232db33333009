"""Track lifecycle with an injected clock, and the transport clock's extrapolation."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from bridge.ingest.protocol import Bye, Hello, Meta, Params, Pcm, ProtocolError
from bridge.ingest.registry import TrackRegistry, TrackState
from bridge.ingest.transport import CORRECTION_SECONDS, TIMEOUT_SECONDS, TransportClock

U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"


def pcm(uuid: str, nonce: int, seq: int) -> Pcm:
    return Pcm(uuid, nonce, seq, np.zeros(64, np.float32))


def test_tracks_are_created_by_hello_or_pcm_and_keyed_by_nonce() -> None:
    registry = TrackRegistry()
    registry.apply(Hello(U1, 1, 1, 48000.0, 2), now=0.0)
    registry.apply(pcm(U1, 2, 0), now=0.0)  # same uuid, another load (duplicated track)
    assert set(registry.tracks) == {(U1, 1), (U1, 2)}
    assert registry.tracks[(U1, 1)].stream.stream_rate == 24000.0


def test_meta_and_params_need_a_known_stream() -> None:
    registry = TrackRegistry()
    assert registry.apply(Meta(U1, 1, "Kick", 0xFF0000, 0), now=0.0) is None
    assert registry.counters["unknown_stream"] == 1
    registry.apply(pcm(U1, 1, 0), now=0.0)
    track = registry.apply(Meta(U1, 1, "Kick", 0xFF0000, 0), now=0.1)
    assert track is not None and track.label == "Kick" and track.meta.color == 0xFF0000


def test_params_version_changes_only_when_params_change() -> None:
    registry = TrackRegistry()
    registry.apply(pcm(U1, 1, 0), now=0.0)
    params = Params(U1, 1, 0.5, "overlay", "squiggle", 1.0, True)
    track = registry.apply(params, now=0.0)
    assert track is not None and track.params_version == 1
    registry.apply(params, now=1.0)  # the once-a-second resend
    assert track.params_version == 1
    registry.apply(Params(U1, 1, 0.7, "overlay", "squiggle", 1.0, True), now=2.0)
    assert track.params_version == 2 and track.params.opacity == 0.7


def test_silence_makes_stale_then_removes() -> None:
    registry = TrackRegistry(stale_seconds=2.0, remove_seconds=10.0)
    registry.apply(pcm(U1, 1, 0), now=0.0)
    registry.expire(now=1.9)
    assert registry.tracks[(U1, 1)].state is TrackState.LIVE
    registry.expire(now=2.1)
    assert registry.tracks[(U1, 1)].state is TrackState.STALE
    registry.apply(Hello(U1, 1, 1, 44100.0, 2), now=5.0)  # hello keeps it, still stale
    registry.expire(now=12.0)
    assert registry.tracks[(U1, 1)].state is TrackState.STALE
    registry.apply(pcm(U1, 1, 1), now=12.5)  # audio again: live
    assert registry.tracks[(U1, 1)].state is TrackState.LIVE
    registry.expire(now=23.0)
    assert not registry.tracks
    assert [t.uuid for t in registry.take_removed()] == [U1]
    assert registry.take_removed() == []
    assert registry.stream_totals()["packets"] == 2


def test_bye_removes_only_its_own_stream() -> None:
    registry = TrackRegistry()
    registry.apply(pcm(U1, 1, 0), now=0.0)
    registry.apply(pcm(U1, 2, 0), now=0.0)
    registry.apply(Bye(U1, 2), now=0.1)
    assert set(registry.tracks) == {(U1, 1)}
    registry.apply(Bye(U1, 99), now=0.2)
    assert registry.counters["unknown_stream"] == 1


def test_track_cap_refuses_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    registry = TrackRegistry(max_tracks=1)
    registry.apply(pcm(U1, 1, 0), now=0.0)
    with caplog.at_level(logging.WARNING):
        for seq in range(5):
            assert registry.apply(pcm(U2, 1, seq), now=0.1) is None
    assert registry.counters["refused"] == 5
    assert sum("track cap reached" in r.message for r in caplog.records) == 1


def test_refusals_are_attributed_to_their_stream() -> None:
    registry = TrackRegistry()
    registry.apply(pcm(U1, 1, 0), now=0.0)
    registry.count_error(ProtocolError("bad_types", "x", U1))
    registry.count_error(ProtocolError("bad_types", "x", None))
    assert registry.tracks[(U1, 1)].stream.counters.malformed == 1


def test_tracks_are_ordered_like_live() -> None:
    registry = TrackRegistry()
    for uuid, index in [(U1, 3), (U2, 1)]:
        registry.apply(pcm(uuid, 1, 0), now=0.0)
        registry.apply(Meta(uuid, 1, f"t{index}", 0, index), now=0.0)
    assert [t.meta.track_index for t in registry.ordered()] == [1, 3]


def playing(clock: TransportClock, now: float, beat: float, tempo: float = 120.0) -> None:
    clock.update(now, tempo=tempo, playing=True, beat=beat, numerator=4, denominator=4)


def test_beat_is_extrapolated_between_messages() -> None:
    clock = TransportClock()
    assert not clock.has_transport
    playing(clock, 10.0, 8.0)
    assert clock.state(10.25).beat == pytest.approx(8.5)
    assert clock.state(10.25).beat_phase == pytest.approx(0.5)
    assert clock.state(10.25).bar == 2


def test_small_errors_are_blended_not_jumped() -> None:
    clock = TransportClock()
    playing(clock, 0.0, 0.0)
    shown_before = clock.state(1.0).beat  # 2.0
    playing(clock, 1.0, 2.1)  # Live says we are 0.1 beat further
    assert clock.state(1.0).beat == pytest.approx(shown_before)
    halfway = clock.state(1.0 + CORRECTION_SECONDS / 2).beat
    expected_mid = 2.1 + (CORRECTION_SECONDS / 2) * 2 - 0.05
    assert halfway == pytest.approx(expected_mid)
    assert clock.state(1.0 + CORRECTION_SECONDS).beat == pytest.approx(2.1 + CORRECTION_SECONDS * 2)


def test_locates_and_stops_jump_and_timeouts_hold() -> None:
    clock = TransportClock()
    playing(clock, 0.0, 0.0)
    playing(clock, 1.0, 64.0)  # a locate
    assert clock.state(1.0).beat == pytest.approx(64.0)
    clock.update(2.0, tempo=120.0, playing=False, beat=66.0, numerator=7, denominator=8)
    state = clock.state(3.0)
    assert not state.playing and state.beat == 66.0 and state.bar_length == 3.5
    playing(clock, 4.0, 66.0)
    held = clock.state(4.0 + TIMEOUT_SECONDS + 5.0)
    assert not held.playing
    assert held.beat == pytest.approx(66.0 + TIMEOUT_SECONDS * 2)
