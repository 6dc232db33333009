"""Follow the device script's messages through the patch, as Max would, to udpsend.

The script emits plain Max messages; the patch routes them, casts every argument with
``pack`` and puts the OSC address in front with ``prepend``. This module plays that part
of the patch from the patcher file itself (not from a copy of its wiring), so a miswired
cord, a wrong ``pack`` type or a stale address shows up as a wrong or missing datagram.

Only the objects on those message paths are modelled (route, pack, prepend, jit.spill,
udpsend and the sinks the UI path ends in); reaching any other object is an error, so a
change to the patch cannot silently escape the simulation.

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


@dataclass
class PatchSimulator:
    patcher: Patcher
    numbers: str = "integral-int"
    sent: list[Datagram] = field(default_factory=list)
    udp: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, list[Atom]] = field(default_factory=dict)  # box id -> set contents
    stored: dict[str, list[Atom]] = field(default_factory=dict)  # parameter name -> value
    dsp: dict[str, list[Atom]] = field(default_factory=dict)  # box id -> last config
    _prepends: dict[str, list[Atom]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.js = self.patcher.only("js")
        self.udpsend = self.patcher.only("udpsend")
        host, port = self.udpsend.args
        self.udp = {"host": host, "port": int(port)}

    # ------------------------------------------------------------------ entry point

    def feed(self, emitted: list[dict[str, Any]], instance: int = 0) -> None:
        """Deliver every outlet call of one device instance of a harness run, in order."""
        for record in emitted:
            if record.get("instance", 0) != instance:
                continue
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
        longname = box.raw["saved_attribute_attributes"]["valueof"]["parameter_longname"]
        self.stored[longname] = atoms

    def _object_jit_catch_tilde(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        self.dsp[box.id] = atoms

    def _object_biquad_tilde(self, box: Box, inlet: int, atoms: list[Atom], matrix: Any) -> None:
        if inlet != 0 or len(atoms) != 5 or any(atom.kind == "s" for atom in atoms):
            raise SimulationError(f"biquad~ {box.id} wants a list of 5 coefficients, got {atoms}")
        self.dsp[box.id] = atoms

    # ------------------------------------------------------------------ helpers for tests

    def status_text(self) -> str:
        comments = self.patcher.named("comment")
        status = next(box for box in comments if box.raw.get("varname") == "status")
        return " ".join(str(atom.value) for atom in self.shown.get(status.id, []))
