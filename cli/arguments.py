"""Argument types shared by every subcommand: every number a user types is checked.

A negative, zero, NaN, infinite or absurd value is an argparse error naming the option and
its range (exit 2, no traceback).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers in ``[lo, hi]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {lo} to {hi}, got {text!r}"
            ) from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be from {lo} to {hi}, got {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def number(
    lo: float, hi: float, *, above: bool = False, below: bool = False
) -> Callable[[str], float]:
    """An argparse ``type`` accepting finite numbers in ``[lo, hi]``; ``above``/``below``
    exclude ``lo``/``hi`` themselves."""
    left, right = "(" if above else "[", ")" if below else "]"
    span = f"in {left}{lo:g}, {hi:g}{right}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number {span}, got {text!r}") from None
        inside = (lo < value if above else lo <= value) and (value < hi if below else value <= hi)
        if not math.isfinite(value) or not inside:
            raise argparse.ArgumentTypeError(f"must be a number {span}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def parse_size(text: str) -> tuple[int, int]:
    """Parse "WIDTHxHEIGHT" (e.g. 1280x720) for argparse: 16 … 8192 pixels per side."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, got {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size must be 16..8192 per side, got {text!r}")
    return width, height


PORT = whole(0, 65535)
THREADS = whole(1, 1024)
SEED = whole(0, 2**32 - 1)
FPS = number(1.0, 240.0)
SECONDS = number(0.0, 7 * 24 * 3600.0, above=True)
TEMPO = number(20.0, 999.0)
