"""The live recording's encoder in a child process (renderer/video_process.py)."""

from __future__ import annotations

import numpy as np
import pytest

from renderer import video_process
from renderer.video import VideoError
from renderer.video_process import BackgroundVideoWriter
from tests.renderer.test_video import colour_ramp, decode


def test_frames_and_their_copies_arrive_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(video_process, "QUEUE_FRAMES", 64)  # room for all: none dropped
    path = tmp_path / "live.mp4"
    writer = BackgroundVideoWriter(path, (64, 48), 25, crf=10)
    copies = [1, 2, 1, 3, 1, 1]
    for frame, n in zip(colour_ramp(len(copies)), copies, strict=True):
        writer.write(frame, n)
    assert writer.frames_written == sum(copies) and writer.dropped == 0
    writer.close()
    frames, _ = decode(path)
    assert len(frames) == sum(copies) == writer.frames_written
    expected = [i for i, n in enumerate(copies) for _ in range(n)]
    for frame, i in zip(frames, expected, strict=True):
        assert abs(int(np.median(frame[..., 0])) - (20 + 33 * i)) <= 4  # n = 6: step 33
        assert frame[:24, :, 2].mean() > 150  # not upside down


def test_a_frame_the_encoder_cannot_take_holds_the_previous_one(tmp_path, monkeypatch):
    monkeypatch.setattr(video_process, "QUEUE_FRAMES", 1)
    path = tmp_path / "held.mp4"
    writer = BackgroundVideoWriter(path, (64, 48), 25)
    frames = colour_ramp(40)
    for frame in frames:  # far faster than the child encodes: some must be dropped
        writer.write(frame)
    dropped = writer.dropped
    writer.close()
    decoded, _ = decode(path)
    assert dropped > 0
    assert len(decoded) == len(frames) == writer.frames_written  # the timeline is kept
    reds = [int(np.median(f[..., 0])) for f in decoded]
    assert reds == sorted(reds)  # held frames repeat an earlier one, never jump back
    assert len(set(reds)) < len(frames)


def test_a_bad_output_is_refused_with_the_childs_reason(tmp_path):
    with pytest.raises(VideoError, match="even"):
        BackgroundVideoWriter(tmp_path / "odd.mp4", (63, 48), 25)


def test_copies_must_be_positive(tmp_path):
    writer = BackgroundVideoWriter(tmp_path / "x.mp4", (64, 48), 25)
    try:
        with pytest.raises(ValueError, match="copies"):
            writer.write(colour_ramp(1)[0], 0)
    finally:
        writer.close()
