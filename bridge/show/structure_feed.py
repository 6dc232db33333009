"""Structure feeds: every track's audio into the structure analysis, bars out for the show.

The show asks its feed once per frame for the bars completed since the last frame
(:meth:`StructureFeed.bars`); the analysis itself is :class:`models.structure.StructureStream`
(bars from Live's transport when it plays, else from the audio), fed at
:data:`STRUCTURE_RATE` so a track's rate can change without restarting its memory.

- :class:`FileStructureFeed` — offline: the stems analysed whole once with the file
  source's transport (or none: the tracker finds the bars), each bar handed over on the
  frame where it starts, with the sections found with look-ahead. Injected time gives the
  same bars every run.
- :class:`LiveStructureFeed` — live: a background thread copies each track's new samples
  under the bridge's lock every :data:`PULL_SECONDS` (as the analysis worker does, with its
  own read positions), feeds them with Live's transport extrapolated to the block's first
  sample, and queues the completed bars (bounded) for the show. While Live's transport is
  stopped no bars are counted; when a transport appears after the tracker has started (or
  the reverse) the analysis restarts in the new mode.

Track names are ``str`` of the show's layer keys (:func:`bridge.show.structure_looks.track_name`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bridge.generate.analysis_feed import take_pending
from bridge.generate.feeds import Stem
from bridge.ingest.transport import BeatState
from bridge.show.structure_looks import track_name
from models.resample import StreamingResampler
from models.structure import BarResult, StructureStream, Transport, analyse_signals
from models.structure.offline import SteadyTransport

if TYPE_CHECKING:
    from bridge.ingest.service import BridgeService

log = logging.getLogger(__name__)

#: The rate every track is fed to the analysis at (its analysis rate: no second resampling).
STRUCTURE_RATE = 22050.0
#: How often the live feed pulls new audio.
PULL_SECONDS = 0.05
#: Completed bars waiting for the show at most (a stalled show drops the oldest).
MAX_WAITING_BARS = 256


class StructureFeed(Protocol):
    def bars(self, t: float) -> list[BarResult]:
        """Bars completed since the last call, oldest first (``t``: the show's clock, s)."""

    def close(self) -> None:
        """Stop whatever runs in the background."""


def transport_of(state: BeatState, seconds_before: float = 0.0) -> Transport:
    """The analysis's :class:`~models.structure.Transport` for a bridge ``state``, moved
    back ``seconds_before`` seconds (the start of a block that ends at ``state``)."""
    beat = state.beat - seconds_before * state.tempo / 60.0
    return Transport(state.tempo, beat, state.numerator, state.denominator)


class FileStructureFeed:
    """Offline structure with look-ahead (see the module docstring): the whole stems are
    analysed once (:func:`models.structure.analyse_signals`, the same stream the live feed
    runs), and each bar is handed to the show on the frame where it *starts*, labelled with
    the offline sections (found with look-ahead, so a section's first bar carries its
    boundary). A render therefore shows a motif's place and a section's colours from the
    downbeat they begin on, where the live show, which must hear a bar out (and a section's
    first bar confirmed), follows one to two bars later.

    Args:
        stems: one per track; track *i* is named ``str(i)`` as the file source keys it.
        tempo: BPM of a 4/4 transport from 0 s (the file source's), or None for the tracker.
    """

    def __init__(self, stems: Sequence[Stem], tempo: float | None = None) -> None:
        self.tempo = tempo
        signals = {
            str(i): (np.asarray(stem.audio, np.float32), float(stem.rate))
            for i, stem in enumerate(stems)
        }
        transport = SteadyTransport(tempo) if tempo else None
        self.structure = analyse_signals(signals, transport=transport, tempo=tempo)
        starts = {section.start_bar: section for section in self.structure.sections}
        label_of: dict[int, str] = {}
        for section in self.structure.sections:
            for index in range(section.start_bar, section.end_bar):
                label_of[index] = section.label
        self._bars = [
            replace(
                bar,
                section=label_of.get(bar.index, bar.section),
                boundary=bar.index in starts and bar.index > 0,
                boundary_bar=bar.index if bar.index in starts and bar.index > 0 else None,
            )
            for bar in self.structure.bars
        ]
        self._next = 0

    def bars(self, t: float) -> list[BarResult]:
        done = []
        while self._next < len(self._bars) and self._bars[self._next].start_s <= t + 1e-9:
            done.append(self._bars[self._next])
            self._next += 1
        return done

    def close(self) -> None:
        pass


class _TrackFeed:
    """One track's read position and resampler in the live feed."""

    def __init__(self) -> None:
        self.position = 0
        self.epoch = -1
        self.rate = 0.0
        self.resampler: StreamingResampler | None = None


class LiveStructureFeed:
    """Live structure from the bridge's streams (see the module docstring).

    Call :meth:`start` once; :meth:`close` stops the thread. ``clock`` is the wall clock the
    transport is read on (``time.monotonic``; tests inject their own).
    """

    def __init__(self, service: BridgeService, clock=time.monotonic) -> None:
        self.service = service
        self.clock = clock
        self.stream = StructureStream()
        self.mode: bool | None = None  # True: transport, False: tracker, None: not yet
        self._tracks: dict[Hashable, _TrackFeed] = {}
        self._waiting: deque[BarResult] = deque(maxlen=MAX_WAITING_BARS)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.restarts = 0
        self.errors = 0
        self.last_error = ""

    def start(self) -> LiveStructureFeed:
        self._thread = threading.Thread(target=self._run, name="structure", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(PULL_SECONDS):
            try:
                self.pull()
            except Exception as exc:  # never take the show down; say what happened
                self.errors += 1
                self.last_error = str(exc)
                if self.errors == 1:
                    log.exception("structure analysis failed; it keeps trying")

    def pull(self) -> int:
        """Feed every track's new audio once; returns the bars completed. (The thread calls
        this every :data:`PULL_SECONDS`; tests call it directly.)"""
        service = self.service
        pending = []
        with service.lock:  # only copying under the lock
            now = self.clock()
            clock = service.clock
            state = clock.state(now) if clock.has_transport else None
            for key, track in service.registry.tracks.items():
                feed = self._tracks.setdefault(key, _TrackFeed())
                audio, feed.position = take_pending(track.stream, feed.position, feed.epoch)
                pending.append((key, feed, audio))
            gone = [key for key in self._tracks if key not in service.registry.tracks]
        for key in gone:
            del self._tracks[key]
        playing = state is not None and state.playing
        if self.mode is None and pending:
            self.mode = playing
        elif self.mode is False and playing:  # Live started after the tracker had begun
            self.stream = StructureStream()
            self.mode = playing
            self.restarts += 1
        done: list[BarResult] = []
        for key, feed, audio in pending:
            if audio.epoch != feed.epoch or audio.stream_rate != feed.rate:
                feed.epoch, feed.rate = audio.epoch, audio.stream_rate
                feed.resampler = StreamingResampler(audio.stream_rate, STRUCTURE_RATE)
            if audio.samples.size == 0 or feed.resampler is None:
                continue
            block = feed.resampler.process(audio.samples)
            if block.size == 0:
                continue
            if self.mode:
                if not playing or state is None:
                    continue  # Live stopped: no bars
                transport = transport_of(state, block.size / STRUCTURE_RATE)
            else:
                transport = None
            done += self.stream.push(track_name(key), block, STRUCTURE_RATE, transport)
        if done:
            with self._lock:
                self._waiting.extend(done)
        return len(done)

    def bars(self, t: float) -> list[BarResult]:
        with self._lock:
            out = list(self._waiting)
            self._waiting.clear()
        return out

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
