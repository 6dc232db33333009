"""Arrangements of known form and their evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from models.arrangements import STEMS, Humanise, generate, note_events, render_arrangement
from models.instruments import missing_reason
from models.structure.evaluation import boundary_scores, motif_scores, repetition_changes
from models.structure.motifs import MotifResult
from models.structure.results import BarResult, Section, Structure


@pytest.mark.parametrize("meter", [(4, 4), (3, 4), (7, 8)])
def test_forms_hold_repeats_variations_and_returns(meter):
    arr = generate(5, 120.0, *meter)
    assert arr.bars == sum(end - start for _, start, end in arr.sections)
    labels = [label for label, _, _ in arr.sections]
    assert len(set(labels)) < len(labels)  # a section returns
    for stem in STEMS:
        assert len(arr.stems[stem]) == arr.bars
    varied = [p for stem in STEMS for p in arr.patterns[stem].values() if p.parent is not None]
    assert varied and all(
        p.parent in arr.patterns[s] for s in STEMS for p in arr.patterns[s].values() if p.parent
    )
    lead = [x for x in arr.stems["lead"] if x in ("q", "a")]
    assert lead[:2] == ["q", "a"]  # question and answer alternate
    assert None in arr.stems["drums"]  # a breakdown without drums
    assert arr.eighths == meter[0] * 8 // meter[1]
    assert len(arr.beat_times()) == arr.bars * (meter[0] if meter[1] == 4 else 7)
    with pytest.raises(ValueError):
        generate(1, 120.0, 5, 4)


def test_humanising_stays_within_its_bounds():
    arr = generate(3, 100.0, 4, 4)
    exact = note_events(arr, "bass", Humanise(0.0, 0.0), seed=0)
    loose = note_events(arr, "bass", Humanise(10.0, 6.0), seed=0)
    shifts = np.array([b[0] - a[0] for a, b in zip(exact, loose, strict=True)])
    assert 0 < np.abs(shifts).max() <= 0.010 + 1e-9
    ratio = np.array([b[3] / a[3] for a, b in zip(exact, loose, strict=True)])
    assert ratio.min() >= 10 ** (-6 / 40) - 0.02 and ratio.max() <= 10 ** (6 / 40) + 0.02


def test_synth_fallback_renders_every_stem(monkeypatch):
    import models.arrangements as arrangements

    monkeypatch.setattr(arrangements.gm, "missing_reason", lambda font: "no fluidsynth here")
    arr = generate(2, 140.0, 7, 8)
    short = arrangements.Arrangement(
        arr.seed,
        arr.tempo,
        7,
        8,
        2,
        {s: v[:2] for s, v in arr.stems.items()},
        arr.patterns,
        (("A", 0, 2),),
    )
    stems, how = render_arrangement(short, sample_rate=8000)
    assert how == "synth" and set(stems) == set(STEMS)
    assert all(
        len(v) == round((short.seconds + 1.0) * 8000) and np.isfinite(v).all()
        for v in stems.values()
    )


@pytest.mark.slow
def test_fluidsynth_renders_with_the_evaluation_soundfont(tmp_path):
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    arr = generate(2, 140.0, 4, 4)
    stems, how = render_arrangement(arr, cache=tmp_path)
    assert how.startswith("fluidsynth MuseScore")
    assert max(float(np.abs(v).max()) for v in stems.values()) > 0.05
    again, _ = render_arrangement(arr, cache=tmp_path)  # from the cache
    assert all(np.array_equal(stems[s], again[s]) for s in STEMS)


def test_scores_are_perfect_for_the_truth_and_drop_for_errors():
    arr = generate(4, 120.0, 4, 4)
    bars = []
    for b in range(arr.bars):
        motifs = {
            s: None
            if arr.stems[s][b] is None
            else MotifResult(arr.stems[s][b], "repeat", None, 1.0)
            for s in STEMS
        }
        bars.append(BarResult(b, b * arr.bar_seconds, 4.0 * b, 4.0, 120.0, True, motifs, "A"))
    sections = tuple(Section(label, start, end) for label, start, end in arr.sections)
    truth = Structure(120.0, STEMS, tuple(bars), sections, sections, np.eye(arr.bars))
    assert boundary_scores(arr.sections, arr, truth.sections, truth)[2] == pytest.approx(1.0)
    assert all(f == pytest.approx(1.0) for f in motif_scores(arr, truth).values())
    assert repetition_changes(arr, truth)[0] == 0
    wrong = Structure(120.0, STEMS, tuple(bars), (Section("A", 0, arr.bars),), (), np.eye(arr.bars))
    assert boundary_scores(arr.sections, arr, wrong.sections, wrong)[2] == 0.0


@pytest.mark.parametrize("late_s", [0.004, 0.3])
def test_a_first_bar_after_zero_is_not_a_boundary(late_s):
    # the tracker's first downbeat often lies a few ms after 0 s (or a beat, where it locked
    # late): the analysis starting there is not a section boundary it found
    arr = generate(4, 120.0, 4, 4)
    bars = tuple(
        BarResult(b, late_s + b * arr.bar_seconds, 4.0 * b, 4.0, 120.0, True, {}, "A")
        for b in range(arr.bars)
    )
    sections = tuple(Section(label, start, end) for label, start, end in arr.sections)
    late = Structure(120.0, (), bars, sections, sections, np.eye(arr.bars))
    p, r, f = boundary_scores(arr.sections, arr, late.sections, late)
    assert (p, r, f) == (pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0))
    # a section starting at a later bar is still a boundary: one too many costs precision
    extra = (Section("A", 0, 1), *((Section("B", 1, sections[0].end_bar),)), *sections[1:])
    split = Structure(120.0, (), bars, extra, extra, np.eye(arr.bars))
    p, r, _ = boundary_scores(arr.sections, arr, split.sections, split)
    assert r == pytest.approx(1.0) and p < 1.0
