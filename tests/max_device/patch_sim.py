"""Follow the device script's messages through the patch, as Max would, to udpsend.

The script emits plain Max messages; the patch routes them, casts every argument with
``pack`` and puts the OSC address in front with ``prepend``. This module plays that part
of the patch from the patcher file itself (not from a copy of its wiring), so a miswired
cord, a wrong ``pack`` type or a stale address shows up as a wrong or missing datagram.

Only the objects on those message paths are modelled (route, pack, prepend, jit.spill,
udpsend, the sinks the UI path ends in, and, for :mod:`tests.max_device.max_world`, the
objects upstream of the script: UI objects, pattr, deferlow, trigger, message boxes);
reaching any other object is an error, so a change to the patch cannot silently escape
the simulation. Each UI object outputs what Max's reference says it does: a textedit
``text <words>``, a live.numbox/live.dial its value typed by its parameter (an Int
parameter held to Live's 0-255), a live.menu or live.toggle its index as an int.

JavaScript has one number type, and how Max's ``js`` types a whole number on its way out
is not documented. :class:`PatchSimulator` therefore takes the rule as a parameter, so a
test can check the wire bytes do not depend on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from max_device.patcher import Box, Patcher

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+\.?\d*[eE][+-]?\d+)$")


class SimulationError(AssertionError):
    """A message reached something the patch cannot do with it."""


@dataclass(frozen=True)
class Atom:
    """A typed Max atom: ``kind`` is ``i`` (int), ``f`` (float) or ``s`` (symbol)."""

    kind: str
    value: Any

    def python(self) -> Any:
        return {"i": int, "f": float, "s": str}[self.kind](self.value)


def word_atom(word: str) -> Atom:
    """Type a word of box text the way Max does when it makes the box."""
    if _INT.match(word):
        return Atom("i", int(word))
    if _FLOAT.match(word):
        return Atom("f", float(word))
    return Atom("s", word)


def js_atom(value: Any, numbers: str) -> Atom:
    """Type a value leaving ``js``: ``numbers`` is ``"integral-int"`` or ``"float"``."""
    if isinstance(value, str):
        return Atom("s", value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SimulationError(f"js emitted {value!r}, which is not a Max atom")
    if numbers == "integral-int" and float(value).is_integer():
        return Atom("i", int(value))
    return Atom("f", float(value))


@dataclass
class Datagram:
    """One message that reached udpsend: the OSC address and its typed arguments."""

    address: str
    args: list[Atom]

    @property
    def tags(self) -> str:
        return "".join(atom.kind for atom in self.args)


#: Live's Int parameters hold 0-255, whatever range the patch asks for (FACTS.md).
LIVE_INT_RANGE = (0, 255)


def parameter_value(param: Any, value: float) -> Atom:
    """What Live makes of ``value`` for parameter ``param``, typed as the object outputs it."""
    if param.type == 2:  # enum: an index
        return Atom("i", int(min(max(round(value), 0), len(param.enum) - 1)))
    low = param.mmin if param.mmin is not None else float("-inf")
    high = param.mmax if param.mmax is not None else float("inf")
    if param.type == 1:
        low, high = max(low, LIVE_INT_RANGE[0]), min(high, LIVE_INT_RANGE[1])
        return Atom("i", int(min(max(round(value), low), high)))
    return Atom("f", float(min(max(value, low), high)))


@dataclass
class PatchSimulator:
    patcher: Patcher
    numbers: str = "integral-int"
    sent: list[Datagram] = field(default_factory=list)
    udp: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, list[Atom]] = field(default_factory=dict)  # box id -> set contents
    stored: dict[str, list[Atom]] = field(default_factory=dict)  # parameter name -> value
    dsp: dict[str, list[Atom]] = field(default_factory=dict)  # box id -> last config
    world: Any = None  # a MaxWorld runs the script and the queues; None: outputs only
    instance: int = 0
    values: dict[str, Atom] = field(default_factory=dict)  # UI box id -> its value
    to_script: list[list[Atom]] = field(default_factory=list)  # reached js (no world)
    deferred: list[tuple[str, list[Atom]]] = field(default_factory=list)  # (no world)
    qmetro_on: bool = False
    _prepends: dict[str, list[Atom]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The script box: js <file> in the sources, a v8.codebox in the built device.
        (self.js,) = [b for b in self.patcher.boxes.values() if b.name in ("js", "v8.codebox")]
        self.udpsend = self.patcher.only("udpsend")
        host, port = self.udpsend.args
        self.udp = {"host": host, "port": int(port)}

    # ------------------------------------------------------------------ entry point

    def feed(self, emitted: list[dict[str, Any]], instance: int = 0) -> None:
        """Deliver every outlet call of one device instance of a harness run, in order."""
        for record in emitted:
            if record.get("instance", 0) != instance or "script" in record:
                continue  # patcher scripting is modelled by MaxWorld only
            atoms = [js_atom(value, self.numbers) for value in record["atoms"]]
            self._send(self.js, record["outlet"], atoms, record.get("matrix"))

    # ------------------------------------------------------------------ the graph

    def _send(self, box: Box, outlet: int, atoms: list[Atom], matrix: Any = None) -> None:
        cords = self.patcher.cords_from(box.id, outlet)
        # Max sends to fanned-out cords from right to left.
        boxes = self.patcher.boxes
        cords.sort(key=lambda line: -boxes[line.destination[0]].raw["patching_rect"][0])
        for line in cords:
            target = self.patcher.boxes[line.destination[0]]
            self._receive(target, line.destination[1], list(atoms), matrix)

    def _receive(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        method = "_object_" + box.name.replace(".", "_").replace("~", "_tilde")
        handler = getattr(self, method, None)
        if handler is None:
            raise SimulationError(f"a message reached {box.name!r} ({box.id}), not modelled")
        handler(box, inlet, atoms, matrix)

    def _object_route(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if inlet != 0:
            raise SimulationError(f"route {box.id}: message into inlet {inlet}")
        selectors = [word_atom(word) for word in box.args]
        if atoms and atoms[0] in selectors:
            index = selectors.index(atoms[0])
            if len(atoms) == 1:
                raise SimulationError(f"route {box.id}: {atoms[0].value} with no arguments")
            self._send(box, index, atoms[1:], matrix)
        else:
            self._send(box, len(selectors), atoms, matrix)

    def _object_pack(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        slots = box.args
        if inlet != 0 or len(atoms) != len(slots):
            raise SimulationError(
                f"pack {box.id} ({box.text}) got {len(atoms)} atoms in inlet {inlet}"
            )
        packed = []
        for slot, atom in zip(slots, atoms, strict=True):
            kind = {"i": "i", "f": "f", "s": "s"}.get(slot) or word_atom(slot).kind
            if (kind == "s") != (atom.kind == "s"):
                raise SimulationError(f"pack {box.id} ({box.text}): {atom} into a {kind} inlet")
            cast = {"i": int, "f": float, "s": str}[kind]
            packed.append(Atom(kind, cast(atom.value)))
        self._send(box, 0, packed)

    def _object_prepend(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        content = self._prepends.setdefault(box.id, [word_atom(word) for word in box.args])
        if atoms and atoms[0] == Atom("s", "set"):
            self._prepends[box.id] = atoms[1:]
            return
        self._send(box, 0, content + atoms)

    def _object_jit_spill(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        length = int(box.attribute("listlength")[0])
        if atoms[:1] != [Atom("s", "jit_matrix")] or matrix is None:
            raise SimulationError(f"jit.spill {box.id} got {atoms[:2]}, not a matrix")
        plane = int((box.attribute("plane") or ["0"])[0])
        planes = matrix["planecount"]
        if plane >= planes:
            raise SimulationError(
                f"jit.spill {box.id}: no plane {plane} in a {planes}-plane matrix"
            )
        matrix = matrix["data"][plane::planes]
        if len(matrix) != length:
            raise SimulationError(
                f"jit.spill {box.id}: a {len(matrix)}-cell matrix with @listlength {length} "
                "(behaviour for other sizes is unverified, so the patch must not rely on it)"
            )
        self._send(box, 0, [Atom("f", float(value)) for value in matrix])

    def _object_udpsend(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        head = atoms[0]
        if head.kind != "s":
            raise SimulationError(f"udpsend got a message starting with {head}: not an address")
        if head.value in ("host", "port"):
            self.udp[head.value] = atoms[1].value
            return
        if not head.value.startswith("/"):
            raise SimulationError(f"udpsend got {head.value!r}, not an OSC address")
        self.sent.append(Datagram(head.value, atoms[1:]))

    def _sink(self, box: Box, atoms: list[Atom], store: dict[str, list[Atom]], key: str) -> None:
        store[key] = atoms[1:] if atoms and atoms[0] == Atom("s", "set") else atoms

    def _object_comment(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        self._sink(box, atoms, self.shown, box.id)

    def _object_textedit(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        self._sink(box, atoms, self.shown, box.id)

    def _object_pattr(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        # set: store without output; bang: output what is stored; anything else: store
        # and output (pattr passes data through).
        longname = box.raw["saved_attribute_attributes"]["valueof"]["parameter_longname"]
        if atoms and atoms[0] == Atom("s", "set"):
            self.stored[longname] = atoms[1:]
            return
        if atoms == [Atom("s", "bang")]:
            if self.stored.get(longname):
                self._send(box, 0, list(self.stored[longname]))
            return
        self.stored[longname] = atoms
        self._send(box, 0, list(atoms))

    def _object_jit_catch_tilde(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if atoms == [Atom("s", "bang")]:
            if self.world is not None:
                self.world.poll_catch(self, box)
            return
        self.dsp[box.id] = atoms

    # ------------------------------------------------------------------ upstream of js

    def _object_js(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if self.world is not None:
            self.world.call_script(self, atoms)
        else:
            self.to_script.append(atoms)

    _object_v8_codebox = _object_js

    def _object_deferlow(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        # One low-priority queue for the whole Max: first in, first out.
        if self.world is not None:
            self.world.deferred.append((self, box, atoms))
        else:
            self.deferred.append((box.id, atoms))

    def _object_t(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        # trigger: right to left; b a bang, other words themselves.
        for outlet in reversed(range(len(box.args))):
            kind = box.args[outlet]
            self._send(box, outlet, [Atom("s", "bang")] if kind == "b" else [word_atom(kind)])

    def _object_message(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        self._send(box, 0, [word_atom(word) for word in box.text.split()])

    def _object_qmetro(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        self.qmetro_on = bool(atoms and atoms[0].kind != "s" and atoms[0].value)

    def _object_dspstate_tilde(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if atoms == [Atom("s", "bang")] and self.world is not None and self.world.sample_rate:
            self._send(box, 1, [Atom("f", float(self.world.sample_rate))])

    def _ui_parameter(self, box: Box):
        return next(p for p in self.patcher.parameters() if p.box.id == box.id)

    def _ui(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        # live.* objects: bang re-outputs, set changes silently, a number sets and outputs.
        param = self._ui_parameter(box)
        if atoms == [Atom("s", "bang")]:
            value = self.values.get(box.id)
            if value is None:
                value = parameter_value(param, float(param.initial[0]))
            self._send(box, 0, [value])
        elif atoms and atoms[0] == Atom("s", "set"):
            self.values[box.id] = parameter_value(param, float(atoms[1].value))
        elif atoms and atoms[0].kind != "s":
            self.user_sets(box.id, float(atoms[0].value))
        else:
            raise SimulationError(f"{box.name} {box.id} does not understand {atoms}")

    _object_live_numbox = _ui
    _object_live_dial = _ui
    _object_live_menu = _ui
    _object_live_toggle = _ui

    def _object_textedit(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if atoms and atoms[0] == Atom("s", "set"):
            self.shown[box.id] = atoms[1:]
        else:
            raise SimulationError(f"textedit {box.id} got {atoms}; the patch only sets it")

    # ------------------------------------------------------------------ what users and Live do

    def user_sets(self, box_id: str, value: float) -> None:
        """A person turns a live.* control (or Live restores or automates it) to ``value``."""
        box = self.patcher.boxes[box_id]
        atom = parameter_value(self._ui_parameter(box), value)
        self.values[box_id] = atom
        self._send(box, 0, [atom])

    def user_types(self, box_id: str, text: str) -> None:
        """A person types ``text`` into a textedit and presses Return: ``text <words>``."""
        box = self.patcher.boxes[box_id]
        self.shown[box_id] = [word_atom(word) for word in text.split()]
        self._send(box, 0, [Atom("s", "text")] + [word_atom(word) for word in text.split()])

    def live_restores(self, longname: str, value: Any) -> None:
        """Live restores a stored parameter at load or preset load (the object outputs it)."""
        param = next(p for p in self.patcher.parameters() if p.longname == longname)
        if param.box.name == "pattr":
            self._object_pattr(param.box, 0, [word_atom(str(value))], None)
        else:
            self.user_sets(param.box.id, float(value))

    def bang_from(self, name: str, outlet: int = 0) -> None:
        """An object (live.thisdevice, freebang) bangs out of ``outlet``."""
        self._send(self.patcher.only(name), outlet, [Atom("s", "bang")])

    def send_from(self, name: str, outlet: int, atoms: list[Atom]) -> None:
        self._send(self.patcher.only(name), outlet, atoms)

    def _object_biquad_tilde(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if inlet != 0 or len(atoms) != 5 or any(atom.kind == "s" for atom in atoms):
            raise SimulationError(f"biquad~ {box.id} wants a list of 5 coefficients, got {atoms}")
        self.dsp[box.id] = atoms

    # ------------------------------------------------------------------ helpers for tests

    def status_text(self) -> str:
        comments = self.patcher.named("comment")
        status = next(box for box in comments if box.raw.get("varname") == "status")
        return " ".join(str(atom.value) for atom in self.shown.get(status.id, []))
