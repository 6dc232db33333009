"""Relative steps on protocol properties, as Resolume's OSC takes them ("+" / "-" before a
value): pure functions over a property's :class:`~bridge.ingest.protocol.Arg`.

- a number is moved by the step and clamped to the argument's range;
- a name from a list (blend, role, composition, ink, colour) moves that many places, rounded,
  wrapping; any non-zero step moves at least one place in its direction (0.3 → 1, −0.2 → −1);
- a 0/1 property toggles (whatever the step's size);
- free names (style) cannot be stepped: :class:`StepError`.
"""

from __future__ import annotations

from bridge.ingest.protocol import Arg


class StepError(ValueError):
    """The property cannot be stepped (a free name such as a style)."""


def places(step: float) -> int:
    """List places a step moves: rounded, and at least one in its direction unless 0."""
    if step == 0:
        return 0
    return round(step) or (1 if step > 0 else -1)


def stepped(arg: Arg, current: object, step: float) -> float | int | str | bool:
    """``current`` moved by ``step`` within ``arg``'s values (see the module doc).

    Raises:
        StepError: ``arg`` is free text or a pattern (nothing to step through).
    """
    if arg.choices == (0, 1):
        return not bool(current)
    if arg.kind == "s":
        if arg.choices is None:
            raise StepError(f"{arg.name} is a name; it cannot be stepped")
        choices = list(arg.choices)
        position = choices.index(current) if current in choices else 0
        return str(choices[(position + places(step)) % len(choices)])
    value = float(current) + step  # type: ignore[arg-type]
    if arg.low is not None:
        value = max(arg.low, value)
    if arg.high is not None:
        value = min(arg.high, value)
    return round(value) if arg.kind == "i" else round(value, 6)
