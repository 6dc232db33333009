"""MIDI mappings: which MIDI control drives which show control, kept as JSON beside the presets.

A :class:`Mapping` joins a :class:`MidiSource` (a note, a controller (CC) or the pitch bend on
one channel, optionally of one port) to a *target*:

- a key action (``opacity-up``, ``mute``, ``select-next``, ``colour-previous`` … every action
  of :mod:`renderer.controls`' key maps): fired once each time the control is pressed (a
  note-on, or a controller crossing its middle upwards); an encoder fires it once per turn to
  the right, and its opposite (``select-previous`` …) per turn to the left;
- a control address of the protocol that takes one value (``/syn/selected/opacity``,
  ``/syn/layers/2/blend``, ``/syn/master/trails`` …): the control's position, 0 … 1, is
  scaled to the property's range (numbers), its list (names: blend, composition …) or
  off/on (0/1 properties), and becomes the same event an OSC controller's message makes —
  built from a template made once per mapping, not by encoding and parsing OSC per event.
  An encoder (``mode`` relative/offset, :mod:`bridge.control.midi_modes`) makes relative
  steps instead; ``pickup`` makes an absolute knob wait until it reaches the value.

A source learnt on a port names it (:func:`port_key`: ALSA's client numbers left out, so a
re-plugged device still matches); ``port`` "" (older files) matches every port.

Per frame (:meth:`MidiMap.take`) only the last position of each absolute control counts: a
fast fader's burst of values becomes one change. Feedback goes the other way
(:meth:`MidiMap.feedback`): the value at a mapping's address in the show's state, scaled back
to 0 … 1, so a motor fader or an LED follows the truth — except a control moved in the last
:data:`HOLD_SECONDS`, which a motor would fight.

Pure logic on :class:`MidiEvent` (no ports): :mod:`bridge.control.midi_port` turns mido
messages into these. Values on the wire: notes and controllers 0 … 127, pitch bend
−8192 … 8191 (MIDI 1.0).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from bridge.control.midi_modes import MODES, TICK, picks_up, ticks
from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import (
    SPECS,
    Arg,
    Event,
    LayerControl,
    MasterControl,
    ProtocolError,
    interpret,
)
from models.config import ConfigError, read_config_json
from renderer.controls import KEY_ACTIONS, WINDOW_ACTIONS

KINDS = ("note", "cc", "pitchbend")
MIDI_FORMAT = 1
FORMAT_KEY = "synaesthete_midi"
#: The mapping file, beside the presets (no preset name can contain a dot).
MAPPINGS_FILE = "midi.mappings.json"
MAX_MAPPINGS = 512
MAX_MAPPINGS_BYTES = 256 * 1024
#: After a control is moved, no feedback is sent to it for this long (s): a motor fader
#: pushed while a hand moves it fights the hand.
HOLD_SECONDS = 0.3
#: Key actions that have a continuous twin: a knob or fader learnt for them drives the twin.
CONTINUOUS = {
    "opacity-up": "/syn/selected/opacity",
    "opacity-down": "/syn/selected/opacity",
    "expression-up": "/syn/selected/expression",
    "expression-down": "/syn/selected/expression",
    "blend-next": "/syn/selected/blend",
    "blend-previous": "/syn/selected/blend",
    "trails-less": "/syn/master/trails",
    "trails-more": "/syn/master/trails",
    "composition-next": "/syn/master/composition",
    "composition-previous": "/syn/master/composition",
}
#: What an LED on a button shows for a toggling action: the state it toggles.
ACTION_STATE = {
    "mute": "/syn/selected/mute",
    "solo": "/syn/selected/solo",
    "freeze": "/syn/master/freeze",
    "trails": "/syn/master/trails",
}
#: The action an encoder turned left fires, for an action learnt by turning it right.
_OPPOSITE = {
    "select-next": "select-previous",
    "blend-next": "blend-previous",
    "opacity-up": "opacity-down",
    "expression-up": "expression-down",
    "trails-more": "trails-less",
    "composition-next": "composition-previous",
    "colour-next": "colour-previous",
}
_OPPOSITE.update({v: k for k, v in list(_OPPOSITE.items())})
#: Specs whose addresses take one value and may be a mapping's target.
_VALUE_SPECS = ("layer_number", "selected", "master", "layer_by_address")
#: ALSA's " 20:0" (client:port numbers) at the end of a port name; they change on re-plug.
_ALSA_NUMBERS = re.compile(r"\s+\d+:\d+$")


class MidiMapError(ValueError):
    """A mapping file or target is not valid; the message names the entry and the key."""


def port_key(name: str) -> str:
    """A port's name as mappings compare it: case-folded, without ALSA's client numbers."""
    return _ALSA_NUMBERS.sub("", name).casefold()


@dataclass(frozen=True)
class MidiEvent:
    """One MIDI control's position: ``kind`` note | cc | pitchbend, ``channel`` 0 … 15,
    ``number`` the note or controller (0 for pitch bend), ``value`` 0 … 1 (a note-off is 0),
    ``port`` the port's name ("" unknown)."""

    kind: str
    channel: int
    number: int
    value: float
    port: str = ""

    @property
    def source(self) -> MidiSource:
        """The control that sent it, on its port."""
        return MidiSource(self.kind, self.channel, self.number, self.port)

    @property
    def raw(self) -> int:
        """The value as sent: 0 … 127 (pitch bend: its top 7 bits)."""
        return round(self.value * 127)


@dataclass(frozen=True)
class MidiSource:
    """A control on a controller: ``port`` "" matches every port."""

    kind: str
    channel: int
    number: int
    port: str = ""

    def matches(self, event: MidiEvent) -> bool:
        return (self.kind, self.channel, self.number) == (
            event.kind,
            event.channel,
            event.number,
        ) and (not self.port or port_key(self.port) == port_key(event.port))

    def describe(self) -> str:
        what = {"note": f"note {self.number}", "cc": f"CC {self.number}"}.get(self.kind, "bend")
        where = f" on {self.port}" if self.port else ""
        return f"{what} ch {self.channel + 1}{where}"


@dataclass(frozen=True)
class KeyAction:
    """A key action fired by MIDI (the show applies it as if its key were pressed)."""

    action: str


@dataclass(frozen=True)
class Mapping:
    """``source`` drives ``target``; ``mode`` one of :data:`~bridge.control.midi_modes.MODES`,
    ``pickup`` soft takeover (absolute controls)."""

    source: MidiSource
    target: str
    mode: str = "absolute"
    pickup: bool = False

    @property
    def is_action(self) -> bool:
        return not self.target.startswith("/")


def key_actions() -> frozenset[str]:
    """Every key action a mapping may fire: the actions of :mod:`renderer.controls`' key
    maps (plain and shifted keys, select-1 … select-9), less the window's own and L."""
    actions = set(KEY_ACTIONS)
    actions |= {f"select-{n}" for n in range(1, 10)}
    return frozenset(actions - WINDOW_ACTIONS - {"midi-learn"})


def target_arg(target: str) -> Arg:
    """The property argument a control address sets.

    Raises:
        MidiMapError: not a control address that takes one value, or a free name (style).
    """
    parts = target.split("/")
    for name in _VALUE_SPECS:
        spec = SPECS[name]
        template = spec.address.split("/")
        if len(template) != len(parts) or spec.props is None:
            continue
        pairs = zip(template, parts, strict=True)
        if all(want.startswith("{") or want == part for want, part in pairs):
            prop = parts[template.index("{prop}")]
            if prop not in spec.props:
                break
            arg = spec.props[prop]
            if arg.kind == "s" and arg.choices is None:
                raise MidiMapError(f"{target}: {prop} is a name; MIDI cannot set it")
            return arg
    raise MidiMapError(f"{target!r} is not a control address that takes one value")


def check_target(target: str) -> str:
    """``target`` if a mapping may have it (a key action or a value address), else raise
    :class:`MidiMapError`."""
    if target.startswith("/"):
        _template(target)
        return target
    if target not in key_actions():
        raise MidiMapError(f"{target!r} is neither a key action nor a control address")
    return target


def _template(target: str) -> LayerControl | MasterControl:
    """The event a controller's message to ``target`` makes, at the position 0: the template
    a mapping's events are made from (by replacing the value)."""
    arg = target_arg(target)
    try:
        event = interpret(decode_message(encode_message(target, [_scaled(arg, 0.0)])))
    except ProtocolError as exc:
        raise MidiMapError(f"{target}: {exc.detail}") from None
    if not isinstance(event, (LayerControl, MasterControl)):
        raise MidiMapError(f"{target!r} is not a control address that takes one value")
    return event


def _scaled(arg: Arg, position: float) -> float | int | str:
    position = min(1.0, max(0.0, position))
    if arg.choices == (0, 1):
        return int(position >= 0.5)
    if arg.choices is not None:
        return arg.choices[min(len(arg.choices) - 1, int(position * len(arg.choices)))]
    low = arg.low if arg.low is not None else 0.0
    high = arg.high if arg.high is not None else 1.0
    value = low + position * (high - low)
    return round(value) if arg.kind == "i" else value


def _event_value(arg: Arg, position: float) -> float | int | str | bool:
    """The value a controller's message would carry into the event (as the protocol coerces
    it: 0/1 properties as bools, ``f`` as floats)."""
    value = _scaled(arg, position)
    if arg.choices == (0, 1):
        return bool(value)
    if arg.kind == "f":
        return float(value)
    return value


def _step(arg: Arg, count: int) -> float:
    """An encoder's ``count`` ticks as a relative step of ``arg`` (list places, or a share of
    the range)."""
    if arg.kind == "s" or arg.choices is not None:
        return float(count)
    low = arg.low if arg.low is not None else 0.0
    high = arg.high if arg.high is not None else 1.0
    step = count * TICK * (high - low)
    return float(round(step) or count) if arg.kind == "i" else step


def position_of(arg: Arg, value: object) -> float:
    """A property's value as a control position 0 … 1 (the inverse of the scaling)."""
    if arg.choices == (0, 1):
        return 1.0 if value else 0.0
    if arg.choices is not None:
        if value not in arg.choices or len(arg.choices) < 2:
            return 0.0
        return arg.choices.index(value) / (len(arg.choices) - 1)  # type: ignore[arg-type]
    low = arg.low if arg.low is not None else 0.0
    high = arg.high if arg.high is not None else 1.0
    try:
        return min(1.0, max(0.0, (float(value) - low) / (high - low)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _absolute_value(mapping: Mapping) -> bool:
    """A fader or knob on a value: a later position stands for an earlier one."""
    return not mapping.is_action and mapping.mode == "absolute" and not mapping.pickup


def _encoder_value(mapping: Mapping) -> bool:
    """An encoder on a value: its ticks can be added up."""
    return not mapping.is_action and mapping.mode != "absolute"


class _Compiled:
    """One mapping made ready for events: its target's argument and event template."""

    __slots__ = ("arg", "make", "mapping")

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.arg: Arg | None = None
        self.make: Callable[[float], Event] | None = None
        if mapping.is_action:
            return
        arg = self.arg = target_arg(mapping.target)
        template = _template(mapping.target)
        if mapping.mode == "absolute":
            self.make = lambda position: replace(template, value=_event_value(arg, position))
        else:
            self.make = lambda count: replace(template, value=_step(arg, int(count)), relative=True)


class MidiMap:
    """The mappings, and the last position of each control (for presses, pickup and
    feedback). ``counters``: ``midi_coalesced`` (positions superseded in one frame),
    ``midi_pickup_waiting`` (moves ignored until a knob reaches its value)."""

    def __init__(self, mappings: Iterable[Mapping] = ()) -> None:
        self.mappings: list[Mapping] = []
        self._by_control: dict[tuple[str, int, int], list[_Compiled]] = {}
        self._compiled: dict[Mapping, _Compiled] = {}
        self._last: dict[tuple[str, str, int, int], float] = {}
        self._sent: dict[Mapping, float] = {}  # what each control shows (its position)
        self._moved: dict[Mapping, float] = {}  # when each control was last moved
        self._set: dict[Mapping, object] = {}  # the value a pickup knob last set
        self._picked: dict[Mapping, bool] = {}
        self._values: dict[str, object] = {}  # the state's values at the last feedback
        self._pending: dict[Mapping, int] = {}  # an encoder's ticks earlier this frame
        self.counters: Counter[str] = Counter()
        for mapping in mappings:
            self.add(mapping)

    def bind(self, source: MidiSource, target: str, **options: object) -> Mapping:
        """Map ``source`` to ``target`` (a source drives one target: an older one goes);
        ``options``: ``mode``, ``pickup``.

        Raises:
            MidiMapError: an invalid target or mode, or :data:`MAX_MAPPINGS` reached.
        """
        return self.add(Mapping(source, target, **options))  # type: ignore[arg-type]

    def add(self, mapping: Mapping) -> Mapping:
        """:meth:`bind` for a whole :class:`Mapping`."""
        check_target(mapping.target)
        if mapping.mode not in MODES:
            raise MidiMapError(f"mode must be one of {', '.join(MODES)}, got {mapping.mode!r}")
        kept = [m for m in self.mappings if m.source != mapping.source]
        if len(kept) >= MAX_MAPPINGS:
            raise MidiMapError(f"at most {MAX_MAPPINGS} MIDI mappings")
        self.mappings = [*kept, mapping]
        self._index()
        return mapping

    def forget(self, target: str) -> int:
        """Remove every mapping to ``target``; returns how many went."""
        before = len(self.mappings)
        self.mappings = [m for m in self.mappings if m.target != target]
        self._index()
        return before - len(self.mappings)

    def _index(self) -> None:
        """Index the mappings by control; each is compiled once (files hold up to 512)."""
        compiled = {m: self._compiled.get(m) or _Compiled(m) for m in self.mappings}
        self._compiled = compiled
        self._by_control = {}
        for mapping, ready in compiled.items():
            source = mapping.source
            key = (source.kind, source.channel, source.number)
            self._by_control.setdefault(key, []).append(ready)

    def _matching(self, event: MidiEvent) -> list[_Compiled]:
        found = self._by_control.get((event.kind, event.channel, event.number), ())
        return [c for c in found if c.mapping.source.matches(event)]

    # -- MIDI in -------------------------------------------------------------------------
    def take(self, events: list[MidiEvent], now: float = 0.0) -> list[Event | KeyAction]:
        """The show controls a frame's MIDI events make, in order; of an absolute control
        moved several times only the last position counts, and an encoder's ticks are
        added up into one step."""
        last: dict[tuple[str, str, int, int], int] = {}
        for i, event in enumerate(events):
            if event.kind != "note":
                last[(event.port, event.kind, event.channel, event.number)] = i
        out: list[Event | KeyAction] = []
        for i, event in enumerate(events):
            key = (event.port, event.kind, event.channel, event.number)
            if event.kind != "note" and last[key] != i:
                matching = self._matching(event)
                if all(_absolute_value(c.mapping) for c in matching):
                    self.counters["midi_coalesced"] += 1
                    continue
                if all(_encoder_value(c.mapping) for c in matching):
                    for c in matching:  # added to the control's last event this frame
                        count = ticks(c.mapping.mode, event.raw)
                        self._pending[c.mapping] = self._pending.get(c.mapping, 0) + count
                    self.counters["midi_coalesced"] += 1
                    continue
            out.extend(self.events(event, now))
        return out

    def events(self, event: MidiEvent, now: float = 0.0) -> list[Event | KeyAction]:
        """The show controls one MIDI event makes (none when nothing is mapped to it)."""
        key = (event.port, event.kind, event.channel, event.number)
        previous = self._last.get(key)
        self._last[key] = event.value
        out: list[Event | KeyAction] = []
        for compiled in self._matching(event):
            mapping = compiled.mapping
            self._moved[mapping] = now
            if mapping.mode != "absolute":
                count = ticks(mapping.mode, event.raw) + self._pending.pop(mapping, 0)
                if count == 0:
                    continue
                if mapping.is_action:
                    action = mapping.target if count > 0 else _OPPOSITE.get(mapping.target)
                    if action is not None:
                        out.append(KeyAction(action))
                else:
                    out.append(compiled.make(count))  # type: ignore[misc]
                continue
            if mapping.is_action:
                was = previous or 0.0
                if event.value >= 0.5 > was or (event.kind == "note" and event.value > 0):
                    out.append(KeyAction(mapping.target))
                continue
            if mapping.pickup and not self._takes_over(compiled, previous, event.value):
                self.counters["midi_pickup_waiting"] += 1
                continue
            made = compiled.make(event.value)  # type: ignore[misc]
            out.append(made)
            self._sent[mapping] = event.value  # the control is there already: no echo
            self._set[mapping] = made.value  # type: ignore[union-attr]
        return out

    def _takes_over(self, compiled: _Compiled, previous: float | None, position: float) -> bool:
        mapping = compiled.mapping
        if self._picked.get(mapping, True) or mapping.target not in self._values:
            self._picked[mapping] = True
            return True
        target = position_of(compiled.arg, self._values[mapping.target])  # type: ignore[arg-type]
        self._picked[mapping] = picks_up(previous, position, target)
        return self._picked[mapping]

    # -- MIDI out ------------------------------------------------------------------------
    def feedback(self, values: dict[str, object], now: float = 0.0) -> list[tuple[Mapping, float]]:
        """Mappings whose controls should move: (mapping, position 0 … 1) where the state
        ``values`` (address → value, :attr:`ControlState.values`) differ from what the
        control last showed. A control moved within :data:`HOLD_SECONDS` of ``now`` waits;
        a pickup knob whose value moved elsewhere lets go (it takes over again on reaching
        the value)."""
        self._values = values
        out = []
        for mapping in self.mappings:
            address = ACTION_STATE.get(mapping.target) if mapping.is_action else mapping.target
            if address is None or address not in values:
                continue
            value = values[address]
            if mapping.pickup and mapping in self._set and self._set[mapping] != value:
                self._picked[mapping] = False
                del self._set[mapping]
            if mapping.mode != "absolute" and not mapping.is_action:
                continue  # an endless encoder has no position to show
            if now - self._moved.get(mapping, -1e9) < HOLD_SECONDS:
                continue
            if mapping.is_action:  # a button's LED: lit while the state it toggles is on
                position = 1.0 if value and value != "0" else 0.0
            else:
                position = position_of(target_arg(address), value)
            if abs(self._sent.get(mapping, -1.0) - position) > 1e-6:
                self._sent[mapping] = position
                out.append((mapping, position))
        return out

    # -- files ------------------------------------------------------------------------
    def to_json(self) -> str:
        entries = [
            {
                "kind": m.source.kind,
                "channel": m.source.channel + 1,
                "number": m.source.number,
                "port": m.source.port,
                "target": m.target,
                "mode": m.mode,
                "pickup": m.pickup,
            }
            for m in self.mappings
        ]
        return json.dumps({FORMAT_KEY: MIDI_FORMAT, "mappings": entries}, indent=2) + "\n"

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)  # never a half-written file
        return path


def _whole(where: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MidiMapError(f"{where}: expected a whole number {low} … {high}, got {value!r}")
    return value


def check_mappings(data: dict[str, object], origin: str = "MIDI mappings") -> MidiMap:
    """Validate a mapping file's parsed JSON.

    Raises:
        MidiMapError: a wrong format marker, an unknown key, a bad value or target; the
            message names the entry, e.g. ``mappings[3].channel``.
    """
    unknown = set(data) - {FORMAT_KEY, "mappings"}
    if unknown:
        raise MidiMapError(f"{origin}: unknown key {sorted(unknown)[0]!r}")
    if data.get(FORMAT_KEY) != MIDI_FORMAT:
        raise MidiMapError(f"{origin}: {FORMAT_KEY} must be {MIDI_FORMAT}")
    entries = data.get("mappings", [])
    if not isinstance(entries, list) or len(entries) > MAX_MAPPINGS:
        raise MidiMapError(f"{origin}: mappings must be a list of at most {MAX_MAPPINGS}")
    midi_map = MidiMap()
    for i, entry in enumerate(entries):
        where = f"{origin}: mappings[{i}]"
        if not isinstance(entry, dict):
            raise MidiMapError(f"{where} must be an object")
        extra = set(entry) - {"kind", "channel", "number", "port", "target", "mode", "pickup"}
        if extra:
            raise MidiMapError(f"{where}: unknown key {sorted(extra)[0]!r}")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise MidiMapError(f"{where}.kind must be one of {', '.join(KINDS)}")
        channel = _whole(f"{where}.channel", entry.get("channel"), 1, 16) - 1
        number = _whole(f"{where}.number", entry.get("number", 0), 0, 127)
        port = entry.get("port", "")
        target = entry.get("target")
        if not isinstance(port, str) or len(port) > 256:
            raise MidiMapError(f'{where}.port must be a port name ("" any)')
        if not isinstance(target, str):
            raise MidiMapError(f"{where}.target must be a string")
        mode = entry.get("mode", "absolute")
        if mode not in MODES:
            raise MidiMapError(f"{where}.mode must be one of {', '.join(MODES)}")
        pickup = entry.get("pickup", False)
        if not isinstance(pickup, bool):
            raise MidiMapError(f"{where}.pickup must be true or false")
        try:
            midi_map.add(
                Mapping(MidiSource(str(kind), channel, number, port), target, mode, pickup)
            )
        except MidiMapError as exc:
            raise MidiMapError(f"{where}.target: {exc}") from None
    return midi_map


def load_mappings(path: Path) -> MidiMap:
    """The mappings in ``path`` (an empty map when there is no file yet).

    Raises:
        MidiMapError: the file cannot be used (not UTF-8, not JSON, too big, bad entries).
    """
    if not path.is_file():
        return MidiMap()
    try:
        data = read_config_json(path, max_bytes=MAX_MAPPINGS_BYTES)
    except ConfigError as exc:
        raise MidiMapError(str(exc)) from None
    return check_mappings(data, origin=str(path))
