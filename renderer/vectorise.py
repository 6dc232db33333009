"""Ink field → closed contour polygons → SVG: the stroke geometry shared by ``draw --svg``
and the live strokes.

Pure geometry (numpy and strings, no GL, no models). The live compositor's stroke mode draws
the edge where the ink field — cubic B-spline upsampled ×2 by :mod:`renderer.ink`, then
sampled bilinearly — crosses the layer's threshold. :func:`ink_contours` traces exactly
that iso-line: marching squares on the same upsampled field, with linear interpolation
along cell edges (which is where the bilinear interpolant crosses them), so the SVG's
vertices lie on the strokes the show draws.

Marching squares: every 2×2 cell of samples gets a 4-bit case from which corners are above
the level (computed for the whole grid at once); segments join the crossings on the cell's
edges; saddles (cases 5 and 10) are resolved by the cell's mean. Segments are chained into
closed rings and written as one ``<path>`` with ``fill-rule="evenodd"`` so holes (the inside
of a loop) stay holes. The field is padded with paper first, so every ring closes.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import numpy as np

from renderer.ink import UPSAMPLE, upsample_bspline

#: A point (x, y): x to the right, y down, one unit per sample, sample (row, col) centred
#: at (col + 0.5, row + 0.5).
Point = tuple[float, float]

# Edges of a cell: 0 top (y, x..x+1), 1 right, 2 bottom, 3 left. For each 4-bit case
# (bit 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left above the level) the pairs of
# edges joined by a segment. Cases 5 and 10 are saddles, handled separately.
_SEGMENTS: dict[int, tuple[tuple[int, int], ...]] = {
    0: (),
    1: ((3, 0),),
    2: ((0, 1),),
    3: ((3, 1),),
    4: ((1, 2),),
    6: ((0, 2),),
    7: ((3, 2),),
    8: ((2, 3),),
    9: ((2, 0),),
    11: ((2, 1),),
    12: ((1, 3),),
    13: ((1, 0),),
    14: ((0, 3),),
    15: (),
}
#: The two corners (dy, dx) of each cell edge, in the order the crossing is measured.
_EDGE_CORNERS = {
    0: ((0, 0), (0, 1)),
    1: ((0, 1), (1, 1)),
    2: ((1, 1), (1, 0)),
    3: ((1, 0), (0, 0)),
}


def _edge_point(field: np.ndarray, y: int, x: int, edge: int, level: float) -> Point:
    """Where the iso-line crosses ``edge`` of cell (y, x), as (x, y) in sample units."""
    (dy0, dx0), (dy1, dx1) = _EDGE_CORNERS[edge]
    y0, x0, y1, x1 = y + dy0, x + dx0, y + dy1, x + dx1
    a, b = float(field[y0, x0]), float(field[y1, x1])
    t = 0.5 if a == b else (level - a) / (b - a)
    t = min(1.0, max(0.0, t))
    return (x0 + t * (x1 - x0), y0 + t * (y1 - y0))


def cell_cases(above: np.ndarray) -> np.ndarray:
    """The marching-squares case (0..15) of every 2×2 cell of a boolean grid (H, W) →
    (H − 1, W − 1) int array: bit 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left."""
    a = above.astype(np.int8)
    return a[:-1, :-1] | a[:-1, 1:] << 1 | a[1:, 1:] << 2 | a[1:, :-1] << 3


def trace_contours(field: np.ndarray, level: float = 0.5) -> list[list[Point]]:
    """Closed iso-contours of a 2-D field at ``level``, as rings of (x, y) points.

    Sample ``(row, col)`` of the input sits at ``(col + 0.5, row + 0.5)`` in the output
    coordinates, so the rings lie on the picture as drawn at one unit per sample.

    Raises:
        ValueError: the field is not 2-D.
    """
    array = np.asarray(field, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D field, got shape {array.shape}")
    padded = np.pad(array, 1, constant_values=min(float(array.min(initial=0.0)), level - 1.0))
    cases = cell_cases(padded > level)
    links: dict[Point, list[Point]] = {}

    def key(p: Point) -> Point:
        return (round(p[0], 6), round(p[1], 6))

    for y, x in zip(*np.nonzero((cases != 0) & (cases != 15)), strict=True):
        case = int(cases[y, x])
        if case in (5, 10):
            centre = padded[y : y + 2, x : x + 2].mean() > level
            if case == 5:
                pairs = ((3, 2), (1, 0)) if centre else ((3, 0), (1, 2))
            else:
                pairs = ((0, 3), (2, 1)) if centre else ((0, 1), (2, 3))
        else:
            pairs = _SEGMENTS[case]
        for e0, e1 in pairs:
            p0 = key(_edge_point(padded, int(y), int(x), e0, level))
            p1 = key(_edge_point(padded, int(y), int(x), e1, level))
            if p0 == p1:
                continue
            links.setdefault(p0, []).append(p1)
            links.setdefault(p1, []).append(p0)
    return _chain(links)


def _chain(links: dict[Point, list[Point]]) -> list[list[Point]]:
    """Walk the undirected segment graph into rings (each point has degree 2 in a clean
    contour; anything left dangling ends its ring where it stops)."""
    rings = []
    unvisited = dict(links)
    while unvisited:
        start, _ = unvisited.popitem()
        ring = [start]
        previous, current = None, start
        while True:
            options = [p for p in links[current] if p != previous and p in unvisited]
            if not options:
                break
            previous, current = current, options[0]
            unvisited.pop(current, None)
            ring.append(current)
        if len(ring) >= 3:
            rings.append([(x - 0.5, y - 0.5) for x, y in ring])  # undo the 1-sample pad
    return rings


def as_unit_field(ink: np.ndarray) -> np.ndarray:
    """An ink field as float64 in 0..1: uint8 0..255 is divided by 255, floats kept."""
    array = np.asarray(ink)
    if array.dtype == np.uint8:
        return array.astype(np.float64) / 255.0
    return array.astype(np.float64)


def ink_contours(ink: np.ndarray, level: float = 0.5) -> list[list[Point]]:
    """The live strokes' outlines: contours at ``level`` of the ×2 cubic B-spline field.

    Args:
        ink: (H, W) uint8 0..255 or float 0..1, row 0 at the top.
        level: the threshold (a layer's ``threshold``), 0..1.

    Returns:
        Rings of (x, y) points in ink pixels (pixel (row, col) spans col..col+1,
        row..row+1), the same outlines the compositor draws for this field.
    """
    unit = as_unit_field(ink)
    smooth = upsample_bspline(np.clip(np.rint(unit * 255.0), 0, 255).astype(np.uint8))
    rings = trace_contours(smooth.astype(np.float64) / 255.0, level)
    return [[(x / UPSAMPLE, y / UPSAMPLE) for x, y in ring] for ring in rings]


def field_to_svg(
    ink: np.ndarray,
    *,
    level: float = 0.5,
    scale: float = 8.0,
    colour: str = "#ffffff",
    background: str | None = "#000000",
) -> str:
    """An ink field (H, W) in [0, 1] (or uint8 0..255) as a standalone SVG document.

    The outlines are :func:`ink_contours`: the strokes as the live show draws them.
    ``scale`` is SVG units per ink pixel.
    """
    array = as_unit_field(ink)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D ink field, got shape {array.shape}")
    h, w = array.shape
    commands = []
    for ring in ink_contours(array, level):
        points = " L ".join(f"{x * scale:.2f} {y * scale:.2f}" for x, y in ring)
        commands.append(f"M {points} Z")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * scale:g}" '
        f'height="{h * scale:g}" viewBox="0 0 {w * scale:g} {h * scale:g}">',
    ]
    if background:
        parts.append(f'<rect width="100%" height="100%" fill={quoteattr(background)}/>')
    if commands:
        parts.append(
            f'<path fill={quoteattr(colour)} fill-rule="evenodd" d="{" ".join(commands)}"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
