"""Pixel conversions the sinks need from the compositor's premultiplied RGBA read-back."""

from __future__ import annotations

import numpy as np

#: 255 / alpha for every alpha (0 → 0: a fully transparent pixel stays black).
_UNPREMULTIPLY = np.concatenate([[0.0], 255.0 / np.arange(1, 256)]).astype(np.float32)


#: Above this share of partly transparent pixels the whole frame is converted at once
#: (gathering and scattering scattered pixels costs more per pixel than a dense pass).
SPARSE_LIMIT = 0.15


def straight_alpha(rgba: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA uint8 (H×W×4) to straight alpha, as NDI and PNG expect.

    An opaque frame (every alpha 255, the compositor's usual output) is returned as is,
    without a copy. Otherwise colours are divided by their alpha (rounded, clipped to 255):
    only the partly transparent pixels (alpha 1 … 254) when they are few (opaque ones are
    already straight; fully transparent ones are invisible whatever their colour and are
    left as they are), the whole frame in one pass when they are many.
    """
    alpha = rgba[..., 3]
    if alpha.min() == 255:
        return rgba
    partial = (alpha - np.uint8(1)) < 254  # 1 … 254; 0 wraps round to 255
    count = int(np.count_nonzero(partial))
    if count > SPARSE_LIMIT * partial.size:  # most pixels: one dense pass is cheaper
        rgb = rgba[..., :3] * _UNPREMULTIPLY[alpha][..., None] + np.float32(0.5)
        out = np.empty_like(rgba)
        np.minimum(rgb, 255.0, out=rgb)
        out[..., :3] = rgb
        out[..., 3] = alpha
        return out
    out = rgba.copy()
    if count:
        pixels = rgba[partial]  # (n, 4): only these need the division
        rgb = pixels[:, :3] * _UNPREMULTIPLY[pixels[:, 3]][:, None] + np.float32(0.5)
        np.minimum(rgb, 255.0, out=rgb)
        out[partial, :3] = rgb  # float → uint8 truncates; the 0.5 above rounds
    return out


def with_alpha(frame: np.ndarray) -> np.ndarray:
    """RGB (H×W×3) to opaque RGBA; RGBA is returned as is."""
    if frame.shape[2] == 4:
        return frame
    out = np.empty((*frame.shape[:2], 4), np.uint8)
    out[..., :3] = frame
    out[..., 3] = 255
    return out


def over_black(frame: np.ndarray) -> np.ndarray:
    """The picture over black as C-contiguous RGB (H×W×3): for premultiplied RGBA that is
    just its colour channels."""
    return np.ascontiguousarray(frame[..., :3])
