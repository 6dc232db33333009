"""Where stroke mode's present pass can be skipped, decided from the internal picture.

On a CPU rasteriser the stroke present (three bilinear fetches per output pixel) is most of a
frame: 8 ms of 13 at 1280×720 with the bridge's eight-track stage. Most output pixels show
flat paper, though, and there the pass only copies one colour. This module finds those
pixels from the composite pass's two small outputs (read back after it, ~150 KB each), so
the compositor can clear them in one go and run the stroke present only over the rest.

The decision is exact, not a heuristic. An output pixel gets ``C + D·((coverage − w)·agree)``
from the bilinear samples of the picture C, the change D and the edge record (distance r,
layer code, coverage w) at the 2×2 texels around it (see :mod:`renderer.shaders`). When all
of those texels hold the same C and the added term is exactly zero, every such pixel shows
the same colour as every other. The term is exactly zero when either

- every texel has w = 0 and is either without an edge (its code at the circle's centre) or
  far enough outside its edge that the present's ramp is exactly 0 there (r ≤ ``low``):
  then w is 0 after filtering, and the ramp is 0 too unless the codes disagree, in which
  case ``agree`` is 0; or
- every texel has an edge, w = 1 and is far enough inside it (r ≥ ``high``): the ramp and
  w are both exactly 1.

Each output tile (:data:`PLAIN_TILE` pixels square) whose whole bilinear footprint, widened
by a texel on every side, passes is *plain*. The commonest colour among plain tiles is
cleared; every other tile gets the stroke present, merged into few rectangles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Side of the square output tiles classified as plain or not, in output pixels.
PLAIN_TILE = 16
#: Gaps of at most this many tiles between two stretches of stroke tiles in a row are drawn
#: with them: on llvmpipe a rectangle costs about as much as shading 1–2 tiles.
MERGE_GAP = 1
#: A filtered stored distance within this many 8-bit steps of the ramp's end still counts
#: as off the ramp only with this margin (filtering rounds; a code mix can pull it ~1 step).
LIMIT_MARGIN = 2
#: An edge record's layer code this close (in 8-bit steps, per channel) to the circle's
#: centre means "no edge"; real codes lie ~90 or more steps away on the circle.
CENTRE_TOLERANCE = 2

#: A rectangle in output pixels: (x, y, width, height), GL origin bottom-left.
Rect = tuple[int, int, int, int]


@dataclass(frozen=True)
class PresentPlan:
    """How to draw one frame's stroke present.

    - ``fill``: the packed RGBA8 texel colour (little-endian uint32) of the plain tiles to
      clear, or None when no tile is plain.
    - ``probe``: an output pixel (x, y) inside a plain tile of that colour: the stroke
      present drawn there gives the exact colour to clear with.
    - ``rects``: where the stroke present must run (output pixels, GL origin bottom-left).
    """

    fill: int | None
    probe: tuple[int, int] | None
    rects: tuple[Rect, ...]

    def stroke_share(self, size: tuple[int, int]) -> float:
        """Fraction of the ``size`` (width, height) frame the stroke present covers."""
        return sum(w * h for _, _, w, h in self.rects) / float(size[0] * size[1])


def exact_limits(distance_gain: float) -> tuple[int, int]:
    """The stored distances (8-bit) beyond which the stroke present's ramp is exactly 0
    (``≤ low``) or exactly 1 (``≥ high``), with :data:`LIMIT_MARGIN` to spare.

    ``distance_gain`` is the present's ``u_distance_gain``: output pixels per unit of the
    stored distance's offset from 128/255. The ramp is smoothstep(0, 1, 0.5 + (r − 128/255)
    · gain), exactly 0 at or below 0 and exactly 1 at or above 1.
    """
    if distance_gain <= 0.0:
        raise ValueError(f"distance_gain must be positive, got {distance_gain}")
    reach = 127.5 / distance_gain  # 8-bit steps from 128 to either end of the ramp
    low = math.floor(128.0 - reach) - LIMIT_MARGIN
    high = math.ceil(128.0 + reach) + LIMIT_MARGIN
    return low, high


def footprints(out_side: int, in_side: int, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """For each run of ``tile`` output pixels along one axis, the first and last texel
    (inclusive) of the ``in_side`` texels that its bilinear samples may touch, widened by one
    texel either way against rounding in the rasteriser's coordinates."""
    starts = np.arange(0, out_side, tile)
    ends = np.minimum(starts + tile, out_side)
    ratio = in_side / out_side
    first = np.floor((starts + 0.5) * ratio - 0.5).astype(np.int64) - 1
    last = np.floor((ends - 0.5) * ratio - 0.5).astype(np.int64) + 2
    return np.clip(first, 0, in_side - 1), np.clip(last, 0, in_side - 1)


def _window_reduce(
    ufunc: np.ufunc, values: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """``ufunc`` (maximum or minimum) over windows of rows, each starting at ``first[j]``
    and as wide as the widest window [first, last]: a narrower one then also takes in a
    texel beyond its last, which only makes the caller's test stricter. Windows may overlap;
    past the end the last row repeats."""
    width = int((last - first).max()) + 1
    limit = values.shape[0] - 1
    reduced = values[first]
    for step in range(1, width):
        reduced = ufunc(reduced, values[np.minimum(first + step, limit)])
    return reduced


def plain_tiles(
    colour: np.ndarray,
    edge: np.ndarray,
    out_size: tuple[int, int],
    limits: tuple[int, int],
    tile: int = PLAIN_TILE,
) -> tuple[np.ndarray, np.ndarray]:
    """Which output tiles are plain, and the texel colour each would show.

    Args:
        colour: the composited picture C, (h, w, 4) uint8, row 0 at the bottom (GL order).
        edge: the edge record, the same shape and order.
        out_size: output (width, height) in pixels.
        limits: (low, high) from :func:`exact_limits`.
        tile: tile side in output pixels.

    Returns:
        (plain, colours): bool and uint32 arrays of (tile rows, tile columns), row 0 at the
        bottom; ``colours`` is the packed C of the tile's footprint (meaningful where plain).
    """
    if colour.shape != edge.shape or colour.ndim != 3 or colour.shape[2] != 4:
        raise ValueError(f"colour and edge must be (h, w, 4) alike: {colour.shape}, {edge.shape}")
    height, width = colour.shape[:2]
    low, high = limits
    # RGBA8 texels as little-endian uint32: contiguous integer maths is far cheaper than
    # strided uint8 channels
    record = np.ascontiguousarray(edge).view(np.uint32)[..., 0]
    packed = np.ascontiguousarray(colour).view(np.uint32)[..., 0]
    distance, alpha = record & 0xFF, record >> 24
    # a code channel minus (128 − tolerance) wraps round to a huge number below it, so one
    # comparison tells whether it lies within the tolerance of 128
    below = np.uint32(128 - CENTRE_TOLERANCE)
    span = np.uint32(2 * CENTRE_TOLERANCE)
    centre = ((record >> 8) & 0xFF) - below <= span
    centre &= ((record >> 16) & 0xFF) - below <= span
    outside = (centre | (distance <= low)) & (alpha == 0)
    inside = ~centre & (distance >= high) & (alpha == 255)
    # one key per texel: its colour, bit 32 calm inside its edge, bit 33 calm neither way; a
    # tile is plain when its whole footprint holds one key without bit 33
    key = packed.astype(np.uint64)
    key |= inside.astype(np.uint64) << np.uint64(32)
    key |= (~(outside | inside)).astype(np.uint64) << np.uint64(33)
    rows = footprints(out_size[1], height, tile)
    cols = footprints(out_size[0], width, tile)

    def over_tiles(ufunc: np.ufunc) -> np.ndarray:
        by_rows = _window_reduce(ufunc, key, *rows)
        return _window_reduce(ufunc, np.ascontiguousarray(by_rows.T), *cols).T

    highest = over_tiles(np.maximum)
    plain = (highest == over_tiles(np.minimum)) & (highest < np.uint64(1 << 33))
    return plain, (highest & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def tile_runs(need: np.ndarray) -> dict[int, list[tuple[int, int]]]:
    """Per tile row of ``need`` with any marked tile, its runs (first, last column) of
    marked tiles, runs at most :data:`MERGE_GAP` tiles apart joined."""
    steps = np.diff(np.pad(need.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, firsts = np.nonzero(steps == 1)  # row-major: by row, then column
    lasts = np.nonzero(steps == -1)[1] - 1
    if rows.size == 0:
        return {}
    joins = (rows[1:] == rows[:-1]) & (firsts[1:] - lasts[:-1] <= MERGE_GAP + 1)
    starts = np.concatenate(([True], ~joins))
    ends = np.concatenate((~joins, [True]))
    runs: dict[int, list[tuple[int, int]]] = {}
    for row, first, last in zip(
        rows[starts].tolist(), firsts[starts].tolist(), lasts[ends].tolist(), strict=True
    ):
        runs.setdefault(row, []).append((first, last))
    return runs


def stroke_rects(need: np.ndarray, out_size: tuple[int, int], tile: int = PLAIN_TILE) -> list[Rect]:
    """Rectangles (output pixels, GL origin bottom-left) covering the tiles marked in
    ``need`` ((tile rows, tile columns), row 0 at the bottom): :func:`tile_runs`, a run
    repeated in the rows above stacked into one rectangle."""
    out_w, out_h = out_size
    rects: list[Rect] = []
    stacks: dict[tuple[int, int], int] = {}  # a run still open -> the row it started in
    previous = -2

    def close(run: tuple[int, int], first_row: int, last_row: int) -> None:
        x0, x1 = run[0] * tile, min(out_w, (run[1] + 1) * tile)
        y0, y1 = first_row * tile, min(out_h, (last_row + 1) * tile)
        rects.append((x0, y0, x1 - x0, y1 - y0))

    for row, runs in tile_runs(need).items():
        for run in list(stacks):
            if row != previous + 1 or run not in runs:
                close(run, stacks.pop(run), previous)
        for run in runs:
            stacks.setdefault(run, row)
        previous = row
    for run, first_row in stacks.items():
        close(run, first_row, previous)
    return rects


def plan_present(
    colour: np.ndarray,
    edge: np.ndarray,
    out_size: tuple[int, int],
    distance_gain: float,
    tile: int = PLAIN_TILE,
) -> PresentPlan:
    """The frame's :class:`PresentPlan` from the read-back C and edge record (GL row order);
    ``distance_gain`` is the present's ``u_distance_gain``."""
    plain, colours = plain_tiles(colour, edge, out_size, exact_limits(distance_gain), tile)
    if not plain.any():
        out_w, out_h = out_size
        return PresentPlan(None, None, ((0, 0, out_w, out_h),))
    values, counts = np.unique(colours[plain], return_counts=True)
    fill = int(values[np.argmax(counts)])
    filled = plain & (colours == fill)
    row, col = np.argwhere(filled)[0]
    probe = (int(col) * tile, int(row) * tile)
    return PresentPlan(fill, probe, tuple(stroke_rects(~filled, out_size, tile)))
