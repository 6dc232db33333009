"""The show's controls without a picture: ``synaesthete bridge --no-render`` (or the terminal
view) with ``--oscquery``, ``--feedback`` or ``--midi``.

With no show drawing, nothing would take the controls that arrive, so OSCQuery would show
no layers and feedback would say nothing. :class:`StandaloneControls` runs the part of the
show that controllers see, on its own thread at :data:`RATE_HZ`: the looks follow the
bridge's tracks (:class:`~bridge.show.sources.StreamSource`), controls and MIDI are applied
to them (:class:`~bridge.control.show_controls.ShowControls`, as the show does), and the
state is published to feedback, MIDI LEDs and the OSCQuery server. So a TouchOSC surface
shows the tracks, their names and the values it sets; only the picture is missing. Presets
need the show (they are counted as ``controls_need_picture`` and left).
"""

from __future__ import annotations

import logging
import threading
import time

from bridge.control.show_controls import ControlIO, ShowControls
from bridge.ingest.protocol import PresetControl
from bridge.ingest.service import BridgeService
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks
from bridge.show.sources import StreamSource

log = logging.getLogger(__name__)

#: Steps a second (as often as a controller's state is published at most).
RATE_HZ = 30.0


class StandaloneControls:
    """Looks that follow the bridge's tracks, the controls applied to them, the state
    published; :meth:`step` once (tests), or :meth:`start` / :meth:`stop` a thread."""

    def __init__(self, service: BridgeService, io: ControlIO) -> None:
        self.source = StreamSource(service)
        self.looks = Looks()
        self.controls = ShowControls(LooksKeyboard(self.looks, learner=io.learner), io)
        self.counters = io.counters
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, now: float) -> None:
        """Follow the tracks, apply what arrived, publish the state (at ``now``, seconds)."""
        self.looks.sync(self.source.tracks(now))
        for event in self.controls.incoming(self.source.controls()):
            if isinstance(event, PresetControl):
                self.counters["controls_need_picture"] += 1
                continue
            touched = self.controls.apply(event, now)
            if touched is None:
                self.looks.apply(event)  # type: ignore[arg-type]
        self.looks.advance(now)
        self.controls.publish(now)

    def start(self) -> StandaloneControls:
        self._thread = threading.Thread(target=self._run, name="controls", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(1.0 / RATE_HZ):
            try:
                self.step(time.monotonic())
            except Exception:  # a bug must not end the bridge: count it, say so, go on
                self.counters["control_errors"] += 1
                log.exception("controls without a picture")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
