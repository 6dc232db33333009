"""Subcommands of the bridge area: ``bridge`` (the daemon) and ``simulate``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.ingest.protocol import (
    COLOUR_NAMES,
    COMPOSITION_NAMES,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEVICE_FRAME,
    MAX_PCM_SAMPLES,
)
from cli.arguments import FPS, PORT, SECONDS, SEED, TEMPO, THREADS, number, parse_size, whole
from cli.control import add_control_options, control_options, controls_without_picture
from cli.rig import add_input_options, add_video_out_options
from cli.structure import parse_meter
from models.paths import DEFAULT_STYLE
from renderer.settings import INK_MODES

if TYPE_CHECKING:
    from collections.abc import Callable

    from bridge.generate.analysis_worker import FeatureWorker
    from bridge.ingest.service import BridgeService, Snapshot
    from bridge.show.live import LiveOptions
    from bridge.simulate.simulator import Simulator
    from renderer.video import AudioTrack

log = logging.getLogger("synaesthete")


def register(subparsers: argparse._SubParsersAction) -> None:
    bridge = subparsers.add_parser(
        "bridge",
        help="the live show: receive every device, generate and layer the pictures",
        description="Run the bridge: receive audio, metadata and dials from every device and "
        "show the layered picture in a window (or headless into a video); --no-render shows "
        "per-track meters and packet statistics in the terminal instead.",
    )
    _add_endpoint(bridge, listen=True)
    bridge.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="sender IP allowed when binding beyond loopback (repeatable)",
    )
    bridge.add_argument("--max-tracks", type=whole(1, 1024), default=64, help="live track cap (64)")
    bridge.add_argument(
        "--refresh",
        type=number(0.01, 60.0),
        default=0.5,
        help="seconds between view refreshes (0.5)",
    )
    bridge.add_argument(
        "--seconds",
        "--duration",
        dest="duration",
        type=SECONDS,
        default=None,
        help="stop after this many seconds",
    )
    bridge.add_argument(
        "--stats",
        action="store_true",
        help="print statistics lines (tracks, packets; with a picture also generation "
        "rate and latency p50/p95) every --refresh seconds",
    )
    bridge.add_argument(
        "--stats-json", type=Path, default=None, help="write final counters to this JSON file"
    )
    _add_show_options(bridge)
    add_input_options(bridge)
    add_video_out_options(bridge)
    add_control_options(bridge)
    bridge.add_argument(
        "--no-render",
        action="store_true",
        help="no picture: only the terminal view of tracks and packets",
    )
    bridge.add_argument(
        "--analyse-hz",
        type=number(0.0, 1000.0),
        default=30.0,
        help="with --no-render: analysis updates per second per track, as the live "
        "pipeline runs them (30; 0 = receive only)",
    )
    bridge.set_defaults(func=run_bridge)

    sim = subparsers.add_parser(
        "simulate",
        help="stream audio files into a bridge as virtual Max devices",
        description="Stream each audio file as one virtual device, paced in real time.",
    )
    sim.add_argument("files", nargs="*", type=Path, help="audio files (wav, flac, ogg, aiff)")
    _add_endpoint(sim, listen=False)
    sim.add_argument("--loop", action="store_true", help="loop the files until Ctrl-C")
    sim.add_argument("--tempo", type=TEMPO, default=120.0, help="transport tempo (120 BPM)")
    sim.add_argument(
        "--sample-rate",
        type=number(8000.0, 384000.0),
        default=44100.0,
        help="Live's simulated rate (44100)",
    )
    sim.add_argument("--decimation", type=whole(1, 16), default=2, help="rate divisor (2)")
    sim.add_argument(
        "--block",
        type=whole(1, MAX_PCM_SAMPLES),
        default=DEVICE_FRAME,
        help=f"samples per pcm message (default {DEVICE_FRAME}, as the device sends)",
    )
    sim.add_argument("--seconds", type=SECONDS, default=None, help="stop after this long")
    sim.add_argument(
        "--synthetic", type=whole(0, 64), default=0, metavar="N", help="add N generated test voices"
    )
    sim.add_argument("--seed", type=SEED, default=None, help="fix nonces and sequence starts")
    sim.set_defaults(func=run_simulate)

    demo = subparsers.add_parser(
        "demo",
        help="the whole path on built-in material (a synthesised techno loop)",
        description="Stream the built-in four-stem loop through real UDP into a bridge "
        "inside this command and show what the bridge receives.",
    )
    demo.add_argument(
        "--seconds", type=SECONDS, default=None, help="how long to play (one pass, ~15.5 s)"
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="render headless into this video (default without a display: demo.mp4)",
    )
    demo.add_argument("--window", action="store_true", help="insist on a window")
    add_video_out_options(demo)
    demo.add_argument(
        "--style", default=DEFAULT_STYLE, help=f"style for every track ({DEFAULT_STYLE})"
    )
    demo.add_argument("--size", type=parse_size, default=(1280, 720), help="WxH (1280x720)")
    add_composition_option(demo)
    add_device_option(demo)
    demo.add_argument("--fps", type=FPS, default=30.0, help="frames per second (30)")
    demo.add_argument(
        "--no-render", action="store_true", help="no picture: show the bridge's terminal view"
    )
    demo.add_argument(
        "--refresh", type=number(0.01, 60.0), default=1.0, help="terminal view refresh (1 s)"
    )
    demo.set_defaults(func=run_demo)

    render = subparsers.add_parser(
        "render",
        help="render audio stems (or a mix) to a video, offline and faster than real time",
        description="One layer per audio file, through the same analysis → generator → "
        "compositor path as the live show, on injected time; the mix is muxed in.",
    )
    render.add_argument("files", nargs="+", type=Path, help="audio files, one layer each")
    render.add_argument(
        "-o", "--out", type=Path, required=True, help="output .mp4/.mov/.mkv, or a folder for PNGs"
    )
    render.add_argument(
        "--style", default=DEFAULT_STYLE, help=f"style for every layer ({DEFAULT_STYLE})"
    )
    render.add_argument("--blend", default="screen", help="blend mode for every layer (screen)")
    render.add_argument("--size", type=parse_size, default=(1280, 720), help="WxH (1280x720)")
    add_composition_option(render)
    render.add_argument("--fps", type=FPS, default=30.0, help="frames per second (30)")
    render.add_argument("--seconds", type=SECONDS, default=None, help="render only this long")
    render.add_argument("--tempo", type=TEMPO, default=None, help="BPM for beat-locked motion")
    add_meter_option(render)
    render.add_argument(
        "--preset", default="veryfast", help="libx264 speed preset (veryfast; ultrafast is quicker)"
    )
    render.add_argument(
        "--threads", type=THREADS, default=1, help="torch threads of the generator process (1)"
    )
    add_device_option(render)
    render.add_argument(
        "--engine",
        choices=["auto", "eager", "compiled"],
        default="auto",
        help="how the generators run: a compiled package (1.6-2.3x the pictures; built once "
        "per machine and style, ~30 s) or eager; auto runs the package where it is built "
        "and builds it for renders long enough to pay for it",
    )
    render.add_argument("--quiet-progress", action="store_true", help="no progress bar")
    render.set_defaults(func=run_render)


#: A demo at least this long (s) runs the live engine, which compiles the generators in
#: the background (~12 s of a core with PyTorch's disk cache, ~75 s the first time) and
#: then draws 1.6–1.8× the pictures; a shorter one stays eager (the fresh demo is 16 s).
DEMO_COMPILE_PAYS_SECONDS = 60.0


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """``--device`` and ``--precision``: where the generators run, and how."""
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda", "mps"],
        default="auto",
        help="where the generators run: auto (a CUDA or Apple GPU when present, else the "
        "CPU), cpu, cuda or mps",
    )
    parser.add_argument(
        "--precision",
        choices=["fast", "float32", "bfloat16", "float16"],
        default="fast",
        help="the generators' arithmetic: fast (the default: bfloat16 on a CPU with AMX or "
        "AVX512-BF16, about twice the pictures a second, each within a fifth of a grey level "
        "of float32 on average; float16 on a GPU; else float32), float32, bfloat16, float16",
    )


def look_preset(given: str):  # -> bridge.show.presets.Preset
    """``--look``'s argument: the preset it names, checked (argparse reports a bad one)."""
    from bridge.show.presets import PresetError, find_preset

    try:
        return find_preset(given)
    except PresetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_composition_option(parser: argparse.ArgumentParser) -> None:
    """``--composition``, ``--colour``, ``--no-structure``, ``--form``, ``--expression``,
    ``--ink`` and ``--look``: the layout, the colour mode, what the music's structure shows,
    how much of each style's expression head the layers get, how ink is drawn, and a saved
    look, when the show starts (all switchable live)."""
    parser.add_argument(
        "--composition",
        choices=COMPOSITION_NAMES,
        default=COMPOSITION_NAMES[0],
        help="layout of the layers: stage (each voice placed by its sound; the default), "
        "grid (one cell per track in Live's order), stack (all centred) or score (time "
        "scrolls across the frame, one lane per voice)",
    )
    parser.add_argument(
        "--colour",
        choices=COLOUR_NAMES,
        default=COLOUR_NAMES[0],
        help="track (Live's track colours; the default), tone (each track's colour turned "
        "by the pitch it plays) or wheel (one pitch-class colour wheel for all)",
    )
    parser.add_argument(
        "--no-structure",
        dest="structure",
        action="store_false",
        help="ignore the music's structure (by default a repeated motif returns to its "
        "drawing's place and flashes, and each section has its own colours)",
    )
    parser.add_argument(
        "--form",
        action="store_true",
        help="draw the form strip: the set so far, a row of bars per track coloured by "
        "motif, with section marks, along the bottom edge",
    )
    parser.add_argument(
        "--expression",
        type=number(0.0, 1.0),
        default=1.0,
        help="how much the sound's manner shapes every drawing: 1 the style's own (louder "
        "bigger and bolder, noisier sprayed, slower softer; the default) … 0 the learned "
        "stroke alone (per layer live: /syn/layer/expression)",
    )
    parser.add_argument(
        "--ink",
        choices=INK_MODES,
        default=INK_MODES[0],
        help="how ink is drawn: stroke (crisp edges at the output size; the default) or field "
        "(the generated picture upscaled, soft edges and shades show; live: /syn/master/ink)",
    )
    parser.add_argument(
        "--look",
        type=look_preset,
        default=None,
        metavar="PRESET",
        help="start with a saved look: a preset's name (saved live with /syn/preset/save) or "
        "a path to its .json; its tracks' looks go to the tracks of the same name",
    )


def add_meter_option(parser: argparse.ArgumentParser) -> None:
    """``--meter N/D``: the time signature of the stems' bars (with ``--tempo``), as
    ``synaesthete structure`` takes it (a malformed one is an argparse error, exit 2)."""
    parser.add_argument(
        "--meter",
        type=parse_meter,
        default=None,
        help="time signature of the bars the structure follows (e.g. 3/4, 7/8; 4/4 if "
        "not given); needs --tempo: the files start on a downbeat",
    )


def meter_of(args: argparse.Namespace) -> tuple[int, int]:
    """The ``(numerator, denominator)`` ``--meter`` asks for, 4/4 without one.

    Raises:
        ValueError: ``--meter`` without ``--tempo`` (there is no bar to start from).
    """
    if args.meter is None:
        return (4, 4)
    if args.tempo is None:
        raise ValueError("--meter needs --tempo (the bars then start at 0 s)")
    return args.meter


def show_look(args: argparse.Namespace):  # -> bridge.show.render.ShowLook
    """The look ``add_composition_option``'s arguments ask for, for an offline show."""
    from bridge.show.render import ShowLook

    return ShowLook(
        args.composition,
        args.colour,
        args.structure,
        args.form,
        args.expression,
        args.ink,
        args.look,
    )


def _add_show_options(parser: argparse.ArgumentParser) -> None:
    add_composition_option(parser)
    parser.add_argument("--style", default=DEFAULT_STYLE, help=f"default style ({DEFAULT_STYLE})")
    parser.add_argument("--size", type=parse_size, default=(1280, 720), help="WxH (1280x720)")
    parser.add_argument(
        "--fps",
        type=FPS,
        default=None,
        help="frame rate (window: 60; headless or recording: 30)",
    )
    parser.add_argument(
        "--target-hz",
        type=number(0.5, 240.0),
        default=30.0,
        help="generated frames/s per track to aim for",
    )
    parser.add_argument(
        "--threads", type=THREADS, default=1, help="torch threads for the generators (1)"
    )
    add_device_option(parser)
    parser.add_argument("--headless", action="store_true", help="no window (EGL)")
    parser.add_argument("--out", type=Path, default=None, help="record the picture to a video")
    parser.add_argument("--fullscreen", action="store_true", help="fullscreen on --monitor")
    parser.add_argument(
        "--monitor", type=whole(0, 64), default=0, help="monitor for --fullscreen (0)"
    )
    parser.add_argument(
        "--presets", type=Path, default=None, help="preset folder (default: user data dir)"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the generators in this process instead of a child process per style",
    )


def _add_endpoint(parser: argparse.ArgumentParser, *, listen: bool) -> None:
    verb = "listen on" if listen else "send to"
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to {verb} (127.0.0.1)")
    parser.add_argument("--port", type=PORT, default=DEFAULT_PORT, help=f"UDP port ({9000})")


def run_bridge(args: argparse.Namespace) -> int:
    from bridge.ingest.service import BridgeService

    try:
        service = BridgeService(
            host=args.host, port=args.port, allow=args.allow, max_tracks=args.max_tracks
        )
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    except OSError as exc:
        log.error(
            "cannot listen on %s:%d: %s (is another bridge running?)", args.host, args.port, exc
        )
        return 2
    from bridge.rig.session import RigInputs
    from bridge.show.live import display_available

    try:
        rig = RigInputs(service, inputs=args.input, link=args.link, style=args.style)
    except (RuntimeError, ValueError) as exc:
        service.stop()  # close the socket it bound
        log.error("%s", exc)
        return 2
    wants_picture = not args.no_render and (
        args.headless or args.out is not None or display_available()
    )
    if not args.no_render and not wants_picture:
        log.warning(
            "no display here: showing the terminal view only; add --headless --out show.mp4 "
            "to render the picture, or --no-render to silence this"
        )
    try:
        rig.start()
    except (RuntimeError, ValueError) as exc:
        service.stop()
        log.error("%s", exc)
        return 2
    try:
        if wants_picture:
            return _run_live(service, args)
        return _run_terminal(service, args)
    finally:
        rig.stop()


def _live_options(args: argparse.Namespace, seconds: float | None) -> LiveOptions:
    from bridge.show.live import LiveOptions

    return LiveOptions(
        style=args.style,
        size=args.size,
        fps=args.fps or (30.0 if getattr(args, "headless", False) or args.out else 60.0),
        target_hz=getattr(args, "target_hz", 30.0),
        threads=getattr(args, "threads", 1),
        device=getattr(args, "device", "auto"),
        precision=getattr(args, "precision", "fast"),
        headless=getattr(args, "headless", False) or args.out is not None,
        out=args.out,
        seconds=seconds,
        fullscreen=getattr(args, "fullscreen", False),
        monitor=getattr(args, "monitor", 0),
        stats_interval=args.refresh if getattr(args, "stats", False) else None,
        presets_dir=getattr(args, "presets", None),
        generator_process=not getattr(args, "in_process", False),
        composition=args.composition,
        colour=args.colour,
        structure=getattr(args, "structure", True),
        form=getattr(args, "form", False),
        expression=getattr(args, "expression", 1.0),
        ink=getattr(args, "ink", "stroke"),
        preset=getattr(args, "look", None),
        control=control_options(args),
        ndi=getattr(args, "ndi", None),
        virtual_camera=getattr(args, "vcam", None),
        transparent=getattr(args, "transparent", False),
    )


def _run_live(service: BridgeService, args: argparse.Namespace) -> int:
    from bridge.show.live import LiveShow

    show = LiveShow(service, _live_options(args, args.duration))
    code = 0
    try:
        with service:
            code = show.run()
    except KeyboardInterrupt:
        pass
    except (RuntimeError, ValueError, OSError) as exc:
        log.error("%s", exc)
        code = 2
    finally:
        if args.stats_json is not None:
            counters = show.controls.counters() if show.controls is not None else None
            _write_stats(service, args.stats_json, None, show.summary(), controls=counters)
    return code


def _run_terminal(service: BridgeService, args: argparse.Namespace) -> int:
    from bridge.generate.analysis_worker import FeatureWorker
    from bridge.show.terminal_view import TerminalView

    view = TerminalView()
    start = time.monotonic()
    worker = FeatureWorker(service, args.analyse_hz) if args.analyse_hz > 0 else None
    controls = None  # MIDI, feedback and OSCQuery without a picture (cli/control.py)
    try:
        with service, controls_without_picture(service, args) as controls:
            if worker is not None:
                worker.start()
            while args.duration is None or time.monotonic() - start < args.duration:
                time.sleep(args.refresh)
                snapshot = service.snapshot()
                if args.stats:
                    _print_stats_line(snapshot, controls.counters() if controls else None)
                else:
                    view.show(snapshot)
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            worker.stop()
        if args.stats_json is not None:
            counters = controls.counters() if controls is not None else None
            _write_stats(service, args.stats_json, worker, controls=counters)
    return 0


def _print_stats_line(snapshot: Snapshot, controls: dict[str, int] | None = None) -> None:
    packets = sum(t.counters["packets"] for t in snapshot.tracks)
    lost = sum(t.counters["lost"] for t in snapshot.tracks)
    dropped = sum(v for k, v in snapshot.counters.items() if k != "controls")
    extra = "".join(f" {k}={v}" for k, v in sorted((controls or {}).items()) if v)
    print(
        f"tracks={len(snapshot.tracks)} datagrams={snapshot.datagrams} packets={packets} "
        f"lost={lost} dropped={dropped} queue={snapshot.queue_depth}{extra}",
        flush=True,
    )


def _write_stats(
    service: BridgeService,
    path: Path,
    worker: FeatureWorker | None,
    live: dict[str, object] | None = None,
    controls: dict[str, int] | None = None,
) -> None:
    snapshot = service.snapshot()
    data = {
        "live": live or {},
        "controls": controls or {},  # MIDI, feedback and the show's control counters
        "analysis_updates": worker.updates if worker else 0,
        "analysis_busy_seconds": worker.busy_seconds if worker else 0.0,
        "datagrams": snapshot.datagrams,
        "counters": snapshot.counters,
        "stream_totals": service.stream_totals(),
        "tracks": {
            f"{t.name}:{t.nonce}": {"state": t.state, **t.counters} for t in snapshot.tracks
        },
    }
    path.write_text(json.dumps(data, indent=2))


def run_simulate(args: argparse.Namespace) -> int:
    from bridge.simulate.simulator import (
        Simulator,
        devices_from_arrays,
        devices_from_files,
        synthetic_sources,
    )
    from models.audio_io import AudioFileError

    stream_rate = args.sample_rate / args.decimation
    try:
        devices = devices_from_files(args.files, stream_rate=stream_rate, seed=args.seed)
    except AudioFileError as exc:
        log.error("%s", exc)
        return 2
    if args.synthetic:
        seconds = args.seconds if args.seconds is not None else 30.0
        devices += devices_from_arrays(
            synthetic_sources(args.synthetic, seconds),
            stream_rate=stream_rate,
            seed=None if args.seed is None else args.seed + 1,
            first_index=len(devices),
        )
    if not devices:
        log.error("nothing to stream: give audio files and/or --synthetic N")
        return 2
    try:
        simulator = Simulator(
            devices,
            host=args.host,
            port=args.port,
            sample_rate=args.sample_rate,
            decimation=args.decimation,
            block=args.block,
            tempo=args.tempo,
            loop=args.loop,
            seconds=args.seconds,
        )
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    names = ", ".join(d.name for d in devices)
    log.info(
        "streaming %d device(s) to %s:%d at %.0f Hz: %s",
        len(devices),
        args.host,
        args.port,
        stream_rate,
        names,
    )
    stop = threading.Event()
    try:
        stats = simulator.run(stop)
    except KeyboardInterrupt:
        stop.set()
        simulator.say_bye()
        stats = simulator.stats
    finally:
        simulator.close()
    print(
        f"sent {stats.pcm_messages} pcm messages ({stats.samples} samples) in "
        f"{stats.seconds:.1f} s; {stats.late_blocks} late blocks",
        file=sys.stderr,
    )
    return 0


#: The demo's blend per stem (kick, bass, hats, pad). The pad screens too: over the black
#: background an overlay pad is invisible and only darkens the voices it crosses.
DEMO_BLENDS = ("screen", "plus-lighter", "screen", "screen")


def demo_devices(stems: list, style: str) -> list:
    """Virtual devices for the demo stems, as a producer would set them: the chosen style on
    every track (the device's Style menu is what the bridge follows) and a blend each."""
    from bridge.simulate.simulator import devices_from_arrays

    devices = devices_from_arrays(stems, stream_rate=22050.0, seed=0)
    for device, blend in zip(devices, DEMO_BLENDS, strict=True):
        device.blend = blend
        device.style = style
    return devices


def demo_soundtrack(
    stems: list, simulator: Simulator, seconds: float
) -> Callable[[float], AudioTrack | None]:
    """The sound of a demo recording: the stems' mix, looped as the simulator streams it,
    starting where the simulator was when the recording's first frame was made (so the
    video shows the pictures as late as the live show had them), silent once it stopped.

    Returns a function of the first frame's ``time.monotonic()`` for
    :attr:`bridge.show.live.LiveOptions.soundtrack`.
    """
    import numpy as np

    from bridge.show.render import mixdown
    from renderer.video import AudioTrack

    rate = int(stems[0][2])
    mix = mixdown([audio for _, audio, _ in stems])

    def soundtrack(first_frame: float) -> AudioTrack | None:
        if mix.size == 0:
            return None
        began = simulator.started if simulator.started is not None else first_frame
        start = max(0, round((first_frame - began) * rate))
        stop = round(seconds * rate)  # the simulator's end
        # The recording lasts at most ``seconds`` + 0.5 from its first frame, however late
        # that came, and the writer trims the sound to the pictures: cover it whatever ``start``.
        length = round((seconds + 1.0) * rate)
        positions = start + np.arange(length)
        samples = np.where(positions < stop, mix[positions % mix.size], 0.0)
        return AudioTrack.from_array(samples.astype(np.float32), rate)

    return soundtrack


def run_demo(args: argparse.Namespace) -> int:
    from bridge.ingest.service import BridgeService
    from bridge.show.live import LiveShow, display_available
    from bridge.simulate.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems
    from bridge.simulate.simulator import Simulator

    stems = [(name, audio, float(DEMO_RATE)) for name, audio in demo_stems()]
    seconds = args.seconds if args.seconds is not None else stems[0][1].size / DEMO_RATE
    out = args.out
    if out is None and not args.window and not display_available():
        out = Path("demo.mp4")
    with BridgeService(port=0) as service:
        devices = demo_devices(stems, args.style)
        simulator = Simulator(
            devices, port=service.address[1], tempo=DEMO_TEMPO, loop=True, seconds=seconds
        )
        log.info(
            "demo: %d stems at %.0f BPM streamed over UDP to port %d for %.1f s",
            len(devices),
            DEMO_TEMPO,
            service.address[1],
            seconds,
        )
        runner = threading.Thread(target=simulator.run, name="simulator", daemon=True)
        try:
            if args.no_render:
                runner.start()
                return _demo_terminal(service, runner, args.refresh)
            options = _live_options(args, seconds + 0.5)
            options.headless = out is not None
            options.out = out
            options.fps = args.fps
            options.video_preset = "ultrafast"  # the demo must finish quickly on 2 cores
            if seconds < DEMO_COMPILE_PAYS_SECONDS:  # building graphs would eat the demo
                options.engine = "eager"
            options.soundtrack = demo_soundtrack(stems, simulator, seconds)
            show = LiveShow(service, options)
            try:
                show.prepare()
                runner.start()
                show.run()
            except (RuntimeError, ValueError, OSError) as exc:
                log.error("%s", exc)
                return 2
            summary = show.summary()
            latency = summary["latency"].get("packet_to_frame", {})  # type: ignore[union-attr]
            print(
                f"demo: {summary['frames']} frames, {summary['generated']} pictures generated "
                f"({summary['generation_hz_per_track']:.1f}/s per track), latency p50 "
                f"{latency.get('p50_ms', float('nan')):.0f} ms p95 "
                f"{latency.get('p95_ms', float('nan')):.0f} ms",
                file=sys.stderr,
            )
            if out is not None:
                print(f"demo video: {out.resolve()}")
            return 0
        finally:
            simulator.close()


def _demo_terminal(service: BridgeService, runner: threading.Thread, refresh: float) -> int:
    from bridge.generate.analysis_worker import FeatureWorker
    from bridge.show.terminal_view import TerminalView

    view = TerminalView()
    worker = FeatureWorker(service, 30.0).start()
    try:
        while True:
            runner.join(refresh)
            if not runner.is_alive():
                break
            snapshot = service.snapshot()
            for key, features in worker.features().items():
                track = service.registry.tracks.get(key)
                if track is not None:
                    snapshot.extra[track.label] = (
                        f"onset {features.onset:5.1f}  centroid {features.centroid:6.0f} Hz  "
                        f"flatness {features.flatness:.2f}"
                    )
            view.show(snapshot)
    finally:
        worker.stop()
    return 0


def run_render(args: argparse.Namespace) -> int:
    from bridge.show.render_generators import planned_pictures, render_engine, style_processes
    from renderer.modes import BLEND_MODES

    if args.blend not in BLEND_MODES:
        log.error("--blend must be one of %s", ", ".join(BLEND_MODES))
        return 2
    pictures = planned_pictures(args.files, args.fps, args.seconds)
    try:
        meter = meter_of(args)
        # The generators start first: they import torch and load the style while this
        # process imports the show and reads the stems (0.7 s of start-up on two cores).
        with style_processes(
            [args.style],
            args.threads,
            engine=render_engine(pictures, None if args.engine == "auto" else args.engine),
            device=args.device,
            precision=args.precision,
        ) as generators:
            from bridge.show.render import load_stems, render_stems

            stems = load_stems(args.files, style=args.style, blend=args.blend)
            summary = render_stems(
                stems,
                args.out,
                fps=args.fps,
                size=args.size,
                seconds=args.seconds,
                tempo=args.tempo,
                meter=meter,
                preset=args.preset,
                progress=not args.quiet_progress,
                look=show_look(args),
                generators=generators,
            )
    except (ValueError, OSError) as exc:  # models.audio_io.AudioFileError is a ValueError
        log.error("%s", exc)
        return 2
    print(
        f"wrote {args.out}: {summary['frames']} frames ({summary['video_seconds']:.1f} s of "
        f"video) in {summary['wall_seconds']:.1f} s, {summary['images']} pictures generated",
        file=sys.stderr,
    )
    return 0
