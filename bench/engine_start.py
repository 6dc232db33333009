"""Benchmark: how long a compiled style takes to start, and how fast it draws, with a cached
AOTInductor package (``models/aot.py``) against ``torch.compile``'s graphs from PyTorch's
warm disk cache (the reference, measured in the same run).

Each round starts a fresh process each way (alternating, so both share the machine's
conditions: in one process dynamo would reuse its graphs), which loads the style and times
``--calls`` calls at each batch size; the last lines give the medians and each figure of the
package as a ratio of torch.compile's. A first pass builds the package and warms PyTorch's
cache (reported, not counted).

    python bench/engine_start.py
    python bench/engine_start.py --style squiggle --precision bfloat16 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from models import aot
from models.paths import DEFAULT_STYLE, find_style_dir
from models.style import Style

BATCHES = (1, 4, 16)


def _no_package(*_args: object, **_kwargs: object) -> object:
    raise RuntimeError("packages switched off for the reference")


def load(folder: Path, precision: str, packages: bool) -> tuple[Style, float]:
    """The style with the compiled engine and its start-up seconds."""
    where = aot.package_path
    if not packages:
        aot.package_path = _no_package  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        style = Style.from_dir(folder, threads=1, engine="compiled", precision=precision)
        return style, time.perf_counter() - started
    finally:
        aot.package_path = where  # type: ignore[assignment]


def rate(style: Style, batch: int, calls: int) -> float:
    """Pictures per second at ``batch`` windows per call."""
    windows = np.random.default_rng(batch).uniform(-1, 1, (batch, 64, 64)).astype(np.float32)
    style.audio_to_fields(windows)
    started = time.perf_counter()
    for _ in range(calls):
        style.audio_to_fields(windows)
    return batch * calls / (time.perf_counter() - started)


def child(folder: Path, precision: str, packages: bool, calls: int) -> dict:
    """In a fresh process: the start-up seconds and pictures/s at each batch size."""
    torch.set_num_threads(1)  # as the bridge's generator processes run
    style, seconds = load(folder, precision, packages)
    return {
        "start": seconds,
        "by": style._image.compiled_by,
        "rates": {str(b): rate(style, b, calls) for b in BATCHES},
    }


def run_child(args: argparse.Namespace, packages: bool) -> dict:
    command = [sys.executable, __file__, "--child", "--style", args.style]
    command += ["--precision", args.precision, "--calls", str(args.calls)]
    if not packages:
        command.append("--no-packages")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument("--precision", default="fast", help="fast, float32 or bfloat16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-packages", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = find_style_dir(args.style)
    if args.child:
        print(json.dumps(child(folder, args.precision, not args.no_packages, args.calls)))
        return 0
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; style "
        f"{args.style}, precision {args.precision}, 1 thread; cache {aot.cache_folder()}"
    )
    for packages in (True, False):
        first = run_child(args, packages)
        print(f"first start ({first['by']}): {first['start']:.1f} s (not counted)")
    starts: dict[str, list[float]] = {"package": [], "torch.compile": []}
    rates: dict[str, dict[int, list[float]]] = {k: {b: [] for b in BATCHES} for k in starts}
    for round_ in range(args.rounds):
        for name, packages in (("package", True), ("torch.compile", False)):
            result = run_child(args, packages)
            assert result["by"].startswith("package") == packages, result["by"]
            starts[name].append(result["start"])
            for batch in BATCHES:
                rates[name][batch].append(result["rates"][str(batch)])
        print(
            f"round {round_ + 1}: start-up package {starts['package'][-1]:.2f} s, "
            f"torch.compile {starts['torch.compile'][-1]:.2f} s"
        )
    mine = statistics.median(starts["package"])
    ref = statistics.median(starts["torch.compile"])
    print(
        f"start-up (median): package {mine:.2f} s vs torch.compile {ref:.2f} s = ×{mine / ref:.3f}"
    )
    for batch in BATCHES:
        a = statistics.median(rates["package"][batch])
        b = statistics.median(rates["torch.compile"][batch])
        print(
            f"batch {batch:2d}: package {a:.0f} vs torch.compile {b:.0f} pictures/s = ×{a / b:.2f}"
        )
    print(f"load average now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
