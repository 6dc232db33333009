"""Opening and closing what the show's controls talk to, from the command line's options.

``synaesthete bridge`` turns ``--midi``, ``--midi-out``, ``--feedback`` and ``--oscquery``
into :class:`ControlOptions`; :class:`ControlSession` opens the MIDI ports, loads the MIDI
mappings from beside the presets, sets up feedback over the bridge's reply socket and starts
the OSCQuery server, and :meth:`ControlSession.close` undoes it all. A part that cannot start
(no MIDI here, the HTTP port taken) is logged and left out; the show goes on without it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bridge.control.feedback import FeedbackRegistry, FeedbackSender
from bridge.control.midi_learn import MidiLearner
from bridge.control.midi_map import MAPPINGS_FILE, MidiMapError, load_mappings
from bridge.control.midi_port import MidiPortError, MidiPorts
from bridge.control.oscquery_server import OscQueryServer
from bridge.control.show_controls import ControlIO
from bridge.ingest.service import BridgeService
from bridge.show.presets import presets_dir

log = logging.getLogger(__name__)


@dataclass
class ControlOptions:
    """``midi``: port name parts to open (``[]`` every input; None: no MIDI); ``midi_out``:
    more outputs for feedback; ``midi_backend``: a mido backend (e.g.
    ``mido.backends.rtmidi/UNIX_JACK``); ``feedback``: controllers registered for the whole
    run; ``oscquery_port``: the HTTP port (None: no OSCQuery; 0: any free port), announced
    over zeroconf unless ``oscquery_advertise`` is False."""

    midi: list[str] | None = None
    midi_out: list[str] = field(default_factory=list)
    midi_backend: str | None = None
    feedback: list[tuple[str, int]] = field(default_factory=list)
    oscquery_port: int | None = None
    oscquery_advertise: bool = True
    presets_dir: Path | None = None


class ControlSession:
    """The opened parts; :attr:`io` goes to the show."""

    def __init__(self, options: ControlOptions, service: BridgeService) -> None:
        self.options = options
        self.midi: MidiPorts | None = None
        self.oscquery: OscQueryServer | None = None
        self._final: dict[str, int] | None = None
        registry = FeedbackRegistry(static=options.feedback)
        learner = None
        if options.midi is not None:
            learner = self._open_midi(options)
        if options.oscquery_port is not None:
            self._open_oscquery(options, service)
        self.io = ControlIO(
            learner=learner,
            midi=self.midi,
            feedback=FeedbackSender(registry, service.replier),
            on_state=self.oscquery.update if self.oscquery is not None else None,
        )

    def _open_midi(self, options: ControlOptions) -> MidiLearner | None:
        path = (options.presets_dir or presets_dir()) / MAPPINGS_FILE
        try:
            midi_map = load_mappings(path)
        except MidiMapError as exc:
            log.error("MIDI mappings not loaded (fix or remove the file): %s", exc)
            return None
        try:
            self.midi = MidiPorts(
                options.midi, outputs=options.midi_out, backend=options.midi_backend
            )
        except MidiPortError as exc:
            log.error("%s", exc)
            return None
        log.info("%d MIDI mapping(s) from %s", len(midi_map.mappings), path)
        return MidiLearner(midi_map, path)

    def _open_oscquery(self, options: ControlOptions, service: BridgeService) -> None:
        host, port = service.address
        try:
            self.oscquery = OscQueryServer(
                osc_port=port,
                host=host,
                port=options.oscquery_port,
                advertise=options.oscquery_advertise,
            ).start()
        except OSError as exc:
            log.error("OSCQuery not served on port %s: %s", options.oscquery_port, exc)

    def counters(self) -> dict[str, int]:
        if self._final is not None:
            return dict(self._final)  # closed: what they were at the end
        return self._counters()

    def _counters(self) -> dict[str, int]:
        """Every control counter, for ``--stats`` and ``--stats-json``: the show's
        (``not_steppable`` …), feedback's (registered, refused, expired, deferred, quiet),
        MIDI's (in, out, dropped, ignored, coalesced, ports lost and opened …) and
        ``midi_save_errors``."""
        total: Counter[str] = Counter()
        # dict() copies in one step under the GIL: rtmidi's threads count while we read.
        total.update(dict(self.io.counters))
        if self.io.feedback is not None:
            total.update(dict(self.io.feedback.registry.counters))
        if self.midi is not None:
            total.update(dict(self.midi.counters))
        learner = self.io.learner
        if learner is not None:
            total.update(dict(learner.map.counters))
            total["midi_save_errors"] += learner.save_errors
        return dict(total)

    def close(self) -> None:
        if self._final is None:
            self._final = self._counters()
        if self.oscquery is not None:
            self.oscquery.stop()
            self.oscquery = None
        if self.midi is not None:
            self.midi.close()
            self.midi = None

    def __enter__(self) -> ControlSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
