"""Benchmark: can one bridge ingest many tracks without loss on a fraction of a core?

Starts ``synaesthete bridge`` and ``synaesthete simulate`` as separate processes on
127.0.0.1 (so the simulator's CPU is not counted), streams N synthetic tracks at 24 kHz
(Live at 48 kHz ÷ 2) in 512-sample messages, and prints messages/s, lost/late packets,
refused datagrams and the bridge process's CPU use. Runs twice by default: receive only
(``--analyse-hz 0``) and with every track analysed 30 times a second, as live.

    python bench/osc_ingest.py                  # 32 tracks, 30 s, both modes
    python bench/osc_ingest.py --tracks 8 --seconds 10 --analyse-hz 30

Goal (issue 2): zero loss under 10 % of one core, receive path.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SAMPLE_RATE = 48000.0
DECIMATION = 2
BLOCK = 512


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def synaesthete(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cli.main import main; raise SystemExit(main())", *args]


def run_once(tracks: int, seconds: float, analyse_hz: float) -> dict[str, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        warmup = 2.0
        bridge = subprocess.Popen(
            synaesthete(
                "-q",
                "bridge",
                "--no-render",
                "--port",
                str(port),
                "--stats",
                "--refresh",
                "5",
                "--duration",
                str(seconds + warmup + 3.0),
                "--analyse-hz",
                str(analyse_hz),
                "--stats-json",
                str(stats_path),
            ),
            stdout=subprocess.DEVNULL,
        )
        time.sleep(warmup)  # imports and socket set-up are not what we measure
        process = psutil.Process(bridge.pid)
        cpu_before = process.cpu_times()
        wall_before = time.perf_counter()
        simulator = subprocess.run(
            synaesthete(
                "-q",
                "simulate",
                "--synthetic",
                str(tracks),
                "--seconds",
                str(seconds),
                "--port",
                str(port),
                "--sample-rate",
                str(SAMPLE_RATE),
                "--decimation",
                str(DECIMATION),
                "--block",
                str(BLOCK),
                "--seed",
                "1",
            ),
            capture_output=True,
            text=True,
            check=True,
        )
        time.sleep(0.5)  # let the bridge drain its queue
        cpu_after = process.cpu_times()
        wall = time.perf_counter() - wall_before
        bridge.wait(timeout=seconds + 30)
        data = json.loads(stats_path.read_text())
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    totals = data["stream_totals"]
    sent = int(simulator.stderr.split("sent ")[1].split(" pcm")[0])
    return {
        "tracks": tracks,
        "analyse_hz": analyse_hz,
        "pcm_sent": sent,
        "pcm_accepted": totals.get("packets", 0),
        "messages_per_s": sent / seconds,
        "lost": totals.get("lost", 0),
        "late": totals.get("late", 0),
        "refused": sum(v for k, v in data["counters"].items() if k != "controls"),
        "missing": sent - totals.get("packets", 0),
        "cpu_percent_of_one_core": 100.0 * cpu / wall,
        "analysis_ms_per_update": 1000.0
        * data["analysis_busy_seconds"]
        / max(1, data["analysis_updates"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--analyse-hz", type=float, action="append", help="modes to run (default: 0 and 30)"
    )
    args = parser.parse_args()
    modes = args.analyse_hz or [0.0, 30.0]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for hz in modes:
        r = run_once(args.tracks, args.seconds, hz)
        mode = "receive only" if hz == 0 else f"analysis {hz:g} Hz/track"
        print(
            f"{r['tracks']} tracks @ {SAMPLE_RATE / DECIMATION:.0f} Hz, {mode}: "
            f"{r['messages_per_s']:.0f} msg/s, sent {r['pcm_sent']}, accepted "
            f"{r['pcm_accepted']}, missing {r['missing']}, lost {r['lost']}, late {r['late']}, "
            f"refused {r['refused']}, bridge CPU {r['cpu_percent_of_one_core']:.1f} % of one "
            f"core" + (f", {r['analysis_ms_per_update']:.2f} ms per analysis round" if hz else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
