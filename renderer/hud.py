"""The heads-up display's content: status lines from the scene, rasterised with Pillow.

Kept apart from GL: :func:`hud_lines` decides what to say and :func:`rasterize_lines` turns
it into a premultiplied RGBA image the window uploads as a texture. The bridge adds its own
lines (generation rate, OSC health) through the window's status providers.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from renderer.scene import SceneSnapshot

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSansMono.ttf"),
)


def hud_lines(
    snapshot: SceneSnapshot,
    *,
    fps: float | None,
    selected: Hashable | None,
    message: str = "",
    extra: Iterable[str] = (),
) -> list[str]:
    """The HUD text: frame rate and master state, one line per layer, then extra lines.

    Layers are numbered bottom first (as keys 1…9 select them); the selected one is marked
    with ``>``, and M / S flag muted and soloed layers.
    """
    master = snapshot.master
    flags = []
    if master.trails_on:
        flags.append(f"trails {master.trails:.2f}")
    if master.freeze:
        flags.append("FROZEN")
    rate = f"{fps:5.1f} fps" if fps is not None else "  --- fps"
    lines = [f"{rate}  {len(snapshot.layers)} layers  {'  '.join(flags)}".rstrip()]
    for number, (layer_id, s) in enumerate(snapshot.layers, start=1):
        mark = ">" if layer_id == selected else " "
        state = ("M" if s.muted else " ") + ("S" if s.solo else " ")
        lines.append(
            f"{mark}{number:2d} {state} {(s.label or str(layer_id))[:18]:18s} {s.blend:12s} "
            f"{s.opacity:4.2f}"
        )
    lines.extend(extra)
    if message:
        lines.append(message)
    return lines


@lru_cache(maxsize=4)
def _font(size: int):
    from PIL import ImageFont

    for path in FONT_PATHS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default()


def rasterize_lines(lines: list[str], *, font_size: int = 14, padding: int = 6) -> np.ndarray:
    """Draw white text on a translucent black panel; return premultiplied RGBA, H×W×4 uint8."""
    from PIL import Image, ImageDraw

    font = _font(font_size)
    line_height = font_size + 4
    width = max((int(font.getlength(line)) for line in lines), default=0) + 2 * padding
    height = line_height * len(lines) + 2 * padding
    panel = Image.new("RGBA", (max(width, 1), max(height, 1)), (0, 0, 0, 160))
    draw = ImageDraw.Draw(panel)
    for i, line in enumerate(lines):
        draw.text((padding, padding + i * line_height), line, font=font, fill=(255, 255, 255, 255))
    rgba = np.asarray(panel, np.float32)
    rgba[..., :3] *= rgba[..., 3:4] / 255.0  # premultiply for (ONE, ONE_MINUS_SRC_ALPHA)
    return np.rint(rgba).astype(np.uint8)
