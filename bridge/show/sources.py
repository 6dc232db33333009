"""Track sources: who the tracks are, where the beat is, and which controls came in.

The show is the same live and offline; its track source is one of:

- :class:`StreamSource` — live: the devices' streams as the bridge's registry holds them,
  Live's transport, and the controls that arrived over OSC;
- :class:`FileSource` — offline: one stem per audio file, a fixed tempo (or none), no
  controls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Protocol

from bridge.generate.feeds import Stem
from bridge.ingest.applier import ControlEvent
from bridge.ingest.registry import DeviceParams, TrackState
from bridge.ingest.service import BridgeService
from bridge.ingest.transport import BeatState
from bridge.show.looks import TrackInfo
from bridge.simulate.simulator import stable_uuid


class TrackSource(Protocol):
    def tracks(self, t: float) -> list[TrackInfo]:
        """Every track the show should know at time ``t`` (seconds on the show's clock)."""

    def transport(self, t: float) -> BeatState | None:
        """The transport at ``t`` (tempo, absolute beat, time signature) while it plays, or
        None without a running one."""

    def controls(self) -> Iterator[ControlEvent]:
        """Controls that arrived since the last call, oldest first."""


class StreamSource:
    """The live bridge's tracks (copied under its lock), transport and controls."""

    def __init__(self, service: BridgeService) -> None:
        self.service = service

    def tracks(self, t: float) -> list[TrackInfo]:
        with self.service.lock:
            return [
                TrackInfo(
                    key=track.key,
                    uuid=track.uuid,
                    name=track.meta.name,
                    color=track.meta.color,
                    track_index=track.meta.track_index,
                    live=track.state is TrackState.LIVE,
                    params=track.params,
                    params_version=track.params_version,
                )
                for track in self.service.registry.tracks.values()
            ]

    def transport(self, t: float) -> BeatState | None:
        """Live's transport extrapolated to now (it runs on the wall clock), while it plays."""
        clock = self.service.clock
        with self.service.lock:
            state = clock.state(time.monotonic()) if clock.has_transport else None
        return state if state is not None and state.playing else None

    def controls(self) -> Iterator[ControlEvent]:
        inbox = self.service.ingest.controls
        while inbox:
            yield inbox.popleft()


class FileSource:
    """Stems from audio files: fixed tracks, and a beat from ``tempo`` (BPM) if given."""

    def __init__(self, stems: Sequence[Stem], tempo: float | None = None) -> None:
        self.bpm = tempo
        self.infos = [
            TrackInfo(
                key=i,
                uuid=stable_uuid(f"{i}:{stem.name}"),
                name=stem.name,
                color=stem.color,
                track_index=i,
                live=True,
                params=DeviceParams(blend=stem.blend, style=stem.style),
                params_version=1,
            )
            for i, stem in enumerate(stems)
        ]

    def tracks(self, t: float) -> list[TrackInfo]:
        return self.infos

    def transport(self, t: float) -> BeatState | None:
        """A transport playing at ``bpm`` from 0 s in 4/4, or None without a tempo."""
        if not self.bpm:
            return None
        return BeatState(self.bpm, True, t * self.bpm / 60.0, 4, 4)

    def controls(self) -> Iterator[ControlEvent]:
        return iter(())
