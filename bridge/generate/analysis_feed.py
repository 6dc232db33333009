"""Per-track analysis windows and descriptors, computed where they are consumed.

The ingest thread only files audio away (:mod:`bridge.ingest.stream`). Whoever needs features —
the inference worker at the generation rate, the terminal view, a test — owns a
:class:`TrackAnalyser` per track and calls :meth:`TrackAnalyser.update` with the samples
that arrived since its last call. Analysing ~30 times a second per track rather than once
per packet keeps the per-call overhead of the log-mel off the receive path, and the
result is the same: the analysis is block-size invariant (models/analysis.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bridge.ingest.stream import TrackStream
from models.resample import StreamingResampler

if TYPE_CHECKING:
    from bridge.ingest.service import BridgeService
from models.analysis import DEFAULT_ANALYSIS, Analysis, AnalysisConfig, AnalysisStream


@dataclass(frozen=True)
class FrameFeatures:
    """Cheap descriptors of the audio since the previous update, for reactive rendering."""

    level: float  # RMS of the newest frame, linear
    onset: float  # strongest onset among the new frames, dB rise per band
    centroid: float  # Hz
    flatness: float  # 0 … 1


SILENT_FEATURES = FrameFeatures(0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class PendingAudio:
    """Samples a track received since an analyser last looked (copied under the lock)."""

    samples: np.ndarray
    stream_rate: float
    epoch: int
    arrival: float | None
    skipped: int = 0  # samples that fell out of the ring before being read


def take_pending(stream: TrackStream, position: int, epoch: int) -> tuple[PendingAudio, int]:
    """Copy the samples after ``position`` (an analyser's read position) out of ``stream``.

    Call with the registry lock held; it only copies. Returns the pending audio and the
    new read position. A new epoch starts reading at the epoch's start.
    """
    if epoch != stream.epoch:
        position = stream.epoch_start
    start = max(position, stream.ring.total - stream.ring.capacity, stream.epoch_start)
    skipped = start - position if epoch == stream.epoch else 0
    count = stream.ring.total - start
    samples = stream.ring.latest(count) if count > 0 else np.zeros(0, np.float32)
    pending = PendingAudio(samples, stream.stream_rate, stream.epoch, stream.last_arrival, skipped)
    return pending, stream.ring.total


class TrackAnalyser:
    """Resampling + analysis state of one track, owned by one consumer thread."""

    def __init__(self, analysis: AnalysisConfig = DEFAULT_ANALYSIS) -> None:
        self.config = analysis
        self.position = 0
        self.epoch = -1
        self.stream_rate = 0.0
        self.resampler: StreamingResampler | None = None
        self.stream = AnalysisStream(analysis)
        self.features = SILENT_FEATURES
        self.frame_arrival: float | None = None
        self.skipped = 0

    def update(self, pending: PendingAudio) -> int:
        """Analyse newly arrived audio; return the number of new analysis frames."""
        if pending.epoch != self.epoch or pending.stream_rate != self.stream_rate:
            self.epoch = pending.epoch
            self.stream_rate = pending.stream_rate
            self.resampler = StreamingResampler(pending.stream_rate, self.config.sample_rate)
            self.stream.reset()
            self.features = SILENT_FEATURES
        self.skipped += pending.skipped
        if pending.samples.size == 0 or self.resampler is None:
            return 0
        count = self.stream.push(self.resampler.process(pending.samples))
        if count:
            self.features = newest_features(self.stream.last)
            self.frame_arrival = pending.arrival
        return count

    def pull(self, stream: TrackStream) -> int:
        """Take and analyse what ``stream`` received since the last pull (lock held)."""
        pending, self.position = take_pending(stream, self.position, self.epoch)
        return self.update(pending)

    def window(self) -> np.ndarray:
        """The latest ``(n_mels, n_frames)`` analysis window, unit-scaled."""
        return self.stream.window()


class TrackAnalysers:
    """One :class:`TrackAnalyser` per live track, kept in step with the bridge's registry.

    Owned by one consumer thread (the inference worker, or the feature worker of the
    terminal view). :meth:`pull` copies every track's new samples under the bridge's lock,
    which only copies, and analyses them after releasing it.
    """

    def __init__(self, analysis: AnalysisConfig = DEFAULT_ANALYSIS) -> None:
        self.config = analysis
        self.analysers: dict[Hashable, TrackAnalyser] = {}

    def pull(
        self,
        service: BridgeService,
        config_for: Callable[[Hashable], AnalysisConfig] | None = None,
    ) -> tuple[list[Hashable], list[Hashable]]:
        """Analyse what every track received since the last pull.

        ``config_for(key)`` is the analysis the track's style was trained on (default: this
        object's ``config``). A track whose style asks for another analysis gets a new
        analyser, which reads the audio still in the track's ring again, so its window is
        full at once.

        Returns the tracks with new analysis frames and the tracks that are gone (their
        analysers are dropped).
        """
        pending = []
        with service.lock:
            live = service.registry.tracks
            for key, track in live.items():
                config = config_for(key) if config_for is not None else self.config
                analyser = self.analysers.get(key)
                if analyser is None or analyser.config != config:
                    analyser = self.analysers[key] = TrackAnalyser(config)
                audio, analyser.position = take_pending(
                    track.stream, analyser.position, analyser.epoch
                )
                pending.append((key, audio))
            gone = [key for key in self.analysers if key not in live]
        for key in gone:
            del self.analysers[key]
        ready = [key for key, audio in pending if self.analysers[key].update(audio)]
        return ready, gone

    def features(self) -> dict[Hashable, FrameFeatures]:
        return {key: analyser.features for key, analyser in self.analysers.items()}

    def __getitem__(self, key: Hashable) -> TrackAnalyser:
        return self.analysers[key]

    def __len__(self) -> int:
        return len(self.analysers)


def newest_features(frames: Analysis) -> FrameFeatures:
    """Descriptors of a run of new frames: the newest level, the strongest onset."""
    return FrameFeatures(
        level=float(frames.rms[-1]),
        onset=float(frames.onset.max()),
        centroid=float(frames.centroid[-1]),
        flatness=float(frames.flatness[-1]),
    )


#: A window whose every band is at or below this (unit scale) is silence.
SILENCE_UNIT = -0.999


def is_silent(window: np.ndarray) -> bool:
    """Whether an analysis window holds nothing above the dB floor (digital silence).

    Generators still draw something for silence (a trained style may leave a faint
    stroke), so the bridge shows a blank picture instead and skips the generator.
    """
    return bool(window.max() <= SILENCE_UNIT)


#: Level range mapped onto 0..1 for the renderer (dBFS).
LEVEL_FLOOR_DB = -60.0
#: Onset strength (mean dB rise per band) that counts as a full hit.
ONSET_FULL_DB = 18.0
#: Centroid range mapped onto 0..1 on a log-frequency scale (Hz).
CENTROID_RANGE = (50.0, 11025.0)


@dataclass(frozen=True)
class FeatureRecord:
    """One track's audio descriptors for one tick, each in 0..1: what the looks, the
    renderer's audio reactions, the HUD and (later) structure analysis read.

    ``level`` maps −60 … 0 dBFS, ``onset`` 0 … 18 dB mean rise per band, ``centroid``
    50 Hz … 11,025 Hz on a log scale; ``flatness`` is Wiener entropy (0 tonal … 1 noise).
    """

    level: float = 0.0
    onset: float = 0.0
    centroid: float = 0.0
    flatness: float = 1.0

    @classmethod
    def of(cls, features: FrameFeatures) -> FeatureRecord:
        return cls(*normalised(features))


def group_by_style(
    keys: Iterable[Hashable], style_of: Callable[[Hashable], str]
) -> dict[str, list[Hashable]]:
    """Tracks grouped by the style that draws them (one generator call per style), in the
    order the keys come."""
    groups: dict[str, list[Hashable]] = {}
    for key in keys:
        groups.setdefault(style_of(key), []).append(key)
    return groups


def blank_pictures(count: int, size: int) -> np.ndarray:
    """``count`` empty (no ink) pictures of ``size``², uint8: what a silent window shows."""
    return np.zeros((count, size, size), np.uint8)


def normalised(features: FrameFeatures) -> tuple[float, float, float, float]:
    """``(level, onset, centroid, flatness)`` each in 0..1, as the renderer takes them."""
    level_db = 20.0 * np.log10(max(features.level, 1e-9))
    level = min(1.0, max(0.0, (level_db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB))
    onset = min(1.0, max(0.0, features.onset / ONSET_FULL_DB))
    low, high = CENTROID_RANGE
    if features.centroid <= 0:
        centroid = 0.0
    else:
        centroid = float(np.log(features.centroid / low) / np.log(high / low))
        centroid = min(1.0, max(0.0, centroid))
    return level, onset, centroid, min(1.0, max(0.0, features.flatness))
