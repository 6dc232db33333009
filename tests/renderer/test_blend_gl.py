"""Every blend mode on the GPU against the NumPy W3C reference, within 1/255.

Each case renders a 2×2 frame: the master background is the backdrop (colour Cb, alpha αb)
and one full-ink layer is the source (tint Cs, opacity αs). The output is premultiplied.
"""

from __future__ import annotations

import numpy as np
import pytest

from renderer.blend_math import composite, composite_stack
from renderer.compositor import Compositor
from renderer.modes import BLEND_MODES
from renderer.settings import LayerSettings, MasterSettings, ReactiveSettings, tint_from_live_color
from tests.renderer.conftest import full_ink

COLOUR_PAIRS = [  # (Cb, Cs): spec edge cases (0, 1, 0.25, 0.5 boundaries) and mixed values
    ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)),
    ((0.25, 0.5, 0.75), (0.5, 0.25, 1.0)),
    ((0.2, 0.6, 0.9), (0.8, 0.4, 0.1)),
    ((0.1, 0.3, 0.26), (0.6, 0.7, 0.49)),
    ((0.9, 0.05, 0.5), (0.3, 0.95, 0.51)),
    ((0.28, 0.27, 0.05), (0.9, 0.6, 0.75)),
    *(
        (tuple(pair[0]), tuple(pair[1]))
        for pair in np.random.default_rng(7).random((4, 2, 3)).round(3).tolist()
    ),
]
ALPHAS = [(1.0, 1.0), (0.6, 1.0), (1.0, 0.5), (0.7, 0.4), (0.5, 0.0)]  # (αs, αb)


def layer(tint, opacity: float, blend: str, **extra) -> LayerSettings:
    return LayerSettings(
        tint=tint,
        opacity=opacity,
        blend=blend,
        fit="stretch",
        reactive=ReactiveSettings.off(),
        **extra,
    )


@pytest.fixture
def compositor(ctx):
    comp = Compositor(ctx, (2, 2), internal_height=None, max_layers=4, field_size=8)
    yield comp
    comp.release()


def render_rgba(comp: Compositor, t: float = 0.0) -> np.ndarray:
    comp.render(t)
    return comp.read_rgba().astype(np.float64)


@pytest.mark.parametrize("mode", BLEND_MODES)
def test_blend_mode_matches_w3c_reference(compositor, mode):
    for cb, cs in COLOUR_PAIRS:
        for alpha_s, alpha_b in ALPHAS:
            compositor.scene.set_master(MasterSettings(background=cb, background_alpha=alpha_b))
            compositor.set_layer("src", layer(cs, alpha_s, mode))
            compositor.push_image("src", full_ink(), 0.0)
            got = render_rgba(compositor)
            backdrop = [c * alpha_b for c in cb] + [alpha_b]
            want = composite(backdrop, cs, alpha_s, mode) * 255.0
            err = np.abs(got - want).max()
            assert err <= 1.0, (
                f"{mode} Cb={cb} Cs={cs} αs={alpha_s} αb={alpha_b}: {got[0, 0]} vs {want}"
            )


def test_layer_order_and_stack_match_reference(compositor):
    cb = (0.1, 0.2, 0.3)
    compositor.scene.set_master(MasterSettings(background=cb))
    compositor.set_layer("a", layer((0.9, 0.1, 0.1), 0.8, "normal", order=1))
    compositor.set_layer("b", layer((0.2, 0.7, 0.9), 0.6, "overlay", order=2))
    compositor.push_image("a", full_ink(), 0.0)
    compositor.push_image("b", full_ink(), 0.0)
    got = render_rgba(compositor)
    bg = [*cb, 1.0]
    a_then_b = composite_stack(
        bg, [((0.9, 0.1, 0.1), 0.8, "normal"), ((0.2, 0.7, 0.9), 0.6, "overlay")]
    )
    b_then_a = composite_stack(
        bg, [((0.2, 0.7, 0.9), 0.6, "overlay"), ((0.9, 0.1, 0.1), 0.8, "normal")]
    )
    assert np.abs(got[0, 0] - a_then_b * 255).max() <= 1.0
    compositor.scene.update_layer("a", order=3)  # a now on top
    got = render_rgba(compositor)
    assert np.abs(got[0, 0] - b_then_a * 255).max() <= 1.0
    assert np.abs(a_then_b - b_then_a).max() * 255 > 5  # the two orders really differ


def test_opacity_and_live_colour_tint(compositor):
    tint = tint_from_live_color(0xFF8000)
    compositor.set_layer("x", layer(tint, 0.5, "normal"))
    compositor.push_image("x", full_ink(), 0.0)
    got = render_rgba(compositor)[0, 0]
    np.testing.assert_allclose(got, [127.5, 64.25, 0.0, 255.0], atol=1.0)


def test_output_is_premultiplied_over_transparent_background(compositor):
    compositor.scene.set_master(MasterSettings(background=(0, 0, 0), background_alpha=0.0))
    compositor.set_layer("x", layer((0.4, 0.8, 1.0), 0.5, "screen"))
    compositor.push_image("x", full_ink(), 0.0)
    got = render_rgba(compositor)[0, 0]
    np.testing.assert_allclose(got, [0.2 * 255, 0.4 * 255, 0.5 * 255, 0.5 * 255], atol=1.0)


def test_mute_and_solo(compositor):
    compositor.set_layer("red", layer((1, 0, 0), 1.0, "plus-lighter"))
    compositor.set_layer("blue", layer((0, 0, 1), 1.0, "plus-lighter"))
    for lid in ("red", "blue"):
        compositor.push_image(lid, full_ink(), 0.0)
    np.testing.assert_array_equal(render_rgba(compositor)[0, 0], [255, 0, 255, 255])
    compositor.scene.update_layer("red", muted=True)
    np.testing.assert_array_equal(render_rgba(compositor)[0, 0], [0, 0, 255, 255])
    compositor.scene.update_layer("red", muted=False)
    compositor.scene.update_layer("red", solo=True)
    np.testing.assert_array_equal(render_rgba(compositor)[0, 0], [255, 0, 0, 255])
