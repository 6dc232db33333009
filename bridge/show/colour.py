"""Colour that follows tone: a layer's tint from its track colour, pitch class and level.

Pure colour maths (no GL, no clock): :class:`~bridge.show.looks.Looks` calls :func:`tint`
once per layer and frame with the track's Live colour and its :class:`FeatureRecord`
(whose ``chroma`` is already smoothed over ~0.25 s, bridge/generate/analysis_feed.py, so a
steady note holds a steady colour). Three modes, the master ``colour`` property:

- ``track``: Live's track colour as it is (the look before colour followed tone).
- ``tone``: the track's colour family, turned by what it plays. The chroma's mean on the
  circle of fifths (below), at angle θ from C, turns the hue by :data:`TONE_SPREAD` · sin θ
  — the sharp side (G, D, A, E, B) one way, most at A, the flat side (F, B♭, E♭, A♭, D♭)
  the other, most at E♭ — and pales the colour by :data:`TONE_PALING` · (1 − cos θ) / 2,
  most at F♯, a tritone from C. The circle of fifths thus maps onto a closed loop around
  the track's own colour: no jump anywhere (a melody round F♯ does not flicker), and every
  pitch class has its own shade within the track's family. How far it turns is scaled by the
  *confidence* (:func:`confidence`): a kick or hi-hat keeps its family's own hue.
  Brightness follows level.
- ``wheel``: one colour wheel for the whole picture, whatever the track colours: the
  pitch class's place on the circle of fifths is its hue, C red (0°), G orange (30°),
  D yellow (60°), A yellow-green, E green (120°), B, F♯ cyan (180°), D♭, A♭ blue (240°),
  E♭ violet, B♭ magenta (300°), F rose. The order is Scriabin's (his "clavier à lumières"
  for *Prometheus* runs red, orange, yellow, green, blues, violet round the circle of
  fifths); evenly spaced hues make it a wheel. Why the circle of fifths rather than the
  chromatic circle: notes a fifth apart sound related and here look related, and a
  consonant chord sits in one arc (C, G and E within 120°) so its mean is a colour inside
  that arc, where on the chromatic circle the same notes spread over 210° and their mean
  means little. Unpitched sound is pale (saturation follows the
  confidence), so drums read as light and the harmony as colour. Brightness follows level.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

from bridge.generate.analysis_feed import FeatureRecord
from bridge.ingest.protocol import COLOUR_NAMES
from renderer.settings import RGB, tint_from_live_color

#: The master ``colour`` modes, in the order a controller's index counts them.
COLOUR_MODES: tuple[str, ...] = COLOUR_NAMES
DEFAULT_COLOUR = "track"
#: ``tone``: degrees the hue turns at most either way from the track's own (at A and E♭);
#: kept under half the 30–60° between neighbouring Live colours so families stay apart.
TONE_SPREAD = 40.0
#: tonalness × the chroma mean's length at which a pitch counts as fully clear (a plain
#: triad reaches about 0.35, one held tone 0.9, a kick about 0.02, hi-hats under 0.01).
CLEAR_PITCH = 0.3
#: ``tone``: fraction of the saturation taken away at the far side of the circle (F♯).
TONE_PALING = 0.4
#: Brightness (HSV value) factor of a silent track; full level gives 1.
LEVEL_FLOOR = 0.35
#: ``wheel``: saturation of sound without a clear pitch class (tonalness 0).
WHEEL_PALE = 0.15


def fifths_index(pitch_class: int) -> int:
    """Place of a pitch class (0 = C … 11 = B) on the circle of fifths: C 0, G 1, D 2 …"""
    return (pitch_class * 7) % 12


def chroma_direction(chroma: Sequence[float]) -> tuple[float, float]:
    """Mean of a chroma on the circle of fifths: ``(angle, length)``.

    ``chroma`` is 12 non-negative shares, C first (summing to 1, or all 0). ``angle`` is in
    radians in (−π, π], 0 at C and π/6 per fifth upwards (G at π/6, F at −π/6); ``length``
    is 0 … 1: 1 for one pitch class alone, 0 for none or an even spread. Raises ValueError
    unless there are 12 shares.
    """
    if len(chroma) != 12:
        raise ValueError(f"a chroma has 12 pitch classes, got {len(chroma)}")
    total = sum(max(0.0, float(c)) for c in chroma)
    if total <= 0.0:
        return 0.0, 0.0
    x = y = 0.0
    for pitch_class, share in enumerate(chroma):
        angle = 2.0 * math.pi * fifths_index(pitch_class) / 12.0
        x += max(0.0, float(share)) * math.cos(angle)
        y += max(0.0, float(share)) * math.sin(angle)
    length = math.hypot(x, y) / total
    if length < 1e-9:
        return 0.0, 0.0
    return math.atan2(y, x), min(1.0, length)


def confidence(record: FeatureRecord) -> tuple[float, float]:
    """``(angle, confidence)``: the direction of the record's chroma on the circle of fifths
    (see :func:`chroma_direction`) and how clearly it has one, 0 … 1: tonalness × the
    mean's length over :data:`CLEAR_PITCH`, clamped."""
    angle, length = chroma_direction(record.chroma)
    tonal = min(1.0, max(0.0, record.tonalness))
    return angle, min(1.0, length * tonal / CLEAR_PITCH)


def level_value(level: float) -> float:
    """Brightness factor (HSV value multiplier) for a level 0 … 1 (clamped)."""
    return LEVEL_FLOOR + (1.0 - LEVEL_FLOOR) * min(1.0, max(0.0, level))


def _clamp_rgb(rgb: tuple[float, float, float]) -> RGB:
    r, g, b = (min(1.0, max(0.0, c)) for c in rgb)
    return (r, g, b)


def tone_tint(color: int, record: FeatureRecord) -> RGB:
    """``tone`` mode: the track colour (Live's 0x00RRGGBB) turned by pitch, dimmed by level."""
    hue, saturation, value = colorsys.rgb_to_hsv(*tint_from_live_color(color))
    angle, sure = confidence(record)
    hue = (hue + TONE_SPREAD / 360.0 * sure * math.sin(angle)) % 1.0
    saturation *= 1.0 - TONE_PALING * sure * (1.0 - math.cos(angle)) / 2.0
    return _clamp_rgb(colorsys.hsv_to_rgb(hue, saturation, value * level_value(record.level)))


def wheel_tint(record: FeatureRecord) -> RGB:
    """``wheel`` mode: the hue of the chroma's mean on the circle of fifths (C red), pale
    when no pitch class leads, dimmed by level; the track colour plays no part."""
    angle, sure = confidence(record)
    hue = (angle / (2.0 * math.pi)) % 1.0
    saturation = WHEEL_PALE + (1.0 - WHEEL_PALE) * sure
    return _clamp_rgb(colorsys.hsv_to_rgb(hue, saturation, level_value(record.level)))


def tint(mode: str, color: int, record: FeatureRecord) -> RGB:
    """A layer's tint in colour ``mode`` (one of :data:`COLOUR_MODES`) for a track of Live
    colour ``color`` (0x00RRGGBB) sounding as ``record`` says. Raises ValueError for an
    unknown mode."""
    if mode == "track":
        return tint_from_live_color(color)
    if mode == "tone":
        return tone_tint(color, record)
    if mode == "wheel":
        return wheel_tint(record)
    raise ValueError(f"colour mode must be one of {', '.join(COLOUR_MODES)}, got {mode!r}")


def accented(rgb: RGB, amount: float) -> RGB:
    """``rgb`` moved ``amount`` (0 … 1, clamped) of the way to white: a recognition flash."""
    u = min(1.0, max(0.0, amount))
    r, g, b = (c + (1.0 - c) * u for c in rgb)
    return (r, g, b)


def turned(rgb: RGB, degrees: float) -> RGB:
    """``rgb`` with its hue turned by ``degrees`` (a section's look); grey stays grey."""
    if degrees % 360.0 == 0.0:
        return rgb
    hue, saturation, value = colorsys.rgb_to_hsv(*rgb)
    return _clamp_rgb(colorsys.hsv_to_rgb((hue + degrees / 360.0) % 1.0, saturation, value))
