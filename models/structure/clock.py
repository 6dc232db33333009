"""Where the bars are: beat positions of frames (from Live's transport or the tracker) and
the frames cut into bars.

Beats are quarter notes of the song position, as Live counts them; a bar lasts
``numerator * 4 / denominator`` quarters (7/8 is 3.5) and bar ``n`` starts at the song
position where the previous one ended (at song position 0 for the first whole bar).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from models.structure.frames import Frames

#: A beat position this far (quarters) outside the bar being filled is a jump (a locate, a
#: loop or a corrected downbeat): the bar is closed early, as incomplete.
JUMP_BEATS = 1.0


@dataclass(frozen=True)
class Transport:
    """The transport at one instant, as Live's device sends it.

    Attributes:
        tempo: quarter notes per minute (> 0).
        beat: song position in quarter notes at that instant.
        numerator, denominator: the time signature (4/4, 3/4, 7/8 …).
    """

    tempo: float
    beat: float
    numerator: int = 4
    denominator: int = 4

    def __post_init__(self) -> None:
        if not (math.isfinite(self.tempo) and 1.0 <= self.tempo <= 999.0):
            raise ValueError(f"tempo must be 1 … 999 BPM, got {self.tempo}")
        if not math.isfinite(self.beat):
            raise ValueError(f"beat must be finite, got {self.beat}")
        if not 1 <= self.numerator <= 99 or self.denominator not in (1, 2, 4, 8, 16, 32):
            raise ValueError(f"bad time signature {self.numerator}/{self.denominator}")

    @property
    def bar_length(self) -> float:
        """Quarter notes per bar."""
        return self.numerator * 4.0 / self.denominator


class BeatMap:
    """A track's stream time → song position, from the transport stamped on its blocks.

    Between stamps the song position runs on at the stamp's tempo.
    """

    def __init__(self) -> None:
        self._anchors: deque[tuple[float, Transport]] = deque()

    def __bool__(self) -> bool:
        return bool(self._anchors)

    def add(self, time: float, transport: Transport) -> None:
        """The transport at stream time ``time`` (seconds); times must not decrease."""
        if self._anchors and time < self._anchors[-1][0]:
            raise ValueError("transport stamps must come in time order")
        self._anchors.append((time, transport))

    def beats(self, times: np.ndarray) -> tuple[np.ndarray, list[Transport]]:
        """Song positions at increasing ``times`` and the transport in effect at each.

        Anchors no frame can need any more (older than the first time) are forgotten.
        """
        if not self._anchors:
            raise ValueError("no transport yet")
        while len(self._anchors) > 1 and self._anchors[1][0] <= times[0]:
            self._anchors.popleft()
        anchors = list(self._anchors)
        starts = np.array([a[0] for a in anchors])
        which = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, None)
        out = np.empty(len(times))
        used: list[Transport] = []
        for k, (t, i) in enumerate(zip(times, which, strict=True)):
            start, transport = anchors[i]
            out[k] = transport.beat + (t - start) * transport.tempo / 60.0
            used.append(transport)
        return out, used


@dataclass(frozen=True)
class RawBar:
    """One bar of one track before fingerprinting.

    Attributes:
        start_beat: song position (quarters) where the bar starts.
        length: its nominal length in quarters.
        start_s: stream time (seconds) of its start.
        tempo: BPM at its start.
        frames: the frames in it (slot-lead included).
        complete: False for a bar cut short by a jump.
        beats: ``(len(frames),)`` their song positions.
    """

    start_beat: float
    length: float
    start_s: float
    tempo: float
    frames: Frames
    beats: np.ndarray
    complete: bool


class BarSplitter:
    """Cuts a track's frames, with their song positions, into :class:`RawBar` s.

    Args:
        lead: quarters by which each bar's window starts early (a slot's lead).
    """

    def __init__(self, lead: float, bands: int) -> None:
        self.lead = lead
        self.bands = bands
        self._start: float | None = None
        self._length = 4.0
        self._tempo = 120.0
        self._start_s = 0.0
        self._confirmed = True
        self._parts: list[Frames] = []
        self._beats: list[np.ndarray] = []

    @property
    def open_start(self) -> float | None:
        """Song position of the bar being filled, or None before the first frame."""
        return self._start

    def push(self, frames: Frames, beats: np.ndarray, transports: list[Transport]) -> list[RawBar]:
        """Take frames and their song positions; return the bars they close."""
        closed: list[RawBar] = []
        begin = 0
        for k in range(len(frames)):
            beat = float(beats[k])
            if self._start is None:
                self._open(beat, transports[k], float(frames.time[k]))
                begin = k
                continue
            if not self._confirmed and beat >= self._start:
                # the bar's length is the signature in effect at its start (Live changes
                # it on a bar line, after this bar's window opened)
                self._length = transports[k].bar_length
                self._confirmed = True
            end = self._start + self._length - self.lead
            if self._start - self.lead - JUMP_BEATS <= beat < end:
                continue
            complete = end <= beat < end + JUMP_BEATS
            closed.append(self._close(frames, beats, begin, k, complete))
            begin = k
            if complete:
                transport = transports[k]
                self._length = transport.bar_length
                self._tempo = transport.tempo
                self._start += closed[-1].length
                self._confirmed = beat >= self._start
                self._start_s = float(frames.time[k]) - (beat - self._start) * 60.0 / self._tempo
            else:
                self._open(beat, transports[k], float(frames.time[k]))
        if self._start is not None and begin < len(frames):
            self._parts.append(frames.take(slice(begin, len(frames))))
            self._beats.append(np.asarray(beats[begin:], dtype=np.float64))
        return closed

    def flush(self) -> RawBar | None:
        """The bar being filled, as incomplete (at the end of a stream), or None."""
        if self._start is None or not self._parts:
            self._start = None
            return None
        bar = self._make(False)
        self._start = None
        return bar

    def _open(self, beat: float, transport: Transport, time: float) -> None:
        self._length = transport.bar_length
        self._tempo = transport.tempo
        self._start = math.floor((beat + self.lead) / self._length + 1e-9) * self._length
        self._start_s = time - (beat - self._start) * 60.0 / self._tempo
        self._confirmed = beat >= self._start
        self._parts, self._beats = [], []

    def _close(
        self, frames: Frames, beats: np.ndarray, begin: int, k: int, complete: bool
    ) -> RawBar:
        if k > begin:
            self._parts.append(frames.take(slice(begin, k)))
            self._beats.append(np.asarray(beats[begin:k], dtype=np.float64))
        bar = self._make(complete)
        self._parts, self._beats = [], []
        return bar

    def _make(self, complete: bool) -> RawBar:
        assert self._start is not None
        return RawBar(
            start_beat=self._start,
            length=self._length,
            start_s=self._start_s,
            tempo=self._tempo,
            frames=Frames.concatenate(self._parts, self.bands),
            beats=np.concatenate(self._beats) if self._beats else np.zeros(0),
            complete=complete,
        )
