"""A causal tempo and downbeat tracker for audio without a transport.

It works on the tatum (eighth-note) grid, which is what 4/4, 3/4 and 7/8 share:

1. **Tatum period** ``T``: given (``30 / tempo``) or the lag of the strongest peak of the
   onset envelope's autocorrelation in 0.15 … 0.5 s, weighted towards 0.23 s (130 BPM),
   refined (±4 %) by the comb that collects the most onset strength.
2. **Phase**: the comb of period ``T`` that collects the most onset strength.
3. **Meter**: 8, 6 or 7 tatums a bar (4/4, 3/4, 7/8) — the lag ``L`` (or ``2L``) at which
   the tatum-synchronous chroma and spectrum repeat best; 3/4 or 7/8 only where that lag is
   also more of a peak over the beats around it than 4/4's (:func:`bar_contrast`), since
   a sound changing slowly (a pad swelling over two bars) makes every shorter lag repeat
   better. The chroma is every sounding track's pitch-class shares alike, so a change of
   balance between tracks is not taken for a change of harmony.
4. **Downbeat**: the tatum of the bar (on a beat in 4/4 and 3/4) where the low-band onsets
   (kick, bass) are strongest and the harmony changes most.

The tracker listens for ``lock_seconds`` before its first estimate; everything up to then
is then placed on the grid (so the first bars come late, once). Afterwards it re-estimates
from the last ``window_seconds`` once a bar and corrects small phase errors continuously
(half of the error each time) and, without a given tempo, slow tempo drift (±1 %). With a
given tempo, the downbeat and meter are decided once more from *everything* heard when 16
and 24 s of audio are in (``confirm_seconds``): the lock's 8 s hold three to six bars, where
a bass line accenting another beat can outweigh the downbeat; where the longer hearing
disagrees, the song position jumps forward onto the new grid's next bar line (the bar being
filled is cut short, as by a locate) and :attr:`BeatTracker.corrections` counts it. Other
than that the meter and the downbeat stay those of the lock (a later estimate from the
12-s window that disagrees is only counted in :attr:`BeatTracker.disagreements`: from a
short window it is the less reliable).
It reports its grid as a :class:`Transport` (song position in quarters, bar 0 starting at
the first downbeat), exactly as Live would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.structure.clock import JUMP_BEATS, Transport

#: Tatums per bar the tracker considers, with the time signature each stands for.
METERS: dict[int, tuple[int, int]] = {8: (4, 4), 6: (3, 4), 7: (7, 8)}
#: Tatum periods considered without a tempo (seconds), the prior's centre (an eighth at
#: 130 BPM, amid house and techno tempi) and its width (standard deviation of the log
#: period). Wider (0.5, centred on 120 BPM, before the seventh round) the quarter note
#: won at 140 BPM, where kick and bass make it repeat far more than the eighths do: 8 of
#: 9 tuning-side pieces at 140 BPM were read at half tempo (see docs/structure.md).
TATUM_RANGE = (0.15, 0.5)
TATUM_PRIOR = 0.23
TATUM_PRIOR_WIDTH = 0.3
#: Onsets on one half of the tatums this many times stronger than on the other make those
#: the beats (else the downbeat may fall on any tatum).
PARITY_RATIO = 1.15
#: Seconds of audio heard at which the downbeat and meter are decided again from all of it.
CONFIRM_SECONDS = (16.0, 24.0)


@dataclass(frozen=True)
class Grid:
    """A tatum grid: period ``tatum`` (s), a downbeat at ``downbeat`` (s, stream time) and
    ``meter`` tatums a bar."""

    tatum: float
    downbeat: float
    meter: int

    @property
    def tempo(self) -> float:
        """Quarter-note BPM (a tatum is an eighth)."""
        return 30.0 / self.tatum

    def transport(self, beat: float) -> Transport:
        num, den = METERS[self.meter]
        return Transport(self.tempo, beat, num, den)

    def beats(self, times: np.ndarray) -> np.ndarray:
        """Song positions (quarters) at ``times``; 0 at :attr:`downbeat`."""
        return (np.asarray(times) - self.downbeat) / self.tatum / 2.0


def _envelope(onset: np.ndarray, fps: float) -> np.ndarray:
    """Onset strength with its local mean (0.5 s) removed, half-wave rectified."""
    # no wider than the stream: np.convolve's "same" keeps the longer input's length, so a
    # stream shorter than 0.5 s (a short file's flush) would get the kernel's
    width = max(1, min(round(0.5 * fps), onset.size))
    kernel = np.ones(width) / width
    local = np.convolve(onset, kernel, mode="same")
    return np.maximum(onset - local, 0.0)


def tatum_period(env: np.ndarray, fps: float) -> float:
    """Tatum period (s) from the envelope's autocorrelation (see the module docstring)."""
    lo, hi = (max(1, math.floor(x * fps)) for x in TATUM_RANGE)
    if len(env) <= hi * 2 + 2:
        return TATUM_PRIOR
    x = env - env.mean()
    spectrum = np.fft.rfft(x, 2 * len(x))
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[: hi * 2 + 2]
    if acf[0] <= 0:
        return TATUM_PRIOR
    acf = acf / acf[0]
    lags = np.arange(lo, hi + 1)
    # a tatum's multiples should also correlate: favour lags whose double is strong too
    score = acf[lags] + 0.5 * acf[np.minimum(2 * lags, len(acf) - 1)]
    prior = np.exp(-0.5 * (np.log(lags / fps / TATUM_PRIOR) / TATUM_PRIOR_WIDTH) ** 2)
    best = int(lags[np.argmax(score * prior)])
    if lo < best < hi:  # parabolic refinement
        a, b, c = acf[best - 1], acf[best], acf[best + 1]
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
        return (best + float(np.clip(shift, -0.5, 0.5))) / fps
    return best / fps


def comb_phase(env: np.ndarray, times: np.ndarray, tatum: float, fps: float) -> float:
    """Time (s) of a tatum of the comb of period ``tatum`` that collects the most onset
    strength over ``times`` (the frames' times, evenly spaced at ``fps``)."""
    steps = max(1, round(tatum * fps))
    offsets = np.arange(steps) / fps
    best, best_score = 0.0, -1.0
    start = times[0]
    span = times[-1] - start
    count = int(span / tatum)
    if count < 1:
        return float(start)
    for offset in offsets:
        grid = start + offset + np.arange(count) * tatum
        pos = (grid - start) * fps
        lo = np.floor(pos).astype(int)
        frac = pos - lo
        hi = np.minimum(lo + 1, len(env) - 1)
        lo = np.minimum(lo, len(env) - 1)
        score = float(((1 - frac) * env[lo] + frac * env[hi]).sum())
        if score > best_score:
            best, best_score = float(start + offset), score
    return best


def _comb_score(
    env: np.ndarray, times: np.ndarray, tatum: float, phase: float, fps: float
) -> float:
    count = int((times[-1] - phase) / tatum)
    if count < 1:
        return 0.0
    pos = (phase + np.arange(count) * tatum - times[0]) * fps
    lo = np.clip(np.floor(pos).astype(int), 0, len(env) - 1)
    hi = np.minimum(lo + 1, len(env) - 1)
    frac = pos - np.floor(pos)
    return float(((1 - frac) * env[lo] + frac * env[hi]).mean())


def refine_tatum(
    env: np.ndarray, times: np.ndarray, tatum: float, fps: float, spread: float = 0.04
) -> tuple[float, float]:
    """The period within ``±spread`` of ``tatum`` (and its phase) whose comb collects the
    most onset strength per tooth: ``(tatum s, phase s)``. The autocorrelation's lag is
    only as fine as a frame (3 % of a tatum at 120 BPM); the comb over many bars is finer."""
    best = (-1.0, tatum, times[0])
    for candidate in tatum * (1.0 + np.linspace(-spread, spread, 33)):
        phase = comb_phase(env, times, float(candidate), fps)
        score = _comb_score(env, times, float(candidate), phase, fps)
        if score > best[0]:
            best = (score, float(candidate), phase)
    return best[1], best[2]


def tatum_features(
    times: np.ndarray,
    onset: np.ndarray,
    low: np.ndarray,
    power: np.ndarray,
    chroma: np.ndarray,
    phase: float,
    tatum: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Per-tatum onset, low onset, log-power shape and chroma over ``[phase - T/4, …)``.

    Returns ``(onset (M,), low (M,), spectrum (M, bands), chroma (M, 12), first)``,
    ``first`` being the time of tatum 0.
    """
    first = phase - math.floor((phase - times[0]) / tatum) * tatum
    index = np.floor((times - first + tatum / 4) / tatum).astype(int)
    keep = index >= 0
    index, times_k = index[keep], times[keep]
    m = int(index.max()) + 1 if index.size else 0
    o = np.zeros(m)
    lo = np.zeros(m)
    np.maximum.at(o, index, onset[keep])
    np.maximum.at(lo, index, low[keep])
    spec = np.zeros((m, power.shape[1]))
    np.add.at(spec, index, power[keep])
    chrom = np.zeros((m, 12))
    np.add.at(chrom, index, chroma[keep])
    del times_k
    return o, lo, spec, chrom, first


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True) if x.shape[1] > 1 else x
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def repetition(features: np.ndarray, lag: int) -> float:
    """Mean cosine similarity of tatum features ``lag`` tatums apart (0 if too short)."""
    if len(features) <= lag + 1:
        return 0.0
    return float(np.einsum("ij,ij->i", features[:-lag], features[lag:]).mean())


def bar_contrast(features: np.ndarray, meter: int) -> float:
    """How much more the unit-row ``features`` repeat at one and two bars (``meter`` and
    ``2 * meter`` tatums) than a beat (two tatums) either side: the mean over both lags of
    ``rep(L) - (rep(L - 2) + rep(L + 2)) / 2``.

    Repetition decays with the lag wherever the sound changes slowly (a pad swelling over
    two bars, a filter sweep): on such a curve a shorter bar repeats better without being
    one. A true bar lag is a peak over the beats around it, which the decay does not make.
    """
    terms = []
    for lag in (meter, 2 * meter):
        if len(features) > lag + 3:
            around = 0.5 * (repetition(features, lag - 2) + repetition(features, lag + 2))
            terms.append(repetition(features, lag) - around)
    return float(np.mean(terms)) if terms else 0.0


def choose_meter(features: np.ndarray, meters: tuple[int, ...] = tuple(METERS)) -> int:
    """The tatums per bar whose lag (or twice it) repeats best; ties go to 8 (4/4).

    A meter other than the first (4/4) must also show more bar-level repetition (see
    :func:`bar_contrast`) than the first; else the first's prior (dance music is mostly in
    4/4) decides. ``features``: (tatums, dims), one row per tatum."""
    unit = _unit_rows(features)
    scores = {m: max(repetition(unit, m), repetition(unit, 2 * m)) for m in meters}
    best = max(scores.values())
    choice = meters[0]
    for m in meters:  # in preference order
        if scores[m] >= best - 0.01:
            choice = m
            break
    if choice != meters[0] and bar_contrast(unit, choice) <= bar_contrast(unit, meters[0]):
        return meters[0]
    return choice


def choose_downbeat(
    onset: np.ndarray, low: np.ndarray, chroma: np.ndarray, meter: int, beat_parity: int | None
) -> int:
    """Tatum offset (0 … meter-1) of the downbeat: strongest low onsets and harmonic
    change (each relative to its mean over the offsets), on a beat when ``beat_parity``
    is given.
    ``onset`` only sets how many whole bars there are."""
    bars = len(onset) // meter
    if bars < 1:
        return 0
    n = bars * meter
    low_pos = low[:n].reshape(bars, meter).mean(axis=0)
    half = max(1, meter // 2)
    unit = _unit_rows(np.asarray(chroma, dtype=np.float64) + 1e-12)
    cumulative = np.vstack([np.zeros((1, 12)), np.cumsum(unit, axis=0)])
    change = np.zeros(meter)
    counts = np.zeros(meter)
    for t in range(half, len(unit) - half):
        before = cumulative[t] - cumulative[t - half]
        after = cumulative[t + half] - cumulative[t]
        nb, na = np.linalg.norm(before), np.linalg.norm(after)
        if nb > 0 and na > 0:
            change[t % meter] += 1.0 - float(before @ after) / (nb * na)
            counts[t % meter] += 1
    change = change / np.maximum(counts, 1)

    def relative(x: np.ndarray) -> np.ndarray:
        # relative to the mean, not z-scored: a flat (uninformative) cue stays near 1
        # instead of having its noise blown up to unit variance
        mean = x.mean()
        return x / mean if mean > 1e-12 else np.ones_like(x)

    score = relative(low_pos) + relative(change)
    if beat_parity is not None and meter % 2 == 0:
        score[np.arange(meter) % 2 != beat_parity] = -np.inf
    return int(np.argmax(score))


def estimate_grid(
    times: np.ndarray,
    onset: np.ndarray,
    low: np.ndarray,
    power: np.ndarray,
    chroma: np.ndarray,
    fps: float,
    tempo: float | None,
    meters: tuple[int, ...] = tuple(METERS),
) -> Grid:
    """One estimate of the grid from a stretch of frames (arrays with one row per frame).

    Raises:
        ValueError: with fewer than two frames.
    """
    if len(times) < 2:
        raise ValueError("need at least two frames to estimate a grid")
    env = _envelope(onset + low, fps)
    if tempo:
        tatum = 30.0 / tempo
        phase = comb_phase(env, times, tatum, fps)
    else:
        tatum, phase = refine_tatum(env, times, tatum_period(env, fps), fps)
    o, lo, spec, chrom, first = tatum_features(times, onset, low, power, chroma, phase, tatum)
    shape = np.log10(np.maximum(spec, 1e-10))
    features = np.hstack([_unit_rows(shape), _unit_rows(chrom)])
    meter = choose_meter(features, meters)
    # beats are the stronger half of the tatums, when one half is clearly stronger
    halves = [o[0::2].mean() if len(o) else 0.0, o[1::2].mean() if len(o) > 1 else 0.0]
    parity = int(np.argmax(halves))
    clear = min(halves) <= 0 or max(halves) / min(halves) >= PARITY_RATIO
    offset = choose_downbeat(o, lo, chrom, meter, parity if meter % 2 == 0 and clear else None)
    return Grid(tatum, first + offset * tatum, meter)


class BeatTracker:
    """The tracker, fed frame by frame (all tracks' onsets and spectra summed).

    Args:
        fps: frames per second of the features.
        tempo: quarter-note BPM when known (the tatum period is then fixed).
        lock_seconds: audio heard before the first estimate.
        window_seconds: audio each later estimate looks at.
        confirm_seconds: audio heard (s, from the first frame) at which the downbeat and
            meter are decided again from all of it, with a given tempo only (see the
            module docstring); ``()`` keeps the lock's.
    """

    def __init__(
        self,
        fps: float,
        *,
        tempo: float | None = None,
        lock_seconds: float = 8.0,
        window_seconds: float = 12.0,
        meters: tuple[int, ...] = tuple(METERS),
        confirm_seconds: tuple[float, ...] = CONFIRM_SECONDS,
    ) -> None:
        if tempo is not None and not 20.0 <= tempo <= 400.0:
            raise ValueError(f"tempo must be 20 … 400 BPM, got {tempo}")
        self.fps = fps
        self.tempo = tempo
        self.lock_seconds = lock_seconds
        self.window_seconds = window_seconds
        self.meters = meters
        self.grid: Grid | None = None
        self._times: list[np.ndarray] = []
        self._cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._next_check = 0.0
        self._offset = 0.0  # quarters added to the grid's beats (keeps positions continuous)
        self.disagreements = 0
        # audio heard at which the downbeat and meter are decided again from all heard so far
        # (with a given tempo only: without one, the tatum itself may be a half or a double,
        # and moving the bars of a wrong tatum only cuts them once more)
        self._confirm = (
            sorted(c for c in confirm_seconds if c > lock_seconds) if tempo is not None else []
        )
        self._start: float | None = None
        self._heard: list[tuple[np.ndarray, ...]] = []  # every frame until the last confirm
        self.corrections = 0

    def _history(self) -> tuple[np.ndarray, ...]:
        times = np.concatenate(self._times)
        cols = [np.concatenate([c[i] for c in self._cols]) for i in range(4)]
        return (times, *cols)

    def push(
        self,
        times: np.ndarray,
        onset: np.ndarray,
        low: np.ndarray,
        power: np.ndarray,
        chroma: np.ndarray,
    ) -> tuple[np.ndarray, list[Transport]] | None:
        """Take the next frames; return the song positions and transports of every frame
        not placed yet — all frames so far at the lock, these frames afterwards — or None
        while still listening."""
        if len(times) == 0:
            return (np.zeros(0), []) if self.grid is not None else None
        self._times.append(np.asarray(times, dtype=np.float64))
        self._cols.append((onset, low, power, chroma))
        if self._start is None:
            self._start = float(times[0])
        if self._confirm:
            self._heard.append((self._times[-1], onset, low, power, chroma))
        self._trim()
        now = float(times[-1])
        if self.grid is None:
            if now - self._start < self.lock_seconds:
                return None
            return self._lock()
        times = np.asarray(times, dtype=np.float64)
        if self._confirm and now - self._start >= self._confirm[0]:
            return self._place_confirming(times)
        if now >= self._next_check:
            self._recheck(now)
        return self._place(times)

    def _place_confirming(self, times: np.ndarray) -> tuple[np.ndarray, list[Transport]]:
        """Place ``times`` (s, ``(n,)``), deciding the downbeat again at each confirm time
        they cross from exactly the frames before it: the frames before that time keep the
        grid they had, those from it on get the new one, however the frames were batched."""
        assert self._start is not None
        beats: list[np.ndarray] = []
        transports: list[Transport] = []
        rest = times
        while self._confirm and len(rest) and rest[-1] - self._start >= self._confirm[0]:
            at = self._start + self._confirm.pop(0)
            cut = int(np.searchsorted(rest, at))
            if cut:
                b, t = self._place(rest[:cut])
                beats.append(b)
                transports.extend(t)
            self._reconfirm(at)
            rest = rest[cut:]
        if not self._confirm:
            self._heard = []
        b, t = self._place(rest)
        beats.append(b)
        transports.extend(t)
        return np.concatenate(beats), transports

    def flush(self) -> tuple[np.ndarray, list[Transport]] | None:
        """At the end of a stream shorter than the lock: estimate from what there is."""
        if self.grid is not None or not self._times:
            return None
        if sum(len(t) for t in self._times) < 2:
            return None
        return self._lock()

    def _lock(self) -> tuple[np.ndarray, list[Transport]]:
        times, onset, low, power, chroma = self._history()
        self.grid = estimate_grid(
            times, onset, low, power, chroma, self.fps, self.tempo, self.meters
        )
        self._next_check = float(times[-1]) + self.grid.tatum * self.grid.meter
        # confirm times the lock has already heard past add nothing to it
        assert self._start is not None
        self._confirm = [c for c in self._confirm if c > float(times[-1]) - self._start]
        if not self._confirm:
            self._heard = []
        return self._place(times)

    def _place(self, times: np.ndarray) -> tuple[np.ndarray, list[Transport]]:
        assert self.grid is not None
        beats = self.grid.beats(times) + self._offset
        transports = [self.grid.transport(float(b)) for b in beats]
        return beats, transports

    def _trim(self) -> None:
        """Keep ``window_seconds`` of history once locked (all of it before)."""
        if self.grid is None:
            return
        last = float(self._times[-1][-1])
        while len(self._times) > 1 and float(self._times[1][0]) < last - self.window_seconds:
            self._times.pop(0)
            self._cols.pop(0)

    def _reconfirm(self, now: float) -> None:
        """Decide the downbeat and meter again from every frame heard before ``now`` (s,
        stream time; at the lock they rest on ``lock_seconds`` only: a few bars, where a
        bass line accenting another beat can outweigh the downbeat). Where the new decision
        differs, the song position jumps forward to the new grid's next bar line beyond the
        bar being filled (as a corrected locate would): that bar is cut short and the bars
        from there on are the new grid's. The tatum period and its sub-tatum phase stay
        the current grid's."""
        assert self.grid is not None
        grid = self.grid
        times, onset, low, power, chroma = (
            np.concatenate([h[i] for h in self._heard]) for i in range(5)
        )
        heard = times < now
        times, onset, low, power, chroma = (x[heard] for x in (times, onset, low, power, chroma))
        if len(times) < 2:
            return
        new = estimate_grid(times, onset, low, power, chroma, self.fps, grid.tempo, self.meters)
        # where the song position is 0 (a bar line): the grid's downbeat less the offset
        placed = grid.downbeat - 2.0 * grid.tatum * self._offset
        shift = round((new.downbeat - placed) / grid.tatum)
        if new.meter == grid.meter and shift % grid.meter == 0:
            return
        old_beat = float(grid.beats(np.array([now]))[0]) + self._offset
        old_bar = METERS[grid.meter][0] * 4.0 / METERS[grid.meter][1]
        moved = Grid(grid.tatum, placed + shift * grid.tatum, new.meter)
        bar = METERS[new.meter][0] * 4.0 / METERS[new.meter][1]
        here = float(moved.beats(np.array([now]))[0])
        # the new bar lines are at multiples of `bar` (offset is a whole number of bars);
        # land beyond the open bar's end and the splitter's jump margin
        target = old_beat + old_bar + JUMP_BEATS + 1e-6
        self._offset = math.ceil((target - here) / bar) * bar
        self.grid = moved
        self._next_check = now + moved.tatum * moved.meter
        self.corrections += 1

    def _recheck(self, now: float) -> None:
        assert self.grid is not None
        times, onset, low, power, chroma = self._history()
        grid = self.grid
        if self.tempo is None:  # follow slow tempo drift (±1 %) around the current tempo
            env = _envelope(onset + low, self.fps)
            tatum, _ = refine_tatum(env, times, grid.tatum, self.fps, spread=0.01)
            grid = Grid(tatum, grid.downbeat, grid.meter)
        new = estimate_grid(times, onset, low, power, chroma, self.fps, grid.tempo, self.meters)
        self._next_check = now + grid.tatum * grid.meter
        # where the new grid puts the current bar's downbeat, in the old grid's tatums
        old_beat = float(grid.beats(np.array([now]))[0]) + self._offset
        phase_err = (new.downbeat - grid.downbeat) / grid.tatum
        tatum_err = phase_err - round(phase_err)
        bar_shift = round(phase_err) % grid.meter
        if new.meter == grid.meter and bar_shift == 0:
            # small correction: move half-way to the new phase, keeping the position continuous
            # (the tatum may have been refined: re-anchor so the position at `now` holds)
            shifted = Grid(grid.tatum, grid.downbeat + 0.5 * tatum_err * grid.tatum, grid.meter)
            corrected = shifted
            self._offset = old_beat - float(corrected.beats(np.array([now]))[0])
            self.grid = corrected
            return
        # a different downbeat or meter: the estimate from a short window is less sure
        # than the lock's; the grid keeps its bars (counted, for diagnostics)
        self.disagreements += 1
