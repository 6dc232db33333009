"""A fake virtual-camera device for tests, plugged in through pyvirtualcam's documented
backend interface (``pyvirtualcam.register_backend``): v4l2loopback needs a kernel module
this machine lacks, so the frames a real device would get are recorded here instead."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import numpy as np

FAKE_BACKEND = "synaesthete-fake"


class FakeCameraBackend:
    """A pyvirtualcam backend (its documented plug-in interface) recording frames."""

    sent: ClassVar[list[np.ndarray]] = []

    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        self.shape = (height, width, 3)
        self._device = device or "/dev/video-fake"

    def send(self, frame):
        FakeCameraBackend.sent.append(frame.reshape(self.shape).copy())

    def close(self):
        pass

    def device(self):
        return self._device

    def native_fourcc(self):
        return None


@contextmanager
def registered() -> Iterator[list[np.ndarray]]:
    """Make the fake device available to ``pyvirtualcam.Camera`` while inside (tried after
    the platform's backends, so a machine with a real v4l2loopback device uses that);
    yields the list the sent frames land in."""
    import pyvirtualcam
    from pyvirtualcam.camera import BACKENDS

    FakeCameraBackend.sent.clear()
    pyvirtualcam.register_backend(FAKE_BACKEND, FakeCameraBackend)
    try:
        yield FakeCameraBackend.sent
    finally:
        BACKENDS.pop(FAKE_BACKEND, None)
