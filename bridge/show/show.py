"""The show: tracks → looks → pictures → compositor, once per frame, live and offline alike.

:class:`Show` is built with its collaborators and is the same object in every mode; only
three of them differ:

- the **clock**: :func:`run_window` / :func:`run_headless` call :meth:`Show.frame` on the
  wall clock, an offline render (``renderer.offline.render_to_sink``) on injected time
  (frame *i* at *i / fps*);
- the **track source** (:mod:`bridge.show.sources`): the bridge's UDP streams, or stems read
  from files;
- the **picture feed** (:mod:`bridge.generate.feeds`): the background inference worker, or the
  offline look-ahead.

Each frame it takes the tracks from the source, applies controls and fades to the looks,
tells the feed which style draws each track, takes the frame's pictures and features, places
every layer with the composition (:mod:`bridge.show.compositions`, which reads the features
to tell what each voice is), hands new pictures and this frame's settings to the compositor,
and publishes one immutable :class:`~bridge.show.snapshot.TrackSnapshot` per track
(:attr:`Show.snapshots`) for the HUD, the keyboard and the stats to read. It runs on the
thread that owns the GL context (glfw insists on the main thread) and draws nothing itself: a
glfw :class:`~renderer.window.Window` or a :class:`~renderer.headless.HeadlessRenderer`
does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

from bridge.control.show_controls import ControlIO, ShowControls
from bridge.generate.analysis_feed import FeatureRecord
from bridge.generate.feeds import PictureFeed
from bridge.ingest.protocol import PresetControl
from bridge.show.form_strip import StripRow, draw_form_strip, strip_box
from bridge.show.keyboard import LooksKeyboard
from bridge.show.latency import LatencyStats
from bridge.show.looks import Looks
from bridge.show.presets import PresetError, load_preset, save_preset
from bridge.show.snapshot import TrackSnapshot
from bridge.show.sources import TrackSource
from bridge.show.structure_feed import StructureFeed
from bridge.show.structure_looks import track_name
from renderer.compositor import Compositor
from renderer.ink import InkImageError
from renderer.settings import LayerFeatures, tint_from_live_color
from renderer.slots import SlotsFullError

log = logging.getLogger(__name__)

SILENT_RECORD = FeatureRecord()


@dataclass
class ShowStats:
    frames: int = 0
    images_shown: int = 0
    images_refused: int = 0  # no free layer slot, or a malformed picture
    controls_applied: int = 0
    controls_unmatched: int = 0
    preset_errors: int = 0
    started: float = field(default_factory=time.monotonic)


class Show:
    """Everything done per frame, whatever draws it and whatever clock drives it."""

    def __init__(
        self,
        source: TrackSource,
        feed: PictureFeed,
        compositor: Compositor,
        *,
        looks: Looks | None = None,
        latency: LatencyStats | None = None,
        presets_dir: Path | None = None,
        control: ControlIO | None = None,
        structure: StructureFeed | None = None,
    ) -> None:
        self.source = source
        self.feed = feed
        #: Bars, motifs and sections of the music (None: the picture ignores structure).
        self.structure = structure
        self._form_drawn: tuple | None = None  # what the form strip overlay shows
        self.compositor = compositor
        self.looks = looks or Looks()
        self.latency = latency or LatencyStats()
        self.presets_dir = presets_dir
        control = control or ControlIO()
        # Keys, OSC layer numbers and feedback count layers as the HUD does: the scene's order.
        self.keyboard = LooksKeyboard(
            self.looks,
            draw_order=lambda: [key for key, _ in compositor.scene.snapshot().layers],
            learner=control.learner,
        )
        #: Layer numbers, the selection, relative steps, MIDI and feedback.
        self.control = ShowControls(self.keyboard, control)
        self.stats = ShowStats()
        #: This frame's tracks, one immutable record each, in draw order (bottom first).
        self.snapshots: tuple[TrackSnapshot, ...] = ()
        self._shown: dict[Hashable, int] = {}  # pictures shown per layer
        self._applied: dict[Hashable, object] = {}
        self._just_shown: list[tuple[float, float]] = []  # (packet arrival, picture ready)
        self.message = ""
        #: The bars the structure feed completed this frame (for whoever publishes them).
        self.bars: list = []

    def _apply_controls(self, now: float) -> None:
        for event in self.control.incoming(self.source.controls()):
            if isinstance(event, PresetControl):
                self._preset(event)
                continue
            touched = self.control.apply(event, now)
            if touched is None:
                touched = self.looks.apply(event)  # type: ignore[arg-type]
            if touched:
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
        except Exception:  # a bug must not end the show: count it, say so, go on
            self.stats.preset_errors += 1
            self.message = f"preset {event.name}: internal error (see the log)"
            log.exception("preset %s", event.name)

    def update(self, t: float) -> tuple[dict[Hashable, LayerFeatures], float | None]:
        """Prepare frame ``t``: returns this frame's features and beat phase."""
        self.looks.sync(self.source.tracks(t))
        self._apply_controls(t)  # after the sync, so controls can name brand-new tracks
        gone = self.looks.advance(t)
        for key in gone:
            self.compositor.remove_layer(key)  # the scene's layer and its texture slot
            self._shown.pop(key, None)
            self._applied.pop(key, None)
        if self.structure is not None:
            self.looks.structure.forget(track_name(key) for key in gone)
            self.bars = self.looks.structure.take(self.structure.bars(t), t)
        keys = list(self.looks.layers)
        styles = {key: self.looks.style(key) for key in keys}
        self.feed.follow(styles, {key: self.looks.expression(key) for key in keys})
        self.feed.want_chroma(self.looks.colour != "track")  # chroma only where it is seen
        pictures, records = self.feed.take(t, keys)
        width, height = self.compositor.size
        transport = self.source.transport(t)  # one look at the transport per frame
        beat_phase = transport.beat_phase if transport is not None else None
        self.looks.compose(t, records, width / height, transport)  # where layers sit
        scene = self.compositor.scene
        settings = self.looks.all_settings()
        for key, layer in settings.items():
            if self._applied.get(key) != layer:  # unchanged settings cost nothing
                scene.set_layer(key, layer)
                self._applied[key] = layer
        master = self.looks.render_master()
        if scene.master != master:
            scene.set_master(master)
        for key, picture in pictures.items():
            if key not in settings:
                continue
            try:
                self.compositor.push_image(key, picture.image, t)
            except (SlotsFullError, InkImageError) as exc:
                self.stats.images_refused += 1
                if self.stats.images_refused == 1:
                    log.warning("a picture could not be shown: %s", exc)
                continue
            self.stats.images_shown += 1
            self._shown[key] = self._shown.get(key, 0) + 1
            if picture.arrival is not None:
                self._just_shown.append((picture.arrival, picture.generated))
        features = {
            key: LayerFeatures(r.level, r.onset, r.centroid, r.flatness)
            for key, r in records.items()
            if key in settings
        }
        self._publish(settings, styles, records)
        self._draw_form()
        self.control.publish(t)  # feedback, MIDI LEDs and OSCQuery see this frame's state
        return features, beat_phase

    def _publish(self, settings: dict, styles: dict, records: dict) -> None:
        snapshots = []
        for key, layer in settings.items():
            look = self.looks.layers[key]
            info = look.info
            snapshots.append(
                TrackSnapshot(
                    key=key,
                    uuid=info.uuid,
                    name=info.name,
                    color=info.color,
                    track_index=info.track_index,
                    live=info.live and not look.departed,
                    style=styles[key],
                    settings=layer,
                    presence=look.presence,
                    features=records.get(key, SILENT_RECORD),
                    pictures=self._shown.get(key, 0),
                )
            )
        snapshots.sort(key=lambda s: (s.settings.order, str(s.key)))
        self.snapshots = tuple(snapshots)

    def _draw_form(self) -> None:
        """Keep the form strip overlay in step: redrawn when a bar, the tracks, the frame
        size or the switch changes (about once a bar), removed when switched off."""
        structure = self.looks.structure
        shown = self.structure is not None and self.looks.form_on
        tracks = tuple(
            StripRow(track_name(s.key), tint_from_live_color(s.color), s.name)
            for s in self.snapshots
        )
        size = self.compositor.size
        key = (shown, structure.bars_seen, tracks, size) if shown else None
        if key == self._form_drawn:
            return
        self._form_drawn = key
        if not shown:
            self.compositor.set_overlay(None)
            return
        box = strip_box(size)
        self.compositor.set_overlay(draw_form_strip(structure.history, tracks, box[2:]), box)

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
        """Lines for the HUD and --stats: generation rate, tracks, latency, trouble."""
        now = time.monotonic()
        lines = self.feed.status_lines(now)
        p50, p95 = self.latency.percentiles("packet_to_frame")
        names = ", ".join(s.label for s in self.snapshots[:8])
        more = f" +{len(self.snapshots) - 8}" if len(self.snapshots) > 8 else ""
        lines.insert(
            1,
            f"tracks {len(self.snapshots)} ({names}{more})  latency p50 {p50 * 1000:.0f} ms "
            f"p95 {p95 * 1000:.0f} ms",
        )
        if self.structure is not None:
            lines.append(self.structure_line())
        expression = self.expression_line()
        if expression:
            lines.append(expression)
        for message in (self.keyboard.message, self.message, self.control.message):
            if message:
                lines.append(message)
        return lines

    def expression_line(self) -> str:
        """The layers whose pictures get less than their style's expression head, for the
        HUD ("" when every layer draws as its style does)."""
        changed = []
        for snapshot in self.snapshots:
            if snapshot.key in self.looks.layers:
                amount = self.looks.expression(snapshot.key)
                if amount < 1.0:
                    changed.append(f"{snapshot.label[:8]} {amount:.2f}")
        return "expression: " + "  ".join(changed) if changed else ""

    def structure_line(self) -> str:
        """The structure as the HUD shows it: section, bar and each track's motif."""
        structure = self.looks.structure
        if structure.bar < 0:
            return "structure: listening for the first bar"
        motifs = []
        for snapshot in self.snapshots[:8]:
            motif = structure.motif_of(track_name(snapshot.key))
            label = "-" if motif is None else motif.label
            motifs.append(f"{snapshot.label[:8]} {label}")
        state = "" if self.looks.structure_on else " (off)"
        return f"section {structure.section or '?'}  bar {structure.bar + 1}{state}  " + "  ".join(
            motifs
        )


def run_window(
    show: Show,
    window,  # renderer.window.Window; typed loosely so importing this needs no glfw
    *,
    seconds: float | None = None,
    on_frame: Callable[[], None] | None = None,
    draw: Callable[[float, dict, float | None], object] | None = None,
) -> int:
    """Show the live picture until the window closes (or ``seconds`` pass).

    ``draw`` replaces ``window.frame`` (e.g. one that also hands the frame to live sinks
    before the buffers swap, :func:`renderer.sinks.screen.frame_with_sinks`)."""
    window.add_key_handler(show.keyboard.handle)
    window.controls = show.keyboard  # the HUD marks the layer the show's keys selected
    window.add_status_provider(show.status_lines)
    start = time.monotonic()
    while not window.should_close:
        now = time.monotonic()
        if seconds is not None and now - start >= seconds:
            break
        show.frame(now, draw or window.frame)
        if on_frame is not None:
            on_frame()
    return show.stats.frames


def run_headless(
    show: Show,
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
        frame = show.frame(time.monotonic(), render)
        if on_frame is not None:
            on_frame(frame)
        next_frame += period
        delay = next_frame - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -period:
            next_frame = time.monotonic()
    return show.stats.frames
