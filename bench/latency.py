"""Benchmark: packet-in → frame-out latency of the live pipeline, and generation rate.

Runs the demo's path headless (simulator → UDP → bridge → inference → compositor, no
video encoding) for a fixed time with 4, 8 and 16 tracks, and prints the latency
percentiles, per-stage times and the generated frames per second each track achieved.

    python bench/latency.py                       # 4, 8, 16 tracks, 20 s each, 1280x720
    python bench/latency.py --tracks 8 --seconds 10 --size 640x360
    python bench/latency.py --tracks 8 --precision float32 --precision bfloat16 --repeat 2

With several ``--precision`` values each track count runs every precision in turn
(``--repeat`` rounds, alternating, so they share the machine's conditions), and a last line
gives each one's pictures/s, p95 and display fps as ratios of the first's (medians over the
rounds).

Goal (issue 6): p95 ≤ 25 ms at 8 tracks.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import threading

from bridge.ingest.service import BridgeService
from bridge.show.live import LiveOptions, LiveShow
from bridge.simulate.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems
from bridge.simulate.simulator import Simulator, devices_from_arrays
from cli.arguments import parse_size
from models.paths import DEFAULT_STYLE


def run(
    tracks: int,
    seconds: float,
    size: tuple[int, int],
    fps: float,
    style: str,
    engine: str = "compiled",
    precision: str = "fast",
) -> dict:
    stems = demo_stems()
    sources = [
        (f"{stems[i % len(stems)][0]}{i // len(stems) + 1}", stems[i % len(stems)][1], DEMO_RATE)
        for i in range(tracks)
    ]
    with BridgeService(port=0) as service:
        show = LiveShow(
            service,
            LiveOptions(
                style=style,
                size=size,
                fps=fps,
                headless=True,
                seconds=seconds,
                engine=engine,
                precision=precision,
            ),
        )
        show.prepare()
        # As the device streams from a 48 kHz Live set: 24 kHz, 256-sample packets.
        devices = devices_from_arrays(sources, stream_rate=24000.0, seed=tracks)
        for device in devices:
            device.style = style  # tracks follow their device's Style menu
        simulator = Simulator(
            devices,
            port=service.address[1],
            sample_rate=48000.0,
            decimation=2,
            tempo=DEMO_TEMPO,
            loop=True,
            seconds=seconds + 1,
        )
        runner = threading.Thread(target=simulator.run, daemon=True)
        runner.start()
        show.run()
        simulator.close()
        runner.join(5)
        summary = show.summary()
    summary["tracks"] = tracks
    return summary


def percentiles(latency: dict, name: str) -> str:
    stage = latency.get(name)
    if not stage:
        return f"{name} -"
    return f"{name} p50 {stage['p50_ms']:.1f} / p95 {stage['p95_ms']:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, action="append", help="default: 4, 8, 16")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument(
        "--engine",
        default="compiled",
        choices=["compiled", "eager", "live"],
        help="the generators' engine (compiled: the live show's steady state, built before "
        "the run; eager: as before)",
    )
    parser.add_argument(
        "--precision",
        action="append",
        choices=["fast", "float32", "bfloat16"],
        help="the generators' precision (default fast, the show's); give several to compare",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds per precision (1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{args.size[0]}x{args.size[1]} at {args.fps:g} fps, style {args.style}"
    )
    precisions = args.precision or ["fast"]
    for tracks in args.tracks or [4, 8, 16]:
        figures: dict[str, list[tuple[float, float, float]]] = {p: [] for p in precisions}
        for _ in range(max(1, args.repeat)):
            for precision in precisions:
                s = run(
                    tracks, args.seconds, args.size, args.fps, args.style, args.engine, precision
                )
                print(f"{precision}: ", end="")
                figures[precision].append(report(s, tracks, args.seconds))
        if len(precisions) > 1:
            first = [statistics.median(f) for f in zip(*figures[precisions[0]], strict=True)]
            for precision in precisions[1:]:
                mine = [statistics.median(f) for f in zip(*figures[precision], strict=True)]
                ratios = [m / f if f else float("nan") for m, f in zip(mine, first, strict=True)]
                print(
                    f"{tracks:2d} tracks, {precision} ÷ {precisions[0]} (medians of "
                    f"{max(1, args.repeat)}): pictures/s ×{ratios[0]:.2f} ({mine[0]:.1f} vs "
                    f"{first[0]:.1f}), p95 ×{ratios[1]:.2f} ({mine[1]:.0f} vs {first[1]:.0f} "
                    f"ms), display fps ×{ratios[2]:.2f} ({mine[2]:.1f} vs {first[2]:.1f})"
                )
    return 0


def report(s: dict, tracks: int, seconds: float) -> tuple[float, float, float]:
    """Print one run's line; returns (pictures/s per track, packet → frame p95 ms, fps)."""
    latency = s["latency"]
    stages = "; ".join(
        percentiles(latency, name)
        for name in (
            "packet_to_frame",
            "packet_to_generate",
            "analysis",
            "generate",
            "picture_to_frame",
            "update",
            "render",
        )
    )
    print(
        f"{tracks:2d} tracks: {stages}; generated "
        f"{s['generation_hz_per_track']:.1f}/s per track "
        f"(target {s['generation_target_hz']:.0f}, CPU-limited: {s['generation_limited']}), "
        f"{s['generated'] / max(1, s['generator_calls']):.1f} pictures per call, "
        f"{s['frames'] / seconds:.1f} display fps; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    p95 = latency.get("packet_to_frame", {}).get("p95_ms", float("nan"))
    return s["generation_hz_per_track"], p95, s["frames"] / seconds


if __name__ == "__main__":
    sys.exit(main())
