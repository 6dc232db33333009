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
from models.analysis import (
    DEFAULT_ANALYSIS,
    Analysis,
    AnalysisConfig,
    AnalysisStream,
    push_many,
)

#: Pitch classes per chroma (C first, as models.analysis.PITCH_CLASSES).
N_CHROMA = 12
NO_CHROMA: tuple[float, ...] = (0.0,) * N_CHROMA


@dataclass(frozen=True)
class FrameFeatures:
    """Cheap descriptors of the audio since the previous update, for reactive rendering.

    ``chroma`` (12 pitch classes, C first, summing to 1 once anything tonal was heard, else
    all 0) and ``tonalness`` (0 … 1) are smoothed over about :data:`CHROMA_SECONDS` by
    :class:`ChromaSmoother`, so a steady note holds a steady colour; the rest describe the
    newest frames as they are.
    """

    level: float  # RMS of the newest frame, linear
    onset: float  # strongest onset among the new frames, dB rise per band
    centroid: float  # Hz
    flatness: float  # 0 … 1
    chroma: tuple[float, ...] = NO_CHROMA
    tonalness: float = 0.0


SILENT_FEATURES = FrameFeatures(0.0, 0.0, 0.0, 1.0)

#: Time constant (seconds) of the chroma's and tonalness's exponential smoothing.
CHROMA_SECONDS = 0.25
#: Frames quieter than this RMS (−70 dBFS) leave the smoothed chroma as it was: a note's
#: colour holds through the silence after it instead of fading to "no pitch".
CHROMA_GATE_RMS = 10.0 ** (-70.0 / 20.0)
#: Longest a track waits (in analysis hops after its newest packet) for the frame that packet
#: began (:meth:`TrackAnalyser.frame_pending`).
FRAME_WAIT_HOPS = 1.5


class ChromaSmoother:
    """Exponential smoothing of per-frame chroma and tonalness, one frame at a time.

    Frame by frame (``alpha = 1 − exp(−hop / rate / CHROMA_SECONDS)`` per frame), so the
    result depends only on the frames, never on how they were grouped into updates: the
    block-size invariance of models/analysis.py carries through.
    """

    def __init__(self, hop_seconds: float, seconds: float = CHROMA_SECONDS) -> None:
        self.alpha = 1.0 - float(np.exp(-hop_seconds / seconds))
        self.chroma = np.zeros(N_CHROMA, np.float64)
        self.tonalness = 0.0
        self.heard = False

    def reset(self) -> None:
        self.chroma[:] = 0.0
        self.tonalness = 0.0
        self.heard = False

    def update(self, frames: Analysis) -> None:
        """Take new frames' ``chroma`` (T, 12), ``tonalness`` (T,) and ``rms`` (T,); an
        analysis without chroma changes nothing."""
        if frames.chroma is None or frames.tonalness is None:
            return
        for chroma, tonal, rms in zip(frames.chroma, frames.tonalness, frames.rms, strict=True):
            if rms < CHROMA_GATE_RMS:
                continue
            if not self.heard:  # the first sound sets the colour at once
                self.chroma[:] = chroma
                self.tonalness = float(tonal)
                self.heard = True
                continue
            self.chroma += self.alpha * (chroma - self.chroma)
            self.tonalness += self.alpha * (float(tonal) - self.tonalness)

    def values(self) -> tuple[tuple[float, ...], float]:
        """The smoothed ``(chroma, tonalness)``, chroma as 12 floats summing to 1 (or 0)."""
        total = float(self.chroma.sum())
        if total <= 0.0:
            return NO_CHROMA, 0.0
        return tuple(float(c) for c in self.chroma / total), self.tonalness


@dataclass(frozen=True)
class PendingAudio:
    """Samples a track received since an analyser last looked (copied under the lock)."""

    samples: np.ndarray
    stream_rate: float
    epoch: int
    arrival: float | None
    skipped: int = 0  # samples that fell out of the ring before being read
    #: ``(end, arrival)`` of the pcm messages that brought ``samples``, oldest first: each
    #: one's samples end before index ``end`` of ``samples`` (the newest at its size).
    packets: tuple[tuple[int, float], ...] = ()


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
    packets: list[tuple[int, float]] = []
    for end, arrival in reversed(stream.packets):  # newest first: stop at the read ones
        if end <= start:
            break
        packets.append((end - start, arrival))
    packets.reverse()
    pending = PendingAudio(
        samples, stream.stream_rate, stream.epoch, stream.last_arrival, skipped, tuple(packets)
    )
    return pending, stream.ring.total


class TrackAnalyser:
    """Resampling + analysis state of one track, owned by one consumer thread."""

    def __init__(self, analysis: AnalysisConfig = DEFAULT_ANALYSIS, chroma: bool = False) -> None:
        self.config = analysis
        self.position = 0
        self.epoch = -1
        self.stream_rate = 0.0
        self.resampler: StreamingResampler | None = None
        self.stream = AnalysisStream(analysis, chroma=chroma)
        self.chroma = ChromaSmoother(analysis.hop / analysis.sample_rate)
        self.features = SILENT_FEATURES
        self.frame_arrival: float | None = None
        #: Arrival of the newest packet analysed, whether or not it completed a frame.
        self.newest_arrival: float | None = None
        self.skipped = 0

    def update(self, pending: PendingAudio) -> int:
        """Analyse newly arrived audio; return the number of new analysis frames."""
        samples = self.resample(pending)
        if samples is None:
            return 0
        return self.took(self.stream.push(samples), pending)

    def resample(self, pending: PendingAudio) -> np.ndarray | None:
        """The first half of :meth:`update`: ``pending`` at the analysis rate, ready for
        :attr:`stream` (None: nothing to analyse). A new epoch or rate starts afresh."""
        if pending.epoch != self.epoch or pending.stream_rate != self.stream_rate:
            self.epoch = pending.epoch
            self.stream_rate = pending.stream_rate
            self.resampler = StreamingResampler(pending.stream_rate, self.config.sample_rate)
            self.stream.reset()
            self.chroma.reset()
            self.features = SILENT_FEATURES
        self.skipped += pending.skipped
        if pending.samples.size == 0 or self.resampler is None:
            return None
        return self.resampler.process(pending.samples)

    def took(self, count: int, pending: PendingAudio) -> int:
        """The second half of :meth:`update`: the stream took ``count`` new frames."""
        self.newest_arrival = pending.arrival
        if count:
            self.chroma.update(self.stream.last)
            self.features = newest_features(self.stream.last, *self.chroma.values())
            self.frame_arrival = self._completing_arrival(pending)
        return count

    def _completing_arrival(self, pending: PendingAudio) -> float | None:
        """The arrival of the pcm message in ``pending`` that completed the newest frame:
        the newest message unless it ended short of a frame (then one before it)."""
        resampler = self.resampler
        if resampler is None:
            return pending.arrival
        last = resampler.produced - self.stream.unframed - 1  # the frame's last sample
        source = resampler.source_index(last) - (resampler.consumed - pending.samples.size)
        for end, arrival in pending.packets:  # source is an index into pending.samples
            if end > source:
                return arrival
        return pending.arrival

    def set_chroma(self, on: bool) -> None:
        """Compute chroma (for the colour modes that follow tone) from now on, or stop."""
        if on != self.stream.chroma:
            self.stream.set_chroma(on)
            self.chroma.reset()

    def frame_pending(self, now: float) -> bool:
        """Whether the newest packet (arrived at :attr:`newest_arrival`, monotonic s) ended
        short of a whole analysis frame, so that a window taken ``now`` would stop at the
        packet before it, and the next packet should complete the frame soon.

        A packet of 256 samples at 24 kHz is 235 samples at 22,050 Hz, less than a hop of
        256: about one packet in twelve completes no frame. False once a hop and a half has
        passed since that packet (a stream that stopped must not hold its track back).
        """
        newest = self.newest_arrival
        if newest is None or newest == self.frame_arrival:
            return False
        return now - newest < FRAME_WAIT_HOPS * self.config.hop / self.config.sample_rate

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
        #: Whether tracks' chroma is computed (only while a colour mode follows tone).
        self.chroma = False

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
        new: dict[Hashable, tuple[AnalysisConfig, int]] = {}
        with service.lock:  # only copying under the lock: the ingest thread waits on it
            live = service.registry.tracks
            for key, track in live.items():
                config = config_for(key) if config_for is not None else self.config
                analyser = self.analysers.get(key)
                if analyser is None or analyser.config != config:
                    # Made after the lock; it reads from its stream's epoch start, as any
                    # new analyser does (position 0, no epoch yet).
                    audio, position = take_pending(track.stream, 0, -1)
                    new[key] = (config, position)
                else:
                    audio, analyser.position = take_pending(
                        track.stream, analyser.position, analyser.epoch
                    )
                pending.append((key, audio))
            gone = [key for key in self.analysers if key not in live]
        for key, (config, position) in new.items():
            analyser = self.analysers[key] = TrackAnalyser(config, self.chroma)
            analyser.position = position
        for key in gone:
            del self.analysers[key]
        for key, _ in pending:
            self.analysers[key].set_chroma(self.chroma)
        # Resampled one by one, analysed in one batch (models.analysis.push_many): the
        # analysis of a few frames costs mostly per call, and this runs many times a second.
        taken = []
        for key, audio in pending:
            samples = self.analysers[key].resample(audio)
            if samples is not None:
                taken.append((key, audio, samples))
        counts = push_many(
            [self.analysers[key].stream for key, _, _ in taken], [s for _, _, s in taken]
        )
        ready = [
            key
            for (key, audio, _), count in zip(taken, counts, strict=True)
            if self.analysers[key].took(count, audio)
        ]
        return ready, gone

    def features(self) -> dict[Hashable, FrameFeatures]:
        return {key: analyser.features for key, analyser in self.analysers.items()}

    def __getitem__(self, key: Hashable) -> TrackAnalyser:
        return self.analysers[key]

    def __len__(self) -> int:
        return len(self.analysers)


def newest_features(
    frames: Analysis, chroma: tuple[float, ...] = NO_CHROMA, tonalness: float = 0.0
) -> FrameFeatures:
    """Descriptors of a run of new frames: the newest level, the strongest onset, and the
    (smoothed, see :class:`ChromaSmoother`) ``chroma`` and ``tonalness`` passed in."""
    return FrameFeatures(
        level=float(frames.rms[-1]),
        onset=float(frames.onset.max()),
        centroid=float(frames.centroid[-1]),
        flatness=float(frames.flatness[-1]),
        chroma=chroma,
        tonalness=tonalness,
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
    ``chroma`` is the smoothed share of each pitch class (12 floats, C first, summing to 1;
    all 0 before anything was heard) and ``tonalness`` how clearly one pitch class leads
    (0 noise or silence … 1 one steady tone), see :class:`ChromaSmoother`.
    """

    level: float = 0.0
    onset: float = 0.0
    centroid: float = 0.0
    flatness: float = 1.0
    chroma: tuple[float, ...] = NO_CHROMA
    tonalness: float = 0.0

    @classmethod
    def of(cls, features: FrameFeatures) -> FeatureRecord:
        tonalness = min(1.0, max(0.0, features.tonalness))
        return cls(*normalised(features), chroma=features.chroma, tonalness=tonalness)


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
