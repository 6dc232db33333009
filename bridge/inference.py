"""The inference worker: new audio → analysis windows → one generator call per style.

One thread, woken whenever pcm arrives. Each round it copies every track's new samples
out of the registry (under the lock, copying only), analyses them (resampling + log-mel,
outside the lock), publishes each track's audio features, asks the scheduler which tracks
may have a new picture now, and runs the chosen windows through their style's generator,
all tracks sharing a style in one batch. Pictures go to per-track mailboxes (the newest
wins); the render loop picks them up at display rate.

Each picture carries the arrival time of the newest pcm packet it reflects, so the render
loop can measure packet-in → frame-out latency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from bridge.features import FrameFeatures, TrackAnalysers, is_silent
from bridge.latency import LatencyStats
from bridge.mailbox import Mailbox
from bridge.scheduler import GenerationScheduler
from bridge.service import BridgeService

log = logging.getLogger(__name__)

#: Longest the worker sleeps without new audio (it still expires forgotten tracks).
IDLE_WAIT = 0.05
#: Shortest time between rounds. Packets of different tracks arrive spread out; waking on
#: every one would analyse one packet per call (per-call overhead) and hog the GIL the
#: render loop needs. 5 ms gathers them at a cost of at most 5 ms of latency.
MIN_ROUND_INTERVAL = 0.005


@dataclass(frozen=True)
class GeneratedFrame:
    """One generated picture and where it came from."""

    image: np.ndarray  # uint8 (S, S), 255 = full ink
    style: str
    arrival: float | None  # arrival (monotonic s) of the newest packet in its window
    generated: float  # when the picture was ready


def blank_pictures(count: int, size: int) -> np.ndarray:
    """``count`` empty (no ink) pictures of ``size``², shown for silent windows."""
    return np.zeros((count, size, size), np.uint8)


class StyleCache:
    """Loads styles by name on first use; an unknown name falls back to the default.

    ``loader`` turns a name into an object with ``audio_to_image(windows)`` (a
    :class:`models.style.Style` in the bridge, anything alike in tests).
    """

    def __init__(self, loader: Callable[[str], object], default: str) -> None:
        self._loader = loader
        self.default = default
        self._styles: dict[str, object] = {}
        self._failed: dict[str, str] = {}
        self.fallbacks = 0

    def get(self, name: str) -> tuple[str, object]:
        """The style called ``name`` (loaded once), or the default if it cannot be had.

        Raises:
            RuntimeError: the default style itself cannot be loaded (with the reason).
        """
        if name in self._styles:
            return name, self._styles[name]
        if name not in self._failed:
            try:
                self._styles[name] = self._loader(name)
                log.info("style %s loaded", name)
                return name, self._styles[name]
            except (OSError, ValueError, RuntimeError) as exc:
                self._failed[name] = str(exc)
                if name != self.default:
                    log.warning("style %r unavailable (%s); using %r", name, exc, self.default)
        if name == self.default:
            raise RuntimeError(f"the default style {name!r} cannot be loaded: {self._failed[name]}")
        self.fallbacks += 1
        return self.get(self.default)

    def close(self) -> None:
        """Release loaded styles (stops generator processes)."""
        for style in self._styles.values():
            close = getattr(style, "close", None)
            if close is not None:
                close()
        self._styles.clear()


class InferenceWorker:
    """Owns every track's analyser and runs the generators on its own thread."""

    def __init__(
        self,
        service: BridgeService,
        styles: StyleCache,
        *,
        scheduler: GenerationScheduler | None = None,
        latency: LatencyStats | None = None,
    ) -> None:
        self.service = service
        self.styles = styles
        self.scheduler = scheduler or GenerationScheduler()
        self.latency = latency or LatencyStats()
        self.analysers = TrackAnalysers()
        self.frames: dict[Hashable, Mailbox[GeneratedFrame]] = {}
        self.features: dict[Hashable, FrameFeatures] = {}
        #: Effective style per track, set by the render loop (which owns the looks).
        self.style_for: dict[Hashable, str] = {}
        self.generated = 0
        self.rounds = 0
        self.image_size = 64  # updated from the first generated pictures
        self.track_seconds = 0.0  # sum over rounds of (live tracks × time since last round)
        self._last_round: float | None = None
        self.errors = 0
        self._lock = threading.Lock()  # guards the dicts above against the render loop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inference", daemon=True)

    def start(self) -> InferenceWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.service.ingest.new_audio.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    def mailbox(self, key: Hashable) -> Mailbox[GeneratedFrame]:
        with self._lock:
            box = self.frames.get(key)
            if box is None:
                box = self.frames[key] = Mailbox()
            return box

    def track_features(self) -> dict[Hashable, FrameFeatures]:
        with self._lock:
            return dict(self.features)

    def _run(self) -> None:
        new_audio = self.service.ingest.new_audio
        last = 0.0
        while not self._stop.is_set():
            new_audio.wait(IDLE_WAIT)
            wait = MIN_ROUND_INTERVAL - (time.monotonic() - last)
            if wait > 0:
                self._stop.wait(wait)
            new_audio.clear()
            if self._stop.is_set():
                return
            last = time.monotonic()
            try:
                self.step(last)
            except Exception:  # keep the show going; the HUD shows the error count
                self.errors += 1
                log.exception("inference round failed")

    def step(self, now: float) -> int:
        """One round; returns the number of pictures generated."""
        started = time.perf_counter()
        ready, gone = self.analysers.pull(self.service)
        for key in gone:
            self.scheduler.forget(key)
        keys = list(self.analysers.analysers)
        if self._last_round is not None:
            self.track_seconds += len(keys) * max(0.0, now - self._last_round)
        self._last_round = now
        features = self.analysers.features()
        with self._lock:
            self.features = features
            for key in list(self.frames):
                if key not in features:
                    del self.frames[key]
        analysed = time.perf_counter()
        if ready:
            self.latency.add("analysis", analysed - started)
        chosen = self.scheduler.select(now, ready, keys)
        made = self._generate(chosen)
        self.rounds += 1
        return made

    def mean_rate_hz(self) -> float:
        """Pictures generated per second per live track, over the whole run."""
        return self.generated / self.track_seconds if self.track_seconds > 0 else 0.0

    def _generate(self, keys: list[Hashable]) -> int:
        groups: dict[str, list[Hashable]] = defaultdict(list)
        for key in keys:
            groups[self.style_for.get(key, self.styles.default)].append(key)
        made = 0
        round_seconds, round_images = 0.0, 0
        for wanted, members in groups.items():
            name, style = self.styles.get(wanted)
            windows = np.stack([self.analysers[k].window() for k in members])
            silent = [is_silent(w) for w in windows]
            images = blank_pictures(len(members), self.image_size)
            sounding = [i for i, quiet in enumerate(silent) if not quiet]
            if sounding:
                started = time.perf_counter()
                drawn = style.audio_to_image(windows[sounding])  # type: ignore[attr-defined]
                seconds = time.perf_counter() - started
                round_seconds += seconds
                round_images += len(sounding)
                self.latency.add("generate", seconds)
                if drawn.shape[1:] != images.shape[1:]:
                    self.image_size = drawn.shape[-1]
                    images = blank_pictures(len(members), self.image_size)
                images[sounding] = drawn
            done = time.monotonic()
            for key, image in zip(members, images, strict=True):
                arrival = self.analysers[key].frame_arrival
                self.mailbox(key).post(GeneratedFrame(image, name, arrival, done))
            made += len(members)
        self.scheduler.observe(round_images, round_seconds)  # one round, all styles
        self.generated += made
        return made
