"""The streaming structure analysis the bridge calls: PCM blocks in, one result per bar out.

Usage::

    stream = StructureStream()
    for each block of each track:
        for bar in stream.push("bass", pcm, 48000, transport):   # transport or None
            bar.motifs["bass"], bar.section, bar.boundary
    stream.finish()            # the last bars, at the end of a stream
    stream.structure()         # everything so far, with the offline sections

With a transport (Live's tempo, song position and time signature, stamped on each block at
its first sample) the bars are Live's bars. Without one, a :class:`BeatTracker` finds them
from the audio of all tracks (which then must share one clock: they started together, as
files or a sound card's channels do), at most a tempo being given.

A bar is reported once every track has delivered it; a track ``late_bars`` behind the others
is reported silent in it (and listed in :attr:`BarResult.late`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from models.analysis import DEFAULT_ANALYSIS
from models.structure.clock import BarSplitter, BeatMap, RawBar, Transport
from models.structure.config import DEFAULT_STRUCTURE, StructureConfig
from models.structure.fingerprint import Fingerprint, fingerprint, mix, similarity
from models.structure.frames import Frames, TrackFrames
from models.structure.motifs import MotifMemory, family
from models.structure.results import BarResult, Section, Structure
from models.structure.sections import (
    is_fill,
    label_sections,
    live_history,
    live_novelty,
    live_reach,
    matched_similarity,
    offline_boundaries,
)
from models.structure.tracker import METERS, BeatTracker

#: Weight of the tracks' mean similarity (against the mix's) in the bar similarity.
TRACK_WEIGHT = 0.75
#: A track's similarity between two bars playing motifs of one family, and the scale of
#: the fingerprint similarity between unrelated motifs.
FAMILY_SIMILARITY = 0.6
OTHER_SCALE = 0.5
#: Bars of a section that take part in its label comparison (bounded memory and cost).
LABEL_BARS = 8


@dataclass
class _Track:
    name: str
    frames: TrackFrames
    splitter: BarSplitter
    memory: MotifMemory
    beatmap: BeatMap = field(default_factory=BeatMap)
    waiting: list[Frames] = field(default_factory=list)  # frames not yet placed on bars
    epoch: int = 0
    offset: int = 0  # tracker mode: frame number of this track's first frame
    aligned: list[Frames] = field(default_factory=list)  # handed to the tracker, not placed
    last_start: float | None = None
    dropped_frames: int = 0


@dataclass(frozen=True)
class _BarInput:
    """What arrived for one bar: its clock and the tracks' fingerprints."""

    start_s: float
    start_beat: float
    length: float
    tempo: float
    complete: bool
    prints: dict[str, Fingerprint]
    names: tuple[str, ...]


@dataclass(frozen=True)
class BarPrints:
    """One bar as the sections see it: each track's fingerprint (None when late) and
    motif label (None when silent or late), and the mix's fingerprint."""

    tracks: dict[str, Fingerprint | None]
    labels: dict[str, str | None]
    mix: Fingerprint


def _stretch(sim: float) -> float:
    """Fingerprint similarity mapped so that unrelated material (≤ 0.5) reads 0."""
    return max(0.0, 2.0 * sim - 1.0)


def bar_similarity(a: BarPrints, b: BarPrints) -> float:
    """Similarity of two bars in ``[0, 1]``.

    Per track: 1 for the same motif, :data:`FAMILY_SIMILARITY` for motifs of one family
    (a motif and its variations), otherwise the fingerprints' similarity scaled by
    :data:`OTHER_SCALE`; 1 where both bars are silent, 0 where one is. The tracks' mean is
    blended (:data:`TRACK_WEIGHT`) with the mix fingerprints' similarity.
    """
    names = set(a.tracks) | set(b.tracks)
    per_track = []
    for name in names:
        la, lb = a.labels.get(name), b.labels.get(name)
        if la is None or lb is None:
            per_track.append(1.0 if la is None and lb is None else 0.0)
        elif la == lb:
            per_track.append(1.0)
        elif family(la) == family(lb):
            per_track.append(FAMILY_SIMILARITY)
        else:
            pa, pb = a.tracks[name], b.tracks[name]
            assert pa is not None and pb is not None
            per_track.append(OTHER_SCALE * _stretch(similarity(pa, pb)))
    tracks = float(np.mean(per_track)) if per_track else 1.0
    return TRACK_WEIGHT * tracks + (1.0 - TRACK_WEIGHT) * _stretch(similarity(a.mix, b.mix))


class StructureStream:
    """Streaming structure analysis of any number of tracks (see the module docstring).

    Args:
        cfg: the analysis parameters.
        tempo: quarter-note BPM for the tracker when there is no transport (optional).
        meters: tatums per bar the tracker may choose (8 = 4/4, 6 = 3/4, 7 = 7/8).
        lock_seconds: audio the tracker hears before its first bars.
    """

    def __init__(
        self,
        cfg: StructureConfig = DEFAULT_STRUCTURE,
        *,
        tempo: float | None = None,
        meters: tuple[int, ...] = tuple(METERS),
        lock_seconds: float = 8.0,
    ) -> None:
        self.cfg = cfg
        self.tempo = tempo
        self._lead = cfg.slot_lead / cfg.slots_per_quarter
        self._tracks: OrderedDict[str, _Track] = OrderedDict()
        fps = DEFAULT_ANALYSIS.sample_rate / DEFAULT_ANALYSIS.hop
        self._tracker = BeatTracker(fps, tempo=tempo, lock_seconds=lock_seconds, meters=meters)
        self._lock_s = lock_seconds
        self._transport_mode: bool | None = None
        self._pending: OrderedDict[tuple[int, int], dict[str, tuple[RawBar, Fingerprint]]] = (
            OrderedDict()
        )
        self._emitted: set[tuple[int, int]] = set()
        self._bars: list[BarResult] = []
        self._prints: list[BarPrints] = []
        self._sim: dict[tuple[int, int], float] = {}
        self._novelty: list[float] = []
        self._section_starts: list[int] = [0]
        self._fill_before = False  # the last boundary candidate was a fill: next bar starts
        self._section_labels: list[str] = []
        self._groups: dict[str, list[range]] = {}
        self._aligned_upto = 0  # tracker mode: frames of every track handed to the tracker
        self._hop_s = DEFAULT_ANALYSIS.hop / DEFAULT_ANALYSIS.sample_rate
        self._time0 = DEFAULT_ANALYSIS.n_fft / 2 / DEFAULT_ANALYSIS.sample_rate
        self._inputs: list[_BarInput] = []
        self._memories: dict[str, MotifMemory] = {}
        self._names: tuple[str, ...] = ()
        self.late_bars_total = 0
        self.dropped_frames = 0
        self.short_bars_dropped = 0

    # ----- input --------------------------------------------------------------------------

    @property
    def tracks(self) -> tuple[str, ...]:
        """Track names in the order they were first heard."""
        return tuple(self._tracks) or self._names

    def push(
        self,
        track: str,
        pcm: np.ndarray,
        sample_rate: float,
        transport: Transport | None = None,
    ) -> list[BarResult]:
        """Feed the next block of ``track`` (float mono samples at ``sample_rate`` Hz; the
        rate must stay the same for a track) with the transport at its first sample, if
        any. Returns the bars this completes (often none).

        Raises:
            ValueError: for a block that is not 1-D or not finite, a rate change, or a
                block without transport after blocks with one (or the reverse).
        """
        state = self._track(track, sample_rate)
        if transport is not None:
            if self._transport_mode is False:
                raise ValueError("a transport arrived after blocks without one")
            self._transport_mode = True
            state.beatmap.add(state.frames.samples_in / state.frames.sample_rate, transport)
        elif self._transport_mode is None:
            self._transport_mode = False
        frames = state.frames.push(pcm)
        if self._transport_mode:
            self._place_transport(state, frames)
        else:
            state.waiting.append(frames)
            self._place_tracker()
        return self._emit()

    def finish(self) -> list[BarResult]:
        """End of the stream: place what is left, close every track's last bar (reported
        as incomplete) and report all remaining bars."""
        for state in self._tracks.values():
            frames = state.frames.flush()
            if self._transport_mode:
                self._place_transport(state, frames)
            elif len(frames):
                state.waiting.append(frames)
        if self._transport_mode is False and self._tracker.grid is not None:
            self._place_tracker()
        if self._transport_mode is False and self._tracker.grid is None:
            self._place_tracker(final=True)
        for state in self._tracks.values():
            raw = state.splitter.flush()
            if raw is not None and len(raw.frames):
                self._queue(state, raw)
        return self._emit(final=True)

    def add_track(self, name: str, sample_rate: float) -> None:
        """Declare a track before its first block (optional). Without a transport, tracks
        met before the tracker's lock (its first ``lock_seconds``) are taken to have started
        together (files, a sound card's channels); a track first met after it starts at
        that moment.

        Raises:
            ValueError: for an empty name or a rate below 4 kHz.
        """
        self._track(name, sample_rate)

    def _track(self, name: str, sample_rate: float) -> _Track:
        state = self._tracks.get(name)
        if state is None:
            if not isinstance(name, str) or not name:
                raise ValueError("a track needs a non-empty name")
            state = _Track(
                name,
                TrackFrames(sample_rate, bands=self.cfg.bands),
                BarSplitter(self._lead, self.cfg.bands),
                MotifMemory(self.cfg),
            )
            if self._transport_mode is False and self._tracker.grid is not None:
                # a track joining after the tracker's lock starts now; before it, tracks
                # are taken to have started together (files, a sound card's channels)
                state.offset = self._aligned_upto
            self._tracks[name] = state
        elif abs(state.frames.sample_rate - float(sample_rate)) > 1e-6:
            raise ValueError(
                f"track {name!r} changed rate from {state.frames.sample_rate} to {sample_rate} Hz"
            )
        return state

    # ----- bars ---------------------------------------------------------------------------

    def _place_transport(self, state: _Track, frames: Frames) -> None:
        if not len(frames):
            return
        if not state.beatmap:
            state.dropped_frames += len(frames)
            self.dropped_frames += len(frames)
            return
        beats, transports = state.beatmap.beats(frames.time)
        for raw in state.splitter.push(frames, beats, transports):
            self._queue(state, raw)

    def _place_tracker(self, final: bool = False) -> None:
        """Tracker mode: hand the frames every track has (aligned by frame number) to the
        tracker, and the frames it has placed on its grid to the tracks' bar splitters."""
        states = list(self._tracks.values())
        if not states:
            return
        ready = min(s.offset + s.frames.frames_total for s in states)
        if self._tracker.grid is None and not final and ready * self._hop_s < self._lock_s:
            return  # the tracker hears everything at once at its lock (every track by then)
        parts: list[Frames] = []
        for s in states:
            joined = Frames.concatenate(s.waiting, self.cfg.bands)
            cut = int(np.searchsorted(joined.index + s.offset, ready))
            s.waiting = [joined.take(slice(cut, len(joined)))] if cut < len(joined) else []
            taken = joined.take(slice(0, cut))
            if s.offset and len(taken):
                taken = replace(
                    taken, index=taken.index + s.offset, time=taken.time + s.offset * self._hop_s
                )
            parts.append(taken)
        start = self._aligned_upto
        for s, part in zip(states, parts, strict=True):
            # rows of frames >= start only (a track joining later has none before)
            part = part.take(part.index >= start)
            s.aligned.append(part)
        count = ready - start
        if count > 0:
            self._aligned_upto = ready
            times = start * self._hop_s + self._time0 + np.arange(count) * self._hop_s
            onset = np.zeros(count)
            low = np.zeros(count)
            power = np.zeros((count, self.cfg.bands))
            chroma = np.zeros((count, 12))
            for s in states:
                part = s.aligned[-1]
                rows = part.index - start
                onset[rows] += part.onset
                low[rows] += part.low_onset
                power[rows] += 10.0 ** (part.bands / 10.0)
                # every sounding track's pitch-class shares count alike: a chord change
                # is heard in a quiet pad too, and a change of balance between tracks
                # (a pad swelling over a steady bass) is not a change of harmony
                sounding = part.level > self.cfg.silence_db
                chroma[rows] += part.chroma * sounding[:, None]
            placed = self._tracker.push(times, onset, low, power, chroma)
        else:
            placed = None
        if placed is None and final:
            placed = self._tracker.flush()
        if placed is None:
            return
        beats, transports = placed
        first = self._aligned_upto - len(beats)  # frame number of beats[0]
        for s in states:
            frames = Frames.concatenate(s.aligned, self.cfg.bands)
            s.aligned = []
            rows = frames.index - first
            keep = (rows >= 0) & (rows < len(beats))
            frames = frames.take(keep)
            rows = rows[keep]
            picked = [transports[r] for r in rows]
            for raw in s.splitter.push(frames, beats[rows], picked):
                self._queue(s, raw)

    def _queue(self, state: _Track, raw: RawBar) -> None:
        if not raw.complete and _heard(raw) < 0.5 * raw.length:
            # a sliver of a bar (cut by a locate, or the end): not worth a motif
            self.short_bars_dropped += 1
            if state.last_start is not None and raw.start_beat < state.last_start - 1e-6:
                state.epoch += 1
            state.last_start = raw.start_beat
            return
        if state.last_start is not None and raw.start_beat < state.last_start - 1e-6:
            state.epoch += 1
        state.last_start = raw.start_beat
        key = (state.epoch, round(raw.start_beat * 1000))
        if key in self._emitted:
            self.late_bars_total += 1
            return
        self._pending.setdefault(key, {})[state.name] = (raw, fingerprint(raw, self.cfg))

    def _emit(self, final: bool = False) -> list[BarResult]:
        out: list[BarResult] = []
        names = list(self._tracks)
        while self._pending:
            key, got = next(iter(self._pending.items()))
            keys = list(self._pending)
            ready = final or all(n in got for n in names)
            if not ready:
                # a track is late once another has delivered late_bars more bars
                ready = len(keys) > self.cfg.late_bars
            if not ready:
                break
            del self._pending[key]
            self._emitted.add(key)
            if final and _silent_end(got):
                # the stream's last, unfinished bar holds only tails: not a bar of the set
                self.short_bars_dropped += 1
                continue
            out.append(self._report(got, names))
        return out

    # ----- per bar ------------------------------------------------------------------------

    def _report(self, got: dict[str, tuple[RawBar, Fingerprint]], names: list[str]) -> BarResult:
        clock = got[next(n for n in names if n in got)][0]
        slots = next(iter(got.values()))[1].slots
        arrived = _BarInput(
            start_s=clock.start_s,
            start_beat=clock.start_beat,
            length=clock.length,
            tempo=clock.tempo,
            complete=all(raw.complete for raw, _ in got.values()),
            prints={n: fp for n, (_raw, fp) in got.items() if fp.slots == slots},
            names=tuple(names),
        )
        return self._classify(arrived)

    def _classify(self, bar: _BarInput) -> BarResult:
        """Motifs and sections of one arrived bar (the part :meth:`replay` repeats)."""
        self._inputs.append(bar)
        index = len(self._bars)
        names, prints = bar.names, bar.prints
        motifs = {}
        for n in names:
            fp = prints.get(n)
            motifs[n] = None if fp is None else self._memory(n).match(fp)
        late = tuple(n for n in names if n not in prints)
        self.late_bars_total += len(late)
        bar_prints = BarPrints(
            {n: prints.get(n) for n in names},
            {n: None if motifs[n] is None else motifs[n].label for n in names},
            mix(list(prints.values()), self.cfg),
        )
        self._prints.append(bar_prints)
        boundary_bar = self._live_boundary(index)
        label = self._section_labels[-1] if self._section_labels else self._new_label(0, index)
        result = BarResult(
            index=index,
            start_s=bar.start_s,
            start_beat=bar.start_beat,
            length=bar.length,
            tempo=bar.tempo,
            complete=bar.complete,
            motifs=motifs,
            section=label,
            boundary=boundary_bar is not None,
            boundary_bar=boundary_bar,
            late=late,
        )
        self._bars.append(result)
        return result

    def _memory(self, name: str) -> MotifMemory:
        state = self._tracks.get(name)
        if state is not None:
            return state.memory
        return self._memories.setdefault(name, MotifMemory(self.cfg))

    def replay(self, cfg: StructureConfig) -> Structure:
        """The same bars (fingerprints kept) classified again under ``cfg``: for tuning the
        motif and section thresholds without analysing the audio again.

        Raises:
            ValueError: if ``cfg`` changes how fingerprints are made (bands, slots, lead,
                silence level).
        """
        return self.reclassify(cfg).structure()

    def reclassify(self, cfg: StructureConfig) -> StructureStream:
        """A new stream that has classified this one's bars under ``cfg`` (see
        :meth:`replay`); it takes no more audio."""
        same = ("bands", "slots_per_quarter", "slot_lead", "silence_db")
        if any(getattr(cfg, f) != getattr(self.cfg, f) for f in same):
            raise ValueError(f"replay cannot change {', '.join(same)}")
        other = StructureStream(cfg, tempo=self.tempo)
        other._names = self.tracks
        other._transport_mode = self._transport_mode
        for bar in self._inputs:
            other._classify(bar)
        return other

    def similarity(self, i: int, j: int) -> float:
        """Similarity of bars ``i`` and ``j`` (cached)."""
        if i == j:
            return 1.0
        key = (min(i, j), max(i, j))
        value = self._sim.get(key)
        if value is None:
            value = bar_similarity(self._prints[i], self._prints[j])
            self._sim[key] = value
        return value

    def _window(self, first: int, last: int, reach: int | None = None) -> np.ndarray:
        """The similarity of bars ``first`` … ``last - 1``; with ``reach``, only of bars at
        most that far apart (the rest NaN: what the live novelty does not read)."""
        idx = range(first, last)
        n = len(idx)
        s = np.ones((n, n)) if reach is None else np.full((n, n), np.nan)
        np.fill_diagonal(s, 1.0)
        for a in range(n):
            for b in range(a + 1, n if reach is None else min(n, a + reach + 1)):
                s[a, b] = s[b, a] = self.similarity(idx[a], idx[b])
        return s

    def _live_boundary(self, index: int) -> int | None:
        """With bar ``index`` in, decide whether a section started at ``index - 1``.

        Without a transport, a candidate bar that is a fill (:func:`is_fill`) is passed
        over and the bar after it starts the section, reported with the next bar (the
        tracker's bars: with Live's, the rule cost the tuning side's live boundaries)."""
        cfg = self.cfg
        b = index - 1
        if b < 1:
            self._novelty.append(0.0)
            return None
        first = max(0, b - live_history(cfg))
        s = self._window(first, index + 1, live_reach(cfg))
        nov = live_novelty(s, b - first, cfg)
        previous = self._novelty[-1] if self._novelty else 0.0
        self._novelty.append(nov)
        last_start = self._section_starts[-1]
        fill_before, self._fill_before = self._fill_before, False
        if fill_before and b - last_start >= cfg.min_section_bars:
            pass  # the bar before closed its section (a fill): this one opens the next
        elif nov < cfg.novelty_live or nov < previous or b - last_start < cfg.min_section_bars:
            return None
        elif self._transport_mode is False and is_fill(s, b - first, cfg.live_settle_bars):
            self._fill_before = True
            return None
        self._section_starts.append(b)
        self._new_label(b, index + 1)
        return b

    def _matched(self, probe: range, bars: range) -> float:
        """How alike a new section's first bars are to an earlier section's: each probe
        bar's best match among ``bars`` (one way: the probe holds a part of its cycle)."""
        block = np.array([[self.similarity(i, j) for j in bars] for i in probe])
        return matched_similarity(block, both=False)

    def _new_label(self, start: int, end: int) -> str:
        probe = range(start, min(end, start + 2))
        best, best_label = -1.0, None
        for label, ranges in self._groups.items():
            if not ranges or not len(probe):
                continue
            score = float(np.mean([self._matched(probe, r) for r in ranges]))
            if score > best:
                best, best_label = score, label
        if best_label is None or best < self.cfg.section_same:
            best_label = _section_letter(len(self._groups))
            self._groups[best_label] = []
        # remember (at most LABEL_BARS of) the previous section's bars under its label
        if self._section_labels:
            prev_start = self._section_starts[-2] if len(self._section_starts) > 1 else 0
            prev = range(prev_start, min(start, prev_start + LABEL_BARS))
            if len(prev):
                self._groups[self._section_labels[-1]].append(prev)
        self._section_labels.append(best_label)
        return best_label

    # ----- the whole ----------------------------------------------------------------------

    def structure(self) -> Structure:
        """Everything so far: bars, live sections, offline sections and the similarity."""
        n = len(self._bars)
        s = self._window(0, n) if n else np.zeros((0, 0))
        cfg = self.cfg
        starts = offline_boundaries(s, cfg) if n else []
        sections = (
            tuple(
                label_sections(
                    starts,
                    n,
                    lambda a, b: matched_similarity(s[a.start : a.stop, b.start : b.stop]),
                    cfg,
                )
            )
            if n
            else ()
        )
        live = []
        for i, start in enumerate(self._section_starts):
            end = self._section_starts[i + 1] if i + 1 < len(self._section_starts) else n
            if start < end and i < len(self._section_labels):
                live.append(Section(self._section_labels[i], start, end))
        tempi = [b.tempo for b in self._bars if b.complete] or [b.tempo for b in self._bars]
        return Structure(
            tempo=float(np.median(tempi)) if tempi else 0.0,
            tracks=self.tracks,
            bars=tuple(self._bars),
            sections=sections,
            live_sections=tuple(live),
            similarity=s,
        )


def _silent_end(got: dict[str, tuple[RawBar, Fingerprint]]) -> bool:
    return all(not raw.complete and fp.silent for raw, fp in got.values())


def _heard(raw: RawBar) -> float:
    """Quarters of ``raw`` its frames cover."""
    return float(raw.beats[-1] - raw.start_beat) if len(raw.beats) else 0.0


def _section_letter(n: int) -> str:
    return chr(ord("A") + n % 26) + ("" if n < 26 else str(n // 26))
