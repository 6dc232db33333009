"""The rig inputs of one ``synaesthete bridge`` run: sound cards and Ableton Link.

Opened before the show starts (so a missing device or library stops the command with its
reason), started and stopped with the bridge service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bridge.rig.channels import parse_input
from models.paths import DEFAULT_STYLE

log = logging.getLogger(__name__)


class RigInputs:
    """Sound-card captures (one per ``--input``) and an optional Link follower.

    Args:
        service: the bridge (its ingest queue takes the captures' events; its clock is
            fed by Link).
        inputs: ``DEVICE[:CHANNELS]`` texts (:mod:`bridge.rig.channels`).
        link: join an Ableton Link session.
        style: the style the sound-card tracks ask for.
        sample_rate: capture rate (default each device's own).

    Raises:
        InputSpecError: an ``--input`` that cannot be parsed or names absent channels.
        SoundCardError: PortAudio missing, or no such device.
        LinkUnavailableError: ``link`` without aalink installed.
    """

    def __init__(
        self,
        service: Any,
        *,
        inputs: Sequence[str] = (),
        link: bool = False,
        style: str = DEFAULT_STYLE,
        sample_rate: float | None = None,
    ) -> None:
        self.captures: list[Any] = []
        self.link: Any = None
        specs = [parse_input(text) for text in inputs]
        if specs:
            from bridge.rig.sound_card import SoundCardInput, list_inputs

            devices = list_inputs()
            first = 0
            for spec in specs:
                capture = SoundCardInput(
                    spec,
                    service.queue,
                    style=style,
                    sample_rate=sample_rate,
                    first_index=first,
                    devices=devices,
                )
                first += len(capture.tracks.tracks)
                self.captures.append(capture)
        if link:
            from bridge.rig.link import LinkFollower, require_aalink

            require_aalink()  # fail now, with the install hint
            self.link = LinkFollower(service)

    def __bool__(self) -> bool:
        return bool(self.captures) or self.link is not None

    def start(self) -> RigInputs:
        """Start every input; if one fails, those started are stopped and it raises."""
        started: list[Any] = []
        try:
            for item in [*self.captures, self.link]:
                if item is not None:
                    item.start()
                    started.append(item)
        except BaseException:
            for item in reversed(started):
                item.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every input and log what each did."""
        if self.link is not None:
            self.link.stop()
            log.info("Link: %s", self.link.status())
        for capture in self.captures:
            capture.stop()
            log.info("sound card %s: %s", capture.device.name, capture.status())

    def __enter__(self) -> RigInputs:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
