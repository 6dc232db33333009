"""``--input DEVICE[:CHANNELS]``: which device, and which channels make which track.

Pure parsing, no PortAudio: the device part is kept as typed (an index or a piece of the
name) and resolved later against the devices PortAudio lists
(:func:`bridge.rig.sound_card.find_input`).

CHANNELS is ``stereo`` (the default: channels 1+2, 3+4, …, an odd last one alone), ``mono``
(one track per channel) or a comma list of groups, each ``N`` (one channel) or ``N+M``
(channels mixed to one track, e.g. a stereo pair ``1+2``); channels count from 1, as on
an interface's front panel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Channels one group may mix; more is surely a typo.
MAX_GROUP_CHANNELS = 8
#: Groups (virtual tracks) one input may make.
MAX_GROUPS = 64

_GROUPS_PATTERN = re.compile(r"^\s*(stereo|mono|\d+(\s*\+\s*\d+)*(\s*,\s*\d+(\s*\+\s*\d+)*)*)\s*$")


class InputSpecError(ValueError):
    """An ``--input`` value that cannot be used; the message says what to type instead."""


@dataclass(frozen=True)
class InputSpec:
    """One ``--input`` as typed.

    Attributes:
        device: an index (``"3"``) or a case-insensitive piece of the device's name; empty
            means the default input.
        groups: 0-based channel indices per virtual track, or None for ``stereo``/``mono``
            layouts that depend on the device's channel count.
        layout: ``"stereo"``, ``"mono"`` or ``"groups"``.
    """

    device: str
    groups: tuple[tuple[int, ...], ...] | None = None
    layout: str = "stereo"

    def resolve(self, channels: int) -> tuple[tuple[int, ...], ...]:
        """The channel groups for a device with ``channels`` inputs.

        Raises:
            InputSpecError: a group names a channel the device does not have, or the
                device has no inputs.
        """
        if channels < 1:
            raise InputSpecError(f"input device {self.device!r} has no input channels")
        if self.layout == "mono":
            return tuple((c,) for c in range(min(channels, MAX_GROUPS)))
        if self.layout == "stereo":
            pairs = [tuple(range(c, min(c + 2, channels))) for c in range(0, channels, 2)]
            return tuple(pairs[:MAX_GROUPS])
        assert self.groups is not None
        for group in self.groups:
            for channel in group:
                if channel >= channels:
                    raise InputSpecError(
                        f"channel {channel + 1} asked for, but the device has {channels} "
                        f"input channel(s) (count from 1)"
                    )
        return self.groups


def parse_input(text: str) -> InputSpec:
    """Parse ``DEVICE[:CHANNELS]`` (see the module docstring).

    The last ``:`` splits only when what follows reads as CHANNELS, so names holding a
    colon (ALSA's ``"HDA Intel PCH: ALC892 Analog (hw:0,0)"``) are fine.

    Raises:
        InputSpecError: empty text, a bad channel list, channel 0, a repeated channel.
    """
    text = text.strip()
    if text.startswith(":"):
        raise InputSpecError("--input needs a device before ':': its index or part of its name")
    device, _, tail = text.rpartition(":")
    if not device or not _GROUPS_PATTERN.match(tail):
        device, tail = text, ""
    device = device.strip()
    if not device:
        raise InputSpecError("--input needs a device: its index or part of its name")
    tail = tail.strip().lower()
    if tail in ("", "stereo"):
        return InputSpec(device)
    if tail == "mono":
        return InputSpec(device, layout="mono")
    groups: list[tuple[int, ...]] = []
    seen: set[int] = set()
    for part in tail.split(","):
        numbers = [int(n) for n in part.split("+")]
        if any(n < 1 for n in numbers):
            raise InputSpecError(
                f"channels count from 1, got {part.strip()!r} in {text!r} (for a device "
                f"whose name ends in ':N', give its index or add ':stereo')"
            )
        if len(numbers) > MAX_GROUP_CHANNELS:
            raise InputSpecError(f"a track mixes at most {MAX_GROUP_CHANNELS} channels")
        repeated = seen.intersection(numbers) or len(set(numbers)) != len(numbers)
        if repeated:
            raise InputSpecError(f"channel listed twice in {text!r}")
        seen.update(numbers)
        groups.append(tuple(n - 1 for n in numbers))
    if len(groups) > MAX_GROUPS:
        raise InputSpecError(f"at most {MAX_GROUPS} tracks per input, got {len(groups)}")
    return InputSpec(device, tuple(groups), "groups")


def group_label(group: tuple[int, ...]) -> str:
    """How a group is named on its track: ``"1/2"`` for a pair, ``"3"`` for one channel."""
    return "/".join(str(c + 1) for c in group)


def short_device_name(name: str, limit: int = 24) -> str:
    """A device name short enough for a track name: before any ``:`` or ``(``, trimmed."""
    short = re.split(r"[:(]", name, maxsplit=1)[0].strip() or name.strip()
    return short[:limit].rstrip() or "input"
