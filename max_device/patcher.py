"""Read a Max patcher (``.maxpat`` JSON) as a graph of boxes and patch cords.

The device's source of truth is a patcher file that Max can open and save. Tests and the
build need to ask questions of it without Max ("is plugin~ wired to plugout~?", "what are
the Live parameters?"), so this module turns the JSON into small typed records. It never
changes the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PatcherError(ValueError):
    """A patcher document that is not shaped like a Max patcher."""


def split_words(text: str) -> list[str]:
    """Split a box's text into Max words; double quotes group words with spaces."""
    words: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for char in text:
        if char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if quoted:
        raise PatcherError(f"unbalanced double quote in box text {text!r}")
    if started:
        words.append("".join(current))
    return words


@dataclass(frozen=True)
class Box:
    """One box: its ``id``, Max class, typed text and declared inlet/outlet counts."""

    id: str
    maxclass: str
    text: str
    numinlets: int
    numoutlets: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        """The object's name: the first word of an object box, else its Max class."""
        if self.maxclass == "newobj":
            words = split_words(self.text)
            return words[0] if words else ""
        return self.maxclass

    @property
    def args(self) -> list[str]:
        """Words after the object name, up to the first ``@attribute``."""
        if self.maxclass != "newobj":
            return []
        words = split_words(self.text)[1:]
        for index, word in enumerate(words):
            if word.startswith("@"):
                return words[:index]
        return words

    def attribute(self, name: str) -> list[str] | None:
        """The words given to ``@name`` in the box text, or ``None`` if it is not typed."""
        if self.maxclass != "newobj":
            return None
        words = split_words(self.text)
        if f"@{name}" not in words:
            return None
        start = words.index(f"@{name}") + 1
        values: list[str] = []
        for word in words[start:]:
            if word.startswith("@"):
                break
            values.append(word)
        return values


@dataclass(frozen=True)
class Line:
    """A patch cord from ``(box id, outlet)`` to ``(box id, inlet)``."""

    source: tuple[str, int]
    destination: tuple[str, int]


@dataclass(frozen=True)
class Parameter:
    """The Live parameter of a box with ``parameter_enable``."""

    box: Box
    longname: str
    shortname: str
    type: int  # 0 float, 1 int, 2 enum, 3 blob
    mmin: float | None
    mmax: float | None
    enum: tuple[str, ...]
    initial: tuple[Any, ...]
    initial_enabled: bool
    invisible: int  # 0 automated and stored, 1 stored only, 2 hidden
    unitstyle: int | None


class Patcher:
    """The boxes and patch cords of one patcher (not its subpatchers)."""

    def __init__(self, document: dict[str, Any]) -> None:
        inner = document.get("patcher") if isinstance(document, dict) else None
        if not isinstance(inner, dict):
            raise PatcherError('a patcher document is a JSON object {"patcher": {...}}')
        self.document = document
        self.attributes = inner
        self.boxes: dict[str, Box] = {}
        for entry in inner.get("boxes", []):
            box = _read_box(entry)
            if box.id in self.boxes:
                raise PatcherError(f"two boxes share the id {box.id!r}")
            self.boxes[box.id] = box
        self.lines = [_read_line(entry) for entry in inner.get("lines", [])]

    @classmethod
    def load(cls, path: Path) -> Patcher:
        """Read a ``.maxpat`` file.

        Raises:
            PatcherError: the file is not JSON or not a patcher; the message names it.
        """
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PatcherError(
                f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
        return cls(document)

    def named(self, name: str) -> list[Box]:
        """Every box whose object name is ``name``."""
        return [box for box in self.boxes.values() if box.name == name]

    def only(self, name: str) -> Box:
        """The single box named ``name``.

        Raises:
            PatcherError: there is none, or more than one.
        """
        found = self.named(name)
        if len(found) != 1:
            raise PatcherError(f"expected exactly one {name!r} box, found {len(found)}")
        return found[0]

    def cords_from(self, box_id: str, outlet: int | None = None) -> list[Line]:
        """Patch cords leaving ``box_id`` (from ``outlet`` only, if given)."""
        return [
            line
            for line in self.lines
            if line.source[0] == box_id and (outlet is None or line.source[1] == outlet)
        ]

    def cords_to(self, box_id: str, inlet: int | None = None) -> list[Line]:
        """Patch cords arriving at ``box_id`` (at ``inlet`` only, if given)."""
        return [
            line
            for line in self.lines
            if line.destination[0] == box_id and (inlet is None or line.destination[1] == inlet)
        ]

    def parameters(self) -> Iterator[Parameter]:
        """The Live parameters, one per box with ``parameter_enable`` set."""
        for box in self.boxes.values():
            enabled = box.raw.get("parameter_enable")
            if enabled is None:
                enabled = box.raw.get("saved_object_attributes", {}).get("parameter_enable")
            if enabled:
                yield _read_parameter(box)


def _read_box(entry: object) -> Box:
    raw = entry.get("box") if isinstance(entry, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise PatcherError(f"a box entry must be {{'box': {{'id': ...}}}}, got {entry!r:.80}")
    try:
        return Box(
            id=raw["id"],
            maxclass=str(raw["maxclass"]),
            text=str(raw.get("text", "")),
            numinlets=int(raw["numinlets"]),
            numoutlets=int(raw["numoutlets"]),
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PatcherError(f"box {raw['id']!r} lacks maxclass/numinlets/numoutlets") from exc


def _read_line(entry: object) -> Line:
    raw = entry.get("patchline") if isinstance(entry, dict) else None
    try:
        source, destination = raw["source"], raw["destination"]  # type: ignore[index]
        return Line((str(source[0]), int(source[1])), (str(destination[0]), int(destination[1])))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise PatcherError(f"a line entry must name source and destination: {entry!r:.80}") from exc


def _read_parameter(box: Box) -> Parameter:
    values = box.raw.get("saved_attribute_attributes", {}).get("valueof", {})
    if "parameter_longname" not in values:
        raise PatcherError(f"parameter box {box.id!r} has no parameter_longname")

    def number(key: str) -> float | None:
        value = values.get(key)
        return None if value is None else float(value)

    initial = values.get("parameter_initial", ())
    unitstyle = values.get("parameter_unitstyle")
    return Parameter(
        box=box,
        longname=str(values["parameter_longname"]),
        shortname=str(values.get("parameter_shortname", "")),
        type=int(values.get("parameter_type", 0)),
        mmin=number("parameter_mmin"),
        mmax=number("parameter_mmax"),
        enum=tuple(str(item) for item in values.get("parameter_enum", ())),
        initial=tuple(initial) if isinstance(initial, list) else (initial,),
        initial_enabled=bool(values.get("parameter_initial_enable", 0)),
        invisible=int(values.get("parameter_invisible", 0)),
        unitstyle=None if unitstyle is None else int(unitstyle),
    )
