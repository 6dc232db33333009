"""Assembling and running the live show: bridge service, inference worker, renderer.

``synaesthete bridge`` and ``synaesthete demo`` both come here. The threads:

- ``osc-receive`` and ``ingest`` (the :class:`~bridge.ingest.service.BridgeService`),
- ``inference`` (the :class:`~bridge.generate.worker.InferenceWorker`),
- the main thread: the compositor in a glfw window, or headless into a video.

Ctrl-C (or closing the window) stops everything in reverse order and closes the socket
and the video file properly.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from bridge.control.session import ControlOptions, ControlSession
from bridge.generate.feeds import BackgroundFeed
from bridge.generate.scheduler import GenerationScheduler
from bridge.generate.style_cache import StyleCache
from bridge.generate.worker import InferenceWorker
from bridge.ingest.service import BridgeService
from bridge.show.colour import DEFAULT_COLOUR
from bridge.show.compositions import DEFAULT_COMPOSITION
from bridge.show.latency import LatencyStats
from bridge.show.looks import Looks, master_with
from bridge.show.presets import Preset, apply_preset
from bridge.show.show import Show, run_headless, run_window
from bridge.show.sources import StreamSource
from bridge.show.structure_feed import LiveStructureFeed
from models.paths import DEFAULT_STYLE, find_style_dir

if TYPE_CHECKING:
    from renderer.sinks.fanout import SinkSet
    from renderer.video import AudioTrack

log = logging.getLogger(__name__)

#: GIL switch interval while the show runs (Python's default is 0.005 s).
SWITCH_INTERVAL = 0.001


@dataclass
class LiveOptions:
    """How to run the show (from the command line)."""

    style: str = DEFAULT_STYLE
    size: tuple[int, int] = (1280, 720)
    fps: float = 60.0
    target_hz: float = 30.0
    threads: int = 1
    #: Where the generators run: ``auto`` (a GPU when there is one), ``cpu``, ``cuda``, ``mps``.
    device: str = "auto"
    #: The generators' precision: ``fast`` (bfloat16 on a CPU with native bfloat16, float16
    #: on a GPU, else float32), ``auto``, ``float32``, ``bfloat16`` or ``float16``
    #: (:func:`models.inference.resolve_precision`).
    precision: str = "fast"
    #: How a generator child runs (models/inference.py): ``live`` answers at once with eager
    #: pictures and switches to compiled graphs when they are built (~12 s); ``compiled``
    #: waits for them (benchmarks of the steady state); ``eager`` never compiles.
    engine: str = "live"
    headless: bool = False
    out: Path | None = None
    seconds: float | None = None
    fullscreen: bool = False
    monitor: int = 0
    stats_interval: float | None = None
    presets_dir: Path | None = None
    internal_height: int | str | None = "auto"
    #: x264 preset of a live recording: the fastest, since the recording shares the CPU with
    #: the show (5–6 ms of CPU a 1280×720 frame against 12–13 for veryfast, at ~2.7× the
    #: bytes; 46 dB PSNR at CRF 18). An offline render takes its time (``--preset``).
    video_preset: str = "ultrafast"
    #: Run generators in child processes (one core for pictures, one for the show).
    generator_process: bool = True
    #: The layout the show starts with (it can be switched live).
    composition: str = DEFAULT_COMPOSITION
    #: The colour mode the show starts with (bridge/show/colour.py; switchable live).
    colour: str = DEFAULT_COLOUR
    #: For a recording: given the ``time.monotonic()`` of its first frame, the sound to
    #: mux under it (the demo passes its loop from where the simulator then was), or None.
    soundtrack: Callable[[float], AudioTrack | None] | None = None
    #: Live video out besides the window or file: an NDI source name, or None.
    ndi: str | None = None
    #: A virtual camera: a device ("" for the first free one), or None for none.
    virtual_camera: str | None = None
    #: Draw the layers over a transparent background (alpha 0), for NDI keying.
    transparent: bool = False
    #: MIDI, OSC feedback and OSCQuery (bridge/control/session.py).
    control: ControlOptions = field(default_factory=ControlOptions)
    #: Show the music's structure (motif places, accents, section colours), and the form
    #: strip; both switchable live. Either on runs the structure analysis.
    structure: bool = True
    form: bool = False
    #: Every layer's share of its style's expression head until a controller sets it.
    expression: float = 1.0
    #: How ink is drawn at the start: "stroke" or "field" (``/syn/master/ink`` live).
    ink: str = "stroke"
    #: A saved look to start with (``--look``), as ``/syn/preset/load`` would load it.
    preset: Preset | None = None


def open_sinks(options: LiveOptions) -> SinkSet:
    """The live sinks ``options`` ask for (NDI, virtual camera), opened lazily at the first
    frame's size; empty (false) when none is asked for."""
    from renderer.sinks.fanout import SinkSet

    sinks = SinkSet(options.fps)
    if options.ndi is not None:
        from renderer.sinks.ndi import NdiSink

        name = options.ndi
        sinks.add(f"NDI {name}", lambda size, fps: NdiSink(name, size, fps))
    if options.virtual_camera is not None:
        from renderer.sinks.virtual_camera import VirtualCameraSink

        device = options.virtual_camera or None
        sinks.add("virtual camera", lambda size, fps: VirtualCameraSink(size, fps, device=device))
    return sinks


def display_available() -> bool:
    """Whether a window can be opened here (an X/Wayland display, or not Linux)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


#: How long the live show waits for a generator child before calling it hung and starting a
#: new one. A live call took 10 ms for one picture and 60 ms for eight on the 2-core
#: machine we measure on; 3 s leaves room for a loaded machine and still keeps a hung child
#: from freezing the pictures for long.
LIVE_REPLY_TIMEOUT = 3.0
#: How long a generator child may take to load its style before the live show gives up and
#: tries again later (it starts in ~1.5 s here; the default, 120 s, suits batch jobs).
LIVE_START_TIMEOUT = 30.0
#: A frame more than this many periods after the last one is late (the scheduler gives the
#: display CPU back by lowering the generation rate).
LATE_FRAME = 2.0
#: How much lower the generator processes' scheduling priority is than the show's (os.nice).
GENERATOR_NICENESS = 5


def style_loader(
    threads: int,
    in_process: bool = False,
    device: str = "auto",
    engine: str = "live",
    precision: str = "auto",
) -> Callable[[str], object]:
    """Load styles in a generator child process (default) or in this process, on ``device``
    (``auto|cpu|cuda|mps``) at ``precision`` (``auto|float32|float16|bfloat16``). A child
    runs ``engine`` (by default ``live``: eager pictures at once, compiled ones once built,
    models/inference.py) at a lower priority (:data:`GENERATOR_NICENESS`); in this process
    the style runs eager."""

    def load(name: str) -> object:
        # Fail fast, without starting a process, for a name no style folder has: a device or
        # controller can ask for any well-formed name, and each would otherwise cost a child.
        find_style_dir(name)  # raises StyleNotFoundError (an OSError)
        if in_process:
            from models.style import Style

            return Style.load(name, threads=threads, device=device, precision=precision)
        from bridge.generate.generator_process import RemoteStyle

        return RemoteStyle(
            name,
            threads=threads,
            reply_timeout=LIVE_REPLY_TIMEOUT,
            start_timeout=LIVE_START_TIMEOUT,
            device=device,
            engine=engine,
            niceness=GENERATOR_NICENESS,
            precision=precision,
        )

    return load


class PacedRecorder:
    """Writes live frames to a video on the wall clock: a frame late by k periods is
    written k+1 times, so the video's length equals the time recorded."""

    def __init__(self, writer, fps: float, start: float | None = None) -> None:
        self.writer = writer  # a renderer.video_process.BackgroundVideoWriter
        self.fps = fps
        self.start = start  # the wall-clock time of video time 0 (default: the first frame)
        self.duplicated = 0

    def __call__(self, frame: np.ndarray) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start = now
        due = int((now - self.start) * self.fps) + 1
        copies = max(1, due - self.writer.frames_written)
        self.duplicated += copies - 1
        self.writer.write(frame, copies)


class LiveShow:
    """The live assembly: the bridge's streams, the background inference worker and a
    :class:`~bridge.show.show.Show` on the wall clock; :meth:`run` blocks until it ends.

    :meth:`assemble` binds the show to a compositor (a window's or a headless renderer's);
    ``run`` does that itself, and tests call it to step the very same show frame by frame.
    """

    def __init__(
        self,
        service: BridgeService,
        options: LiveOptions,
        *,
        loader: Callable[[str], object] | None = None,
    ) -> None:
        self.service = service
        self.options = options
        self.latency = LatencyStats()
        self.scheduler = GenerationScheduler(target_hz=options.target_hz)
        self.styles = StyleCache(
            loader
            or style_loader(
                options.threads,
                not options.generator_process,
                options.device,
                options.engine,
                options.precision,
            ),
            options.style,
        )
        self.worker = InferenceWorker(
            service, self.styles, scheduler=self.scheduler, latency=self.latency
        )
        self.show: Show | None = None
        #: Bars, motifs and sections from every track's audio (its thread runs in :meth:`run`).
        self.structure = LiveStructureFeed(service) if options.structure or options.form else None
        #: MIDI ports, feedback and OSCQuery while :meth:`run` runs (None: plain controls).
        self.controls: ControlSession | None = None
        #: One compositor slot per possible track (the compositor allows up to 128).
        self.max_layers = min(128, service.registry.max_tracks)
        self.stop_requested = threading.Event()
        #: The headless recording's pacer (frames written and repeated), once it started.
        self.recorder: PacedRecorder | None = None
        self._last_stats = time.monotonic()
        self._last_frame: float | None = None

    def _print_stats(self) -> None:
        interval = self.options.stats_interval
        if interval is None or self.show is None:
            return
        now = time.monotonic()
        if now - self._last_stats < interval:
            return
        self._last_stats = now
        counters = self.service.counters()
        if self.controls is not None:  # feedback and MIDI: registered, refused, dropped …
            counters.update(self.controls.counters())
        counts = sorted(counters.items())
        dropped = [f"{k} {v}" for k, v in counts if v and k != "controls"]
        counters = ", ".join(dropped) or "nothing dropped"
        lines = [*self.show.status_lines(), self.latency.format_line(), counters]
        print(" | ".join(lines), flush=True)

    def prepare(self) -> None:
        """Load the default style now (a second or two), so a failure shows before any
        window or file is opened and the first pictures are not late."""
        self.styles.get(self.options.style)

    def run(self) -> int:
        """Run until the window closes, ``seconds`` pass, Ctrl-C, or :attr:`stop_requested`."""
        # Threads hand the GIL over every 5 ms by default; the render loop, which waits for
        # it between numpy calls, then stalls behind the receive and analysis threads.
        previous_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        # The show's matrix products are small (a frame's mel bands); OpenBLAS would split
        # them with a helper thread that spins between calls: with 16 tracks it burnt half a
        # core and the recording drew 3.9 instead of 14 frames a second (bench/recording.py).
        blas = threadpool_limits(limits=1, user_api="blas")
        try:
            self.prepare()
            self.controls = ControlSession(self.options.control, self.service)
            self.worker.start()
            if self.structure is not None:
                self.structure.start()
            try:
                if self.options.headless or self.options.out is not None:
                    return self._run_headless()
                return self._run_window()
            finally:
                self.worker.stop()
                if self.structure is not None:
                    self.structure.close()
                self.styles.close()
                self.controls.close()
        finally:
            sys.setswitchinterval(previous_interval)  # the host process's own setting again
            blas.restore_original_limits()

    def assemble(self, compositor) -> Show:  # renderer.compositor.Compositor
        """The show, drawing into ``compositor``."""
        looks = Looks(
            composition=self.options.composition,
            colour_mode=self.options.colour,
            expression=self.options.expression,
        )
        looks.master = master_with(looks.master, "ink", self.options.ink)
        if self.options.preset is not None:
            apply_preset(looks, self.options.preset)
        looks.structure_on, looks.form_on = self.options.structure, self.options.form
        if self.options.transparent:
            looks.master = replace(looks.master, background_alpha=0.0)
        self.show = Show(
            StreamSource(self.service),
            BackgroundFeed(self.worker),
            compositor,
            looks=looks,
            latency=self.latency,
            presets_dir=self.options.presets_dir,
            control=self.controls.io if self.controls is not None else None,
            structure=self.structure,
        )
        return self.show

    def _run_window(self) -> int:
        from renderer.window import Window

        options = self.options
        with Window(
            options.size,
            fullscreen=options.fullscreen,
            monitor=options.monitor,
            internal_height=options.internal_height,
            max_layers=self.max_layers,
        ) as window:
            show = self.assemble(window.compositor)
            sinks = open_sinks(options)
            draw = None
            try:
                if sinks:
                    from renderer.sinks.screen import frame_with_sinks

                    sinks.open(window.framebuffer_size())  # a missing device fails now
                    draw = frame_with_sinks(window, sinks)
                run_window(
                    show,
                    window,
                    seconds=options.seconds,
                    on_frame=self._after_frame,
                    draw=draw,
                )
            finally:
                sinks.close()
        return 0

    def _after_frame(self) -> None:
        self._pace(time.monotonic())
        self._print_stats()

    def _pace(self, now: float) -> None:
        """Tell the scheduler whether this frame came late (more than :data:`LATE_FRAME`
        periods after the last: a frame was missed); the display's frame rate goes before
        the pictures' rate."""
        last, self._last_frame = self._last_frame, now
        if last is not None:
            self.scheduler.display_frame(now - last > LATE_FRAME / self.options.fps)

    def _run_headless(self) -> int:
        from renderer.headless import HeadlessRenderer
        from renderer.video_process import BackgroundVideoWriter

        options = self.options
        seconds = options.seconds if options.seconds is not None else 3600.0 * 24
        writer: BackgroundVideoWriter | None = None
        recorder: PacedRecorder | None = None
        with HeadlessRenderer(
            options.size, internal_height=options.internal_height, max_layers=self.max_layers
        ) as renderer:
            show = self.assemble(renderer.compositor)
            sinks = open_sinks(options)
            sinks.open(options.size)  # a missing library or device fails before the show

            def on_frame(frame: object) -> None:
                nonlocal writer, recorder
                if sinks and frame is not None:
                    sinks.write(frame)  # type: ignore[arg-type]
                if options.out is not None:
                    if recorder is None:  # opened at the first frame, so sound lines up
                        first = time.monotonic()
                        audio = options.soundtrack(first) if options.soundtrack else None
                        writer = BackgroundVideoWriter(
                            options.out,
                            options.size,
                            options.fps,
                            preset=options.video_preset,
                            audio=audio,
                        )
                        recorder = self.recorder = PacedRecorder(writer, options.fps, start=first)
                    recorder(frame)  # type: ignore[arg-type]
                self._after_frame()

            def render(t: float, features: dict, beat_phase: float | None) -> np.ndarray | None:
                renderer.compositor.render(t, features, beat_phase)
                if options.out is None and not sinks:
                    renderer.compositor.finish()  # the frame is done; nobody needs its pixels
                    return None
                # Wait with the interpreter lock released: the read-back would wait for the
                # drawing holding it (a fifth of the wall clock with 16 tracks, py-spy --gil).
                renderer.compositor.finish()
                return renderer.compositor.read_rgba()  # 3× cheaper than RGB read-back

            try:
                run_headless(
                    show,
                    render,
                    fps=options.fps,
                    seconds=seconds,
                    on_frame=on_frame,
                    stop=self.stop_requested.is_set,
                )
            finally:
                sinks.close()
                if writer is not None:
                    writer.close()
                    log.info(
                        "wrote %s (%d frames, %d repeated to keep time)",
                        options.out,
                        writer.frames_written,
                        recorder.duplicated + writer.dropped if recorder else 0,
                    )
        return 0

    def summary(self) -> dict[str, object]:
        """Figures for --stats-json and benchmarks."""
        report = self.scheduler.report(time.monotonic())
        show = self.show
        return {
            "frames": show.stats.frames if show else 0,
            "images_shown": show.stats.images_shown if show else 0,
            "generated": self.worker.generated,
            "generator_calls": self.worker.calls,
            "generation_hz_per_track": self.worker.mean_rate_hz(),
            "generation_target_hz": report.target_hz,
            "generation_limited": report.limited,
            "cost_ms_per_image": report.cost_ms,
            "latency": self.latency.summary(),
            "frames_written": self.recorder.writer.frames_written if self.recorder else 0,
            # periods that show an earlier frame: the show was late, or the encoder was
            "frames_repeated": (
                self.recorder.duplicated + self.recorder.writer.dropped if self.recorder else 0
            ),
            "worker_errors": self.worker.errors,
            "generators_lost": self.worker.generators_lost,
        }
