"""Turning one frame's scene, layer state and audio features into the shader's per-layer data.

This is all the per-frame decision making, kept free of GL so it can be unit tested: which
layers draw and in what order, where (transform), in what colour and with which blend mode,
how far each crossfade has got. :func:`pack_layers` then lays the result out as the std140
uniform block the compositing shader reads, one 80-byte record per layer.
"""

from __future__ import annotations

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
        ("params", "<f4", 4),  # crossfade mix, threshold, edge half-width, unused
        ("ints", "<i4", 4),  # slot, blend mode index, unused, unused
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


def plan_frame(
    snapshot: SceneSnapshot,
    states: Mapping[Hashable, LayerState],
    features: Mapping[Hashable, LayerFeatures],
    beat_phase: float | None,
    frame_size: tuple[int, int],
) -> list[DrawLayer]:
    """The layers to draw this frame, bottom first.

    A layer is drawn when it is visible (mute/solo), has received an image, has a non-zero
    opacity and a non-vanishing size. ``features`` must already be sanitised; a layer with no
    entry is not audio-modulated (its beat hooks still follow ``beat_phase``).
    ``frame_size`` is the (width, height) the layers are composited at.
    """
    width, height = frame_size
    aspect = width / height
    planned: list[DrawLayer] = []
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
                half_width=edge_half_width(density, min(1.0, settings.softness + frame.softness)),
                mode_index=BLEND_MODES.index(settings.blend),
            )
        )
    return planned


def pack_layers(layers: Sequence[DrawLayer], capacity: int) -> bytes:
    """The uniform block's bytes: ``capacity`` records, the first ``len(layers)`` filled.

    Raises:
        ValueError: more layers than the block holds.
    """
    if len(layers) > capacity:
        raise ValueError(f"{len(layers)} layers do not fit a uniform block of {capacity}")
    block = np.zeros(capacity, LAYER_DTYPE)
    for i, layer in enumerate(layers):
        s_max, t_max = layer.extent  # field 0..1 -> the image's corner of the texture layer
        block["row0"][i] = (*(layer.matrix[0] * s_max), s_max)
        block["row1"][i] = (*(layer.matrix[1] * t_max), t_max)
        block["color"][i] = (*layer.color, layer.opacity)
        block["params"][i] = (layer.mix, layer.threshold, layer.half_width, 0.0)
        block["ints"][i] = (layer.slot, layer.mode_index, 0, 0)
    return block.tobytes()
