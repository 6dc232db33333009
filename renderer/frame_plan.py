"""Turning one frame's scene, layer state and audio features into the shader's per-layer data.

This is all the per-frame decision making, kept free of GL so it can be unit tested: which
layers draw and in what order, where (transform), in what colour and with which blend mode,
how far each crossfade has got. :func:`pack_layers` then lays the result out as the std140
uniform block the compositing shader reads, one 80-byte record per layer.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from renderer.modes import BLEND_MODES
from renderer.reactive import ink_color, react
from renderer.scene import SceneSnapshot
from renderer.settings import RGB, LayerFeatures
from renderer.transform import edge_half_width, layer_matrix, pixels_per_texel

#: std140 layout of ``struct Layer { vec4 row0; vec4 row1; vec4 color; vec4 params; ivec4 ints; }``
LAYER_DTYPE = np.dtype(
    [
        ("row0", "<f4", 4),  # texture-s row of the matrix, then s at the image's right edge
        ("row1", "<f4", 4),  # texture-t row of the matrix, then t at the image's bottom edge
        ("color", "<f4", 4),  # ink rgb (non-premultiplied), opacity
        ("params", "<f4", 4),  # crossfade mix, threshold, edge half-width, softness half-width
        ("ints", "<i4", 4),  # slot, blend mode, index in the frame's list, edge fade ‱
    ]
)
assert LAYER_DTYPE.itemsize == 80


@dataclass(frozen=True)
class LayerState:
    """What the compositor knows about a layer beyond its settings, for one frame.

    - ``slot``: its texture slot.
    - ``field_shape``: (rows, cols) of its latest ink image, or None before the first one.
    - ``extent``: the fraction (s, t) of its texture layer that image covers.
    - ``mix``: crossfade progress 0..1 from the previous image to the latest.
    - ``onset_envelope``: the decayed onset strength driving flashes and pulses.
    """

    slot: int
    field_shape: tuple[int, int] | None
    extent: tuple[float, float] = (1.0, 1.0)
    mix: float = 1.0
    onset_envelope: float = 0.0


@dataclass(frozen=True)
class DrawLayer:
    """One layer exactly as the shader will draw it."""

    slot: int
    matrix: np.ndarray
    extent: tuple[float, float]
    color: RGB
    opacity: float
    mix: float
    threshold: float
    half_width: float
    mode_index: int
    bounds: tuple[float, float, float, float] | None = None
    #: Half-width, in field-value units, that softness alone asks for (0 = crisp); stroke
    #: mode widens its one-pixel edge to at least this.
    soft_half_width: float = 0.0
    #: Share of the image's side over which the ink fades out at its border (0: none).
    edge_fade: float = 0.0


#: ``edge_fade`` travels to the shader as an int in ten-thousandths of the image's side.
EDGE_FADE_UNITS = 10_000


@dataclass(frozen=True)
class Tile:
    """A rectangle of the internal picture (pixels, GL origin bottom-left) and the indices,
    bottom first, of the planned layers that may touch it."""

    x: int
    y: int
    width: int
    height: int
    layers: tuple[int, ...]


def layer_bounds(matrix: np.ndarray) -> tuple[float, float, float, float] | None:
    """The frame-space box (u0, v0, u1, v1), clipped to 0..1, that a layer's field covers.

    Inverts the frame→field map at the field's four corners. None when the layer is
    entirely outside the frame.
    """
    linear, offset = matrix[:, :2], matrix[:, 2]
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) - offset
    frame = np.linalg.solve(linear, corners.T).T
    u0, v0 = frame.min(axis=0)
    u1, v1 = frame.max(axis=0)
    if u1 <= 0.0 or v1 <= 0.0 or u0 >= 1.0 or v0 >= 1.0:
        return None
    return (max(u0, 0.0), max(v0, 0.0), min(u1, 1.0), min(v1, 1.0))


def plan_tiles(
    layers: Sequence[DrawLayer], frame_size: tuple[int, int], tile_size: tuple[int, int]
) -> list[Tile]:
    """Split the frame into tiles, each listing only the layers whose box overlaps it.

    A software rasteriser pays for every layer at every pixel it loops over, so drawing
    tile by tile (scissored) skips layers where they are not. Boxes grow by one pixel so
    bilinear sampling and anti-aliased edges at a box's border are never cut off.
    """
    width, height = frame_size
    tile_w, tile_h = tile_size
    cols = max(1, -(-width // tile_w))
    rows = max(1, -(-height // tile_h))
    boxes = []
    for layer in layers:
        if layer.bounds is None:
            boxes.append(None)
            continue
        u0, v0, u1, v1 = layer.bounds
        boxes.append((u0 * width - 1, v0 * height - 1, u1 * width + 1, v1 * height + 1))
    tiles = []
    for row in range(rows):
        y0, y1 = row * height // rows, (row + 1) * height // rows
        for col in range(cols):
            x0, x1 = col * width // cols, (col + 1) * width // cols
            touching = tuple(
                i
                for i, box in enumerate(boxes)
                if box is not None and box[0] < x1 and box[2] > x0 and box[1] < y1 and box[3] > y0
            )
            tiles.append(Tile(x0, y0, x1 - x0, y1 - y0, touching))
    return tiles


def ink_box(
    layers: Sequence[DrawLayer], frame_size: tuple[int, int], margin: float
) -> tuple[int, int, int, int] | None:
    """The pixel rectangle (x, y, width, height; GL origin bottom-left) of a frame of
    ``frame_size`` that holds every layer's box grown by ``margin`` pixels, or None when no
    layer is on screen. Outside it there are no stroke edges to draw.
    """
    boxes = [layer.bounds for layer in layers if layer.bounds is not None]
    if not boxes:
        return None
    width, height = frame_size
    x0 = max(0, math.floor(min(b[0] for b in boxes) * width - margin))
    y0 = max(0, math.floor(min(b[1] for b in boxes) * height - margin))
    x1 = min(width, math.ceil(max(b[2] for b in boxes) * width + margin))
    y1 = min(height, math.ceil(max(b[3] for b in boxes) * height + margin))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def plan_frame(
    snapshot: SceneSnapshot,
    states: Mapping[Hashable, LayerState],
    features: Mapping[Hashable, LayerFeatures],
    beat_phase: float | None,
    frame_size: tuple[int, int],
) -> list[DrawLayer]:
    """The layers to draw this frame, bottom first.

    A layer is drawn when the master's ``layers_on`` is set, it is visible (mute/solo), has
    received an image, has a non-zero opacity and a non-vanishing size. ``features`` must
    already be sanitised; a layer with no entry is not audio-modulated (its beat hooks still
    follow ``beat_phase``).
    ``frame_size`` is the (width, height) the layers are composited at.
    """
    width, height = frame_size
    aspect = width / height
    planned: list[DrawLayer] = []
    if not snapshot.master.layers_on:
        return planned
    for layer_id, settings in snapshot.visible():
        state = states.get(layer_id)
        if state is None or state.field_shape is None or settings.opacity <= 0.0:
            continue
        rows, cols = state.field_shape
        frame = react(settings.reactive, features.get(layer_id), state.onset_envelope, beat_phase)
        scale = settings.scale * frame.scale_gain
        matrix = layer_matrix(
            position=settings.position,
            scale=scale,
            rotation_deg=settings.rotation + frame.rotation_deg,
            fit=settings.fit,
            frame_aspect=aspect,
            field_aspect=cols / rows,
        )
        if matrix is None:
            continue
        softness = min(1.0, settings.softness + frame.softness)
        density = pixels_per_texel(
            scale=scale,
            fit=settings.fit,
            frame_aspect=aspect,
            field_shape=(rows, cols),
            frame_height=height,
        )
        planned.append(
            DrawLayer(
                slot=state.slot,
                matrix=matrix,
                extent=state.extent,
                color=ink_color(settings.tint, frame),
                opacity=settings.opacity,
                mix=state.mix,
                threshold=settings.threshold,
                half_width=edge_half_width(density, softness),
                mode_index=BLEND_MODES.index(settings.blend),
                bounds=layer_bounds(matrix),
                soft_half_width=0.5 * softness,
                edge_fade=settings.edge_fade,
            )
        )
    return planned


def layer_records(layers: Sequence[DrawLayer]) -> np.ndarray:
    """The std140 records of ``layers``, in order (one :data:`LAYER_DTYPE` row each).

    ``ints[2]`` is each layer's index in ``layers``: tiles keep it, so the composite pass
    can name a layer to the stroke present pass, which reads the whole frame's list.
    """
    records = np.zeros(len(layers), LAYER_DTYPE)
    for i, layer in enumerate(layers):
        s_max, t_max = layer.extent  # field 0..1 -> the image's corner of the texture layer
        records["row0"][i] = (*(layer.matrix[0] * s_max), s_max)
        records["row1"][i] = (*(layer.matrix[1] * t_max), t_max)
        records["color"][i] = (*layer.color, layer.opacity)
        records["params"][i] = (layer.mix, layer.threshold, layer.half_width, layer.soft_half_width)
        fade = round(layer.edge_fade * EDGE_FADE_UNITS)
        records["ints"][i] = (layer.slot, layer.mode_index, i, fade)
    return records


def pack_layers(layers: Sequence[DrawLayer], capacity: int) -> bytes:
    """The uniform block's bytes: ``capacity`` records, the first ``len(layers)`` filled.

    Raises:
        ValueError: more layers than the block holds.
    """
    if len(layers) > capacity:
        raise ValueError(f"{len(layers)} layers do not fit a uniform block of {capacity}")
    block = np.zeros(capacity, LAYER_DTYPE)
    block[: len(layers)] = layer_records(layers)
    return block.tobytes()


def pack_tiles(records: np.ndarray, tiles: Sequence[Tile], capacity: int, stride: int) -> bytes:
    """One uniform block per tile, back to back every ``stride`` bytes (≥ a full block).

    Each tile's block holds only its own layers, bottom first; the compositor binds the
    block range of each tile before drawing it.
    """
    block_bytes = capacity * LAYER_DTYPE.itemsize
    if stride < block_bytes:
        raise ValueError(f"stride {stride} is smaller than one block ({block_bytes} bytes)")
    out = bytearray(stride * len(tiles))
    for t, tile in enumerate(tiles):
        chosen = records[list(tile.layers)]
        start = t * stride
        out[start : start + chosen.nbytes] = chosen.tobytes()
    return bytes(out)
