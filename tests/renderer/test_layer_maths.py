"""Pure per-frame maths: transforms, reactive hooks, crossfade timing, slots, ink storage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from renderer.crossfade import CrossfadeClock, fade_progress
from renderer.ink import InkFieldStore, InkImageError, as_ink_image, upsample_bspline
from renderer.reactive import (
    decay_onset_envelope,
    ink_color,
    react,
    sanitize_beat_phase,
    sanitize_features,
    trail_keep,
)
from renderer.settings import LayerFeatures, ReactiveSettings
from renderer.slots import SlotsFullError, SlotTable
from renderer.transform import (
    edge_half_width,
    fitted_extent,
    internal_size,
    layer_matrix,
    pixels_per_texel,
    present_steepness,
)


def field_point(m: np.ndarray, u: float, v: float) -> tuple[float, float]:
    s, t = m @ np.array([u, v, 1.0])
    return float(s), float(t)


# -- transforms ---------------------------------------------------------------------------
def test_fit_modes_on_a_wide_frame():
    assert fitted_extent("contain", 16 / 9, 1.0) == (1.0, 1.0)
    assert fitted_extent("cover", 16 / 9, 1.0) == pytest.approx((16 / 9, 16 / 9))
    assert fitted_extent("stretch", 16 / 9, 1.0) == (16 / 9, 1.0)
    assert fitted_extent("contain", 0.5, 1.0) == (0.5, 0.5)  # portrait frame


def test_identity_layer_maps_frame_corners_to_field_corners():
    m = layer_matrix(
        position=(0, 0), scale=1, rotation_deg=0, fit="stretch", frame_aspect=2, field_aspect=1
    )
    assert field_point(m, 0, 1) == pytest.approx((0, 0))  # frame top-left -> image row 0, col 0
    assert field_point(m, 1, 0) == pytest.approx((1, 1))
    assert field_point(m, 0.5, 0.5) == pytest.approx((0.5, 0.5))


def test_position_scale_and_rotation():
    m = layer_matrix(
        position=(0.5, 0), scale=0.5, rotation_deg=0, fit="contain", frame_aspect=1, field_aspect=1
    )
    assert field_point(m, 0.75, 0.5) == pytest.approx(
        (0.5, 0.5)
    )  # centre moved halfway to the right edge
    assert field_point(m, 1.0, 0.75) == pytest.approx((1.0, 0.0))
    r = layer_matrix(
        position=(0, 0), scale=1, rotation_deg=90, fit="contain", frame_aspect=1, field_aspect=1
    )
    # turned 90° counter-clockwise, the image's top edge (t = 0) faces left
    assert field_point(r, 0.0, 0.5) == pytest.approx((0.5, 0.0))
    assert field_point(r, 0.5, 1.0) == pytest.approx((1.0, 0.5))


def test_vanishing_layer_has_no_matrix():
    assert (
        layer_matrix(
            position=(0, 0), scale=0, rotation_deg=0, fit="contain", frame_aspect=1, field_aspect=1
        )
        is None
    )


def test_edge_width_follows_magnification():
    ppt = pixels_per_texel(
        scale=1, fit="contain", frame_aspect=16 / 9, field_shape=(64, 64), frame_height=1080
    )
    assert ppt == pytest.approx(1080 / 64)
    assert edge_half_width(ppt, 0.0) == pytest.approx((1 / 3) / ppt)
    assert edge_half_width(0.1, 0.0) == 0.5  # minified: as soft as it gets
    assert edge_half_width(ppt, 1.0) == 0.5


def test_internal_size_and_present_width():
    assert internal_size((1920, 1080), 180) == (320, 180)
    assert internal_size((64, 32), 180) == (64, 32)
    assert internal_size((64, 32), None) == (64, 32)
    assert present_steepness(1080, 180, 0.0) == 1.0
    assert present_steepness(1080, 180, 1.0) == pytest.approx(6.0)
    assert present_steepness(1080, 180, 0.5) == pytest.approx(3.5)
    assert present_steepness(100, 180, 1.0) == 1.0  # never softer than bilinear


# -- reactive -------------------------------------------------------------------------------
def test_sanitize_features_clamps_and_counts():
    clean, fixed = sanitize_features(
        LayerFeatures(level=2.0, onset=float("nan"), centroid=-1, flatness=0.3)
    )
    assert (clean.level, clean.onset, clean.centroid, clean.flatness) == (1.0, 0.0, 0.0, 0.3)
    assert fixed == 3
    ok = LayerFeatures(level=0.5)
    assert sanitize_features(ok) == (ok, 0)
    with pytest.raises(TypeError, match="LayerFeatures"):
        sanitize_features({"level": 1})


def test_beat_phase_wraps_and_drops_nan():
    assert sanitize_beat_phase(1.25) == (0.25, 0)
    assert sanitize_beat_phase(-0.25) == (0.75, 0)
    assert sanitize_beat_phase(float("inf")) == (None, 1)
    assert sanitize_beat_phase(None) == (None, 0)


def test_onset_envelope_holds_peaks_and_decays():
    env = decay_onset_envelope(0.0, 1.0, 0.0, 0.1)
    assert env == 1.0
    env = decay_onset_envelope(env, 0.0, 0.1, 0.1)
    assert env == pytest.approx(math.exp(-1))
    assert decay_onset_envelope(0.2, 0.5, 0.01, 0.1) == 0.5
    assert decay_onset_envelope(0.5, 0.0, -1.0, 0.1) == 0.5  # time going backwards


def test_trails_are_frame_rate_independent():
    assert trail_keep(0.9, 1 / 60) == pytest.approx(0.9)
    two_at_120 = trail_keep(0.9, 1 / 120) ** 2
    assert two_at_120 == pytest.approx(trail_keep(0.9, 1 / 60))
    assert trail_keep(0.0, 1 / 60) == 0.0


def test_react_maps_each_hook():
    r = ReactiveSettings(
        level_scale=0.5,
        level_brightness=0.4,
        onset_flash=0.5,
        onset_pulse=0.2,
        beat_pulse=1.0,
        beat_sway=10.0,
        centroid_hue=90.0,
        flatness_softness=0.5,
    )
    loud = react(r, LayerFeatures(level=1.0, centroid=1.0, flatness=1.0), 1.0, 0.0)
    assert loud.scale_gain == pytest.approx(1.5 * 1.2 * 2.0)
    assert loud.brightness == 1.0 and loud.flash == 0.5
    assert loud.hue_shift_deg == pytest.approx(90.0) and loud.softness == 0.5
    quiet = react(r, LayerFeatures(level=0.0), 0.0, 0.25)
    assert quiet.brightness == pytest.approx(0.6)
    assert quiet.rotation_deg == pytest.approx(10.0)  # sin(2π · 0.25)
    assert quiet.scale_gain == pytest.approx(1 + 0.75**3)


def test_no_features_means_no_modulation():
    frame = react(ReactiveSettings(), None, 0.0, None)
    assert (frame.scale_gain, frame.brightness, frame.flash, frame.rotation_deg) == (
        1.0,
        1.0,
        0.0,
        0.0,
    )


def test_ink_color_brightness_flash_and_hue():
    from renderer.reactive import ReactiveFrame

    assert ink_color((1.0, 0.5, 0.0), ReactiveFrame(brightness=0.5)) == (0.5, 0.25, 0.0)
    assert ink_color((0.0, 0.0, 0.0), ReactiveFrame(flash=1.0)) == (1.0, 1.0, 1.0)
    assert ink_color((1.0, 0.0, 0.0), ReactiveFrame(hue_shift_deg=120.0)) == pytest.approx(
        (0, 1, 0)
    )


# -- crossfade ----------------------------------------------------------------------------------
def test_fade_progress():
    assert fade_progress(0.5, 0.0, 1.0) == 0.5
    assert fade_progress(-1.0, 0.0, 1.0) == 0.0
    assert fade_progress(3.0, 0.0, 1.0) == 1.0
    assert fade_progress(0.0, 0.0, 0.0) == 1.0


def test_auto_crossfade_learns_the_generation_interval():
    clock = CrossfadeClock(smoothing=1.0)
    clock.push(0.0)
    assert clock.mix(0.0) == 1.0  # first frame: shown at once
    clock.push(0.1)
    assert clock.duration == pytest.approx(0.1)
    assert clock.mix(0.15) == pytest.approx(0.5)
    clock.push(0.1)  # a burst at the same time teaches nothing
    assert clock.interval == pytest.approx(0.1)
    clock.push(5.0)  # a stall is capped
    assert clock.duration == clock.max_auto


def test_fixed_crossfade_duration():
    clock = CrossfadeClock()
    clock.push(1.0, fixed_duration=0.5)
    assert clock.mix(1.25) == pytest.approx(0.5)


# -- slots ----------------------------------------------------------------------------------
def test_slots_are_reused_lowest_first():
    table = SlotTable(3)
    assert [table.acquire(x) for x in "abc"] == [0, 1, 2]
    assert table.acquire("b") == 1
    with pytest.raises(SlotsFullError, match="all 3 layer slots"):
        table.acquire("d")
    assert table.release("a") == 0 and table.release("a") is None
    assert table.acquire("d") == 0 and len(table) == 3


# -- ink ------------------------------------------------------------------------------------
def test_ink_image_validation():
    assert as_ink_image(np.zeros((4, 5, 1), np.uint8), 8).shape == (4, 5)
    with pytest.raises(InkImageError, match="uint8"):
        as_ink_image(np.zeros((4, 4), np.float32), 8)
    with pytest.raises(InkImageError, match="2-D"):
        as_ink_image(np.zeros((4, 4, 3), np.uint8), 8)
    with pytest.raises(InkImageError, match="larger field_size"):
        as_ink_image(np.zeros((9, 4), np.uint8), 8)


def test_upsample_keeps_constants_and_smooths_steps():
    assert np.all(upsample_bspline(np.full((5, 7), 200, np.uint8)) == 200)
    step = np.zeros((1, 8), np.uint8)
    step[:, 4:] = 255
    row = upsample_bspline(step)[0].astype(int)
    assert row.shape == (16,)
    assert np.all(np.diff(row) >= 0) and row[0] == 0 and row[-1] == 255
    assert 0 < row[7] < 128 < row[8] < 255  # the edge is smooth and centred


def test_store_makes_the_shown_frame_the_previous_one():
    store = InkFieldStore(slots=2, field_size=4)
    a = np.full((4, 4), 200, np.uint8)
    b = np.zeros((4, 4), np.uint8)
    store.put(1, a, shown_mix=1.0)
    assert store.take_dirty() == [1] and store.take_dirty() == []
    assert np.all(store.pairs[1] == 200)  # first frame: both halves equal
    store.put(1, b, shown_mix=1.0)
    assert np.all(store.pairs[1, :, :, 0] == 200) and np.all(store.pairs[1, :, :, 1] == 0)
    store.put(1, a, shown_mix=0.25)  # mid-fade: previous = 200·0.75 + 0·0.25
    assert np.all(store.pairs[1, :, :, 0] == 150) and np.all(store.pairs[1, :, :, 1] == 200)
    assert store.extent(1) == (1.0, 1.0)


def test_smaller_image_sits_in_the_corner_with_paper_around():
    store = InkFieldStore(slots=1, field_size=8)
    store.put(0, np.full((4, 2), 255, np.uint8), shown_mix=1.0)
    assert store.extent(0) == (0.25, 0.5)
    assert np.all(store.pairs[0, :8, :4, 1] == 255) and np.all(store.pairs[0, :, 4:, 1] == 0)
    store.clear(0)
    assert store.extent(0) is None and not store.pairs[0].any()


# -- tiles --------------------------------------------------------------------------------
def test_layer_bounds_invert_the_placement():
    from renderer.frame_plan import layer_bounds

    m = layer_matrix(
        position=(0.5, 0), scale=0.5, rotation_deg=0, fit="contain", frame_aspect=1, field_aspect=1
    )
    assert layer_bounds(m) == pytest.approx((0.5, 0.25, 1.0, 0.75))
    turned = layer_matrix(
        position=(0, 0), scale=0.5, rotation_deg=45, fit="contain", frame_aspect=1, field_aspect=1
    )
    half_diagonal = 0.25 * math.sqrt(2)
    assert layer_bounds(turned) == pytest.approx(
        (0.5 - half_diagonal, 0.5 - half_diagonal, 0.5 + half_diagonal, 0.5 + half_diagonal)
    )
    gone = layer_matrix(
        position=(5, 0), scale=0.5, rotation_deg=0, fit="contain", frame_aspect=1, field_aspect=1
    )
    assert layer_bounds(gone) is None


def test_tiles_list_only_overlapping_layers():
    from renderer.frame_plan import DrawLayer, plan_tiles

    def layer(bounds):
        return DrawLayer(0, np.eye(2, 3), (1.0, 1.0), (1, 1, 1), 1.0, 1.0, 0.5, 0.1, 0, bounds)

    left, everywhere, nowhere = layer((0.0, 0.0, 0.3, 1.0)), layer((0, 0, 1, 1)), layer(None)
    tiles = plan_tiles([left, everywhere, nowhere], (100, 50), (50, 50))
    assert [(t.x, t.y, t.width, t.height) for t in tiles] == [(0, 0, 50, 50), (50, 0, 50, 50)]
    assert tiles[0].layers == (0, 1) and tiles[1].layers == (1,)
    covered = sum(t.width * t.height for t in plan_tiles([], (257, 143), (64, 48)))
    assert covered == 257 * 143  # tiles cover the frame exactly, odd sizes included


def test_pack_tiles_places_each_tiles_layers_at_its_stride():
    from renderer.frame_plan import LAYER_DTYPE, Tile, pack_tiles

    records = np.zeros(3, LAYER_DTYPE)
    records["ints"][:, 0] = [7, 8, 9]
    tiles = [Tile(0, 0, 1, 1, (0, 2)), Tile(1, 0, 1, 1, ()), Tile(2, 0, 1, 1, (1,))]
    blob = pack_tiles(records, tiles, capacity=4, stride=4 * 80 + 16)
    blocks = [np.frombuffer(blob[i * 336 : i * 336 + 320], LAYER_DTYPE) for i in range(3)]
    assert list(blocks[0]["ints"][:, 0]) == [7, 9, 0, 0]
    assert not blocks[1]["ints"].any()
    assert list(blocks[2]["ints"][:, 0]) == [8, 0, 0, 0]
    with pytest.raises(ValueError, match="smaller than one block"):
        pack_tiles(records, tiles, capacity=4, stride=100)


def _draw_layer(bounds, softness_half_width: float = 0.0):
    from renderer.frame_plan import DrawLayer

    return DrawLayer(
        3, np.eye(2, 3), (1.0, 1.0), (1, 1, 1), 1.0, 1.0, 0.5, 0.1, 2, bounds, softness_half_width
    )


def test_ink_box_holds_every_layer_grown_by_the_margin():
    from renderer.frame_plan import ink_box

    layers = [_draw_layer((0.25, 0.5, 0.5, 0.75)), _draw_layer((0.5, 0.0, 0.75, 0.5))]
    assert ink_box(layers, (100, 40), margin=2.0) == (23, 0, 54, 32)
    assert ink_box([_draw_layer((0.0, 0.0, 1.0, 1.0))], (100, 40), margin=5.0) == (0, 0, 100, 40)
    assert ink_box([_draw_layer(None)], (100, 40), margin=2.0) is None
    assert ink_box([], (100, 40), margin=2.0) is None


def test_layer_records_carry_the_frame_index_and_softness():
    from renderer.frame_plan import layer_records

    records = layer_records([_draw_layer(None), _draw_layer(None, 0.25)])
    assert list(records["ints"][:, 2]) == [0, 1]  # index in the frame's whole list
    assert list(records["ints"][:, :2].ravel()) == [3, 2, 3, 2]  # slot, blend mode
    np.testing.assert_allclose(records["params"][1], [1.0, 0.5, 0.1, 0.25])


def gathered_upsample(image: np.ndarray, factor: int) -> np.ndarray:
    """The B-spline upsampling written the plain way, one gather per tap (the spec that
    :func:`upsample_bspline`'s sliced sums must match to the bit)."""
    from renderer.ink import upsample_taps

    def along_rows(values: np.ndarray) -> np.ndarray:
        indices, weights = upsample_taps(values.shape[0], factor)
        out = values[indices[:, 0]] * weights[:, 0, None]
        for tap in range(1, 4):
            out += values[indices[:, tap]] * weights[:, tap, None]
        return out

    rows = along_rows(image.astype(np.float32))
    return np.clip(np.rint(along_rows(rows.T).T), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (2, 3), (5, 7), (64, 64), (65, 33)])
def test_upsample_equals_the_gathered_sums_bit_for_bit(shape, factor):
    image = np.random.default_rng(sum(shape) * factor).integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(upsample_bspline(image, factor), gathered_upsample(image, factor))


def test_store_blends_only_the_corner_and_keeps_paper_around_it():
    """Fields smaller than the texture: a mid-fade push gives what blending the whole
    layer would, and paper stays 0 around the image."""
    rng = np.random.default_rng(7)
    store = InkFieldStore(slots=1, field_size=8)
    first, second = (rng.integers(0, 256, (3, 5), dtype=np.uint8) for _ in range(2))
    store.put(0, first, shown_mix=1.0)
    before = store.pairs[0].astype(np.float64)
    store.put(0, second, shown_mix=0.3)
    expected = np.rint(before[:, :, 0] * 0.7 + before[:, :, 1] * 0.3)
    np.testing.assert_array_equal(store.pairs[0, :, :, 0], expected)
    np.testing.assert_array_equal(store.pairs[0, :6, :10, 1], upsample_bspline(second))
    assert not store.pairs[0, 6:].any() and not store.pairs[0, :, 10:].any()
