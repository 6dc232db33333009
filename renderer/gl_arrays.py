"""Scissor arrays (GL 4.1 ``glScissorArrayv``), which moderngl does not wrap, through ctypes.

Stroke mode's present on a CPU rasteriser is drawn over a few dozen rectangles. As separate
scissored draws each rectangle cost ~17 µs on llvmpipe, mostly the scissor change (the same
draws without it cost ~4 µs): as much as shading a 40-pixel square. One draw whose geometry
shader sends the same full-screen triangle to up to :data:`MAX_RECTS` viewports, each with
its own scissor box, costs ~2 µs a rectangle, and every pixel is shaded from the very same
triangle as before, so the picture does not change by a bit.

The function is looked up like ``glFinish`` in :mod:`renderer.gl_wait` (the dispatching
library routes it to moderngl's current context). ``glScissor`` — what moderngl calls
whenever it sets a scissor — sets every viewport's box again, so nothing here needs undoing.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from renderer.gl_wait import _candidates
from renderer.shaders import STROKE_TILES_RECTS

log = logging.getLogger(__name__)

#: Rectangles per call: the viewports every GL 4.1 implementation has (llvmpipe has 16).
MAX_RECTS = STROKE_TILES_RECTS


@lru_cache(maxsize=1)
def _load_scissor_array() -> Callable[[int, int, ctypes.c_void_p], None] | None:
    for name in _candidates():
        try:
            function = ctypes.CDLL(name).glScissorArrayv
        except (OSError, AttributeError):
            continue
        function.restype = None
        function.argtypes = [ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
        return function
    log.info("no glScissorArrayv in the system GL library")
    return None


def scissor_array_available() -> bool:
    """Whether :func:`set_scissor_array` can be called (the GL library exports it; the
    context must also be GL 4.1 or later)."""
    return _load_scissor_array() is not None


def set_scissor_array(rects: Sequence[tuple[int, int, int, int]]) -> None:
    """Set the scissor boxes of viewports 0 … len(rects) − 1 of the current context to
    ``rects`` ((x, y, width, height) each, at most :data:`MAX_RECTS`)."""
    function = _load_scissor_array()
    if function is None:
        raise RuntimeError("glScissorArrayv is not available; check scissor_array_available()")
    if not 0 < len(rects) <= MAX_RECTS:
        raise ValueError(f"give 1..{MAX_RECTS} rectangles, got {len(rects)}")
    boxes = np.ascontiguousarray(rects, dtype=np.int32)
    function(0, len(rects), boxes.ctypes.data_as(ctypes.c_void_p))
