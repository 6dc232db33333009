"""An RGBA image composited over the finished frame: the form strip, and anything else that
belongs to the picture itself (unlike the HUD, it is in every sink: window, video, NDI).

The caller hands a premultiplied RGBA image (H×W×4 uint8, row 0 at the top) and where it
goes in output pixels (top-left origin); :meth:`ImageOverlay.draw` blends it source-over
into whatever framebuffer the frame was presented to. The texture is only rewritten when
the image changes (a form strip changes once per bar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from renderer import shaders

if TYPE_CHECKING:
    import moderngl

#: A box in output pixels: (x, y, width, height), y from the top.
Box = tuple[int, int, int, int]


class OverlayError(ValueError):
    """An overlay image or box that cannot be drawn."""


def check_overlay(image: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    """Validate an overlay: ``image`` H×W×4 uint8 (premultiplied), ``box`` four ints with a
    positive size. Returns them contiguous and as ints; raises :class:`OverlayError`."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8 or 0 in image.shape:
        raise OverlayError(f"an overlay is H×W×4 uint8, got {image.dtype} {image.shape}")
    try:
        x, y, w, h = (int(v) for v in box)
    except (TypeError, ValueError):
        raise OverlayError(f"an overlay box is (x, y, width, height), got {box!r}") from None
    if w <= 0 or h <= 0:
        raise OverlayError(f"an overlay box needs a positive size, got {box!r}")
    return np.ascontiguousarray(image), (x, y, w, h)


class ImageOverlay:
    """One image over the frame, drawn after the present pass (see the module docstring)."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self._program = ctx.program(
            vertex_shader=shaders.IMAGE_OVERLAY_VERTEX, fragment_shader=shaders.OVERLAY_FRAGMENT
        )
        self._program["u_text"].value = 0
        self._vao = ctx.vertex_array(self._program, [])
        self._texture: moderngl.Texture | None = None
        self._pending: np.ndarray | None = None
        self.box: Box | None = None

    def set(self, image: np.ndarray | None, box: Box | None = None) -> None:
        """Show ``image`` in ``box`` from the next frame on; ``None`` hides the overlay.
        Any thread may call this; the upload happens in :meth:`draw` (the GL thread)."""
        if image is None or box is None:
            self._pending, self.box = None, None
            return
        self._pending, self.box = check_overlay(image, box)

    def draw(self, size: tuple[int, int], flip: bool) -> None:
        """Blend the image into the bound framebuffer of ``size`` (width, height); ``flip``
        when its rows are written top-down (the compositor's own framebuffer)."""
        import moderngl

        pending, box = self._pending, self.box
        if box is None:
            return
        if pending is not None:
            height, width = pending.shape[:2]
            if self._texture is None or self._texture.size != (width, height):
                if self._texture is not None:
                    self._texture.release()
                self._texture = self.ctx.texture((width, height), 4)
                self._texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
            self._texture.write(pending.tobytes())
            self._pending = None
        if self._texture is None:
            return
        out_w, out_h = size
        x, y, w, h = box
        x0, x1 = -1.0 + 2.0 * x / out_w, -1.0 + 2.0 * (x + w) / out_w
        top, bottom = 1.0 - 2.0 * y / out_h, 1.0 - 2.0 * (y + h) / out_h
        if flip:  # row 0 of the frame is framebuffer row 0: mirror the box
            top, bottom = -top, -bottom
            self._program["u_rect"].value = (x0, top, x1, bottom)
        else:
            self._program["u_rect"].value = (x0, bottom, x1, top)
        self._program["u_flip"].value = flip
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA  # premultiplied over
        self._texture.use(0)
        self._vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
        self.ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        for obj in (self._texture, self._vao, self._program):
            if obj is not None:
                obj.release()
        self._texture = None
