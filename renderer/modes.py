"""The blend mode names every part of synaesthete agrees on.

The order is the protocol's and the Max device's enum order: index ``i`` of the device's
Blend parameter is ``BLEND_MODES[i]``. Append new modes at the end; never reorder or rename
(Live stores the enum index in users' sets).
"""

from __future__ import annotations

BLEND_MODES: tuple[str, ...] = (
    "normal",
    "multiply",
    "screen",
    "overlay",
    "darken",
    "lighten",
    "color-dodge",
    "color-burn",
    "hard-light",
    "soft-light",
    "difference",
    "exclusion",
    "plus-lighter",
)

DEFAULT_BLEND_MODE = "screen"
