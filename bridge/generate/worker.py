"""The inference worker: new audio → analysis windows → small groups through the generators.

One thread, woken whenever pcm arrives. Each step copies every track's new samples out of
the registry (under the lock, copying only), analyses them (resampling + log-mel, outside
the lock), publishes each track's audio features, and asks the scheduler for the next
generator call: a few tracks of one style whose audio is newer than their last picture.
Their windows, taken from the newest audio, go through the style's generator in one batch,
and the pictures to per-track mailboxes (the newest wins); the render loop picks them up at
display rate. After a call the worker goes again at once, pulling the audio that arrived
meanwhile, until no track with new audio is due; then it waits for the next packet.

Each picture carries the arrival time of the newest pcm packet it reflects, so the render
loop can measure packet-in → frame-out latency.

Styles load in the background (a generator process takes ~1.5 s to start): a track that
switches to a style not loaded yet keeps its last picture until the style is ready, and the
other tracks carry on meanwhile. A generator that is lost (its child process died or stopped
answering) or a style that fails to load does not stop the show either: the worker closes
it, leaves that style's tracks showing their last pictures, and loads it again after a pause
that doubles with each loss in a row (1 s up to 30 s). The HUD says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from bridge.generate.analysis_feed import (
    FrameFeatures,
    TrackAnalysers,
    blank_pictures,
    is_silent,
)
from bridge.generate.generator_api import (
    Generator,
    GeneratorLostError,
    as_generator,
    submit_pictures,
)
from bridge.generate.mailbox import Mailbox
from bridge.generate.scheduler import GenerationScheduler, Group
from bridge.generate.style_cache import StyleCache
from bridge.ingest.service import BridgeService
from bridge.show.latency import LatencyStats
from models.analysis import AnalysisConfig
from models.style_interface import StyleInfo, describe

log = logging.getLogger(__name__)

#: Longest the worker sleeps without new audio (it still expires forgotten tracks).
IDLE_WAIT = 0.05
#: Pause after waking for new audio before analysing it. Devices send their packets at
#: nearly the same moment; waking on the first would analyse one track, and the others'
#: packets, landing a fraction of a millisecond later, would miss the next picture.
GATHER_WAIT = 0.001
#: Pause before starting a lost generator again, doubled for each further loss in a row.
RESTART_FIRST = 1.0
RESTART_MOST = 30.0


@dataclass(frozen=True)
class GeneratedFrame:
    """One generated picture and where it came from."""

    image: np.ndarray  # uint8 (S, S), 255 = full ink
    style: str
    arrival: float | None  # arrival (monotonic s) of the newest packet in its window
    generated: float  # when the picture was ready


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
        #: Whether each track's last picture was of silence (cost no generator time).
        self.silent: dict[Hashable, bool] = {}
        #: Tracks whose analysis window is newer than their last picture.
        self.fresh: dict[Hashable, None] = {}  # an ordered set
        self.frames: dict[Hashable, Mailbox[GeneratedFrame]] = {}
        self.features: dict[Hashable, FrameFeatures] = {}
        #: Effective style per track, set by the render loop (which owns the looks).
        self.style_for: dict[Hashable, str] = {}
        #: Each track's share of its style's expression head (absent: 1), set with it.
        self.expression_for: dict[Hashable, float] = {}
        self.generated = 0
        self.calls = 0  # generator calls (all-silent groups need none)
        #: Each loaded style as it describes itself (analysis window, picture size).
        self._infos: dict[str, StyleInfo] = {}
        self.track_seconds = 0.0  # sum over steps of (live tracks × time since the last step)
        self._last_step: float | None = None
        self._generators: dict[str, Generator] = {}
        self.errors = 0
        #: Generators lost (and started again) so far.
        self.generators_lost = 0
        #: Lost generators by style: (when to start a new one, losses in a row).
        self._lost: dict[str, tuple[float, int]] = {}
        #: Styles being loaded in the background, by name.
        self._loads: dict[str, Future] = {}
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
            # Longer than a hung generator's reply deadline plus closing it.
            self._thread.join(timeout=15.0)

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
        busy = False
        while not self._stop.is_set():
            if not busy:  # after a call, go again at once: other tracks may be due
                due_in = self.scheduler.seconds_until_due(time.monotonic())
                if due_in > 0.0:  # no track may have a picture before then: audio can wait
                    self._stop.wait(min(due_in, IDLE_WAIT))
                else:
                    new_audio.wait(IDLE_WAIT)
                    self._stop.wait(GATHER_WAIT)
            new_audio.clear()
            if self._stop.is_set():
                break
            try:
                busy = self.step(time.monotonic()) > 0
            except Exception:  # keep the show going; the HUD shows the error count
                busy = False
                self.errors += 1
                log.exception("inference step failed")

    def step(self, now: float) -> int:
        """Analyse new audio, then make at most one generator call and post its pictures;
        returns the number of pictures posted.

        The call is waited for rather than overlapped with the next analysis, and analysis
        stays on this thread: docs/architecture.md gives the measured alternatives.
        """
        # The render loop replaces style_for each frame: one step sees one version of it,
        # and takes in finished loads first, so every track is analysed for the style that
        # will draw it.
        style_for, default = self.style_for, self.styles.default
        expression_for = self.expression_for
        self._finish_loads(now)
        self._analyse(now, style_for)
        tracks = list(self.analysers.analysers)
        costly = sum(1 for key in tracks if not self.silent.get(key, False))

        def style_of(key: Hashable) -> str:
            return style_for.get(key, default)

        wanted = {key: style_of(key) for key in self.fresh}
        usable = {style: self._style_usable(style, now) for style in set(wanted.values())}
        # Tracks whose style is not usable yet keep their last pictures meanwhile; so does a
        # track whose style loaded after its audio was analysed (for the default's window).
        # ... and a track whose newest packet ended short of a frame waits for the next one
        # (at most 1.5 hops): its picture then shows audio a frame newer. With 8 tracks this cut
        # packet → generate p95 from 16.1–16.6 to 13.1–13.4 ms (docs/architecture.md).
        ready = [
            key
            for key, style in wanted.items()
            if usable[style]
            and self.analysers[key].config == self.describe(style).analysis
            and not self.analysers[key].frame_pending(now)
        ]
        group = self.scheduler.select(now, ready, tracks, style_of, costly)
        if group is None:
            return 0
        name = self.styles.name_for(group.style)  # loaded: only usable styles were offered
        try:
            return self._generate(group, expression_for)
        except GeneratorLostError as exc:
            self._lose(name, exc, now)
            return 0

    def _style_usable(self, wanted: str, now: float) -> bool:
        """Whether the style a track asks for can take a call now. If it is not loaded (and
        not pausing after a loss), start loading it in the background."""
        name = self.styles.name_for(wanted)
        if self.styles.is_loaded(name):
            return True
        lost = self._lost.get(name)
        if (lost is None or lost[0] <= now) and name not in self._loads:
            load: Future = Future()
            with self._lock:
                self._loads[name] = load
            threading.Thread(
                target=self._load, args=(name, load), name=f"load-{name}", daemon=True
            ).start()
        return False

    def _load(self, name: str, load: Future) -> None:
        """On a thread of its own (daemon: a child stuck starting never holds up exit)."""
        try:
            load.set_result(self.styles.load(name))
        except BaseException as exc:  # handed to the worker, which decides what it means
            load.set_exception(exc)

    def _finish_loads(self, now: float) -> None:
        """Take in background loads that ended. A style that cannot be had falls back to
        the default (StyleCache remembers it); any other failure — a process that did not
        start, a default that does not load — pauses it like a lost generator."""
        for name, load in list(self._loads.items()):
            if not load.done():
                continue
            with self._lock:
                del self._loads[name]
            exc = load.exception()
            if exc is None or (name != self.styles.default and self.styles.has_failed(name)):
                continue
            self._lose(name, exc, now)

    def _lose(self, name: str, exc: BaseException, now: float) -> None:
        """Close a lost generator and pause its style before starting a new one."""
        self._generators.pop(name, None)
        self.styles.discard(name)
        in_a_row = self._lost.get(name, (0.0, 0))[1] + 1
        pause = min(RESTART_MOST, RESTART_FIRST * 2 ** (in_a_row - 1))
        with self._lock:
            self._lost[name] = (now + pause, in_a_row)
        self.generators_lost += 1
        log.warning("generator for style %r lost (%s); a new one in %.0f s", name, exc, pause)

    def trouble(self, now: float) -> list[str]:
        """What is wrong with the generators, for the HUD (nothing when all is well)."""
        with self._lock:
            lost = dict(self._lost)
            loading = set(self._loads)
        lines = []
        for name, (at, in_a_row) in sorted(lost.items()):
            if at > now:
                lines.append(f"generator {name} lost ({in_a_row}×), restarting in {at - now:.0f} s")
            elif name in loading:
                lines.append(f"generator {name} lost ({in_a_row}×), restarting")
            # else: restarted; the entry only keeps the count until a call succeeds
        lines.extend(f"style {name} loading" for name in sorted(loading - set(lost)))
        return lines

    def describe(self, wanted: str) -> StyleInfo:
        """What the style a track asks for says of itself. A description outlives its
        generator process (a restarted one describes itself the same), so a style that was
        ever loaded is known; one never loaded yet is described as the default style (loaded
        before the show starts). Never loads anything: this runs on the worker's thread."""
        for name in (self.styles.name_for(wanted), self.styles.default):
            info = self._infos.get(name)
            if info is None:
                style = self.styles.peek(name)
                if style is None:
                    continue
                info = self._infos[name] = describe(style)
            return info
        return describe(None)

    def _analysis_for(self, style_for: dict[Hashable, str]):
        default = self.styles.default

        def config_for(key: Hashable) -> AnalysisConfig:
            return self.describe(style_for.get(key, default)).analysis

        return config_for

    def _analyse(self, now: float, style_for: dict[Hashable, str]) -> None:
        started = time.perf_counter()
        ready, gone = self.analysers.pull(self.service, self._analysis_for(style_for))
        for key in gone:
            self.scheduler.forget(key)
            self.fresh.pop(key, None)
            self.silent.pop(key, None)
        for key in ready:
            self.fresh[key] = None
        if self._last_step is not None:
            self.track_seconds += len(self.analysers) * max(0.0, now - self._last_step)
        self._last_step = now
        features = self.analysers.features()
        with self._lock:
            self.features = features
            for key in list(self.frames):
                if key not in features:
                    del self.frames[key]
        if ready:
            self.latency.add("analysis", time.perf_counter() - started)

    def mean_rate_hz(self) -> float:
        """Pictures generated per second per live track, over the whole run."""
        return self.generated / self.track_seconds if self.track_seconds > 0 else 0.0

    def _generator(self, wanted: str) -> tuple[str, Generator]:
        name, style = self.styles.get(wanted)  # loaded once, so wrapped once
        if name not in self._generators:
            self._generators[name] = as_generator(style)
        return name, self._generators[name]

    def _generate(self, group: Group, expression_for: dict[Hashable, float]) -> int:
        """Generate the group's sounding windows, waiting for them, and post every member's
        picture (blank for silence); returns the number of pictures posted."""
        name, generator = self._generator(group.style)
        members = group.keys
        windows = np.stack([self.analysers[k].window() for k in members])
        arrivals = [self.analysers[k].frame_arrival for k in members]
        for key in members:
            self.fresh.pop(key, None)
        sounding = [i for i, window in enumerate(windows) if not is_silent(window)]
        for i, key in enumerate(members):
            self.silent[key] = i not in sounding
        size = self.describe(group.style).image_size
        images = blank_pictures(len(members), size)
        if sounding:
            begun = time.monotonic()
            for i in sounding:
                if arrivals[i] is not None:
                    self.latency.add("packet_to_generate", begun - arrivals[i])
            amounts = [expression_for.get(members[i], 1.0) for i in sounding]
            submit_pictures(generator, windows[sounding], amounts)
            drawn = generator.collect()
            if name in self._lost:  # a new generator answered: the style is well again
                with self._lock:
                    del self._lost[name]
                log.info("generator for style %r is back", name)
            self.calls += 1
            seconds = generator.last_seconds
            self.latency.add("generate", seconds)
            self.scheduler.observe(group.style, len(sounding), seconds)
            if drawn.shape[1:] != images.shape[1:]:  # a stand-in that says nothing of itself
                images = blank_pictures(len(members), drawn.shape[-1])
            images[sounding] = drawn
        done = time.monotonic()
        for key, image, arrival in zip(members, images, arrivals, strict=True):
            self.mailbox(key).post(GeneratedFrame(image, name, arrival, done))
        self.generated += len(members)
        return len(members)
