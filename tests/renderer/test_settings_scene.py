"""Settings validation and the shared scene's ordering, mute/solo and thread-safe updates."""

from __future__ import annotations

import threading

import pytest

from renderer.scene import Scene
from renderer.settings import (
    LayerFeatures,
    LayerSettings,
    MasterSettings,
    ReactiveSettings,
    SettingsError,
    tint_from_live_color,
)


def test_live_colour_to_tint():
    assert tint_from_live_color(0xFF0080) == (1.0, 0.0, 128 / 255)
    assert tint_from_live_color(0) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("bad", [-1, 0x1000000, 1.5, True, "red"])
def test_bad_live_colour_is_rejected(bad):
    with pytest.raises(SettingsError, match="0x00RRGGBB"):
        tint_from_live_color(bad)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("opacity", 1.5, "opacity must be within 0.0..1.0"),
        ("opacity", float("nan"), "opacity must be within"),
        ("blend", "add", "blend must be one of normal"),
        ("tint", (1, 0), "3 components"),
        ("tint", (1, 0, 2), r"tint\[2\] must be within"),
        ("fit", "fill", "fit must be one of"),
        ("muted", 1, "muted must be True or False"),
        ("position", 3, "position must be"),
        ("crossfade", -1.0, "crossfade must be within"),
    ],
)
def test_layer_settings_name_the_bad_field(field, value, message):
    with pytest.raises(SettingsError, match=message):
        LayerSettings(**{field: value})


def test_settings_are_normalised_to_floats_and_tuples():
    s = LayerSettings(opacity=1, tint=[1, 0, 0], position=[0, 1])
    assert s.opacity == 1.0 and isinstance(s.opacity, float)
    assert s.tint == (1.0, 0.0, 0.0) and s.position == (0.0, 1.0)


def test_master_and_reactive_validation():
    with pytest.raises(SettingsError, match="trails"):
        MasterSettings(trails=1.0)
    with pytest.raises(SettingsError, match="background_alpha"):
        MasterSettings(background_alpha=2)
    with pytest.raises(SettingsError, match="ink"):
        MasterSettings(ink="vector")
    assert MasterSettings().ink == "stroke"
    assert MasterSettings().layers_on
    with pytest.raises(SettingsError, match="layers_on"):
        MasterSettings(layers_on=1)
    with pytest.raises(SettingsError, match="onset_decay"):
        ReactiveSettings(onset_decay=0.0)
    off = ReactiveSettings.off()
    assert off.level_scale == off.onset_flash == off.level_brightness == 0.0


def test_scene_draw_order_is_order_then_insertion():
    scene = Scene()
    scene.set_layer("c", LayerSettings(order=1))
    scene.set_layer("a", LayerSettings())
    scene.set_layer("b", LayerSettings())
    assert [lid for lid, _ in scene.snapshot().layers] == ["a", "b", "c"]
    scene.update_layer("a", order=2)
    assert [lid for lid, _ in scene.snapshot().layers] == ["b", "c", "a"]
    scene.set_layer("b", LayerSettings())  # replacing keeps its insertion rank
    assert [lid for lid, _ in scene.snapshot().layers] == ["b", "c", "a"]


def test_mute_hides_and_solo_isolates():
    scene = Scene()
    for lid in "abc":
        scene.set_layer(lid, LayerSettings())
    scene.update_layer("a", muted=True)
    assert [lid for lid, _ in scene.snapshot().visible()] == ["b", "c"]
    scene.update_layer("c", solo=True)
    assert [lid for lid, _ in scene.snapshot().visible()] == ["c"]
    scene.update_layer("a", solo=True)  # muted beats solo, like a mixer channel
    assert [lid for lid, _ in scene.snapshot().visible()] == ["c"]


def test_scene_errors_and_versions():
    scene = Scene()
    with pytest.raises(KeyError, match="add it with set_layer"):
        scene.update_layer("missing", opacity=0.5)
    with pytest.raises(TypeError, match="LayerSettings"):
        scene.set_layer("x", {"opacity": 1})
    with pytest.raises(SettingsError):
        scene.update_master(opacity=3)
    v0 = scene.snapshot().version
    assert scene.ensure_layer("x") == LayerSettings()
    assert scene.snapshot().version == v0 + 1
    assert scene.remove_layer("x") and not scene.remove_layer("x")
    assert "x" not in scene and len(scene) == 0


def test_concurrent_updates_never_lose_a_layer():
    scene = Scene()

    def writer(prefix: str) -> None:
        for i in range(200):
            scene.set_layer((prefix, i), LayerSettings(order=i % 7))
            scene.snapshot()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "xyz"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(scene.snapshot().layers) == 600


def test_features_default_to_silence():
    f = LayerFeatures()
    assert (f.level, f.onset, f.centroid, f.flatness) == (0.0, 0.0, 0.5, 0.0)
