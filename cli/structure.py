"""``synaesthete structure``: bars, motifs and sections of stems or a mix.

Each file is one track (stems of one set, starting together) or the whole mix. The bars
come from the audio (the tempo/downbeat tracker; ``--tempo`` fixes the tempo), or, with
``--meter`` as well, from a steady transport starting on a downbeat at 0 s (stems exported
from Live from bar 1). Prints the form; ``--json`` writes it in the documented schema and
``--png`` draws the bar self-similarity with sections and motifs.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from cli.arguments import TEMPO

log = logging.getLogger("synaesthete")


def parse_meter(text: str) -> tuple[int, int]:
    """``"7/8"`` → ``(7, 8)``; numerator 1 … 32, denominator 2, 4, 8 or 16."""
    try:
        num, den = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"meter must look like 4/4 or 7/8, got {text!r}") from None
    if not 1 <= num <= 32 or den not in (2, 4, 8, 16):
        raise argparse.ArgumentTypeError(f"meter {text} not supported (N/2, N/4, N/8, N/16)")
    return num, den


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "structure",
        help="bars, repeated motifs and sections of stems or a mix",
        description="Analyse stems (one file per track, starting together) or one mix: "
        "bars, each track's motif per bar (repeat, variation or new) and the sections "
        "(A … B … A). Prints the form.",
    )
    parser.add_argument("files", nargs="+", type=Path, help="audio files, one track each")
    parser.add_argument("--json", type=Path, default=None, help="write the form as JSON here")
    parser.add_argument("--png", type=Path, default=None, help="draw the form as a PNG here")
    parser.add_argument("--tempo", type=TEMPO, default=None, help="BPM (else found from the audio)")
    parser.add_argument(
        "--meter",
        type=parse_meter,
        default=None,
        help="time signature (e.g. 4/4, 7/8); with --tempo the files start on a downbeat",
    )
    parser.set_defaults(func=run_structure)


def print_form(structure, names: dict[str, str]) -> None:
    """The form on stdout: sections, then one line per bar with each track's motif."""
    print(f"tempo {structure.tempo:.1f} BPM, {len(structure.bars)} bars")
    print(
        "sections: "
        + "  ".join(f"{s.label} {s.start_bar}-{s.end_bar - 1}" for s in structure.sections)
    )
    tracks = list(structure.tracks)
    header = "bar  start_s  sec  " + "  ".join(f"{names[t][:10]:10s}" for t in tracks)
    print(header)
    per_bar = structure.to_json(names)["bars"]
    for bar in per_bar:
        cells = "  ".join(f"{(bar['motifs'][names[t]] or '-'):10s}" for t in tracks)
        print(f"{bar['index']:3d}  {bar['start_s']:7.2f}  {bar['section']:3s}  {cells}")


def run_structure(args: argparse.Namespace) -> int:
    from models.audio_io import AudioFileError, read_audio
    from models.structure import analyse_signals
    from models.structure.offline import SteadyTransport
    from models.structure.picture import draw

    if args.meter is not None and args.tempo is None:
        log.error("--meter needs --tempo (the bars then start at 0 s)")
        return 2
    if args.png is not None and args.png.suffix.lower() != ".png":
        log.error("%s: --png writes a PNG (give a .png path)", args.png)
        return 2
    stems = [path.stem for path in args.files]
    if len(set(stems)) != len(stems):
        log.error(
            "two files have the same name (%s); the JSON keys tracks by file stem", ", ".join(stems)
        )
        return 2
    signals = {}
    try:
        for path in args.files:
            samples, rate = read_audio(path)
            signals[path.stem] = (samples, rate)
    except AudioFileError as exc:
        log.error("%s", exc)
        return 2
    transport = None if args.meter is None else SteadyTransport(args.tempo, *args.meter)
    try:
        structure = analyse_signals(signals, transport=transport, tempo=args.tempo)
    except ValueError as exc:
        log.error("cannot analyse: %s", exc)
        return 2
    names = {name: name for name in structure.tracks}
    if not structure.bars:
        log.error("no bars found: the audio is too short or silent")
        return 2
    print_form(structure, names)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(structure.to_json(names), indent=1) + "\n")
        log.info("wrote %s", args.json)
    if args.png is not None:
        args.png.parent.mkdir(parents=True, exist_ok=True)
        draw(structure, names).save(args.png, optimize=True)
        log.info("wrote %s", args.png)
    return 0
