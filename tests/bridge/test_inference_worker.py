"""The inference worker's choice of when a track's picture is made, stepped by the test
(no thread, no sockets): packets applied straight to the bridge's registry."""

from __future__ import annotations

import numpy as np

from bridge.generate.analysis_feed import TrackAnalyser
from bridge.generate.style_cache import StyleCache
from bridge.generate.worker import InferenceWorker
from bridge.ingest.protocol import PROTOCOL_VERSION, Hello, Pcm
from bridge.ingest.service import BridgeService
from bridge.ingest.stream import TrackStream

RATE = 24000.0  # the device's stream: Live's 48 kHz decimated by 2
BLOCK = 256  # samples per pcm message
PERIOD = BLOCK / RATE
UUID = "12345678-1234-4234-8234-123456789abc"


class CountingInk:
    """A stand-in style: full ink, and a count of the windows it was asked to draw."""

    def __init__(self) -> None:
        self.windows = 0

    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        self.windows += len(windows)
        return np.full((len(windows), 64, 64), 255, np.uint8)


def frameless_packets(tone: np.ndarray, count: int) -> list[int]:
    """Which of the first ``count`` packets of ``tone`` complete no analysis frame."""
    stream, analyser, found = TrackStream(RATE), TrackAnalyser(), []
    for seq in range(count):
        stream.push_pcm(seq, tone[seq * BLOCK : (seq + 1) * BLOCK], float(seq))
        if analyser.pull(stream) == 0 and analyser.frame_arrival is not None:
            found.append(seq)
    return found


def test_a_track_waits_for_the_packet_that_completes_its_frame_and_no_longer() -> None:
    """A due track whose newest packet completed no analysis frame is not drawn from the
    frame before it: it goes with the next packet (its picture then shows that packet's
    audio), or, if none comes, once a hop and a half has passed."""
    tone = (0.3 * np.sin(np.arange(int(RATE)) * 2 * np.pi * 220 / RATE)).astype(np.float32)
    first, second = frameless_packets(tone, 60)[:2]
    service = BridgeService(port=0)  # not started: the test applies the packets itself
    style = CountingInk()
    styles = StyleCache(lambda name: style, "ink")
    styles.get("ink")
    worker = InferenceWorker(service, styles)
    worker.scheduler.target_hz = 1000.0  # a token every millisecond: the track is always due
    service.registry.apply(Hello(UUID, 1, PROTOCOL_VERSION, 2 * RATE, 2), now=4.0)
    key = (UUID, 1)

    def send_until(last: int, after: int = 0) -> float:
        for seq in range(after, last + 1):
            now = 5.0 + seq * PERIOD
            service.registry.apply(Pcm(UUID, 1, seq, tone[seq * BLOCK : (seq + 1) * BLOCK]), now)
        return now

    now = send_until(first - 2)
    assert worker.step(now) == 1  # the analyser starts and draws what it has
    # A frame waits undrawn, then a packet completes none: the track holds its picture back.
    now = send_until(first, after=first - 1)
    assert worker.step(now) == 0 and style.windows == 1
    assert worker.analysers[key].frame_pending(now)
    assert worker.step(now + 0.5 * PERIOD) == 0  # half a packet on, still waiting
    # The next packet completes the frame: drawn, from that packet's audio.
    now = send_until(first + 1, after=first + 1)
    assert worker.step(now) == 1 and style.windows == 2
    letter = worker.mailbox(key).take_new(0)
    assert letter is not None and letter.value.arrival == now
    # A frame waits, then a frameless packet is the last for a while: drawn all the same.
    now = send_until(second, after=first + 2)
    hop = 256 / 22050
    assert worker.step(now + 1.2 * hop) == 0
    assert worker.step(now + 1.6 * hop) == 1 and style.windows == 3
    letter = worker.mailbox(key).take_new(letter.version)
    assert letter is not None and letter.value.arrival == 5.0 + (second - 1) * PERIOD
