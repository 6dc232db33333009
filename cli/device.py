"""The device's subcommands: ``synaesthete build-device`` and ``synaesthete read-device``.

Cheap to import: the modules that do the work load only when a command runs.
"""

from __future__ import annotations

import argparse
from typing import Any


def _run_build(args: argparse.Namespace) -> int:
    from max_device import build

    return build.run(args)


def _run_read(args: argparse.Namespace) -> int:
    from max_device import reader

    return reader.run(args)


def register(subparsers: Any) -> None:
    """Add the device's subcommands to the ``synaesthete`` parser."""
    from max_device import build, reader

    build_parser = subparsers.add_parser(
        "build-device",
        help="build dist/Synaesthete.amxd, the Max for Live device",
        description=(
            "Build the Max for Live device from max_device/src: one self-contained .amxd "
            "with its script embedded (Max 9 v8.codebox)."
        ),
    )
    build.add_arguments(build_parser)
    build_parser.set_defaults(func=_run_build)

    read_parser = subparsers.add_parser(
        "read-device",
        help="print the patcher inside an .amxd (or --summary)",
        description="Parse an unfrozen .amxd device and print its patcher JSON.",
    )
    reader.add_arguments(read_parser)
    read_parser.set_defaults(func=_run_read)
