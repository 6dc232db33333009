"""Pure logic of the live pipeline: looks, presets, scheduling, mailboxes, latency."""

from __future__ import annotations

import json

import pytest

from bridge.generate.mailbox import Mailbox
from bridge.ingest.protocol import LayerControl, LayerReset, MasterControl, Selector
from bridge.ingest.registry import DeviceParams
from bridge.show.latency import LatencyStats
from bridge.show.looks import Looks, TrackInfo, scaled_reactive
from bridge.show.presets import (
    PresetError,
    capture,
    load_preset,
    parse_preset,
    preset_path,
    save_preset,
)
from renderer.settings import ReactiveSettings

U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"


def info(key, uuid=U1, name="Bass", index=1, live=True, version=1, **params) -> TrackInfo:
    return TrackInfo(
        key=key,
        uuid=uuid,
        name=name,
        color=0xFF8000,
        track_index=index,
        live=live,
        params=DeviceParams(**params),
        params_version=version,
    )


def test_new_layers_fade_in_and_take_device_params_and_colour() -> None:
    looks = Looks(fade_in=0.5, fade_out=1.0)
    looks.sync([info("a", opacity=0.8, blend="overlay")])
    looks.advance(0.0)
    assert looks.settings("a").opacity == 0.0
    looks.advance(0.25)
    assert looks.settings("a").opacity == pytest.approx(0.4)
    looks.advance(1.0)
    s = looks.settings("a")
    assert s.opacity == pytest.approx(0.8) and s.blend == "overlay"
    assert s.tint == pytest.approx((1.0, 128 / 255, 0.0)) and s.order == 1.0


def test_stale_tracks_fade_out_and_departed_ones_are_dropped() -> None:
    looks = Looks(fade_in=0.1, fade_out=1.0)
    looks.sync([info("a")])
    looks.advance(0.0)
    looks.advance(1.0)
    looks.sync([info("a", live=False)])
    looks.advance(1.5)
    assert looks.settings("a").opacity == pytest.approx(0.5)
    looks.sync([])
    assert looks.advance(1.9) == []
    assert looks.advance(2.1) == ["a"] and "a" not in looks.layers


def test_controller_override_survives_resends_until_the_dial_moves() -> None:
    looks = Looks()
    looks.sync([info("a", opacity=1.0)])
    looks.advance(0.0)
    looks.advance(1.0)
    touched = looks.apply(LayerControl(Selector("name", "bass"), "opacity", 0.3))
    assert touched == 1 and looks.settings("a").opacity == pytest.approx(0.3)
    looks.sync([info("a", opacity=1.0, version=1)])  # periodic resend: no change
    assert looks.settings("a").opacity == pytest.approx(0.3)
    looks.sync([info("a", opacity=1.0, blend="multiply", version=2)])  # blend dial moved
    assert looks.settings("a").opacity == pytest.approx(0.3)
    assert looks.settings("a").blend == "multiply"
    looks.sync([info("a", opacity=0.6, blend="multiply", version=3)])  # opacity dial moved
    assert looks.settings("a").opacity == pytest.approx(0.6)


def test_selectors_reset_and_unmatched_controls() -> None:
    looks = Looks()
    looks.sync([info("a", uuid=U1, name="Bass", index=1), info("b", uuid=U2, name="bass", index=2)])
    looks.advance(0.0)
    assert looks.apply(LayerControl(Selector("name", "BASS"), "mute", True)) == 2
    assert looks.apply(LayerControl(Selector("index", 2), "solo", True)) == 1
    assert looks.apply(LayerControl(Selector("uuid", U1), "x", 0.5)) == 1
    assert looks.settings("a").muted and looks.settings("b").solo
    assert looks.settings("a").position == (0.5, 0.0)
    assert looks.apply(LayerReset(Selector("uuid", U1))) == 1
    assert not looks.settings("a").muted
    assert looks.apply(LayerControl(Selector("name", "Drums"), "opacity", 1.0)) == 0
    assert looks.unmatched == 1


def test_master_controls() -> None:
    looks = Looks()
    looks.apply(MasterControl("trails", 0.8))
    assert looks.master.trails_on and looks.master.trails == pytest.approx(0.8)
    looks.apply(MasterControl("trails", 0.0))
    assert not looks.master.trails_on
    looks.apply(MasterControl("background", 0x0000FF))
    assert looks.master.background == (0.0, 0.0, 1.0)
    looks.apply(MasterControl("freeze", True))
    looks.apply(MasterControl("opacity", 0.5))
    assert looks.master.freeze and looks.master.opacity == 0.5


def test_gain_scales_the_audio_reactions() -> None:
    base = ReactiveSettings()
    assert scaled_reactive(0.0, base).level_scale == 0.0
    assert scaled_reactive(2.0, base).onset_pulse == pytest.approx(base.onset_pulse * 2)
    assert scaled_reactive(4.0, base).onset_flash <= 1.0


def test_presets_round_trip_by_track_name(tmp_path) -> None:
    looks = Looks()
    looks.sync([info("a", name="Bass")])
    looks.apply(LayerControl(Selector("name", "Bass"), "blend", "difference"))
    looks.apply(MasterControl("trails", 0.5))
    path = save_preset(looks, "drop-1", tmp_path)
    assert json.loads(path.read_text())["layers"]["Bass"] == {"blend": "difference"}

    other = Looks()
    other.sync([info("x", uuid=U2, name="bass")])
    assert load_preset(other, "drop-1", tmp_path) == 1
    assert other.settings("x").blend == "difference"
    assert other.master.trails_on and other.master.trails == pytest.approx(0.5)
    assert capture(other).layers == {"bass": {"blend": "difference"}}


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"synaesthete_preset": 2}', "must be 1"),
        ('{"synaesthete_preset": 1, "colours": {}}', "unknown key 'colours'"),
        ('{"synaesthete_preset": 1, "master": {"volume": 1}}', "master.volume"),
        ('{"synaesthete_preset": 1, "master": {"trails": 5}}', "master.trails"),
        ('{"synaesthete_preset": 1, "layers": {"Bass": {"opacty": 1}}}', "layers.Bass.opacty"),
        ('{"synaesthete_preset": 1, "layers": {"Bass": {"blend": "x"}}}', "layers.Bass.blend"),
        ('{"synaesthete_preset": 1, "layers": {"Bass": {"opacity": "hi"}}}', "layers.Bass.opacity"),
        ('{"synaesthete_preset": 1, "layers": {"Bass": 3}}', "layers.Bass must be"),
    ],
)
def test_bad_presets_name_the_key(text: str, message: str) -> None:
    with pytest.raises(PresetError, match=message.replace(".", r"\.")):
        parse_preset(text)


def test_preset_names_cannot_escape_and_missing_presets_are_clear(tmp_path) -> None:
    with pytest.raises(PresetError, match="must match"):
        preset_path("../etc/passwd", tmp_path)
    looks = Looks()
    with pytest.raises(PresetError, match="no preset"):
        load_preset(looks, "nothing", tmp_path)
    (tmp_path / "broken.json").write_text('{"synaesthete_preset": 1, "master": {"opacity": 9}}')
    looks.apply(MasterControl("opacity", 0.4))
    with pytest.raises(PresetError):
        load_preset(looks, "broken", tmp_path)
    assert looks.master.opacity == 0.4  # unchanged


def test_mailbox_keeps_only_the_newest() -> None:
    box: Mailbox[int] = Mailbox()
    assert box.take_new(0) is None
    box.post(1)
    box.post(2)
    letter = box.take_new(0)
    assert letter is not None and letter.value == 2 and box.overwritten == 1
    assert box.take_new(letter.version) is None


def test_latency_percentiles() -> None:
    stats = LatencyStats(window=100)
    for ms in range(1, 101):
        stats.add("frame", ms / 1000)
    stats.add("frame", -1.0)  # ignored
    p50, p95 = stats.percentiles("frame")
    assert p50 == pytest.approx(0.0505) and p95 == pytest.approx(0.09505)
    assert stats.summary()["frame"]["count"] == 100
    assert "frame p50 50.5" in stats.format_line()


def test_keyboard_edits_the_looks_like_a_controller() -> None:
    from bridge.show.keyboard import LooksKeyboard

    looks = Looks()
    looks.sync([info("a", uuid=U1, name="Bass", index=1), info("b", uuid=U2, name="Kick", index=0)])
    keys = LooksKeyboard(looks)
    assert keys.layer_ids() == ["b", "a"]  # Live's order: Kick (0) below Bass (1)
    assert keys.handle("2") and keys.selected == "a" and "Bass" in keys.message
    assert keys.handle("b") and looks.settings("a").blend == "overlay"  # screen → overlay
    assert keys.handle("b", shift=True) and looks.settings("a").blend == "screen"
    looks.advance(0.0)
    looks.advance(1.0)
    assert keys.handle("down") and looks.value("a", "opacity") == pytest.approx(0.95)
    assert keys.handle("m") and looks.settings("a").muted
    assert keys.handle("s") and looks.settings("a").solo
    assert keys.handle("tab") and keys.selected == "b"
    assert keys.handle("t") and looks.master.trails_on
    assert keys.handle("[") and looks.master.trails == pytest.approx(0.88)
    assert keys.handle("f") and looks.master.freeze
    assert keys.handle("9") and "no layer 9" in keys.message
    assert keys.handle("e") and looks.expression("b") == 0.75 and looks.expression("a") == 1.0
    for _ in range(4):
        keys.handle("e")
    assert looks.expression("b") == 0.0 and keys.message.endswith("expression 0.00")
    assert keys.handle("e", shift=True) and looks.expression("b") == 0.25
    # Window actions are left to the window; unbound keys too.
    assert not keys.handle("h") and not keys.handle("p") and not keys.handle("z")
    # A device dial move takes the property back from the keyboard.
    looks.sync([info("a", uuid=U1, name="Bass", index=1, version=2, blend="multiply")])
    assert looks.settings("a").blend == "multiply"


def test_keyboard_with_no_layers_says_so() -> None:
    from bridge.show.keyboard import LooksKeyboard

    keys = LooksKeyboard(Looks())
    assert keys.handle("b") and keys.message == "no layers yet"
    assert keys.handle("tab") and keys.message == "no layers yet"


def test_a_mailbox_made_again_for_a_returning_track_is_not_ignored() -> None:
    """The reader remembers the last version it took per track; when the track leaves and
    comes back under the same key, its new mailbox's first picture is still new to it."""
    from bridge.generate.mailbox import Mailbox

    first = Mailbox()
    for i in range(50):
        first.post(i)
    seen = first.take_new(0).version
    again = Mailbox()  # the track was removed and came back: a fresh mailbox
    again.post("back")
    letter = again.take_new(seen)
    assert letter is not None and letter.value == "back"


def test_expression_is_a_layer_property_with_a_show_wide_default(tmp_path) -> None:
    with pytest.raises(ValueError, match="expression"):
        Looks(expression=1.5)
    looks = Looks(expression=0.5)
    looks.sync([info("a", name="Bass"), info("b", uuid=U2, name="Keys", index=2)])
    looks.advance(0.0)
    assert looks.expression("a") == looks.expression("b") == 0.5  # as the show started
    assert looks.apply(LayerControl(Selector("name", "keys"), "expression", 0.0)) == 1
    assert (looks.expression("a"), looks.expression("b")) == (0.5, 0.0)
    save_preset(looks, "quiet", tmp_path)
    assert json.loads(preset_path("quiet", tmp_path).read_text())["layers"]["Keys"] == {
        "expression": 0.0
    }
    looks.apply(LayerReset(Selector("name", "keys")))
    assert looks.expression("b") == 0.5  # back to the show's default, not the style's
    assert load_preset(looks, "quiet", tmp_path) == 1
    assert looks.expression("b") == 0.0


def test_a_preset_loaded_before_a_track_appears_gives_it_its_look(tmp_path) -> None:
    looks = Looks()
    looks.sync([info("a", name="Bass")])
    looks.apply(LayerControl(Selector("name", "bass"), "expression", 0.25))
    looks.apply(LayerControl(Selector("name", "bass"), "blend", "multiply"))
    save_preset(looks, "set", tmp_path)
    fresh = Looks()
    assert load_preset(fresh, "set", tmp_path) == 0  # no tracks yet
    fresh.sync([info("b", name="BASS", uuid=U2), info("c", name="Keys", index=2)])
    assert fresh.expression("b") == 0.25 and fresh.settings("b").blend == "multiply"
    assert fresh.expression("c") == 1.0  # a name the preset does not hold
