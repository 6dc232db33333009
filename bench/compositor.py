"""Compositor frame rate on this machine's GL (Mesa llvmpipe on CPU-only machines).

Measures frames per second for 1, 8, 16 and 32 synthetic layers at 1280×720 and 1920×1080,
render-only (``ctx.finish()`` after each frame, so the GPU/CPU rasteriser's work counts) and
with read-back (the offline video path). Layers use mixed blend modes, audio features and a
beat phase every frame, like a live set. Prints a Markdown table plus the machine's load,
because llvmpipe shares the CPU with everything else running. Both ink modes run by
default ("stroke": edges drawn at the output resolution, "field": the internal picture
upscaled with the first ``--upscale``), and every row gives its frame rate as a ratio of
that field mode's.

    .venv/bin/python bench/compositor.py
    .venv/bin/python bench/compositor.py --internal-height 144 216 --layers 16 --sizes 1920x1080
    .venv/bin/python bench/compositor.py --layers 16 --sizes 1920x1080 --ink stroke field
    .venv/bin/python bench/compositor.py --layers 16 --sizes 1920x1080 --trails 0.98 --scroll 0.1
    .venv/bin/python bench/compositor.py --layers 8 --sizes 1280x720 --layout grid --full-present
    .venv/bin/python bench/compositor.py --show-tracks 8 --sizes 1280x720

``--show-tracks N`` times the bridge's default look instead of synthetic layers: N demo
tracks rendered offline (stage composition, stroke ink), captured frame by frame and replayed.

``--trails``/``--scroll`` measure ``score``'s case: the previous frame kept and scrolled
sideways (in stroke mode its edge records travel with it and are redrawn every frame).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.arguments import parse_size
from renderer.synthetic import SyntheticSet


def measure(
    renderer, synthetic: SyntheticSet, *, read_back: bool, seconds: float, push_rate: float
):
    """Frames per second over at least ``seconds`` (after a short warm-up)."""
    comp = renderer.compositor
    n = synthetic.n_layers
    frame = 0
    next_push = 0.0

    def step() -> None:
        nonlocal frame, next_push
        t = frame / 60.0  # injected time at a nominal 60 fps
        if push_rate > 0 and t >= next_push:
            for i in range(n):
                comp.push_image(i, synthetic.field(i, t), t)
            next_push = t + 1.0 / push_rate
        comp.render(t, {i: synthetic.features(i, t) for i in range(n)}, synthetic.beat_phase(t))
        if read_back:
            comp.read_rgba()
        else:
            renderer.ctx.finish()
        frame += 1

    for _ in range(5):
        step()
    count, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while count < 10 or time.perf_counter() - start < seconds:
        step()
        count += 1
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # all threads, llvmpipe's rasterisers included
    return count / wall, 1000.0 * cpu / count


def capture_show(tracks: int, seconds: float, size: tuple[int, int]) -> list[dict]:
    """The bridge's default look, offline: ``tracks`` of the demo's stems (as the latency
    bench names them), stage composition, stroke ink, at 60 fps for ``seconds``. Returns,
    per frame, what the show handed the compositor: pictures pushed, the scene's layers and
    master, features and beat phase."""
    from bridge.generate.feeds import Stem
    from bridge.show.render import offline_show
    from bridge.show.render_generators import style_processes
    from bridge.simulate.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems
    from bridge.simulate.simulator import PALETTE
    from models.analysis import DEFAULT_ANALYSIS
    from models.resample import resample
    from renderer.headless import HeadlessRenderer

    rate = DEFAULT_ANALYSIS.sample_rate
    demo = demo_stems(bars=max(2, math.ceil(seconds * DEMO_TEMPO / 240) + 1))
    stems = [
        Stem(
            name=f"{demo[i % len(demo)][0]}{i // len(demo) + 1}",
            audio=resample(demo[i % len(demo)][1], DEMO_RATE, rate),
            color=PALETTE[i % len(PALETTE)],
            rate=rate,
        )
        for i in range(tracks)
    ]
    n_frames = round(seconds * 60)
    frames: list[dict] = []
    with (
        style_processes([s.style for s in stems], 1, engine="eager") as generator_for,
        HeadlessRenderer(size) as renderer,
    ):
        comp = renderer.compositor
        pushed: list = []
        push = comp.push_image

        def recording_push(key, image, t):
            pushed.append((key, image.copy(), t))
            push(key, image, t)

        comp.push_image = recording_push
        show, feed = offline_show(
            stems, comp, generator_for, fps=60.0, n_frames=n_frames, tempo=DEMO_TEMPO
        )
        for index in range(n_frames):
            t = index / 60.0
            pushed.clear()
            features, beat = show.update(t)
            snapshot = comp.scene.snapshot()
            frames.append(
                {
                    "t": t,
                    "pushed": list(pushed),
                    "layers": snapshot.layers,
                    "master": snapshot.master,
                    "features": features,
                    "beat": beat,
                }
            )
            comp.render(t, features, beat)
        feed.finish()
    return frames


def replay_show(frames: list[dict], size, *, skip_plain: bool, timed_from: int):
    """Frames per second and CPU ms a frame (render and finish) of ``frames`` from
    ``timed_from`` on, drawn by a fresh compositor (the earlier frames warm it up)."""
    from renderer.headless import HeadlessRenderer

    with HeadlessRenderer(size, skip_plain=False if not skip_plain else None) as renderer:
        comp = renderer.compositor
        start = cpu_start = 0.0
        for index, frame in enumerate(frames):
            if index == timed_from:
                renderer.ctx.finish()
                start, cpu_start = time.perf_counter(), time.process_time()
            present = {key for key, _ in frame["layers"]}
            for key in list(comp.layer_slots()):
                if key not in present:
                    comp.remove_layer(key)
            for key, settings in frame["layers"]:
                if comp.scene.layer(key) != settings:
                    comp.scene.set_layer(key, settings)
            if comp.scene.master != frame["master"]:
                comp.scene.set_master(frame["master"])
            for key, image, t in frame["pushed"]:
                comp.push_image(key, image, t)
            comp.render(frame["t"], frame["features"], frame["beat"])
            renderer.ctx.finish()
        count = len(frames) - timed_from
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        return count / wall, 1000.0 * cpu / count


def show_table(tracks: int, seconds: float, size: tuple[int, int]) -> None:
    """Print the replayed show with and without skipping plain tiles (``--show-tracks``)."""
    print(f"# the bridge's default look, {tracks} tracks, {size[0]}×{size[1]} — {load_note()}")
    frames = capture_show(tracks, seconds, size)
    print(f"# captured {len(frames)} frames offline; timing the second half — {load_note()}")
    print("| present | fps (render + finish) | CPU ms/frame |")
    print("|---|---|---|")
    for skip in (True, False, True, False):
        fps, cpu_ms = replay_show(frames, size, skip_plain=skip, timed_from=len(frames) // 2)
        shown = "plain tiles skipped" if skip else "whole frame"
        print(f"| {shown} | {fps:.1f} | {cpu_ms:.2f} |", flush=True)
    print(f"\n{load_note()} at end")


def grid_placement(settings, index: int, count: int):
    """Move a layer into cell ``index`` of a near-square grid (a VJ's side-by-side layout)."""
    side = math.ceil(math.sqrt(count))
    row, col = divmod(index, side)
    x = -1.0 + (2 * col + 1) / side
    y = 1.0 - (2 * row + 1) / side
    return dataclasses.replace(settings, position=(x, y), scale=1.0 / side)


def load_note() -> str:
    """The 1-minute load average against the core count: were others using the CPU?"""
    one, _, _ = os.getloadavg()
    return f"load average {one:.2f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 8, 16, 32])
    parser.add_argument("--sizes", type=parse_size, nargs="+", default=[(1280, 720), (1920, 1080)])
    parser.add_argument(
        "--internal-height",
        nargs="+",
        default=["auto"],
        help='compositing rows to try: "auto" (144 for 64² fields), numbers, or "full"',
    )
    parser.add_argument("--field-size", type=int, default=64)
    parser.add_argument("--sharpness", type=float, default=1.0, help="0 = plain bilinear upscale")
    parser.add_argument(
        "--layout",
        choices=["stacked", "grid"],
        default="stacked",
        help="stacked: every layer near the centre, full height; grid: layers side by side",
    )
    parser.add_argument(
        "--no-tiles", action="store_true", help="composite in one pass instead of tiles"
    )
    parser.add_argument(
        "--full-present",
        action="store_true",
        help="stroke mode: run the present over the whole frame, as before plain tiles were "
        "skipped on CPU rasterisers (the same picture)",
    )
    parser.add_argument(
        "--upscale", nargs="+", default=["balanced"], choices=["crisp", "balanced", "soft"]
    )
    parser.add_argument(
        "--ink",
        nargs="+",
        default=["field", "stroke"],
        choices=["field", "stroke"],
        help="ink modes to compare (stroke rows show their fps as a ratio of field's)",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument(
        "--push-rate", type=float, default=0.0, help="new ink images per second per layer"
    )
    parser.add_argument(
        "--trails", type=float, default=None, help="keep the previous frame (per 1/60 s), 0..0.999"
    )
    parser.add_argument(
        "--scroll", type=float, default=0.0, help="with --trails: frame widths per second"
    )
    parser.add_argument(
        "--show-tracks",
        type=int,
        default=None,
        help="instead of synthetic layers: the bridge's default look with this many demo "
        "tracks, rendered offline (a generator process; ~1 min), then replayed with and "
        "without skipping plain tiles (at the first --sizes)",
    )
    parser.add_argument(
        "--show-seconds", type=float, default=12.0, help="with --show-tracks: seconds at 60 fps"
    )
    args = parser.parse_args(argv)
    if args.show_tracks is not None:
        show_table(args.show_tracks, args.show_seconds, args.sizes[0])
        return 0
    trails = {}
    if args.trails is not None:
        trails = {"trails": args.trails, "trails_on": True, "scroll": args.scroll}

    from renderer.headless import HeadlessRenderer
    from renderer.settings import MasterSettings

    heights = [
        None if h == "full" else (h if h == "auto" else int(h)) for h in args.internal_height
    ]
    print(f"# compositor benchmark — {load_note()} at start")
    if trails:
        print(f"# trails {args.trails} per 1/60 s, scroll {args.scroll} frame widths/s")
    cores = os.cpu_count() or 1
    print(
        "| output | internal | ink | upscale | layers | render fps | render+read fps "
        f"| CPU ms/frame (render) | idle-{cores}-core bound fps | fps ÷ field |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    field_fps: dict[tuple, float] = {}
    for size in args.sizes:
        runs = [
            (height, upscale, ink)
            for height, upscale, ink in itertools.product(heights, args.upscale, args.ink)
            if ink == "field" or upscale == args.upscale[0]  # stroke mode has no upscale
        ]
        for height, upscale, ink in runs:
            with HeadlessRenderer(
                size,
                max_layers=max(32, *args.layers),
                field_size=args.field_size,
                internal_height=height,
                upscale=upscale,
                tile_size=None if args.no_tiles else (64, 48),
                ink=ink,
                skip_plain=False if args.full_present else None,
            ) as renderer:
                comp = renderer.compositor
                gl = renderer.ctx.info["GL_RENDERER"]
                for n in args.layers:
                    synthetic = SyntheticSet(n, seed=1, field_size=args.field_size)
                    for layer_id in list(comp.layer_slots()):
                        comp.remove_layer(layer_id)
                    comp.scene.set_master(
                        MasterSettings(sharpness=args.sharpness, ink=ink, **trails)
                    )
                    for i in range(n):
                        settings = synthetic.settings(i)
                        if args.layout == "grid":
                            settings = grid_placement(settings, i, n)
                        comp.set_layer(i, settings)
                        comp.push_image(i, synthetic.field(i, 0.0), 0.0)
                    comp.render(0.0)  # "auto" settles its internal size on the images
                    internal = "×".join(map(str, comp.internal_size))
                    fps, cpu_ms = measure(
                        renderer,
                        synthetic,
                        read_back=False,
                        seconds=args.seconds,
                        push_rate=args.push_rate,
                    )
                    fps_read, _ = measure(
                        renderer,
                        synthetic,
                        read_back=True,
                        seconds=args.seconds,
                        push_rate=args.push_rate,
                    )
                    bound = 1000.0 * cores / cpu_ms
                    key = (size, height, n)
                    if ink == "field" and upscale == args.upscale[0]:
                        field_fps[key] = fps
                    ratio = f"{fps / field_fps[key]:.2f}" if key in field_fps else "–"
                    shown = upscale if ink == "field" else "–"
                    print(
                        f"| {size[0]}×{size[1]} | {internal} | {ink} | {shown} | {n} "
                        f"| {fps:.1f} | {fps_read:.1f} | {cpu_ms:.1f} | {bound:.0f} | {ratio} |",
                        flush=True,
                    )
    print(
        f"\nGL: {gl}; LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', 'unset')}; "
        f"plain tiles {'drawn' if args.full_present else 'skipped where the GL allows'}; "
        f"{load_note()} at end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
