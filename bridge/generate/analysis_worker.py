"""A thread that keeps every track's analysis current at a fixed rate.

The live pipeline's inference worker analyses tracks itself, right before generating;
this worker is for the bridge on its own (the terminal view, benchmarks, tools), doing the
same work at the same rate so its cost is what a live set pays.
"""

from __future__ import annotations

import threading
import time

from bridge.generate.analysis_feed import FrameFeatures, TrackAnalysers
from bridge.ingest.registry import StreamKey
from bridge.ingest.service import BridgeService


class FeatureWorker:
    """Pulls new audio from every track ``rate_hz`` times a second and analyses it."""

    def __init__(self, service: BridgeService, rate_hz: float = 30.0) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.service = service
        self.period = 1.0 / rate_hz
        self.analysers = TrackAnalysers()
        self.updates = 0
        self.busy_seconds = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="features", daemon=True)

    def start(self) -> FeatureWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def step(self) -> None:
        """One round: copy pending audio under the bridge lock, analyse outside it."""
        started = time.perf_counter()
        with self._lock:
            self.analysers.pull(self.service)
        self.updates += 1
        self.busy_seconds += time.perf_counter() - started

    def features(self) -> dict[StreamKey, FrameFeatures]:
        with self._lock:
            return self.analysers.features()

    def _run(self) -> None:
        next_time = time.monotonic()
        while not self._stop.is_set():
            self.step()
            next_time += self.period
            delay = next_time - time.monotonic()
            if delay < -self.period:  # fell behind: do not try to catch up in a burst
                next_time = time.monotonic()
            elif delay > 0:
                self._stop.wait(delay)
