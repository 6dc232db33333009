"""Keyboard actions on a shared scene, and the HUD's text and raster (no window needed)."""

from __future__ import annotations

import numpy as np
import pytest

from renderer.controls import KEY_BINDINGS, WINDOW_ACTIONS, action_for_key, scene_controls
from renderer.hud import hud_lines, rasterize_lines
from renderer.modes import BLEND_MODES
from renderer.scene import Scene
from renderer.settings import LayerSettings


@pytest.fixture
def controls():
    scene = Scene()
    for name in ("kick", "bass", "pad"):
        scene.set_layer(name, LayerSettings(blend="screen", opacity=0.5))
    return scene_controls(scene)


def test_key_map():
    assert action_for_key("tab") == "select-next"
    assert action_for_key("TAB", shift=True) == "select-previous"
    assert action_for_key("3") == "select-3"
    assert action_for_key("0") is None and action_for_key("x") is None
    assert action_for_key("b", shift=True) == "blend-previous"
    assert action_for_key("escape") == "quit"
    assert action_for_key("c") == "composition-next"
    assert action_for_key("C", shift=True) == "composition-previous"
    assert action_for_key("e") == "expression-down"
    assert action_for_key("E", shift=True) == "expression-up"
    for binding in KEY_BINDINGS:  # every documented action exists in the key map
        key = binding.keys.split(" ")[0].lower().replace("esc", "escape")
        key = {"↑": "up", "1": "1"}.get(key, key)
        assert action_for_key(key) is not None, binding


def test_selection_cycles_and_numbers(controls):
    assert controls.selected_layer() == "kick"
    assert controls.apply("select-next") == "selected layer 2: bass"
    controls.apply("select-previous")
    controls.apply("select-previous")
    assert controls.selected == "pad"
    assert controls.apply("select-2").endswith("bass")
    assert "only 3" in controls.apply("select-9")


def test_blend_opacity_mute_solo_edit_the_shared_scene(controls):
    scene = controls.target.scene
    controls.apply("blend-next")
    assert scene.layer("kick").blend == BLEND_MODES[BLEND_MODES.index("screen") + 1]
    controls.apply("blend-previous")
    controls.apply("blend-previous")
    assert scene.layer("kick").blend == BLEND_MODES[BLEND_MODES.index("screen") - 1]
    for _ in range(20):
        controls.apply("opacity-up")
    assert scene.layer("kick").opacity == 1.0
    controls.apply("opacity-down")
    assert scene.layer("kick").opacity == pytest.approx(0.95)
    controls.apply("mute")
    controls.apply("select-3")
    controls.apply("solo")
    assert scene.layer("kick").muted and scene.layer("pad").solo
    assert [lid for lid, _ in scene.snapshot().visible()] == ["pad"]


def test_master_actions(controls):
    scene = controls.target.scene
    assert controls.apply("trails").startswith("trails on")
    controls.apply("trails-more")
    assert scene.master.trails == pytest.approx(0.92)
    for _ in range(10):
        controls.apply("trails-more")
    assert scene.master.trails == pytest.approx(0.99)
    assert controls.apply("freeze") == "frozen" and scene.master.freeze
    with pytest.raises(ValueError, match="unknown control action"):
        controls.apply("explode")
    assert "quit" in WINDOW_ACTIONS


def test_actions_without_layers_and_after_removal():
    controls = scene_controls(Scene())
    assert controls.apply("mute") == "no layers yet"
    assert controls.apply("select-next") == "no layers yet"
    controls.target.scene.set_layer("a", LayerSettings())
    controls.apply("select-1")
    controls.target.scene.remove_layer("a")
    controls.target.scene.set_layer("b", LayerSettings())
    controls.apply("mute")  # selection falls back to the first existing layer
    assert controls.target.scene.layer("b").muted


def test_hud_lines_and_raster(controls):
    controls.target.scene.update_layer("bass", muted=True)
    controls.apply("select-2")
    lines = hud_lines(
        controls.target.scene.snapshot(),
        fps=59.94,
        selected="bass",
        message="hi",
        extra=["gen 18/30"],
    )
    assert lines[0].startswith(" 59.9 fps  3 layers")
    assert lines[2].startswith("> 2 M  bass") and "screen" in lines[2] and "0.50" in lines[2]
    assert lines[-2:] == ["gen 18/30", "hi"]
    image = rasterize_lines(lines)
    assert image.dtype == np.uint8 and image.shape[2] == 4 and image.shape[0] > 6 * 14
    assert np.all(image[..., :3] <= image[..., 3:4])  # premultiplied
    assert image[..., 0].max() == 255  # some fully white glyph pixels


def test_a_bare_scene_has_no_compositions(controls):
    before = controls.target.scene.snapshot()
    assert controls.apply("composition-next") == "no compositions here"
    assert controls.target.scene.snapshot() == before


def test_a_bare_scene_has_no_expression(controls):
    before = controls.target.scene.snapshot()
    assert "no expression here" in controls.apply("expression-down")
    assert controls.target.scene.snapshot() == before
