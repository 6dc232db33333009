"""The structure as a picture: the bar self-similarity with sections and motifs.

Drawn with Pillow only. The matrix is at the top (bar ``i`` × bar ``j``, dark =
alike); section boundaries cross it as lines, with each section's label above; under it
each track is a row of bar cells coloured by motif (one hue per motif family, variations
lighter, silent bars blank), the motif's label written in the cell when it fits, light on
a dark cell and dark on a light one.

Every caption is measured with the font it is drawn in before anything is placed
(:func:`layout`): the margins take the longest track name and the section labels, the
legend under the rows wraps to the picture's width, so no text is cut off at an edge.
"""

from __future__ import annotations

import colorsys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.structure.motifs import family
from models.structure.results import Structure

BACKGROUND = (250, 250, 247)
INK = (30, 30, 30)
SECTION = (200, 40, 40)
LIVE = (40, 90, 200)
#: A motif's letters on a light cell and on a dark one (black and white: one of the two
#: contrasts at least 4.58:1 with any cell colour).
LETTER_DARK = (0, 0, 0)
LETTER_LIGHT = (255, 255, 255)
#: Text size (pixels) of every caption.
FONT_SIZE = 11
#: Pixels between a caption and the edge or its neighbour.
PAD = 4
#: Track names wider than this (pixels) are shortened with an ellipsis.
MAX_NAME_WIDTH = 160
#: The legend under the rows.
LEGEND = "red: sections (offline), blue ticks: live boundaries; rows: motifs per track"

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]


def motif_colour(label: str | None, track: str = "") -> RGB:
    """A motif's colour: a hue per track and family (the label without primes), lighter
    for each variation (``a'`` … ``a'''``, ``a'4`` …, up to four steps); pale grey for
    silence."""
    if label is None:
        return (236, 236, 232)
    root = family(label)
    hue = (zlib.crc32(f"{track}/{root}".encode()) % 360) / 360.0
    light = min(0.78, 0.45 + 0.1 * min(4, variation_count(label)))
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.65)
    return (round(r * 255), round(g * 255), round(b * 255))


def variation_count(label: str) -> int:
    """How many variations from its family a label is: ``a`` 0, ``a''`` 2, ``a'7`` 7."""
    tail = label[len(family(label)) :]
    if tail[1:].isdigit():
        return int(tail[1:])
    return len(tail)


def luminance(colour: RGB) -> float:
    """Relative luminance (sRGB, WCAG 2) of an 8-bit colour, 0 (black) … 1 (white)."""
    linear = []
    for channel in colour:
        c = channel / 255.0
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = linear
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours, 1 (the same) … 21 (black on white)."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def letter_colour(cell: RGB) -> RGB:
    """The letters' colour on a cell: whichever of :data:`LETTER_DARK` and
    :data:`LETTER_LIGHT` contrasts more with it (light on dark, dark on light)."""
    dark, light = contrast(LETTER_DARK, cell), contrast(LETTER_LIGHT, cell)
    return LETTER_DARK if dark >= light else LETTER_LIGHT


@dataclass(frozen=True)
class Caption:
    """A piece of text as it will be drawn: at ``xy`` (the font's left/ascender origin),
    covering ``box`` (left, top, right, bottom; right and bottom exclusive) in ``fill``;
    ``background`` is the cell colour under a motif's letters (None elsewhere)."""

    text: str
    xy: tuple[int, int]
    box: Box
    fill: RGB
    background: RGB | None = None


@dataclass(frozen=True)
class Layout:
    """Where everything goes (pixels): the picture's size, the matrix's top-left corner
    and side, one bar's ``cell``, a track row's height, the first row's top, and every
    caption (section labels, track names, motif letters, the legend)."""

    width: int
    height: int
    left: int
    top: int
    size: int
    cell: int
    row: int
    rows_top: int
    captions: tuple[Caption, ...]


def _font(size: int = FONT_SIZE):  # -> PIL.ImageFont.FreeTypeFont | ImageFont
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _caption(font, text: str, x: int, y: int, fill: RGB, background: RGB | None = None) -> Caption:
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    return Caption(text, (x, y), (x + left, y + top, x + right, y + bottom), fill, background)


def _width(font, text: str) -> int:
    left, _top, right, _bottom = font.getbbox(text)
    return int(np.ceil(right - min(0, left)))


def _shorten(font, text: str, most: int) -> str:
    """``text``, cut and ended with an ellipsis until it is at most ``most`` pixels wide."""
    if _width(font, text) <= most:
        return text
    while text and _width(font, text + "…") > most:
        text = text[:-1]
    return text + "…"


def _wrap(font, text: str, most: int) -> list[str]:
    """``text`` in lines of whole words at most ``most`` pixels wide (a longer word stands
    on a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(font, f"{lines[-1]} {word}") <= most:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def layout(
    structure: Structure,
    names: Mapping[str, str] | None = None,
    *,
    cell: int | None = None,
    font=None,
) -> Layout:
    """Measure and place everything :func:`draw` draws (see :class:`Layout`).

    ``names`` renames tracks, ``cell`` is the pixel size of one bar (from the bar count
    when None), ``font`` a Pillow font (the default font at :data:`FONT_SIZE` when None).

    Raises:
        ValueError: for a structure without bars.
    """
    n = len(structure.bars)
    if n == 0:
        raise ValueError("nothing to draw: no bars")
    font = font or _font()
    cell = cell or max(4, min(24, 720 // n))
    names = names or {}
    tracks = list(structure.tracks)
    _l, text_top, _r, text_bottom = font.getbbox("Ag'")
    line = int(np.ceil(text_bottom - min(0, text_top))) + 2
    shown = {t: _shorten(font, names.get(t, t), MAX_NAME_WIDTH) for t in tracks}
    left = PAD + max([_width(font, s) for s in shown.values()] + [0]) + 2 * PAD
    size = n * cell
    legend = f"{n} bars, {structure.tempo:.1f} BPM; {LEGEND}"
    widest_word = max(_width(font, word) for word in legend.split())
    width = max(left + size + 16, widest_word + 2 * PAD)
    # section labels over the matrix: nudged in from the right edge, stacked in rows
    # where two would overlap
    placed: list[tuple[int, int, str]] = []  # (x, label row, text)
    ends: list[int] = []
    for section in structure.sections:
        w = _width(font, section.label)
        x = min(left + section.start_bar * cell + 3, width - PAD - w)
        level = next((i for i, end in enumerate(ends) if x >= end + 2), len(ends))
        if level == len(ends):
            ends.append(0)
        ends[level] = x + w
        placed.append((x, level, section.label))
    label_rows = max(1, len(ends))
    top = PAD + label_rows * line + 6
    row = max(14, cell, line + 2)
    captions: list[Caption] = []
    for x, level, text in placed:
        y = top - 6 - (level + 1) * line - int(text_top)
        captions.append(_caption(font, text, x, y, SECTION))
    rows_top = top + size + 12
    y = rows_top
    for track in tracks:
        text_y = y + (row - 1 - line) // 2 + 1 - int(text_top)
        captions.append(_caption(font, shown[track], PAD, text_y, INK))
        for i, label in enumerate(structure.bar_labels(track)):
            if label is None or _width(font, label) > cell - 3:
                continue
            colour = motif_colour(label, track)
            x = left + i * cell + 2
            captions.append(_caption(font, label, x, text_y, letter_colour(colour), colour))
        y += row
    y += 2 * PAD
    for text in _wrap(font, legend, width - 2 * PAD):
        captions.append(_caption(font, text, PAD, y - int(text_top), INK))
        y += line
    return Layout(width, y + PAD, left, top, size, cell, row, rows_top, tuple(captions))


def draw(structure: Structure, names: dict[str, str] | None = None, *, cell: int | None = None):
    """The picture as a ``PIL.Image`` (RGB). ``names`` renames tracks in the row labels;
    ``cell`` is the pixel size of one bar (chosen from the bar count when None).

    Raises:
        ValueError: for a structure without bars.
    """
    from PIL import Image, ImageDraw

    font = _font()
    at = layout(structure, names, cell=cell, font=font)
    image = Image.new("RGB", (at.width, at.height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    left, top, size, cell = at.left, at.top, at.size, at.cell
    sim = np.clip(np.asarray(structure.similarity, dtype=np.float64), 0.0, 1.0)
    grey = (255 - np.round(sim * 215)).astype(np.uint8)
    matrix = Image.fromarray(np.kron(grey, np.ones((cell, cell), np.uint8)), "L").convert("RGB")
    image.paste(matrix, (left, top))
    for section in structure.sections:
        x = left + section.start_bar * cell
        pen.line([(x, top - 4), (x, top + size)], fill=SECTION, width=2)
        y = top + section.start_bar * cell
        pen.line([(left, y), (left + size, y)], fill=SECTION, width=1)
    for section in structure.live_sections:
        x = left + section.start_bar * cell
        pen.line([(x, top + size + 2), (x, top + size + 8)], fill=LIVE, width=2)
    y = at.rows_top
    for track in structure.tracks:
        for i, label in enumerate(structure.bar_labels(track)):
            x = left + i * cell
            pen.rectangle([x, y, x + cell - 1, y + at.row - 2], fill=motif_colour(label, track))
        y += at.row
    for caption in at.captions:
        pen.text(caption.xy, caption.text, fill=caption.fill, font=font)
    return image
