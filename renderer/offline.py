"""Rendering to a file on injected time: frame i is at t = start + i / fps, never the clock.

The caller's ``update(i, t)`` pushes whatever images belong to that instant and returns the
frame's audio features and beat phase, so an offline render of the same inputs is the same
video every time, however fast or slow the machine is. A tqdm bar shows progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from renderer.compositor import Compositor
from renderer.settings import LayerFeatures
from renderer.video import FrameSink

FrameInputs = tuple[Mapping[Hashable, LayerFeatures] | None, float | None]
FrameUpdate = Callable[[int, float], FrameInputs | None]


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
) -> RenderSummary:
    """Render ``n_frames`` at ``sink.fps`` into ``sink`` (closing it at the end).

    Args:
        compositor: draws into its own framebuffer (a HeadlessRenderer's compositor).
        sink: a :class:`renderer.video.VideoWriter` or PNG writer of the same size.
        n_frames: how many frames.
        update: called as ``update(index, t)`` before each frame.
        start: time of the first frame, seconds.
        progress: show a progress bar on stderr.
    """
    from tqdm import tqdm

    if tuple(sink.size) != tuple(compositor.size):
        raise ValueError(f"sink is {sink.size} but the compositor renders {compositor.size}")
    began = time.perf_counter()
    times = frame_times(n_frames, sink.fps, start)
    try:
        for index, t in enumerate(
            tqdm(times, desc=description, unit="frame", disable=not progress)
        ):
            inputs = update(index, t) if update is not None else None
            features, beat_phase = inputs if inputs is not None else (None, None)
            compositor.render(t, features, beat_phase)
            sink.write(compositor.read_rgba())
    finally:
        sink.close()
    return RenderSummary(n_frames, n_frames / sink.fps, time.perf_counter() - began)
