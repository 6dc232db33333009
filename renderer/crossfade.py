"""When to show a layer's newest generated frame: fading from the previous one over time.

Generation may run at 10–30 frames per second while the display runs at 60 or more. Showing
each new frame the moment it arrives looks like stop-motion; instead the compositor fades
from what was on screen to the new frame over about one generation interval, estimated from
the recent arrival times. The result lags the newest frame by at most that interval, which
the auto fade caps (``max_auto``) so a stalled generator never smears the picture.
"""

from __future__ import annotations

from dataclasses import dataclass


def fade_progress(t: float, started: float, duration: float) -> float:
    """Fraction 0..1 of a fade that started at ``started`` and lasts ``duration`` seconds."""
    if duration <= 0.0:
        return 1.0
    return min(1.0, max(0.0, (t - started) / duration))


@dataclass
class CrossfadeClock:
    """Per-layer bookkeeping of frame arrivals and the fade in progress.

    Attributes:
        smoothing: weight (0..1] of the newest arrival interval in the running estimate.
        max_auto: longest automatic fade, seconds.
    """

    smoothing: float = 0.3
    max_auto: float = 0.5
    pushed_at: float | None = None
    interval: float | None = None
    duration: float = 0.0

    def push(self, t: float, fixed_duration: float | None = None) -> None:
        """Record a new frame arriving at time ``t`` and start its fade.

        Args:
            t: the arrival time on the compositor's clock, seconds.
            fixed_duration: a fade length chosen by the user, or None to use the estimated
                interval between frames (no fade for the very first frame).
        """
        if self.pushed_at is not None:
            gap = t - self.pushed_at
            if gap > 0.0:  # equal or backwards times (a seek, a burst) teach us nothing
                if self.interval is None:
                    self.interval = gap
                else:
                    self.interval += self.smoothing * (gap - self.interval)
        self.pushed_at = t
        if fixed_duration is not None:
            self.duration = max(0.0, fixed_duration)
        else:
            self.duration = min(self.interval or 0.0, self.max_auto)

    def mix(self, t: float) -> float:
        """How far (0 = previous frame, 1 = newest) the fade has progressed at time ``t``."""
        if self.pushed_at is None:
            return 1.0
        return fade_progress(t, self.pushed_at, self.duration)
