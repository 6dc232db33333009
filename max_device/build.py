"""Build ``dist/Synaesthete.amxd`` from the unfrozen sources in ``max_device/src``.

Run ``synaesthete build-device`` or ``python -m max_device.build``. The sources stay as
they are in git (a patcher with a ``js synaesthete.js`` box, and the script beside it);
the built device is one self-contained file: each ``js <file>`` box becomes a Max 9
``v8.codebox`` holding the script's text, so Live's *Collect All and Save* (which copies
the ``.amxd`` but not a ``.js`` next to it) keeps a working device. The device is not
frozen, so ``synaesthete read-device`` can still show everything inside it.
"""

from __future__ import annotations

import argparse
import copy
import os
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
    """What a build wrote: the device, the scripts embedded in it, the device's size."""

    device: Path
    embedded: tuple[str, ...]
    size: int


def script_files(patcher: Patcher) -> list[str]:
    """File names of the scripts the patch loads (``js <file>`` boxes)."""
    names: list[str] = []
    for box in patcher.named("js"):
        if not box.args:
            raise BuildError(f"js box {box.id} names no script file")
        names.append(box.args[0])
    return sorted(set(names))


def embed_scripts(document: dict, scripts: dict[str, str]) -> dict:
    """A copy of ``document`` whose ``js <file>`` boxes are ``v8.codebox`` boxes holding
    ``scripts[file]``, keeping each box's id, ports and cords; the files leave the
    dependency list. ``document`` itself is not changed."""
    built = copy.deepcopy(document)
    inner = built["patcher"]
    for entry in inner["boxes"]:
        box = entry["box"]
        words = box.get("text", "").split()
        if box.get("maxclass") != "newobj" or not words or words[0] != "js":
            continue
        entry["box"] = {
            "code": scripts[words[1]],
            "filename": "none",
            "id": box["id"],
            "maxclass": "v8.codebox",
            "numinlets": box["numinlets"],
            "numoutlets": box["numoutlets"],
            "outlettype": box.get("outlettype", [""] * box["numoutlets"]),
            "patching_rect": box["patching_rect"],
            "saved_object_attributes": {"parameter_enable": 0},
        }
    inner["dependency_cache"] = [
        item for item in inner.get("dependency_cache", []) if item.get("name") not in scripts
    ]
    return built


def build_device(output: Path = DEFAULT_OUTPUT, *, source_dir: Path = SOURCE_DIR) -> BuildResult:
    """Write the self-contained device to ``output`` (its scripts embedded in it).

    Raises:
        BuildError: a source is missing or malformed, or ``output`` cannot be written.
    """
    source = source_dir / PATCHER_NAME
    if not source.is_file():
        raise BuildError(f"device source {source} is missing; is this a full checkout?")
    try:
        patcher = Patcher.load(source)
    except PatcherError as exc:
        raise BuildError(f"{source}: {exc}") from exc
    scripts = script_files(patcher)
    missing = [name for name in scripts if not (source_dir / name).is_file()]
    if missing:
        raise BuildError(f"the patch loads {', '.join(missing)}, not found in {source_dir}")
    if output.suffix != ".amxd":
        raise BuildError(f"{output}: a Max for Live device file must end in .amxd")
    texts = {name: (source_dir / name).read_text(encoding="utf-8") for name in scripts}
    try:
        data = encode_device(embed_scripts(patcher.document, texts), device_type="audio_effect")
    except AmxdError as exc:
        raise BuildError(f"{source}: {exc}") from exc
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, output)
    except OSError as exc:
        raise BuildError(f"cannot write {output}: {exc.strerror}") from exc
    return BuildResult(output, tuple(scripts), len(data))


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
    inside = ", ".join(result.embedded)
    print(f"wrote {result.device} ({result.size:,} bytes; {inside} embedded)")
    print("One file: drag it onto an audio track in Live 12 (Max 9).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m max_device.build", description="Build the Synaesthete Max for Live device."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
