"""MIDI learn: choose a control (a key in the window, or ``/syn/midi/learn`` over OSC), move a
knob, and it is mapped — then saved to the mapping file at once.

:class:`MidiLearner` is pure logic over :class:`~bridge.control.midi_map.MidiMap` (the clock
is passed in): the show feeds it each frame's :class:`~bridge.control.midi_map.MidiEvent` s
(:meth:`MidiLearner.take`) and gets back the show controls they make. While armed, the first
*moved* control (a note-on, a controller, the pitch bend) is bound instead, on the port it
came from (so its feedback goes back to that controller only). A knob learnt for a key
action that has a continuous twin (↑/↓ → the selected layer's opacity) drives the twin; a
button or pad fires the action.

Learning waits at most :data:`LEARN_TIMEOUT` seconds; while it waits, :attr:`MidiLearner.status`
is a line for the HUD. The controller's next value after the one learnt tells an endless
encoder from a knob (:func:`~bridge.control.midi_modes.guess_mode`): the mapping's mode is
set from it (the file can also be edited by hand). A knob learnt for a number of the
selected layer gets ``pickup``: when another layer is selected it takes over only once it
reaches that layer's value, so the value does not jump.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bridge.control.midi_map import (
    CONTINUOUS,
    KeyAction,
    Mapping,
    MidiEvent,
    MidiMap,
    MidiMapError,
    check_target,
    target_arg,
)
from bridge.control.midi_modes import guess_mode
from bridge.ingest.protocol import Event

log = logging.getLogger(__name__)

#: Seconds learning waits for a control to be moved.
LEARN_TIMEOUT = 30.0
#: Targets whose layer changes with the selection: a knob learnt for one of their numbers
#: gets pickup (it takes over a newly selected layer's value only on reaching it).
SELECTED_PREFIX = "/syn/selected/"


class MidiLearner:
    """Holds the map, the control waiting to be learnt, and the file mappings are saved to."""

    def __init__(
        self,
        midi_map: MidiMap | None = None,
        path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock``: seconds, the same clock as the ``now`` given to :meth:`take`."""
        self.map = midi_map or MidiMap()
        self.clock = clock
        self.path = path
        self.armed: str | None = None
        self.armed_at = 0.0
        self.message = ""
        self.save_errors = 0
        self._probe: tuple[Mapping, int] | None = None  # learnt, and its raw value

    @property
    def status(self) -> str:
        """A line for the HUD while learning waits ("" otherwise)."""
        if self.armed is None:
            return ""
        return f"MIDI learn {self.armed}: move a control (L then Esc stops)"

    def arm(self, target: str, now: float | None = None) -> str:
        """Wait for a control to map to ``target`` ("" stops waiting); a HUD message."""
        if not target:
            return self.cancel()
        try:
            check_target(target)
        except MidiMapError as exc:
            self.message = f"MIDI learn: {exc}"
            return self.message
        self.armed, self.armed_at = target, self.clock() if now is None else now
        self.message = f"MIDI learn {target}: move a control"
        return self.message

    def cancel(self) -> str:
        self.armed = None
        self.message = "MIDI learn cancelled"
        return self.message

    def forget(self, target: str) -> str:
        removed = self.map.forget(target)
        self._save()
        self.message = f"MIDI: {removed} mapping(s) to {target} removed"
        return self.message

    def take(self, events: list[MidiEvent], now: float | None = None) -> list[Event | KeyAction]:
        """The show controls these MIDI events make, learning first if armed."""
        now = self.clock() if now is None else now
        if self.armed is not None and now - self.armed_at > LEARN_TIMEOUT:
            self.armed = None
            self.message = f"MIDI learn: nothing moved in {LEARN_TIMEOUT:.0f} s; stopped"
        out: list[Event | KeyAction] = []
        done = 0
        for event in events:
            if self.armed is None and self._probe is None:
                break
            done += 1
            if self.armed is not None and self._moved(event):
                self._learn(event)
                continue
            if self._probe is not None and self._probe[0].source.matches(event):
                self._detect(event)
            out.extend(self.map.events(event, now))
        out.extend(self.map.take(events[done:], now))
        return out

    @staticmethod
    def _moved(event: MidiEvent) -> bool:
        return event.kind != "note" or event.value > 0  # a note-off is not a choice

    def _learn(self, event: MidiEvent) -> None:
        target = self.armed or ""
        if event.kind != "note" and target in CONTINUOUS:
            target = CONTINUOUS[target]  # a knob for ↑/↓ drives the opacity itself
        self.armed = None
        source = event.source
        try:  # a knob on the selected layer's number waits to reach a new layer's value
            pickup = event.kind != "note" and target.startswith(SELECTED_PREFIX)
            pickup = pickup and target_arg(target).choices is None
            mapping = self.map.bind(source, target, pickup=pickup)
        except MidiMapError as exc:
            self.message = f"MIDI learn: {exc}"
            return
        self.map.events(event)  # remember its position, so it does not fire at once
        self._probe = (mapping, event.raw) if event.kind == "cc" else None
        self._save()
        self.message = f"MIDI {source.describe()} → {target}"
        log.info("%s", self.message)

    def _detect(self, event: MidiEvent) -> None:
        """The value after the one learnt: an encoder's repeat sets the mapping's mode."""
        mapping, first = self._probe  # type: ignore[misc]
        self._probe = None
        mode = guess_mode(first, event.raw)
        if mode == mapping.mode or mapping not in self.map.mappings:
            return
        self.map.add(replace(mapping, mode=mode))
        self._save()
        self.message = f"MIDI {mapping.source.describe()} → {mapping.target} ({mode} encoder)"
        log.info("%s", self.message)

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.map.save(self.path)
        except OSError as exc:
            self.save_errors += 1
            self.message = f"MIDI mappings not saved: {exc}"
            log.warning("%s", self.message)
