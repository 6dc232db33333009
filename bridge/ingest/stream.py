"""One device's audio stream as received: sequence handling, clean-up, a ring of samples.

A :class:`TrackStream` is pure logic driven by the ingest thread and deliberately cheap
(tens of microseconds per pcm message): it repairs and counts what UDP did to the stream
and keeps the last seconds of audio at the device's rate. Turning that audio into analysis
windows is the consumer's job (:mod:`bridge.generate.analysis_feed`), done at the rate pictures are
generated rather than once per packet.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

import numpy as np

from bridge.ingest.ring import RingBuffer
from bridge.ingest.sequence import Action, SequenceTracker

#: Samples beyond this magnitude are clipped (Live allows headroom above 0 dBFS).
CLIP_LIMIT = 16.0
#: Seconds of audio each track keeps; a consumer may fall this far behind without loss.
RING_SECONDS = 4.0
#: Highest stream rate the ring is sized for (Live at 192 kHz ÷ 4).
MAX_STREAM_RATE = 48000.0
#: Assumed stream rate before a hello says otherwise: Live at 44.1 kHz ÷ 2.
DEFAULT_STREAM_RATE = 22050.0
#: pcm messages whose ends and arrivals a stream remembers (a second's worth at 256 samples
#: and 24 kHz; a reader pulls many times a second).
PACKETS_KEPT = 96


@dataclass
class StreamCounters:
    """What happened to one stream's pcm messages."""

    packets: int = 0  # pcm messages accepted
    samples: int = 0  # samples accepted (at the device's rate)
    lost: int = 0  # messages missing, filled with silence
    late: int = 0  # dropped: arrived after their gap was filled
    duplicate: int = 0  # dropped: already received
    malformed: int = 0  # messages for this stream the protocol layer refused
    resets: int = 0  # sequence restarts
    nonfinite: int = 0  # NaN/Inf samples replaced by 0
    clipped: int = 0  # samples clipped to ±CLIP_LIMIT

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sanitise(samples: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Replace NaN/Inf by 0 and clip to ±CLIP_LIMIT; return samples and both counts."""
    block = np.asarray(samples, dtype=np.float32)
    if block.size == 0 or float(np.abs(block).max()) <= CLIP_LIMIT:
        return block, 0, 0  # the usual case: two numpy calls (NaN fails the comparison)
    finite = np.isfinite(block)
    nonfinite = int(block.size - np.count_nonzero(finite))
    if nonfinite:
        block = np.where(finite, block, np.float32(0.0))
    over = np.abs(block) > CLIP_LIMIT
    clipped = int(np.count_nonzero(over))
    if clipped:
        block = np.clip(block, -CLIP_LIMIT, CLIP_LIMIT)
    return block, nonfinite, clipped


class TrackStream:
    """The received audio of one stream (uuid + nonce), at the device's rate.

    Attributes:
        ring: the newest samples; ``ring.total`` counts every sample ever appended.
        epoch: bumped whenever the audio restarts (sequence reset, new rate), so a
            consumer knows to restart its own analysis from ``epoch_start``.
        epoch_start: ``ring.total`` at the start of the current epoch.
        last_arrival: arrival time of the newest accepted pcm message.
        packets: ``(ring.total after it, arrival)`` of the newest accepted pcm messages
            (at most :data:`PACKETS_KEPT`), so a reader can tell which message brought a
            given sample.
    """

    def __init__(self, stream_rate: float = DEFAULT_STREAM_RATE) -> None:
        self.counters = StreamCounters()
        self.sequence = SequenceTracker()
        self.ring = RingBuffer(int(RING_SECONDS * MAX_STREAM_RATE))
        self.stream_rate = float(stream_rate)
        self.epoch = 0
        self.epoch_start = 0
        self.last_arrival: float | None = None
        self.packets: deque[tuple[int, float]] = deque(maxlen=PACKETS_KEPT)

    def _restart(self) -> None:
        self.epoch += 1
        self.epoch_start = self.ring.total

    def set_stream_rate(self, rate: float) -> None:
        """Follow a hello announcing a (new) rate; a change restarts the audio."""
        if abs(rate - self.stream_rate) > 1e-6:
            self.stream_rate = float(rate)
            self._restart()

    def push_pcm(self, seq: int, samples: np.ndarray, arrival: float = 0.0) -> bool:
        """Take one pcm message in arrival order; return whether its audio was used."""
        decision = self.sequence.decide(seq)
        if decision.action is Action.DUPLICATE:
            self.counters.duplicate += 1
            return False
        if decision.action is Action.LATE:
            self.counters.late += 1
            return False
        if decision.action is Action.RESET:
            self.counters.resets += 1
            self._restart()
        block, nonfinite, clipped = sanitise(samples)
        self.counters.nonfinite += nonfinite
        self.counters.clipped += clipped
        if decision.missing:
            self.counters.lost += decision.missing
            self.ring.write(np.zeros(decision.missing * block.size, np.float32))
        self.ring.write(block)
        self.counters.packets += 1
        self.counters.samples += int(block.size)
        self.last_arrival = arrival
        self.packets.append((self.ring.total, arrival))
        return True

    def level_db(self, seconds: float = 0.1) -> float:
        """RMS level of the last ``seconds`` of audio in dBFS (-120 for silence)."""
        available = self.ring.total - self.epoch_start
        count = int(min(available, seconds * self.stream_rate, self.ring.capacity))
        if count <= 0:
            return -120.0
        recent = self.ring.latest(count).astype(np.float64)
        rms = float(np.sqrt(np.mean(recent**2)))
        return 20.0 * float(np.log10(max(rms, 1e-6)))
