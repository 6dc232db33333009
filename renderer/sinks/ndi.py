"""NDI output: every frame, with its alpha, to Resolume, OBS, TouchDesigner, vMix … on the
network (``--ndi NAME``).

Uses ``cyndilib`` (the optional extra ``synaesthete[ndi]``; its wheels bundle the NDI
runtime). Frames go out as 8-bit RGBA with straight alpha, which is what NDI receivers
composite with; the compositor's premultiplied read-back is converted first
(:func:`renderer.sinks.convert.straight_alpha`, free for an opaque frame). Sending is
synchronous and unclocked: the show's own loop sets the pace.

Discovery is NDI's: mDNS on the local network, or a discovery server / "extra IPs" set in
the NDI configuration file (``$NDI_CONFIG_DIR/ndi-config.v1.json``).
"""

from __future__ import annotations

import logging
from fractions import Fraction
from typing import Any

import numpy as np

from renderer.sinks import SinkError
from renderer.sinks.convert import straight_alpha, with_alpha
from renderer.video import check_frame

log = logging.getLogger(__name__)


def _cyndilib() -> Any:
    try:
        import cyndilib
    except ImportError as exc:
        raise SinkError(
            "NDI output needs the optional cyndilib package: pip install 'synaesthete[ndi]'"
        ) from exc
    return cyndilib


class NdiSink:
    """An NDI source named ``name`` sending ``size`` frames at about ``fps``.

    Args:
        name: the source name receivers list (shown as ``HOST (name)``).
        size: (width, height); NDI wants an even width.
        fps: the frame rate announced to receivers.

    Raises:
        SinkError: cyndilib missing, an odd width, or the sender could not open.
    """

    def __init__(self, name: str, size: tuple[int, int], fps: float) -> None:
        cyndilib = _cyndilib()
        width, height = size
        if width % 2 or width < 2 or height < 1:
            raise SinkError(f"NDI needs an even width (4:2:2 inside), got {width}×{height}")
        if not name.strip():
            raise SinkError("an NDI source needs a name")
        self.name = name
        self.size = (width, height)
        self.fps = fps
        self.frames_written = 0
        self._frame = cyndilib.VideoSendFrame()
        self._frame.set_resolution(width, height)
        self._frame.set_frame_rate(Fraction(fps).limit_denominator(1001))
        self._frame.set_fourcc(cyndilib.FourCC.RGBA)
        self._sender = cyndilib.Sender(name, clock_video=False)
        self._sender.set_video_frame(self._frame)
        try:
            self._sender.open()
        except Exception as exc:  # the runtime raises plain exceptions
            raise SinkError(f"could not open the NDI sender {name!r}: {exc}") from exc
        self._closed = False
        log.info("sending NDI as %r (%d×%d)", name, width, height)

    def connections(self, timeout: float = 0.0) -> int:
        """Receivers connected now (waits up to ``timeout`` s for the first)."""
        return int(self._sender.get_num_connections(timeout))

    def write(self, frame: np.ndarray) -> None:
        """Send one top-down RGB or premultiplied RGBA uint8 frame."""
        frame = straight_alpha(with_alpha(check_frame(frame, self.size)))
        if not (frame.flags.writeable and frame.flags.c_contiguous):
            frame = np.array(frame)  # cyndilib takes a writable buffer (read-backs are not)
        self._sender.write_video(frame.reshape(-1))
        self.frames_written += 1

    def close(self) -> None:
        """Stop the source (receivers see it go)."""
        if self._closed:
            return
        self._closed = True
        self._sender.close()
