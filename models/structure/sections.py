"""Sections: boundaries from the novelty of the bar self-similarity, labels by return.

Novelty at bar ``b`` compares the bars before ``b`` (block P) with the bars from ``b`` on
(block F), Foote's checkerboard with a flat kernel: ``(within P + within F) / 2 − across``
(mean similarities, the diagonal left out). Offline, F is ``kernel_bars`` long (look-ahead)
and a boundary is a local novelty peak above ``novelty_offline``; live, F is the bar and the
one after it, so a boundary at ``b`` is known when bar ``b + 1`` is complete (one bar of
delay). Boundaries are at least ``min_section_bars`` apart. A new section takes the label of
an earlier one when their bars are alike on average (``section_same``), else the next
letter: A … B … A.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from models.structure.config import StructureConfig
from models.structure.results import Section


def _block_mean(s: np.ndarray, rows: range, cols: range, within: bool) -> float | None:
    if not rows or not cols:
        return None
    block = s[rows.start : rows.stop, cols.start : cols.stop]
    if within:
        n = block.shape[0]
        if n < 2:
            return None
        return float((block.sum() - np.trace(block)) / (n * n - n))
    return float(block.mean())


def novelty_at(s: np.ndarray, b: int, before: int, after: int) -> float:
    """Checkerboard novelty at bar ``b`` of the similarity matrix ``s`` (``(n, n)``) with
    ``before`` bars before and ``after`` bars from ``b`` (clipped at the ends); 0 where
    either block is empty."""
    n = s.shape[0]
    past = range(max(0, b - before), b)
    future = range(b, min(n, b + after))
    across = _block_mean(s, past, future, within=False)
    if across is None:
        return 0.0
    within = [
        m
        for m in (_block_mean(s, past, past, True), _block_mean(s, future, future, True))
        if m is not None
    ]
    inside = float(np.mean(within)) if within else 1.0
    return inside - across


def offline_boundaries(s: np.ndarray, cfg: StructureConfig) -> list[int]:
    """Bars where sections start (bar 0 not included), from the whole ``(n, n)`` matrix."""
    n = s.shape[0]
    k = cfg.kernel_bars
    nov = np.array([novelty_at(s, b, k, k) for b in range(n)])
    candidates = [
        b
        for b in range(1, n - cfg.min_section_bars + 1)  # a section has at least that many
        if nov[b] >= cfg.novelty_offline
        and nov[b] >= nov[max(0, b - cfg.min_section_bars) : b + cfg.min_section_bars + 1].max()
    ]
    chosen: list[int] = []
    for b in sorted(candidates, key=lambda b: -nov[b]):
        if all(abs(b - c) >= cfg.min_section_bars for c in chosen):
            chosen.append(b)
    return sorted(chosen)


def live_novelty(s: np.ndarray, b: int, cfg: StructureConfig) -> float:
    """Novelty at bar ``b`` from the bars before it and bars ``b``, ``b + 1`` only."""
    return novelty_at(s, b, cfg.kernel_bars, 2)


def label_sections(
    starts: Sequence[int],
    count: int,
    similar: Callable[[range, range], float],
    cfg: StructureConfig,
    *,
    probe: int | None = None,
) -> list[Section]:
    """Sections ``[start, next start)`` over ``count`` bars, labelled in order.

    ``similar(bars_a, bars_b)`` is the mean bar similarity of two bar ranges. A section is
    compared by its first ``probe`` bars (all of them when None) with every earlier label's
    bars; the best at or above ``cfg.section_same`` gives its label, else a new letter.
    """
    edges = sorted({0, *[s for s in starts if 0 < s < count]})
    sections: list[Section] = []
    groups: dict[str, list[range]] = {}
    for i, start in enumerate(edges):
        end = edges[i + 1] if i + 1 < len(edges) else count
        bars = range(start, end if probe is None else min(end, start + probe))
        best, best_label = -1.0, None
        for label, ranges in groups.items():
            score = float(np.mean([similar(bars, r) for r in ranges]))
            if score > best:
                best, best_label = score, label
        if best_label is None or best < cfg.section_same:
            best_label = chr(ord("A") + len(groups) % 26) + (
                "" if len(groups) < 26 else str(len(groups) // 26)
            )
            groups[best_label] = []
        groups[best_label].append(range(start, end))
        sections.append(Section(best_label, start, end))
    return sections
