"""The one shape every picture generator takes in the bridge: submit, then collect.

A generator in a child process (:class:`bridge.generate.generator_process.RemoteStyle`) works while
the caller does something else — the offline render draws and encodes earlier frames — so
pictures are asked for in two steps. (The live worker submits and collects at once: it
measured better that way, see :meth:`bridge.generate.worker.InferenceWorker.step`.)
An in-process style (or a test's plain function) is wrapped by :class:`SyncGenerator`,
which does the work at :meth:`~Generator.submit`.
"""

from __future__ import annotations

import inspect
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np


class GeneratorLostError(RuntimeError):
    """The generator itself is gone (its process died, hung or answered nonsense), not just
    one call: a new one may work where this one cannot, so the caller may start another."""


class Generator(Protocol):
    """Turns analysis windows into pictures, asynchronously.

    Several requests may be outstanding; :meth:`collect` returns their pictures in the
    order they were submitted.
    """

    #: Seconds the last collected request spent generating (not waiting to be collected).
    last_seconds: float

    def submit(self, windows: np.ndarray, expression: np.ndarray | None = None) -> None:
        """Start ``windows`` ``(B, mels, frames)``; ``expression``: ``(B,)`` head strengths
        in [0, 1] (:meth:`models.style.Style.audio_to_image`), None for the style's own."""

    def collect(self) -> np.ndarray: ...


def _takes_expression(generate: Callable[..., np.ndarray]) -> bool:
    try:
        return "expression" in inspect.signature(generate).parameters
    except (TypeError, ValueError):  # a builtin or C function: windows only
        return False


class SyncGenerator:
    """A plain ``windows -> images`` function as a :class:`Generator` (works at submit).
    A function with an ``expression`` parameter is handed the expressions; one without
    (a test's stand-in) draws every window as its style would."""

    def __init__(self, generate: Callable[..., np.ndarray], info: object = None) -> None:
        self._generate = generate
        self._expression = _takes_expression(generate)
        #: What the wrapped style says of itself (``models.style_interface.describe`` reads it).
        self.info = info
        self._results: deque[tuple[np.ndarray, float]] = deque()
        self.last_seconds = 0.0

    def submit(self, windows: np.ndarray, expression: np.ndarray | None = None) -> None:
        started = time.perf_counter()
        if self._expression and expression is not None:
            images = self._generate(windows, expression=expression)
        else:
            images = self._generate(windows)
        self._results.append((images, time.perf_counter() - started))

    def collect(self) -> np.ndarray:
        if not self._results:
            raise RuntimeError("collect() without submit()")
        images, self.last_seconds = self._results.popleft()
        return images


def submit_pictures(generator: Generator, windows: np.ndarray, expression: Sequence[float]) -> None:
    """Submit ``windows`` with one expression each, saying nothing of them where every one
    is 1.0 (the style as trained, the same bits), so a generator that knows no expression
    (a test's stand-in) serves every show that leaves them alone."""
    amounts = np.asarray(expression, np.float32)
    if amounts.size and np.all(amounts == 1.0):
        generator.submit(windows)
    else:
        generator.submit(windows, amounts)


def as_generator(style: object) -> Generator:
    """``style`` itself if it can submit and collect, else its ``audio_to_image`` wrapped."""
    if hasattr(style, "submit") and hasattr(style, "collect"):
        return style  # type: ignore[return-value]
    return SyncGenerator(style.audio_to_image, getattr(style, "info", None))  # type: ignore[attr-defined]
