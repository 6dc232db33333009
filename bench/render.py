"""Benchmark: offline render speed, `synaesthete render` on four 60-s stems.

Writes the demo's four stems (kick, bass, hats, pad; 31 bars at 124 BPM, cut to the
length asked for) as WAV files, renders them to an mp4 at 1280×720, 30 fps, and prints
how long the render took and how long the whole job took (with start-up: spawning the
generator process, loading the style, opening the video).

    python bench/render.py                  # 60 s of stems, --preset veryfast
    python bench/render.py --seconds 20 --preset ultrafast

Goal (issue 6): 60 s of 4 stems at 1280×720, 30 fps in ≤ 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import soundfile

from bridge.show.render import load_stems, render_stems
from bridge.simulate.demo_audio import DEMO_RATE, demo_stems
from cli.arguments import parse_size
from models.paths import DEFAULT_STYLE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--style", default=DEFAULT_STYLE)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{args.seconds:g} s of 4 stems at {args.size[0]}x{args.size[1]}, {args.fps:g} fps, "
        f"preset {args.preset}, style {args.style}"
    )
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, audio in demo_stems(bars=31):
            path = Path(folder) / f"{name}.wav"
            soundfile.write(path, audio[: round(args.seconds * DEMO_RATE)], DEMO_RATE)
            paths.append(path)
        began = time.perf_counter()
        stems = load_stems(paths, style=args.style, blend="screen")
        summary = render_stems(
            stems,
            Path(folder) / "set.mp4",
            fps=args.fps,
            size=args.size,
            preset=args.preset,
            progress=False,
        )
        total = time.perf_counter() - began
    print(
        f"{summary['frames']:.0f} frames ({summary['video_seconds']:.1f} s of video), "
        f"{summary['images']:.0f} pictures: render {summary['wall_seconds']:.1f} s, "
        f"whole job {total:.1f} s"
    )
    return 0


if __name__ == "__main__":  # the generator runs in a spawned child process
    raise SystemExit(main())
