"""The NumPy W3C reference itself: spec identities and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from renderer.blend_math import BLEND_FUNCTIONS, blend, composite, composite_stack

GRID = np.linspace(0.0, 1.0, 21)
CB, CS = np.meshgrid(GRID, GRID)


def test_overlay_is_hard_light_with_arguments_swapped():
    np.testing.assert_allclose(blend("overlay", CB, CS), blend("hard-light", CS, CB))


@pytest.mark.parametrize(
    "mode", ["multiply", "screen", "darken", "lighten", "difference", "exclusion"]
)
def test_commutative_modes(mode):
    np.testing.assert_allclose(blend(mode, CB, CS), blend(mode, CS, CB))


@pytest.mark.parametrize("mode", sorted(BLEND_FUNCTIONS))
def test_every_mode_stays_in_unit_range(mode):
    out = blend(mode, CB, CS)
    assert np.all(out >= 0.0) and np.all(out <= 1.0)


def test_hand_computed_values():
    assert blend("multiply", 0.5, 0.5) == pytest.approx(0.25)
    assert blend("screen", 0.5, 0.5) == pytest.approx(0.75)
    assert blend("color-dodge", 0.25, 0.5) == pytest.approx(0.5)  # 0.25 / (1 - 0.5)
    assert blend("color-dodge", 0.0, 1.0) == 0.0  # Cb = 0 wins over Cs = 1
    assert blend("color-dodge", 0.3, 1.0) == 1.0
    assert blend("color-burn", 0.5, 0.75) == pytest.approx(1 - 0.5 / 0.75)
    assert blend("color-burn", 1.0, 0.0) == 1.0  # Cb = 1 wins over Cs = 0
    assert blend("color-burn", 0.5, 0.0) == 0.0
    # soft-light, Cs > 0.5 and Cb <= 0.25: D(Cb) = ((16·Cb − 12)·Cb + 4)·Cb
    d = ((16 * 0.2 - 12) * 0.2 + 4) * 0.2
    assert blend("soft-light", 0.2, 0.75) == pytest.approx(0.2 + 0.5 * (d - 0.2))
    assert blend("soft-light", 0.64, 0.75) == pytest.approx(0.64 + 0.5 * (0.8 - 0.64))
    assert blend("soft-light", 0.5, 0.25) == pytest.approx(0.5 - 0.5 * 0.25)


def test_plus_lighter_is_not_a_blend_function():
    with pytest.raises(ValueError, match="separable modes"):
        blend("plus-lighter", 0.5, 0.5)


def test_normal_over_opaque_is_linear_interpolation():
    out = composite([0.2, 0.4, 0.6, 1.0], (1.0, 0.0, 0.5), 0.25, "normal")
    np.testing.assert_allclose(out, [0.4, 0.3, 0.575, 1.0])


def test_blend_over_transparent_backdrop_is_plain_source_over():
    """With αb = 0 the spec's mix leaves Cs untouched, whatever the mode."""
    for mode in BLEND_FUNCTIONS:
        out = composite([0, 0, 0, 0], (0.3, 0.6, 0.9), 0.5, mode)
        np.testing.assert_allclose(out, [0.15, 0.3, 0.45, 0.5])


def test_plus_lighter_adds_and_clamps():
    out = composite([0.5, 0.2, 0.0, 0.6], (1.0, 0.5, 0.25), 0.8, "plus-lighter")
    np.testing.assert_allclose(out, [1.0, 0.6, 0.2, 1.0])


def test_stack_applies_layers_bottom_first():
    bg = [0, 0, 0, 1.0]
    red, blue = ((1, 0, 0), 1.0, "normal"), ((0, 0, 1), 1.0, "normal")
    np.testing.assert_allclose(composite_stack(bg, [red, blue]), [0, 0, 1, 1])
    np.testing.assert_allclose(composite_stack(bg, [blue, red]), [1, 0, 0, 1])
