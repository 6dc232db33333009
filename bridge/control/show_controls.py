"""The controls the show applies beyond a track's absolute settings: layer numbers, the
selected layer, relative steps, selection, MIDI, feedback registrations, MIDI learn.

:class:`ShowControls` sits between the show's inbox and the looks. Each frame the show hands
it the OSC controls that arrived (:meth:`ShowControls.incoming` adds the MIDI controls
learnt mappings make) and asks :meth:`ShowControls.apply` about each: it applies what is its
own and returns how many layers it touched (0: nothing matched), or None for what the looks
apply themselves (absolute controls by track, resets, presets). After the frame,
:meth:`ShowControls.publish` captures the state (:mod:`bridge.control.state`) once and sends
it on: to registered OSC controllers, to MIDI feedback, to the OSCQuery server.

Layer numbers are the keyboard's (1-based, bottom first, as the HUD shows), and the selected
layer is the keyboard's too, so a key, a MIDI button and ``/syn/select`` move one selection.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from bridge.control.feedback import FeedbackRegistry, FeedbackSender
from bridge.control.midi_learn import MidiLearner
from bridge.control.midi_map import KeyAction, Mapping, MidiEvent
from bridge.control.state import ControlState, capture_state
from bridge.control.steps import StepError, stepped
from bridge.ingest.protocol import (
    LAYER_PROPS,
    MASTER_PROPS,
    SPECS,
    FeedbackRegister,
    LayerControl,
    MasterControl,
    MidiLearn,
    SelectLayer,
)
from bridge.show.keyboard import LooksKeyboard
from bridge.show.presets import master_values

log = logging.getLogger(__name__)


#: Least time between two captures of the state for feedback (s): 30 updates a second.
PUBLISH_INTERVAL = 1.0 / 30.0


class MidiIO(Protocol):
    """MIDI ports as the show uses them (:class:`bridge.control.midi_port.MidiPorts`)."""

    def take(self) -> list[MidiEvent]:
        """The events that arrived since the last call, oldest first."""

    def send(self, changes: list[tuple[Mapping, float]]) -> int:
        """Move controls to positions 0 … 1; returns messages sent."""


@dataclass
class ControlIO:
    """What the show's controls talk to beyond OSC: MIDI learn and ports, OSC feedback, and
    a listener for each new state (the OSCQuery server's ``update``). All optional.
    ``counters``: the show's control counters (``not_steppable`` …), shared with whoever
    reports them (``--stats``)."""

    learner: MidiLearner | None = None
    midi: MidiIO | None = None
    feedback: FeedbackSender | None = None
    on_state: Callable[[ControlState], None] | None = None
    counters: Counter[str] = field(default_factory=Counter)


class ShowControls:
    """Applies the controls described in the module doc, over the show's keyboard."""

    def __init__(
        self,
        keyboard: LooksKeyboard,
        io: ControlIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock``: seconds, for MIDI (learn timeout, motor-fader hold)."""
        io = io or ControlIO()
        self.clock = clock
        self.keyboard = keyboard
        self.looks = keyboard.looks
        self.learner = io.learner
        self.midi = io.midi
        self.feedback = io.feedback
        self.on_state = io.on_state
        self._published = -1e9
        self.state = ControlState()
        self.counters = io.counters
        self.message = ""
        #: Address → hosts that set it since the last publish (they get no echo of it).
        self.quiet: dict[str, set[str]] = {}

    @property
    def registry(self) -> FeedbackRegistry | None:
        return self.feedback.registry if self.feedback is not None else None

    # -- intake --------------------------------------------------------------------------
    def incoming(self, controls: Iterable[object]) -> Iterator[object]:
        """The OSC controls, then the controls this frame's MIDI events make."""
        yield from controls
        if self.midi is not None and self.learner is not None:
            yield from self.learner.take(self.midi.take(), self.clock())
        if self.learner is not None:
            if self.learner.message:
                self.message, self.learner.message = self.learner.message, ""
            elif self.learner.status:
                self.message = self.learner.status  # stays on the HUD while learning waits

    def apply(self, event: object, now: float = 0.0) -> int | None:
        """Apply ``event`` if it is one of ours (see the module doc): layers touched, or
        None to leave it to the looks."""
        if isinstance(event, KeyAction):
            self.keyboard.message = self.keyboard.apply(event.action)
            return 1
        self._note_sender(event)
        if isinstance(event, SelectLayer):
            return self._select(event)
        if isinstance(event, LayerControl):
            if event.selector.kind in ("number", "selected") or event.relative:
                return self._layer(event)
            return None
        if isinstance(event, MasterControl) and event.relative:
            return self._master(event)
        if isinstance(event, FeedbackRegister):
            if self.registry is None:
                self.message = "feedback is off in this show"
                return 0
            self.message = self.registry.handle(event, now)
            return 1
        if isinstance(event, MidiLearn):
            if self.learner is None:
                self.message = "MIDI learn needs the bridge started with --midi"
                return 0
            if event.action == "forget":
                self.message = self.learner.forget(event.target)
            else:
                self.message = self.learner.arm(event.target, self.clock())
            return 1
        return None

    def _note_sender(self, event: object) -> None:
        """Remember who set an address absolutely, so feedback does not echo it back."""
        sender = getattr(event, "sender", "")
        if not sender or getattr(event, "relative", True):
            return
        if isinstance(event, SelectLayer):
            address = SPECS["select"].address
        elif isinstance(event, MasterControl):
            address = SPECS["master"].address.replace("{prop}", event.prop)
        elif isinstance(event, LayerControl) and event.selector.kind == "number":
            address = (
                SPECS["layer_number"]
                .address.replace("{number}", str(event.selector.value))
                .replace("{prop}", event.prop)
            )
        elif isinstance(event, LayerControl) and event.selector.kind == "selected":
            address = SPECS["selected"].address.replace("{prop}", event.prop)
        else:
            return
        self.quiet.setdefault(address, set()).add(sender)

    def _select(self, event: SelectLayer) -> int:
        ids = self.keyboard.layer_ids()
        if not ids:
            return 0
        if event.relative:
            current = self.keyboard.selected_layer()
            position = ids.index(current) if current in ids else 0
            self.keyboard.selected = ids[(position + event.number) % len(ids)]
        elif event.number == 0:
            return 1  # taken: changes nothing (a TouchOSC button's release)
        elif event.number <= len(ids):
            self.keyboard.selected = ids[event.number - 1]
        else:
            return 0
        return 1

    def _keys(self, event: LayerControl) -> list[Hashable]:
        selector = event.selector
        if selector.kind == "selected":
            chosen = self.keyboard.selected_layer()
            return [] if chosen is None else [chosen]
        if selector.kind == "number":
            ids = self.keyboard.layer_ids()
            number = int(selector.value)
            return [ids[number - 1]] if number <= len(ids) else []
        return self.looks.matching(selector)

    def _layer(self, event: LayerControl) -> int:
        keys = self._keys(event)
        arg = LAYER_PROPS[event.prop]
        for key in keys:
            value: object = event.value
            if event.relative:
                try:
                    value = stepped(arg, self.looks.value(key, event.prop), float(event.value))
                except StepError as exc:
                    self.counters["not_steppable"] += 1
                    self.message = str(exc)
                    return 0
                if arg.choices == (0, 1):
                    value = bool(value)
            self.looks.set_override(key, event.prop, value)
        return len(keys)

    def _master(self, event: MasterControl) -> int:
        current = master_values(self.looks)[event.prop]
        try:
            value = stepped(MASTER_PROPS[event.prop], current, float(event.value))
        except StepError as exc:
            self.counters["not_steppable"] += 1
            self.message = str(exc)
            return 0
        if MASTER_PROPS[event.prop].choices == (0, 1):
            value = int(value)
        return self.looks.apply(MasterControl(event.prop, value))

    # -- output --------------------------------------------------------------------------
    def wants_state(self) -> bool:
        return bool(
            (self.feedback is not None and self.feedback.registry.controllers)
            or (self.midi is not None and self.learner is not None)  # LEDs, pickup
            or self.on_state is not None
        )

    def publish(self, now: float) -> ControlState:
        """Capture the state after this frame's controls (at most every
        :data:`PUBLISH_INTERVAL`) and send it where it is wanted: feedback and MIDI send only
        what a controller does not show yet."""
        if not self.wants_state():
            self.quiet = {}
            return self.state
        if now - self._published < PUBLISH_INTERVAL:
            return self.state
        self._published = now
        state = capture_state(self.keyboard)
        if state != self.state:
            self.state = state
            if self.on_state is not None:
                self.on_state(state)
        if self.feedback is not None:
            self.feedback.publish(self.state, now, self.quiet)
        self.quiet = {}
        if self.midi is not None and self.learner is not None:
            self.midi.send(self.learner.map.feedback(self.state.values, self.clock()))
        return self.state
