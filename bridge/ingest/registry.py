"""The live tracks: who is streaming, what they are called, and when they go away.

Pure logic with an injected clock: the ingest thread applies protocol events in arrival
order and calls :meth:`TrackRegistry.expire` now and then; tests drive the same calls with
made-up times. Keys are ``(uuid, nonce)`` (see docs/protocol.md, "Identity").
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from bridge.ingest.protocol import Bye, Hello, Meta, Params, Pcm, ProtocolError
from bridge.ingest.stream import TrackStream
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
        #: Tracks removed since the last call to :meth:`take_removed`.
        self._removed: list[Track] = []

    def __len__(self) -> int:
        return len(self.tracks)

    def _get_or_create(self, uuid: str, nonce: int, now: float) -> Track | None:
        track = self.tracks.get((uuid, nonce))
        if track is not None:
            return track
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
            track = self._get_or_create(event.uuid, event.nonce, now)
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
        self._removed.append(track)
        c = track.stream.counters
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

    def take_removed(self) -> list[Track]:
        """Tracks removed since the last call (for the renderer to drop their layers)."""
        removed, self._removed = self._removed, []
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
