"""A virtual webcam: the picture as a camera Zoom, OBS or a browser can open (``--vcam``).

Uses ``pyvirtualcam`` (the optional extra ``synaesthete[vcam]``, GPL-2.0): on Linux it
writes to a v4l2loopback device (``sudo modprobe v4l2loopback exclusive_caps=1``), on
Windows and macOS to OBS's virtual camera. Cameras have no alpha: the picture goes out over
black, which for the compositor's premultiplied read-back is simply its colour channels.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from renderer.sinks import SinkError
from renderer.sinks.convert import over_black
from renderer.video import check_frame

log = logging.getLogger(__name__)


def _pyvirtualcam() -> Any:
    try:
        import pyvirtualcam
    except ImportError as exc:
        raise SinkError(
            "a virtual camera needs the optional pyvirtualcam package: "
            "pip install 'synaesthete[vcam]'"
        ) from exc
    return pyvirtualcam


class VirtualCameraSink:
    """A virtual camera showing ``size`` frames at ``fps``.

    Args:
        size: (width, height).
        fps: the camera's frame rate (a hint; frames go out as the show makes them).
        device: a device to use (e.g. ``/dev/video10``), or None for the first free one.
        backend: a pyvirtualcam backend name, or None for the platform's.

    Raises:
        SinkError: pyvirtualcam missing, or no virtual camera device (with how to add one).
    """

    def __init__(
        self,
        size: tuple[int, int],
        fps: float,
        *,
        device: str | None = None,
        backend: str | None = None,
    ) -> None:
        pyvirtualcam = _pyvirtualcam()
        width, height = size
        try:
            self._camera = pyvirtualcam.Camera(
                width, height, fps, fmt=pyvirtualcam.PixelFormat.RGB, device=device, backend=backend
            )
        except (RuntimeError, ValueError, KeyError) as exc:
            raise SinkError(
                f"no virtual camera could be opened ({exc}); on Linux load v4l2loopback: "
                f"sudo modprobe v4l2loopback exclusive_caps=1 card_label=synaesthete"
            ) from exc
        self.size = (width, height)
        self.fps = fps
        self.frames_written = 0
        self.device = str(self._camera.device)
        log.info("virtual camera on %s (%d×%d)", self.device, width, height)

    def write(self, frame: np.ndarray) -> None:
        """Send one top-down RGB or premultiplied RGBA uint8 frame (over black)."""
        self._camera.send(over_black(check_frame(frame, self.size)))
        self.frames_written += 1

    def close(self) -> None:
        self._camera.close()
