"""A fixed-size ring of the most recent samples of one track."""

from __future__ import annotations

import numpy as np


class RingBuffer:
    """Keeps the last ``capacity`` float32 samples written, allocation-free after creation.

    ``total`` counts every sample ever written, so readers can tell how much is new since
    they last looked.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._data = np.zeros(capacity, dtype=np.float32)
        self._write = 0
        self.total = 0

    @property
    def capacity(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        """Samples currently held (at most ``capacity``)."""
        return min(self.total, self.capacity)

    def write(self, samples: np.ndarray) -> None:
        """Append samples, overwriting the oldest when full."""
        block = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.total += block.size
        if block.size >= self.capacity:
            self._data[:] = block[-self.capacity :]
            self._write = 0
            return
        end = self._write + block.size
        if end <= self.capacity:
            self._data[self._write : end] = block
        else:
            split = self.capacity - self._write
            self._data[self._write :] = block[:split]
            self._data[: end - self.capacity] = block[split:]
        self._write = end % self.capacity

    def latest(self, count: int) -> np.ndarray:
        """The newest ``count`` samples, oldest first (zeros before anything was written)."""
        if not 0 <= count <= self.capacity:
            raise ValueError(f"count must be within 0..{self.capacity}, got {count}")
        start = (self._write - count) % self.capacity
        if start + count <= self.capacity:
            out = self._data[start : start + count].copy()
        else:
            out = np.concatenate([self._data[start:], self._data[: self._write]])
        if count > self.total:
            out[: count - self.total] = 0.0
        return out

    def clear(self) -> None:
        self._data[:] = 0.0
        self._write = 0
        self.total = 0
