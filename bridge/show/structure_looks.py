"""What the music's structure does to the picture: motifs recall their drawing's place,
sections re-colour the picture, and the set's form so far (pure; no GL, no clock).

:class:`StructureLooks` takes each bar's :class:`~models.structure.BarResult` from the
structure feed (bridge/show/structure_feed.py) and answers, per layer and frame:

- **where a motif's drawing sits** (:meth:`StructureLooks.pose`): inside its track's region
  the drawing is drawn at :data:`MOTIF_SCALE` of the region, so it can move. The first
  motif of a track sits in the middle; every new motif gets the next free *place*
  (:data:`PLACES`: an offset within the region and a turn), a variation sits beside its
  parent's place (a small offset and a few degrees more, per prime), and a repeat returns
  to exactly the place its motif had — so a repeated motif is seen in the same place at
  the same angle. Moves ease over :data:`MOVE_SECONDS`.
- **an accent of recognition**: when a bar is recognised as a repeat (or a variation) of a
  motif heard before, the layer flashes (:attr:`MotifPose.accent`, 1 decaying with
  :data:`ACCENT_SECONDS`), which the looks turn into a brighter tint and a slight swell.
- **the section's look** (:meth:`StructureLooks.section_turn`): each section label gets a
  hue turn of the whole picture in order of first appearance (:data:`SECTION_TURNS`), eased
  over :data:`SECTION_SECONDS`; a section that returns (A … B … A) returns to its turn.
- **the form so far** (:attr:`StructureLooks.history`): the newest :data:`FORM_BARS` bars,
  each with its section and every track's motif, for the form strip.

A bar's motif is known once the bar is complete, so a change shows from the next downbeat:
pictures follow the structure one bar late, which a repeat (the common case) never shows.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from models.structure import BarResult, MotifResult

#: A drawing fills this fraction of its region while structure is on, so it has room to
#: move to its motif's place.
MOTIF_SCALE = 0.86
#: Motif places: (dx, dy) as fractions of the region's width and height from its centre,
#: and a turn in degrees. The first motif sits in the middle, unturned; the next ones
#: around it. More motifs than places reuse them with a further turn (:func:`place_of`).
PLACES: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.0, 0.0),
    (-0.07, 0.06, 14.0),
    (0.07, -0.06, -14.0),
    (0.07, 0.065, 28.0),
    (-0.07, -0.065, -28.0),
    (0.0, 0.07, 42.0),
    (0.0, -0.07, -42.0),
)
#: A variation's place: its parent's, moved by this (fraction of the region) and turned by
#: this many degrees for each prime of its label.
VARIATION_STEP = 0.035
VARIATION_TURN = 7.0
#: Seconds a drawing takes to move to a new motif's place.
MOVE_SECONDS = 0.35
#: Time constant (s) of the recognition accent's decay.
ACCENT_SECONDS = 0.45
#: Hue turns (degrees) of the sections, in order of first appearance: A keeps the colours.
SECTION_TURNS: tuple[float, ...] = (0.0, 150.0, 270.0, 60.0, 210.0, 330.0, 105.0, 15.0)
#: Seconds a section change takes to re-colour the picture.
SECTION_SECONDS = 1.5
#: Bars kept for the form strip (and what the OSC/HUD can report).
FORM_BARS = 64


@dataclass(frozen=True)
class MotifPose:
    """Where a layer's drawing sits within its region this frame.

    ``dx``/``dy`` are fractions of the region's width/height from its centre (y up),
    ``turn`` degrees, ``scale`` the fraction of the region the drawing fills, ``accent``
    0 … 1 the recognition flash.
    """

    dx: float = 0.0
    dy: float = 0.0
    turn: float = 0.0
    scale: float = 1.0
    accent: float = 0.0


#: No structure: the drawing fills its region, unmoved.
NEUTRAL = MotifPose()


def motif_root(label: str) -> str:
    """The motif family of a label: ``a''`` → ``a``."""
    return label.rstrip("'")


def root_index(root: str) -> int:
    """``a`` → 0 … ``z`` → 25, ``aa`` → 26 … (the structure module's bijective base 26);
    anything else counts as 0."""
    n = 0
    for char in root:
        if not "a" <= char <= "z":
            return 0
        n = n * 26 + (ord(char) - ord("a") + 1)
    return max(0, n - 1)


def place_of(index: int) -> tuple[float, float, float]:
    """The ``index``-th motif place (dx, dy, turn); beyond :data:`PLACES` they repeat with
    a further turn of 90° per round, so no two of the first few dozen coincide."""
    dx, dy, turn = PLACES[index % len(PLACES)]
    return dx, dy, turn + 90.0 * (index // len(PLACES))


def variation_place(parent: tuple[float, float, float], label: str) -> tuple[float, float, float]:
    """A variation's place: beside its parent's, one step per prime of ``label``."""
    primes = len(label) - len(label.rstrip("'"))
    angle = 2.0 * math.pi * (0.125 + 0.3 * primes)
    dx, dy, turn = parent
    step = VARIATION_STEP * max(1, primes)
    return (
        dx + step * math.cos(angle),
        dy + step * math.sin(angle),
        turn + VARIATION_TURN * max(1, primes),
    )


def ease(u: float) -> float:
    """Smoothstep of ``u`` clamped to 0 … 1."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


@dataclass
class _TrackMotifs:
    places: dict[str, tuple[float, float, float]]
    current: str | None = None
    start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    moved_at: float = -1e9
    accent_at: float = -1e9
    roots: int = 0


@dataclass(frozen=True)
class FormBar:
    """One bar of the form strip: its index, section label, whether a section starts
    there, and each track's motif label (None where the track was silent)."""

    index: int
    section: str
    boundary: bool
    motifs: Mapping[str, str | None]


class StructureLooks:
    """The structure's effect on the looks (see the module docstring).

    Track names are the structure feed's names (``str`` of the show's layer key).
    """

    def __init__(self) -> None:
        self._tracks: dict[str, _TrackMotifs] = {}
        self._section_turns: dict[str, float] = {}
        self.section: str = ""
        self.bar: int = -1
        self._turn_from = 0.0
        self._turn_to = 0.0
        self._turned_at = -1e9
        self.history: deque[FormBar] = deque(maxlen=FORM_BARS)
        self.motifs: dict[str, MotifResult | None] = {}
        self.bars_seen = 0
        self.boundaries = 0

    # -- input -----------------------------------------------------------------------------
    def take(self, bars: Iterable[BarResult], now: float) -> list[BarResult]:
        """Take the bars the feed completed since the last frame (oldest first) at ``now``
        (the show's clock, s). Returns them, for whoever publishes them."""
        taken = list(bars)
        for bar in taken:
            self._take_bar(bar, now)
        return taken

    def _take_bar(self, bar: BarResult, now: float) -> None:
        self.bars_seen += 1
        self.bar = bar.index
        for name, motif in bar.motifs.items():
            self.motifs[name] = motif
            if motif is not None:
                self._take_motif(name, motif, now)
        if bar.section and bar.section != self.section:
            turn = self._section_turns.setdefault(
                bar.section, SECTION_TURNS[len(self._section_turns) % len(SECTION_TURNS)]
            )
            self._turn_from = self.section_turn(now)
            self._turn_to = turn
            self._turned_at = now
            self.section = bar.section
        if bar.boundary:
            self.boundaries += 1
        starts = bar.boundary_bar if bar.boundary_bar is not None else bar.index
        first = self.bars_seen == 1  # the set's first bar starts its first section
        self.history.append(
            FormBar(
                bar.index,
                bar.section,
                first or (bar.boundary and starts == bar.index),
                {name: (None if m is None else m.label) for name, m in bar.motifs.items()},
            )
        )
        if bar.boundary and starts != bar.index:
            self._mark_boundary(starts, bar.section)

    def _mark_boundary(self, start: int, section: str) -> None:
        """A live boundary is found a bar late: mark the bar where the section started and
        give the bars since then its label."""
        for i, past in enumerate(self.history):
            if past.index >= start:
                self.history[i] = FormBar(
                    past.index, section, past.boundary or past.index == start, past.motifs
                )

    def _take_motif(self, name: str, motif: MotifResult, now: float) -> None:
        track = self._tracks.setdefault(name, _TrackMotifs(places={}))
        place = track.places.get(motif.label)
        if place is None:
            parent = track.places.get(motif.parent or "") if motif.kind == "variation" else None
            if parent is not None:
                place = variation_place(parent, motif.label)
            else:
                place = place_of(track.roots)
                track.roots += 1
            track.places[motif.label] = place
        if motif.kind in ("repeat", "variation") and motif.similarity > 0.0:
            track.accent_at = now
        if place != track.target:
            track.start = self._place_now(track, now)
            track.target = place
            track.moved_at = now
        track.current = motif.label

    def forget(self, names: Iterable[str]) -> None:
        """Drop tracks that left the show."""
        for name in names:
            self._tracks.pop(name, None)
            self.motifs.pop(name, None)

    # -- output ----------------------------------------------------------------------------
    @staticmethod
    def _place_now(track: _TrackMotifs, now: float) -> tuple[float, float, float]:
        u = ease((now - track.moved_at) / MOVE_SECONDS)
        (x0, y0, t0), (x1, y1, t1) = track.start, track.target
        return (x0 + (x1 - x0) * u, y0 + (y1 - y0) * u, t0 + (t1 - t0) * u)

    def pose(self, name: str, now: float, *, move: bool = True) -> MotifPose:
        """Track ``name``'s drawing pose at ``now``: its motif's place (eased) when ``move``
        (compositions with regions), and the recognition accent in any case."""
        track = self._tracks.get(name)
        if track is None:  # no motif heard yet: the drawing fills its region
            return NEUTRAL
        accent = math.exp(-max(0.0, now - track.accent_at) / ACCENT_SECONDS)
        accent = accent if accent > 0.01 else 0.0
        if not move:
            return MotifPose(accent=accent)
        dx, dy, turn = self._place_now(track, now)
        return MotifPose(dx, dy, turn, MOTIF_SCALE, accent)

    def section_turn(self, now: float) -> float:
        """The picture's hue turn (degrees) for the section at ``now``, eased from the
        previous section's over :data:`SECTION_SECONDS` (the short way round)."""
        u = ease((now - self._turned_at) / SECTION_SECONDS)
        delta = (self._turn_to - self._turn_from + 180.0) % 360.0 - 180.0
        return (self._turn_from + delta * u) % 360.0

    def motif_of(self, name: str) -> MotifResult | None:
        """The newest motif of track ``name`` (None: silent or not heard yet)."""
        return self.motifs.get(name)

    def sections_seen(self) -> tuple[str, ...]:
        """Section labels in order of first appearance."""
        return tuple(self._section_turns)


def track_name(key: Hashable) -> str:
    """The structure feed's name for a show layer key."""
    return str(key)
