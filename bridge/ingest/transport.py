"""Live's transport between messages: extrapolate the beat so visuals can lock to it.

Transport messages arrive ~30 times a second with jitter. Reading the beat straight from
the last message would make beat-locked motion stutter at 30 Hz; instead the clock runs
on from the last message at the current tempo and blends small corrections in over a
short time, jumping only when Live really jumped (a locate, a loop, a tempo change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Errors below this many beats are blended in smoothly rather than jumped.
SMOOTH_LIMIT_BEATS = 0.25
#: Time over which a small correction is blended in.
CORRECTION_SECONDS = 0.2
#: With no transport message for this long, the clock stops extrapolating.
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class BeatState:
    """The transport as seen at one instant."""

    tempo: float
    playing: bool
    beat: float  # song position in quarter notes
    numerator: int
    denominator: int

    @property
    def bar_length(self) -> float:
        """Quarter notes per bar (7/8 is 3.5)."""
        return self.numerator * 4.0 / self.denominator

    @property
    def beat_phase(self) -> float:
        """Position within the current beat, 0 … 1."""
        return self.beat - math.floor(self.beat)

    @property
    def bar(self) -> int:
        """Index of the current bar, counted from 0 at beat 0."""
        return math.floor(self.beat / self.bar_length)


class TransportClock:
    """Holds the latest transport message and answers "where is the beat now?"."""

    def __init__(self) -> None:
        self._anchor_time = 0.0
        self._anchor_beat = 0.0
        self._tempo = 120.0
        self._playing = False
        self._numerator = 4
        self._denominator = 4
        self._correction = 0.0  # beats still to blend in (added gradually)
        self._correction_start = 0.0
        self._last_update: float | None = None

    @property
    def has_transport(self) -> bool:
        return self._last_update is not None

    def _raw_beat(self, now: float) -> float:
        if not self._playing:
            return self._anchor_beat
        return self._anchor_beat + (now - self._anchor_time) * self._tempo / 60.0

    def _pending_correction(self, now: float) -> float:
        """Part of the correction not yet applied at ``now``."""
        if self._correction == 0.0:
            return 0.0
        elapsed = (now - self._correction_start) / CORRECTION_SECONDS
        return self._correction * max(0.0, 1.0 - elapsed)

    def update(
        self,
        now: float,
        *,
        tempo: float,
        playing: bool,
        beat: float,
        numerator: int,
        denominator: int,
    ) -> None:
        """Take a transport message that arrived at ``now`` (seconds, monotonic)."""
        shown = self.state(now).beat if self.has_transport else beat
        smooth = (
            self._playing
            and playing
            and self.has_transport
            and abs(tempo - self._tempo) < 1e-6
            and abs(beat - shown) < SMOOTH_LIMIT_BEATS
        )
        self._anchor_time = now
        self._anchor_beat = beat
        self._tempo = tempo
        self._playing = playing
        self._numerator = numerator
        self._denominator = denominator
        self._last_update = now
        if smooth:
            # Keep showing `shown` now and converge on the new anchor gradually.
            self._correction = shown - beat
            self._correction_start = now
        else:
            self._correction = 0.0

    def state(self, now: float) -> BeatState:
        """The transport at ``now``, extrapolated from the last message."""
        playing = self._playing
        if self._last_update is not None and now - self._last_update > TIMEOUT_SECONDS:
            playing = False  # Live (or the device) went away: hold still
        if playing:
            beat = self._raw_beat(now) + self._pending_correction(now)
        elif self._last_update is not None and now - self._last_update > TIMEOUT_SECONDS:
            beat = self._raw_beat(self._last_update + TIMEOUT_SECONDS)
        else:
            beat = self._anchor_beat
        return BeatState(self._tempo, playing, beat, self._numerator, self._denominator)
