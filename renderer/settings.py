"""What a layer and the master look like: plain, validated, GL-free dataclasses.

These are the renderer's whole control surface. The bridge's OSC handlers and the window's
keyboard both produce new instances (with :func:`dataclasses.replace`) and hand them to a
:class:`renderer.scene.Scene`, so neither needs to know the other exists. Instances are
frozen: a snapshot taken by the render loop can never change under it.

Every field is checked on construction and a bad value raises :class:`SettingsError` that
names the field, the value and the allowed range, so a mistyped OSC value fails loudly at
the point where it enters instead of as a black frame later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from renderer.modes import BLEND_MODES, DEFAULT_BLEND_MODE

#: How a layer's ink field is fitted into the frame at scale 1.
FIT_MODES: tuple[str, ...] = ("contain", "cover", "stretch")
#: How ink becomes pixels (the compositor's ``ink``): "stroke" draws stroke edges at the
#: output resolution, "field" composites at the internal size and upscales the picture.
INK_MODES: tuple[str, ...] = ("stroke", "field")

RGB = tuple[float, float, float]


class SettingsError(ValueError):
    """A layer, master or feature value is outside what the renderer accepts."""


def _check_range(owner: str, name: str, value: float, lo: float, hi: float) -> float:
    """Return ``value`` as a float, or raise naming the field when it is outside lo..hi."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{owner}.{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise SettingsError(
            f"{owner}.{name} must be within {lo}..{hi}, got {value!r}; clamp it before passing"
        )
    return number


def _check_rgb(owner: str, name: str, value: object) -> RGB:
    """Return ``value`` as an (r, g, b) tuple of floats in 0..1, or raise naming the field."""
    try:
        parts = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise SettingsError(f"{owner}.{name} must be (r, g, b) in 0..1, got {value!r}") from None
    if len(parts) != 3:
        raise SettingsError(f"{owner}.{name} must have 3 components (r, g, b), got {value!r}")
    r, g, b = (_check_range(owner, f"{name}[{i}]", c, 0.0, 1.0) for i, c in enumerate(parts))
    return (r, g, b)


def tint_from_live_color(color: int) -> RGB:
    """Convert Live's track colour (an int 0x00RRGGBB from the LOM) to an RGB tint in 0..1.

    Raises:
        SettingsError: ``color`` is not an int within 0..0xFFFFFF.
    """
    if isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= 0xFFFFFF:
        raise SettingsError(
            f"a Live colour must be an int 0x000000..0xFFFFFF (0x00RRGGBB), got {color!r}"
        )
    return ((color >> 16 & 0xFF) / 255.0, (color >> 8 & 0xFF) / 255.0, (color & 0xFF) / 255.0)


@dataclass(frozen=True)
class ReactiveSettings:
    """How strongly one layer follows its track's audio features. 0 switches a hook off.

    The defaults react visibly but gently, so a fresh layer already breathes with its track:

    - ``level_scale``: the layer grows by this fraction of its size at full level.
    - ``level_brightness``: how much the tint dims when the track is silent (0 = never).
    - ``onset_flash``: how far an onset pushes the ink colour towards white.
    - ``onset_pulse``: the layer grows by this fraction on an onset.
    - ``onset_decay``: seconds for the onset envelope to fall to 1/e.
    - ``beat_pulse``: size kick at the start of each beat, fading over the beat.
    - ``beat_sway``: degrees of rotation swinging once per beat (beat-locked motion).
    - ``centroid_hue``: degrees the tint's hue turns per unit of centroid above/below 0.5.
    - ``flatness_softness``: noisy (flat-spectrum) sound softens the ink's edges this much.
    """

    level_scale: float = 0.1
    level_brightness: float = 0.5
    onset_flash: float = 0.35
    onset_pulse: float = 0.05
    onset_decay: float = 0.12
    beat_pulse: float = 0.0
    beat_sway: float = 0.0
    centroid_hue: float = 0.0
    flatness_softness: float = 0.0

    def __post_init__(self) -> None:
        limits = {
            "level_scale": (0.0, 4.0),
            "level_brightness": (0.0, 1.0),
            "onset_flash": (0.0, 1.0),
            "onset_pulse": (0.0, 4.0),
            "onset_decay": (0.001, 10.0),
            "beat_pulse": (0.0, 4.0),
            "beat_sway": (-180.0, 180.0),
            "centroid_hue": (-360.0, 360.0),
            "flatness_softness": (0.0, 1.0),
        }
        for f in fields(self):
            lo, hi = limits[f.name]
            value = _check_range("ReactiveSettings", f.name, getattr(self, f.name), lo, hi)
            object.__setattr__(self, f.name, value)

    @classmethod
    def off(cls) -> ReactiveSettings:
        """Settings with every hook switched off: the layer ignores its audio features."""
        return cls(
            level_scale=0.0,
            level_brightness=0.0,
            onset_flash=0.0,
            onset_pulse=0.0,
            beat_pulse=0.0,
            beat_sway=0.0,
            centroid_hue=0.0,
            flatness_softness=0.0,
        )


@dataclass(frozen=True)
class LayerSettings:
    """Everything that decides how one track's ink field is drawn.

    - ``opacity``: 0..1, multiplies the ink's coverage.
    - ``blend``: a name from :data:`renderer.modes.BLEND_MODES`.
    - ``tint``: (r, g, b) in 0..1, the ink colour; see :func:`tint_from_live_color`.
    - ``order``: layers draw bottom to top by increasing ``order`` (ties: first added first).
    - ``position``: (x, y) of the layer's centre; -1 and 1 are the frame's edges, y up.
    - ``scale``: 1 fits the field to the frame as ``fit`` says.
    - ``rotation``: degrees, counter-clockwise.
    - ``fit``: "contain" (whole field visible), "cover" (fill, crop) or "stretch".
    - ``muted``: never drawn. ``solo``: when any layer is soloed only soloed layers draw.
    - ``threshold``: ink value (0..1) where a stroke's edge sits.
    - ``softness``: 0 draws crisp anti-aliased edges, 1 shows the raw field's gradient.
    - ``edge_fade``: 0 … 0.5, the share of the image's side over which its ink fades to
      nothing at the image's border (a smoothstep), so a shape that runs off the generated
      picture closes with a rounded end instead of being cut by a straight line; 0 keeps
      the ink as it is up to the border.
    - ``crossfade``: seconds to fade from the previous generated frame to a new one;
      None estimates it from how often frames arrive, so slow generation still looks fluid.
    - ``reactive``: the audio hooks, see :class:`ReactiveSettings`.
    - ``label``: the layer's name in the HUD (drawing ignores it).
    """

    opacity: float = 1.0
    blend: str = DEFAULT_BLEND_MODE
    tint: RGB = (1.0, 1.0, 1.0)
    order: float = 0.0
    position: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    rotation: float = 0.0
    fit: str = "contain"
    muted: bool = False
    solo: bool = False
    threshold: float = 0.5
    softness: float = 0.0
    edge_fade: float = 0.0
    crossfade: float | None = None
    reactive: ReactiveSettings = field(default_factory=ReactiveSettings)
    #: What the HUD calls the layer (the track's name); empty: its id.
    label: str = ""

    def __post_init__(self) -> None:
        owner = "LayerSettings"
        set_ = object.__setattr__
        set_(self, "opacity", _check_range(owner, "opacity", self.opacity, 0.0, 1.0))
        if self.blend not in BLEND_MODES:
            raise SettingsError(
                f"{owner}.blend must be one of {', '.join(BLEND_MODES)}; got {self.blend!r}"
            )
        set_(self, "tint", _check_rgb(owner, "tint", self.tint))
        set_(self, "order", _check_range(owner, "order", self.order, -1e9, 1e9))
        try:
            x, y = self.position
        except (TypeError, ValueError):
            raise SettingsError(f"{owner}.position must be (x, y), got {self.position!r}") from None
        set_(
            self,
            "position",
            (
                _check_range(owner, "position[0]", x, -100.0, 100.0),
                _check_range(owner, "position[1]", y, -100.0, 100.0),
            ),
        )
        set_(self, "scale", _check_range(owner, "scale", self.scale, 0.0, 100.0))
        set_(self, "rotation", _check_range(owner, "rotation", self.rotation, -1e6, 1e6))
        if self.fit not in FIT_MODES:
            raise SettingsError(f"{owner}.fit must be one of {FIT_MODES}, got {self.fit!r}")
        for flag in ("muted", "solo"):
            if not isinstance(getattr(self, flag), bool):
                raise SettingsError(f"{owner}.{flag} must be True or False")
        set_(self, "threshold", _check_range(owner, "threshold", self.threshold, 0.0, 1.0))
        set_(self, "softness", _check_range(owner, "softness", self.softness, 0.0, 1.0))
        set_(self, "edge_fade", _check_range(owner, "edge_fade", self.edge_fade, 0.0, 0.5))
        if self.crossfade is not None:
            set_(self, "crossfade", _check_range(owner, "crossfade", self.crossfade, 0.0, 60.0))
        if not isinstance(self.reactive, ReactiveSettings):
            raise SettingsError(f"{owner}.reactive must be a ReactiveSettings")


@dataclass(frozen=True)
class MasterSettings:
    """The whole picture's controls.

    - ``opacity``: 0..1 master fader; 0 is black.
    - ``brightness``: 0..4 gain on the final colour.
    - ``background``: (r, g, b) drawn under every layer; ``background_alpha`` below 1
      leaves it (and the frame) partly transparent, for compositing the output elsewhere.
    - ``trails``: 0..0.999, the fraction of the previous frame kept per 1/60 s when
      ``trails_on``; the picture then fades towards the background instead of clearing.
    - ``freeze``: keep showing the last composited picture; new frames still arrive.
    - ``sharpness``: 0..1, how crisp edges stay when the internal picture is upscaled
      (0 plain bilinear, 1 edges about one output pixel wide).
    - ``ink``: one of :data:`INK_MODES`; the compositor switches to it on the next frame
      (trails restart).
    - ``scroll``: with trails on, how fast the kept picture moves sideways, in frame widths
      per second (positive: to the left, as time flows in a score); −10 … 10. It moves by
      whole internal pixels (the fraction carried to the next frame), so nothing blurs.
    - ``layers_on``: whether this frame draws the layers at all; a ``score`` sets it only on
      the frames where it lays its pictures down, and in between only the trails scroll.
      The layers keep their own opacity (what a HUD or controller shows).
    """

    opacity: float = 1.0
    brightness: float = 1.0
    background: RGB = (0.0, 0.0, 0.0)
    background_alpha: float = 1.0
    trails: float = 0.9
    trails_on: bool = False
    freeze: bool = False
    sharpness: float = 1.0
    ink: str = "stroke"
    scroll: float = 0.0
    layers_on: bool = True

    def __post_init__(self) -> None:
        owner = "MasterSettings"
        set_ = object.__setattr__
        set_(self, "opacity", _check_range(owner, "opacity", self.opacity, 0.0, 1.0))
        set_(self, "brightness", _check_range(owner, "brightness", self.brightness, 0.0, 4.0))
        set_(self, "background", _check_rgb(owner, "background", self.background))
        set_(
            self,
            "background_alpha",
            _check_range(owner, "background_alpha", self.background_alpha, 0.0, 1.0),
        )
        set_(self, "trails", _check_range(owner, "trails", self.trails, 0.0, 0.999))
        set_(self, "sharpness", _check_range(owner, "sharpness", self.sharpness, 0.0, 1.0))
        set_(self, "scroll", _check_range(owner, "scroll", self.scroll, -10.0, 10.0))
        for flag in ("trails_on", "freeze", "layers_on"):
            if not isinstance(getattr(self, flag), bool):
                raise SettingsError(f"{owner}.{flag} must be True or False")
        if self.ink not in INK_MODES:
            raise SettingsError(f"{owner}.ink must be one of {INK_MODES}, got {self.ink!r}")


@dataclass(frozen=True)
class LayerFeatures:
    """One display frame's audio features for one track, each normalised to 0..1 by the bridge.

    - ``level``: loudness (e.g. RMS mapped through a dB range).
    - ``onset``: onset strength; 1 is a hard hit.
    - ``centroid``: spectral centroid on a 0..1 scale (e.g. log-frequency 50 Hz..16 kHz).
    - ``flatness``: spectral flatness, 0 tonal, 1 noise.

    Construction does not validate (features arrive every frame from another process); the
    compositor passes them through :func:`renderer.reactive.sanitize_features`, which clamps
    out-of-range values and drops non-finite ones, counting what it fixed.
    """

    level: float = 0.0
    onset: float = 0.0
    centroid: float = 0.5
    flatness: float = 0.0
