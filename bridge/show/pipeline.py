"""The live pipeline's main-thread half: looks + generated pictures → the compositor.

:class:`LivePipeline` is called once per display frame, on the thread that owns the GL
context (glfw insists on the main thread). It applies queued controls, syncs the looks with
the registry, hands new pictures from the inference worker's mailboxes to the compositor,
and measures packet-in → frame-out latency when a new picture is first shown. It draws
nothing itself: a glfw :class:`~renderer.window.Window` or a
:class:`~renderer.headless.HeadlessRenderer` does, and :func:`run_window` /
:func:`run_headless` are the two loops around it.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

from bridge.generate.analysis_feed import normalised
from bridge.generate.worker import InferenceWorker
from bridge.ingest.protocol import LayerControl, LayerReset, MasterControl, PresetControl
from bridge.ingest.registry import TrackState
from bridge.ingest.service import BridgeService
from bridge.show.keyboard import LooksKeyboard
from bridge.show.latency import LatencyStats
from bridge.show.looks import Looks, TrackInfo
from bridge.show.presets import PresetError, load_preset, save_preset
from renderer.compositor import Compositor
from renderer.ink import InkImageError
from renderer.settings import LayerFeatures
from renderer.slots import SlotsFullError

log = logging.getLogger(__name__)

ControlEvent = LayerControl | LayerReset | MasterControl | PresetControl


@dataclass
class PipelineStats:
    frames: int = 0
    images_shown: int = 0
    images_refused: int = 0  # no free layer slot, or a malformed picture
    controls_applied: int = 0
    controls_unmatched: int = 0
    preset_errors: int = 0
    started: float = field(default_factory=time.monotonic)


class LivePipeline:
    """Everything the render loop does per frame, independent of window or headless."""

    def __init__(
        self,
        service: BridgeService,
        worker: InferenceWorker,
        compositor: Compositor,
        *,
        looks: Looks | None = None,
        latency: LatencyStats | None = None,
        presets_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.worker = worker
        self.compositor = compositor
        self.looks = looks or Looks()
        self.latency = latency or worker.latency
        self.presets_dir = presets_dir
        self.keyboard = LooksKeyboard(self.looks)
        self.stats = PipelineStats()
        self.controls: queue.SimpleQueue[ControlEvent] = queue.SimpleQueue()
        self._seen: dict[Hashable, int] = {}
        self._applied: dict[Hashable, object] = {}
        self._just_shown: list[tuple[float, float]] = []  # (packet arrival, picture ready)
        self.message = ""

    def on_control(self, event: ControlEvent, _arrival: float) -> None:
        """Called on the ingest thread: queue the control for the render thread."""
        self.controls.put(event)

    def _apply_controls(self) -> None:
        while True:
            try:
                event = self.controls.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, PresetControl):
                self._preset(event)
                continue
            if self.looks.apply(event):
                self.stats.controls_applied += 1
            else:
                self.stats.controls_unmatched += 1

    def _preset(self, event: PresetControl) -> None:
        try:
            if event.action == "save":
                path = save_preset(self.looks, event.name, self.presets_dir)
                self.message = f"preset {event.name} saved"
                log.info("preset saved to %s", path)
            else:
                matched = load_preset(self.looks, event.name, self.presets_dir)
                self.message = f"preset {event.name} loaded ({matched} layers)"
                log.info("%s", self.message)
        except (PresetError, OSError) as exc:
            self.stats.preset_errors += 1
            self.message = f"preset {event.name}: {exc}"
            log.warning("%s", self.message)

    def _track_infos(self) -> tuple[list[TrackInfo], float | None]:
        now = time.monotonic()
        with self.service.lock:
            infos = [
                TrackInfo(
                    key=t.key,
                    uuid=t.uuid,
                    name=t.meta.name,
                    color=t.meta.color,
                    track_index=t.meta.track_index,
                    live=t.state is TrackState.LIVE,
                    params=t.params,
                    params_version=t.params_version,
                )
                for t in self.service.registry.tracks.values()
            ]
            clock = self.service.clock
            beat = clock.state(now) if clock.has_transport else None
        phase = beat.beat_phase if beat is not None and beat.playing else None
        return infos, phase

    def update(self, t: float) -> tuple[dict[Hashable, LayerFeatures], float | None]:
        """Prepare frame ``t``: returns this frame's features and beat phase."""
        infos, beat_phase = self._track_infos()
        self.looks.sync(infos)
        self._apply_controls()  # after the sync, so controls can name brand-new tracks
        for key in self.looks.advance(t):
            self.compositor.scene.remove_layer(key)
            self.compositor.remove_layer(key)
            self._seen.pop(key, None)
            self._applied.pop(key, None)
        self.worker.style_for = {key: self.looks.style(key) for key in self.looks.layers}
        scene = self.compositor.scene
        for key, settings in self.looks.all_settings().items():
            if self._applied.get(key) != settings:  # unchanged settings cost nothing
                scene.set_layer(key, settings)
                self._applied[key] = settings
        if scene.master != self.looks.master:
            scene.set_master(self.looks.master)
        features = {}
        track_features = self.worker.track_features()
        for key in self.looks.layers:
            letter = self.worker.mailbox(key).take_new(self._seen.get(key, 0))
            if letter is not None:
                self._seen[key] = letter.version
                try:
                    self.compositor.push_image(key, letter.value.image, t)
                except (SlotsFullError, InkImageError) as exc:
                    self.stats.images_refused += 1
                    if self.stats.images_refused == 1:
                        log.warning("a picture could not be shown: %s", exc)
                    continue
                self.stats.images_shown += 1
                if letter.value.arrival is not None:
                    self._just_shown.append((letter.value.arrival, letter.value.generated))
            if key in track_features:
                features[key] = LayerFeatures(*normalised(track_features[key]))
        return features, beat_phase

    def frame(self, now: float, draw: Callable[[float, dict, float | None], object]) -> object:
        """Prepare, draw (``draw(t, features, beat_phase)``) and account one frame at ``now``;
        returns what ``draw`` returned. Both loops below go through here, so ``--stats``
        times the same stages (``update``, ``render``) in a window and headless."""
        features, beat_phase = self.update(now)
        drawing = time.monotonic()
        result = draw(now, features, beat_phase)
        out = time.monotonic()
        self.latency.add("update", drawing - now)
        self.latency.add("render", out - drawing)
        self.frame_out(out)
        return result

    def frame_out(self, when: float | None = None) -> None:
        """The frame prepared by :meth:`update` is now on screen (or in the video)."""
        out = time.monotonic() if when is None else when
        for arrival, generated in self._just_shown:
            self.latency.add("packet_to_frame", out - arrival)
            self.latency.add("picture_to_frame", out - generated)
        self._just_shown.clear()
        self.stats.frames += 1

    def status_lines(self) -> list[str]:
        """Lines for the HUD and --stats: generation rate, tracks, latency."""
        report = self.worker.scheduler.report(time.monotonic())
        generation = (
            f"generation {report.achieved_hz:.1f}/{report.target_hz:.0f} fps per track"
            f" ({report.cost_ms:.1f} ms/image)"
        )
        if report.limited:
            generation += f" — CPU-bound, lowered to {report.rate_hz:.1f}"
        p50, p95 = self.latency.percentiles("packet_to_frame")
        lines = [
            generation,
            f"tracks {len(self.looks.layers)}  latency p50 {p50 * 1000:.0f} ms "
            f"p95 {p95 * 1000:.0f} ms",
        ]
        lines.extend(self.worker.trouble(time.monotonic()))
        for message in (self.keyboard.message, self.message):
            if message:
                lines.append(message)
        return lines


def run_window(
    pipeline: LivePipeline,
    window,  # renderer.window.Window; typed loosely so importing this needs no glfw
    *,
    seconds: float | None = None,
    on_frame: Callable[[], None] | None = None,
) -> int:
    """Show the live picture until the window closes (or ``seconds`` pass)."""
    window.add_key_handler(pipeline.keyboard.handle)
    window.add_status_provider(pipeline.status_lines)
    start = time.monotonic()
    while not window.should_close:
        now = time.monotonic()
        if seconds is not None and now - start >= seconds:
            break
        pipeline.frame(now, window.frame)
        if on_frame is not None:
            on_frame()
    return pipeline.stats.frames


def run_headless(
    pipeline: LivePipeline,
    render: Callable[[float, dict, float | None], object],
    *,
    fps: float,
    seconds: float,
    on_frame: Callable[[object], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Run the live picture without a window, paced at ``fps`` in real time.

    ``render(t, features, beat_phase)`` draws (and reads back) one frame; ``on_frame``
    gets each frame (e.g. a video writer). A frame that is late is not made up for: the
    loop stays on the wall clock, as a projector would.
    """
    period = 1.0 / fps
    start = time.monotonic()
    next_frame = start
    while time.monotonic() - start < seconds:
        if stop is not None and stop():
            break
        frame = pipeline.frame(time.monotonic(), render)
        if on_frame is not None:
            on_frame(frame)
        next_frame += period
        delay = next_frame - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -period:
            next_frame = time.monotonic()
    return pipeline.stats.frames
