"""How a MIDI control's values are read: absolute positions, relative (endless) encoders, and
pickup (soft takeover). Pure functions over raw MIDI values (0 … 127).

Modes (a mapping's ``mode``, saved in the mapping file):

- ``absolute`` — the control's position 0 … 127 is the property's position (faders, knobs);
- ``relative`` — an endless encoder sending two's-complement steps: 1 … 63 turn right by that
  many ticks, 127 … 65 turn left by 1 … 63 (most Behringer, Arturia and Akai encoders);
- ``offset`` — an endless encoder sending offset-64 steps: 65 … 127 right by 1 … 63, 63 … 0
  left by 1 … 64 (Native Instruments, some Korg).

A tick moves a number by :data:`TICK` of its range, a name from a list one place, and toggles
a 0/1 property (:mod:`bridge.control.steps`). Learning guesses the mode
(:func:`guess_mode`): an absolute knob sends a value only when it changes, so the same raw
value twice running near 1/127 or near 64 is an encoder; otherwise set ``"mode"`` in the
mapping file by hand.

Pickup (a mapping's ``pickup``): an absolute knob whose target moved elsewhere (another
controller, a new selected layer) takes over only once it reaches the target's value
(:func:`picks_up`), so the value does not jump.
"""

from __future__ import annotations

MODES = ("absolute", "relative", "offset")
#: One tick of an encoder, as a share of a number's range.
TICK = 0.01
#: How near (positions 0 … 1) a knob must come to the target's value to take it over.
PICKUP_TOLERANCE = 0.03
#: Raw values an encoder sends for slow turns, per mode (used to guess the mode).
_ENCODER_VALUES = {
    "relative": frozenset({1, 2, 3, 125, 126, 127}),
    "offset": frozenset({61, 62, 63, 65, 66, 67}),
}


def ticks(mode: str, raw: int) -> int:
    """The signed number of ticks a relative control's raw value means (0 for ``absolute``)."""
    if mode == "relative":
        return raw if raw < 64 else raw - 128
    if mode == "offset":
        return raw - 64
    return 0


def guess_mode(first: int, second: int) -> str:
    """The mode two successive raw values of one control suggest: an encoder's when they are
    equal and typical of one, else ``absolute``."""
    if first == second:
        for mode, values in _ENCODER_VALUES.items():
            if first in values:
                return mode
    return "absolute"


def picks_up(previous: float | None, position: float, target: float) -> bool:
    """Whether a knob moving from ``previous`` to ``position`` (0 … 1; None: unknown) reaches
    the ``target``'s position: within :data:`PICKUP_TOLERANCE` of it, or crossing it."""
    if abs(position - target) <= PICKUP_TOLERANCE:
        return True
    return previous is not None and (previous - target) * (position - target) <= 0.0
