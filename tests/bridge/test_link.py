"""Ableton Link: the arbitration with Live's transport (pure), and two real Link peers in
this process over multicast on loopback (aalink, the optional GPL extra)."""

from __future__ import annotations

import time

import pytest

from bridge.ingest.protocol import Transport
from bridge.ingest.receiver import Arrival
from bridge.ingest.service import BridgeService
from bridge.ingest.transport import TransportClock
from bridge.rig.link import ArbitratedClock, LinkFollower, LinkSession, LinkState
from tests.bridge.conftest import wait_for


def test_link_drives_the_clock_only_while_live_is_silent():
    arbiter = ArbitratedClock(TransportClock(), timeout=2.0)
    assert not arbiter.offer_link(0.0, LinkState(128.0, 3.0, peers=0))  # alone: nothing
    assert not arbiter.has_transport
    assert arbiter.offer_link(0.1, LinkState(128.0, 3.0, peers=1))
    state = arbiter.state(0.6)
    assert state.tempo == 128.0 and state.playing
    assert state.beat == pytest.approx(3.0 + 0.5 * 128.0 / 60.0)
    arbiter.update(1.0, tempo=100.0, playing=True, beat=40.0, numerator=3, denominator=4)
    assert not arbiter.offer_link(2.9, LinkState(128.0, 9.0, peers=1))  # Live wins
    assert arbiter.state(2.9).tempo == 100.0 and arbiter.state(2.9).numerator == 3
    assert arbiter.offer_link(3.1, LinkState(128.0, 9.0, peers=1))  # Live silent > 2 s
    assert arbiter.state(3.1).tempo == 128.0
    assert (arbiter.link_applied, arbiter.link_ignored) == (2, 2)
    # Any other beat source (a tempo tracker) goes through the same door, in its own metre.
    assert arbiter.offer(3.2, 90.0, 12.0, numerator=3, denominator=4)
    assert arbiter.state(3.2).bar_length == 3.0
    arbiter.update(3.3, tempo=100.0, playing=True, beat=50.0, numerator=4, denominator=4)
    assert not arbiter.offer(3.4, 90.0, 12.0)


@pytest.mark.slow
def test_two_link_peers_on_loopback_share_tempo_and_beat():
    pytest.importorskip("aalink", reason="aalink (the optional 'link' extra) is not installed")
    service = BridgeService(port=0)
    follower = LinkFollower(service)
    peer = LinkSession(tempo=90.0)
    with service, follower, peer:
        if not wait_for(lambda: peer.latest is not None and peer.latest.peers >= 1, 5.0):
            pytest.skip(
                "the two Link peers did not find each other in 5 s: Link discovers over "
                "multicast; turn it on for loopback (ip link set lo multicast on, as root)"
            )
        peer.propose_tempo(133.0)

        def following() -> bool:
            with service.lock:
                return service.clock.has_transport and (
                    abs(service.clock.state(time.monotonic()).tempo - 133.0) < 0.01
                )

        assert wait_for(following, 5.0)
        with service.lock:
            ours = service.clock.state(time.monotonic()).beat
        theirs = peer.latest.beat
        assert abs(ours - theirs) < 0.25  # both read ~30 times a second
        # Live's transport arrives: it wins over Link at once.
        service.ingest.apply(Arrival(time.monotonic(), event=Transport(100.0, True, 8.0, 4, 4)))
        time.sleep(0.2)
        with service.lock:
            assert service.clock.state(time.monotonic()).tempo == 100.0
    assert follower.status()["link_ignored"] > 0
