"""An offline render's generator processes: which engine they run and starting them.

Cheap to import (no torch, no scipy): ``synaesthete render`` starts the processes first, so
they import torch and load their styles while the drawing process imports the show and
reads the stems (:func:`bridge.show.render.render_stems` takes them ready-started).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

#: Pictures from which a render compiles its generators (``engine="compiled"``, 1.6–1.8×
#: the eager pictures per second) even where the style's package must first be built (~30 s
#: on two cores, :mod:`models.aot`): each picture saves ~2.5 ms, so this many pay for a
#: build. A shorter render runs the package where it is already built (any live show or
#: earlier render builds it; loading takes milliseconds), else eager (``"cached"``).
COMPILE_PAYS_PICTURES = 6000


def render_engine(pictures: int, engine: str | None = None) -> str:
    """The generators' engine for a render of ``pictures`` pictures: ``engine`` where one
    is asked for, else ``"compiled"`` from :data:`COMPILE_PAYS_PICTURES` on, else
    ``"cached"`` (:class:`models.style.Style`)."""
    if engine is not None:
        return engine
    return "compiled" if pictures >= COMPILE_PAYS_PICTURES else "cached"


def planned_pictures(paths: Sequence[Path], fps: float, seconds: float | None = None) -> int:
    """How many pictures a render of these files makes (one per file and frame, for the
    longest file or ``seconds`` if shorter), from their headers; 0 where a header cannot
    be read (reading the file itself then reports why)."""
    import soundfile

    try:
        longest = max(soundfile.info(str(path)).duration for path in paths)
    except (RuntimeError, OSError, ValueError):  # soundfile.LibsndfileError is a RuntimeError
        return 0
    duration = min(longest, seconds) if seconds is not None else longest
    return len(paths) * max(1, round(duration * fps))


@contextmanager
def style_processes(
    styles: Iterable[str],
    threads: int,
    *,
    engine: str | None = None,
    device: str | None = None,
    precision: str | None = None,
) -> Iterator[Callable[[str], object]]:
    """One generator process per style named, all started on entry (they load their styles
    at once, while the caller prepares the rest), closed on exit; yields
    ``generator_for(style)``, which waits for that style's process to be ready (starting
    one for a style not named) and raises its error (``ValueError``: e.g. an unknown
    style). ``engine`` (``eager``, ``compiled``, ``cached`` …), ``device``
    (``auto|cpu|cuda|mps``) and ``precision`` are passed on to each process when given.

    (Before the generator processes stopped importing ``torch._dynamo`` and the drawing
    process stopped importing torch, starting them while the rest was prepared was measured
    and not kept: 3.5–3.6 s against 3.4 s on two cores, both sides busy.)
    """
    from bridge.generate.generator_process import RemoteStyle

    options: dict[str, object] = {"threads": threads}
    if engine is not None:
        options["engine"] = engine
    if device is not None:
        options["device"] = device
    if precision is not None:
        options["precision"] = precision
    started: dict[str, RemoteStyle] = {}

    def start(name: str) -> RemoteStyle:
        if name not in started:
            started[name] = RemoteStyle(name, wait=False, **options)  # type: ignore[arg-type]
        return started[name]

    def generator_for(name: str) -> RemoteStyle:
        return start(name).ready()

    try:
        for name in sorted(set(styles)):
            start(name)
        yield generator_for
    finally:
        for style in started.values():
            style.close(wait=False)  # the pictures are all in: no need to see them exit
