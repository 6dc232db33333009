"""Picture feeds: how a show gets each track's pictures and features, live or offline.

The show (:class:`bridge.show.show.Show`) is the same live and offline; only its picture
feed differs:

- :class:`BackgroundFeed` — live. The inference worker analyses new audio and runs the
  generators on its own thread; the feed hands the show each track's newest picture (from a
  one-slot mailbox) and its latest features.
- :class:`LookaheadFeed` — offline, on injected time. Frame *t* shows pictures of exactly the
  audio up to *t*; frames are analysed in blocks (``batch_frames``), each style's generator
  gets one call per block, and while the caller draws and encodes one block the generators
  already work on the next two, which changes no picture, only the wall time.

Both analyse each track with its style's own analysis window (``StyleInfo.analysis``), give
silent windows a blank picture without a generator call, and call each style's generator
once per group of tracks (:func:`~bridge.generate.analysis_feed.group_by_style`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
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
from bridge.generate.generator_api import Generator, submit_pictures
from bridge.generate.worker import GeneratedFrame, InferenceWorker
from models.paths import DEFAULT_STYLE
from models.style_interface import StyleInfo, describe

#: Blocks of frames (:class:`LookaheadFeed`'s ``batch_frames`` each, one frame by default)
#: whose pictures are generated ahead of the one being drawn. Two keep the generator
#: process busy through the frame-to-frame jitter of drawing and encoding (with one frame
#: ahead, each side waited on the other ~30 % of the time).
LOOKAHEAD = 2


class PictureFeed(Protocol):
    """Where a show's pictures and features come from."""

    def follow(
        self, styles: Mapping[Hashable, str], expressions: Mapping[Hashable, float] | None = None
    ) -> None:
        """The style that draws each track from now on (after controller overrides), and
        how much of that style's expression head its pictures get (0 … 1; absent: 1)."""

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

    def follow(
        self, styles: Mapping[Hashable, str], expressions: Mapping[Hashable, float] | None = None
    ) -> None:
        # one new dict per frame: one step sees one of each
        self.worker.expression_for = dict(expressions or {})
        self.worker.style_for = dict(styles)
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
            if report.display_share < 0.995:
                generation += f" (the display first: {report.display_share:.0%} of the budget)"
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


#: Frames whose windows go to a style's generator in one call by default
#: (:class:`LookaheadFeed`'s ``batch_frames``); see :data:`LOOKAHEAD` for how many such
#: blocks are generated ahead of the one being drawn.
BATCH_FRAMES = 1


@dataclass
class _Block:
    """Consecutive frames whose windows went to the generators together, one call per
    style (in ``styles`` order); ``images`` holds each call's pictures once collected."""

    styles: list[str] = field(default_factory=list)
    images: dict[str, np.ndarray] | None = None


@dataclass
class _Prepared:
    """One instant analysed ahead: its features, its silent tracks, and for each style the
    first row of this instant's pictures in its block's call and the tracks drawn there."""

    t: float
    features: dict[Hashable, FeatureRecord]
    silent: list[int]  # tracks whose window is silence: no ink, no generator call
    rows: dict[str, tuple[int, list[int]]]
    block: _Block


class LookaheadFeed:
    """The offline feed: every stem analysed up to each frame's time, pictures generated
    ahead. Keys are the stems' indices. Frames must come in order (a jump restarts the
    look-ahead, but the analysis cannot rewind).

    Frames are prepared in blocks of ``batch_frames`` consecutive frames: each style's
    generator gets one call for a whole block (frames × that style's sounding tracks, in
    frame order), and :data:`LOOKAHEAD` blocks beyond the one being drawn are always
    submitted. Styles give the same picture for a window in any batch, so ``batch_frames``
    changes no picture, only how many calls make them (and the wall time).

    ``generator_for(style)`` gives each style's :class:`Generator`; it should also describe
    the style (``info``), else the default analysis and 64-pixel pictures are assumed.

    Args:
        stems: the tracks, keyed by their index.
        generator_for: each style's generator.
        fps: frames per second; prepared frame ``j`` after a (re)start at ``t0`` is at
            ``t0 + j / fps`` seconds.
        n_frames: frames in the render (none is prepared beyond), or None for no end.
        batch_frames: frames per generator call, ≥ 1.

    Raises:
        ValueError: ``fps`` not positive or ``batch_frames`` below 1.
    """

    def __init__(
        self,
        stems: Sequence[Stem],
        generator_for: Callable[[str], Generator],
        *,
        fps: float,
        n_frames: int | None = None,
        batch_frames: int = BATCH_FRAMES,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if batch_frames < 1:
            raise ValueError(f"batch_frames must be at least 1, got {batch_frames}")
        self.stems = list(stems)
        self.generator_for = generator_for
        self.fps = fps
        self.n_frames = n_frames
        self.batch_frames = int(batch_frames)
        self.styles: dict[Hashable, str] = {i: stem.style for i, stem in enumerate(self.stems)}
        #: Each track's share of its style's expression head (1.0 until followed otherwise).
        self.expressions: dict[Hashable, float] = dict.fromkeys(self.styles, 1.0)
        self.analysers: dict[int, TrackAnalyser] = {}
        self.positions = dict.fromkeys(range(len(self.stems)), 0)
        self.images = 0  # pictures generated (silent windows need none)
        self.calls = 0  # generator calls submitted
        self.chroma = False  # computed only while a colour mode follows tone
        self._origin = 0.0  # time of the frame the look-ahead (re)started at
        self._taken = 0  # frames taken so far
        self._origin_taken = 0  # frames taken before the look-ahead (re)started
        self._next = 0  # frames prepared since the (re)start
        self._prepared: deque[_Prepared] = deque()
        self._blocks: deque[_Block] = deque()  # submitted, not yet collected, oldest first

    def describe(self, style: str) -> StyleInfo:
        return describe(self.generator_for(style))

    def follow(
        self, styles: Mapping[Hashable, str], expressions: Mapping[Hashable, float] | None = None
    ) -> None:
        self.styles.update(styles)
        self.expressions.update(expressions or {})

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

    def _frames_left(self) -> int | None:
        """Frames of the render (``n_frames`` takes) not yet prepared (None: no end)."""
        if self.n_frames is None:
            return None
        return max(0, self.n_frames - self._origin_taken - self._next)

    def _prepare_block(self, at_least: int = 0) -> bool:
        """Analyse the next block's frames and submit their windows, one call per style.

        Silent windows are not generated (they show no ink, as live); styles give the same
        picture for a window in any batch, so leaving them out changes no other picture.
        At least ``at_least`` frames are prepared even past ``n_frames``. Returns False
        when the render has no frame left to prepare.
        """
        left = self._frames_left()
        count = self.batch_frames if left is None else min(self.batch_frames, left)
        count = max(count, at_least)
        if count <= 0:
            return False
        block = _Block()
        windows: dict[str, list[np.ndarray]] = {}
        amounts: dict[str, list[float]] = {}
        for _ in range(count):
            t = self._origin + self._next / self.fps
            self._next += 1
            features = self._analyse_until(t)
            current = {key: a.window() for key, a in self.analysers.items()}
            silent = [key for key, window in current.items() if is_silent(window)]
            sounding = [key for key in current if key not in silent]
            rows: dict[str, tuple[int, list[int]]] = {}
            for style, keys in group_by_style(sounding, lambda key: self.styles[key]).items():
                stack = windows.setdefault(style, [])
                rows[style] = (len(stack), keys)  # type: ignore[assignment]
                stack.extend(current[key] for key in keys)  # type: ignore[index]
                amounts.setdefault(style, []).extend(self.expressions[k] for k in keys)
            self._prepared.append(_Prepared(t, features, silent, rows, block))
        for style, stack in windows.items():
            submit_pictures(self.generator_for(style), np.stack(stack), amounts[style])
            self.calls += 1
        block.styles = list(windows)
        self._blocks.append(block)
        return True

    def _collect(self, block: _Block) -> None:
        """Collect every block up to ``block``, in the order they were submitted."""
        while block.images is None:
            oldest = self._blocks.popleft()
            oldest.images = {style: self.generator_for(style).collect() for style in oldest.styles}

    def take(
        self, t: float, keys: Sequence[Hashable]
    ) -> tuple[dict[Hashable, GeneratedFrame], dict[Hashable, FeatureRecord]]:
        if not self._prepared or abs(self._prepared[0].t - t) > 1e-9:
            self.finish()  # frames out of order: drop the look-ahead
            self._origin, self._next, self._origin_taken = t, 0, self._taken
            self._prepare_block(at_least=1)
        prepared = self._prepared.popleft()
        self._collect(prepared.block)
        images = prepared.block.images or {}
        pictures: dict[Hashable, GeneratedFrame] = {}
        for style, (first, members) in prepared.rows.items():
            for row, key in enumerate(members, first):
                pictures[key] = GeneratedFrame(images[style][row], style, None, t)
                self.images += 1
        for key in prepared.silent:
            style = self.styles[key]
            blank = blank_pictures(1, self.describe(style).image_size)[0]
            pictures[key] = GeneratedFrame(blank, style, None, t)
        self._taken += 1
        # The next blocks generate while this one draws.
        while len(self._blocks) < LOOKAHEAD and self._prepare_block():
            pass
        return pictures, prepared.features

    def finish(self) -> None:
        """Collect look-ahead nobody will draw (so generators are idle again)."""
        while self._blocks:
            self._collect(self._blocks[-1])
        self._prepared.clear()

    def status_lines(self, now: float) -> list[str]:
        return [
            f"offline: {self.images} pictures generated in {self.calls} generator calls "
            f"({self.batch_frames} frames a call)"
        ]
