"""The look of every layer: device dials, track colour, controller overrides, fades.

Three sources shape a track's layer, and this module is the one place they meet:

- the device's params (opacity, blend, style, gain, stream on/off) and the track's meta
  (colour → tint, index → order);
- overrides from OSC controllers, the keyboard and presets, per property;
- presence: a new track fades in, a silent (stale) or departed track fades out;
- the colour mode (:mod:`bridge.show.colour`): the track colour as it is, or turned by the
  pitch class the track plays, or one pitch-class wheel for the whole picture;
- the composition (:mod:`bridge.show.compositions`): where each layer sits. A controller's
  ``x``/``y`` move a layer *from* its place in the composition and its ``scale`` multiplies
  the composition's size, so under ``stack`` they mean what they always meant;
- the music's structure (:mod:`bridge.show.structure_looks`), while ``structure`` is on: a
  motif's drawing sits at its motif's place within the track's region (the same place for a
  repeat, beside its parent for a variation) with an accent when it is recognised, and each
  section turns the picture's hues its own way (a returning section returns to its colours).

The rule between device and controller is "latest change wins" (docs/protocol.md): a
device's once-a-second resend of unchanged params leaves overrides alone; when the
producer turns a dial in Live, that property follows the device again.

Pure logic with an injected clock: it turns :class:`TrackInfo` snapshots into renderer
:class:`~renderer.settings.LayerSettings` and never touches GL or sockets.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from bridge.generate.analysis_feed import FeatureRecord
from bridge.ingest.protocol import (
    LayerControl,
    LayerReset,
    MasterControl,
    Selector,
)
from bridge.ingest.registry import DeviceParams
from bridge.ingest.transport import BeatState
from bridge.show import colour
from bridge.show.compositions import (
    COMPOSITIONS,
    DEFAULT_COMPOSITION,
    SCORE_BEATS,
    SCORE_STAMP_BEATS,
    ComposedTrack,
    Composer,
)
from bridge.show.structure_looks import NEUTRAL, StructureLooks, track_name
from renderer.settings import (
    LayerSettings,
    MasterSettings,
    ReactiveSettings,
    tint_from_live_color,
)

#: The features of a track nothing was heard from yet.
SILENT = FeatureRecord()
#: ``score``: beats per minute assumed without a transport or a given tempo.
SCORE_DEFAULT_TEMPO = 120.0
#: ``score``: trails kept per 1/60 s: a picture fades to ~40 % as it crosses the frame
#: (16 beats at 124 BPM), so the newest bars read strongest.
SCORE_TRAILS = 0.998
#: Share of a picture's side over which its ink fades out at the picture's border, so a
#: stroke the generator ran off its 64² picture ends rounded instead of cut straight.
EDGE_FADE = 0.1
#: A recognised motif's accent: how much the drawing swells and its tint whitens at most.
ACCENT_SWELL = 0.08
ACCENT_WHITEN = 0.45
FADE_IN_SECONDS = 0.5
FADE_OUT_SECONDS = 1.0
#: Device params a controller can override and the device can take back.
DEVICE_FIELDS = ("opacity", "blend", "style", "gain")
#: Values of the layer properties no device sets, until a controller does.
LAYER_DEFAULTS: dict[str, object] = {
    "mute": False,
    "solo": False,
    "x": 0.0,
    "y": 0.0,
    "scale": 1.0,
    "rotation": 0.0,
    "role": "auto",
    "expression": 1.0,
}


@dataclass(frozen=True)
class TrackInfo:
    """What the looks need to know of one track (copied from the registry under its lock)."""

    key: Hashable
    uuid: str
    name: str
    color: int
    track_index: int
    live: bool  # False while stale (no audio for a while)
    params: DeviceParams
    params_version: int


@dataclass
class LayerLook:
    """Per-track state kept between frames."""

    info: TrackInfo
    overrides: dict[str, object] = field(default_factory=dict)
    presence: float = 0.0  # 0 invisible … 1 fully present
    device_params: DeviceParams | None = None
    params_version: int = 0
    departed: bool = False


def scaled_reactive(gain: float, base: ReactiveSettings | None = None) -> ReactiveSettings:
    """The default audio reactions scaled by a track's gain (0 = still, 1 = default)."""
    base = base or ReactiveSettings()
    return replace(
        base,
        level_scale=min(4.0, base.level_scale * gain),
        level_brightness=min(1.0, base.level_brightness * gain),
        onset_flash=min(1.0, base.onset_flash * gain),
        onset_pulse=min(4.0, base.onset_pulse * gain),
        beat_pulse=min(4.0, base.beat_pulse * gain),
    )


def _approach(value: float, target: float, dt: float, seconds: float) -> float:
    step = dt / seconds if seconds > 0 else 1.0
    if target > value:
        return min(target, value + step)
    return max(target, value - step)


class Looks:
    """Holds every layer's look and the master; answers with renderer settings."""

    def __init__(
        self,
        *,
        fade_in: float = FADE_IN_SECONDS,
        fade_out: float = FADE_OUT_SECONDS,
        reactive: ReactiveSettings | None = None,
        composition: str = DEFAULT_COMPOSITION,
        composer: Composer | None = None,
        colour_mode: str = colour.DEFAULT_COLOUR,
        expression: float = 1.0,
    ) -> None:
        if composition not in COMPOSITIONS:
            raise ValueError(f"composition must be one of {', '.join(COMPOSITIONS)}")
        if colour_mode not in colour.COLOUR_MODES:
            raise ValueError(f"colour must be one of {', '.join(colour.COLOUR_MODES)}")
        if not 0.0 <= expression <= 1.0:
            raise ValueError(f"expression must be in [0, 1], got {expression}")
        #: What a layer property no device sets is until a controller sets it (a layer
        #: reset returns to it); ``expression`` as the show was started with.
        self.layer_defaults: dict[str, object] = {**LAYER_DEFAULTS, "expression": expression}
        #: The layer looks of the last preset loaded, by track name (case-folded): a track
        #: that appears later takes its own, as the tracks there when it loaded did.
        self.named_overrides: dict[str, dict[str, object]] = {}
        self.fade_in = fade_in
        self.fade_out = fade_out
        self.reactive = reactive or ReactiveSettings()
        self.layers: dict[Hashable, LayerLook] = {}
        self.master = MasterSettings()
        self.unmatched = 0  # control messages that named no live track
        #: The layout in use (one of :data:`~bridge.show.compositions.COMPOSITIONS`).
        self.composition = composition
        self.composer = composer or Composer()
        #: The frame's width / height, as of the last :meth:`compose`.
        self.aspect = 16.0 / 9.0
        #: How tints are made (one of :data:`~bridge.show.colour.COLOUR_MODES`).
        self.colour = colour_mode
        #: Each track's features as of the last :meth:`compose` (the colour reads them).
        self.records: dict[Hashable, FeatureRecord] = {}
        #: The tempo (BPM) and beat stamp of the last :meth:`compose` (for the ``score``).
        self.tempo = SCORE_DEFAULT_TEMPO
        self.stamp = True
        self._last_beat: int | None = None  # the beat of the last picture laid down
        self._last_time: float | None = None
        #: The music's structure as the feed reports it, and whether the picture shows it:
        #: motif places and accents, section colours, the form strip (see the module doc).
        self.structure = StructureLooks()
        self.structure_on = True
        self.form_on = False
        self.now = 0.0

    # -- tracks --------------------------------------------------------------------------
    def sync(self, tracks: Iterable[TrackInfo]) -> None:
        """Take the current tracks: add new ones, update the rest, mark missing departed."""
        seen = set()
        for info in tracks:
            seen.add(info.key)
            look = self.layers.get(info.key)
            if look is None:
                named = self.named_overrides.get(info.name.casefold(), {})
                look = self.layers[info.key] = LayerLook(info, overrides=dict(named))
            look.info = info
            look.departed = False
            if info.params_version != look.params_version:
                self._take_device_params(look, info.params)
                look.params_version = info.params_version
        for key, look in self.layers.items():
            if key not in seen:
                look.departed = True

    def _take_device_params(self, look: LayerLook, params: DeviceParams) -> None:
        previous = look.device_params
        if previous is not None:
            for name in DEVICE_FIELDS:
                if getattr(previous, name) != getattr(params, name):
                    look.overrides.pop(name, None)  # the producer turned this dial: follow it
        look.device_params = params

    def advance(self, now: float) -> list[Hashable]:
        """Move fades on to ``now``; return the keys of departed layers fully faded out
        (they are forgotten and should leave the renderer)."""
        dt = 0.0 if self._last_time is None else max(0.0, now - self._last_time)
        self._last_time = now
        gone = []
        for key, look in self.layers.items():
            target = 1.0 if self._wants_presence(look) else 0.0
            seconds = self.fade_in if target > look.presence else self.fade_out
            look.presence = _approach(look.presence, target, dt, seconds)
            if look.departed and look.presence <= 0.0:
                gone.append(key)
        for key in gone:
            del self.layers[key]
        return gone

    @staticmethod
    def _wants_presence(look: LayerLook) -> bool:
        return not look.departed and look.info.live and look.info.params.enabled

    def compose(
        self,
        now: float,
        records: Mapping[Hashable, FeatureRecord],
        aspect: float,
        transport: BeatState | None = None,
    ) -> None:
        """Place every layer for the frame at ``now`` (seconds, the show's clock) on a frame
        ``aspect`` (width / height) wide, from this frame's features (for the stage's role
        estimates). Layers without a place yet (before the first call) sit at the centre.

        ``transport`` (a playing transport, or None: :data:`SCORE_DEFAULT_TEMPO` on the
        show's clock) times the ``score``: its pictures are laid down on the frame where a
        beat whose number (Live's song position, in quarter notes) is a multiple of
        :data:`~bridge.show.compositions.SCORE_STAMP_BEATS` starts, so they sit on Live's
        bars whenever the show started, and it scrolls one picture width in that time."""
        self.aspect = aspect
        self.now = now
        self.records = dict(records)
        tempo = transport.tempo if transport is not None else None
        self.tempo = tempo if tempo is not None and tempo > 0 else SCORE_DEFAULT_TEMPO
        if transport is not None:
            beat = math.floor(transport.beat + 1e-9)
        else:
            beat = math.floor(now * self.tempo / 60.0 + 1e-9)
        stamp = self._last_beat is None or (
            beat != self._last_beat and beat % SCORE_STAMP_BEATS == 0
        )
        if stamp or self._last_beat is None:
            self._last_beat = beat
        #: Whether the ``score`` lays its pictures down on this frame.
        self.stamp = stamp
        tracks = [
            ComposedTrack(
                key,
                (look.info.track_index if look.info.track_index >= 0 else 10_000, str(key)),
                present=not look.departed,
                role=str(self.value(key, "role")),
            )
            for key, look in self.layers.items()
        ]
        self.composer.update(now, self.composition, tracks, records, aspect)

    def role(self, key: Hashable) -> str | None:
        """A layer's role on the stage: the controller's, else the one its audio suggests
        (None while not enough was heard)."""
        chosen = str(self.value(key, "role"))
        return chosen if chosen != "auto" else self.composer.role(key)

    # -- resolution ------------------------------------------------------------------------
    def value(self, key: Hashable, name: str) -> object:
        """The effective value of a layer property (override, else device, else default)."""
        look = self.layers[key]
        if name in look.overrides:
            return look.overrides[name]
        if name in DEVICE_FIELDS:
            return getattr(look.info.params, name)
        return self.layer_defaults[name]

    def style(self, key: Hashable) -> str:
        return str(self.value(key, "style"))

    def expression(self, key: Hashable) -> float:
        """How much of its style's expression head the layer's pictures get, 0 … 1
        (:meth:`models.style.Style.audio_to_image`)."""
        return float(self.value(key, "expression"))  # type: ignore[arg-type]

    def settings(self, key: Hashable) -> LayerSettings:
        """The renderer settings for one layer right now."""
        look = self.layers[key]
        info = look.info
        opacity = float(self.value(key, "opacity")) * look.presence  # type: ignore[arg-type]
        index = info.track_index if info.track_index >= 0 else 10_000
        place = self.composer.placement(key)
        (x, y), scale, fit = place.layer_fields(self.aspect)
        reactive = scaled_reactive(float(self.value(key, "gain")), self.reactive)  # type: ignore[arg-type]
        if self.colour != "track":  # the tint's brightness follows level already
            reactive = replace(reactive, level_brightness=0.0)
        record = self.records.get(key, SILENT)
        tint = colour.tint(self.colour, info.color, record)
        pose = NEUTRAL
        if self.structure_on:
            # motifs move within their region in layouts with regions; the score's lanes
            # are time, so there only the accent shows
            move = self.composition != "score"
            pose = self.structure.pose(track_name(key), self.now, move=move)
            x += pose.dx * place.width / (self.aspect / 2.0)
            y += pose.dy * place.height / 0.5
            scale *= pose.scale * (1.0 + ACCENT_SWELL * pose.accent)
            tint = colour.accented(tint, pose.accent * ACCENT_WHITEN)
            tint = colour.turned(tint, self.structure.section_turn(self.now))
        return LayerSettings(
            opacity=min(1.0, max(0.0, opacity)),
            blend=str(self.value(key, "blend")),
            tint=tint,
            order=float(index),
            position=(
                x + float(self.value(key, "x")),  # type: ignore[arg-type]
                y + float(self.value(key, "y")),  # type: ignore[arg-type]
            ),
            scale=scale * float(self.value(key, "scale")),  # type: ignore[arg-type]
            fit=fit,
            # a wide (stretched) drawing is not turned: it would turn its whole band
            rotation=(pose.turn if fit == "contain" else 0.0) + float(self.value(key, "rotation")),  # type: ignore[arg-type]
            edge_fade=EDGE_FADE,
            muted=bool(self.value(key, "mute")),
            solo=bool(self.value(key, "solo")),
            reactive=reactive,
            label=info.name,
        )

    def all_settings(self) -> dict[Hashable, LayerSettings]:
        return {key: self.settings(key) for key in self.layers}

    def render_master(self) -> MasterSettings:
        """The master the renderer draws with: :attr:`master`, and for the ``score`` trails
        that keep the last bars (:data:`SCORE_TRAILS`) scrolling left one frame width per
        :data:`~bridge.show.compositions.SCORE_BEATS` beats at :attr:`tempo`."""
        if self.composition != "score":
            return self.master
        scroll = self.tempo / 60.0 / SCORE_BEATS
        # between the beats where it lays pictures down the score only scrolls them
        return replace(
            self.master,
            trails=SCORE_TRAILS,
            trails_on=True,
            scroll=scroll,
            layers_on=self.stamp,
        )

    # -- controls --------------------------------------------------------------------------
    def matching(self, selector: Selector) -> list[Hashable]:
        """Keys of the live layers a selector names."""
        keys = []
        for key, look in self.layers.items():
            info = look.info
            if look.departed:
                continue
            if (
                (selector.kind == "uuid" and info.uuid == selector.value)
                or (selector.kind == "index" and info.track_index == selector.value)
                or (
                    selector.kind == "name"
                    and info.name.casefold() == str(selector.value).casefold()
                )
            ):
                keys.append(key)
        return keys

    def set_override(self, key: Hashable, name: str, value: object) -> None:
        self.layers[key].overrides[name] = value

    def apply(self, event: LayerControl | LayerReset | MasterControl) -> int:
        """Apply a control message; return how many layers it touched (1 for master).

        A layer control naming no live track is counted in :attr:`unmatched`.
        """
        if isinstance(event, MasterControl):
            if event.prop == "composition":
                self.composition = str(event.value)
            elif event.prop == "colour":
                self.colour = str(event.value)
            elif event.prop == "structure":
                self.structure_on = bool(event.value)
            elif event.prop == "form":
                self.form_on = bool(event.value)
            else:
                self.master = master_with(self.master, event.prop, event.value)
            return 1
        keys = self.matching(event.selector)
        if not keys:
            self.unmatched += 1
            return 0
        for key in keys:
            if isinstance(event, LayerReset):
                self.layers[key].overrides.clear()
            else:
                self.layers[key].overrides[event.prop] = event.value
        return len(keys)


def master_with(master: MasterSettings, prop: str, value: object) -> MasterSettings:
    """A copy of ``master`` with one protocol master property set."""
    if prop == "opacity":
        return replace(master, opacity=float(value))  # type: ignore[arg-type]
    if prop == "brightness":
        return replace(master, brightness=float(value))  # type: ignore[arg-type]
    if prop == "trails":
        amount = float(value)  # type: ignore[arg-type]
        if amount <= 0.0:
            return replace(master, trails_on=False)
        return replace(master, trails=amount, trails_on=True)
    if prop == "background":
        return replace(master, background=tint_from_live_color(int(value)))  # type: ignore[call-overload]
    if prop == "freeze":
        return replace(master, freeze=bool(value))
    if prop == "ink":
        return replace(master, ink=str(value))
    raise ValueError(f"unknown master property {prop!r}")
