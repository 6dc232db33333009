"""Where a layer lands in the frame: the affine map from frame coordinates to field texels.

The shader gets, per layer, a 2×3 matrix taking a frame point (u, v) in 0..1 (GL style: v up)
to the layer's field coordinates (s, t) in 0..1, with t measured from the *top* row of the
ink image — numpy's row 0 — so images appear upright without flipping them on upload.
Points outside 0..1 are off the layer. Working in frame-height units keeps a square field
square on any aspect ratio.
"""

from __future__ import annotations

import math

import numpy as np

from renderer.settings import FIT_MODES

#: Below this size (in frame heights) a layer covers less than a pixel anywhere: skip it.
MIN_EXTENT = 1e-6


def fitted_extent(fit: str, frame_aspect: float, field_aspect: float) -> tuple[float, float]:
    """Width and height of a scale-1 layer, in frame heights (the frame is aspect × 1).

    Args:
        fit: "contain" shows the whole field, "cover" fills the frame (cropping the field),
            "stretch" fills the frame ignoring the field's aspect.
        frame_aspect: frame width / height.
        field_aspect: ink image width / height.
    """
    if fit not in FIT_MODES:
        raise ValueError(f"fit must be one of {FIT_MODES}, got {fit!r}")
    if frame_aspect <= 0 or field_aspect <= 0:
        raise ValueError(f"aspects must be positive, got {frame_aspect} and {field_aspect}")
    if fit == "stretch":
        return frame_aspect, 1.0
    ratio = frame_aspect / field_aspect
    height = min(1.0, ratio) if fit == "contain" else max(1.0, ratio)
    return height * field_aspect, height


def layer_matrix(
    *,
    position: tuple[float, float],
    scale: float,
    rotation_deg: float,
    fit: str,
    frame_aspect: float,
    field_aspect: float,
) -> np.ndarray | None:
    """The 2×3 matrix M with (s, t) = M @ (u, v, 1); None when the layer is too small to see.

    ``position`` is the layer centre with -1..1 spanning the frame (y up); ``rotation_deg``
    turns the layer counter-clockwise about its centre.
    """
    width, height = fitted_extent(fit, frame_aspect, field_aspect)
    width, height = width * scale, height * scale
    if width < MIN_EXTENT or height < MIN_EXTENT:
        return None
    # frame (u, v) -> centred frame-height units q = D·uv + q0, relative to the layer centre
    to_units = np.array([[frame_aspect, 0.0], [0.0, 1.0]])
    centre = np.array([position[0] * frame_aspect / 2.0, position[1] / 2.0])
    offset = np.array([-frame_aspect / 2.0, -0.5]) - centre
    theta = math.radians(rotation_deg)
    unrotate = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])
    # layer units -> field (s, t): s grows right, t grows down from the image's top row
    to_field = np.array([[1.0 / width, 0.0], [0.0, -1.0 / height]])
    linear = to_field @ unrotate @ to_units
    translation = to_field @ unrotate @ offset + 0.5
    return np.column_stack([linear, translation])


def pixels_per_texel(
    *, scale: float, fit: str, frame_aspect: float, field_shape: tuple[int, int], frame_height: int
) -> float:
    """How many frame pixels one field texel spans (the smaller of the two axes)."""
    rows, cols = field_shape
    width, height = fitted_extent(fit, frame_aspect, cols / rows)
    px_x = width * scale * frame_height / cols
    px_y = height * scale * frame_height / rows
    return min(px_x, px_y)


def edge_half_width(pixels_per_texel_: float, softness: float) -> float:
    """Half-width, in field-value units, of the smooth threshold that draws a stroke's edge.

    A cubic B-spline smooths a hard 0→1 step in the field to a slope of at most 2/3 per
    texel, i.e. (2/3)/pixels_per_texel per pixel; half of that makes the edge about one
    pixel wide — crisp but anti-aliased at any magnification. ``softness`` (0..1) widens it
    up to the whole 0..1 range, where the raw field gradient shows.
    """
    crisp = (1.0 / 3.0) / max(pixels_per_texel_, 1e-6)
    return float(min(0.5, max(crisp, 0.5 * softness, 1e-3)))


def internal_size(output_size: tuple[int, int], internal_height: int | None) -> tuple[int, int]:
    """The resolution layers are composited at: ``internal_height`` rows, output aspect.

    Compositing 16+ layers per pixel is the expensive part, so it runs at a small internal
    size and only the cheap upscale runs per output pixel. None, or a height at least the
    output's, composites at the output size itself.
    """
    width, height = output_size
    if internal_height is None or internal_height >= height:
        return width, height
    if internal_height < 1:
        raise ValueError(f"internal_height must be at least 1, got {internal_height}")
    return max(1, round(width * internal_height / height)), internal_height


def device_internal_height(requested: int | str | None, software: bool) -> int | str | None:
    """The internal height to use on this GL device.

    "auto" stays "auto" (reduced, following the images) only on a software rasteriser,
    where every pixel × layer costs CPU time; on a hardware GPU it becomes None (composite
    at the output size). A number or None is kept as asked.
    """
    if requested == "auto" and not software:
        return None
    return requested


def present_steepness(output_height: int, internal_height: int, sharpness: float) -> float:
    """How much the edge-sharpening upscale steepens a cell's bilinear ramp.

    One internal texel spans output_height / internal_height output pixels; steepening the
    ramp by that factor makes an edge about one output pixel wide. ``sharpness`` 0 gives 1
    (plain bilinear), 1 the full factor; never below 1.
    """
    ratio = max(output_height / max(internal_height, 1), 1.0)
    return float(1.0 + (ratio - 1.0) * sharpness)


def auto_internal_height(field_size: int) -> int:
    """Compositing rows that keep every texel of a field_size² ink field that fills the height.

    About 2.25 rows per field texel: the cubic upsampling and the smooth threshold then
    have room to draw round stroke ends, and the edge-sharpening upscale does the rest.
    Rounded up to a multiple of 8. 64² fields give 144 rows, 128² give 288.
    """
    return int(math.ceil(field_size * 2.25 / 8.0) * 8)
