"""Sections: boundaries from the novelty of the bar self-similarity, labels by return.

Novelty at bar ``b`` compares the bars before ``b`` (block P) with the bars from ``b`` on
(block F), Foote's checkerboard with a flat kernel: ``(within P + within F) / 2 − across``
(mean similarities, the diagonal left out). Offline, F is ``kernel_bars`` long (look-ahead)
and a boundary is a local novelty peak above ``novelty_offline``; live, F is the bar and the
one after it, so a boundary at ``b`` is known when bar ``b + 1`` is complete (one bar of
delay). Boundaries are at least ``min_section_bars`` apart. Offline, a boundary whose bar
matches the bars before it better than those after it (a fill closing the section before)
moves one bar on (:func:`settle_boundary`); live, on the tracker's bars, a candidate that is
such a fill by the one bar after it (:func:`is_fill`) is passed over for the next bar.

Live, the checkerboard misses a change between sections whose bars cycle (a question and
its answer, a four-bar phrase): its blocks' means are low *within* such a section too, and
two bars of look-ahead hold one pair only. So novelty also asks whether the bars go on
*by some period*: each of the two bars before ``b`` continues the bar one to
``cycle_lags`` bars before it (its best similarity at those lags), and neither of bars
``b``, ``b + 1`` continues a bar before ``b`` (the future's best, at the same lags). The
larger of the two novelties counts, each against its own threshold (offline too, where
the look-ahead lets the checkerboard see most such changes). A new section takes the label of
an earlier one when their bars are alike on average (``section_same``), else the next
letter: A … B … A. Sections compare bar by bar by each bar's best match in the other
(:func:`matched_similarity`): a section whose bars cycle is as alike to its return as its
bars are to their own repeats, where the mean over all pairs of bars (a question against an
answer too) read it as a new section.
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
    """Bars where sections start (bar 0 not included), from the whole ``(n, n)`` matrix:
    peaks of the checkerboard novelty or of the continuation novelty (scaled so that
    ``novelty_offline_cycle`` reads as ``novelty_offline``), whichever is larger."""
    n = s.shape[0]
    k = cfg.kernel_bars
    scale = cfg.novelty_offline / cfg.novelty_offline_cycle
    nov = np.array(
        [
            max(novelty_at(s, b, k, k), continuation_novelty(s, b, cfg.cycle_lags) * scale)
            for b in range(n)
        ]
    )
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
    settled: list[int] = []
    for b in sorted(settle_boundary(s, b, cfg.settle_bars) for b in chosen):
        if b < n and (not settled or b - settled[-1] >= cfg.min_section_bars):
            settled.append(b)
    return settled


def settle_boundary(s: np.ndarray, b: int, reach: int) -> int:
    """The bar a section found to start at ``b`` starts at: ``b + 1`` when bar ``b``
    matches one of the ``reach`` bars before it better than any of the ``reach`` bars after
    it (its best similarity, so a bar of a cycle matches its partner), else ``b``.

    A section's last bar is often unlike the rest of it (a fill, a changed last note): the
    novelty then peaks a bar early, at the fill, which belongs to the section it closes.
    Offline only (it reads bar ``b + reach``). ``reach`` 0 leaves ``b`` as it is."""
    n = s.shape[0]
    if reach < 1 or b + 1 >= n:
        return b
    past = s[b, max(0, b - reach) : b]
    future = s[b, b + 1 : b + 1 + reach]
    if past.size and future.size and float(past.max()) > float(future.max()):
        return b + 1
    return b


def is_fill(s: np.ndarray, b: int, reach: int) -> bool:
    """Live: whether bar ``b`` (a boundary candidate) closes the section before rather than
    opening the next: it matches one of the ``reach`` bars before it better than the bar
    after it (the only one known with one bar of delay). ``reach`` 0: never."""
    n = s.shape[0]
    if reach < 1 or b + 1 >= n:
        return False
    past = s[b, max(0, b - reach) : b]
    return bool(past.size) and float(past.max()) > float(s[b, b + 1])


def continuation_novelty(s: np.ndarray, b: int, lags: int) -> float:
    """How much less bars ``b``, ``b + 1`` go on from the bars before ``b`` than bars
    ``b - 2``, ``b - 1`` went on from theirs, by some period of 1 … ``lags`` bars.

    A bar's continuation is its best similarity to the bars 1 … ``lags`` before it (for the
    future bars, only bars before ``b``: ``b + 1`` continuing ``b`` is the new section going
    on). The past's is the mean of its two bars' (each had to go on), the future's the
    larger of its two (one going on is no change). 0 where either side has no bar to
    compare.
    """
    n = s.shape[0]

    def best(x: int, before: int) -> float | None:
        values = [s[x, x - lag] for lag in range(1, lags + 1) if 0 <= x - lag < before]
        return float(max(values)) if values else None

    past = [v for x in range(max(0, b - 2), b) if (v := best(x, x)) is not None]
    future = [v for x in range(b, min(n, b + 2)) if (v := best(x, b)) is not None]
    if not past or not future:
        return 0.0
    return float(np.mean(past)) - max(future)


def live_novelty(s: np.ndarray, b: int, cfg: StructureConfig) -> float:
    """Novelty at bar ``b`` from the bars before it and bars ``b``, ``b + 1`` only: the
    checkerboard's, or the continuation's (:func:`continuation_novelty`) scaled so that
    ``novelty_live_cycle`` reads as ``novelty_live``, whichever is larger. ``s`` must hold
    the ``live_history(cfg)`` bars before ``b`` where the stream has them."""
    board = novelty_at(s, b, cfg.kernel_bars, 2)
    cycle = continuation_novelty(s, b, cfg.cycle_lags)
    return max(board, cycle * cfg.novelty_live / cfg.novelty_live_cycle)


def live_history(cfg: StructureConfig) -> int:
    """Bars before ``b`` that :func:`live_novelty` at ``b`` reads."""
    return max(cfg.kernel_bars, 2 + cfg.cycle_lags)


def live_reach(cfg: StructureConfig) -> int:
    """How many bars apart, at most, the pairs of bars are whose similarity
    :func:`live_novelty` reads (others need not be computed)."""
    return max(cfg.kernel_bars + 1, cfg.cycle_lags)


def matched_similarity(block: np.ndarray, *, both: bool = True) -> float:
    """How alike two runs of bars are from their similarity ``block`` (rows: the bars of
    one, columns: the other's): the mean of each row bar's best match among the columns
    and, with ``both``, of each column bar's among the rows, averaged (a section holding
    bars the other lacks is less alike). 0 for an empty block."""
    if block.size == 0:
        return 0.0
    rows = float(block.max(axis=1).mean())
    return 0.5 * (rows + float(block.max(axis=0).mean())) if both else rows


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
