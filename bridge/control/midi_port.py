"""MIDI ports through mido + python-rtmidi: input callbacks into a bounded queue, feedback out,
and ports that come back when a controller is plugged in again.

rtmidi calls the input callback on its own thread for every message; it converts the message
to a :class:`~bridge.control.midi_map.MidiEvent` and puts it in a bounded queue without
blocking (a full queue drops the event and counts it), so MIDI never holds up the show. The
show takes the queue once per frame (:meth:`MidiPorts.take`), like OSC controls.

Which ports (:func:`chosen_inputs`): an input whose name contains one of the ``--midi`` parts,
case-insensitively; with none, every input except ALSA's "Midi Through" loopback and
rtmidi's own ports (``RtMidi…``), which would echo the bridge's feedback back into it.

Feedback (:meth:`MidiPorts.send`) for a mapping learnt on a port goes only to that port's
*paired* outputs (:func:`paired_outputs`: the output of the same name, else those of the same
client — a controller's two halves) and to the ``--midi-out`` outputs; a mapping without a
port (older mapping files) goes to every open output.

Hot-plugging: a thread lists the port names every :data:`RESCAN_SECONDS` (listing costs
~0.2 s under JACK, so never on the show thread), closes the ports whose device went, and opens
again those that match once they are back; both are logged and counted
(``midi_port_lost``, ``midi_port_opened``). rtmidi sends to a vanished output without an
error, so this listing is the only way to know. A device unplugged and plugged back within
one rescan keeps its ALSA name only if it gets the same client number; ALSA names usually
change (the client number), and are then seen as new ports.

Backends: mido's default (rtmidi with the system's API: ALSA, CoreMIDI, WinMM), or any
``mido.Backend`` name, e.g. ``mido.backends.rtmidi/UNIX_JACK`` for JACK MIDI.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import mido

from bridge.control.midi_map import Mapping, MidiEvent, port_key

log = logging.getLogger(__name__)

#: MIDI events waiting for the show, at most (a fast fader sends ~300 a second).
QUEUE_LIMIT = 1024
#: Events the show takes per frame, at most (the rest wait for the next frame).
TAKE_LIMIT = 512
#: Seconds between two listings of the ports (for devices unplugged and plugged back).
RESCAN_SECONDS = 2.0
#: Ports never opened unless a ``--midi`` part names them: loopbacks and our own.
_SKIPPED = re.compile(r"through|^rtmidi", re.IGNORECASE)


class MidiPortError(RuntimeError):
    """No MIDI port could be opened as asked; the message lists what there is."""


def name_matches(name: str, parts: Sequence[str]) -> bool:
    """Whether port ``name`` contains one of ``parts`` (case-insensitively)."""
    lowered = name.lower()
    return any(part.lower() in lowered for part in parts)


def chosen_inputs(available: Iterable[str], wanted: Sequence[str]) -> list[str]:
    """The inputs to open: those matching ``wanted`` (see :func:`name_matches`), or with no
    parts every input but loopbacks ("Midi Through") and rtmidi's own ports."""
    if wanted:
        return [n for n in available if name_matches(n, wanted)]
    return [n for n in available if not _SKIPPED.search(n)]


def paired_outputs(input_name: str, outputs: Iterable[str]) -> list[str]:
    """The outputs of the controller ``input_name`` belongs to: the output of the same name
    (ALSA names a device's two halves alike), else the outputs of the same client (the part
    before the first ``:``)."""
    outputs = list(outputs)
    key = port_key(input_name)
    same = [o for o in outputs if port_key(o) == key]
    if same:
        return same
    client = input_name.split(":", 1)[0]
    return [o for o in outputs if ":" in o and o.split(":", 1)[0] == client]


def feedback_outputs(port: str, outputs: Iterable[str], extra: Sequence[str]) -> list[str]:
    """Of the open ``outputs``, those feedback for a mapping learnt on ``port`` goes to: its
    paired outputs and those ``extra`` (``--midi-out``) names; all of them for ``port`` ""
    (a mapping from an older file)."""
    names = list(outputs)
    if not port:
        return names
    chosen = set(paired_outputs(port, names))
    if extra:
        chosen |= {n for n in names if name_matches(n, extra)}
    return [n for n in names if n in chosen]


def event_from(message: object, port: str = "") -> MidiEvent | None:
    """A mido message as a :class:`MidiEvent` (None for anything but notes, controllers and
    pitch bend: clock, sysex, aftertouch …)."""
    kind = getattr(message, "type", "")
    channel = getattr(message, "channel", 0)
    if kind == "note_on":
        return MidiEvent("note", channel, message.note, message.velocity / 127.0, port)  # type: ignore[attr-defined]
    if kind == "note_off":
        return MidiEvent("note", channel, message.note, 0.0, port)  # type: ignore[attr-defined]
    if kind == "control_change":
        return MidiEvent("cc", channel, message.control, message.value / 127.0, port)  # type: ignore[attr-defined]
    if kind == "pitchwheel":
        return MidiEvent("pitchbend", channel, 0, (message.pitch + 8192) / 16383.0, port)  # type: ignore[attr-defined]
    return None


def message_for(mapping: Mapping, position: float) -> mido.Message:
    """The mido message that shows ``position`` (0 … 1) on ``mapping``'s control."""
    source = mapping.source
    if source.kind == "cc":
        return mido.Message(
            "control_change",
            channel=source.channel,
            control=source.number,
            value=round(position * 127),
        )
    if source.kind == "pitchbend":
        return mido.Message(
            "pitchwheel", channel=source.channel, pitch=round(position * 16383) - 8192
        )
    if position >= 0.5:
        return mido.Message("note_on", channel=source.channel, note=source.number, velocity=127)
    return mido.Message("note_off", channel=source.channel, note=source.number, velocity=0)


class MidiPorts:
    """Open MIDI inputs (and their outputs for feedback), kept open across unplugging;
    close them with :meth:`close`."""

    def __init__(
        self,
        inputs: Iterable[str] = (),
        *,
        outputs: Iterable[str] = (),
        backend: str | None = None,
        limit: int = QUEUE_LIMIT,
        rescan_seconds: float | None = RESCAN_SECONDS,
    ) -> None:
        """Open every input ``inputs`` chooses (:func:`chosen_inputs`) and their outputs;
        with ``rescan_seconds`` (None: never) a thread follows devices that come and go.

        Raises:
            MidiPortError: rtmidi cannot start (no MIDI API), or no input matches.
        """
        self.wanted = [w for w in inputs if w]
        self.extra_outputs = [w for w in outputs if w]
        try:
            self.backend = mido.Backend(backend) if backend else mido.backend
            available = self.backend.get_input_names()
        except Exception as exc:  # rtmidi's SystemError without a MIDI API, a bad backend
            raise MidiPortError(f"MIDI is not available here: {exc}") from exc
        if not chosen_inputs(available, self.wanted):
            there = ", ".join(available) or "none"
            raise MidiPortError(f"no MIDI input matches {self.wanted or 'any'} (inputs: {there})")
        self.queue: queue.Queue[MidiEvent] = queue.Queue(maxsize=limit)
        # Every key rtmidi's threads count is made now: they only change values, never the
        # dict's size, so a reader copying it (dict(counters)) cannot trip over them.
        self.counters: Counter[str] = Counter(
            dict.fromkeys(("midi_in", "midi_ignored", "midi_dropped", "midi_errors"), 0)
        )
        self.inputs: dict[str, object] = {}
        self.outputs: dict[str, object] = {}
        self._lock = threading.Lock()  # the port dicts: the show sends, the rescan swaps
        self._stop = threading.Event()
        try:
            self.rescan(first=True)
        except Exception as exc:
            self.close()
            raise MidiPortError(f"cannot open MIDI port: {exc}") from exc
        log.info(
            "MIDI in: %s; feedback to: %s",
            ", ".join(self.inputs) or "-",
            ", ".join(self.outputs) or "-",
        )
        self._thread: threading.Thread | None = None
        if rescan_seconds is not None:
            self._thread = threading.Thread(
                target=self._follow, args=(rescan_seconds,), name="midi-rescan", daemon=True
            )
            self._thread.start()

    @property
    def input_names(self) -> list[str]:
        return list(self.inputs)

    # -- ports coming and going ------------------------------------------------------------
    def rescan(self, first: bool = False) -> None:
        """List the ports once: close those whose device went, open those that match and
        are not open (see the module doc). Called by the rescan thread; tests call it."""
        ins = set(self.backend.get_input_names())
        outs = list(self.backend.get_output_names())
        with self._lock:
            gone_in = [n for n in self.inputs if n not in ins]
            gone_out = [n for n in self.outputs if n not in outs]
            closing = [self.inputs.pop(n) for n in gone_in]
            closing += [self.outputs.pop(n) for n in gone_out]
        for name in [*gone_in, *gone_out]:
            log.warning("MIDI port %s is gone (unplugged?); waiting for it to come back", name)
        self.counters["midi_port_lost"] += len(gone_in) + len(gone_out)
        _close_all(closing)
        for name in chosen_inputs(sorted(ins), self.wanted):
            if name not in self.inputs:
                port = self.backend.open_input(name, callback=self._callback(name))
                with self._lock:
                    self.inputs[name] = port
                self._opened(name, first)
        wanted_outs = {o for name in self.inputs for o in paired_outputs(name, outs)}
        if self.extra_outputs:
            wanted_outs |= {o for o in outs if name_matches(o, self.extra_outputs)}
        for name in sorted(wanted_outs - set(self.outputs)):
            port = self.backend.open_output(name)
            with self._lock:
                self.outputs[name] = port
            self._opened(name, first)

    def _opened(self, name: str, first: bool) -> None:
        if not first:
            log.warning("MIDI port %s is (back) here: opened", name)
            self.counters["midi_port_opened"] += 1

    def _follow(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.rescan()
            except Exception as exc:  # a backend hiccup: say so, try again next time
                self.counters["midi_rescan_errors"] += 1
                log.debug("MIDI rescan failed: %s", exc)

    def _callback(self, name: str):
        def receive(message: object) -> None:  # rtmidi's thread: never block, never raise
            try:
                event = event_from(message, name)
                if event is None:
                    self.counters["midi_ignored"] += 1
                    return
                self.queue.put_nowait(event)
                self.counters["midi_in"] += 1
            except queue.Full:
                self.counters["midi_dropped"] += 1
            except Exception:  # a bug must not kill rtmidi's thread
                self.counters["midi_errors"] += 1

        return receive

    # -- the show's side -----------------------------------------------------------------
    def take(self, limit: int = TAKE_LIMIT) -> list[MidiEvent]:
        """The events that arrived since the last call (at most ``limit``), oldest first."""
        events = []
        while len(events) < limit:
            try:
                events.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return events

    def send(self, changes: list[tuple[Mapping, float]]) -> int:
        """Move controls to their positions on their outputs; returns messages sent.
        (Controllers ignore messages for controls they do not have.)"""
        sent = 0
        with self._lock:
            for mapping, position in changes:
                message = message_for(mapping, position)
                names = feedback_outputs(mapping.source.port, self.outputs, self.extra_outputs)
                for name in names:
                    try:
                        self.outputs[name].send(message)  # type: ignore[attr-defined]
                        sent += 1
                    except Exception:  # a port the backend refuses: count it, go on
                        self.counters["midi_send_errors"] += 1
        self.counters["midi_out"] += sent
        return sent

    def close(self) -> None:
        self._stop.set()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        with self._lock:
            ports = [*self.inputs.values(), *self.outputs.values()]
            self.inputs, self.outputs = {}, {}
        _close_all(ports)


def _close_all(ports: Iterable[object]) -> None:
    for port in ports:
        try:
            port.close()  # type: ignore[attr-defined]
        except Exception:
            log.debug("closing a MIDI port failed", exc_info=True)
