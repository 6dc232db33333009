"""The `synaesthete` console script: one entry point, one subcommand per job.

The ``cli`` package owns the console script; each of its modules registers one area's
subcommands and calls into that area: ``cli.show`` (bridge, demo, render, simulate),
``cli.storyboard`` (contact sheets of an offline render), ``cli.structure`` (bars, motifs
and sections of stems or a mix),
``cli.models`` (train, draw, cycle, evaluate, styles), ``cli.renderer`` (preview of synthetic
ink layers), ``cli.device`` (build-device, read-device) and ``cli.rig`` (devices: the
sound-card inputs). They are cheap to import: anything
heavy (torch, moderngl) is imported inside the function that runs a command, so
``synaesthete simulate`` starts in well under a second.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

#: Modules that contribute subcommands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "cli.show",
    "cli.storyboard",
    "cli.structure",
    "cli.models",
    "cli.renderer",
    "cli.device",
    "cli.rig",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="synaesthete",
        description="Real-time synaesthetic visuals for electronic music.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (repeatable)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def configure_logging(verbose: int, quiet: bool) -> None:
    """Log to stderr, one line per record, with the component's name."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 0 else logging.INFO)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    configure_logging(args.verbose, args.quiet)
    previous = stop_on_sigterm()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Whoever read the output went away (``synaesthete structure … | head``): stop
        # quietly, as Unix tools do, and keep Python from failing again on flushing at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    finally:
        if previous is not None:  # main() called from other code leaves its handler as it was
            signal.signal(signal.SIGTERM, previous)


def stop_on_sigterm() -> Callable[..., object] | int | None:
    """Make SIGTERM (service managers, ``kill``) stop a command like Ctrl-C does, so the
    show closes its socket, generator processes and video file instead of dying mid-write.

    Returns the handler it replaced, or None when not on the main thread (then nothing
    changes: Python only lets the main thread install handlers).
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
