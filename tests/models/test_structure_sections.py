"""Section boundaries from checkerboard novelty, and labels by return."""

from __future__ import annotations

import numpy as np

from models.structure import StructureConfig
from models.structure.sections import label_sections, live_novelty, novelty_at, offline_boundaries


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
