"""Whole signals at once: the same stream, fed block by block, then finished.

Offline and streaming give the same bars, motifs and live sections by construction (this
runs :class:`StructureStream`); the offline sections add look-ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.structure.clock import Transport
from models.structure.config import DEFAULT_STRUCTURE, StructureConfig
from models.structure.results import Structure
from models.structure.stream import StructureStream

#: Block length (seconds) used to feed whole signals.
BLOCK_SECONDS = 0.5


@dataclass(frozen=True)
class SteadyTransport:
    """A transport playing from song position 0 at sample 0, at one tempo and meter (what
    Live sends for a set that starts at its beginning and never changes tempo)."""

    tempo: float
    numerator: int = 4
    denominator: int = 4

    def at(self, seconds: float) -> Transport:
        """The transport ``seconds`` after the start."""
        return Transport(self.tempo, seconds * self.tempo / 60.0, self.numerator, self.denominator)


def analyse_signals(
    signals: Mapping[str, tuple[np.ndarray, float]],
    *,
    transport: SteadyTransport | None = None,
    tempo: float | None = None,
    cfg: StructureConfig = DEFAULT_STRUCTURE,
    block_seconds: float = BLOCK_SECONDS,
    lock_seconds: float = 8.0,
) -> Structure:
    """The structure of tracks that start together.

    Args:
        signals: track name → ``(samples (n,), rate in Hz)``; mono float samples.
        transport: the bars' clock, when known (else the tracker finds them).
        tempo: the tracker's tempo (BPM) when there is no transport (optional).
        cfg: analysis parameters.
        block_seconds: how the signals are cut for the stream (the result does not depend
            on it but for floating-point rounding).

    Raises:
        ValueError: for no tracks, a track that is not 1-D finite audio, or a bad rate.
    """
    if not signals:
        raise ValueError("no tracks to analyse")
    stream = StructureStream(cfg, tempo=tempo, lock_seconds=lock_seconds)
    prepared = []
    for name, (samples, rate) in signals.items():
        array = np.asarray(samples)
        if array.ndim != 1:
            raise ValueError(f"track {name!r}: expected mono samples (1-D), got {array.shape}")
        prepared.append((name, array, float(rate)))
        stream.add_track(name, float(rate))  # they start together
    # feed in time order, one block of every track at a time (as a live bridge would)
    position = 0.0
    longest = max(len(a) / r for _, a, r in prepared)
    while position < longest:
        end = position + block_seconds
        for name, array, rate in prepared:
            first, last = round(position * rate), min(len(array), round(end * rate))
            if first >= last:
                continue
            stamp = None if transport is None else transport.at(first / rate)
            stream.push(name, array[first:last], rate, stamp)
        position = end
    stream.finish()
    return stream.structure()
