"""Live frame sinks against today's video path: what NDI and a virtual camera cost per frame.

One synthetic scene (``--layers`` layers, 1280×720 by default) is rendered headless, and
each output path is timed over the same frames:

- ``render``: the picture only (``finish()``: no pixels leave the GPU);
- ``read-back``: plus ``read_rgba()`` (what every sink and the video start from);
- ``video``: plus the live recorder's H.264 encode (libx264 ``veryfast``) — today's path;
- ``ndi``: plus :class:`renderer.sinks.ndi.NdiSink` (straight alpha + NDI's compression),
  with an NDI receiver connected from a child process so the sender really compresses;
- ``vcam``: plus :class:`renderer.sinks.virtual_camera.VirtualCameraSink` on a fake device
  (pyvirtualcam's checks and the RGB copy; the kernel's copy into v4l2loopback is not here).

Prints ms per frame, each path's ratio to ``video`` and to ``render``, the straight-alpha
conversion alone, and the load average (llvmpipe and NDI share the CPU with everything).

    .venv/bin/python bench/sinks.py
    .venv/bin/python bench/sinks.py --size 1920x1080 --layers 16 --frames 90
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cli.arguments import parse_size  # noqa: E402

NDI_NAME = "synaesthete-bench"

RECEIVER = f"""
import time
from cyndilib import Finder, Receiver, RecvBandwidth, RecvColorFormat, VideoFrameSync
finder = Finder(); finder.open()
source = None
while source is None:
    finder.wait_for_sources(0.5)
    names = [n for n in finder.get_source_names() if "({NDI_NAME})" in n]
    source = finder.get_source(names[0]) if names else None
receiver = Receiver(color_format=RecvColorFormat.RGBX_RGBA, bandwidth=RecvBandwidth.highest)
video = VideoFrameSync(); receiver.frame_sync.set_video_frame(video); receiver.set_source(source)
while True:
    time.sleep(1 / 30)
    if receiver.is_connected():
        receiver.frame_sync.capture_video()
"""


def load_note() -> str:
    one, _, _ = os.getloadavg()
    return f"load average {one:.2f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--frames", type=int, default=60, help="frames timed per path")
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args(argv)

    config = Path(tempfile.mkdtemp()) / "ndi-config.v1.json"
    config.write_text(json.dumps({"ndi": {"networks": {"ips": "127.0.0.1", "discovery": ""}}}))
    os.environ["NDI_CONFIG_DIR"] = str(config.parent)  # before the NDI runtime starts

    from renderer.headless import HeadlessRenderer
    from renderer.sinks.convert import straight_alpha
    from renderer.synthetic import SyntheticSet
    from renderer.video import VideoWriter

    print(f"# sinks benchmark — {load_note()} at start; {args.size[0]}×{args.size[1]}, ")
    print(f"# {args.layers} layers, {args.frames} frames per path")
    synthetic = SyntheticSet(args.layers, seed=1)
    outputs: dict[str, object] = {}
    receiver = None
    try:
        with tempfile.TemporaryDirectory() as folder, HeadlessRenderer(args.size) as renderer:
            comp = renderer.compositor
            for i in range(args.layers):
                comp.set_layer(i, synthetic.settings(i))
                comp.push_image(i, synthetic.field(i, 0.0), 0.0)
            outputs["video"] = VideoWriter(Path(folder) / "bench.mp4", args.size, args.fps)
            try:
                from renderer.sinks.ndi import NdiSink

                outputs["ndi"] = NdiSink(NDI_NAME, args.size, args.fps)
                receiver = subprocess.Popen([sys.executable, "-c", RECEIVER])
                connected = outputs["ndi"].connections(timeout=10.0)  # type: ignore[attr-defined]
                print(f"# NDI: {connected} receiver(s) connected")
            except Exception as exc:
                print(f"# NDI left out: {exc}")
            try:
                from renderer.sinks.virtual_camera import VirtualCameraSink
                from tests.renderer.fake_camera import FAKE_BACKEND, registered

                with registered():
                    outputs["vcam"] = VirtualCameraSink(args.size, args.fps, backend=FAKE_BACKEND)
            except Exception as exc:
                print(f"# virtual camera left out: {exc}")

            def run(path: str) -> float:
                sink = outputs.get(path)
                for frame in range(-5, args.frames):  # five warm-up frames first
                    if frame == 0:
                        start = time.perf_counter()
                    t = (frame + 5) / args.fps
                    comp.render(t, {i: synthetic.features(i, t) for i in range(args.layers)})
                    if path == "render":
                        comp.finish()
                        continue
                    pixels = comp.read_rgba()
                    if sink is not None:
                        sink.write(pixels)  # type: ignore[attr-defined]
                return 1000.0 * (time.perf_counter() - start) / args.frames

            results = {path: run(path) for path in ["render", "read-back", *outputs]}
            frame = comp.read_rgba()
            began = time.perf_counter()
            for _ in range(20):
                straight_alpha(frame)
            convert_ms = 1000.0 * (time.perf_counter() - began) / 20
            translucent = float(np.mean(frame[..., 3] < 255))
            worst = frame.copy()
            worst[..., 3] = 200  # every pixel translucent: the conversion's worst case
            began = time.perf_counter()
            for _ in range(20):
                straight_alpha(worst)
            worst_ms = 1000.0 * (time.perf_counter() - began) / 20
            for sink in outputs.values():
                sink.close()  # type: ignore[attr-defined]
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait()
    reference = results.get("video", float("nan"))
    print("| path | ms/frame | ÷ video | ÷ render |")
    print("|---|---|---|---|")
    for path, ms in results.items():
        print(f"| {path} | {ms:.1f} | {ms / reference:.2f} | {ms / results['render']:.2f} |")
    print(
        f"# straight alpha alone: {convert_ms:.1f} ms/frame here ({translucent:.0%} of pixels "
        f"translucent), {worst_ms:.1f} ms with every pixel translucent; {load_note()} at end"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
