"""Build ``dist/Synaesthete.amxd`` from the unfrozen sources in ``max_device/src``.

Run ``synaesthete build-device`` or ``python -m max_device.build``. The device stays
unfrozen, so its script ``synaesthete.js`` is copied next to it: Max finds a device's
files in the device's own folder. Keep the two files together when you install them
(docs/max_device.md), or open the device in Max and freeze it for a one-file release.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from max_device.amxd import AmxdError, encode_device
from max_device.patcher import Patcher, PatcherError

SOURCE_DIR = Path(__file__).resolve().parent / "src"
PATCHER_NAME = "Synaesthete.maxpat"
DEVICE_NAME = "Synaesthete.amxd"
DEFAULT_OUTPUT = Path("dist") / DEVICE_NAME


class BuildError(RuntimeError):
    """The device cannot be built; the message names the file and what to do."""


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote: the device, the files copied beside it, the device's size."""

    device: Path
    dependencies: tuple[Path, ...]
    size: int


def script_files(patcher: Patcher) -> list[str]:
    """File names of the scripts the patch loads (``js <file>`` boxes)."""
    names: list[str] = []
    for box in patcher.named("js"):
        if not box.args:
            raise BuildError(f"js box {box.id} names no script file")
        names.append(box.args[0])
    return sorted(set(names))


def build_device(output: Path = DEFAULT_OUTPUT, *, source_dir: Path = SOURCE_DIR) -> BuildResult:
    """Write the device to ``output`` and copy its scripts next to it.

    Raises:
        BuildError: a source is missing or malformed, or ``output`` cannot be written.
    """
    source = source_dir / PATCHER_NAME
    if not source.is_file():
        raise BuildError(f"device source {source} is missing; is this a full checkout?")
    try:
        patcher = Patcher.load(source)
        data = encode_device(patcher.document, device_type="audio_effect")
    except (PatcherError, AmxdError) as exc:
        raise BuildError(f"{source}: {exc}") from exc
    scripts = script_files(patcher)
    missing = [name for name in scripts if not (source_dir / name).is_file()]
    if missing:
        raise BuildError(f"the patch loads {', '.join(missing)}, not found in {source_dir}")
    if output.suffix != ".amxd":
        raise BuildError(f"{output}: a Max for Live device file must end in .amxd")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, output)
        copied = []
        for name in scripts:
            target = output.parent / name
            shutil.copyfile(source_dir / name, target)
            copied.append(target)
    except OSError as exc:
        raise BuildError(f"cannot write {output}: {exc.strerror}") from exc
    return BuildResult(output, tuple(copied), len(data))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``synaesthete build-device`` and ``python -m max_device.build``."""
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the device (default: {DEFAULT_OUTPUT})",
    )


def run(args: argparse.Namespace) -> int:
    """Build and report; a build error is one line on stderr and exit code 2."""
    try:
        result = build_device(args.out)
    except BuildError as exc:
        print(f"build-device: {exc}", file=sys.stderr)
        return 2
    beside = ", ".join(str(path) for path in result.dependencies)
    print(f"wrote {result.device} ({result.size:,} bytes) and {beside}")
    print("Keep them in one folder; drag the .amxd onto an audio track in Live.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m max_device.build", description="Build the Synaesthete Max for Live device."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
