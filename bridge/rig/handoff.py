"""Audio blocks from PortAudio's callback thread to the bridge, without ever waiting.

PortAudio calls its callback on a real-time thread: if the callback waits (for a lock, a
full queue, memory), the sound card overruns and every client of the device glitches. The
callback therefore only copies the block into a preallocated slot and bumps a counter; when
every slot is still unread it drops the block and counts it. One consumer thread takes the
blocks in order. Each block carries its number, so a dropped block shows as a gap in the
sequence the ingest then fills with silence (and counts as lost).

Single producer, single consumer: the producer writes only ``_written``, the consumer only
``_read``; an int assignment is atomic in CPython, so neither takes a lock.
"""

from __future__ import annotations

import numpy as np


class BlockHandoff:
    """A bounded ring of equally sized (frames, channels) float32 blocks.

    Args:
        slots: blocks the ring holds (the consumer may fall this many behind).
        frames: frames per block.
        channels: channels per frame.

    Raises:
        ValueError: a size below 1.
    """

    def __init__(self, slots: int, frames: int, channels: int) -> None:
        if slots < 1 or frames < 1 or channels < 1:
            raise ValueError(f"slots, frames and channels must be ≥ 1: {slots, frames, channels}")
        self._blocks = np.zeros((slots, frames, channels), np.float32)
        self._numbers = np.zeros(slots, np.int64)
        self._written = 0  # blocks put into slots (producer only)
        self._read = 0  # blocks taken (consumer only)
        #: Blocks offered by the producer, kept or not: the next block's number.
        self.offered = 0
        #: Blocks dropped because every slot was unread.
        self.dropped = 0
        #: Blocks refused because their shape was not (frames, channels).
        self.misshapen = 0

    @property
    def shape(self) -> tuple[int, int]:
        """(frames, channels) of every block."""
        return int(self._blocks.shape[1]), int(self._blocks.shape[2])

    @property
    def pending(self) -> int:
        """Blocks written and not yet taken."""
        return self._written - self._read

    def put(self, block: np.ndarray) -> bool:
        """Producer side (the audio callback): copy ``block`` in, or drop it; never waits.

        Returns whether the block was kept.
        """
        number = self.offered
        self.offered = number + 1
        if block.shape != self._blocks.shape[1:]:
            self.misshapen += 1
            return False
        if self._written - self._read >= self._blocks.shape[0]:
            self.dropped += 1
            return False
        slot = self._written % self._blocks.shape[0]
        self._blocks[slot] = block
        self._numbers[slot] = number
        self._written += 1  # publish only after the copy
        return True

    def take(self) -> tuple[int, np.ndarray] | None:
        """Consumer side: the oldest block and its number, or None when nothing is waiting.

        The returned array is a copy: the slot is free for the producer once this returns.
        """
        if self._read >= self._written:
            return None
        slot = self._read % self._blocks.shape[0]
        block = self._blocks[slot].copy()
        number = int(self._numbers[slot])
        self._read += 1
        return number, block
