"""Send frames through :class:`renderer.sinks.ndi.NdiSink` and receive them back with
cyndilib's finder and receiver on this machine; prints one JSON line.

Run as ``python -m tests.renderer.ndi_loopback CONFIG_DIR`` in a child process: the NDI
runtime reads ``$NDI_CONFIG_DIR/ndi-config.v1.json`` once, when it starts, and the test
points discovery at 127.0.0.1 there ("extra IPs"), so no mDNS or network is needed.
Exit status 3 with a reason means the NDI runtime could not be loaded here.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

SIZE = (64, 36)
NAME = "synaesthete-test"


def sample_frame() -> np.ndarray:
    """A premultiplied RGBA frame: a red-green ramp, left half opaque, right half at 50 %."""
    width, height = SIZE
    straight = np.zeros((height, width, 4), np.uint8)
    straight[..., 0] = 200
    straight[..., 1] = np.linspace(0, 240, width).astype(np.uint8)[None, :]
    straight[..., 2] = 40
    straight[..., 3] = 255
    straight[:, width // 2 :, 3] = 128
    alpha = straight[..., 3:4].astype(np.float32) / 255.0
    premultiplied = straight.astype(np.float32)
    premultiplied[..., :3] *= alpha
    return np.rint(premultiplied).astype(np.uint8)


def main() -> int:
    try:
        import cyndilib
        from cyndilib import Finder, Receiver, RecvBandwidth, RecvColorFormat, VideoFrameSync
    except Exception as exc:  # the wheel is missing, or its bundled runtime will not load
        print(json.dumps({"skip": f"cyndilib/NDI runtime unavailable: {exc}"}))
        return 3
    from renderer.sinks.ndi import NdiSink

    frame = sample_frame()
    sink = NdiSink(NAME, SIZE, 30.0)
    finder = Finder()
    finder.open()
    source = None
    deadline = time.monotonic() + 10.0
    while source is None and time.monotonic() < deadline:
        finder.wait_for_sources(0.5)
        names = [n for n in finder.get_source_names() if f"({NAME})" in n]
        if names:
            source = finder.get_source(names[0])
    result: dict[str, object] = {"ndi": str(cyndilib.get_ndi_version()), "found": bool(source)}
    received = None
    if source is not None:
        receiver = Receiver(color_format=RecvColorFormat.RGBX_RGBA, bandwidth=RecvBandwidth.highest)
        video = VideoFrameSync()
        receiver.frame_sync.set_video_frame(video)
        receiver.set_source(source)
        deadline = time.monotonic() + 10.0
        while received is None and time.monotonic() < deadline:
            sink.write(frame)
            time.sleep(1 / 30)
            if not receiver.is_connected():
                continue
            receiver.frame_sync.capture_video()
            if video.get_resolution() == SIZE:
                data = np.asarray(video.get_array()).reshape(SIZE[1], SIZE[0], 4)
                if data[..., 3].max() > 0:
                    received = data.copy()
        result["connections"] = sink.connections()
        receiver.disconnect()
    sink.close()
    finder.close()
    result["frames_sent"] = sink.frames_written
    if received is not None:
        result["received"] = received.tolist()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
