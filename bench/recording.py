"""Benchmark: a headless recording of the live show while simulated devices stream into it.

Starts the real bridge (``synaesthete bridge --headless --out``, the shipped default style
and look, 1280×720 at 30 fps) as its own process and ``synaesthete simulate`` as another
(the demo's four stems looped as N tracks, 48-kHz Live set decimated by 2, 256-sample
packets), as Live and the bridge would run on one machine. At the end it prints what the
audience got: frames composited anew against frames repeated to keep time (a repeated frame
is a frame the show did not draw in time), the display's drawn frame rate, and the pictures
generated per second per track, plus the load average. The goal (issue #17): with 16 tracks
for 5 minutes, display ≥ 30 fps, < 5 % repeated frames, ≥ 10 pictures/s per track.

    python bench/recording.py --tracks 16 --minutes 5
    python bench/recording.py --tracks 8 --minutes 1 --keep rec.mp4

The commands it runs are printed first, so a run can be repeated by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.simulate.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_stems(folder: Path, tracks: int) -> list[Path]:
    """``tracks`` wav files cycling through the demo's stems (each its own file, as each
    device streams its own track)."""
    stems = demo_stems(bars=8)
    paths = []
    for i in range(tracks):
        name, audio = stems[i % len(stems)]
        path = folder / f"{i:02d}-{name}.wav"
        soundfile.write(path, audio, DEMO_RATE, subtype="FLOAT")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--keep", type=Path, default=None, help="keep the recording here")
    parser.add_argument(
        "--bridge-args", default="", help="more arguments for the bridge, e.g. '--device cpu'"
    )
    args = parser.parse_args(argv)
    seconds = args.minutes * 60.0
    exe = [str(Path(sys.executable).parent / "synaesthete")]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="synaesthete-recording-") as tmp:
        folder = Path(tmp)
        stems = write_stems(folder, args.tracks)
        out = args.keep or folder / "recording.mp4"
        stats = folder / "stats.json"
        port = free_udp_port()
        bridge = [
            *exe, "-q", "bridge", "--headless", "--out", str(out), "--port", str(port),
            "--size", args.size, "--fps", str(args.fps), "--seconds", str(seconds),
            "--stats-json", str(stats), "--stats", *shlex.split(args.bridge_args),
        ]  # fmt: skip
        simulate = [
            *exe, "simulate", *map(str, stems), "--loop", "--port", str(port),
            "--tempo", str(DEMO_TEMPO), "--sample-rate", "48000", "--decimation", "2",
            "--seconds", str(seconds + 30.0),
        ]  # fmt: skip
        print("$", shlex.join(bridge))
        print("$", shlex.join(simulate))
        print(f"machine: {os.cpu_count()} cores, load average {load_before:.2f} before", flush=True)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        with subprocess.Popen(bridge, env=env) as server:
            time.sleep(3.0)  # the bridge loads its style before it listens for long
            with subprocess.Popen(simulate, env=env, stdout=subprocess.DEVNULL) as devices:
                code = server.wait(timeout=seconds + 180.0)
                devices.terminate()
        load_after = os.getloadavg()[0]
        if code != 0 or not stats.exists():
            print(f"the bridge failed (exit {code})", file=sys.stderr)
            return 1
        summary = json.loads(stats.read_text())["live"]
    written = summary["frames_written"]
    repeated = summary["frames_repeated"]
    drawn = written - repeated
    share = repeated / written if written else 1.0
    print(
        f"{args.tracks} tracks, {seconds / 60:.1f} min at {args.fps:.0f} fps: "
        f"{written} frames written, {repeated} repeated ({100 * share:.1f} %), "
        f"drawn {drawn / seconds:.1f} fps; "
        f"{summary['generation_hz_per_track']:.1f} pictures/s per track "
        f"(CPU-limited: {summary['generation_limited']}); load average {load_after:.2f} at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
