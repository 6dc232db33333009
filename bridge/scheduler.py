"""When to generate pictures: a CPU-aware rate shared evenly by every track.

Generation happens in *rounds*: a round gives every track with new audio a new picture,
in one batch per style. Rounds earn *tokens* at the current rate and one is spent per
round. Tokens (rather than a fixed period) matter because audio packets arrive every
~23 ms: a period of 33 ms checked on packet arrival would fire on every second packet
only, i.e. 21 Hz instead of 30.

The rate is the target (30 Hz) unless the measured cost of a round exceeds the worker's CPU
budget; then the rate drops, for every track alike, which is what the HUD reports. Whole
rounds rather than per-track turns keep batches large: staggered per-track turns make
small batches, whose fixed overhead per call (measured: a batch of 1 costs ~2× a picture in
a batch of 8) would lower the rate further, a vicious circle. The render loop is never
involved: it keeps drawing at display rate with the newest pictures it has.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

DEFAULT_TARGET_HZ = 30.0
#: Fraction of one core the generator may use before rates are lowered.
DEFAULT_BUDGET = 0.85
MIN_HZ = 1.0
#: Most tokens a track can save up (a burst allowance after a quiet moment).
TOKEN_CAPACITY = 2.0
#: Weight of a new measurement in the moving average of cost per image.
COST_SMOOTHING = 0.1
RATE_WINDOW_SECONDS = 2.0


@dataclass(frozen=True)
class RateReport:
    target_hz: float  # what every track should get if the CPU allows
    rate_hz: float  # what the scheduler currently grants each track
    achieved_hz: float  # what tracks actually got over the last seconds (mean)
    cost_ms: float  # smoothed generation cost per image
    limited: bool  # True when the CPU budget, not the target, sets the rate


class GenerationScheduler:
    """Token-bucket rate control of generation rounds."""

    def __init__(
        self,
        target_hz: float = DEFAULT_TARGET_HZ,
        budget: float = DEFAULT_BUDGET,
    ) -> None:
        if target_hz <= 0 or not 0 < budget <= 4:
            raise ValueError("target_hz must be positive and budget within (0, 4]")
        self.target_hz = target_hz
        self.budget = budget
        self.round_cost: float | None = None  # smoothed seconds per round
        self.cost_per_image: float | None = None  # smoothed, for reports
        self._tokens = 1.0
        self._last: float | None = None
        self._history: dict[Hashable, deque[float]] = {}

    def rate_hz(self) -> float:
        """Rounds per second (= pictures per second per track) the CPU budget allows."""
        if self.round_cost is None or self.round_cost <= 0:
            return self.target_hz
        return max(MIN_HZ, min(self.target_hz, self.budget / self.round_cost))

    def observe(self, images: int, seconds: float) -> None:
        """Record that one round generated ``images`` pictures in ``seconds``."""
        if images <= 0 or seconds <= 0:
            return
        per_image = seconds / images
        if self.round_cost is None or self.cost_per_image is None:
            self.round_cost, self.cost_per_image = seconds, per_image
        else:
            self.round_cost += COST_SMOOTHING * (seconds - self.round_cost)
            self.cost_per_image += COST_SMOOTHING * (per_image - self.cost_per_image)

    def select(self, now: float, ready: Iterable[Hashable], tracks: Iterable[Hashable]) -> list:
        """The tracks to generate now: every ``ready`` one (with new audio) if a round is
        due, else none. ``tracks`` is every live track (to forget the departed)."""
        live = set(tracks)
        for key in list(self._history):
            if key not in live:
                self.forget(key)
        if self._last is not None:
            self._tokens = min(TOKEN_CAPACITY, self._tokens + (now - self._last) * self.rate_hz())
        self._last = now
        chosen = [key for key in ready if key in live]
        if not chosen or self._tokens < 1.0:
            return []
        self._tokens -= 1.0
        for key in chosen:
            self._history.setdefault(key, deque()).append(now)
        return chosen

    def forget(self, key: Hashable) -> None:
        self._history.pop(key, None)

    def achieved_hz(self, now: float) -> float:
        """Mean generated frames per second per track over the last few seconds."""
        rates = []
        for history in self._history.values():
            while history and now - history[0] > RATE_WINDOW_SECONDS:
                history.popleft()
            rates.append(len(history) / RATE_WINDOW_SECONDS)
        return sum(rates) / len(rates) if rates else 0.0

    def report(self, now: float) -> RateReport:
        rate = self.rate_hz()
        return RateReport(
            target_hz=self.target_hz,
            rate_hz=rate,
            achieved_hz=self.achieved_hz(now),
            cost_ms=(self.cost_per_image or 0.0) * 1000,
            limited=rate < self.target_hz - 1e-9,
        )
