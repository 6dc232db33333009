"""Read a built ``.amxd`` back into its patcher JSON, for tests and for review.

``python -m max_device.reader dist/Synaesthete.amxd`` prints the patcher JSON;
``--summary`` prints the device type, the object count and the Live parameters instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from max_device.amxd import AmxdError, Device, decode_device
from max_device.patcher import Patcher


def read_device(path: Path) -> Device:
    """Parse the device file at ``path``.

    Raises:
        AmxdError: the file is not an unfrozen device (the message says why).
        OSError: the file cannot be read.
    """
    return decode_device(path.read_bytes())


def summary(device: Device) -> str:
    """A few lines a person can check: type, size and every Live parameter."""
    patcher = Patcher(device.patcher)
    lines = [
        f"type: {device.device_type}",
        f"boxes: {len(patcher.boxes)}, patch cords: {len(patcher.lines)}",
        "parameters:",
    ]
    for param in sorted(patcher.parameters(), key=lambda p: p.longname):
        if param.type == 3:
            detail = "stored data (blob)"
        elif param.enum:
            detail = ", ".join(param.enum)
        else:
            detail = f"{param.mmin:g} … {param.mmax:g}"
        lines.append(f"  {param.longname} ({param.shortname}): {detail}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("device", type=Path, help="an unfrozen .amxd file")
    parser.add_argument(
        "--summary", action="store_true", help="print type and parameters, not the JSON"
    )


def run(args: argparse.Namespace) -> int:
    """Print the device; a file that is not a device is one line on stderr, exit code 2."""
    try:
        device = read_device(args.device)
    except AmxdError as exc:
        print(f"read-device: {args.device}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"read-device: cannot read {args.device}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.summary:
        print(summary(device))
    else:
        print(json.dumps(device.patcher, indent=2, ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m max_device.reader", description="Print an unfrozen .amxd device."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
