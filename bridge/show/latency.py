"""Latency bookkeeping: how long from a pcm packet's arrival to the frame that shows it.

Every generated image carries the arrival time of the newest packet it was made from;
when the render loop first shows that image it records ``frame_out - arrival``. Stage
times (analysis, generation, composite) are recorded the same way. Percentiles are taken
over a sliding window of recent samples, so ``--stats`` describes the show as it is now.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

#: Samples kept per series (about a minute of frames at 60 fps).
WINDOW = 4096


class LatencyStats:
    """Thread-safe sliding windows of durations (seconds), by series name."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._series: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        if not np.isfinite(seconds) or seconds < 0:
            return  # clock skew between threads cannot make a negative latency real
        with self._lock:
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = deque(maxlen=self._window)
            series.append(seconds)

    def count(self, name: str) -> int:
        with self._lock:
            return len(self._series.get(name, ()))

    def percentiles(self, name: str, quantiles: tuple[float, ...] = (50, 95)) -> tuple[float, ...]:
        """Percentiles of a series in seconds (NaN when it has no samples)."""
        with self._lock:
            values = np.array(self._series.get(name, ()), dtype=np.float64)
        if values.size == 0:
            return tuple(float("nan") for _ in quantiles)
        return tuple(float(v) for v in np.percentile(values, quantiles))

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._series)

    def summary(self) -> dict[str, dict[str, float]]:
        """``{series: {"p50_ms", "p95_ms", "count"}}`` for reports and --stats."""
        out = {}
        for name in self.names():
            p50, p95 = self.percentiles(name)
            out[name] = {"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "count": self.count(name)}
        return out

    def format_line(self) -> str:
        parts = []
        for name, s in self.summary().items():
            parts.append(f"{name} p50 {s['p50_ms']:.1f} p95 {s['p95_ms']:.1f} ms")
        return "; ".join(parts) or "no latency samples yet"
