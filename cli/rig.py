"""The rig's command line: ``synaesthete devices`` and the options for sound-card input,
Ableton Link and live video out that ``bridge`` (and ``demo``) take.

Cheap to import: PortAudio, Link and the sink libraries load only when used.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

log = logging.getLogger("synaesthete")


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """``--input DEVICE[:CHANNELS]`` (repeatable) and ``--link``."""
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="DEVICE[:CHANNELS]",
        help="capture a sound card as tracks (repeatable): DEVICE is an index or part of a "
        "name from `synaesthete devices`; CHANNELS is stereo (pairs, the default), mono, or "
        "a list like 1+2,3 (channels from 1; N+M mixes them into one track)",
    )
    parser.add_argument(
        "--link",
        action="store_true",
        help="follow an Ableton Link session's tempo and beat while no Live transport "
        "arrives (needs the GPL-3.0 aalink: pip install 'synaesthete[link]')",
    )


def add_video_out_options(parser: argparse.ArgumentParser) -> None:
    """``--ndi NAME``, ``--vcam [DEVICE]`` and ``--transparent``: live video out besides the
    window or file."""
    parser.add_argument(
        "--ndi",
        metavar="NAME",
        default=None,
        help="send every frame with its alpha as the NDI source NAME (Resolume, OBS, "
        "TouchDesigner; pip install 'synaesthete[ndi]')",
    )
    parser.add_argument(
        "--vcam",
        nargs="?",
        const="",
        default=None,
        metavar="DEVICE",
        help="send the picture to a virtual camera (v4l2loopback on Linux, OBS's on "
        "macOS/Windows; optionally its DEVICE, e.g. /dev/video10; pip install "
        "'synaesthete[vcam]')",
    )
    parser.add_argument(
        "--transparent",
        action="store_true",
        help="draw the layers over a transparent background, so --ndi receivers (Resolume, "
        "OBS) can key them over their own video",
    )


def run_devices(args: argparse.Namespace) -> int:
    from bridge.rig.sound_card import SoundCardError, host_api_names, list_inputs

    try:
        devices = list_inputs()
        apis = host_api_names()
    except SoundCardError as exc:
        log.error("%s", exc)
        return 2
    if args.json:
        print(json.dumps([device.__dict__ for device in devices], indent=2))
        return 0
    if not devices:
        print(
            f"no input devices (PortAudio host APIs here: {', '.join(apis) or 'none'}); "
            "plug one in, start JACK, or check the system's sound settings"
        )
        return 0
    rows = [("", "index", "name", "host API", "channels", "rate")]
    for d in devices:
        mark = "*" if d.is_default else ""
        rate = f"{d.default_rate:g}"
        rows.append((mark, str(d.index), d.name, d.host_api, str(d.channels), rate))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    print("(* default)  use: synaesthete bridge --input INDEX[:CHANNELS]")
    return 0


def register(subparsers: Any) -> None:
    """Add ``synaesthete devices``."""
    devices = subparsers.add_parser(
        "devices",
        help="list the sound-card inputs --input can capture",
        description="List PortAudio's capture devices: index, name, host API, input "
        "channels and default rate (the default input is starred).",
    )
    devices.add_argument("--json", action="store_true", help="print the list as JSON")
    devices.set_defaults(func=run_devices)
