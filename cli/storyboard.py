"""``synaesthete storyboard``: frames of an offline render on one contact sheet.

The frames are those ``synaesthete render`` would write (the same show on injected time), one
every N beats or seconds, laid out in a grid with their time under each: for the
documentation, for choosing a composition or a look, for reviewing a set at a glance.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cli.arguments import FPS, SECONDS, TEMPO, THREADS, number, parse_size, whole
from cli.show import add_composition_option, add_meter_option, meter_of, show_look
from models.paths import DEFAULT_STYLE

log = logging.getLogger("synaesthete")

#: Most frames one sheet holds (a 16-s loop every beat is 33).
MAX_FRAMES = 96
#: Pixels around and between thumbnails, and the height of a label line.
GAP = 8
LABEL_HEIGHT = 18
TITLE_HEIGHT = 26


def register(subparsers: argparse._SubParsersAction) -> None:
    board = subparsers.add_parser(
        "storyboard",
        help="frames of a render every N beats or seconds, in a grid with their times",
        description="Render stems offline (exactly as `synaesthete render` does) and put one "
        "frame every N beats (--beats, needs --tempo) or seconds (without --beats, the default) "
        "on one PNG contact sheet, each labelled with its time.",
    )
    board.add_argument("files", nargs="+", type=Path, help="audio files, one layer each")
    board.add_argument("-o", "--out", type=Path, required=True, help="the sheet (.png)")
    board.add_argument(
        "--every",
        type=number(0.01, 3600.0),
        default=None,
        help="a frame every N seconds (2), or N beats with --beats (4)",
    )
    board.add_argument("--beats", action="store_true", help="--every counts beats (needs --tempo)")
    board.add_argument("--tempo", type=TEMPO, default=None, help="BPM (beats, bar labels)")
    add_meter_option(board)
    board.add_argument(
        "--beats-per-bar",
        type=whole(1, 99),
        default=None,
        help="quarters per bar for the labels (4, or --meter's)",
    )
    add_composition_option(board)
    board.add_argument(
        "--style", default=DEFAULT_STYLE, help=f"style for every layer ({DEFAULT_STYLE})"
    )
    board.add_argument("--blend", default="screen", help="blend mode for every layer (screen)")
    board.add_argument(
        "--size", type=parse_size, default=(1280, 720), help="rendered frame WxH (1280x720)"
    )
    board.add_argument("--fps", type=FPS, default=30.0, help="render frame rate (30)")
    board.add_argument(
        "--seconds",
        "--duration",
        dest="duration",
        type=SECONDS,
        default=None,
        help="only the first this many seconds (as render's --seconds)",
    )
    board.add_argument("--columns", type=whole(1, 32), default=4, help="thumbnails per row (4)")
    board.add_argument(
        "--thumb-width", type=whole(32, 3840), default=320, help="thumbnail width in pixels (320)"
    )
    board.add_argument(
        "--threads", type=THREADS, default=1, help="torch threads of the generator process (1)"
    )
    board.add_argument("--quiet-progress", action="store_true", help="no progress bar")
    board.set_defaults(func=run_storyboard)


def frame_times(duration: float, every: float, *, beats: bool, tempo: float | None) -> list[float]:
    """Seconds of the frames to show: one every ``every`` beats (at ``tempo`` BPM) or
    seconds, from the end of the first interval up to ``duration`` (the picture at 0 s is
    still fading in), at most :data:`MAX_FRAMES`.

    Raises:
        ValueError: beats without a tempo, or no frame fits in ``duration``.
    """
    if beats and not tempo:
        raise ValueError("--beats needs --tempo (the stems' BPM)")
    step = every * 60.0 / tempo if beats and tempo else every
    count = min(MAX_FRAMES, int(duration / step + 1e-9))
    if count < 1:
        raise ValueError(f"nothing to show: the render is {duration:.2f} s, the step {step:.2f} s")
    return [step * (k + 1) for k in range(count)]


def time_label(t: float, tempo: float | None, beats_per_bar: float) -> str:
    """``m:ss.s``, with ``bar.beat`` (1-based; beats are quarters, ``beats_per_bar`` of
    them a bar: 3.5 in 7/8) when the tempo is known."""
    # tenths cut, not rounded: a last frame 1/30 s before a bar must not read as on it
    minutes, seconds = divmod(math.floor(t * 10.0 + 1e-6) / 10.0, 60.0)
    text = f"{int(minutes)}:{seconds:04.1f}"
    if tempo:
        beat = round(t * tempo / 60.0, 1)  # a frame a hair before a beat is on it
        bar, within = divmod(beat, beats_per_bar)
        text += f"  bar {int(bar) + 1}.{int(within) + 1}"
    return text


def contact_sheet(
    stills: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    columns: int,
    thumb_width: int,
    title: str = "",
):  # -> PIL.Image.Image
    """Thumbnails of ``stills`` (each H×W×3 uint8, one size) in rows of ``columns``, each
    with its label underneath, on a dark sheet with ``title`` at the top."""
    from PIL import Image, ImageDraw, ImageFont

    if not stills or len(stills) != len(labels):
        raise ValueError("give one label per still, and at least one still")
    height, width = stills[0].shape[:2]
    thumb_height = max(1, round(height * thumb_width / width))
    columns = min(columns, len(stills))
    rows = -(-len(stills) // columns)
    top = TITLE_HEIGHT if title else 0
    sheet = Image.new(
        "RGB",
        (
            GAP + columns * (thumb_width + GAP),
            top + GAP + rows * (thumb_height + LABEL_HEIGHT + GAP),
        ),
        (24, 24, 24),
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    if title:
        draw.text((GAP, 6), title, fill=(230, 230, 230), font=ImageFont.load_default(size=15))
    for i, (still, label) in enumerate(zip(stills, labels, strict=True)):
        row, column = divmod(i, columns)
        x = GAP + column * (thumb_width + GAP)
        y = top + GAP + row * (thumb_height + LABEL_HEIGHT + GAP)
        thumb = Image.fromarray(np.ascontiguousarray(still[..., :3])).resize(
            (thumb_width, thumb_height), Image.Resampling.LANCZOS
        )
        sheet.paste(thumb, (x, y))
        draw.text((x + 2, y + thumb_height + 2), label, fill=(200, 200, 200), font=font)
    return sheet


def run_storyboard(args: argparse.Namespace) -> int:
    from bridge.show.render import load_stems, render_stills, stems_duration
    from models.audio_io import AudioFileError
    from renderer.modes import BLEND_MODES

    if args.blend not in BLEND_MODES:
        log.error("--blend must be one of %s", ", ".join(BLEND_MODES))
        return 2
    if args.out.suffix.lower() != ".png":
        log.error("%s: the storyboard is a PNG (give a .png path)", args.out)
        return 2
    every = args.every if args.every is not None else (4.0 if args.beats else 2.0)
    try:
        meter = meter_of(args)
        bar_quarters = meter[0] * 4 / meter[1]
        given = args.beats_per_bar
        if given is not None and args.meter is not None and given != bar_quarters:
            raise ValueError(
                f"--beats-per-bar {given} contradicts --meter "
                f"{meter[0]}/{meter[1]} ({bar_quarters:g} quarters a bar); give one"
            )
        per_bar = given if given is not None else bar_quarters
        stems = load_stems(args.files, style=args.style, blend=args.blend)
        duration = stems_duration(stems, args.duration)
        times = frame_times(duration, every, beats=args.beats, tempo=args.tempo)
        indices = [min(round(t * args.fps), max(0, round(duration * args.fps) - 1)) for t in times]
        stills = render_stills(
            stems,
            indices,
            fps=args.fps,
            size=args.size,
            tempo=args.tempo,
            meter=meter,
            threads=args.threads,
            progress=not args.quiet_progress,
            look=show_look(args),
        )
    except (AudioFileError, ValueError, OSError) as exc:
        log.error("%s", exc)
        return 2
    labels = [time_label(i / args.fps, args.tempo, per_bar) for i in indices]
    unit = "beats" if args.beats else "s"
    title = (
        f"{', '.join(stem.name for stem in stems)}  ·  {args.composition}  ·  {args.colour} colour"
        f"  ·  every {every:g} "
        f"{unit}  ·  {args.style}"
    )
    if args.expression < 1.0:
        title += f" at expression {args.expression:g}"
    sheet = contact_sheet(
        stills, labels, columns=args.columns, thumb_width=args.thumb_width, title=title
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}: {len(stills)} frames", file=sys.stderr)
    return 0
