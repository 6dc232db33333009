"""Measuring the analysis against an arrangement's known form with ``mir_eval``.

- Section boundaries: ``mir_eval.segment.detection`` with a window of one bar (at the
  arrangement's tempo), the first and last boundary left out (``trim``); the analysis's
  first section runs from 0 s, wherever its first bar starts.
- Section labels: ``mir_eval.segment.pairwise`` on one interval per bar (the score's bars,
  each labelled by the section the analysis puts it in), offline and live: whether a
  returning section is named as the one it returns to.
- Motif labels per stem: ``mir_eval.segment.pairwise`` on bar intervals, a resting stem
  labelled ``"-"`` (and a silent bar likewise).
- Repetition: among bars where a stem plays the pattern of the bar before (pure
  repetition), the share where the analysis changed the motif label.
- Beats and downbeats (tracker): ``mir_eval.beat`` F-measure (±70 ms) and CMLt/AMLt.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from models.arrangements import Arrangement
from models.structure.results import Section, Structure

SILENT = "-"


@dataclass(frozen=True)
class Figures:
    """One arrangement's figures (F-measures in 0 … 1)."""

    boundary_f: float
    boundary_p: float
    boundary_r: float
    live_f: float
    live_p: float
    live_r: float
    motif_f: dict[str, float]
    repeat_changes: int
    repeat_bars: int
    beat_f: float | None = None
    downbeat_f: float | None = None
    cmlt: float | None = None
    amlt: float | None = None
    repeats_by_stem: dict[str, tuple[int, int]] = field(default_factory=dict)
    section_label_f: float = 0.0
    live_section_label_f: float = 0.0


def _section_intervals(sections, starts: np.ndarray, end: float) -> np.ndarray:
    """Intervals from 0 to ``end`` (s) of ``sections`` (``(label, start bar, end bar)``,
    the bars starting at ``starts``). A section from bar 0 starts at 0 s whatever time bar
    0 has: a tracker's first downbeat a few ms (or beats) in is where the analysis began,
    not a boundary it found, and ``mir_eval.segment.detection(trim=True)`` leaves out only
    the first edge (0 s) and the last. Prepending an interval from 0 s to bar 0 instead (as
    before the seventh round) counted bar 0's start as a boundary: a false one wherever the
    tracker's first bar began after 0 s, if only by 3 ms."""

    def edge(bar: int) -> float:
        if bar == 0:
            return 0.0
        return float(starts[bar]) if bar < len(starts) else end

    inner = sorted({e for e in (edge(s[1]) for s in sections) if 0.0 < e < end})
    edges = [0.0, *inner, end]
    return np.array([[a, b] for a, b in itertools.pairwise(edges) if b > a])


def _est_starts(structure: Structure) -> np.ndarray:
    return np.array([max(0.0, b.start_s) for b in structure.bars])


def boundary_scores(
    ref: tuple[tuple[str, int, int], ...],
    arr: Arrangement,
    est: tuple[Section, ...],
    structure: Structure,
) -> tuple[float, float, float]:
    """(P, R, F) of the sections' boundaries within one bar."""
    import mir_eval

    end = arr.seconds
    ref_iv = _section_intervals(ref, arr.downbeat_times(), end)
    est_iv = _section_intervals(
        [(s.label, s.start_bar, s.end_bar) for s in est], _est_starts(structure), end
    )
    if len(ref_iv) < 1 or len(est_iv) < 1:
        return 0.0, 0.0, 0.0
    p, r, f = mir_eval.segment.detection(ref_iv, est_iv, window=arr.bar_seconds, trim=True)
    return float(p), float(r), float(f)


def section_label_score(
    arr: Arrangement, sections: tuple[Section, ...], structure: Structure
) -> float:
    """Pairwise F of the section labels per bar of the score: each score bar takes the
    label of the analysed section its middle falls in (unlabelled past the last)."""
    import mir_eval

    starts = _est_starts(structure)
    est_bar = np.searchsorted(starts, (np.arange(arr.bars) + 0.5) * arr.bar_seconds, "right") - 1
    by_bar = {b: s.label for s in sections for b in range(s.start_bar, s.end_bar)}
    est = [by_bar.get(int(b), SILENT) for b in est_bar]
    ref = [label for label, a, b in arr.sections for _ in range(a, b)]
    iv = np.array([[b * arr.bar_seconds, (b + 1) * arr.bar_seconds] for b in range(arr.bars)])
    _, _, f = mir_eval.segment.pairwise(iv, ref, iv, est)
    return float(f)


def motif_scores(
    arr: Arrangement, structure: Structure, names: dict[str, str] | None = None
) -> dict[str, float]:
    """Pairwise F of the bar motif labels per stem (``names``: stem → track name)."""
    import mir_eval

    names = names or {s: s for s in arr.stems}
    out = {}
    end = arr.seconds
    ref_iv = np.array([[b * arr.bar_seconds, (b + 1) * arr.bar_seconds] for b in range(arr.bars)])
    starts = _est_starts(structure)
    est_edges = np.append(starts, end)
    for stem, labels in arr.stems.items():
        ref_labels = [SILENT if x is None else x for x in labels]
        est_labels = [SILENT if x is None else x for x in structure.bar_labels(names[stem])]
        iv = np.array([[a, b] for a, b in itertools.pairwise(est_edges)])
        keep = (iv[:, 1] > iv[:, 0]) & (iv[:, 0] < end)
        iv, lab = iv[keep], [x for x, k in zip(est_labels, keep, strict=True) if k]
        iv, lab = mir_eval.util.adjust_intervals(
            iv, lab, t_min=0.0, t_max=end, start_label=SILENT, end_label=SILENT
        )
        _, _, f = mir_eval.segment.pairwise(ref_iv, ref_labels, iv, lab)
        out[stem] = float(f)
    return out


def repetition_changes(
    arr: Arrangement, structure: Structure, names: dict[str, str] | None = None
) -> tuple[int, int]:
    """(changes, bars): bars of pure repetition (same pattern as the bar before, not
    resting) and how many of them the analysis labelled differently from the bar before.
    Needs bars aligned with the arrangement's (a transport)."""
    by_stem = repetition_changes_by_stem(arr, structure, names)
    return sum(c for c, _ in by_stem.values()), sum(t for _, t in by_stem.values())


def repetition_changes_by_stem(
    arr: Arrangement, structure: Structure, names: dict[str, str] | None = None
) -> dict[str, tuple[int, int]]:
    """:func:`repetition_changes` per stem: stem → (changes, bars)."""
    names = names or {s: s for s in arr.stems}
    out = {}
    for stem, labels in arr.stems.items():
        est = structure.bar_labels(names[stem])
        changes = total = 0
        for b in range(1, min(len(labels), len(est))):
            if labels[b] is not None and labels[b] == labels[b - 1]:
                total += 1
                changes += est[b] != est[b - 1]
        out[stem] = (changes, total)
    return out


def beat_scores(arr: Arrangement, structure: Structure) -> tuple[float, float, float, float]:
    """(beat F, downbeat F, CMLt, AMLt) of the bars' beats against the arrangement's."""
    import mir_eval

    beats, downbeats = [], []
    for bar in structure.bars:
        if not bar.complete:
            continue
        step = 60.0 / bar.tempo if arr.denominator == 4 else 30.0 / bar.tempo
        per_bar = round(bar.length * 60.0 / bar.tempo / step)
        downbeats.append(bar.start_s)
        beats += [bar.start_s + k * step for k in range(per_bar)]
    ref_b = mir_eval.beat.trim_beats(arr.beat_times())
    ref_d = mir_eval.beat.trim_beats(arr.downbeat_times())
    est_b = mir_eval.beat.trim_beats(np.array(sorted(b for b in beats if b >= 0)))
    est_d = mir_eval.beat.trim_beats(np.array(sorted(d for d in downbeats if d >= 0)))
    f = mir_eval.beat.f_measure(ref_b, est_b)
    df = mir_eval.beat.f_measure(ref_d, est_d)
    _, cmlt, _, amlt = mir_eval.beat.continuity(ref_b, est_b)
    return float(f), float(df), float(cmlt), float(amlt)


def evaluate(arr: Arrangement, structure: Structure, *, tracker: bool = False) -> Figures:
    """Every figure for one analysed arrangement."""
    p, r, f = boundary_scores(arr.sections, arr, structure.sections, structure)
    lp, lr, lf = boundary_scores(arr.sections, arr, structure.live_sections, structure)
    by_stem = {} if tracker else repetition_changes_by_stem(arr, structure)
    changes = sum(c for c, _ in by_stem.values())
    total = sum(t for _, t in by_stem.values())
    extra = beat_scores(arr, structure) if tracker else (None, None, None, None)
    beat_f, downbeat_f, cmlt, amlt = extra
    return Figures(
        boundary_f=f,
        boundary_p=p,
        boundary_r=r,
        live_f=lf,
        live_p=lp,
        live_r=lr,
        motif_f=motif_scores(arr, structure),
        repeat_changes=changes,
        repeat_bars=total,
        beat_f=beat_f,
        downbeat_f=downbeat_f,
        cmlt=cmlt,
        amlt=amlt,
        repeats_by_stem=by_stem,
        section_label_f=section_label_score(arr, structure.sections, structure),
        live_section_label_f=section_label_score(arr, structure.live_sections, structure),
    )
