"""Section boundaries from checkerboard novelty, and labels by return."""

from __future__ import annotations

import numpy as np
import pytest

from models.structure import StructureConfig, analyse_signals
from models.structure.offline import SteadyTransport
from models.structure.sections import (
    continuation_novelty,
    is_fill,
    label_sections,
    live_history,
    live_novelty,
    live_reach,
    novelty_at,
    offline_boundaries,
    settle_boundary,
)
from models.structure.stream import StructureStream
from tests.models.structure_helpers import RATE, RIFF_A, RIFF_B, stem


def block_matrix(labels: str, within: float = 0.9, across: float = 0.2) -> np.ndarray:
    """A bar similarity with one block per run of equal letters (returns alike)."""
    n = len(labels)
    s = np.full((n, n), across)
    for i in range(n):
        for j in range(n):
            if labels[i] == labels[j]:
                s[i, j] = within
    np.fill_diagonal(s, 1.0)
    return s


def test_novelty_peaks_at_the_block_edges():
    s = block_matrix("AAAAAAAABBBBBBBB")
    nov = [novelty_at(s, b, 4, 4) for b in range(16)]
    assert int(np.argmax(nov)) == 8 and nov[8] > 0.6
    assert max(nov[:6]) < 0.2
    assert novelty_at(s, 0, 4, 4) == 0.0  # nothing before the first bar


def test_offline_boundaries_and_returning_labels():
    labels = "AAAAAAAABBBBAAAACCCCCCCC"
    s = block_matrix(labels)
    cfg = StructureConfig()
    starts = offline_boundaries(s, cfg)
    assert starts == [8, 12, 16]
    sections = label_sections(
        starts, len(labels), lambda a, b: float(s[a.start : a.stop, b.start : b.stop].mean()), cfg
    )
    assert [(x.label, x.start_bar, x.end_bar) for x in sections] == [
        ("A", 0, 8),
        ("B", 8, 12),
        ("A", 12, 16),
        ("C", 16, 24),
    ]


def test_repetition_inside_a_section_is_no_boundary():
    # question/answer: two alternating bars make one section, not one per bar
    s = block_matrix("ABABABABCCCCCCCC", within=0.9, across=0.5)
    for i in range(8):
        for j in range(8):
            if i != j:
                s[i, j] = max(s[i, j], 0.6)
    assert offline_boundaries(s, StructureConfig()) == [8]


def test_live_novelty_uses_one_bar_of_look_ahead_only():
    s = block_matrix("AAAAAAAABBBBBBBB")
    truncated = s[:10, :10]  # what is known when bar 9 is complete
    assert live_novelty(truncated, 8, StructureConfig()) == live_novelty(s, 8, StructureConfig())
    assert live_novelty(s, 8, StructureConfig()) > StructureConfig().novelty_live


def test_no_bars_no_boundaries():
    assert offline_boundaries(np.ones((1, 1)), StructureConfig()) == []
    assert [x.label for x in label_sections([], 3, lambda a, b: 1.0, StructureConfig())] == ["A"]


def cycling(phrases: list[str], repeats: int, alike: float = 0.95) -> np.ndarray:
    """A bar similarity of sections whose bars cycle: each phrase (one letter a bar) played
    ``repeats`` times; bars of one letter alike, all others unrelated (as the mix of four
    stems reads when a question and its answer alternate)."""
    return block_matrix("".join(p * repeats for p in phrases), within=alike, across=0.0)


def test_live_novelty_sees_a_change_between_sections_that_cycle():
    # question/answer (AB AB …) then another (CD CD …): every block of the checkerboard is
    # half unlike itself, so its novelty stays under the threshold; but the bars before 8
    # went on by a period of 2 and bars 8 and 9 go on from nothing before them
    cfg = StructureConfig()
    s = cycling(["AB", "CD"], 4)
    assert novelty_at(s, 8, cfg.kernel_bars, 2) < cfg.novelty_live
    assert continuation_novelty(s, 8, cfg.cycle_lags) > 0.9
    assert live_novelty(s, 8, cfg) > cfg.novelty_live
    # only what is known when bar 9 is complete, from the bars live_history reaches back
    first = 8 - live_history(cfg)
    assert live_novelty(s[first:10, first:10], 8 - first, cfg) == live_novelty(s, 8, cfg)


def test_a_four_bar_phrase_going_on_is_no_live_boundary():
    # within sections cycling by four bars (their first round included) and one by two,
    # live novelties reach the threshold only at a section's first bar and the bar after it
    # (which the stream's two-bar minimum between boundaries leaves out)
    cfg = StructureConfig()
    s = cycling(["ABCD", "EFGH"], 3)
    s = np.block([[s, np.zeros((24, 8))], [np.zeros((8, 24)), cycling(["IJ"], 4)]])
    high = [
        b for b in range(1, 31) if live_novelty(s[: b + 2, : b + 2], b, cfg) >= cfg.novelty_live
    ]
    assert {12, 24} <= set(high) <= {12, 13, 24, 25}, high


def test_a_question_and_answer_mix_changing_is_found_live_and_its_return_named():
    # one track (a mix) alternating two riffs, then two others, then the first two again:
    # the live sections start where the score's do (before: no live boundary at all), and
    # the return is named as the section it returns to, though a question is unlike its
    # answer (before: a new letter, the mean over all pairs of bars being half unlike)
    riff_c = [(0, 261.6), (0.5, 329.6), (2, 392.0), (3.5, 329.6)]
    riff_d = [(0, 174.6), (1, 220.0), (2.5, 261.6), (3, 349.2)]
    bars = [RIFF_A, RIFF_B] * 4 + [riff_c, riff_d] * 4 + [RIFF_A, RIFF_B] * 2
    audio = stem(bars, 120.0, jitter_s=0.01, level_db=3.0, seed=3)
    structure = analyse_signals({"mix": (audio, RATE)}, transport=SteadyTransport(120.0))
    for sections in (structure.live_sections, structure.sections):
        assert [(s.label, s.start_bar) for s in sections] == [("A", 0), ("B", 8), ("A", 16)]


def test_offline_sections_that_cycle_are_found_when_their_bars_are_alike_across():
    # question/answer sections (AB …, CD …, AB …) whose bars are half alike across
    # sections (a mix sharing its drums) and unlike within: every checkerboard block is
    # lower within than across, but the bars go on by two until each section's end
    labels = "AB" * 4 + "CD" * 4 + "AB" * 4
    section = np.repeat(np.arange(3), 8)
    s = np.where(section[:, None] == section[None, :], 0.0, 0.45)
    same = np.array(list(labels))
    s[same[:, None] == same[None, :]] = 0.95
    np.fill_diagonal(s, 1.0)
    cfg = StructureConfig()
    assert max(novelty_at(s, b, cfg.kernel_bars, cfg.kernel_bars) for b in (8, 16)) < 0
    assert offline_boundaries(s, cfg) == [8, 16]


def test_bad_cycle_settings_are_refused():
    for bad in ({"cycle_lags": 0}, {"novelty_live_cycle": 0.0}, {"novelty_offline_cycle": -1.0}):
        with pytest.raises(ValueError, match="cycle"):
            StructureConfig(**bad)


def test_live_novelty_reads_only_bars_within_its_reach():
    # the stream computes only the similarities of bars at most live_reach apart
    cfg = StructureConfig()
    s = cycling(["AB", "CDEF", "AB"], 3)
    s[np.triu_indices_from(s, 1)] *= 0.9  # unequal halves: a read of either shows
    far = np.abs(np.subtract.outer(np.arange(len(s)), np.arange(len(s)))) > live_reach(cfg)
    masked = np.where(far, np.nan, s)
    for b in range(1, len(s)):
        assert live_novelty(masked, b, cfg) == live_novelty(s, b, cfg)


def _fill_then_phrase(bars_before: int = 8, bars_after: int = 12) -> np.ndarray:
    """Bars alike (0.9), the last of them a fill (0.12 to the others), then a section of
    four-bar phrases (each bar 0.96 to the bar four before, 0.52 to the rest), unlike the
    first (0): the mix of ``112`` on the tuning side."""
    n = bars_before + bars_after
    s = np.zeros((n, n))
    s[:bars_before, :bars_before] = 0.9
    for i in range(bars_before, n):
        for j in range(bars_before, n):
            s[i, j] = 0.96 if (i - j) % 4 == 0 else 0.52
    fill = bars_before - 1
    s[fill, :bars_before] = s[:bars_before, fill] = 0.12
    np.fill_diagonal(s, 1.0)
    return s


def test_a_fill_closing_a_section_stays_in_it_offline():
    # the checkerboard peaks at the fill (bar 7), a bar before the phrases begin
    s = _fill_then_phrase()
    assert offline_boundaries(s, StructureConfig(settle_bars=0)) == [7]
    assert offline_boundaries(s, StructureConfig()) == [8]
    assert settle_boundary(s, 7, 2) == 8  # the fill's best match is before it (0.12 > 0)
    assert settle_boundary(s, 8, 2) == 8  # a phrase bar matches the bars after it
    assert settle_boundary(s, 7, 0) == 7
    assert offline_boundaries(block_matrix("AAAAAAAABBBBBBBB"), StructureConfig()) == [8]
    with pytest.raises(ValueError):
        StructureConfig(settle_bars=-1)


def _live_starts(s: np.ndarray, cfg: StructureConfig, *, transport: bool) -> list[int]:
    """The live boundaries a stream reports over the bar similarity ``s`` (bar ``b``'s
    found with bar ``b + 1`` in)."""
    stream = StructureStream(cfg)
    stream._transport_mode = transport
    stream.similarity = lambda i, j: float(s[i, j])  # type: ignore[method-assign]
    found = [stream._live_boundary(index) for index in range(len(s))]
    return [b for b in found if b is not None]


def test_a_fill_closing_a_section_stays_in_it_live_on_the_trackers_bars():
    # live, the novelty peaks at the fill (bar 7) too; without a transport the fill is
    # passed over and bar 8 is reported with bar 9 in (still one bar of delay)
    s = _fill_then_phrase()
    assert is_fill(s, 7, 2)  # the fill matches the bars before it (0.12) over bar 8 (0)
    assert not is_fill(s, 8, 2) and not is_fill(s, 7, 0)
    assert not is_fill(s, len(s) - 1, 2)  # no bar after it yet
    cfg = StructureConfig()
    assert _live_starts(s, cfg, transport=False) == [8]
    assert _live_starts(s, StructureConfig(live_settle_bars=0), transport=False) == [7]
    assert _live_starts(s, cfg, transport=True) == [7]  # Live's bars: the rule is off
    assert _live_starts(block_matrix("AAAAAAAABBBBBBBB"), cfg, transport=False) == [8]
    with pytest.raises(ValueError):
        StructureConfig(live_settle_bars=-1)


def test_a_replay_keeps_whether_the_bars_came_with_a_transport():
    # the live fill rule depends on it, so a replay under another config must know it
    for transport in (False, True):
        stream = StructureStream()
        stream._transport_mode = transport
        assert stream.reclassify(StructureConfig(live_settle_bars=1))._transport_mode is transport
