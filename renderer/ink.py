"""Ink fields on the CPU: checking pushed images and keeping each slot's (previous, latest) pair.

An ink field is a single-channel uint8 image, 0 = empty paper, 255 = full ink, row 0 at the
top (numpy's natural order). On arrival it is upsampled ×2 with a cubic B-spline, here on
the CPU once per generated frame, so the GPU only needs one bilinear fetch per pixel and
layer and still sees smooth, kink-free stroke contours after thresholding (on a software
rasteriser every texture fetch counts; see docs/renderer.md).

Each slot keeps two fields interleaved as the two channels of one RG8 texture layer, so the
shader gets both frames of a crossfade from one fetch. When a new frame arrives mid-fade,
what is *currently shown* becomes the new "previous", so frames that arrive faster than the
fade never make the picture jump.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: How many stored texels each side of an ink texel becomes.
UPSAMPLE = 2


def bspline_weights(f: np.ndarray) -> np.ndarray:
    """Uniform cubic B-spline weights of the 4 taps around fractional positions ``f`` (0..1)."""
    f2, f3 = f * f, f * f * f
    return np.stack(
        [
            (1.0 - 3.0 * f + 3.0 * f2 - f3) / 6.0,
            (4.0 - 6.0 * f2 + 3.0 * f3) / 6.0,
            (1.0 + 3.0 * f + 3.0 * f2 - 3.0 * f3) / 6.0,
            f3 / 6.0,
        ],
        axis=-1,
    )


@lru_cache(maxsize=16)
def upsample_taps(n: int, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights, each (factor·n, 4), resampling n texels to factor·n.

    Output texel j is centred at input position (j + 0.5) / factor − 0.5 (in input texel
    indices) and mixes the 4 nearest inputs with cubic B-spline weights; taps beyond the
    edge repeat the edge texel, like GL's clamp-to-edge.
    """
    x = (np.arange(n * factor) + 0.5) / factor - 0.5
    base = np.floor(x)
    weights = bspline_weights(x - base).astype(np.float32)
    indices = np.clip(base.astype(int)[:, None] + np.arange(-1, 3), 0, n - 1)
    return indices, weights


@lru_cache(maxsize=16)
def _phase_plan(n: int, factor: int) -> tuple[tuple[int, tuple[np.float32, ...]], ...] | None:
    """For each output phase ``p`` (outputs ``p, p + factor, …``): where its 4 taps start
    in the input padded by 2 edge texels each side, and its weights; None if some phase's
    taps or weights are not the same for every output of that phase.

    Output ``factor·i + p`` then reads padded inputs ``start + i … start + i + 3``: the
    same texels and weights as :func:`upsample_taps`, so slices replace the gathers.
    """
    indices, weights = upsample_taps(n, factor)
    padded = np.clip(np.arange(-2, n + 2), 0, n - 1)
    plan = []
    for phase in range(factor):
        phase_weights = weights[phase::factor]
        if not np.array_equal(
            phase_weights, np.broadcast_to(phase_weights[0], phase_weights.shape)
        ):
            return None
        start = int(np.floor((phase + 0.5) / factor - 0.5)) + 1  # padded index of tap 0, i = 0
        taps = padded[start + np.arange(n)[:, None] + np.arange(4)]
        if not np.array_equal(taps, indices[phase::factor]):
            return None
        plan.append((start, tuple(phase_weights[0])))
    return tuple(plan)


def _resample_axis0(values: np.ndarray, factor: int, out: np.ndarray | None = None) -> np.ndarray:
    """``values`` (float32, n × …) resampled along axis 0 to ``factor``·n rows, into ``out``
    (a float32 array or view of that shape) when given.

    Each output is ``Σ_tap value[tap] · weight[tap]`` in float32, taps summed in order, so
    the result is the same to the bit whichever way the taps are fetched: by slices of the
    edge-padded input when every output of a phase has the same weights, else by gathers.
    """
    n = values.shape[0]
    if out is None:
        out = np.empty((n * factor, *values.shape[1:]), np.float32)
    plan = _phase_plan(n, factor)
    if plan is None:
        indices, weights = upsample_taps(n, factor)
        np.multiply(values[indices[:, 0]], weights[:, 0, None], out=out)
        for tap in range(1, 4):
            out += values[indices[:, tap]] * weights[:, tap, None]
        return out
    edge = (values[:1],) * 2, (values[-1:],) * 2
    padded = np.concatenate([*edge[0], values, *edge[1]])
    for phase, (start, weights) in enumerate(plan):
        target = out[phase::factor]
        np.multiply(padded[start : start + n], weights[0], out=target)
        for tap in range(1, 4):
            target += padded[start + tap : start + tap + n] * weights[tap]
    return out


def upsample_bspline(image: np.ndarray, factor: int = UPSAMPLE) -> np.ndarray:
    """Resample a uint8 field to ``factor`` times its size with a cubic B-spline, as uint8.

    Separable 4-tap sums with plain numpy slicing: no BLAS call, whose thread pool would
    fight the rasteriser's threads for the CPU (a 64² matmul took 20+ ms that way).
    """
    rows = _resample_axis0(image.astype(np.float32), factor)
    both = np.empty((rows.shape[0], rows.shape[1] * factor), np.float32)
    _resample_axis0(rows.T, factor, out=both.T)
    np.rint(both, out=both)
    np.clip(both, 0, 255, out=both)
    return both.astype(np.uint8)


class InkImageError(ValueError):
    """A pushed ink image has the wrong type, dtype or size."""


def as_ink_image(image: object, field_size: int) -> np.ndarray:
    """Return ``image`` as a 2-D uint8 array no larger than field_size², or raise saying why.

    A trailing channel axis of length 1 (H×W×1) is accepted and dropped.
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2:
        raise InkImageError(
            f"an ink image must be 2-D (height × width, one channel), got shape {array.shape}"
        )
    if array.dtype != np.uint8:
        raise InkImageError(
            f"an ink image must be uint8 (0 paper .. 255 ink), got {array.dtype}; convert "
            f"floats with (np.clip(x, 0, 1) * 255).round().astype(np.uint8)"
        )
    rows, cols = array.shape
    if not (1 <= rows <= field_size and 1 <= cols <= field_size):
        raise InkImageError(
            f"an ink image must be between 1×1 and {field_size}×{field_size}, got {rows}×{cols}; "
            f"downscale it or create the Compositor with a larger field_size"
        )
    return array


class InkFieldStore:
    """CPU copies of every slot's upsampled field pair, and which slots changed since upload.

    ``texture_size`` (field_size × UPSAMPLE) is the side of each stored layer; an image
    smaller than field_size occupies the top-left corner, the rest stays paper.
    """

    def __init__(self, slots: int, field_size: int) -> None:
        self.field_size = field_size
        self.texture_size = field_size * UPSAMPLE
        self.pairs = np.zeros((slots, self.texture_size, self.texture_size, 2), np.uint8)
        self.shapes: list[tuple[int, int] | None] = [None] * slots
        self._dirty: set[int] = set()

    def extent(self, slot: int) -> tuple[float, float] | None:
        """The fraction (s, t) of the texture layer the slot's image covers, or None."""
        shape = self.shapes[slot]
        if shape is None:
            return None
        rows, cols = shape
        return (cols * UPSAMPLE / self.texture_size, rows * UPSAMPLE / self.texture_size)

    def put(self, slot: int, image: np.ndarray, shown_mix: float) -> None:
        """Make ``image`` the slot's latest field; what is shown now becomes the previous one.

        Args:
            slot: the slot index.
            image: a checked ink image (see :func:`as_ink_image`).
            shown_mix: the slot's crossfade progress right now (0 previous .. 1 latest).
        """
        shape = image.shape
        stored = upsample_bspline(image)
        rows, cols = stored.shape
        pair = self.pairs[slot]
        if self.shapes[slot] == shape:
            # outside the image's corner both fields are paper (0) and stay so: only the
            # corner is blended
            corner = pair[:rows, :cols]
            if shown_mix >= 1.0:
                corner[:, :, 0] = corner[:, :, 1]
            else:
                blend = corner[:, :, 0] * (1.0 - shown_mix) + corner[:, :, 1] * shown_mix
                corner[:, :, 0] = np.rint(blend)
            corner[:, :, 1] = stored
        else:  # first frame, or a new size: nothing comparable to fade from
            pair[:] = 0
            pair[:rows, :cols, 0] = stored
            pair[:rows, :cols, 1] = stored
        self.shapes[slot] = shape
        self._dirty.add(slot)

    def clear(self, slot: int) -> None:
        """Forget a slot's fields (its layer was removed)."""
        self.pairs[slot] = 0
        self.shapes[slot] = None
        self._dirty.add(slot)

    def take_dirty(self) -> list[int]:
        """Slots changed since the last call, sorted; the caller uploads them."""
        dirty = sorted(self._dirty)
        self._dirty.clear()
        return dirty
