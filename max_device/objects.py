"""Inlet and outlet counts of the Max objects the device uses.

Max cannot run here, so a patch cord into a missing inlet would only show up in Live. The
graph tests check every cord against this table instead. Fixed counts come from Ableton's
``maxdevtools`` object list (``known_objects.py``, Max 8.6) and the Cycling '74 reference
pages; a few objects size themselves from their arguments, which :func:`expected_ports`
works out.

Add an object here before using it in the patch: a box whose object is not in the table
fails the graph test, which is the point.
"""

from __future__ import annotations

#: (inlets, outlets) of objects whose counts do not depend on their arguments.
FIXED_PORTS: dict[str, tuple[int, int]] = {
    # MSP
    "plugin~": (2, 2),
    "plugout~": (2, 2),
    "+~": (2, 1),
    "*~": (2, 1),
    "biquad~": (6, 1),
    "dspstate~": (1, 4),
    "peakamp~": (2, 1),
    "count~": (2, 2),
    # Jitter
    "jit.spill": (1, 2),
    # Max
    "qmetro": (2, 1),
    "metro": (2, 1),
    "loadbang": (1, 1),
    "freebang": (1, 1),
    "closebang": (1, 1),
    "deferlow": (1, 1),
    "prepend": (1, 1),
    "pattr": (1, 3),
    "udpsend": (1, 0),
    "message": (2, 1),
    "comment": (1, 0),
    "panel": (1, 0),
    "textedit": (1, 4),
    # Max for Live
    "live.thisdevice": (1, 3),
    "live.dial": (1, 2),
    "live.menu": (1, 3),
    "live.tab": (1, 3),
    "live.toggle": (1, 1),
    "live.numbox": (1, 2),
    "live.text": (1, 2),
    "live.comment": (1, 0),
    "live.line": (1, 0),
}

#: Objects whose counts follow their arguments (see :func:`expected_ports`).
SIZED_BY_ARGUMENTS = ("pack", "pak", "route", "t", "trigger", "unpack", "jit.catch~")

#: Objects whose counts are declared by a script; the tests compare them with it.
SCRIPTED = ("js",)


class UnknownObjectError(KeyError):
    """An object that is not in the table, so its patch cords cannot be checked."""


def expected_ports(name: str, args: list[str]) -> tuple[int, int] | None:
    """Return ``(inlets, outlets)`` for object ``name`` typed with ``args``.

    Returns ``None`` for scripted objects (``js``), whose counts the script declares.
    ``args`` are the box's words after the object name, attributes (``@name value``)
    excluded.

    Raises:
        UnknownObjectError: ``name`` is not in the table; add it with its counts.
    """
    if name in SCRIPTED:
        return None
    if name in FIXED_PORTS:
        return FIXED_PORTS[name]
    count = len(args)
    if name in ("pack", "pak"):
        return (count or 2, 1)
    if name == "route":
        return (2, max(count, 1) + 1)
    if name in ("t", "trigger", "unpack"):
        return (1, count or 2)
    if name == "jit.catch~":  # one signal inlet per channel (plane), 1 by default
        return (int(args[0]) if args else 1, 2)
    raise UnknownObjectError(
        f"no inlet/outlet counts for Max object {name!r}; add it to max_device/objects.py"
    )
