"""Motifs: each track's bars matched against the track's memory of earlier bars.

A bounded, streaming self-similarity: every new bar is compared with two hearings of each
motif the track remembers, its prototype (first hearing; the first whole hearing when the
first lacked the tail of a bar before it, at the start of a stream) and its latest hearing
as a repeat, and counts as near a motif as its nearer hearing. The latest hearing is the
one most like the next repeat: its first slot holds the tail of the same motif, where the
prototype's may hold another's (a loop heard after a different bar), and it was played by
the same hands moments ago. It is a *repeat* of the closest motif whose every slot matches
(the first slot also holds the end of what came before; ``first_slot_weight`` < 1 in
:class:`StructureConfig` lets it count for less, off by default), a *variation* of the
closest motif when most of it matches (the variation becomes a motif of its own, naming its
parent), or a *new* motif. A bar that repeats no motif as heard but does once the bar
before's ring is taken out (:attr:`Fingerprint.unrung`: a drum fill's last tom ringing on
into the loop's next bar) is a repeat; the memory keeps bars as heard, but for a motif's
first hearing with such a ring, whose latest hearing is the bar with the ring taken out
until the motif is repeated (the repeat follows the motif, not the bar before). Labels are
letters in order of first hearing (``a``, ``b`` … ``z``, ``aa`` …); a variation adds a
prime to its parent's root (``a'``, ``a''`` …, then ``a'4`` …), so a label shows its
family; :attr:`MotifResult.parent` names the motif it varies.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from models.structure.config import StructureConfig
from models.structure.fingerprint import Fingerprint, Stack, slot_similarity_many

REPEAT, VARIATION, NEW = "repeat", "variation", "new"


def letters(n: int) -> str:
    """0 → ``a``, 25 → ``z``, 26 → ``aa`` … (bijective base 26)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def variation_label(root: str, n: int) -> str:
    """The ``n``-th variation of motif family ``root``: one to three primes (a', a'',
    a'''), then a prime and the number (a'4, a'5 …)."""
    if n < 1:
        raise ValueError("variations count from 1")
    return root + ("'" * n if n <= 3 else f"'{n}")


def family(label: str) -> str:
    """The family (root motif) of a label: a'' and a'7 give a."""
    return label.split("'", 1)[0]


@dataclass(frozen=True)
class MotifResult:
    """What a bar is to its track: ``label`` and ``kind`` (repeat/variation/new), the motif
    it derives from (``parent``, for a variation; the motif itself for a repeat) and the
    mean slot similarity to it (``similarity``, 0 for a new motif with no memory)."""

    label: str
    kind: str
    parent: str | None
    similarity: float


@dataclass
class _Motif:
    label: str
    root: str
    print: Fingerprint  # the prototype
    # the latest hearing as a repeat (before the first, the first hearing without the bar
    # before's ring, where one rang on into it)
    recent: Fingerprint | None = None


@dataclass
class _Stacked:
    """The remembered hearings of one slot count stacked: the motif of each row, and the
    row of each motif's latest hearing (updated in place)."""

    labels: list[str]
    stack: Stack
    recent_rows: dict[str, int]


class MotifMemory:
    """One track's motifs (at most ``cfg.memory``; the least recently heard is forgotten)."""

    def __init__(self, cfg: StructureConfig) -> None:
        self.cfg = cfg
        self._motifs: OrderedDict[str, _Motif] = OrderedDict()
        self._roots = 0
        self._primes: dict[str, int] = {}
        self._cache: _Stacked | None = None

    def __len__(self) -> int:
        return len(self._motifs)

    def match(self, bar: Fingerprint) -> MotifResult | None:
        """Classify ``bar`` and remember it; None for a silent bar (nothing is learned)."""
        if bar.silent:
            return None
        cfg = self.cfg
        best_repeat: tuple[float, str] | None = None
        best_any: tuple[float, str] | None = None
        stacked = self._stack(bar.slots) if self._motifs else None
        if stacked is not None:
            labels = stacked.labels
            means, ok = self._likeness(bar, stacked.stack)
            top = int(np.argmax(means))
            best_any = (float(means[top]), labels[top])
            if not ok.any() and bar.unrung is not None:
                # not a repeat as heard: perhaps once the bar before's ring is taken out
                # (a drum fill's last tom ringing on into the loop's next bar); only a
                # repeat counts so, and the bar becomes the latest hearing as heard
                unrung_means, unrung_ok = self._likeness(bar.unrung, stacked.stack)
                if unrung_ok.any():
                    means, ok = unrung_means, unrung_ok
            if ok.any():
                pick = int(np.argmax(np.where(ok, means, -1.0)))
                best_repeat = (float(means[pick]), labels[pick])
        if best_repeat is not None:
            mean, label = best_repeat
            motif = self._motifs[label]
            if motif.print.lead_missing and not bar.lead_missing:
                # the first hearing lacked the tail of a bar before: the first whole
                # hearing is the better prototype
                motif.print = bar
                self._cache = None
            self._heard(motif, bar)
            self._motifs.move_to_end(label)
            return MotifResult(label, REPEAT, label, mean)
        if best_any is not None and best_any[0] >= cfg.variation_mean:
            mean, parent = best_any
            root = self._motifs[parent].root
            self._primes[root] = self._primes.get(root, 0) + 1
            label = variation_label(root, self._primes[root])
            self._remember(label, root, bar)
            self._motifs.move_to_end(parent)
            return MotifResult(label, VARIATION, parent, mean)
        label = letters(self._roots)
        self._roots += 1
        self._remember(label, label, bar)
        return MotifResult(label, NEW, None, 0.0 if best_any is None else best_any[0])

    def _likeness(self, bar: Fingerprint, stack: Stack) -> tuple[np.ndarray, np.ndarray]:
        """``bar`` against each remembered hearing: the mean slot similarity ``(M,)`` and
        whether it is a repeat ``(M,)`` bool (every slot and the mean alike enough)."""
        cfg = self.cfg
        sims = slot_similarity_many(bar, stack)
        # the first slot also holds the end of what came before (its lead): the same loop
        # heard after another motif differs there, so it counts for less
        sims[:, 0] = 1.0 - cfg.first_slot_weight * (1.0 - sims[:, 0])
        means = sims.mean(axis=1)
        return means, (sims.min(axis=1) >= cfg.repeat_slot) & (means >= cfg.repeat_mean)

    def _heard(self, motif: _Motif, bar: Fingerprint) -> None:
        """``bar`` repeated ``motif``: it becomes the motif's latest hearing."""
        motif.recent = bar
        cache = self._cache
        row = None if cache is None else cache.recent_rows.get(motif.label)
        if cache is not None and row is not None and cache.stack.slots == bar.slots:
            cache.stack.put(row, bar)
        else:
            self._cache = None

    def _stack(self, slots: int) -> _Stacked | None:
        """The remembered hearings of ``slots`` slots stacked (rebuilt only when a motif
        was added or forgotten, got its first repeat or a new prototype, or the meter
        changed); prints of another meter are never alike, so left out."""
        if self._cache is None or self._cache.stack.slots != slots:
            labels: list[str] = []
            prints: list[Fingerprint] = []
            recent_rows: dict[str, int] = {}
            for label, motif in self._motifs.items():
                if motif.print.slots == slots:
                    labels.append(label)
                    prints.append(motif.print)
                if motif.recent is not None and motif.recent.slots == slots:
                    recent_rows[label] = len(prints)
                    labels.append(label)
                    prints.append(motif.recent)
            if not prints:  # nothing in this meter yet
                return None
            self._cache = _Stacked(labels, Stack.of(prints), recent_rows)
        return self._cache

    def _remember(self, label: str, root: str, bar: Fingerprint) -> None:
        """``bar`` is heard first (a new motif or a variation): it is the prototype as
        heard. Where the bar before rang on into it (a drum fill's last tom into a new
        groove's first bar), the bar with that ring taken out is its latest hearing until
        the motif is repeated: the repeat follows the motif itself, not the bar before its
        first hearing, so it holds no such ring."""
        self._cache = None
        self._motifs[label] = _Motif(label, root, bar, bar.unrung)
        while len(self._motifs) > self.cfg.memory:
            self._motifs.popitem(last=False)
