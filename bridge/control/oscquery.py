"""The bridge's OSC namespace as OSCQuery JSON, generated from the protocol table.

OSCQuery (Vidvox's proposal, https://github.com/Vidvox/OSCQueryProposal) lets a controller
ask a program over HTTP what OSC it takes: a tree of nodes, each with ``FULL_PATH`` and
either ``CONTENTS`` (children) or a method's ``TYPE`` (OSC type tags), ``ACCESS`` (1 read,
2 write, 3 both), ``VALUE``, ``RANGE`` (``MIN``/``MAX`` or ``VALS``) and ``DESCRIPTION``.

:func:`namespace` builds that tree from :data:`~bridge.ingest.protocol.MESSAGES` and the
show's :class:`~bridge.control.state.ControlState`, so it can't drift from what the bridge
takes: every control spec becomes nodes, its ``{prop}`` one node per property, ``{number}``
one per layer (1 … count) and ``{index|uuid}`` one per track with a known Live index — so
layer nodes appear and vanish with tracks. Values come from the state at the node's own
address (the same addresses feedback sends). Device messages (hello, pcm …) are for devices,
not controllers, and are left out. Pure: :mod:`bridge.control.oscquery_server` serves it.
"""

from __future__ import annotations

from bridge.control.state import ControlState
from bridge.ingest.protocol import MESSAGES, Arg, MessageSpec

ACCESS_READ, ACCESS_WRITE = 1, 2
#: The optional parts of the proposal this server gives (HOST_INFO's EXTENSIONS).
EXTENSIONS = {
    "ACCESS": True,
    "VALUE": True,
    "RANGE": True,
    "DESCRIPTION": True,
    "TAGS": False,
    "CLIPMODE": False,
    "UNIT": False,
    "CRITICAL": False,
    "LISTEN": False,
    "PATH_CHANGED": False,
}
#: Where the replies meant for controllers live (``/syn/status`` is a device's).
CONTROLLER_PREFIXES = ("/syn/layers/", "/syn/selected/", "/syn/structure/")
#: Bind addresses that mean "every interface": no one address to tell a controller.
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def for_controllers(spec: MessageSpec) -> bool:
    """Whether the namespace shows ``spec``: every control, and the replies whose address
    is under :data:`CONTROLLER_PREFIXES` (the state feedback sends)."""
    if spec.direction == "control":
        return True
    return spec.direction == "reply" and spec.address.startswith(CONTROLLER_PREFIXES)


def host_info(name: str, osc_host: str, osc_port: int) -> dict[str, object]:
    """The ``?HOST_INFO`` answer: where to send OSC (UDP) and what this server supports.
    For a bridge bound to every interface ``OSC_IP`` is left out: the proposal then means
    the address the controller reached this HTTP server on."""
    info: dict[str, object] = {"NAME": name, "EXTENSIONS": dict(EXTENSIONS)}
    if osc_host not in WILDCARDS:
        info["OSC_IP"] = osc_host
    info.update({"OSC_PORT": osc_port, "OSC_TRANSPORT": "UDP"})
    return info


def _range(arg: Arg) -> dict[str, object] | None:
    if arg.choices is not None:
        return {"VALS": list(arg.choices)}
    if arg.low is not None and arg.high is not None:
        return {"MIN": arg.low, "MAX": arg.high}
    return None


def _expansions(part: str, spec: MessageSpec, state: ControlState) -> list[str]:
    if part == "{prop}":
        return list(spec.props or ())
    if part == "{number}":
        return [str(layer.number) for layer in state.layers]
    if part == "{index|uuid}":
        return sorted({str(la.track_index) for la in state.layers if la.track_index >= 0}, key=int)
    return [part]


def _paths(spec: MessageSpec, state: ControlState) -> list[tuple[str, str | None]]:
    """(concrete address, the property it sets or None) for every address ``spec`` has."""
    paths: list[tuple[list[str], str | None]] = [([], None)]
    for part in spec.address.split("/")[1:]:
        grown = []
        for prefix, prop in paths:
            for choice in _expansions(part, spec, state):
                grown.append(([*prefix, choice], choice if part == "{prop}" else prop))
        paths = grown
    return [("/" + "/".join(parts), prop) for parts, prop in paths]


def _method(spec: MessageSpec, address: str, prop: str | None, state: ControlState) -> dict:
    if prop is not None and spec.props is not None:
        # The property's own argument replaces the spec's generic "value".
        args = [spec.props[prop] if a.name == "value" else a for a in spec.args]
        description = f"{spec.doc} {prop}: {spec.props[prop].doc}."
    else:
        args = list(spec.args)
        description = spec.doc
    node: dict[str, object] = {
        "FULL_PATH": address,
        "TYPE": "".join(a.kind for a in args),
        "DESCRIPTION": description,
        "RANGE": [_range(a) for a in args],
    }
    readable = address in state.values
    writable = spec.direction == "control"
    node["ACCESS"] = (ACCESS_READ if readable else 0) | (ACCESS_WRITE if writable else 0)
    if readable:
        node["VALUE"] = [state.values[address]]
    return node


def namespace(state: ControlState) -> dict[str, object]:
    """The whole tree, root first (``FULL_PATH`` "/")."""
    root: dict[str, object] = {"FULL_PATH": "/", "CONTENTS": {}, "DESCRIPTION": "synaesthete"}
    for spec in MESSAGES:
        if not for_controllers(spec):
            continue
        for address, prop in _paths(spec, state):
            node = root
            parts = address.split("/")[1:]
            for depth, part in enumerate(parts[:-1], start=1):
                contents = node.setdefault("CONTENTS", {})
                node = contents.setdefault(  # type: ignore[union-attr]
                    part, {"FULL_PATH": "/" + "/".join(parts[:depth]), "CONTENTS": {}}
                )
            contents = node.setdefault("CONTENTS", {})
            leaf = _method(spec, address, prop, state)
            existing = contents.get(parts[-1])  # type: ignore[union-attr]
            if existing is not None and "CONTENTS" in existing:
                leaf["CONTENTS"] = existing["CONTENTS"]  # a method with children
            contents[parts[-1]] = leaf  # type: ignore[index]
    return root


def find(root: dict[str, object], path: str) -> dict[str, object] | None:
    """The node at ``path`` ("/" the root), or None."""
    node: dict[str, object] | None = root
    for part in [p for p in path.split("/") if p]:
        contents = node.get("CONTENTS") if node is not None else None
        node = contents.get(part) if isinstance(contents, dict) else None
        if node is None:
            return None
    return node
