"""Live frame sinks: pixel conversions, the fan-out, the virtual camera (its skip path and a
fake pyvirtualcam device), and NDI received back on this machine through the real runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from renderer.sinks import SinkError
from renderer.sinks.convert import over_black, straight_alpha, with_alpha
from renderer.sinks.fanout import MAX_CONSECUTIVE_ERRORS, SinkSet
from renderer.video import VideoError, unpremultiply
from tests.renderer import fake_camera

REPO = Path(__file__).resolve().parents[2]


def premultiplied(seed: int = 0, size: tuple[int, int] = (24, 16)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    width, height = size
    alpha = rng.integers(0, 256, (height, width, 1))
    rgb = (rng.integers(0, 256, (height, width, 3)) * alpha) // 255  # colour ≤ alpha
    return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)


# -- conversions -----------------------------------------------------------------------------
def test_straight_alpha_matches_the_png_writers_conversion():
    frame = premultiplied()
    ours = straight_alpha(frame).astype(int)
    reference = unpremultiply(frame).astype(int)
    assert np.array_equal(ours[..., 3], frame[..., 3])
    assert np.abs(ours - reference).max() <= 1  # float rounding only


def test_few_translucent_pixels_take_the_sparse_path_with_the_same_result():
    frame = premultiplied(3)
    opaque = np.zeros(frame.shape[:2], bool)
    opaque[2:, :] = True  # all but two rows opaque: under SPARSE_LIMIT
    frame[opaque, 3] = 255
    ours = straight_alpha(frame).astype(int)
    reference = unpremultiply(frame).astype(int)
    visible = frame[..., 3] > 0  # fully transparent pixels keep their (invisible) colour
    assert np.abs(ours - reference)[visible].max() <= 1
    assert np.array_equal(ours[opaque], frame[opaque])


def test_an_opaque_frame_is_passed_through_without_a_copy():
    frame = premultiplied()
    frame[..., 3] = 255
    assert straight_alpha(frame) is frame


def test_rgb_gains_an_opaque_alpha_and_rgba_goes_over_black():
    rgb = premultiplied()[..., :3].copy()
    assert np.all(with_alpha(rgb)[..., 3] == 255)
    assert np.array_equal(with_alpha(rgb)[..., :3], rgb)
    rgba = premultiplied()
    black = over_black(rgba)
    assert black.flags.c_contiguous and np.array_equal(black, rgba[..., :3])


# -- the fan-out -----------------------------------------------------------------------------
class RecordingSink:
    """A FrameSink keeping what it gets (or failing on demand)."""

    def __init__(self, size, fps, *, fail: bool = False) -> None:
        self.size, self.fps, self.fail = size, fps, fail
        self.frames_written = 0
        self.closed = False
        self.frames: list[np.ndarray] = []

    def write(self, frame):
        if self.fail:
            raise OSError("receiver gone")
        self.frames.append(frame)
        self.frames_written += 1

    def close(self):
        self.closed = True


def test_fanout_reopens_at_a_new_size_and_leaves_a_failing_sink_out():
    made: list[RecordingSink] = []

    def good(size, fps):
        made.append(RecordingSink(size, fps))
        return made[-1]

    broken = RecordingSink((4, 2), 30.0, fail=True)
    sinks = SinkSet(30.0)
    sinks.add("good", good)
    sinks.add("broken", lambda size, fps: broken)
    assert sinks
    sinks.write(np.zeros((2, 4, 4), np.uint8))
    sinks.write(np.zeros((6, 8, 4), np.uint8))  # the window was resized
    assert [s.size for s in made] == [(4, 2), (8, 6)] and made[0].closed
    for _ in range(MAX_CONSECUTIVE_ERRORS):
        sinks.write(np.zeros((2, 4, 4), np.uint8))
    status = sinks.status()
    assert status["broken"]["failed"] and status["broken"]["errors"] == MAX_CONSECUTIVE_ERRORS
    assert not status["good"]["failed"] and made[-1].frames_written == MAX_CONSECUTIVE_ERRORS
    sinks.close()
    assert made[-1].closed


# -- virtual camera --------------------------------------------------------------------------
def test_virtual_camera_without_a_loopback_device_says_how_to_get_one():
    pytest.importorskip("pyvirtualcam", reason="pyvirtualcam (the 'vcam' extra) not installed")
    from renderer.sinks.virtual_camera import VirtualCameraSink

    if any(Path("/sys/devices/virtual/video4linux").glob("video*")):
        pytest.skip("this machine has a v4l2loopback device: the skip path cannot be seen")
    with pytest.raises(SinkError, match="modprobe v4l2loopback"):
        VirtualCameraSink((64, 36), 30.0)


def test_virtual_camera_sends_the_picture_over_black_to_the_device():
    pytest.importorskip("pyvirtualcam", reason="the 'vcam' extra is missing")
    from renderer.sinks.virtual_camera import VirtualCameraSink

    with fake_camera.registered() as sent:
        sink = VirtualCameraSink((24, 16), 30.0, backend=fake_camera.FAKE_BACKEND)
        frame = premultiplied(1)
        sink.write(frame)
        sink.write(premultiplied(2))
        sink.close()
        assert sink.device == "/dev/video-fake" and sink.frames_written == 2
        assert np.array_equal(sent[0], frame[..., :3])
        with pytest.raises(VideoError):
            VirtualCameraSink((24, 16), 30.0, backend=fake_camera.FAKE_BACKEND).write(frame[:8])


# -- NDI -------------------------------------------------------------------------------------
def test_ndi_refuses_an_odd_width():
    pytest.importorskip("cyndilib", reason="cyndilib (the 'ndi' extra) is not installed")
    from renderer.sinks.ndi import NdiSink

    with pytest.raises(SinkError, match="even width"):
        NdiSink("x", (63, 36), 30.0)


def test_ndi_takes_a_read_only_opaque_read_back():
    """The compositor's read-back is a read-only buffer, passed through as is when opaque."""
    pytest.importorskip("cyndilib", reason="cyndilib (the 'ndi' extra) is not installed")
    from renderer.sinks.ndi import NdiSink

    frame = np.full((36, 64, 4), 255, np.uint8)
    frame.setflags(write=False)
    sink = NdiSink("synaesthete-read-only", (64, 36), 30.0)
    try:
        sink.write(frame)
        sink.write(frame[::-1])  # a window's flipped read-back: not contiguous
    finally:
        sink.close()
    assert sink.frames_written == 2


@pytest.mark.slow
def test_ndi_frames_come_back_with_their_alpha(tmp_path):
    """The real NDI runtime, sender and receiver on this machine (discovery via 127.0.0.1)."""
    pytest.importorskip("cyndilib", reason="cyndilib (the 'ndi' extra) is not installed")
    from tests.renderer.ndi_loopback import SIZE, sample_frame

    (tmp_path / "ndi-config.v1.json").write_text(
        json.dumps({"ndi": {"networks": {"ips": "127.0.0.1", "discovery": ""}}})
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tests.renderer.ndi_loopback"],
        cwd=REPO,
        env={**os.environ, "NDI_CONFIG_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    if proc.returncode == 3:
        pytest.skip(result.get("skip", proc.stderr[-300:]))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert result["found"], result
    assert "received" in result, result
    got = np.asarray(result["received"], np.int32)
    assert got.shape == (SIZE[1], SIZE[0], 4)
    sent = straight_alpha(sample_frame()).astype(np.int32)
    half = SIZE[0] // 2
    assert np.all(got[:, :half, 3] == 255)
    assert np.all(np.abs(got[:, half:, 3] - 128) <= 2)  # alpha survives, straight
    # NDI compresses (SpeedHQ, 4:2:2): colours come back close, not exact.
    assert np.abs(got[..., :3] - sent[..., :3]).mean() < 6.0


# -- the window ------------------------------------------------------------------------------
@pytest.mark.window
@pytest.mark.skipif(
    not os.environ.get("DISPLAY"),
    reason="no X display: run under .ci/with-display.sh (Xvfb) to test the window's sinks",
)
def test_a_window_hands_each_frame_to_the_sinks_before_showing_it():
    proc = subprocess.run(
        [sys.executable, "-m", "tests.renderer.sinks_window_check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["frames"] == 3 and result["shape"] == [64, 96, 4]
    assert result["hud_was_on_screen"], result
    assert result["rgb_matches_screen"], result  # the sink never saw the HUD
    assert result["colours"] == [[0, 255, 0, 255]]
    assert result["gl_error"] == "GL_NO_ERROR"
