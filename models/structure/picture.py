"""The structure as a picture: the bar self-similarity with sections and motifs.

Drawn with Pillow only. The matrix fills the top left (bar ``i`` × bar ``j``, dark =
alike); section boundaries cross it as lines, with each section's label above; under it
each track is a row of bar cells coloured by motif (one hue per motif family, variations
lighter, silent bars blank), the motif's label written in the cell when there is room.
"""

from __future__ import annotations

import colorsys
import zlib

import numpy as np

from models.structure.motifs import family
from models.structure.results import Structure

BACKGROUND = (250, 250, 247)
INK = (30, 30, 30)
SECTION = (200, 40, 40)
LIVE = (40, 90, 200)


def motif_colour(label: str | None, track: str = "") -> tuple[int, int, int]:
    """A motif's colour: a hue per track and family (the label without primes), lighter
    for each prime; pale grey for silence."""
    if label is None:
        return (236, 236, 232)
    root = family(label)
    primes = min(4, len(label) - len(root))
    hue = (zlib.crc32(f"{track}/{root}".encode()) % 360) / 360.0
    light = min(0.78, 0.45 + 0.1 * primes)
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.65)
    return (round(r * 255), round(g * 255), round(b * 255))


def draw(structure: Structure, names: dict[str, str] | None = None, *, cell: int | None = None):
    """The picture as a ``PIL.Image`` (RGB). ``names`` renames tracks in the row labels;
    ``cell`` is the pixel size of one bar (chosen from the bar count when None).

    Raises:
        ValueError: for a structure without bars.
    """
    from PIL import Image, ImageDraw

    n = len(structure.bars)
    if n == 0:
        raise ValueError("nothing to draw: no bars")
    cell = cell or max(4, min(24, 720 // n))
    names = names or {}
    tracks = list(structure.tracks)
    left, top, row = 90, 36, max(14, cell)
    size = n * cell
    width = left + size + 16
    height = top + size + 12 + row * len(tracks) + 40
    image = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    sim = np.clip(np.asarray(structure.similarity, dtype=np.float64), 0.0, 1.0)
    grey = (255 - np.round(sim * 215)).astype(np.uint8)
    matrix = Image.fromarray(np.kron(grey, np.ones((cell, cell), np.uint8)), "L").convert("RGB")
    image.paste(matrix, (left, top))
    for section in structure.sections:
        x = left + section.start_bar * cell
        pen.line([(x, top - 4), (x, top + size)], fill=SECTION, width=2)
        pen.line(
            [(left, top + section.start_bar * cell), (left + size, top + section.start_bar * cell)],
            fill=SECTION,
            width=1,
        )
        pen.text((x + 3, top - 16), section.label, fill=SECTION)
    for section in structure.live_sections:
        x = left + section.start_bar * cell
        pen.line([(x, top + size + 2), (x, top + size + 8)], fill=LIVE, width=2)
    y = top + size + 12
    for track in tracks:
        pen.text((4, y + max(0, row // 2 - 6)), names.get(track, track)[:12], fill=INK)
        for i, label in enumerate(structure.bar_labels(track)):
            x = left + i * cell
            pen.rectangle([x, y, x + cell - 1, y + row - 2], fill=motif_colour(label, track))
            if label is not None and cell >= 14:
                pen.text((x + 2, y + 1), label[:3], fill=INK)
        y += row
    pen.text(
        (4, y + 8),
        f"{n} bars, {structure.tempo:.1f} BPM; red: sections (offline), blue ticks: live "
        "boundaries; rows: motifs per track",
        fill=INK,
    )
    return image
