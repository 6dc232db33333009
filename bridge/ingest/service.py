"""The bridge's receiving half as one object: socket thread + ingest thread + state.

``synaesthete bridge`` runs a :class:`BridgeService` and shows its snapshots; the live
pipeline reads windows and features from the same registry under :attr:`lock`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bridge.ingest.applier import Ingest
from bridge.ingest.heap import keep_large_blocks_mapped
from bridge.ingest.protocol import DEFAULT_HOST, DEFAULT_PORT
from bridge.ingest.receiver import Arrival, Receiver
from bridge.ingest.registry import DEFAULT_MAX_TRACKS, REMOVE_SECONDS, STALE_SECONDS, TrackRegistry
from bridge.ingest.replies import Replier
from bridge.ingest.transport import BeatState, TransportClock


@dataclass(frozen=True)
class TrackView:
    """A copy of one track's state for display (safe to read without the lock)."""

    uuid: str
    nonce: int
    name: str
    color: int
    track_index: int
    state: str
    level_db: float
    counters: dict[str, int]
    blend: str
    opacity: float
    style: str
    stream_rate: float


@dataclass(frozen=True)
class Snapshot:
    """The whole bridge at one instant."""

    time: float
    address: tuple[str, int]
    tracks: list[TrackView]
    counters: dict[str, int]
    datagrams: int
    transport: BeatState | None
    max_tracks: int
    queue_depth: int = 0
    extra: dict[str, str] = field(default_factory=dict)


class BridgeService:
    """Receives OSC, keeps the tracks; start it, read snapshots, stop it."""

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allow: Iterable[str] = (),
        max_tracks: int = DEFAULT_MAX_TRACKS,
        stale_seconds: float = STALE_SECONDS,
        remove_seconds: float = REMOVE_SECONDS,
    ) -> None:
        keep_large_blocks_mapped()  # tracks' rings come and go all night
        self.queue: queue.SimpleQueue[Arrival] = queue.SimpleQueue()
        self.registry = TrackRegistry(
            max_tracks=max_tracks, stale_seconds=stale_seconds, remove_seconds=remove_seconds
        )
        self.clock = TransportClock()
        self.receiver = Receiver(self.queue, host=host, port=port, allow=allow)
        self.replier = Replier()
        self.ingest = Ingest(self.queue, self.registry, self.clock, replier=self.replier)

    @property
    def lock(self) -> threading.Lock:
        return self.ingest.lock

    @property
    def address(self) -> tuple[str, int]:
        return self.receiver.address

    def start(self) -> BridgeService:
        self.ingest.start()
        self.receiver.start()
        return self

    def stop(self) -> None:
        self.receiver.stop()
        self.ingest.stop()
        self.replier.close()

    def __enter__(self) -> BridgeService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def counters(self) -> dict[str, int]:
        """Receive, ingest and registry counters in one dict (reasons from the protocol)."""
        total: Counter[str] = Counter()
        total.update(self.receiver.counters)
        total.update(self.ingest.counters)
        total.update(self.registry.counters)
        total.update(self.replier.counters)
        return dict(total)

    def stream_totals(self) -> dict[str, int]:
        """Per-stream counters (packets, lost, late, ...) summed over every track seen."""
        with self.lock:
            return self.registry.stream_totals()

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        with self.lock:
            tracks = [
                TrackView(
                    uuid=t.uuid,
                    nonce=t.nonce,
                    name=t.label,
                    color=t.meta.color,
                    track_index=t.meta.track_index,
                    state=t.state.value,
                    level_db=t.stream.level_db(),
                    counters=t.stream.counters.as_dict(),
                    blend=t.params.blend,
                    opacity=t.params.opacity,
                    style=t.params.style,
                    stream_rate=t.stream.stream_rate,
                )
                for t in self.registry.ordered()
            ]
            transport = self.clock.state(now) if self.clock.has_transport else None
        return Snapshot(
            time=now,
            address=self.address,
            tracks=tracks,
            counters=self.counters(),
            datagrams=self.receiver.datagrams,
            transport=transport,
            max_tracks=self.registry.max_tracks,
            queue_depth=self.queue.qsize(),
        )
