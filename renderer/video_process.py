"""A :class:`renderer.video.VideoWriter` in a child process, for recording a live show.

Encoding a 1280×720 frame (colour conversion and H.264) holds Python's interpreter lock for
several milliseconds in PyAV. In the live bridge that lock is shared by the render loop,
the network threads and the analysis, so with 16 tracks the recording itself took a fifth
of the wall clock and the show drew 7–15 frames a second instead of 30
(``bench/recording.py``, py-spy ``--gil``). Here frames cross a pipe as raw bytes (a small
header, then the pixels; never pickled) to a child that owns the file, and the show only
copies each frame into a bounded queue; a sender thread writes it to the pipe, which does
not hold the lock while it blocks.

A frame that cannot be queued because the child has fallen behind is not lost from the
video's timeline: it is counted in :attr:`BackgroundVideoWriter.dropped` and the previous
frame is held for its time instead (the next frame carries the extra copies), so the
video's length still equals the time recorded.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import struct
import threading
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from renderer.video import AudioTrack, VideoError, VideoWriter, check_frame

log = logging.getLogger(__name__)

#: copies of the frame (≥ 1), then height, width, channels (little-endian); the frame's
#: pixels follow as a message of their own (so they are never copied to join the two).
FRAME_HEADER = struct.Struct("<IIII")
CLOSE = b"CLOSE"
READY = b"READY"
FAILED = b"ERROR"
#: Frames waiting for the child at most (about 0.13 s at 30 fps).
QUEUE_FRAMES = 4
START_TIMEOUT = 60.0
CLOSE_TIMEOUT = 120.0


def _serve(
    conn: Connection,
    path: str,
    size: tuple[int, int],
    fps: float,
    preset: str,
    crf: int,
    audio: AudioTrack | None,
) -> None:
    """The child: open the writer, then write every frame received until CLOSE or EOF."""
    try:
        writer = VideoWriter(path, size, fps, preset=preset, crf=crf, audio=audio)
    except Exception as exc:  # said to the parent, which raises it as a VideoError
        conn.send_bytes(FAILED + f"{type(exc).__name__}: {exc}".encode())
        return
    conn.send_bytes(READY)
    try:
        while True:
            try:
                message = conn.recv_bytes()
            except (EOFError, OSError):
                break
            if message == CLOSE:
                break
            copies, height, width, channels = FRAME_HEADER.unpack_from(message)
            pixels = np.frombuffer(conn.recv_bytes(), np.uint8)  # the pixels follow
            frame = pixels.reshape(height, width, channels)
            for _ in range(copies):
                writer.write(frame)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            conn.send_bytes(str(writer.frames_written).encode())


class BackgroundVideoWriter:
    """Like :class:`renderer.video.VideoWriter` (same arguments), encoding in a child process.

    :meth:`write` takes a top-down RGB or RGBA uint8 frame of ``size`` and how many frame
    periods it stands for; it never waits for the encoder (see the module docstring). The
    frame is sent as it is, later: do not change it after handing it over.

    Raises:
        VideoError: the output cannot be made as asked (from the child, with its reason).
    """

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        *,
        preset: str = "veryfast",
        crf: int = 20,
        audio: AudioTrack | None = None,
    ) -> None:
        self.path = Path(path)
        self.size = size
        self.fps = fps
        #: Frame periods written so far (frames handed over, with their copies).
        self.frames_written = 0
        #: Frames the child could not take in time (their periods hold the previous frame).
        self.dropped = 0
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child, str(self.path), size, fps, preset, crf, audio),
            name="video-writer",
            daemon=True,
        )
        self._process.start()
        child.close()
        if not self._conn.poll(START_TIMEOUT):
            self._process.kill()
            raise VideoError(f"the video writer for {self.path} did not start")
        hello = self._conn.recv_bytes()
        if hello != READY:
            self._process.join(timeout=5.0)
            raise VideoError(hello[len(FAILED) :].decode(errors="replace"))
        self._frames: queue.Queue[tuple[bytes, np.ndarray] | None] = queue.Queue(
            maxsize=QUEUE_FRAMES
        )
        self._held = 0  # periods of dropped frames, added to the next frame that fits
        self._last: np.ndarray | None = None  # to hold at the end if the last ones dropped
        self._sender = threading.Thread(target=self._send, name="video-sender", daemon=True)
        self._sender.start()
        self._closed = False

    def _send(self) -> None:
        while (message := self._frames.get()) is not None:
            header, frame = message
            try:
                self._conn.send_bytes(header)
                self._conn.send_bytes(memoryview(frame).cast("B"))  # no copy, lock released
            except (OSError, ValueError):  # the child is gone; close() reports it
                return

    def write(self, frame: np.ndarray, copies: int = 1) -> None:
        """Queue ``frame`` for ``copies`` frame periods (≥ 1)."""
        if copies < 1:
            raise ValueError(f"copies must be at least 1, got {copies}")
        frame = self._last = check_frame(frame, self.size)
        try:
            self._frames.put_nowait(self._message(frame, copies + self._held))
        except queue.Full:
            self.dropped += 1
            self._held += copies
        else:
            self._held = 0
        self.frames_written += copies

    @staticmethod
    def _message(frame: np.ndarray, copies: int) -> tuple[bytes, np.ndarray]:
        height, width, channels = frame.shape
        return FRAME_HEADER.pack(copies, height, width, channels), np.ascontiguousarray(frame)

    def close(self) -> None:
        """Write what is queued, finish the file and stop the child."""
        if self._closed:
            return
        if self._held and self._last is not None:  # the last periods dropped: hold the frame
            copies, self._held = self._held, 0
            self._frames.put(self._message(self._last, copies))
        self._closed = True
        self._frames.put(None)
        self._sender.join(timeout=CLOSE_TIMEOUT)
        try:
            self._conn.send_bytes(CLOSE)
            if self._conn.poll(CLOSE_TIMEOUT):
                written = int(self._conn.recv_bytes())
                self.frames_written = written
        except (OSError, EOFError, ValueError):
            log.warning("the video writer for %s ended early", self.path)
        self._process.join(timeout=CLOSE_TIMEOUT)
        if self._process.is_alive():
            self._process.kill()
        self._conn.close()
