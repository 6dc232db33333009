"""GPU check in a few minutes: the renderer's GL, the GPU-vs-CPU tests, 32 tracks' latency.

Prints ``GL_RENDERER`` (when a GL context can be made), runs the GPU tests of
``tests/models/test_inference.py`` (they skip, saying why, without a GPU), then times one
32-window batch (32 tracks, one picture each) of the default style on the GPU, eager float16,
eager float32 and compiled float16, against the CPU's eager and compiled engines in the same
run: p50/p95 ms per batch and img/s, and each as a ratio against the CPU eager engine. On a
machine without a GPU it says so and measures the CPU alone.

    .venv/bin/python bench/gpu_check.py [--calls 50] [--no-tests] [--no-compile]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACKS = 32


def gl_renderer() -> str:
    """The GL renderer a standalone context gets, or why there is none."""
    reasons = []
    for backend in (None, "egl"):  # an X display first, then headless EGL
        try:
            import moderngl

            kwargs = {} if backend is None else {"backend": backend}
            ctx = moderngl.create_standalone_context(**kwargs)
            try:
                return str(ctx.info.get("GL_RENDERER", "unknown"))
            finally:
                ctx.release()
        except Exception as exc:  # no display, no EGL, no moderngl: report, go on
            reasons.append(f"{backend or 'default'}: {type(exc).__name__}: {exc}")
    return "no GL context (" + "; ".join(reasons) + ")"


def latencies(style: object, windows: np.ndarray, calls: int) -> tuple[float, float]:
    """p50 and p95 milliseconds of ``style.audio_to_image(windows)`` (pictures back on the
    host, so a GPU's work is finished) after two warm-up calls."""
    for _ in range(2):
        style.audio_to_image(windows)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        style.audio_to_image(windows)
        times.append((time.perf_counter() - started) * 1000.0)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default=None, help="default: the shipped default style")
    parser.add_argument("--calls", type=int, default=50, help="timed GPU calls (CPU: a fifth)")
    parser.add_argument("--threads", type=int, default=1, help="CPU torch threads")
    parser.add_argument("--no-tests", action="store_true")
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT)
    import torch

    from models.inference import resolve_device
    from models.paths import DEFAULT_STYLE
    from models.style import Style

    name = args.style or DEFAULT_STYLE
    torch.set_num_threads(args.threads)
    load = os.getloadavg()
    device = resolve_device("auto")
    print(f"torch {torch.__version__}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"GL_RENDERER: {gl_renderer()}")
    if device.type == "cuda":
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    else:
        print(f"GPU: none ({device.type} is what 'auto' picks here)")
    if not args.no_tests:
        tests = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"]
        tests += ["tests/models/test_inference.py", "-k", "gpu"]
        result = subprocess.run(tests, cwd=ROOT, check=False)
        print(f"GPU-vs-CPU tests: exit {result.returncode}")
    windows = np.random.default_rng(0).uniform(-1, 1, (TRACKS, 64, 64)).astype(np.float32)
    rows: list[tuple[str, float, float]] = []

    def measure(label: str, calls: int, **kwargs: object) -> None:
        started = time.perf_counter()
        try:
            style = Style.load(name, threads=args.threads, **kwargs)  # type: ignore[arg-type]
        except Exception as exc:  # an engine this platform lacks: report, go on
            print(f"  {label}: unavailable ({type(exc).__name__}: {exc})")
            return
        built = time.perf_counter() - started
        p50, p95 = latencies(style, windows, calls)
        rows.append((label, p50, p95))
        print(f"  {label}: ready in {built:.1f} s, p50 {p50:.2f} ms, p95 {p95:.2f} ms")

    cpu_calls = max(3, args.calls // 5)
    print(f"{TRACKS} windows per call (one picture for each of {TRACKS} tracks):")
    measure("cpu eager", cpu_calls)
    if not args.no_compile:
        measure("cpu compiled", cpu_calls, engine="compiled")
    if device.type != "cpu":
        kind = device.type
        measure(f"{kind} eager float16", args.calls, device=kind)
        measure(f"{kind} eager float32", args.calls, device=kind, precision="float32")
        if not args.no_compile:
            measure(f"{kind} compiled float16", args.calls, device=kind, engine="compiled")
    base = rows[0][1] if rows else float("nan")
    print(f"  {'path':<24} {'p50 ms':>8} {'p95 ms':>8} {'img/s':>9} {'× cpu eager':>12}")
    for label, p50, p95 in rows:
        rate = TRACKS / (p50 / 1000.0)
        print(f"  {label:<24} {p50:8.2f} {p95:8.2f} {rate:9.0f} {base / p50:11.1f}×")
    print(f"target: {TRACKS} tracks × 30 pictures/s = one batch every 33 ms, p95 ≤ 20 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
