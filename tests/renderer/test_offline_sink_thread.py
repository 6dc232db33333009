"""Frames written on the sink's own thread: every frame, in order, errors handed back."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from renderer.offline import SinkThread


class RecordingSink:
    """A frame sink that keeps what it gets and the thread that wrote it."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.size = (4, 2)
        self.fps = 10.0
        self.frames_written = 0
        self.frames: list[np.ndarray] = []
        self.threads: set[str] = set()
        self.closed = False
        self.fail_at = fail_at

    def write(self, frame: np.ndarray) -> None:
        if self.frames_written == self.fail_at:
            raise OSError("disk full")
        self.frames.append(frame)
        self.threads.add(threading.current_thread().name)
        self.frames_written += 1

    def close(self) -> None:
        self.closed = True


def frames(n: int) -> list[np.ndarray]:
    return [np.full((2, 4, 4), i, np.uint8) for i in range(n)]


@pytest.mark.parametrize("depth", [1, 3])
def test_every_frame_arrives_in_order_on_the_sinks_thread(depth: int) -> None:
    sink = RecordingSink()
    out = SinkThread(sink, depth)
    for frame in frames(50):
        out.write(frame)
    out.close()
    assert [int(f[0, 0, 0]) for f in sink.frames] == list(range(50))
    assert sink.closed and sink.threads == {"frame-sink"}


def test_a_sink_error_is_raised_on_the_callers_thread_and_the_sink_is_closed() -> None:
    sink = RecordingSink(fail_at=3)
    out = SinkThread(sink, 2)
    with pytest.raises(OSError, match="disk full"):
        for frame in frames(100):  # the queue holds 2: the error is seen long before the end
            out.write(frame)
    out.close()  # the error was handed over once; closing still closes the sink
    assert sink.closed and sink.frames_written == 3


def test_an_error_at_the_last_frame_is_raised_by_close() -> None:
    sink = RecordingSink(fail_at=4)
    out = SinkThread(sink, 8)
    for frame in frames(5):
        out.write(frame)
    with pytest.raises(OSError, match="disk full"):
        out.close()
    assert sink.closed


def test_depth_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="depth"):
        SinkThread(RecordingSink(), 0)


class CopyingSink(RecordingSink):
    """A sink that is done with each frame when ``write`` returns (it keeps a copy)."""

    copies_frames = True

    def write(self, frame: np.ndarray) -> None:
        super().write(frame.copy())


def test_buffers_are_reused_once_the_sink_has_written_them() -> None:
    sink = CopyingSink()
    out = SinkThread(sink, 2)
    seen = set()
    for i in range(40):
        frame = out.buffer((2, 4, 4))
        seen.add(id(frame))
        frame[:] = i
        out.write(frame)
    out.close()
    assert [int(f[0, 0, 0]) for f in sink.frames] == list(range(40))  # none overwritten
    assert len(seen) <= 2 + 2  # the frames that can wait, the one written, the one filled


def test_a_buffer_of_another_shape_is_made_anew() -> None:
    out = SinkThread(CopyingSink(), 1)
    small = out.buffer((2, 4, 4))
    out.write(small)
    large = out.buffer((4, 8, 4))
    assert large.shape == (4, 8, 4) and large.dtype == np.uint8
    out.write(large)
    out.close()


def test_buffers_are_refused_for_a_sink_that_may_keep_its_frames() -> None:
    out = SinkThread(RecordingSink(), 2)
    with pytest.raises(ValueError, match="keep"):
        out.buffer((2, 4, 4))
    out.close()
