"""Audio-reactive maths: from a track's per-frame features to how its layer moves and glows.

Pure functions of (settings, features, beat phase, elapsed time) so the same audio always
gives the same picture, offline or live. The only state is the per-layer onset envelope,
kept by the compositor and advanced here.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, fields

from renderer.settings import RGB, LayerFeatures, ReactiveSettings

_FEATURE_DEFAULTS = LayerFeatures()


def sanitize_features(features: LayerFeatures | None) -> tuple[LayerFeatures, int]:
    """Clamp each feature to 0..1 and replace non-finite ones by their default.

    Returns the clean features and how many values had to be fixed, so the caller can count
    bad input instead of crashing on it or drawing garbage.

    Raises:
        TypeError: ``features`` is not a LayerFeatures (a programming error, not bad data).
    """
    if features is None:
        return _FEATURE_DEFAULTS, 0
    if not isinstance(features, LayerFeatures):
        raise TypeError(f"features must be LayerFeatures, got {type(features).__name__}")
    fixed = 0
    clean: dict[str, float] = {}
    for f in fields(LayerFeatures):
        value = getattr(features, f.name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            number = getattr(_FEATURE_DEFAULTS, f.name)
            fixed += 1
        elif not 0.0 <= number <= 1.0:
            number = min(1.0, max(0.0, number))
            fixed += 1
        clean[f.name] = number
    return (features if fixed == 0 else LayerFeatures(**clean)), fixed


def sanitize_beat_phase(beat_phase: float | None) -> tuple[float | None, int]:
    """Wrap a beat phase into 0..1 (1.25 → 0.25); drop a non-finite one (count 1)."""
    if beat_phase is None:
        return None, 0
    try:
        phase = float(beat_phase)
    except (TypeError, ValueError):
        return None, 1
    if not math.isfinite(phase):
        return None, 1
    return phase % 1.0, 0


def decay_onset_envelope(envelope: float, onset: float, dt: float, decay: float) -> float:
    """Advance a peak-hold envelope: fall by exp(-dt/decay), then jump up to a new onset.

    ``dt`` below 0 (time ran backwards, e.g. a seek) is treated as 0.
    """
    fallen = envelope * math.exp(-max(dt, 0.0) / decay)
    return max(fallen, onset)


def trail_keep(trails: float, dt: float) -> float:
    """Fraction of the previous frame kept after ``dt`` seconds, ``trails`` being per 1/60 s.

    Expressing trails per 1/60 s makes the fade look the same at 30, 60 or 144 fps.
    ``dt`` is clamped to 0..1 s so a stall does not wipe or freeze the trails.
    """
    if trails <= 0.0:
        return 0.0
    return float(trails ** (min(max(dt, 0.0), 1.0) * 60.0))


@dataclass(frozen=True)
class ReactiveFrame:
    """What the audio does to one layer on one frame.

    - ``scale_gain``: multiplies the layer's scale.
    - ``brightness``: multiplies the tint (≤ 1, so tints never clip).
    - ``flash``: 0..1, mixes the ink colour towards white.
    - ``rotation_deg``: added to the layer's rotation.
    - ``hue_shift_deg``: turns the tint's hue.
    - ``softness``: added to the layer's edge softness.
    """

    scale_gain: float = 1.0
    brightness: float = 1.0
    flash: float = 0.0
    rotation_deg: float = 0.0
    hue_shift_deg: float = 0.0
    softness: float = 0.0


def react(
    reactive: ReactiveSettings,
    features: LayerFeatures | None,
    onset_envelope: float,
    beat_phase: float | None,
) -> ReactiveFrame:
    """Map clean features (see :func:`sanitize_features`) to one frame's layer modulation.

    Without features (the layer's track sends none) the level, centroid and flatness hooks
    rest at neutral, so a layer is never dimmed just because nobody measured it. Without a
    beat phase (no transport running) the beat hooks rest too.
    """
    scale_gain = 1.0 + reactive.onset_pulse * onset_envelope
    brightness = 1.0
    hue_shift = softness = 0.0
    if features is not None:
        scale_gain *= 1.0 + reactive.level_scale * features.level
        brightness = 1.0 - reactive.level_brightness * (1.0 - features.level)
        hue_shift = reactive.centroid_hue * (features.centroid - 0.5) * 2.0
        softness = reactive.flatness_softness * features.flatness
    rotation = 0.0
    if beat_phase is not None:
        scale_gain *= 1.0 + reactive.beat_pulse * (1.0 - beat_phase) ** 3
        rotation = reactive.beat_sway * math.sin(2.0 * math.pi * beat_phase)
    return ReactiveFrame(
        scale_gain=scale_gain,
        brightness=brightness,
        flash=min(1.0, reactive.onset_flash * onset_envelope),
        rotation_deg=rotation,
        hue_shift_deg=hue_shift,
        softness=softness,
    )


def ink_color(tint: RGB, frame: ReactiveFrame) -> RGB:
    """The ink colour after hue shift, brightness and onset flash, each channel in 0..1."""
    r, g, b = tint
    if frame.hue_shift_deg:
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        r, g, b = colorsys.hsv_to_rgb((h + frame.hue_shift_deg / 360.0) % 1.0, s, v)
    k = frame.brightness
    r, g, b = r * k, g * k, b * k
    f = frame.flash
    return (r + (1.0 - r) * f, g + (1.0 - g) * f, b + (1.0 - b) * f)
