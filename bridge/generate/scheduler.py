"""When to generate pictures, and for which tracks: small fresh groups, shared fairly.

A picture's latency is the age of the audio it was made from when it reaches the screen.
Generating every track in one big batch ("rounds") is the most efficient use of the CPU but
the slowest way to get any one picture out: a round of 8 squiggle pictures takes ~62 ms,
and audio that arrives meanwhile waits for the next round. So the bridge generates in
*groups* small enough that one call stays within :data:`DEFAULT_CALL_BUDGET` (within
:data:`BUSY_CALL_BUDGET` while the CPU sets the rate: then pictures per second come first),
each group analysed from the newest audio just before it runs, and takes turns between
tracks.

Two decisions are made here, without any I/O:

- **Who is next.** Every track earns *tokens* at the current rate and spends one per
  picture. Tokens (rather than a fixed period) matter because audio packets arrive every
  10.7 ms: a period of 33.3 ms checked on packet arrival would fire on every fourth packet
  only, i.e. 23 Hz instead of 30. Among tracks with new audio and a token, the one owed
  most goes first, then the one served longest ago.
- **How many at once.** The largest group whose predicted cost fits the call budget. Costs
  are learnt per style and batch size; an untried size is predicted pessimistically from
  the per-picture cost of the largest tried size below it (bigger batches never cost more
  per picture), so the group grows only as far as measurements allow.

The rate is the target (30 Hz) unless the measured cost of feeding every track at that rate
exceeds the generator's CPU budget; then the rate drops, for every track alike, which is
what the HUD reports. The render loop is never involved: it keeps drawing at display rate
with the newest pictures it has.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

DEFAULT_TARGET_HZ = 30.0
#: Fraction of one core the generator may use before rates are lowered.
DEFAULT_BUDGET = 0.85
#: Longest one generator call should take (seconds); sets the group size. Smaller groups
#: get each picture out sooner: with 8 tracks (bench/latency.py, same run, 2-core machine,
#: 2026-12-01) 6 ms gave packet → frame p95 44.2–45.7 ms against 45.5–50.5 ms with 10 ms,
#: at the same 29.7–29.9 pictures/s per track; 4 ms lowered the rate to 26–27.
DEFAULT_CALL_BUDGET = 0.006
#: ... but while the CPU sets the rate, pictures per second matter more than the latency
#: of each: a call may then take this long (16 tracks: 22.1 pictures/s per track with
#: 10 ms calls against 15.0 with 6 ms).
BUSY_CALL_BUDGET = 0.010
MIN_HZ = 1.0
#: Most tokens a track can save up (a burst allowance after a quiet moment).
TOKEN_CAPACITY = 2.0
#: Weight of a new measurement in the moving averages of cost.
COST_SMOOTHING = 0.1
RATE_WINDOW_SECONDS = 2.0
#: Largest group ever formed (pictures per generator call).
MAX_GROUP = 64
#: The display's claim on the CPU: each late frame multiplies the generator's budget by
#: LATE_FACTOR (down to MIN_DISPLAY_SHARE of it), each frame on time gives RECOVER_STEP back.
#: At 60 fps a halved budget is whole again after ~4 s of frames on time; in balance about
#: one frame in 12 is late (a display at 55 of 60 fps).
LATE_FACTOR = 0.97
RECOVER_STEP = 0.002
MIN_DISPLAY_SHARE = 0.1
#: How early (in tokens) a track may join a call that a due track starts; it spends the
#: token it has not yet earned, so its rate stays the same on average.
JOIN_EARLY = 0.5


@dataclass(frozen=True)
class RateReport:
    target_hz: float  # what every track should get if the CPU allows
    rate_hz: float  # what the scheduler currently grants each track
    achieved_hz: float  # what tracks actually got over the last seconds (mean)
    cost_ms: float  # smoothed generation cost per image
    limited: bool  # True when the CPU budget, not the target, sets the rate
    display_share: float = 1.0  # share of the budget left to generation by the display


@dataclass(frozen=True)
class Group:
    """One generator call: these tracks, all of this style."""

    style: str
    keys: list[Hashable]


class BatchCosts:
    """Learnt seconds per generator call, by batch size, for one style."""

    def __init__(self) -> None:
        self._seconds: dict[int, float] = {}

    def observe(self, batch: int, seconds: float) -> None:
        old = self._seconds.get(batch)
        self._seconds[batch] = seconds if old is None else old + COST_SMOOTHING * (seconds - old)

    def predict(self, batch: int) -> float | None:
        """Seconds for a call of ``batch`` pictures, or None if nothing is known yet.

        Never more than the per-picture cost of the largest smaller batch tried, times
        ``batch``: one slow call (a new shape warming up, a busy moment) would otherwise
        keep a size out of use for good, since an unused size is never measured again.
        """
        below = [b for b in self._seconds if b < batch]
        scaled = self._seconds[max(below)] / max(below) * batch if below else None
        measured = self._seconds.get(batch)
        if measured is not None:
            return measured if scaled is None else min(measured, scaled)
        if scaled is not None:
            return scaled
        above = [b for b in self._seconds if b > batch]
        return self._seconds[min(above)] if above else None

    def largest_within(self, budget: float, limit: int) -> int:
        """The largest batch up to ``limit`` predicted to fit ``budget`` (at least 1)."""
        best = 1
        for batch in range(2, limit + 1):
            predicted = self.predict(batch)
            if predicted is None or predicted > budget:
                break
            best = batch
        return best


class GenerationScheduler:
    """Token-bucket rate control and group forming for generator calls."""

    def __init__(
        self,
        target_hz: float = DEFAULT_TARGET_HZ,
        budget: float = DEFAULT_BUDGET,
        call_budget: float = DEFAULT_CALL_BUDGET,
        busy_call_budget: float | None = None,
    ) -> None:
        if target_hz <= 0 or not 0 < budget <= 4 or call_budget <= 0:
            raise ValueError("target_hz and call_budget must be positive, budget within (0, 4]")
        self.target_hz = target_hz
        self.budget = budget
        self.call_budget = call_budget
        #: The call budget while the CPU sets the rate (never below ``call_budget``).
        busy = BUSY_CALL_BUDGET if busy_call_budget is None else busy_call_budget
        self.busy_call_budget = max(call_budget, busy)
        self.cost_per_image: float | None = None  # smoothed over every style, seconds
        #: Share of ``budget`` the generator may use now, lowered while the display is late.
        self.display_share = 1.0
        self._costs: dict[str, BatchCosts] = {}
        self._tokens: dict[Hashable, float] = {}
        self._served: dict[Hashable, float] = {}
        self._history: dict[Hashable, deque[float]] = {}
        self._tracks = 0
        self._last: float | None = None

    def rate_hz(self) -> float:
        """Pictures per second per track that the CPU budget allows (at most the target)."""
        if not self.cost_per_image or self._tracks == 0:
            return self.target_hz
        affordable = self.budget * self.display_share / (self.cost_per_image * self._tracks)
        return max(MIN_HZ, min(self.target_hz, affordable))

    def display_frame(self, late: bool) -> None:
        """Say whether the display's last frame came late (the display goes first: its
        misses lower every track's rate, its frames on time raise it back)."""
        if late:
            self.display_share = max(MIN_DISPLAY_SHARE, self.display_share * LATE_FACTOR)
        else:
            self.display_share = min(1.0, self.display_share + RECOVER_STEP)

    def observe(self, style: str, images: int, seconds: float) -> None:
        """Record that one call of ``style`` made ``images`` pictures in ``seconds``."""
        if images <= 0 or seconds <= 0:
            return
        self._costs.setdefault(style, BatchCosts()).observe(images, seconds)
        per_image = seconds / images
        if self.cost_per_image is None:
            self.cost_per_image = per_image
        else:
            self.cost_per_image += COST_SMOOTHING * (per_image - self.cost_per_image)

    def group_size(self, style: str, available: int) -> int:
        """How many of ``available`` waiting tracks of ``style`` to generate in one call."""
        costs = self._costs.get(style)
        limit = min(available, MAX_GROUP)
        if costs is None or limit <= 1:
            return min(1, limit)
        budget = self.busy_call_budget if self.limited() else self.call_budget
        return costs.largest_within(budget, limit)

    def select(
        self,
        now: float,
        ready: Iterable[Hashable],
        tracks: Iterable[Hashable],
        style_of: Callable[[Hashable], str],
        costly: int | None = None,
    ) -> Group | None:
        """The next generator call, or None if no track with new audio is due.

        ``ready`` are the tracks whose audio is newer than their last picture, ``tracks``
        every live track (to forget the departed), ``style_of`` each track's style, and
        ``costly`` how many live tracks need the generator (silent ones get blank pictures
        for free; default: all). The CPU budget is shared among the costly ones. The chosen
        tracks spend a token each.
        """
        live = set(tracks)
        self._tracks = len(live) if costly is None else max(0, min(costly, len(live)))
        for key in list(self._tokens):
            if key not in live:
                self.forget(key)
        rate = self.rate_hz()
        elapsed = 0.0 if self._last is None else max(0.0, now - self._last)
        self._last = now
        for key in live:
            held = self._tokens.get(key, 1.0)  # a new track may go at once
            self._tokens[key] = min(TOKEN_CAPACITY, held + elapsed * rate)
            self._history.setdefault(key, deque())
        fresh = [key for key in ready if key in live]
        if not any(self._tokens[key] >= 1.0 for key in fresh):
            return None
        # Whoever is due goes now; tracks nearly due may join its call (their token a little
        # early): one call of several pictures costs less per picture than several calls.
        due = [key for key in fresh if self._tokens[key] >= 1.0 - JOIN_EARLY]
        due.sort(key=lambda k: (-self._tokens[k], self._served.get(k, float("-inf"))))
        style = style_of(due[0])
        same = [key for key in due if style_of(key) == style]
        chosen = same[: self.group_size(style, len(same))]
        for key in chosen:
            self._tokens[key] -= 1.0
            self._served[key] = now
            history = self._history[key]
            history.append(now)
            while now - history[0] > RATE_WINDOW_SECONDS:  # bounded even if nobody asks
                history.popleft()
        return Group(style, chosen)

    def limited(self) -> bool:
        """Whether the CPU budget, not the target, sets the rate now."""
        return self.rate_hz() < self.target_hz - 1e-9

    def seconds_until_due(self, now: float) -> float:
        """How long until some live track holds a whole token (0: one does now, or a new
        track may come). Nobody can be generated before then, so the worker may sleep
        instead of analysing every packet as it lands."""
        if not self._tokens or self._last is None:
            return 0.0
        rate = self.rate_hz()
        elapsed = max(0.0, now - self._last)
        most = max(self._tokens.values()) + elapsed * rate
        return 0.0 if most >= 1.0 else (1.0 - most) / rate

    def forget(self, key: Hashable) -> None:
        self._tokens.pop(key, None)
        self._served.pop(key, None)
        self._history.pop(key, None)

    def achieved_hz(self, now: float) -> float:
        """Mean generated frames per second per track over the last few seconds."""
        rates = []
        for history in list(self._history.values()):  # the render thread asks for reports
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
            limited=self.limited(),
            display_share=self.display_share,
        )
