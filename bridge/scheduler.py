"""When to generate a track's next picture: a fair, CPU-aware rate for every track.

Each track earns generation *tokens* at the current per-track rate and may generate when
it holds one and has new audio. Tokens (rather than a fixed period) matter because audio
packets arrive every ~23 ms: a period of 33 ms checked on packet arrival would fire on
every second packet only, i.e. 21 Hz instead of 30.

The rate is the target (30 Hz) unless the measured cost of an image times the number of
tracks exceeds the worker's CPU budget; then every track's rate drops by the same factor,
which is what the HUD reports. The render loop is never involved: it keeps drawing at
display rate with the newest pictures it has.
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
    """Token-bucket rate control shared evenly by all tracks."""

    def __init__(
        self,
        target_hz: float = DEFAULT_TARGET_HZ,
        budget: float = DEFAULT_BUDGET,
    ) -> None:
        if target_hz <= 0 or not 0 < budget <= 4:
            raise ValueError("target_hz must be positive and budget within (0, 4]")
        self.target_hz = target_hz
        self.budget = budget
        self.cost_per_image: float | None = None
        self._tokens: dict[Hashable, float] = {}
        self._last: dict[Hashable, float] = {}
        self._history: dict[Hashable, deque[float]] = {}
        self._tracks = 1

    def rate_hz(self, tracks: int | None = None) -> float:
        """Per-track rate the CPU budget allows for ``tracks`` tracks (now: the last count)."""
        count = max(1, self._tracks if tracks is None else tracks)
        if self.cost_per_image is None or self.cost_per_image <= 0:
            return self.target_hz
        affordable = self.budget / (self.cost_per_image * count)
        return max(MIN_HZ, min(self.target_hz, affordable))

    def observe(self, images: int, seconds: float) -> None:
        """Record that generating ``images`` pictures (one batch) took ``seconds``."""
        if images <= 0 or seconds <= 0:
            return
        cost = seconds / images
        if self.cost_per_image is None:
            self.cost_per_image = cost
        else:
            self.cost_per_image += COST_SMOOTHING * (cost - self.cost_per_image)

    def select(self, now: float, ready: Iterable[Hashable], tracks: Iterable[Hashable]) -> list:
        """Which of the ``ready`` tracks (those with new audio) generate now.

        ``tracks`` is every live track (they all share the budget). Spends a token for each
        track selected; the longest-waiting tracks come first.
        """
        live = set(tracks)
        self._tracks = max(1, len(live))
        for key in list(self._tokens):
            if key not in live:
                self.forget(key)
        rate = self.rate_hz()
        chosen = []
        for key in ready:
            last = self._last.get(key)
            tokens = self._tokens.get(key, 1.0)
            if last is not None:
                tokens = min(TOKEN_CAPACITY, tokens + (now - last) * rate)
            self._last[key] = now
            if tokens >= 1.0:
                tokens -= 1.0
                chosen.append(key)
            self._tokens[key] = tokens
        chosen.sort(key=self._last_generated)
        for key in chosen:
            self._history.setdefault(key, deque()).append(now)
        return chosen

    def _last_generated(self, key: Hashable) -> float:
        history = self._history.get(key)
        return history[-1] if history else float("-inf")

    def forget(self, key: Hashable) -> None:
        self._tokens.pop(key, None)
        self._last.pop(key, None)
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
