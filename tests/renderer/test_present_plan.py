"""Which output tiles stroke mode's present may skip (renderer/present_plan.py), without GL:
the ramp limits, the footprints, the plain-tile test against a direct per-tile check, and
rectangles that cover exactly the tiles that need the present."""

from __future__ import annotations

import numpy as np
import pytest

from renderer.present_plan import (
    PLAIN_TILE,
    PresentPlan,
    exact_limits,
    footprints,
    plain_tiles,
    plan_present,
    stroke_rects,
)

CENTRE = (128, 128)  # an edge record's code when it names no layer
CODE = (255, 128)  # a layer's code on the circle


def records(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A black opaque picture with no edge anywhere (as the background pass writes it)."""
    colour = np.zeros((height, width, 4), np.uint8)
    colour[..., 3] = 255
    edge = np.zeros((height, width, 4), np.uint8)
    edge[..., 0] = 128
    edge[..., 1:3] = CENTRE
    return colour, edge


def ramp(distance_byte: float, gain: float) -> float:
    """The stroke present's coverage for a filtered stored distance (GLSL smoothstep)."""
    x = min(1.0, max(0.0, 0.5 + (distance_byte - 128.0) / 255.0 * gain))
    return x * x * (3.0 - 2.0 * x)


@pytest.mark.parametrize("scale", [1.0, 2.5, 5.0, 7.5])
def test_the_limits_lie_where_the_ramp_is_exactly_0_and_1(scale):
    gain = 255.0 / 127.0 * 2.0 * scale  # the compositor's u_distance_gain
    low, high = exact_limits(gain)
    assert ramp(low + 1, gain) == 0.0 and ramp(high - 1, gain) == 1.0  # one step to spare
    assert 0.0 < ramp(128, gain) < 1.0
    with pytest.raises(ValueError, match="positive"):
        exact_limits(0.0)


@pytest.mark.parametrize(("out_side", "in_side"), [(720, 144), (1080, 144), (100, 37), (64, 64)])
def test_footprints_hold_every_texel_a_tiles_bilinear_samples_touch(out_side, in_side):
    first, last = footprints(out_side, in_side, PLAIN_TILE)
    for tile, (lo, hi) in enumerate(zip(first, last, strict=True)):
        pixels = np.arange(tile * PLAIN_TILE, min(out_side, (tile + 1) * PLAIN_TILE))
        position = (pixels + 0.5) / out_side * in_side - 0.5
        touched = np.concatenate([np.floor(position), np.floor(position) + 1])
        touched = np.clip(touched, 0, in_side - 1)
        assert lo <= touched.min() - (touched.min() > 0)  # one texel of margin below
        assert hi >= touched.max() + (touched.max() < in_side - 1)  # and above
        assert 0 <= lo <= hi <= in_side - 1


def direct_plain(colour, edge, out_size, limits, tile, widest=False):
    """The plain test written out tile by tile, for comparison; ``widest``: every window
    as wide as the widest along its axis (as plain_tiles takes them)."""
    low, high = limits
    rows = footprints(out_size[1], colour.shape[0], tile)
    cols = footprints(out_size[0], colour.shape[1], tile)
    if widest:
        rows = (rows[0], rows[0] + (rows[1] - rows[0]).max())
        cols = (cols[0], cols[0] + (cols[1] - cols[0]).max())
    plain = np.zeros((rows[0].size, cols[0].size), bool)
    for r in range(rows[0].size):
        for c in range(cols[0].size):
            window = (slice(rows[0][r], rows[1][r] + 1), slice(cols[0][c], cols[1][c] + 1))
            col, rec = colour[window].reshape(-1, 4), edge[window].reshape(-1, 4)
            if (col != col[0]).any():
                continue
            centre = (np.abs(rec[:, 1:3].astype(int) - 128) <= 2).all(axis=1)
            outside = (centre | (rec[:, 0] <= low)) & (rec[:, 3] == 0)
            inside = ~centre & (rec[:, 0] >= high) & (rec[:, 3] == 255)
            plain[r, c] = outside.all() or inside.all()
    return plain


def test_plain_tiles_agree_with_a_direct_check_on_random_records():
    rng = np.random.default_rng(5)
    limits = exact_limits(20.0)
    for _ in range(20):
        colour, edge = records(18, 32)
        # blobs of ink colour, edge records of each kind, partial coverage here and there
        for _ in range(6):
            y, x = rng.integers(0, 18), rng.integers(0, 32)
            h, w = rng.integers(1, 6), rng.integers(1, 8)
            kind = rng.integers(0, 4)
            block = (slice(y, y + h), slice(x, x + w))
            if kind == 0:  # inside a stroke: ink colour, coverage 1
                colour[block] = (200, 40, 40, 255)
                edge[block] = (250, *CODE, 255)
            elif kind == 1:  # outside a stroke, off the ramp
                edge[block] = (20, *CODE, 0)
            elif kind == 2:  # on the edge: partial coverage
                edge[block] = (130, *CODE, 90)
                colour[block] = (90, 20, 20, 255)
            else:  # a stray colour step
                colour[block] = (0, 0, 1, 255)
        out_size = (160, 90)
        plain, colours = plain_tiles(colour, edge, out_size, limits, tile=8)
        # never plain where the exact footprint is not (the windows may be a texel wider)
        assert not (plain & ~direct_plain(colour, edge, out_size, limits, 8)).any()
        wide = direct_plain(colour, edge, out_size, limits, 8, widest=True)
        np.testing.assert_array_equal(plain, wide)
        first_rows = footprints(90, 18, 8)[0]
        first_cols = footprints(160, 32, 8)[0]
        expected = colour.view(np.uint32)[..., 0][first_rows][:, first_cols]
        np.testing.assert_array_equal(colours[plain], expected[plain])


def test_near_the_ramp_or_mixed_kinds_is_not_plain():
    limits = exact_limits(20.0)
    low, high = limits
    colour, edge = records(8, 8)
    edge[:, :] = (low + 1, *CODE, 0)  # outside, but within the ramp's reach
    assert not plain_tiles(colour, edge, (8, 8), limits, tile=8)[0].any()
    edge[:, :] = (low, *CODE, 0)
    assert plain_tiles(colour, edge, (8, 8), limits, tile=8)[0].all()
    edge[:4] = (high, *CODE, 255)  # half inside, half outside: the ramp varies between
    assert not plain_tiles(colour, edge, (8, 8), limits, tile=8)[0].any()
    edge[:, :] = (high, *CODE, 255)
    assert plain_tiles(colour, edge, (8, 8), limits, tile=8)[0].all()
    edge[:, :] = (128, *CENTRE, 0)  # no edge at all
    assert plain_tiles(colour, edge, (8, 8), limits, tile=8)[0].all()
    with pytest.raises(ValueError, match="alike"):
        plain_tiles(colour, edge[:4], (8, 8), limits)


def covered(rects, out_size) -> np.ndarray:
    mask = np.zeros((out_size[1], out_size[0]), np.int32)
    for x, y, w, h in rects:
        assert w > 0 and h > 0 and x >= 0 and y >= 0
        assert x + w <= out_size[0] and y + h <= out_size[1]
        mask[y : y + h, x : x + w] += 1
    return mask


@pytest.mark.parametrize("seed", range(6))
def test_stroke_rects_cover_every_needed_tile_once_and_few_others(seed):
    rng = np.random.default_rng(seed)
    out_size = (1280, 720)
    need = rng.random((45, 80)) < 0.15
    need[10:30, 20:50] = True  # a block, stacked into few rectangles
    rects = stroke_rects(need, out_size, tile=16)
    mask = covered(rects, out_size)
    assert mask.max() == 1  # no pixel is shaded twice
    tiles = mask.reshape(45, 16, 80, 16).max(axis=(1, 3)).astype(bool)
    assert tiles[need].all()
    extra = tiles & ~need
    # only single-tile gaps between runs of a row are drawn besides the needed tiles
    for row, col in zip(*np.nonzero(extra), strict=True):
        assert need[row, col - 1] and need[row, col + 1]
    assert len(rects) < need.sum() / 2


def test_stroke_rects_clip_to_a_frame_that_is_no_whole_number_of_tiles():
    need = np.ones((3, 3), bool)
    assert stroke_rects(need, (40, 33), tile=16) == [(0, 0, 40, 33)]
    assert stroke_rects(np.zeros((3, 3), bool), (40, 33), tile=16) == []


def test_a_plan_clears_the_commonest_plain_colour_and_presents_the_rest():
    colour, edge = records(36, 64)
    colour[20:36, 40:64] = (10, 200, 10, 255)  # a flat green patch, plain inside
    edge[20:36, 40:64] = (250, *CODE, 255)
    edge[5:9, 5:20] = (140, *CODE, 100)  # an edge: not plain
    out_size = (320, 180)
    plan = plan_present(colour, edge, out_size, distance_gain=20.0)
    assert isinstance(plan, PresentPlan)
    black = int(colour[0, 0].view(np.uint32)[0])
    assert plan.fill == black
    x, y = plan.probe
    mask = covered(plan.rects, out_size)
    assert mask[y, x] == 0  # the probe lies in a cleared tile
    assert mask[5 * 5 : 9 * 5, 5 * 5 : 20 * 5].all()  # the edge's pixels are presented
    assert mask[30 * 5 :, 45 * 5 : 60 * 5].all()  # the green patch is not the fill colour
    assert 0.0 < plan.stroke_share(out_size) < 0.5
    everywhere = edge.copy()
    everywhere[..., 3] = 100
    none_plain = plan_present(colour, everywhere, out_size, distance_gain=20.0)
    assert none_plain == PresentPlan(None, None, ((0, 0, *out_size),))
