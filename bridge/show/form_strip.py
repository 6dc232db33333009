"""The form strip: the set so far as rows of bar cells, one row per track, coloured by motif,
with section marks — the macro-structure drawn at the frame's edge as it unfolds. Only the
columns of bars heard so far are backed (darkened); the rest of the edge stays clear.

Pure drawing with Pillow into a premultiplied RGBA array (H×W×4 uint8, row 0 at the top);
the compositor lays it over the frame (:meth:`renderer.compositor.Compositor.set_overlay`),
so it is in the window, the video and every other sink alike.

Reading it: each row starts with its track's name; time runs left to right, one column per
bar (the newest on the right once the strip is full). A track's motifs share its colour:
each motif family (``a``, ``b`` …) turns the hue a step further and a variation (``a'``)
is a paler shade of its parent, so a row like ``a a a a b b a a`` shows as two colours
alternating in blocks. A silent bar is empty.
A section starts at a white line, its letter above it (A A B A …).
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bridge.show.structure_looks import FormBar, motif_root, root_index

#: Bars the strip shows at most (the newest).
STRIP_BARS = 32
#: The strip's height as a share of the frame's height, and its least height in pixels.
STRIP_SHARE = 0.1
STRIP_MIN_PX = 28
#: The share of the strip's width kept at its left for the rows' track names.
NAMES_SHARE = 0.08
#: Pixels of the band above the rows that holds the section letters.
LABEL_PX_SHARE = 0.3
#: Hue step (degrees) between a track's motif families.
MOTIF_HUE_STEP = 37.0
#: Opacity of the strip's backing, so it reads over any picture.
BACKING_ALPHA = 0.6

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class StripRow:
    """One track's row: the structure feed's ``name`` (the key of its motifs), its
    ``colour`` (0 … 1 RGB) and the ``label`` written at the row's start (its track name)."""

    name: str
    colour: RGB
    label: str = ""


def strip_box(frame: tuple[int, int]) -> tuple[int, int, int, int]:
    """The strip's box (x, y, width, height) in output pixels for a frame (width, height):
    the full width along the bottom edge."""
    width, height = frame
    strip = min(height, max(STRIP_MIN_PX, round(height * STRIP_SHARE)))
    return 0, height - strip, width, strip


def motif_colour(base: RGB, label: str) -> RGB:
    """A motif's cell colour within a track's colour ``base`` (0 … 1 RGB): the family's hue
    turned :data:`MOTIF_HUE_STEP` further per family, paler per prime (variation)."""
    hue, saturation, value = colorsys.rgb_to_hsv(*base)
    family = root_index(motif_root(label))
    primes = len(label) - len(motif_root(label))
    turn = MOTIF_HUE_STEP * ((family + 1) // 2) * (1 if family % 2 else -1)
    hue = (hue + turn / 360.0) % 1.0
    saturation *= 0.55 ** min(primes, 3)
    value = max(0.55, value)
    return colorsys.hsv_to_rgb(hue, saturation, value)


@lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def draw_form_strip(
    history: Sequence[FormBar],
    tracks: Sequence[StripRow],
    size: tuple[int, int],
) -> np.ndarray:
    """The strip for ``history`` (bars, oldest first; the newest :data:`STRIP_BARS` are
    drawn) and ``tracks`` (rows from the bottom up), at ``size`` (width, height) pixels.
    Returns premultiplied RGBA, H×W×4 uint8.

    Raises ValueError for a size under 8×8 pixels.
    """
    from PIL import Image, ImageDraw

    width, height = size
    if width < 8 or height < 8:
        raise ValueError(f"a form strip needs at least 8×8 pixels, got {size}")
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    bars = list(history)[-STRIP_BARS:]
    label_px = max(8, round(height * LABEL_PX_SHARE))
    rows_top, rows_height = label_px, height - label_px - 1
    names = round(width * NAMES_SHARE)
    column = (width - names) / STRIP_BARS
    n_rows = max(1, len(tracks))
    row = rows_height / n_rows
    if bars:  # the backing only behind the names and the bars so far: the rest stays clear
        backing = (0, 0, 0, round(255 * BACKING_ALPHA))
        right = min(width, names + round(len(bars) * column))
        draw.rectangle((0, 0, right - 1, height - 1), fill=backing)
        font = _font(max(7, min(round(row) - 1, label_px - 2)))
        for r, track in enumerate(tracks):
            y0 = rows_top + round(rows_height - (r + 1) * row)
            colour = tuple(round(255 * c) for c in track.colour)
            draw.text((2, y0), track.label[:10], fill=(*colour, 255), font=font)
    gap = 1 if column >= 4 else 0
    for col, bar in enumerate(bars):
        x0 = names + round(col * column)
        x1 = max(x0 + 1, names + round((col + 1) * column) - gap)
        for r, track in enumerate(tracks):
            label = bar.motifs.get(track.name)
            if label is None:
                continue
            y1 = rows_top + round(rows_height - r * row) - 1
            inset = 1 if row >= 4 else 0
            y0 = max(rows_top, rows_top + round(rows_height - (r + 1) * row) + inset)
            fill = (*(round(255 * c) for c in motif_colour(track.colour, label)), 255)
            draw.rectangle((x0, y0, x1 - 1, max(y0, y1)), fill=fill)
        if bar.boundary:
            draw.rectangle((x0, 0, min(width - 1, x0 + 1), height - 1), fill=(255, 255, 255, 255))
            font = _font(max(8, label_px - 2))
            draw.text((x0 + 3, 0), bar.section or "?", fill=(255, 255, 255, 255), font=font)
    rgba = np.asarray(image, dtype=np.float32)
    rgba[..., :3] *= rgba[..., 3:4] / 255.0  # premultiply
    return np.round(rgba).astype(np.uint8)
