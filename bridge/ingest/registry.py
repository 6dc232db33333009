"""The live tracks: who is streaming, what they are called, and when they go away.

Pure logic with an injected clock: the ingest thread applies protocol events in arrival
order and calls :meth:`TrackRegistry.expire` now and then; tests drive the same calls with
made-up times. Keys are ``(uuid, nonce)`` (see docs/protocol.md, "Identity").
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from enum import Enum

from bridge.ingest.protocol import Bye, Hello, Meta, Params, Pcm, ProtocolError
from bridge.ingest.stream import StreamCounters, TrackStream
from models.paths import DEFAULT_STYLE
from renderer.modes import DEFAULT_BLEND_MODE

log = logging.getLogger(__name__)

StreamKey = tuple[str, int]

DEFAULT_MAX_TRACKS = 64
#: No pcm for this long: the track is stale and its layer fades.
STALE_SECONDS = 2.0
#: No message at all for this long: the track is removed.
REMOVE_SECONDS = 10.0
#: How many refused uuids are remembered so each is logged once.
_REFUSED_MEMORY = 1024
#: Removed tracks remembered for :meth:`TrackRegistry.take_removed` (their summaries only):
#: memory is bounded by the live tracks, never by how many have come and gone.
REMOVED_MEMORY = 64


class TrackState(Enum):
    LIVE = "live"
    STALE = "stale"


@dataclass
class TrackMeta:
    name: str = ""
    color: int = 0xFFFFFF
    track_index: int = -1


@dataclass
class DeviceParams:
    opacity: float = 1.0
    blend: str = DEFAULT_BLEND_MODE
    style: str = DEFAULT_STYLE
    gain: float = 1.0
    enabled: bool = True


@dataclass(frozen=True)
class RemovedTrack:
    """What is kept of a removed track: who it was, its counters, and why it went (its
    audio ring is released with the track)."""

    uuid: str
    nonce: int
    meta: TrackMeta
    stream_rate: float
    counters: StreamCounters
    why: str


@dataclass
class Track:
    """Everything the bridge knows about one stream."""

    uuid: str
    nonce: int
    stream: TrackStream
    created: float
    last_message: float
    last_pcm: float | None = None
    meta: TrackMeta = field(default_factory=TrackMeta)
    params: DeviceParams = field(default_factory=DeviceParams)
    #: Bumped whenever the device sends params that differ from its previous ones.
    params_version: int = 0
    has_hello: bool = False
    state: TrackState = TrackState.LIVE

    @property
    def key(self) -> StreamKey:
        return (self.uuid, self.nonce)

    @property
    def label(self) -> str:
        """Track name, or the start of the uuid before meta arrives."""
        return self.meta.name or self.uuid[:8]


class TrackRegistry:
    """Creates, updates and expires tracks from protocol events."""

    def __init__(
        self,
        *,
        max_tracks: int = DEFAULT_MAX_TRACKS,
        stale_seconds: float = STALE_SECONDS,
        remove_seconds: float = REMOVE_SECONDS,
    ) -> None:
        if max_tracks < 1:
            raise ValueError("max_tracks must be at least 1")
        self.max_tracks = max_tracks
        self.stale_seconds = stale_seconds
        self.remove_seconds = remove_seconds
        self.tracks: dict[StreamKey, Track] = {}
        self.counters: Counter[str] = Counter()
        self._refused_logged: set[str] = set()
        #: Stream counters summed over removed tracks (for totals across a session).
        self.retired: Counter[str] = Counter()
        #: The last removed tracks (at most REMOVED_MEMORY), for :meth:`take_removed`.
        self._removed: deque[RemovedTrack] = deque(maxlen=REMOVED_MEMORY)

    def __len__(self) -> int:
        return len(self.tracks)

    def _get_or_create(
        self, uuid: str, nonce: int, now: float, *, hello: bool = False
    ) -> Track | None:
        track = self.tracks.get((uuid, nonce))
        if track is not None:
            return track
        if len(self.tracks) >= self.max_tracks and hello:
            # A stream that never said hello (junk, or a device whose hello is still on its
            # way) never keeps out one that did: the longest-quiet of them makes room.
            unannounced = [t for t in self.tracks.values() if not t.has_hello]
            if unannounced:
                evicted = min(unannounced, key=lambda t: t.last_message)
                self.counters["evicted"] += 1
                self._remove(evicted, "never said hello; its place went to a device that did")
        if len(self.tracks) >= self.max_tracks:
            self.counters["refused"] += 1
            if uuid not in self._refused_logged and len(self._refused_logged) < _REFUSED_MEMORY:
                self._refused_logged.add(uuid)
                log.warning(
                    "track cap reached (%d live tracks): refusing stream %s; raise "
                    "--max-tracks or remove devices",
                    self.max_tracks,
                    uuid,
                )
            return None
        track = Track(uuid, nonce, TrackStream(), now, now)
        self.tracks[track.key] = track
        log.info("new track %s (nonce %d), %d live", uuid, nonce, len(self.tracks))
        return track

    def apply(self, event: Hello | Meta | Params | Pcm | Bye, now: float) -> Track | None:
        """Apply one device event that arrived at ``now``; return the track it touched."""
        if isinstance(event, Pcm):
            track = self._get_or_create(event.uuid, event.nonce, now)
            if track is None:
                return None
            track.stream.push_pcm(event.seq, event.samples, now)
            track.last_pcm = now
            track.state = TrackState.LIVE
        elif isinstance(event, Hello):
            track = self._get_or_create(event.uuid, event.nonce, now, hello=True)
            if track is None:
                return None
            track.has_hello = True
            track.stream.set_stream_rate(event.stream_rate)
        else:
            track = self.tracks.get((event.uuid, event.nonce))
            if track is None:
                self.counters["unknown_stream"] += 1
                return None
            if isinstance(event, Bye):
                self._remove(track, "said bye")
                return track
            if isinstance(event, Meta):
                track.meta = TrackMeta(event.name, event.color, event.track_index)
            else:
                params = DeviceParams(
                    event.opacity, event.blend, event.style, event.gain, event.enabled
                )
                if params != track.params or track.params_version == 0:
                    track.params = params
                    track.params_version += 1
        track.last_message = now
        return track

    def count_error(self, error: ProtocolError) -> None:
        """Attribute a refused message to its stream's counters when it names one."""
        if error.uuid is None:
            return
        for track in self.tracks.values():
            if track.uuid == error.uuid:
                track.stream.counters.malformed += 1

    def expire(self, now: float) -> None:
        """Mark silent tracks stale and remove long-silent ones."""
        for track in list(self.tracks.values()):
            if now - track.last_message > self.remove_seconds:
                self._remove(track, f"silent for {self.remove_seconds:g} s")
                continue
            last_audio = track.last_pcm if track.last_pcm is not None else track.created
            if track.state is TrackState.LIVE and now - last_audio > self.stale_seconds:
                track.state = TrackState.STALE

    def _remove(self, track: Track, why: str) -> None:
        self.tracks.pop(track.key, None)
        c = track.stream.counters
        self._removed.append(
            RemovedTrack(track.uuid, track.nonce, track.meta, track.stream.stream_rate, c, why)
        )
        self.retired.update(c.as_dict())
        log.info(
            "track %s removed (%s): %d packets, %d lost, %d late, %d duplicate",
            track.label,
            why,
            c.packets,
            c.lost,
            c.late,
            c.duplicate,
        )

    def take_removed(self) -> list[RemovedTrack]:
        """The tracks removed since the last call (at most the last REMOVED_MEMORY)."""
        removed = list(self._removed)
        self._removed.clear()
        return removed

    def stream_totals(self) -> dict[str, int]:
        """Stream counters summed over live and removed tracks."""
        total = Counter(self.retired)
        for track in self.tracks.values():
            total.update(track.stream.counters.as_dict())
        return dict(total)

    def ordered(self) -> list[Track]:
        """Live tracks in Live's track order (unknown index last, then by name)."""
        return sorted(
            self.tracks.values(),
            key=lambda t: (t.meta.track_index < 0, t.meta.track_index, t.label, t.nonce),
        )
