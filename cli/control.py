"""The ``bridge`` command's control options: MIDI learn, OSC feedback, OSCQuery."""

from __future__ import annotations

import argparse
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bridge.control import DEFAULT_OSCQUERY_PORT as OSCQUERY_PORT
from cli.arguments import PORT, whole

if TYPE_CHECKING:
    from bridge.control.session import ControlOptions, ControlSession
    from bridge.ingest.service import BridgeService

log = logging.getLogger(__name__)


def controller_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` for ``--feedback``: an IPv4 address or a host name, resolved once, now
    (feedback is sent to the address it had at start)."""
    host, _, port = text.rpartition(":")
    try:
        number = whole(1, 65535)(port)
    except argparse.ArgumentTypeError:
        number = 0
    if not host or not number:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9002)")
    try:
        found = socket.getaddrinfo(host, number, socket.AF_INET, socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as exc:
        raise argparse.ArgumentTypeError(
            f"--feedback {text}: cannot resolve {host!r} to an IPv4 address ({exc})"
        ) from None
    return str(found[0][4][0]), number


def wants_controls(args: argparse.Namespace) -> bool:
    """Whether any of ``--midi``, ``--feedback``, ``--oscquery`` was given."""
    return bool(
        getattr(args, "midi", None) is not None
        or getattr(args, "feedback", None)
        or getattr(args, "oscquery", None) is not None
    )


def add_control_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("control (MIDI, feedback, OSCQuery)")
    group.add_argument(
        "--midi",
        action="append",
        nargs="?",
        const="",
        default=None,
        metavar="PORT",
        help="take MIDI from inputs whose name contains PORT, in any case (repeatable; "
        "alone: every input but 'Midi Through' loopbacks); L in the window or "
        "/syn/midi/learn maps a control",
    )
    group.add_argument(
        "--midi-out",
        action="append",
        default=[],
        metavar="PORT",
        help="send MIDI feedback (LEDs, motor faders) also to outputs containing PORT",
    )
    group.add_argument(
        "--midi-backend",
        default=None,
        metavar="NAME",
        help="mido backend, e.g. mido.backends.rtmidi/UNIX_JACK (default: the system's)",
    )
    group.add_argument(
        "--feedback",
        action="append",
        type=controller_address,
        default=[],
        metavar="HOST:PORT",
        help="send the state to this controller (an address or a host name, resolved "
        "once) for the whole run (repeatable; others register with "
        "/syn/feedback/register PORT)",
    )
    group.add_argument(
        "--oscquery",
        type=PORT,
        nargs="?",
        const=OSCQUERY_PORT,
        default=None,
        metavar="HTTP_PORT",
        help=f"serve the OSC namespace over OSCQuery and announce it over zeroconf "
        f"({OSCQUERY_PORT}; 0 any free port)",
    )


def control_options(args: argparse.Namespace) -> ControlOptions:
    """The parsed options (absent ones off), for :class:`bridge.show.live.LiveOptions`."""
    from bridge.control.session import ControlOptions

    midi = getattr(args, "midi", None)
    return ControlOptions(
        midi=[name for name in midi if name] if midi is not None else None,
        midi_out=list(getattr(args, "midi_out", [])),
        midi_backend=getattr(args, "midi_backend", None),
        feedback=list(getattr(args, "feedback", [])),
        oscquery_port=getattr(args, "oscquery", None),
        presets_dir=getattr(args, "presets", None),
    )


@contextmanager
def controls_without_picture(
    service: BridgeService, args: argparse.Namespace
) -> Iterator[ControlSession | None]:
    """For the terminal view and ``--no-render``: with ``--midi``, ``--feedback`` or
    ``--oscquery``, open them and run the controls on the bridge's tracks without a show
    (:mod:`bridge.control.standalone`); yields the session (None without those options)."""
    if not wants_controls(args):
        yield None
        return
    from bridge.control.session import ControlSession
    from bridge.control.standalone import StandaloneControls

    log.info(
        "no picture: MIDI, feedback and OSCQuery follow the tracks and their controls; "
        "presets need the picture"
    )
    with ControlSession(control_options(args), service) as session:
        controls = StandaloneControls(service, session.io).start()
        try:
            yield session
        finally:
            controls.stop()
