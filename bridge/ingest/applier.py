"""The ingest thread: applies queued events to the track registry and the transport.

What each packet costs beyond decoding — sequence handling, clean-up, filing samples in the
track's ring — happens here, off the receive thread. Resampling and analysis are the
inference worker's (:mod:`bridge.generate.worker`), done at the rate pictures are made.
Readers (the terminal view, the worker, the show) take :attr:`Ingest.lock` while they look
at the registry.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from dataclasses import replace

from bridge.ingest.protocol import (
    CONTROL_EVENTS,
    SENT_CONTROLS,
    Bye,
    ControlEvent,
    Event,
    FeedbackRegister,
    Hello,
    Meta,
    Params,
    Pcm,
    Transport,
)
from bridge.ingest.receiver import Arrival
from bridge.ingest.registry import TrackRegistry
from bridge.ingest.replies import Replier
from bridge.ingest.transport import TransportClock

log = logging.getLogger(__name__)

__all__ = ["ControlEvent", "Ingest"]

#: Controls waiting for the show, at most; older ones are dropped (and counted) when nobody
#: takes them, e.g. while the bridge shows only the terminal view.
CONTROL_BACKLOG = 4096

#: How often silent tracks are checked for staleness and removal.
EXPIRE_INTERVAL = 0.25


class Ingest:
    """Drains the arrival queue on its own thread."""

    def __init__(
        self,
        source: queue.SimpleQueue[Arrival],
        registry: TrackRegistry,
        clock: TransportClock,
        *,
        replier: Replier | None = None,
    ) -> None:
        self.source = source
        #: Answers hellos that ask for a status (None: the bridge answers nobody).
        self.replier = replier
        self.registry = registry
        self.clock = clock
        #: Controls in arrival order, for the show's render loop to take (``popleft``).
        self.controls: deque[ControlEvent] = deque(maxlen=CONTROL_BACKLOG)
        self.lock = threading.Lock()
        #: Set whenever pcm was applied, so a consumer can wake on new audio.
        self.new_audio = threading.Event()
        self.counters: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
        self._last_expire = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self.source.get(timeout=0.05)
            except queue.Empty:
                self.tick(time.monotonic())
                continue
            batch = [first]
            while len(batch) < 256:
                try:
                    batch.append(self.source.get_nowait())
                except queue.Empty:
                    break
            with self.lock:
                for arrival in batch:
                    self._apply(arrival)
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        """Expire silent tracks, at most every EXPIRE_INTERVAL."""
        if now - self._last_expire >= EXPIRE_INTERVAL:
            self._last_expire = now
            with self.lock:
                self.registry.expire(now)

    def apply(self, arrival: Arrival) -> None:
        """Apply one arrival synchronously (for tests and offline use)."""
        with self.lock:
            self._apply(arrival)

    def _apply(self, arrival: Arrival) -> None:
        try:
            self._dispatch(arrival)
        except Exception:  # a bug must not stop the show: count it and keep going
            self.counters["internal_error"] += 1
            log.exception("error while applying %r", arrival.event)

    def _dispatch(self, arrival: Arrival) -> None:
        if arrival.error is not None:
            self.registry.count_error(arrival.error)
            return
        event: Event | None = arrival.event
        if isinstance(event, (Pcm, Hello, Meta, Params, Bye)):
            self.registry.apply(event, arrival.time)
            if isinstance(event, Pcm):
                self.new_audio.set()
            elif (
                isinstance(event, Hello)
                and event.reply_port
                and arrival.sender
                and self.replier is not None
            ):
                self.replier.status(
                    arrival.sender, event.reply_port, len(self.registry), arrival.time
                )
        elif isinstance(event, Transport):
            self.clock.update(
                arrival.time,
                tempo=event.tempo,
                playing=event.playing,
                beat=event.beat,
                numerator=event.numerator,
                denominator=event.denominator,
            )
        elif isinstance(event, CONTROL_EVENTS):
            if isinstance(event, FeedbackRegister) and not event.host:
                event = replace(event, host=arrival.sender)  # feedback goes to the sender
            elif isinstance(event, SENT_CONTROLS) and not event.sender and arrival.sender:
                event = replace(event, sender=arrival.sender)  # feedback sends it no echo
            self.counters["controls"] += 1
            if len(self.controls) == CONTROL_BACKLOG:
                self.counters["controls_dropped"] += 1
            self.controls.append(event)
