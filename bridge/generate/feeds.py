"""Picture feeds: how a show gets each track's pictures and features, live or offline.

The show (:class:`bridge.show.show.Show`) is the same live and offline; only its picture
feed differs:

- :class:`BackgroundFeed` — live. The inference worker analyses new audio and runs the
  generators on its own thread; the feed hands the show each track's newest picture (from a
  one-slot mailbox) and its latest features.
- :class:`LookaheadFeed` — offline, on injected time. Frame *t* shows pictures of exactly the
  audio up to *t*; while the caller draws and encodes frame *i*, the generators already work
  on frames *i + 1* and *i + 2*, which changes no picture, only the wall time.

Both analyse each track with its style's own analysis window (``StyleInfo.analysis``), give
silent windows a blank picture without a generator call, and call each style's generator
once per group of tracks (:func:`~bridge.generate.analysis_feed.group_by_style`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bridge.generate.analysis_feed import (
    FeatureRecord,
    PendingAudio,
    TrackAnalyser,
    blank_pictures,
    group_by_style,
    is_silent,
)
from bridge.generate.generator_api import Generator
from bridge.generate.worker import GeneratedFrame, InferenceWorker
from models.paths import DEFAULT_STYLE
from models.style import StyleInfo, describe

#: Frames whose pictures are generated ahead of the one being drawn. Two keep the
#: generator process busy through the frame-to-frame jitter of drawing and encoding
#: (with one, each side waited on the other ~30 % of the time).
LOOKAHEAD = 2


class PictureFeed(Protocol):
    """Where a show's pictures and features come from."""

    def follow(self, styles: Mapping[Hashable, str]) -> None:
        """The style that draws each track from now on (after controller overrides)."""

    def want_chroma(self, on: bool) -> None:
        """Whether tracks' chroma is needed from now on (a colour mode follows tone)."""

    def take(
        self, t: float, keys: Sequence[Hashable]
    ) -> tuple[dict[Hashable, GeneratedFrame], dict[Hashable, FeatureRecord]]:
        """Pictures of ``keys`` not yet taken, and every track's features, for time ``t``."""

    def status_lines(self, now: float) -> list[str]:
        """What the HUD should say about generation (rate, trouble)."""


class BackgroundFeed:
    """The live feed: the :class:`InferenceWorker`'s mailboxes and features."""

    def __init__(self, worker: InferenceWorker) -> None:
        self.worker = worker
        self._seen: dict[Hashable, int] = {}

    def want_chroma(self, on: bool) -> None:
        self.worker.analysers.chroma = on  # read by the worker's next pull

    def follow(self, styles: Mapping[Hashable, str]) -> None:
        self.worker.style_for = dict(styles)  # one new dict per frame: one step sees one
        for key in [k for k in self._seen if k not in styles]:
            del self._seen[key]

    def take(
        self, t: float, keys: Sequence[Hashable]
    ) -> tuple[dict[Hashable, GeneratedFrame], dict[Hashable, FeatureRecord]]:
        pictures = {}
        for key in keys:
            letter = self.worker.mailbox(key).take_new(self._seen.get(key, 0))
            if letter is not None:
                self._seen[key] = letter.version
                pictures[key] = letter.value
        features = {key: FeatureRecord.of(f) for key, f in self.worker.track_features().items()}
        return pictures, features

    def status_lines(self, now: float) -> list[str]:
        report = self.worker.scheduler.report(now)
        generation = (
            f"generation {report.achieved_hz:.1f}/{report.target_hz:.0f} fps per track"
            f" ({report.cost_ms:.1f} ms/image)"
        )
        if report.limited:
            generation += f" — CPU-bound, lowered to {report.rate_hz:.1f}"
        return [generation, *self.worker.trouble(now)]


@dataclass(frozen=True)
class Stem:
    """One track's audio for an offline show: a name, mono samples, and its look.

    ``audio`` is float32 ``(n,)`` at ``rate`` Hz; each style's analyser resamples it to the
    rate that style was trained on.
    """

    name: str
    audio: np.ndarray
    color: int
    blend: str = "screen"
    style: str = DEFAULT_STYLE
    rate: float = 22050.0


@dataclass
class _Prepared:
    t: float
    groups: dict[str, list[int]]
    features: dict[Hashable, FeatureRecord]
    silent: list[int]  # tracks whose window is silence: no ink, no generator call


class LookaheadFeed:
    """The offline feed: every stem analysed up to each frame's time, pictures generated
    :data:`LOOKAHEAD` frames ahead. Keys are the stems' indices. Frames must come in order
    (a jump restarts the look-ahead, but the analysis cannot rewind).

    ``generator_for(style)`` gives each style's :class:`Generator`; it should also describe
    the style (``info``), else the default analysis and 64-pixel pictures are assumed.
    """

    def __init__(
        self,
        stems: Sequence[Stem],
        generator_for: Callable[[str], Generator],
        *,
        fps: float,
        n_frames: int | None = None,
    ) -> None:
        self.stems = list(stems)
        self.generator_for = generator_for
        self.fps = fps
        self.n_frames = n_frames
        self.styles: dict[Hashable, str] = {i: stem.style for i, stem in enumerate(self.stems)}
        self.analysers: dict[int, TrackAnalyser] = {}
        self.positions = dict.fromkeys(range(len(self.stems)), 0)
        self.images = 0  # pictures generated (silent windows need none)
        self.chroma = False  # computed only while a colour mode follows tone
        self._index = 0
        self._prepared: deque[_Prepared] = deque()

    def describe(self, style: str) -> StyleInfo:
        return describe(self.generator_for(style))

    def follow(self, styles: Mapping[Hashable, str]) -> None:
        self.styles.update(styles)

    def want_chroma(self, on: bool) -> None:
        self.chroma = on

    def _analyser(self, key: int) -> TrackAnalyser:
        """The stem's analyser for its style's analysis (a style of another analysis gets a
        new one, which starts from the stem's current position)."""
        config = self.describe(self.styles[key]).analysis
        analyser = self.analysers.get(key)
        if analyser is None or analyser.config != config:
            analyser = self.analysers[key] = TrackAnalyser(config, self.chroma)
        analyser.set_chroma(self.chroma)
        return analyser

    def _analyse_until(self, t: float) -> dict[Hashable, FeatureRecord]:
        features: dict[Hashable, FeatureRecord] = {}
        for key, stem in enumerate(self.stems):
            end = round(t * stem.rate)
            start = self.positions[key]
            chunk = stem.audio[start:end] if end > start else np.zeros(0, np.float32)
            if end > stem.audio.size and start < end:  # past the stem's end: silence
                chunk = np.concatenate([chunk, np.zeros(end - max(start, stem.audio.size))])
            self.positions[key] = max(start, end)
            analyser = self._analyser(key)
            analyser.update(PendingAudio(chunk.astype(np.float32), stem.rate, 0, None))
            features[key] = FeatureRecord.of(analyser.features)
        return features

    def _prepare(self, t: float) -> None:
        """Analyse up to ``t`` and start generating that instant's pictures.

        Silent windows are not generated (they show no ink, as live); styles give the same
        picture for a window in any batch, so leaving them out changes no other picture.
        """
        features = self._analyse_until(t)
        silent = [key for key, a in self.analysers.items() if is_silent(a.window())]
        sounding = [key for key in self.analysers if key not in silent]
        groups = group_by_style(sounding, lambda key: self.styles[key])
        for style, keys in groups.items():
            windows = np.stack([self.analysers[k].window() for k in keys])
            self.generator_for(style).submit(windows)
        self._prepared.append(_Prepared(t, groups, features, silent))  # type: ignore[arg-type]

    def take(
        self, t: float, keys: Sequence[Hashable]
    ) -> tuple[dict[Hashable, GeneratedFrame], dict[Hashable, FeatureRecord]]:
        if not self._prepared or abs(self._prepared[0].t - t) > 1e-9:
            self.finish()  # frames out of order: drop the look-ahead
            self._prepare(t)
        prepared = self._prepared.popleft()
        pictures: dict[Hashable, GeneratedFrame] = {}
        for style, members in prepared.groups.items():
            images = self.generator_for(style).collect()
            for key, image in zip(members, images, strict=True):
                pictures[key] = GeneratedFrame(image, style, None, t)
                self.images += 1
        for key in prepared.silent:
            style = self.styles[key]
            blank = blank_pictures(1, self.describe(style).image_size)[0]
            pictures[key] = GeneratedFrame(blank, style, None, t)
        # The next frames generate while this one draws.
        while len(self._prepared) < LOOKAHEAD:
            step = len(self._prepared) + 1
            if self.n_frames is not None and self._index + step >= self.n_frames:
                break
            self._prepare(t + step / self.fps)
        self._index += 1
        return pictures, prepared.features

    def finish(self) -> None:
        """Collect look-ahead nobody will draw (so generators are idle again)."""
        while self._prepared:
            for style in self._prepared.popleft().groups:
                self.generator_for(style).collect()

    def status_lines(self, now: float) -> list[str]:
        return [f"offline: {self.images} pictures generated"]
