"""Benchmark: a show that runs all night — memory, exceptions, display and generation rate.

Starts the real bridge (``synaesthete bridge --headless``, the shipped default style, 1280×720)
as its own process and streams N virtual devices into it over UDP, as the Max device sends
them (hello/meta/params every second, pcm every 10.7 ms, transport 30×/s). Devices come and
go the whole time: each lives 15–45 s, then says bye or simply falls silent (a deleted
device, a crashed Live), and a new device with a new uuid takes its place.

Every 10 s it prints the resident memory (RSS) of the bridge and of its generator children;
at the end, the RSS slope over minutes 2 … M (least squares, ``scipy.stats.linregress``), the
exceptions in the bridge's log, the display frame rate and the pictures per second per track.

    python bench/soak.py --tracks 16 --minutes 10      # the goal: slope < 0.2 MB/min, 0 exceptions
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
from scipy import stats

from bridge.simulate import device_messages as dm
from bridge.simulate.simulator import PALETTE, stable_uuid

STREAM_RATE = 24000.0
BLOCK = 256  # samples per pcm message, as the device sends


@dataclass
class Slot:
    """One track position that devices come and go on."""

    index: int
    generation: int = 0
    uuid: str = ""
    nonce: int = 1
    seq: int = 0
    phase: float = 0.0
    ends: float = 0.0
    last_announce: float = 0.0
    silent_until: float = 0.0  # after a silent vanish, the slot waits before a new device


def voice(slot: Slot, n: int) -> np.ndarray:
    """A few seconds of a plucked tone per slot, different per slot: ``n`` samples."""
    t = (slot.phase + np.arange(n)) / STREAM_RATE
    slot.phase += n
    pitch = 55.0 * 2 ** (slot.index / 4.0)
    envelope = np.exp(-((t * 2.0) % 1.0) * 4.0)
    return (0.4 * envelope * np.sin(2 * np.pi * pitch * t)).astype(np.float32)


class Churn:
    """Streams N slots of coming-and-going devices to ``port`` until stopped."""

    def __init__(self, port: int, tracks: int, seed: int = 0) -> None:
        self.target = ("127.0.0.1", port)
        self.rng = random.Random(seed)
        self.slots = [Slot(i) for i in range(tracks)]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stop = threading.Event()
        self.devices_started = 0
        self.byes = 0
        self.vanished = 0

    def _new_device(self, slot: Slot, now: float) -> None:
        slot.generation += 1
        slot.uuid = stable_uuid(f"soak:{slot.index}:{slot.generation}")
        slot.nonce = self.rng.randint(1, 2**24)
        slot.seq = self.rng.randint(0, 2**31 - 1)
        slot.ends = now + self.rng.uniform(15.0, 45.0)
        slot.last_announce = 0.0
        self.devices_started += 1

    def _announce(self, slot: Slot, now: float) -> None:
        name = f"voice{slot.index:02d}"
        color = PALETTE[slot.index % len(PALETTE)]
        for datagram in (
            dm.hello(slot.uuid, slot.nonce, STREAM_RATE * 2, 2),
            dm.meta(slot.uuid, slot.nonce, name, color, slot.index),
            dm.params(slot.uuid, slot.nonce),
        ):
            self.sock.sendto(datagram, self.target)
        slot.last_announce = now

    def run(self) -> None:
        period = BLOCK / STREAM_RATE
        start = time.monotonic()
        for slot in self.slots:
            self._new_device(slot, start)
        tick = 0
        while not self.stop.is_set():
            now = time.monotonic()
            for slot in self.slots:
                if not slot.uuid:
                    if now >= slot.silent_until:
                        self._new_device(slot, now)
                    continue
                if now >= slot.ends:
                    if self.rng.random() < 0.5:
                        self.sock.sendto(dm.bye(slot.uuid, slot.nonce), self.target)
                        self.byes += 1
                    else:  # falls silent: the bridge must expire it on its own
                        self.vanished += 1
                        slot.silent_until = now + self.rng.uniform(1.0, 12.0)
                    slot.uuid = ""
                    continue
                if now - slot.last_announce >= 1.0:
                    self._announce(slot, now)
                self.sock.sendto(
                    dm.pcm(slot.uuid, slot.nonce, slot.seq, voice(slot, BLOCK)), self.target
                )
                slot.seq = (slot.seq + 1) % 2**31
            if tick % 3 == 0:
                beat = (now - start) * 124.0 / 60.0
                self.sock.sendto(dm.transport(124.0, True, beat, 4, 4), self.target)
            tick += 1
            delay = start + tick * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_mb(process: psutil.Process) -> tuple[float, float]:
    """RSS of the bridge and of all its children (the generator processes), in MB."""
    try:
        own = process.memory_info().rss
        children = 0
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):  # a child that just ended
                children += child.memory_info().rss
    except psutil.NoSuchProcess:
        return float("nan"), float("nan")
    return own / 1e6, children / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args()
    seconds = args.minutes * 60.0
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    stats_json = work / "stats.json"
    log_path = work / "bridge.log"
    command = [
        sys.executable, "-m", "cli.main", "bridge", "--headless", "--port", str(port),
        "--seconds", str(seconds + 15.0), "--stats-json", str(stats_json),
    ]  # fmt: skip
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    print("bridge:", " ".join(command), flush=True)
    with open(log_path, "w") as log:
        bridge = subprocess.Popen(command, stderr=log, stdout=log)
    process = psutil.Process(bridge.pid)
    time.sleep(10.0)  # the default style loads before the show starts
    churn = Churn(port, args.tracks)
    sender = threading.Thread(target=churn.run, daemon=True)
    sender.start()
    began = time.monotonic()
    samples: list[tuple[float, float, float]] = []
    print(f"{'min':>5} {'bridge MB':>10} {'children MB':>12} {'devices':>8}", flush=True)
    while time.monotonic() - began < seconds and bridge.poll() is None:
        time.sleep(args.interval)
        minute = (time.monotonic() - began) / 60.0
        own, children = memory_mb(process)
        samples.append((minute, own, children))
        print(f"{minute:5.2f} {own:10.1f} {children:12.1f} {churn.devices_started:8d}", flush=True)
    churn.stop.set()
    sender.join(2.0)
    code = bridge.wait(timeout=120)
    text = log_path.read_text(errors="replace")
    exceptions = text.count("Traceback")
    errors = sum(1 for line in text.splitlines() if " ERROR " in line)
    late = [(m, own + ch) for m, own, ch in samples if m >= 2.0]
    print(f"devices started {churn.devices_started}, byes {churn.byes}, vanished {churn.vanished}")
    if len(late) >= 3:
        for label, column in (("bridge", 1), ("children", 2), ("total", None)):
            ys = [s[1] + s[2] if column is None else s[column] for s in samples if s[0] >= 2.0]
            fit = stats.linregress([s[0] for s in samples if s[0] >= 2.0], ys)
            print(f"RSS slope over minutes 2-{args.minutes:g}, {label}: {fit.slope:+.3f} MB/min")
    live = {}
    if stats_json.exists():
        live = json.loads(stats_json.read_text()).get("live", {})
    if live:
        wall = seconds + 15.0
        print(
            f"display {live['frames'] / wall:.1f} fps ({live['frames']} frames in ~{wall:.0f} s),"
            f" pictures/s per track {live['generation_hz_per_track']:.1f}, "
            f"worker errors {live['worker_errors']}, generators lost {live['generators_lost']}"
        )
    print(f"bridge exit code {code}, exceptions {exceptions}, ERROR lines {errors}; log {log_path}")
    return 0 if code == 0 and exceptions == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
