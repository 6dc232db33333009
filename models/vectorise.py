"""Ink field → SVG: the seed's "vector output" next step.

We trace the iso-line at a threshold with marching squares (linear interpolation along cell
edges, saddles resolved by the cell's mean), chain the segments into closed rings, and write
them as one ``<path>`` with ``fill-rule="evenodd"`` so holes (the inside of a loop) stay
holes. The field is padded with paper first, so every ring closes. Pure numpy and strings.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import numpy as np

Point = tuple[float, float]

# Edges of a cell: 0 top (y, x..x+1), 1 right, 2 bottom, 3 left. For each 4-bit case
# (bit 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left above threshold) the pairs of
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


def _edge_point(field: np.ndarray, y: int, x: int, edge: int, level: float) -> Point:
    """Where the iso-line crosses ``edge`` of cell (y, x), as (x, y) in pixel units."""
    corners = {
        0: ((y, x), (y, x + 1)),
        1: ((y, x + 1), (y + 1, x + 1)),
        2: ((y + 1, x + 1), (y + 1, x)),
        3: ((y + 1, x), (y, x)),
    }[edge]
    (y0, x0), (y1, x1) = corners
    a, b = float(field[y0, x0]), float(field[y1, x1])
    t = 0.5 if a == b else (level - a) / (b - a)
    t = min(1.0, max(0.0, t))
    return (x0 + t * (x1 - x0), y0 + t * (y1 - y0))


def trace_contours(field: np.ndarray, level: float = 0.5) -> list[list[Point]]:
    """Closed iso-contours of a 2-D field at ``level``, as rings of (x, y) points.

    Pixel ``(row, col)`` of the input sits at ``(col + 0.5, row + 0.5)`` in the output
    coordinates, so the rings lie on the picture as drawn at one unit per pixel.
    """
    array = np.asarray(field, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D field, got shape {array.shape}")
    padded = np.pad(array, 1, constant_values=min(float(array.min(initial=0.0)), level - 1.0))
    above = padded > level
    links: dict[Point, list[Point]] = {}

    def key(p: Point) -> Point:
        return (round(p[0], 6), round(p[1], 6))

    h, w = padded.shape
    for y in range(h - 1):
        for x in range(w - 1):
            case = (
                int(above[y, x])
                | int(above[y, x + 1]) << 1
                | int(above[y + 1, x + 1]) << 2
                | int(above[y + 1, x]) << 3
            )
            if case in (5, 10):
                centre = padded[y : y + 2, x : x + 2].mean() > level
                if case == 5:
                    pairs = ((3, 2), (1, 0)) if centre else ((3, 0), (1, 2))
                else:
                    pairs = ((0, 3), (2, 1)) if centre else ((0, 1), (2, 3))
            else:
                pairs = _SEGMENTS[case]
            for e0, e1 in pairs:
                p0 = key(_edge_point(padded, y, x, e0, level))
                p1 = key(_edge_point(padded, y, x, e1, level))
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
            rings.append([(x - 0.5, y - 0.5) for x, y in ring])  # undo the 1-px pad
    return rings


def field_to_svg(
    ink: np.ndarray,
    *,
    level: float = 0.5,
    scale: float = 8.0,
    colour: str = "#ffffff",
    background: str | None = "#000000",
) -> str:
    """An ink field (H, W) in [0, 1] (or uint8 0..255) as a standalone SVG document."""
    array = np.asarray(ink)
    if array.dtype == np.uint8:
        array = array.astype(np.float64) / 255.0
    h, w = array.shape
    rings = trace_contours(array, level)
    commands = []
    for ring in rings:
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
