"""The one shape every picture generator takes in the bridge: submit, then collect.

A generator in a child process (:class:`bridge.generate.generator_process.RemoteStyle`) works while
the caller does something else — the offline render draws and encodes earlier frames — so
pictures are asked for in two steps. (The live worker submits and collects at once: it
measured better that way, see :meth:`bridge.generate.worker.InferenceWorker.step`.)
An in-process style (or a test's plain function) is wrapped by :class:`SyncGenerator`,
which does the work at :meth:`~Generator.submit`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
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

    def submit(self, windows: np.ndarray) -> None: ...

    def collect(self) -> np.ndarray: ...


class SyncGenerator:
    """A plain ``windows -> images`` function as a :class:`Generator` (works at submit)."""

    def __init__(self, generate: Callable[[np.ndarray], np.ndarray], info: object = None) -> None:
        self._generate = generate
        #: What the wrapped style says of itself (``models.style.describe`` reads it).
        self.info = info
        self._results: deque[tuple[np.ndarray, float]] = deque()
        self.last_seconds = 0.0

    def submit(self, windows: np.ndarray) -> None:
        started = time.perf_counter()
        images = self._generate(windows)
        self._results.append((images, time.perf_counter() - started))

    def collect(self) -> np.ndarray:
        if not self._results:
            raise RuntimeError("collect() without submit()")
        images, self.last_seconds = self._results.popleft()
        return images


def as_generator(style: object) -> Generator:
    """``style`` itself if it can submit and collect, else its ``audio_to_image`` wrapped."""
    if hasattr(style, "submit") and hasattr(style, "collect"):
        return style  # type: ignore[return-value]
    return SyncGenerator(style.audio_to_image, getattr(style, "info", None))  # type: ignore[attr-defined]
