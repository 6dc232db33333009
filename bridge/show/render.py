"""``synaesthete render``: audio stems (or a mix) to a video, offline, on injected time.

The very show the live bridge runs (:class:`bridge.show.show.Show`), with stems from files
as its track source and the look-ahead picture feed: frame ``i`` is at ``t = i / fps``, each
track's analysis has seen exactly the audio up to ``t``, and every track gets a new picture
every frame. The result is the same video every time, faster than real time, with the stems'
mix muxed in as its sound track. :func:`render_stills` runs the same show and keeps only
chosen frames (``synaesthete storyboard``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.generate.feeds import LookaheadFeed, Stem
from bridge.show.colour import DEFAULT_COLOUR
from bridge.show.compositions import DEFAULT_COMPOSITION
from bridge.show.looks import Looks, master_with
from bridge.show.presets import Preset, apply_preset
from bridge.show.render_generators import render_engine, style_processes
from bridge.show.show import Show
from bridge.show.sources import FileSource
from bridge.show.structure_feed import FileStructureFeed
from bridge.simulate.simulator import PALETTE
from models.analysis import DEFAULT_ANALYSIS
from models.audio_io import read_audio
from models.resample import resample

log = logging.getLogger(__name__)

#: Seconds a stem's layer takes to fade in at the start of a render.
RENDER_FADE_IN = 0.25
#: Frames per generator call offline (every track of a style, this many frames at once;
#: :class:`~bridge.generate.feeds.LookaheadFeed`): fewer, bigger calls; the same pictures.
RENDER_BATCH_FRAMES = 4
#: BLAS threads of the drawing process while a render draws (:func:`blas_limit`).
RENDER_BLAS_THREADS = 1
#: The interpreter's thread switch interval (s) while a render draws (Python's default is
#: 0.005): the drawing thread gives up the GIL in every numpy or GL call that releases it,
#: and then waited up to 5 ms for it behind the encoder's and the generator pipe's threads
#: (a 10-s render's main thread: 16.7 → 12.8 s in cProfile, the analysis 1.5 → 0.5 s).
RENDER_SWITCH_INTERVAL = 0.0005


def load_stems(paths: list[Path], *, style: str, blend: str) -> list[Stem]:
    """Read audio files as stems (raises AudioFileError), resampled to the analysis rate."""
    stems = []
    for i, path in enumerate(paths):
        audio, rate = read_audio(path)
        stems.append(
            Stem(
                name=Path(path).stem,
                audio=resample(audio, rate, DEFAULT_ANALYSIS.sample_rate),
                color=PALETTE[i % len(PALETTE)],
                blend=blend,
                style=style,
                rate=DEFAULT_ANALYSIS.sample_rate,
            )
        )
    return stems


def mixdown(tracks: list[np.ndarray]) -> np.ndarray:
    """Mono tracks (of one rate) summed, peak-limited to 0.99: a video's sound track."""
    length = max(track.size for track in tracks)
    mix = np.zeros(length, np.float64)
    for track in tracks:
        mix[: track.size] += track
    peak = float(np.abs(mix).max()) if mix.size else 0.0
    if peak > 0.99:
        mix *= 0.99 / peak
    return mix.astype(np.float32)


@dataclass(frozen=True)
class ShowLook:
    """How an offline show looks from its first frame: the composition (layout), the colour
    mode, whether the music's structure shows, whether the form strip is drawn, how much
    of its style's expression head every layer gets, and how ink is drawn (all of them
    switchable live in the bridge; `--composition`, `--colour`, `--no-structure`, `--form`,
    `--expression`, `--ink` and `--look` on the command line)."""

    composition: str = DEFAULT_COMPOSITION
    colour: str = DEFAULT_COLOUR
    structure: bool = True
    form: bool = False
    expression: float = 1.0
    ink: str = "stroke"
    #: A saved look (`--look`): its master settings and each named track's layer look,
    #: applied before the first frame (after the settings above).
    preset: Preset | None = None


def offline_show(
    stems: Sequence[Stem],
    compositor,  # renderer.compositor.Compositor
    generator_for: Callable[[str], object],
    *,
    fps: float,
    n_frames: int,
    tempo: float | None = None,
    meter: tuple[int, int] = (4, 4),
    look: ShowLook = ShowLook(),
    batch_frames: int = RENDER_BATCH_FRAMES,
) -> tuple[Show, LookaheadFeed]:
    """The offline show on ``compositor``: stems as tracks, pictures generated ahead
    (``batch_frames`` frames per generator call), the layout, colour mode and structure
    ``look`` says; call ``show.update(i / fps)`` for frame ``i``. With a ``tempo`` (BPM)
    the stems start on a downbeat of bars in ``meter`` (``(numerator, denominator)``),
    which is where the structure's bars fall (:class:`FileStructureFeed`; a meter other
    than 4/4 without a tempo raises ``ValueError``)."""
    feed = LookaheadFeed(
        list(stems), generator_for, fps=fps, n_frames=n_frames, batch_frames=batch_frames
    )
    looks = Looks(
        fade_in=RENDER_FADE_IN,
        composition=look.composition,
        colour_mode=look.colour,
        expression=look.expression,
    )
    looks.structure_on, looks.form_on = look.structure, look.form
    looks.master = master_with(looks.master, "ink", look.ink)
    if look.preset is not None:
        apply_preset(looks, look.preset)
    bars = FileStructureFeed(stems, tempo, meter) if look.structure or look.form else None
    show = Show(FileSource(stems, tempo), feed, compositor, looks=looks, structure=bars)
    return show, feed


def blas_limit(threads: int | None) -> AbstractContextManager:
    """This process's BLAS limited to ``threads`` while in force (None: left as it is).

    The render's matrix products are small (a few frames' mel bands per track and frame):
    OpenBLAS splits them with a helper thread that must wait for a core between calls,
    and the rasteriser, the encoder and the generator are using both (the live show runs
    with one for the same reason, :meth:`bridge.show.live.LiveShow.run`). The products
    have the same bits either way here (renders with and without the limit gave the same
    video byte for byte).
    """
    if threads is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


@contextmanager
def drawing_thread_first(
    blas_threads: int | None = RENDER_BLAS_THREADS,
    switch_interval: float = RENDER_SWITCH_INTERVAL,
) -> Iterator[None]:
    """While frames are drawn: BLAS limited (:func:`blas_limit`) and the GIL handed over
    every ``switch_interval`` seconds at most (restored on exit). Neither changes a bit
    of the video, only how long the drawing thread waits."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, switch_interval))
    try:
        with blas_limit(blas_threads):
            yield
    finally:
        sys.setswitchinterval(previous)


def _check_meter(tempo: float | None, meter: tuple[int, int]) -> None:
    """Raise ``ValueError`` before any process starts for a meter the bars cannot follow."""
    if not tempo and meter != (4, 4):
        raise ValueError(f"a meter of {meter[0]}/{meter[1]} needs a tempo (bars from 0 s)")


def stems_duration(stems: Sequence[Stem], seconds: float | None = None) -> float:
    """Seconds of the longest stem, or ``seconds`` if that is shorter."""
    length = max(s.audio.size / s.rate for s in stems)
    return min(length, seconds) if seconds is not None else length


def render_stems(
    stems: list[Stem],
    out: Path,
    *,
    fps: float = 30.0,
    size: tuple[int, int] = (1280, 720),
    seconds: float | None = None,
    tempo: float | None = None,
    meter: tuple[int, int] = (4, 4),
    preset: str = "veryfast",
    threads: int = 1,
    progress: bool = True,
    look: ShowLook = ShowLook(),
    batch_frames: int = RENDER_BATCH_FRAMES,
    write_ahead: int | None = None,
    engine: str | None = None,
    device: str = "auto",
    precision: str = "fast",
    blas_threads: int | None = RENDER_BLAS_THREADS,
    generators: Callable[[str], object] | None = None,
) -> dict[str, float]:
    """Render stems to ``out`` (.mp4/.mov/.mkv, or a directory for PNG frames), looking as
    ``look`` says (layout, colour mode, structure, form strip). ``tempo`` (BPM) and
    ``meter`` (``(numerator, denominator)``, 4/4 by default) place the bars from 0 s.

    ``batch_frames`` frames of every track of a style go to its generator in one call;
    ``write_ahead`` frames may wait for the encoder's own thread (None: the default of
    :func:`renderer.offline.render_to_sink`; 0: encode on this thread). Neither changes the
    video, only the wall time. ``generators``: each style's generator, started by the
    caller (:func:`~bridge.show.render_generators.style_processes`; then ``threads``,
    ``engine``, ``device`` and ``precision`` are the caller's); None starts them here.
    ``engine`` is the generators' (:func:`~bridge.show.render_generators.render_engine`;
    None: ``compiled`` for a long render, else ``cached``: compiled where the package is
    built, else eager), ``device`` where they run
    (``auto|cpu|cuda|mps``) and ``precision`` how (``auto|float32|float16|bfloat16``,
    :class:`models.style.Style`). One engine serves the whole render, so no frame differs
    from its neighbours by the engine's last bits. ``blas_threads`` limits this process's BLAS
    while frames are drawn (:func:`drawing_thread_first`; None: as it is).

    Returns a summary: frames, seconds of video, wall seconds, images generated, generator
    calls.

    Raises:
        ValueError: no stems, an output that is neither a video nor a folder, or a meter
            other than 4/4 without a tempo.
    """
    from renderer.headless import HeadlessRenderer
    from renderer.offline import WRITE_AHEAD, render_to_sink
    from renderer.video import VIDEO_SUFFIXES, AudioTrack, PngSequenceWriter, VideoWriter

    if not stems:
        raise ValueError("nothing to render: give at least one audio file")
    _check_meter(tempo, meter)
    if out.suffix.lower() not in VIDEO_SUFFIXES and out.suffix and not out.is_dir():
        raise ValueError(
            f"{out}: write a video ({', '.join(VIDEO_SUFFIXES)}) or PNG frames into a folder "
            "(a path without a suffix, or a folder that exists)"
        )
    duration = stems_duration(stems, seconds)
    n_frames = max(1, round(duration * fps))
    if generators is None:
        processes = style_processes(
            [stem.style for stem in stems],
            threads,
            engine=render_engine(n_frames * len(stems), engine),
            device=device,
            precision=precision,
        )
    else:
        processes = nullcontext(generators)
    with processes as generator_for:
        rate = stems[0].rate
        mix = mixdown([resample(stem.audio, stem.rate, rate) for stem in stems])
        audio = AudioTrack.from_array(mix[: round(duration * rate)], rate)
        with HeadlessRenderer(size) as renderer:
            compositor = renderer.compositor
            for style in sorted({stem.style for stem in stems}):
                generator_for(style)  # ready (or its error) before the video is opened
            show, feed = offline_show(
                stems,
                compositor,
                generator_for,
                fps=fps,
                n_frames=n_frames,
                tempo=tempo,
                meter=meter,
                look=look,
                batch_frames=batch_frames,
            )
            if out.suffix.lower() in VIDEO_SUFFIXES:
                sink = VideoWriter(out, size, fps, preset=preset, audio=audio)
            else:
                sink = PngSequenceWriter(out, size, fps, audio=audio)
            with drawing_thread_first(blas_threads):
                summary = render_to_sink(
                    compositor,
                    sink,
                    n_frames=n_frames,
                    update=lambda _index, t: show.update(t),
                    progress=progress,
                    description=f"rendering {out.name}",
                    write_ahead=WRITE_AHEAD if write_ahead is None else write_ahead,
                )
            feed.finish()
    return {
        "frames": summary.frames,
        "video_seconds": summary.seconds,
        "wall_seconds": summary.wall_seconds,
        "images": feed.images,
        "calls": feed.calls,
    }


def render_stills(
    stems: list[Stem],
    frames: Sequence[int],
    *,
    fps: float = 30.0,
    size: tuple[int, int] = (1280, 720),
    tempo: float | None = None,
    meter: tuple[int, int] = (4, 4),
    threads: int = 1,
    progress: bool = True,
    look: ShowLook = ShowLook(),
    precision: str = "fast",
) -> list[np.ndarray]:
    """Frames ``frames`` (indices at ``fps``) of the render :func:`render_stems` would make,
    each H×W×3 uint8. Every frame up to the last is drawn (crossfades, fades and the
    stage's role estimates depend on what came before); only the chosen are read back.

    Raises:
        ValueError: no stems, no frame or a negative one, or a meter other than 4/4
            without a tempo.
    """
    from tqdm import tqdm

    from renderer.headless import HeadlessRenderer

    if not stems:
        raise ValueError("nothing to render: give at least one audio file")
    _check_meter(tempo, meter)
    wanted = sorted(set(frames))
    if not wanted or wanted[0] < 0:
        raise ValueError("give at least one frame index, none negative")
    n_frames = wanted[-1] + 1
    stills: dict[int, np.ndarray] = {}
    with (
        style_processes(
            [stem.style for stem in stems], threads, engine="cached", precision=precision
        ) as generator_for,
        HeadlessRenderer(size) as renderer,
    ):
        compositor = renderer.compositor
        show, feed = offline_show(
            stems,
            compositor,
            generator_for,
            fps=fps,
            n_frames=n_frames,
            tempo=tempo,
            meter=meter,
            look=look,
        )
        keep = set(wanted)
        with drawing_thread_first():
            for index in tqdm(range(n_frames), desc="storyboard", disable=not progress):
                t = index / fps
                features, beat = show.update(t)
                compositor.render(t, features, beat)
                if index in keep:
                    stills[index] = compositor.read()
        feed.finish()
    return [stills[index] for index in frames]
