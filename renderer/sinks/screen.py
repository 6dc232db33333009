"""Reading a window's back buffer for the sinks (the headless path reads the compositor's
own framebuffer instead, :meth:`renderer.compositor.Compositor.read_rgba`).

The default framebuffer cannot be read as a colour attachment through moderngl, so it is
blitted into an offscreen RGBA renderbuffer first (kept between frames, remade when the
size changes) and read from there, then flipped to top-down rows. Call it after drawing and
before the buffers are swapped: afterwards the back buffer's content is undefined.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ScreenReader:
    """Reads ``ctx.screen`` as top-down RGBA uint8 (H×W×4)."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self._size: tuple[int, int] | None = None
        self._buffer: Any = None
        self._fbo: Any = None

    def read(self, size: tuple[int, int]) -> np.ndarray:
        """The back buffer, ``size`` = the framebuffer's (width, height) in pixels."""
        if size != self._size:
            self.release()
            self._buffer = self.ctx.renderbuffer(size, 4)
            self._fbo = self.ctx.framebuffer(color_attachments=[self._buffer])
            self._size = size
        try:
            self.ctx.copy_framebuffer(self._fbo, self.ctx.screen)
            data = self._fbo.read(components=4, alignment=1)
        finally:
            self.ctx.screen.use()
        width, height = size
        return np.frombuffer(data, np.uint8).reshape(height, width, 4)[::-1]

    def release(self) -> None:
        for obj in (self._fbo, self._buffer):
            if obj is not None:
                obj.release()
        self._fbo = self._buffer = None
        self._size = None


def frame_with_sinks(window: Any, sinks: Any, reader: ScreenReader | None = None) -> Any:
    """Hand each frame the window draws to ``sinks`` (a
    :class:`~renderer.sinks.fanout.SinkSet`) and return the window's own ``frame`` to draw
    with: the back buffer is read once the picture is in it and before the HUD is drawn
    over it (:meth:`renderer.window.Window.add_frame_tap`), so the sinks get the show
    alone, as the headless show sends the compositor's own picture.
    """
    reader = reader or ScreenReader(window.ctx)

    def tap(size: tuple[int, int]) -> None:
        if size[0] > 0 and size[1] > 0:
            sinks.write(reader.read(size))

    window.add_frame_tap(tap)
    return window.frame
