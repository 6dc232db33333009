"""Compositions: where each voice's picture sits in the frame, and how it moves there.

A *composition* (a layout) gives every track a region of the frame. Four exist:

- ``stage`` (the default): each voice is placed by what it *sounds* like. Bass voices sit
  low and wide, percussion in the central band, melodic and high voices high, pads as a
  wide background behind everything. A track keeps its region for the whole set; when
  tracks come and go (or a role really changes) the regions reflow.
- ``grid``: an even grid, one cell per track, in Live's track order (left to right, top to
  bottom).
- ``stack``: every track on the same centred square, the original look.
- ``score``: the set drawn as a moving score (after Stephen Malinowski's Music Animation
  Machine): one horizontal lane per voice, lowest register at the bottom, each voice's
  picture laid down at the right edge of its lane every :data:`SCORE_STAMP_BEATS` beats
  while the picture behind it scrolls left, :data:`SCORE_BEATS` beats across the frame; a
  repeated phrase shows as repeated shapes along its lane. The layout here places the
  pictures; the looks (:mod:`bridge.show.looks`) lay them down on the beat and ask the
  renderer to scroll.

Roles come from the audio, never from names or track order: :class:`RoleEstimator` keeps a
slowly updated estimate of a track's register (level-weighted spectral centroid), noisiness
(level-weighted flatness) and onset rate from its per-frame
:class:`~bridge.generate.analysis_feed.FeatureRecord`, and changes its answer only when a new
role has been the better answer for :data:`ROLE_HOLD_SECONDS` (hysteresis: one odd bar moves
nothing). A controller can fix a track's role (``/syn/layer/role``).

Every move is animated: :class:`Composer` eases each layer from where it is shown now to its
new region over :data:`TRANSITION_SECONDS` (switching compositions too). All of it is pure
logic on an injected clock, so an offline render stays the same frame for frame.

Geometry is in *frame-height units*: the frame is ``aspect`` wide and 1 high, (0, 0) is its
centre and y grows upwards. A placement is a rectangle there; the renderer draws a square
ink field at scale 1 as a 1 × 1 square ("contain") or stretched to ``aspect`` × 1
("stretch"), so a placement is either square or has the frame's own aspect (see
:meth:`Placement.layer_fields`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bridge.generate.analysis_feed import FeatureRecord
from bridge.ingest.protocol import COMPOSITION_NAMES, ROLE_NAMES

#: Layouts a show can switch between, in the order the keyboard cycles through them (the
#: protocol's names: ``/syn/master/composition`` takes a name or its index here).
COMPOSITIONS: tuple[str, ...] = COMPOSITION_NAMES
DEFAULT_COMPOSITION = "stage"
#: Values of the ``role`` layer property: "auto" follows the audio.
ROLE_CHOICES: tuple[str, ...] = ROLE_NAMES
#: What a voice can be on the stage.
ROLES: tuple[str, ...] = tuple(role for role in ROLE_NAMES if role != "auto")

#: Seconds a layer takes to move to a new region (eased at both ends).
TRANSITION_SECONDS = 1.0
#: Seconds a new role must stay the better answer before a track changes region.
ROLE_HOLD_SECONDS = 4.0
#: Time constant (s) of the register/noisiness/onset-rate estimates once warmed up; before
#: that they are plain running means of what was heard.
ROLE_MEMORY_SECONDS = 6.0
#: Seconds of sound heard before a track's first role is decided (it sits in the
#: background meanwhile).
ROLE_FIRST_SECONDS = 0.75
#: A frame counts as sounding above this level (0..1 over −60 … 0 dBFS, i.e. −48 dBFS).
SOUNDING_LEVEL = 0.2
#: An onset is counted when the onset strength rises above ``ONSET_ON`` and re-armed below
#: ``ONSET_OFF`` (0..1 over 0 … 18 dB mean rise per band).
ONSET_ON, ONSET_OFF = 0.35, 0.15
#: Role thresholds. Register is the centroid on the 50 Hz … 11 kHz log scale (0.35 ≈ 330 Hz,
#: 0.55 ≈ 970 Hz, 0.12 ≈ 95 Hz); noise is spectral flatness; rate is onsets per second.
NOISY_FLATNESS = 0.15
SUB_REGISTER = 0.12
BASS_REGISTER = 0.35
HIGH_REGISTER = 0.55
SUSTAINED_RATE = 0.75
HIT_RATE = 1.0

#: Fraction of its region a layer fills: room for the audio reactions (a layer grows up to
#: ~15 % with level and onsets) so neighbours do not touch.
STAGE_MARGIN = 0.84
GRID_MARGIN = 0.92
#: Relative heights of the stage's bands, top to bottom.
BAND_WEIGHTS: dict[str, float] = {"lead": 1.0, "perc": 1.25, "bass": 1.0}
#: Band order on the stage, top to bottom (pads are the background, not a band).
BANDS: tuple[str, ...] = ("lead", "perc", "bass")
#: Shape each role prefers: wide roles take the frame's aspect, the others a square.
WIDE_ROLES = frozenset({"bass", "pad"})
#: ``score``: beats across the frame's width (4 bars of 4/4).
SCORE_BEATS = 16
#: ``score``: beats between two pictures of a voice, and so a picture's width in beats.
SCORE_STAMP_BEATS = 2
#: ``score``: fraction of its lane's height a picture may fill (room between lanes).
SCORE_MARGIN = 0.9


# ------------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Placement:
    """A layer's rectangle in frame-height units: centre (x, y) from the frame centre, y up;
    ``width`` × ``height``."""

    x: float = 0.0
    y: float = 0.0
    width: float = 1.0
    height: float = 1.0

    def lerp(self, other: Placement, u: float) -> Placement:
        """The placement a fraction ``u`` (0..1) of the way to ``other``."""
        return Placement(
            self.x + (other.x - self.x) * u,
            self.y + (other.y - self.y) * u,
            self.width + (other.width - self.width) * u,
            self.height + (other.height - self.height) * u,
        )

    def layer_fields(self, aspect: float) -> tuple[tuple[float, float], float, str]:
        """``(position, scale, fit)`` for :class:`renderer.settings.LayerSettings` on a frame
        ``aspect`` (width / height) wide, for a square ink field.

        Position is in the renderer's −1 … 1 frame coordinates. Wider than the geometric mean
        of a square and the frame's aspect draws "stretch" (the frame's aspect), else
        "contain" (a square); the height is kept exactly, so a shape that changes during a
        transition snaps half-way and never jumps in height.
        """
        position = (self.x / (aspect / 2.0), self.y / 0.5)
        ratio = self.width / self.height if self.height > 0 else 1.0
        if aspect > 1.0 and ratio > math.sqrt(aspect):
            return position, self.height, "stretch"
        # "contain" fits a square field into the frame: 1 frame height, or the width when
        # the frame is taller than wide.
        return position, self.height / min(1.0, aspect), "contain"


#: Where a layer sits before any composition has placed it: the whole frame's centre.
STACKED = Placement()


def fitted(cell: Placement, aspect: float, wide: bool, margin: float) -> Placement:
    """The largest square (or frame-aspect rectangle when ``wide``) inside ``cell``,
    shrunk by ``margin``, centred in it.

    A wide shape that would be less than half the area of the square is drawn square.
    """
    side = min(cell.width, cell.height)
    if wide and aspect > 1.0:
        height = min(cell.width / aspect, cell.height)
        if aspect * height * height >= 0.5 * side * side:
            return Placement(cell.x, cell.y, aspect * height * margin, height * margin)
    return Placement(cell.x, cell.y, side * margin, side * margin)


#: How far (0 … 1 register scale, ~0.6 octave) a voice's running register must move from
#: the one it was placed by before layouts place it again.
REGISTER_MARGIN = 0.08


# ---------------------------------------------------------------------------------- roles


@dataclass
class RoleEstimator:
    """A track's role from its audio, slowly and with hysteresis.

    Feed it every frame's :class:`FeatureRecord` with :meth:`update`. Estimates (each a
    running mean over the first :data:`ROLE_MEMORY_SECONDS` of sound, then an exponential
    mean with that time constant), over sounding frames only:

    - ``register``: spectral centroid, 0 … 1 on the 50 Hz … 11 kHz log scale;
    - ``noise``: spectral flatness, 0 tonal … 1 noise;
    - ``onset_rate``: onsets per second of sound.

    :meth:`candidate` turns them into a role; :attr:`role` follows the candidate only after
    it has held for :data:`ROLE_HOLD_SECONDS` (the first role once
    :data:`ROLE_FIRST_SECONDS` of sound were heard). ``role`` is None before that.
    """

    register: float = 0.0
    noise: float = 0.0
    onset_rate: float = 0.0
    heard: float = 0.0  # seconds of sound so far
    role: str | None = None
    #: The register layouts order voices by: taken when the role is decided or changes, and
    #: again only when the running estimate moves :data:`REGISTER_MARGIN` away from it, so
    #: two voices of close register never swap places back and forth.
    settled_register: float | None = None
    _armed: bool = True
    _pending: str | None = None
    _pending_since: float = 0.0  # seconds of sound at which ``_pending`` became the answer

    def update(self, record: FeatureRecord, dt: float) -> None:
        """Take one frame's features; ``dt`` is the seconds since the previous frame."""
        onset = False
        if self._armed and record.onset >= ONSET_ON:
            onset, self._armed = True, False
        elif record.onset <= ONSET_OFF:
            self._armed = True
        if dt <= 0.0 or record.level < SOUNDING_LEVEL:
            return  # silence says nothing about what a voice is
        self.heard += dt
        weight = dt / min(self.heard, ROLE_MEMORY_SECONDS)
        self.register += (record.centroid - self.register) * weight
        self.noise += (record.flatness - self.noise) * weight
        hits = 1.0 / dt if onset else 0.0
        self.onset_rate += (hits - self.onset_rate) * weight
        self._decide()

    def candidate(self) -> str:
        """The role the estimates point to now.

        Noisy voices (hats, snares, claps) and sub-low voices that are struck (kick drums)
        are percussion; voices with few onsets above the sub range are pads; the rest go by
        register: bass below ~330 Hz, lead above.
        """
        if self.noise >= NOISY_FLATNESS:
            return "perc"
        if self.register < SUB_REGISTER and self.onset_rate >= HIT_RATE:
            return "perc"
        if self.onset_rate < SUSTAINED_RATE and self.register >= SUB_REGISTER:
            return "pad"
        if self.register < BASS_REGISTER:
            return "bass"
        return "lead"

    def _decide(self) -> None:
        if self.heard < ROLE_FIRST_SECONDS:
            return
        wanted = self.candidate()
        settled = self.settled_register
        if settled is None or abs(self.register - settled) > REGISTER_MARGIN:
            self.settled_register = self.register
        if self.role is None:
            self.role = wanted
            self._pending = None
            return
        if wanted == self.role:
            self._pending = None
        elif wanted != self._pending:
            self._pending, self._pending_since = wanted, self.heard
        elif self.heard - self._pending_since >= ROLE_HOLD_SECONDS:
            self.role, self._pending = wanted, None
            self.settled_register = self.register

    @property
    def lane_register(self) -> float:
        """The register a layout orders this voice by (see :attr:`settled_register`)."""
        return self.register if self.settled_register is None else self.settled_register


# -------------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Voice:
    """What a layout needs to know of one track.

    ``order`` sorts tracks as Live lists them (track index, then key); ``role`` is the
    effective role (override, else estimated, else None: not known yet); ``register`` is
    0 … 1 low to high.
    """

    key: Hashable
    order: tuple
    role: str | None
    register: float


Layout = Callable[[Sequence[Voice], float], dict[Hashable, Placement]]


def stack_layout(voices: Sequence[Voice], aspect: float) -> dict[Hashable, Placement]:
    """Every voice on the same centred square (the original look)."""
    return {voice.key: STACKED for voice in voices}


def grid_shape(count: int, aspect: float) -> tuple[int, int]:
    """``(columns, rows)`` of the grid whose square cells are largest for ``count`` cells on
    a frame ``aspect`` wide (fewer rows on a tie)."""
    best = (1, count)
    best_side = -1.0
    for columns in range(1, max(1, count) + 1):
        rows = -(-count // columns)
        side = min(aspect / columns, 1.0 / rows)
        if side > best_side + 1e-9:
            best, best_side = (columns, rows), side
    return best


def grid_layout(voices: Sequence[Voice], aspect: float) -> dict[Hashable, Placement]:
    """An even grid in Live's order, left to right and top to bottom; a last row that is not
    full is centred."""
    ordered = sorted(voices, key=lambda v: v.order)
    if not ordered:
        return {}
    columns, rows = grid_shape(len(ordered), aspect)
    cell_w, cell_h = aspect / columns, 1.0 / rows
    placements = {}
    for i, voice in enumerate(ordered):
        row, column = divmod(i, columns)
        in_row = min(columns, len(ordered) - row * columns)
        x = (column - (in_row - 1) / 2.0) * cell_w
        y = 0.5 - (row + 0.5) * cell_h
        cell = Placement(x, y, cell_w, cell_h)
        placements[voice.key] = fitted(cell, aspect, wide=False, margin=GRID_MARGIN)
    return placements


def stage_layout(voices: Sequence[Voice], aspect: float) -> dict[Hashable, Placement]:
    """Each voice in its role's region.

    The frame is cut into horizontal bands, top to bottom: lead (melodic and high voices),
    perc (percussion, the centre), bass (low voices, wide); only bands with voices take
    height (:data:`BAND_WEIGHTS`). Inside a band, voices sit side by side from low (left) to
    high register (right). Pads, and voices whose role is not known yet, are the background:
    the whole frame, side by side when there are several, wide. Bass and pads take the
    frame's aspect (wide), the others a square, each filling :data:`STAGE_MARGIN` of its
    cell.
    """
    by_role: dict[str, list[Voice]] = {role: [] for role in ROLES}
    for voice in voices:
        by_role[voice.role if voice.role in by_role else "pad"].append(voice)
    for group in by_role.values():
        group.sort(key=lambda v: (round(v.register, 2), v.order))
    placements: dict[Hashable, Placement] = {}
    bands = [band for band in BANDS if by_role[band]]
    total = sum(BAND_WEIGHTS[band] for band in bands)
    top = 0.5
    for band in bands:
        height = BAND_WEIGHTS[band] / total
        _row(by_role[band], top - height / 2.0, height, aspect, band in WIDE_ROLES, placements)
        top -= height
    _row(by_role["pad"], 0.0, 1.0, aspect, True, placements)
    return placements


def _row(
    voices: Sequence[Voice],
    y: float,
    height: float,
    aspect: float,
    wide: bool,
    out: dict[Hashable, Placement],
) -> None:
    """Place ``voices`` side by side in equal cells across the frame's width at ``y``."""
    if not voices:
        return
    width = aspect / len(voices)
    for i, voice in enumerate(voices):
        cell = Placement(-aspect / 2.0 + (i + 0.5) * width, y, width, height)
        out[voice.key] = fitted(cell, aspect, wide=wide, margin=STAGE_MARGIN)


def score_layout(voices: Sequence[Voice], aspect: float) -> dict[Hashable, Placement]:
    """One lane per voice across the frame, ordered by register (the spectral centroid as
    :class:`RoleEstimator` settles it, so lanes never swap on a small wobble; lowest at the
    bottom; ties in Live's order). Each voice's picture is a square at the right edge of its
    lane, as wide as the score scrolls between two pictures
    (``aspect · SCORE_STAMP_BEATS / SCORE_BEATS``), or :data:`SCORE_MARGIN` of the lane's
    height when lanes are narrower than that."""
    ordered = sorted(voices, key=lambda v: (round(v.register, 2), v.order))
    if not ordered:
        return {}
    lane = 1.0 / len(ordered)
    side = min(aspect * SCORE_STAMP_BEATS / SCORE_BEATS, lane * SCORE_MARGIN)
    x = aspect / 2.0 - side / 2.0
    return {
        voice.key: Placement(x, -0.5 + (i + 0.5) * lane, side, side)
        for i, voice in enumerate(ordered)
    }


LAYOUTS: dict[str, Layout] = {
    "stage": stage_layout,
    "grid": grid_layout,
    "stack": stack_layout,
    "score": score_layout,
}


# ------------------------------------------------------------------------------- composer


@dataclass(frozen=True)
class ComposedTrack:
    """One track as the composer sees it each frame.

    ``order``: Live's order (track index, then key). ``present``: it takes part in the
    layout (False once it has left and only fades out: the others reflow, it stays where
    it was). ``role``: the controller's role override, or "auto".
    """

    key: Hashable
    order: tuple
    present: bool = True
    role: str = "auto"


@dataclass
class _Motion:
    start: Placement
    target: Placement
    since: float


def ease(u: float) -> float:
    """Smoothstep: 0 → 1 with zero speed at both ends; ``u`` is clamped to 0..1."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


@dataclass
class Composer:
    """Places every track with the current composition and eases layers between regions.

    Call :meth:`update` once per frame (injected time), then read :meth:`placement`.
    """

    transition: float = TRANSITION_SECONDS
    estimators: dict[Hashable, RoleEstimator] = field(default_factory=dict)
    _motions: dict[Hashable, _Motion] = field(default_factory=dict)
    _last: float | None = None

    def update(
        self,
        now: float,
        composition: str,
        tracks: Iterable[ComposedTrack],
        records: Mapping[Hashable, FeatureRecord],
        aspect: float,
    ) -> None:
        """Advance to ``now``: update role estimates from ``records``, lay out the present
        tracks with ``composition`` on a frame ``aspect`` wide, and start a move for every
        layer whose region changed.

        Raises:
            ValueError: ``composition`` is not one of :data:`COMPOSITIONS`.
        """
        if composition not in LAYOUTS:
            raise ValueError(f"composition must be one of {', '.join(COMPOSITIONS)}")
        dt = 0.0 if self._last is None else max(0.0, now - self._last)
        self._last = now
        tracks = list(tracks)
        keys = {track.key for track in tracks}
        for key in [k for k in self.estimators if k not in keys]:
            del self.estimators[key]
        for key in [k for k in self._motions if k not in keys]:
            del self._motions[key]
        voices = []
        for track in tracks:
            estimator = self.estimators.setdefault(track.key, RoleEstimator())
            record = records.get(track.key)
            if record is not None:
                estimator.update(record, dt)
            if track.present:
                role = track.role if track.role in ROLES else estimator.role
                voices.append(Voice(track.key, track.order, role, estimator.lane_register))
        targets = LAYOUTS[composition](voices, aspect)
        for key, target in targets.items():
            motion = self._motions.get(key)
            if motion is None:  # a new layer appears in its place (it fades in)
                self._motions[key] = _Motion(target, target, now)
            elif motion.target != target:
                self._motions[key] = _Motion(self._at(motion, now), target, now)

    def _at(self, motion: _Motion, now: float) -> Placement:
        if self.transition <= 0.0:
            return motion.target
        return motion.start.lerp(motion.target, ease((now - motion.since) / self.transition))

    def placement(self, key: Hashable) -> Placement:
        """Where the layer is shown at the last :meth:`update` (the centre before any)."""
        motion = self._motions.get(key)
        if motion is None or self._last is None:
            return STACKED
        return self._at(motion, self._last)

    def role(self, key: Hashable) -> str | None:
        """The role estimated from a track's audio (None: not heard enough yet)."""
        estimator = self.estimators.get(key)
        return estimator.role if estimator is not None else None
