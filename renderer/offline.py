"""Rendering to a file on injected time: frame i is at t = start + i / fps, never the clock.

The caller's ``update(i, t)`` pushes whatever images belong to that instant and returns the
frame's audio features and beat phase, so an offline render of the same inputs is the same
video every time, however fast or slow the machine is. A tqdm bar shows progress.

Frames are handed to the sink on a thread of its own (:class:`SinkThread`): encoding (PyAV
releases the interpreter lock while it converts and encodes) overlaps the drawing of the
next frames, and the sink still gets every frame in order, so the file is the same.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np

from renderer.compositor import Compositor
from renderer.settings import LayerFeatures
from renderer.video import FrameSink

FrameInputs = tuple[Mapping[Hashable, LayerFeatures] | None, float | None]
FrameUpdate = Callable[[int, float], FrameInputs | None]

#: Frames that may wait for the sink's thread before drawing waits for it (each
#: 1280×720 RGBA frame is 3.7 MB).
WRITE_AHEAD = 3


class SinkThread:
    """Writes frames into ``sink`` on a thread of its own, in the order they are given.

    Args:
        sink: any :class:`~renderer.video.FrameSink`; only this object's thread calls its
            ``write`` (and :meth:`close` its ``close``).
        depth: frames that may wait; :meth:`write` blocks while that many do.

    An exception raised by the sink is raised again by the next :meth:`write` or by
    :meth:`close`.
    """

    def __init__(self, sink: FrameSink, depth: int = WRITE_AHEAD) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.sink = sink
        self.depth = depth
        self._frames: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=depth)
        #: Arrays from :meth:`buffer` the sink has finished with, ready to be filled again.
        self._free: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._pooled: dict[int, np.ndarray] = {}  # id → every array :meth:`buffer` made
        self._error: BaseException | None = None  # raised once on the caller's thread
        self._failed = False  # after an error the sink gets no more frames
        self._thread = threading.Thread(target=self._run, name="frame-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (frame := self._frames.get()) is not None:
            try:
                if not self._failed:  # else drain: the caller hears at its next write
                    self.sink.write(frame)
            except BaseException as exc:  # handed to the caller's thread
                self._error, self._failed = exc, True
            finally:
                if id(frame) in self._pooled:
                    self._free.put(frame)

    def buffer(self, shape: tuple[int, ...]) -> np.ndarray:
        """An uint8 array of ``shape`` to fill and hand to :meth:`write`: one the sink has
        finished with, or a new one while fewer than ``depth + 2`` exist (the frames that
        can wait, the one being written and the one being filled), so a render reuses a
        few arrays instead of allocating (and page-faulting) a new one every frame.

        Only for sinks that are done with a frame when their ``write`` returns
        (``sink.copies_frames``); raises ``ValueError`` for others.
        """
        if not getattr(self.sink, "copies_frames", False):
            raise ValueError(f"{type(self.sink).__name__} may keep its frames: write new arrays")
        while True:
            if len(self._pooled) < self.depth + 2:
                try:
                    frame = self._free.get_nowait()
                except queue.Empty:
                    frame = np.empty(shape, np.uint8)
                    self._pooled[id(frame)] = frame
            else:
                frame = self._free.get()
            if frame.shape == tuple(shape):
                return frame
            del self._pooled[id(frame)]  # another size: let it go

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def write(self, frame: np.ndarray) -> None:
        """Queue ``frame`` (H×W×3|4 uint8, not modified afterwards) for the sink."""
        self._raise()
        self._frames.put(frame)

    def close(self) -> None:
        """Write what is queued, close the sink, and raise the sink's error if it had one."""
        self._frames.put(None)
        self._thread.join()
        try:
            self._raise()
        finally:
            self.sink.close()


@dataclass(frozen=True)
class RenderSummary:
    """What an offline render did: frames, their span in seconds, and the wall time it took."""

    frames: int
    seconds: float
    wall_seconds: float

    @property
    def frames_per_second(self) -> float:
        """Rendering speed (not the video's frame rate)."""
        return self.frames / self.wall_seconds if self.wall_seconds > 0 else float("inf")


def frame_times(n_frames: int, fps: float, start: float = 0.0) -> list[float]:
    """The injected time of each frame."""
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return [start + i / fps for i in range(n_frames)]


def render_to_sink(
    compositor: Compositor,
    sink: FrameSink,
    *,
    n_frames: int,
    update: FrameUpdate | None = None,
    start: float = 0.0,
    progress: bool = True,
    description: str = "rendering",
    write_ahead: int = WRITE_AHEAD,
) -> RenderSummary:
    """Render ``n_frames`` at ``sink.fps`` into ``sink`` (closing it at the end).

    Args:
        compositor: draws into its own framebuffer (a HeadlessRenderer's compositor).
        sink: a :class:`renderer.video.VideoWriter` or PNG writer of the same size.
        n_frames: how many frames.
        update: called as ``update(index, t)`` before each frame.
        start: time of the first frame, seconds.
        progress: show a progress bar on stderr.
        description: the progress bar's label.
        write_ahead: frames that may wait for the sink's own thread (:class:`SinkThread`);
            0 writes each frame on this thread before the next is drawn.

    Raises:
        ValueError: the sink's size is not the compositor's; whatever the sink raises.
    """
    from tqdm import tqdm

    if tuple(sink.size) != tuple(compositor.size):
        raise ValueError(f"sink is {sink.size} but the compositor renders {compositor.size}")
    began = time.perf_counter()
    times = frame_times(n_frames, sink.fps, start)
    thread = SinkThread(sink, write_ahead) if write_ahead > 0 else None
    out: FrameSink | SinkThread = thread or sink
    # read back into a few reused arrays where the sink is done with a frame once written
    pool = thread if thread is not None and getattr(sink, "copies_frames", False) else None
    width, height = compositor.size
    try:
        for index, t in enumerate(
            tqdm(times, desc=description, unit="frame", disable=not progress)
        ):
            inputs = update(index, t) if update is not None else None
            features, beat_phase = inputs if inputs is not None else (None, None)
            compositor.render(t, features, beat_phase)
            if thread is not None:
                compositor.finish()  # wait with the GIL free: the encoder's thread runs
            buffer = pool.buffer((height, width, 4)) if pool is not None else None
            out.write(compositor.read_rgba(buffer))
    finally:
        out.close()
    return RenderSummary(n_frames, n_frames / sink.fps, time.perf_counter() - began)
