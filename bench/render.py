"""Benchmark: offline render speed, `synaesthete render` on four stems.

Writes four stems as WAV files, renders them to an mp4 at 1280×720, 30 fps, and prints how
long the render took and how long the whole job took (with start-up: reading and resampling
the stems, spawning the generator process, loading the style, opening the video), each also
as wall time ÷ audio duration (below 0.5 is the issue-17 goal of ≥ 2× real time), and the
load average before and after.

Stems (``--material``):

- ``demo``: the demo's kick, bass, hats and pad (31 bars at 124 BPM, cut to ``--seconds``),
  written at 22.05 kHz mono, or at ``--rate`` Hz and ``--stereo`` (resampled, each stem
  panned its own way), as a DAW exports them;
- ``arrangement``: drums, bass, keys and lead of a generated arrangement
  (``models.arrangements``; General MIDI instruments through fluidsynth where its soundfont
  is installed, else the project's synth), rendered at ``--rate`` Hz, ``--stereo`` likewise.

With ``--reference`` the same stems are rendered first as before batching (one frame per
generator call, each frame encoded on the drawing thread) in the same process, and the
ratio of the two render times is printed.

    python bench/render.py                                  # 60 s demo stems, 22 kHz mono
    python bench/render.py --seconds 20 --rate 48000 --stereo --reference
    python bench/render.py --material arrangement --rate 48000 --stereo --seconds 20
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

from bridge.show.render import RENDER_BATCH_FRAMES, RENDER_BLAS_THREADS, load_stems, render_stems
from bridge.simulate.demo_audio import DEMO_RATE, demo_stems
from cli.arguments import parse_size
from models.paths import DEFAULT_STYLE
from models.resample import resample

#: Left/right gains of each stem when written as stereo (equal-power pans).
PANS = (0.0, -0.3, 0.35, -0.15)


def stereo(mono: np.ndarray, pan: float) -> np.ndarray:
    """``(n,)`` mono → ``(n, 2)`` with an equal-power ``pan`` in -1 (left) … 1 (right)."""
    angle = (pan + 1.0) * np.pi / 4.0
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1).astype(np.float32)


def material(name: str, rate: int, seconds: float) -> list[tuple[str, np.ndarray]]:
    """Four mono stems ``(name, float32 (n,))`` at ``rate`` Hz, ``seconds`` long at most."""
    if name == "demo":
        stems = [(n, resample(a, DEMO_RATE, rate)) for n, a in demo_stems(bars=31)]
    else:
        from models.arrangements import generate, render_arrangement

        arrangement = generate(3, 120.0, 4, 4, form=0)
        rendered, how = render_arrangement(arrangement, sample_rate=rate)
        print(f"arrangement: {arrangement.seconds:.1f} s, instruments by {how}")
        stems = list(rendered.items())
    return [(n, a[: round(seconds * rate)]) for n, a in stems]


def write_stems(folder: Path, args: argparse.Namespace) -> list[Path]:
    """The chosen stems as WAV files in ``folder`` (float32, as a DAW bounces them)."""
    paths = []
    for i, (name, audio) in enumerate(material(args.material, args.rate, args.seconds)):
        path = folder / f"{name}.wav"
        data = stereo(audio, PANS[i % len(PANS)]) if args.stereo else audio
        soundfile.write(path, data, args.rate, subtype="FLOAT")
        paths.append(path)
    return paths


def render(paths: list[Path], out: Path, args: argparse.Namespace, *, reference: bool) -> dict:
    """Render once; adds the whole job's wall seconds (reading the stems included)."""
    began = time.perf_counter()
    stems = load_stems(paths, style=args.style, blend="screen")
    summary = render_stems(
        stems,
        out,
        fps=args.fps,
        size=args.size,
        preset=args.preset,
        progress=False,
        batch_frames=1 if reference else args.batch_frames,
        write_ahead=0 if reference else None,
        engine=args.engine,
        precision=args.precision,
        blas_threads=args.blas_threads or None,
    )
    summary["whole"] = time.perf_counter() - began
    return summary


def report(label: str, summary: dict) -> None:
    audio = summary["video_seconds"]
    print(
        f"{label}: {summary['frames']:.0f} frames ({audio:.1f} s), {summary['images']:.0f} "
        f"pictures in {summary['calls']:.0f} generator calls: render "
        f"{summary['wall_seconds']:.1f} s = {summary['wall_seconds'] / audio:.3f} × the audio, "
        f"whole job {summary['whole']:.1f} s = {summary['whole'] / audio:.3f} × "
        f"(load average now {os.getloadavg()[0]:.2f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument("--material", choices=("demo", "arrangement"), default="demo")
    parser.add_argument("--rate", type=int, default=DEMO_RATE, help="the stems' sample rate")
    parser.add_argument("--stereo", action="store_true", help="write the stems as stereo")
    parser.add_argument("--batch-frames", type=int, default=RENDER_BATCH_FRAMES)
    parser.add_argument("--engine", default=None, help="the generators' engine (eager, compiled)")
    parser.add_argument(
        "--precision",
        default="fast",
        choices=["fast", "float32", "bfloat16"],
        help="the generators' precision (fast, the render's default: bfloat16 where native)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=RENDER_BLAS_THREADS,
        help="BLAS threads while drawing (0: as the machine sets them)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="first render as before batching (1 frame a call, encoding inline) and compare",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{args.seconds:g} s of 4 {args.material} stems at {args.rate} Hz "
        f"{'stereo' if args.stereo else 'mono'}, {args.size[0]}x{args.size[1]}, {args.fps:g} "
        f"fps, preset {args.preset}, style {args.style} ({args.engine or 'default'} engine), "
        f"{args.batch_frames} frames a call"
    )
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        paths = write_stems(folder, args)
        before = None
        if args.reference:
            before = render(paths, folder / "reference.mp4", args, reference=True)
            report("reference (1 frame a call, inline encoding)", before)
        after = render(paths, folder / "set.mp4", args, reference=False)
        report(f"batched ({args.batch_frames} frames a call, encoder thread)", after)
        if before is not None:
            same = (folder / "reference.mp4").read_bytes() == (folder / "set.mp4").read_bytes()
            print(
                f"speed-up against the reference: render "
                f"{before['wall_seconds'] / after['wall_seconds']:.2f}×, whole job "
                f"{before['whole'] / after['whole']:.2f}×; the same video bytes: {same}"
            )
    return 0


if __name__ == "__main__":  # the generator runs in a spawned child process
    raise SystemExit(main())
