"""One frame to every live sink; a sink that fails is counted and dropped, the show goes on.

Sinks are opened lazily from factories at the first frame (and reopened at a new size when
the picture's size changes, e.g. a resized window), so whoever draws decides the size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from renderer.video import FrameSink

log = logging.getLogger(__name__)

#: Errors in a row after which a sink is closed and left out for the rest of the show.
MAX_CONSECUTIVE_ERRORS = 30

SinkFactory = Callable[[tuple[int, int], float], FrameSink]


@dataclass
class _Slot:
    name: str
    factory: SinkFactory
    sink: FrameSink | None = None
    errors: int = 0
    consecutive: int = 0
    failed: bool = False


@dataclass
class SinkSet:
    """Live sinks fed from one read-back per frame.

    Args:
        fps: the show's frame rate (each sink is told it).
    """

    fps: float
    _slots: list[_Slot] = field(default_factory=list)

    def add(self, name: str, factory: SinkFactory) -> None:
        """Add a sink made by ``factory(size, fps)`` when the first frame arrives."""
        self._slots.append(_Slot(name, factory))

    def __bool__(self) -> bool:
        return any(not slot.failed for slot in self._slots)

    def open(self, size: tuple[int, int]) -> None:
        """Open every sink now at ``size`` (so a missing library or device fails at start,
        not minutes into the show); raises what the factory raises."""
        for slot in self._slots:
            if slot.sink is None:
                slot.sink = slot.factory(size, self.fps)

    def write(self, frame: np.ndarray) -> None:
        """Hand ``frame`` (top-down, premultiplied RGBA or RGB uint8) to every sink."""
        size = (int(frame.shape[1]), int(frame.shape[0]))
        for slot in self._slots:
            if slot.failed:
                continue
            try:
                if slot.sink is not None and slot.sink.size != size:
                    slot.sink.close()
                    slot.sink = None
                if slot.sink is None:
                    slot.sink = slot.factory(size, self.fps)
                slot.sink.write(frame)
                slot.consecutive = 0
            except Exception as exc:  # a sink must never take the show down
                slot.errors += 1
                slot.consecutive += 1
                if slot.errors == 1:
                    log.warning("%s could not take a frame: %s", slot.name, exc)
                if slot.consecutive >= MAX_CONSECUTIVE_ERRORS:
                    log.error(
                        "%s failed %d times in a row; leaving it out", slot.name, slot.consecutive
                    )
                    slot.failed = True
                    self._close(slot)

    def status(self) -> dict[str, dict[str, int | bool]]:
        """Per sink: frames written, errors, whether it was left out."""
        return {
            slot.name: {
                "frames": slot.sink.frames_written if slot.sink is not None else 0,
                "errors": slot.errors,
                "failed": slot.failed,
            }
            for slot in self._slots
        }

    def close(self) -> None:
        """Close every open sink."""
        for slot in self._slots:
            self._close(slot)

    @staticmethod
    def _close(slot: _Slot) -> None:
        if slot.sink is None:
            return
        try:
            slot.sink.close()
        except Exception as exc:
            log.warning("closing %s: %s", slot.name, exc)
        slot.sink = None
