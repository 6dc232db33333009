"""What the structure analysis hands out: frozen records, one per bar and one per set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from models.structure.motifs import MotifResult


@dataclass(frozen=True)
class Section:
    """A run of bars ``[start_bar, end_bar)`` (end exclusive) with its label (``A``, ``B``
    …; a returning section carries the label of the one it returns to)."""

    label: str
    start_bar: int
    end_bar: int


@dataclass(frozen=True)
class BarResult:
    """One bar, as the stream reports it when the bar is complete.

    Attributes:
        index: bars since the stream started (0 …).
        start_s: the bar's start in seconds of stream time (the first track's clock).
        start_beat: its song position in quarter notes.
        length: its length in quarters (4 in 4/4, 3.5 in 7/8).
        tempo: BPM at its start.
        complete: False for a bar cut short (a jump of the transport or the tracker).
        motifs: track name → its motif in this bar, or None where the track is silent
            (a read-only mapping).
        section: the label of the section this bar is taken to be in when reported.
        boundary: a section boundary was detected with this bar.
        boundary_bar: where that section starts (``index - 1`` live: one bar of delay),
            or None.
        late: tracks that had not delivered this bar in time (counted silent).
    """

    index: int
    start_s: float
    start_beat: float
    length: float
    tempo: float
    complete: bool
    motifs: Mapping[str, MotifResult | None]
    section: str
    boundary: bool = False
    boundary_bar: int | None = None
    late: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "motifs", MappingProxyType(dict(self.motifs)))


@dataclass(frozen=True)
class Structure:
    """The structure of a whole stream or set of files.

    Attributes:
        tempo: median tempo of the bars (BPM), 0 with no bar.
        tracks: track names, in the order they were first heard.
        bars: every bar's live result, in order.
        sections: sections found offline (with look-ahead).
        live_sections: sections as the stream found them (one bar of delay).
        similarity: ``(bars, bars)`` bar self-similarity (0 … 1) of tracks and mix.
    """

    tempo: float
    tracks: tuple[str, ...]
    bars: tuple[BarResult, ...]
    sections: tuple[Section, ...]
    live_sections: tuple[Section, ...]
    similarity: np.ndarray = field(repr=False)

    def bar_labels(self, track: str) -> list[str | None]:
        """The motif label of ``track`` in each bar (None where silent)."""
        out: list[str | None] = []
        for bar in self.bars:
            motif = bar.motifs.get(track)
            out.append(None if motif is None else motif.label)
        return out

    def to_json(self, names: Mapping[str, str] | None = None) -> dict:
        """The issue's JSON form: ``{"tempo", "bars": [{"index", "start_s", "section",
        "motifs"}], "sections": [{"label", "start_bar", "end_bar"}]}`` (offline sections;
        ``names`` renames tracks, e.g. to file stems)."""
        rename = dict(names or {})
        section_of = _section_per_bar(self.sections, len(self.bars))
        return {
            "tempo": float(self.tempo),
            "bars": [
                {
                    "index": int(bar.index),
                    "start_s": float(round(bar.start_s, 6)),
                    "section": section_of[i],
                    "motifs": {
                        rename.get(t, t): (None if m is None else m.label)
                        for t, m in ((t, bar.motifs.get(t)) for t in self.tracks)
                    },
                }
                for i, bar in enumerate(self.bars)
            ],
            "sections": [
                {"label": s.label, "start_bar": int(s.start_bar), "end_bar": int(s.end_bar)}
                for s in self.sections
            ],
        }


def _section_per_bar(sections: tuple[Section, ...], count: int) -> list[str]:
    labels = [""] * count
    for section in sections:
        for i in range(max(0, section.start_bar), min(count, section.end_bar)):
            labels[i] = section.label
    return labels
