"""Live frame sinks: where the show's picture goes besides the window and the video file.

Each sink is one module behind :class:`renderer.video.FrameSink` (``size``, ``fps``,
``frames_written``, ``write(frame)``, ``close()``) and takes the compositor's read-back:
top-down, premultiplied RGBA uint8 (H×W×4), or RGB. :mod:`renderer.sinks.fanout` hands one
frame to every sink and keeps a failing one from stopping the show. Optional libraries
(cyndilib, pyvirtualcam) load only when their sink is opened.
"""

from __future__ import annotations


class SinkError(RuntimeError):
    """A sink cannot be opened (library or device missing); the message says what to do."""
