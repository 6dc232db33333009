"""Compositor behaviour on a real GL context: orientation, crossfade, trails, freeze, master,
audio reactions, crisp upscaling, slots and bad input."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from renderer.compositor import Compositor
from renderer.ink import InkImageError
from renderer.settings import (
    LayerFeatures,
    LayerSettings,
    MasterSettings,
    ReactiveSettings,
)
from renderer.slots import SlotsFullError
from tests.renderer.conftest import full_ink

QUIET = ReactiveSettings.off()


def plain(**extra) -> LayerSettings:
    """A full-frame, non-reactive layer; ``extra`` overrides any field."""
    return LayerSettings(**{"blend": "normal", "fit": "stretch", "reactive": QUIET, **extra})


@pytest.fixture
def small(ctx):
    comp = Compositor(ctx, (4, 4), internal_height=None, max_layers=4, field_size=16)
    yield comp
    comp.release()


def test_image_row_zero_is_the_top_of_the_frame(ctx):
    comp = Compositor(ctx, (8, 4), internal_height=None, field_size=64)
    ink = np.zeros((64, 64), np.uint8)
    ink[:32, :32] = 255  # top-left quadrant
    comp.set_layer("q", plain(tint=(1, 0, 0)))
    comp.push_image("q", ink, 0.0)
    comp.render(0.0)
    red = comp.read()[..., 0]
    assert red.shape == (4, 8)
    assert np.all(red[:2, :4] == 255) and np.all(red[2:, :] == 0) and np.all(red[:, 4:] == 0)
    comp.release()


def test_position_moves_the_layer(small):
    small.set_layer("x", plain(position=(1.0, 0.0)))  # centre on the right edge
    small.push_image("x", full_ink(), 0.0)
    small.render(0.0)
    grey = small.read()[..., 1]
    assert np.all(grey[:, :2] == 0) and np.all(grey[:, 2:] == 255)


def test_crossfade_between_generated_frames(small):
    small.set_layer("x", plain(crossfade=1.0, softness=1.0))
    small.push_image("x", full_ink(), 0.0)
    small.push_image("x", np.zeros((4, 4), np.uint8), 1.0)
    values = []
    for t in (1.0, 1.5, 2.0):
        small.render(t)
        values.append(int(small.read()[0, 0, 0]))
    # ink 1 -> 0.5 -> 0 through smoothstep(0, 1, ink): 255, 128, 0
    assert values[0] == 255 and abs(values[1] - 128) <= 1 and values[2] == 0


def test_trails_fade_the_previous_frame_towards_the_background(small):
    small.scene.set_master(MasterSettings(background=(0.0, 0.0, 0.2), trails=0.5, trails_on=True))
    small.set_layer("x", plain(tint=(1, 1, 1)))
    small.push_image("x", full_ink(), 0.0)
    small.render(0.0)
    small.scene.update_layer("x", muted=True)
    small.render(1 / 60)  # keep 0.5 of the previous frame
    got = small.read()[0, 0].astype(float)
    want = np.array([0.5, 0.5, 0.2 + 0.5 * 0.8]) * 255
    assert np.abs(got - want).max() <= 1.0
    small.scene.update_master(trails_on=False)
    small.render(2 / 60)
    np.testing.assert_array_equal(small.read()[0, 0], [0, 0, 51])


@pytest.mark.parametrize("ink", ["stroke", "field"])
def test_scroll_moves_the_trails_by_whole_pixels_without_blurring(ctx, ink):
    """A bar drawn once scrolls left at ``scroll`` frame widths per second: 60 px wide at
    0.25 widths/s and 30 fps is half a pixel a frame, so it moves one pixel every second
    frame, its profile exactly as drawn (only faded by the trails' keep, never blurred);
    what scrolls in at the right is background."""
    comp = Compositor(ctx, (60, 8), internal_height=None, field_size=16, ink=ink)
    comp.scene.set_master(MasterSettings(trails=0.999, trails_on=True, scroll=0.25, ink=ink))
    bar = np.zeros((16, 16), np.uint8)
    bar[:, 12:] = 255  # the field's right quarter: columns 45 … 59 of the frame
    comp.set_layer("x", plain(tint=(1, 1, 1)))
    comp.push_image("x", bar, 0.0)
    comp.render(0.0)
    comp.scene.update_layer("x", muted=True)
    comp.render(1 / 30)  # the trails alone, not moved yet (half a pixel is carried)
    first = comp.read()[4, :, 0].astype(float)
    assert first[-1] > 250 and first[30] == 0
    for frame in range(2, 21):
        comp.render(frame / 30)
        row = comp.read()[4, :, 0].astype(float)
        shift = frame // 2
        kept = 0.999 ** (2 * (frame - 1))  # trails are per 1/60 s
        # (within the half-float feedback's rounding; a blur would move edges by tens)
        np.testing.assert_allclose(row[: 60 - shift], first[shift:] * kept, atol=3.0)
        assert not row[60 - shift :].any()  # background scrolled in
    comp.release()


def test_freeze_holds_the_picture_until_released(small):
    small.set_layer("x", plain())
    small.push_image("x", full_ink(), 0.0)
    small.render(0.0)
    small.scene.update_master(freeze=True)
    small.push_image("x", np.zeros((4, 4), np.uint8), 0.1)
    small.render(0.2)
    assert small.read()[0, 0, 0] == 255 and small.stats.frozen_frames == 1
    small.scene.update_master(freeze=False)
    small.render(0.2)
    assert small.read()[0, 0, 0] == 0


def test_master_opacity_and_brightness(small):
    small.set_layer("x", plain(tint=(0.8, 0.4, 0.2)))
    small.push_image("x", full_ink(), 0.0)
    small.scene.set_master(MasterSettings(opacity=0.5, brightness=1.0))
    small.render(0.0)
    np.testing.assert_allclose(small.read_rgba()[0, 0], [102, 51, 25.5, 127.5], atol=1)
    small.scene.set_master(MasterSettings(brightness=1.25))
    small.render(0.0)
    np.testing.assert_allclose(small.read()[0, 0], [255, 127.5, 63.75], atol=1)


def test_onset_flashes_towards_white_then_decays(small):
    reactive = ReactiveSettings.off()
    reactive = ReactiveSettings(**{**reactive.__dict__, "onset_flash": 1.0, "onset_decay": 0.1})
    small.set_layer(
        "x", LayerSettings(tint=(1, 0, 0), fit="stretch", blend="normal", reactive=reactive)
    )
    small.push_image("x", full_ink(), 0.0)
    small.render(0.0, {"x": LayerFeatures(onset=1.0)})
    np.testing.assert_array_equal(small.read()[0, 0], [255, 255, 255])
    small.render(0.1, {"x": LayerFeatures(onset=0.0)})  # envelope e^-1
    g = small.read()[0, 0, 1] / 255
    assert g == pytest.approx(np.exp(-1), abs=1.5 / 255)


def test_level_scales_the_layer(small):
    reactive = ReactiveSettings(**{**QUIET.__dict__, "level_scale": 1.0})
    small.set_layer("x", plain(scale=0.5, reactive=reactive))
    small.push_image("x", full_ink(), 0.0)
    small.render(0.0, {"x": LayerFeatures(level=0.0)})
    quiet = (small.read()[..., 0] > 0).sum()
    small.render(0.0, {"x": LayerFeatures(level=1.0)})  # scale 0.5 -> 1.0
    loud = (small.read()[..., 0] > 0).sum()
    assert (quiet, loud) == (4, 16)


def test_bad_features_and_beat_phase_are_counted_not_fatal(small):
    small.set_layer("x", plain())
    small.push_image("x", full_ink(), 0.0)
    small.render(0.0, {"x": LayerFeatures(level=float("nan"), onset=7.0)}, beat_phase=float("nan"))
    assert small.stats.features_fixed == 2 and small.stats.beat_phases_dropped == 1
    assert small.read()[0, 0, 0] == 255


def test_bad_images_raise_clear_errors(small):
    with pytest.raises(InkImageError, match="uint8"):
        small.push_image("x", np.ones((4, 4)), 0.0)
    with pytest.raises(InkImageError, match="between 1×1 and 16×16"):
        small.push_image("x", np.zeros((17, 4), np.uint8), 0.0)


def test_slots_fill_up_and_free_on_removal(small):
    for i in range(4):
        small.push_image(i, full_ink(), 0.0)
    with pytest.raises(SlotsFullError, match="max_layers"):
        small.push_image(4, full_ink(), 0.0)
    small.remove_layer(0)
    small.push_image(4, full_ink(), 0.0)
    assert small.layer_slots()[4] == 0
    small.scene.remove_layer(4)  # removed through the shared scene: freed at the next render
    small.render(0.0)
    assert 4 not in small.layer_slots()


def test_push_image_from_another_thread(small):
    small.set_layer("x", plain(tint=(0, 1, 0)))
    worker = threading.Thread(target=small.push_image, args=("x", full_ink(), 0.0))
    worker.start()
    worker.join()
    small.render(0.0)
    np.testing.assert_array_equal(small.read()[0, 0], [0, 255, 0])


def test_mixed_image_sizes_share_the_texture_array(small):
    small.set_layer("big", plain(tint=(1, 0, 0), blend="plus-lighter"))
    small.set_layer("tiny", plain(tint=(0, 0, 1), blend="plus-lighter"))
    small.push_image("big", full_ink(16, 16), 0.0)
    small.push_image("tiny", full_ink(2, 3), 0.0)
    small.render(0.0)
    assert np.all(small.read() == [255, 0, 255])


def edge_widths(row: np.ndarray) -> int:
    """Pixels strictly between background and full ink along a row."""
    return int(((row > 12) & (row < 243)).sum())


def test_upscale_keeps_a_64px_field_crisp_at_high_resolution(ctx):
    """A 64² disc composited at 144 rows, shown at 720: count blurred pixels across it."""
    yy, xx = np.mgrid[0:64, 0:64]
    disc = (np.hypot(yy - 31.5, xx - 31.5) < 20).astype(np.uint8) * 255
    widths = {}
    for upscale in ("crisp", "balanced", "soft"):
        comp = Compositor(ctx, (720, 720), internal_height=144, field_size=64, upscale=upscale)
        comp.set_layer("d", LayerSettings(blend="normal", reactive=QUIET))
        comp.push_image("d", disc, 0.0)
        comp.render(0.0)
        frame = comp.read()[..., 0]
        widths[upscale] = edge_widths(frame[360])
        inside, outside = frame[360, 360], frame[360, 20]
        comp.release()
        assert inside == 255 and outside == 0
    assert widths["crisp"] <= 2  # two edges, at most a pixel each, at 5× magnification
    assert widths["balanced"] <= 4
    assert widths["soft"] >= 2 * widths["balanced"]  # plain bilinear is visibly softer


def test_sharpness_zero_is_plain_bilinear(ctx):
    frames = []
    for upscale, sharpness in (("soft", 1.0), ("crisp", 0.0)):
        comp = Compositor(ctx, (96, 96), internal_height=24, field_size=16, upscale=upscale)
        comp.scene.set_master(MasterSettings(sharpness=sharpness))
        comp.set_layer("x", plain())
        comp.push_image("x", np.eye(16, dtype=np.uint8) * 255, 0.0)
        comp.render(0.0)
        frames.append(comp.read())
        comp.release()
    np.testing.assert_array_equal(frames[0], frames[1])


def test_resize_changes_output_and_internal_size(ctx):
    comp = Compositor(ctx, (64, 36), internal_height=18)
    assert comp.internal_size == (32, 18)
    comp.resize((128, 72))
    comp.render(0.0)
    assert comp.read().shape == (72, 128, 3) and comp.internal_size == (32, 18)
    with pytest.raises(ValueError, match="size must be"):
        comp.resize((0, 10))
    comp.release()


def test_tiled_composite_equals_one_pass(ctx):
    """Splitting the composite pass into tiles must not change a single pixel."""
    from renderer.synthetic import SyntheticSet

    synthetic = SyntheticSet(12, seed=3, field_size=32)
    frames = []
    for tile_size in (None, (16, 12)):
        comp = Compositor(ctx, (160, 90), internal_height=None, field_size=32, tile_size=tile_size)
        comp.scene.set_master(MasterSettings(trails=0.8, trails_on=True, background=(0.1, 0, 0.2)))
        for i in range(12):
            comp.set_layer(i, synthetic.settings(i))
        for k in range(3):  # a few frames so trails carry content across tiles
            t = k / 30
            for i in range(12):
                comp.push_image(i, synthetic.field(i, t), t)
            comp.render(
                t, {i: synthetic.features(i, t) for i in range(12)}, synthetic.beat_phase(t)
            )
        frames.append(comp.read())
        comp.release()
    assert frames[0].std() > 10  # a busy picture, not an empty one
    np.testing.assert_array_equal(frames[0], frames[1])


def test_auto_internal_height_follows_the_largest_image(ctx):
    comp = Compositor(ctx, (1280, 720))  # field_size 128, internal "auto"
    assert comp.internal_size == (256, 144)
    comp.push_image("big", full_ink(128, 128), 0.0)
    comp.render(0.0)
    assert comp.internal_size == (512, 288)
    comp.remove_layer("big")
    comp.push_image("small", full_ink(64, 64), 0.1)
    comp.render(0.1)
    assert comp.internal_size == (256, 144)
    assert comp.read().shape == (720, 1280, 3)
    comp.release()


def test_an_overlay_lands_where_its_box_says_in_the_read_back_frame(ctx):
    """The form strip's path: an RGBA image over the finished frame, row 0 at the top of
    its box, blended source-over, in the compositor's own (read-back) framebuffer."""
    from renderer.overlay import OverlayError

    comp = Compositor(ctx, (64, 48), internal_height=None, field_size=16)
    image = np.zeros((2, 4, 4), np.uint8)
    image[0] = (255, 0, 0, 255)  # top row red, opaque
    image[1] = (0, 64, 0, 128)  # bottom row: half-transparent green, premultiplied
    comp.set_overlay(image, (8, 40, 16, 8))  # 16×8 px at the frame's lower left
    comp.render(0.0)
    frame = comp.read()
    assert (frame[40:44, 8:24] == (255, 0, 0)).all()
    assert (frame[44:48, 8:24, 1] == 64).all() and (frame[44:48, 8:24, 0] == 0).all()
    assert frame[:40].max() == 0 and frame[:, :8].max() == 0 and frame[:, 24:].max() == 0
    comp.set_overlay(None)
    comp.render(1 / 60)
    assert comp.read().max() == 0
    with pytest.raises(OverlayError, match="H×W×4"):
        comp.set_overlay(np.zeros((2, 2, 3), np.uint8), (0, 0, 2, 2))
    with pytest.raises(OverlayError, match="positive size"):
        comp.set_overlay(image, (0, 0, 0, 2))
    comp.release()


def test_read_rgba_into_an_array_equals_a_fresh_read(small):
    small.set_layer(0, plain(tint=(1.0, 0.5, 0.25)))
    small.push_image(0, full_ink(), 0.0)
    small.render(1.0)
    out = np.zeros((4, 4, 4), np.uint8)
    assert small.read_rgba(out) is out
    np.testing.assert_array_equal(out, small.read_rgba())
    with pytest.raises(ValueError, match="C-contiguous 4×4×4 uint8"):
        small.read_rgba(np.zeros((4, 4, 3), np.uint8))
