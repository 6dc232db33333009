"""``synaesthete preview``: the compositor end to end on synthetic layers, live or to a file.

Cheap to import (the CLI imports every area's commands module at start-up): moderngl, glfw
and PyAV are imported inside the run function.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from cli.arguments import FPS, SECONDS, SEED, number, parse_size, whole
from renderer.settings import INK_MODES

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``preview`` subcommand."""
    parser = subparsers.add_parser(
        "preview",
        help="show or render synthetic moving ink layers through the compositor",
        description=(
            "Drive the compositor with procedural ink fields and features (no Live, no "
            "models): opens a window, or with --out renders a video or PNG frames."
        ),
    )
    parser.add_argument(
        "--layers", type=whole(1, 128), default=8, help="number of layers (default 8)"
    )
    parser.add_argument("--size", type=parse_size, default=(1280, 720), help="WxH (1280x720)")
    parser.add_argument("--out", type=Path, help="write FILE.mp4/.mov/.mkv, or a PNG directory")
    parser.add_argument("--seconds", type=SECONDS, help="duration (default 10 with --out)")
    parser.add_argument("--fps", type=FPS, default=30.0, help="video frame rate (default 30)")
    parser.add_argument("--audio", type=Path, help="audio file to mux under the video")
    parser.add_argument("--preset", default="veryfast", help="libx264 preset (veryfast)")
    parser.add_argument("--crf", type=whole(0, 51), default=18, help="libx264 quality 0..51 (18)")
    parser.add_argument(
        "--gen-rate",
        type=number(0.1, 240.0),
        default=12.0,
        help="synthetic generation rate, Hz (12)",
    )
    parser.add_argument("--field-size", type=whole(8, 512), default=64, help="ink field side (64)")
    parser.add_argument(
        "--internal-height",
        type=whole(16, 8192),
        default=None,
        help="compositing rows (default: auto)",
    )
    parser.add_argument(
        "--ink",
        choices=INK_MODES,
        default="stroke",
        help="stroke: crisp edges at the output resolution (default); field: upscaled picture",
    )
    parser.add_argument("--seed", type=SEED, default=0, help="random seed (0)")
    parser.add_argument("--trails", action="store_true", help="start with feedback trails on")
    parser.add_argument("--fullscreen", action="store_true", help="fullscreen window")
    parser.add_argument(
        "--monitor", type=whole(0, 64), default=0, help="monitor index for --fullscreen"
    )
    parser.add_argument("--no-vsync", action="store_true", help="draw as fast as possible")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_preview)


class SyntheticFeed:
    """Pushes synthetic fields at the generation rate and returns per-frame features."""

    def __init__(self, compositor, synthetic, gen_rate: float) -> None:
        self.compositor = compositor
        self.synthetic = synthetic
        self.period = 1.0 / gen_rate
        self.next_push: float | None = None

    def __call__(self, t: float):
        if self.next_push is None or t >= self.next_push:
            for layer in range(self.synthetic.n_layers):
                self.compositor.push_image(layer, self.synthetic.field(layer, t), t)
            self.next_push = t + self.period
        features = {i: self.synthetic.features(i, t) for i in range(self.synthetic.n_layers)}
        return features, self.synthetic.beat_phase(t)


def _check_args(args: argparse.Namespace) -> str | None:
    """What argparse cannot check (the numbers are checked by their types)."""
    if args.audio is not None and args.out is None:
        return "--audio needs --out (the live window plays no sound)"
    return None


def run_preview(args: argparse.Namespace) -> int:
    """Run ``synaesthete preview``; return the exit code."""
    from renderer.settings import MasterSettings
    from renderer.synthetic import SyntheticSet
    from renderer.transform import auto_internal_height

    problem = _check_args(args)
    if problem:
        log.error(problem)
        return 2
    synthetic = SyntheticSet(args.layers, seed=args.seed, field_size=args.field_size)
    internal = args.internal_height or auto_internal_height(args.field_size)
    options = {
        "max_layers": max(32, args.layers),
        "field_size": args.field_size,
        "internal_height": internal,
    }
    master = MasterSettings(trails_on=args.trails, trails=0.85, ink=args.ink)
    if args.out is not None:
        return _render_file(args, synthetic, options, master)
    return _show_window(args, synthetic, options, master)


def _setup(compositor, synthetic, master) -> None:
    compositor.scene.set_master(master)
    for layer in range(synthetic.n_layers):
        compositor.set_layer(layer, synthetic.settings(layer))


def _render_file(args, synthetic, options, master) -> int:
    from models.audio_io import AudioFileError, read_audio
    from renderer.headless import HeadlessRenderer
    from renderer.offline import render_to_sink
    from renderer.video import AudioTrack, VideoError, open_sink

    seconds = args.seconds or 10.0
    try:
        audio = None
        if args.audio is not None:
            samples, rate = read_audio(args.audio, mono=False)
            audio = AudioTrack.from_array(samples[:, :2], rate)  # a surround file's front pair
        sink = open_sink(
            args.out, args.size, args.fps, audio=audio, preset=args.preset, crf=args.crf
        )
    except (VideoError, AudioFileError) as exc:
        log.error("%s", exc)
        return 2
    with HeadlessRenderer(args.size, **options) as renderer:
        _setup(renderer.compositor, synthetic, master)
        feed = SyntheticFeed(renderer.compositor, synthetic, args.gen_rate)
        summary = render_to_sink(
            renderer.compositor,
            sink,
            n_frames=max(1, round(seconds * args.fps)),
            update=lambda _i, t: feed(t),
            progress=not args.no_progress,
            description=f"preview -> {args.out.name}",
        )
    log.info(
        "wrote %s: %d frames (%.1f s) at %.1f frames/s",
        args.out,
        summary.frames,
        summary.seconds,
        summary.frames_per_second,
    )
    return 0


def _show_window(args, synthetic, options, master) -> int:
    from renderer.window import Window, WindowError

    try:
        window = Window(
            args.size,
            title="synaesthete preview",
            fullscreen=args.fullscreen,
            monitor=args.monitor,
            vsync=not args.no_vsync,
            **options,
        )
    except WindowError as exc:
        log.error("%s", exc)
        return 1
    with window:
        _setup(window.compositor, synthetic, master)
        feed = SyntheticFeed(window.compositor, synthetic, args.gen_rate)
        window.add_status_provider(
            lambda: [f"synthetic: {synthetic.n_layers} layers, generation {args.gen_rate:g} Hz"]
        )
        frames = window.run(feed, max_seconds=args.seconds)
    log.info("showed %d frames", frames)
    return 0
