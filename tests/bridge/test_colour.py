"""Colour that follows tone (bridge/show/colour.py): the colour maths, without GL."""

from __future__ import annotations

import colorsys
import math
from itertools import pairwise

import pytest

from bridge.generate.analysis_feed import FeatureRecord
from bridge.ingest.protocol import MasterControl
from bridge.ingest.registry import DeviceParams
from bridge.show import colour
from bridge.show.looks import Looks, TrackInfo
from bridge.show.presets import capture, load_preset, save_preset
from renderer.settings import tint_from_live_color

ORANGE = 0xE08020  # a Live track colour


def note(pitch_class: int, *, level: float = 1.0, tonalness: float = 1.0) -> FeatureRecord:
    chroma = tuple(1.0 if k == pitch_class else 0.0 for k in range(12))
    return FeatureRecord(level=level, chroma=chroma, tonalness=tonalness)


def hsv(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(*rgb)


def hue_turn(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """Degrees from a's hue to b's, in (−180, 180]."""
    turn = (hsv(b)[0] - hsv(a)[0]) * 360.0
    return (turn + 180.0) % 360.0 - 180.0


def test_circle_of_fifths_direction_of_a_chroma() -> None:
    fifths = [colour.fifths_index(pc) for pc in (0, 7, 2, 9, 4, 11, 6, 5)]
    assert fifths == [0, 1, 2, 3, 4, 5, 6, 11]  # C G D A E B F♯ … F
    for pitch_class in range(12):
        angle, length = colour.chroma_direction(note(pitch_class).chroma)
        expected = 2 * math.pi * colour.fifths_index(pitch_class) / 12
        assert math.isclose(math.cos(angle), math.cos(expected), abs_tol=1e-9)
        assert math.isclose(math.sin(angle), math.sin(expected), abs_tol=1e-9)
        assert math.isclose(length, 1.0)
    assert colour.chroma_direction([1.0 / 12] * 12)[1] < 1e-9  # an even spread: no direction
    assert colour.chroma_direction([0.0] * 12) == (0.0, 0.0)
    c_major = [0.0] * 12
    c_major[0] = c_major[4] = c_major[7] = 1 / 3
    angle, length = colour.chroma_direction(c_major)
    assert 0.0 < math.degrees(angle) < 120.0 and length > 0.6  # inside the C-G-D-A-E arc
    with pytest.raises(ValueError, match="12 pitch classes"):
        colour.chroma_direction([1.0] * 7)


def test_track_mode_is_the_live_colour() -> None:
    assert colour.tint("track", ORANGE, note(7, level=0.1)) == tint_from_live_color(ORANGE)


def test_tone_mode_stays_in_the_family_and_every_pitch_class_has_its_own_shade() -> None:
    base = tint_from_live_color(ORANGE)
    tints = [colour.tint("tone", ORANGE, note(pc)) for pc in range(12)]
    assert tints[0] == pytest.approx(base)  # C: the track's own colour
    assert len({tuple(round(c, 4) for c in t) for t in tints}) == 12
    for pc in range(12):
        assert abs(hue_turn(base, tints[pc])) <= colour.TONE_SPREAD + 1e-6
    sharp = [hue_turn(base, tints[pc]) for pc in (7, 2, 9, 4, 11)]  # G D A E B
    flat = [hue_turn(base, tints[pc]) for pc in (5, 10, 3, 8, 1)]  # F B♭ E♭ A♭ D♭
    assert all(t > 1.0 for t in sharp) and all(t < -1.0 for t in flat)
    assert hsv(tints[6])[1] < hsv(tints[0])[1]  # F♯, across the circle: palest
    # Without a clear pitch (a drum) the hue stays the family's; silence only dims.
    assert hue_turn(base, tints[7]) == pytest.approx(colour.TONE_SPREAD / 2)  # a fifth up
    assert hue_turn(base, tints[5]) == pytest.approx(-colour.TONE_SPREAD / 2)  # a fifth down
    assert hue_turn(base, tints[9]) == pytest.approx(colour.TONE_SPREAD)  # A: the most
    drum = colour.tint("tone", ORANGE, note(7, tonalness=0.0))
    assert drum == pytest.approx(base)
    quiet = colour.tint("tone", ORANGE, note(0, level=0.0))
    assert hsv(quiet)[2] == pytest.approx(hsv(base)[2] * colour.LEVEL_FLOOR)
    assert hsv(quiet)[0] == pytest.approx(hsv(base)[0])


def test_confidence_is_clear_for_a_triad_and_near_zero_for_drums() -> None:
    triad = [0.0] * 12
    triad[4] = triad[7] = triad[11] = 1 / 3  # E minor
    angle, sure = colour.confidence(FeatureRecord(chroma=tuple(triad), tonalness=0.53))
    assert sure == 1.0 and 90.0 < math.degrees(angle) < 120.0  # between G and B, near E
    spread = tuple(1 / 12 + (0.02 if k == 9 else 0.0) for k in range(12))
    assert colour.confidence(FeatureRecord(chroma=spread, tonalness=0.3))[1] < 0.05


def test_wheel_mode_maps_pitch_class_to_one_wheel_whatever_the_track_colour() -> None:
    assert colour.tint("wheel", ORANGE, note(0)) == pytest.approx((1.0, 0.0, 0.0))  # C red
    for pitch_class in range(12):
        a = colour.tint("wheel", ORANGE, note(pitch_class))
        b = colour.tint("wheel", 0x2040FF, note(pitch_class))
        assert a == b
        assert hsv(a)[0] * 360 == pytest.approx(30.0 * colour.fifths_index(pitch_class))
    noise = colour.tint("wheel", ORANGE, note(0, tonalness=0.0))
    assert hsv(noise)[1] == pytest.approx(colour.WHEEL_PALE)
    assert hsv(colour.tint("wheel", ORANGE, note(9, level=0.5)))[2] == pytest.approx(
        colour.level_value(0.5)
    )
    with pytest.raises(ValueError, match="colour mode"):
        colour.tint("rainbow", ORANGE, note(0))


def test_looks_colour_layers_by_their_features_and_presets_keep_the_mode(tmp_path) -> None:
    bass = TrackInfo("a", "00000000-1111-4111-8111-111111111111", "Bass", 0x3366FF, 0, True,
                     DeviceParams(), 1)  # fmt: skip
    looks = Looks()
    looks.sync([bass])
    looks.advance(0.0)
    assert looks.apply(MasterControl("colour", "wheel")) == 1
    looks.compose(0.0, {"a": note(7)}, 16 / 9)
    settings = looks.settings("a")
    assert hsv(settings.tint)[0] * 360 == pytest.approx(30.0)  # G: orange
    assert settings.reactive.level_brightness == 0.0  # the tint carries the level already
    looks.apply(MasterControl("colour", "track"))
    assert looks.settings("a").tint == tint_from_live_color(looks.layers["a"].info.color)
    assert looks.settings("a").reactive.level_brightness > 0.0
    looks.apply(MasterControl("colour", "tone"))
    save_preset(looks, "tones", tmp_path)
    other = Looks()
    load_preset(other, "tones", tmp_path)
    assert other.colour == "tone" and capture(other).master["colour"] == "tone"
    with pytest.raises(ValueError, match="colour"):
        Looks(colour_mode="sepia")


def test_tone_mode_has_no_jump_round_the_circle_of_fifths() -> None:
    """A pitch gliding all the way round the circle of fifths (two neighbouring pitch
    classes cross-faded in 16 steps each) changes the tint by small steps only, F♯ included:
    a melody around F♯ does not flicker between the two ends of the family."""
    base = tint_from_live_color(ORANGE)
    steps = []
    for k in range(12):
        here, there = (7 * k) % 12, (7 * (k + 1)) % 12  # neighbours on the circle of fifths
        for j in range(16):
            chroma = [0.0] * 12
            chroma[here], chroma[there] = 1.0 - j / 16, j / 16
            steps.append(
                colour.tint(
                    "tone", ORANGE, FeatureRecord(chroma=tuple(chroma), tonalness=1.0, level=1.0)
                )
            )
    steps.append(steps[0])
    jumps = [max(abs(a - b) for a, b in zip(p, q, strict=True)) for p, q in pairwise(steps)]
    assert max(jumps) < 0.06  # 1/192 of the loop: no step larger than a small shade change
    assert max(abs(hue_turn(base, t)) for t in steps) <= colour.TONE_SPREAD + 1e-6
