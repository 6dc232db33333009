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
  the reverse) the analysis restarts in the new mode. A track that sends nothing for
  :data:`SILENT_AFTER` (the device stops sending after 1.5 s of silence; a track that said
  bye) is fed silence up to now on every pull, so the analysis never waits for it: without
  that every bar was held until the other tracks were ``late_bars`` (2) bars ahead, and a
  section that begins as a track drops out (a breakdown) took its colours 4.2 bars after
  it began instead of 2.1 (measured at 240 BPM over UDP, docs/structure.md).

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
#: Seconds without new audio after which a track counts as silent and is fed silence (a
#: device sends a message every ~12 ms while it sounds; a gap this long is its silence
#: gate, a bye, or a stall long enough that its audio is better dropped than waited for).
SILENT_AFTER = 0.3


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
        tempo: quarter-note BPM of a steady transport from 0 s (the file source's: the
            stems start on a downbeat), or None for the tracker.
        meter: that transport's time signature ``(numerator, denominator)``: bars of
            ``numerator × 4 / denominator`` quarters (3/4: 3, 7/8: 3.5). Only with a tempo;
            the tracker finds its own meter.

    Raises:
        ValueError: a meter other than 4/4 without a tempo, or a time signature the
            analysis does not take (:class:`models.structure.Transport`).
    """

    def __init__(
        self,
        stems: Sequence[Stem],
        tempo: float | None = None,
        meter: tuple[int, int] = (4, 4),
    ) -> None:
        self.tempo = tempo
        self.meter = meter
        if not tempo and meter != (4, 4):
            raise ValueError(
                f"a meter ({meter[0]}/{meter[1]}) needs a tempo: the bars then start at 0 s"
            )
        signals = {
            str(i): (np.asarray(stem.audio, np.float32), float(stem.rate))
            for i, stem in enumerate(stems)
        }
        transport = SteadyTransport(tempo, *meter) if tempo else None
        if transport is not None:
            transport.at(0.0)  # a time signature the analysis cannot count raises here
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
        #: The feed's clock (s) up to which this track's audio (or silence) was fed; None
        #: before its first audio.
        self.fed_until: float | None = None
        #: Fed silence since its audio stopped (until audio comes again).
        self.silent = False
        #: The track left the bridge: it is fed silence from then on (the analysis keeps
        #: every track it has heard).
        self.departed = False


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
                feed.departed = False
                audio, feed.position = take_pending(track.stream, feed.position, feed.epoch)
                pending.append((key, feed, audio))
            gone = [key for key in self._tracks if key not in service.registry.tracks]
        for key in gone:
            feed = self._tracks[key]
            if feed.fed_until is None:
                del self._tracks[key]  # never heard: the analysis does not know it
            else:
                feed.departed = True
        playing = state is not None and state.playing
        if self.mode is None and pending:
            self.mode = playing
        elif self.mode is False and playing:  # Live started after the tracker had begun
            self.stream = StructureStream()
            self.mode = playing
            self.restarts += 1
        if self.mode and (not playing or state is None):
            for feed in self._tracks.values():  # Live stopped: no bars, nothing owed
                feed.fed_until = None if feed.fed_until is None else now
                feed.silent = False
            return 0
        done: list[BarResult] = []
        for key, feed, audio in pending:
            if audio.epoch != feed.epoch or audio.stream_rate != feed.rate:
                feed.epoch, feed.rate = audio.epoch, audio.stream_rate
                feed.resampler = StreamingResampler(audio.stream_rate, STRUCTURE_RATE)
            if audio.samples.size == 0 or feed.resampler is None:
                done += self._silence(key, feed, now, state)
                continue
            block = feed.resampler.process(audio.samples)
            if block.size == 0:
                continue
            if feed.silent and feed.fed_until is not None:
                # audio again after fed silence: what the silence already covered (the
                # device's last silent messages, sent first) is not fed twice
                covered = round(
                    (feed.fed_until - (now - block.size / STRUCTURE_RATE)) * STRUCTURE_RATE
                )
                block = block[max(0, covered) :]
            feed.silent = False
            feed.fed_until = now
            if block.size == 0:
                continue
            done += self._push(key, block, state)
        for key, feed in self._tracks.items():
            if feed.departed:
                done += self._silence(key, feed, now, state)
        if done:
            with self._lock:
                self._waiting.extend(done)
        return len(done)

    def _push(self, key: Hashable, block: np.ndarray, state: BeatState | None) -> list[BarResult]:
        """Feed one block that ends now, with the transport at its first sample in
        transport mode."""
        transport = (
            transport_of(state, block.size / STRUCTURE_RATE) if self.mode and state else None
        )
        return self.stream.push(track_name(key), block, STRUCTURE_RATE, transport)

    def _silence(
        self, key: Hashable, feed: _TrackFeed, now: float, state: BeatState | None
    ) -> list[BarResult]:
        """Feed a track that sent nothing this pull: silence up to ``now`` once it has been
        quiet :data:`SILENT_AFTER` (or has left), so its bars close on time."""
        if feed.fed_until is None:
            return []  # not heard yet: the analysis does not wait for it
        if not (feed.silent or feed.departed) and now - feed.fed_until < SILENT_AFTER:
            return []  # a late packet, probably: wait a little
        count = round((now - feed.fed_until) * STRUCTURE_RATE)
        if count <= 0:
            return []
        feed.silent = True
        feed.fed_until = now
        return self._push(key, np.zeros(count, np.float32), state)

    def bars(self, t: float) -> list[BarResult]:
        with self._lock:
            out = list(self._waiting)
            self._waiting.clear()
        return out

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
