"""Benchmark: what a style switch mid-show costs the other tracks.

Streams the demo's four stems over UDP into a bridge and its inference worker (no
renderer: the pictures are taken from the mailboxes), then, a few seconds in, switches the
last track to another style, as a VJ turning that device's Style menu does. Starting the
new style's generator process takes ~1.5 s. The figure is the longest and the median wait
between new pictures on the *other* tracks in the seconds after the switch: it should stay
near the usual wait, not grow by the start-up time.

    python bench/style_switch.py
    python bench/style_switch.py --to squiggle-lite --after 6
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Hashable

import numpy as np

from bridge.generate.style_cache import StyleCache
from bridge.generate.worker import InferenceWorker
from bridge.ingest.service import BridgeService
from bridge.show.live import style_loader
from bridge.simulate.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems
from bridge.simulate.simulator import Simulator
from cli.show import demo_devices
from models.paths import DEFAULT_STYLE

POLL = 0.002  # how often the mailboxes are read, like a fast render loop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default=DEFAULT_STYLE, help="every track's style at first")
    parser.add_argument("--to", default="glyphs", help="the last track's style after the switch")
    parser.add_argument("--after", type=float, default=4.0, help="seconds before the switch")
    parser.add_argument("--watch", type=float, default=4.0, help="seconds watched after it")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; 4 tracks of "
        f"{args.style}, the last switches to {args.to} after {args.after:g} s"
    )
    stems = [(name, audio, float(DEMO_RATE)) for name, audio in demo_stems()]
    seconds = args.after + args.watch + 2.0
    with BridgeService(port=0) as service:
        styles = StyleCache(style_loader(threads=1), args.style)
        styles.get(args.style)  # loaded before the show, as LiveShow.prepare does
        worker = InferenceWorker(service, styles).start()
        simulator = Simulator(
            demo_devices(stems, args.style),
            port=service.address[1],
            tempo=DEMO_TEMPO,
            loop=True,
            seconds=seconds,
        )
        threading.Thread(target=simulator.run, daemon=True).start()
        try:
            waits, switched_at = watch(worker, args)
        finally:
            worker.stop()
            styles.close()
    if not waits:
        print("no pictures on the other tracks after the switch")
        return 1
    print(
        f"other tracks after the switch: longest wait for a new picture "
        f"{max(waits) * 1000:.0f} ms, median {np.median(waits) * 1000:.0f} ms "
        f"({len(waits)} pictures); the switched track's first {args.to} picture came "
        f"{switched_at * 1000:.0f} ms after the switch"
    )
    return 0


def watch(worker: InferenceWorker, args: argparse.Namespace) -> tuple[list[float], float]:
    """Read the mailboxes until the watch ends; return the other tracks' waits between new
    pictures after the switch, and how long the switched track waited for its new style."""
    seen: dict[Hashable, int] = {}
    last: dict[Hashable, float] = {}
    waits: list[float] = []
    switched: Hashable | None = None
    switch_time = 0.0
    first_new = float("nan")
    began = time.monotonic()
    while time.monotonic() - began < args.after + args.watch:
        now = time.monotonic()
        keys = sorted(worker.frames, key=str)
        if switched is None and now - began >= args.after and len(keys) == 4:
            switched, switch_time = keys[-1], now
            worker.style_for[switched] = args.to  # what the render loop does on a Style change
        for key in keys:
            box = worker.frames.get(key)
            letter = box.take_new(seen.get(key, 0)) if box is not None else None
            if letter is None:
                continue
            seen[key] = letter.version
            picture = letter.value
            if key == switched and picture.style == args.to and np.isnan(first_new):
                first_new = picture.generated - switch_time
            if switched is not None and key != switched and key in last:
                waits.append(picture.generated - last[key])
            last[key] = picture.generated
        time.sleep(POLL)
    return waits, first_new


if __name__ == "__main__":
    raise SystemExit(main())
