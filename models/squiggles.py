"""Procedural hand-drawn squiggles: the default image domain.

The seed prototype trained on 1024 hand-drawn squiggles. We cannot ship those, so we draw
our own with the features that made them look hand-made: one to three strokes whose heading
wanders smoothly, occasional tight loops, pen pressure that swells and thins along the
stroke, a little tremor, and a spread of sizes and complexity. Everything is driven by a
seeded ``numpy`` generator, so image ``i`` of seed ``s`` is the same bytes on every machine.

Convention (shared with the whole ``models`` package): an *ink field* is a 2-D array where
0 is bare paper and 1 (or 255 as uint8) is full ink, i.e. white ink on black.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageDraw

#: Supersampling factor: strokes are drawn this much larger, then box-filtered down, which
#: gives soft anti-aliased edges like a scanned pen line.
SUPERSAMPLE = 4


@dataclass(frozen=True)
class SquiggleParams:
    """The knobs one squiggle was drawn with; kept so evaluation can relate them to pictures."""

    index: int
    n_strokes: int
    steps: int
    size: float  # fraction of the canvas the figure spans
    loopiness: float  # probability per step of starting a tight loop
    width: float  # mean pen width in output pixels
    pressure_var: float  # relative pen-width swing along a stroke

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _smooth_noise(rng: np.random.Generator, n: int, knots: int) -> np.ndarray:
    """Return ``n`` samples of a smooth random curve in about [-1, 1] (cubic-free: linear of
    a few knots, then a moving average), used for pressure and tremor."""
    knots = max(2, knots)
    values = rng.uniform(-1.0, 1.0, size=knots)
    curve = np.interp(np.linspace(0, knots - 1, n), np.arange(knots), values)
    kernel = np.ones(max(1, n // (knots * 2))) / max(1, n // (knots * 2))
    return np.convolve(curve, kernel, mode="same")


def _stroke_points(rng: np.random.Generator, steps: int, loopiness: float) -> np.ndarray:
    """Walk a pen with smoothly wandering curvature; return (steps, 2) points, unscaled."""
    heading = rng.uniform(0.0, 2.0 * np.pi)
    curvature = 0.0
    loop_left = 0
    loop_turn = 0.0
    points = np.empty((steps, 2), dtype=np.float64)
    position = np.zeros(2)
    for step in range(steps):
        if loop_left == 0 and rng.random() < loopiness:
            loop_left = int(rng.integers(10, 22))
            loop_turn = rng.choice([-1.0, 1.0]) * 2.0 * np.pi / loop_left * rng.uniform(0.9, 1.2)
        if loop_left > 0:
            heading += loop_turn
            loop_left -= 1
        else:
            curvature = 0.85 * curvature + rng.normal(0.0, 0.12)
            heading += curvature
        position = position + np.array([np.cos(heading), np.sin(heading)])
        points[step] = position
    return points


def squiggle_params(index: int, *, seed: int = 0) -> SquiggleParams:
    """Draw the parameters for squiggle ``index`` of ``seed`` (cheap; no rendering)."""
    rng = np.random.default_rng([seed, index, 0x5C])
    complexity = rng.uniform()
    return SquiggleParams(
        index=index,
        n_strokes=int(rng.choice([1, 1, 1, 2, 2, 3])),
        steps=int(30 + complexity * 150),
        size=float(rng.uniform(0.35, 0.9)),
        loopiness=float(rng.uniform(0.0, 0.045) * (0.3 + complexity)),
        width=float(rng.uniform(0.7, 2.4)),
        pressure_var=float(rng.uniform(0.1, 0.7)),
    )


def render_squiggle(params: SquiggleParams, *, seed: int = 0, size: int = 64) -> np.ndarray:
    """Render one squiggle as a (size, size) float32 ink field in [0, 1]."""
    rng = np.random.default_rng([seed, params.index, 0xD7])
    big = size * SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    pen = ImageDraw.Draw(canvas)
    strokes = [_stroke_points(rng, params.steps, params.loopiness) for _ in range(params.n_strokes)]
    # Strokes share one frame so several strokes form one figure, not a collage.
    for i in range(1, len(strokes)):
        strokes[i] = strokes[i] + strokes[i - 1][-1] * rng.uniform(0.2, 0.8)
    everything = np.concatenate(strokes)
    lo, hi = everything.min(axis=0), everything.max(axis=0)
    span = float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-6))
    centre = (lo + hi) / 2.0
    scale = params.size * big / span
    offset = np.array([big / 2.0, big / 2.0]) + rng.uniform(-0.1, 0.1, size=2) * big
    for points in strokes:
        # Resample densely so stamped discs overlap into a continuous line.
        seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)]) * scale
        n = max(2, int(arc[-1] / (SUPERSAMPLE * 0.5)))
        grid = np.linspace(0.0, arc[-1], n)
        xy = np.stack([np.interp(grid, arc, points[:, k]) for k in range(2)], axis=1)
        xy = (xy - centre) * scale + offset
        tremor = _smooth_noise(rng, n, knots=max(4, n // 12)) * 0.6 * SUPERSAMPLE
        xy[:, 0] += tremor
        xy[:, 1] += np.roll(tremor, n // 3)
        pressure = 1.0 + params.pressure_var * _smooth_noise(rng, n, knots=int(rng.integers(3, 8)))
        taper = np.minimum(1.0, np.minimum(grid, grid[-1] - grid) / (6.0 * SUPERSAMPLE) + 0.35)
        radius = np.maximum(0.5, params.width * pressure * taper * SUPERSAMPLE / 2.0)
        for (x, y), r in zip(xy, radius, strict=True):
            pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = canvas.resize((size, size), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def squiggle_set(
    count: int, *, seed: int = 0, start: int = 0, size: int = 64
) -> tuple[np.ndarray, list[SquiggleParams]]:
    """Render squiggles ``start .. start+count-1``: (count, size, size) float32 ink fields and
    their parameters. Disjoint ``start`` ranges give disjoint train and held-out sets."""
    params = [squiggle_params(start + i, seed=seed) for i in range(count)]
    images = np.stack([render_squiggle(p, seed=seed, size=size) for p in params])
    return images, params
