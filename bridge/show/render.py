"""``synaesthete render``: audio stems (or a mix) to a video, offline, on injected time.

The very show the live bridge runs (:class:`bridge.show.show.Show`), with stems from files
as its track source and the look-ahead picture feed: frame ``i`` is at ``t = i / fps``, each
track's analysis has seen exactly the audio up to ``t``, and every track gets a new picture
every frame. The result is the same video every time, faster than real time, with the stems'
mix muxed in as its sound track.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bridge.generate.feeds import LookaheadFeed, Stem
from bridge.show.looks import Looks
from bridge.show.show import Show
from bridge.show.sources import FileSource
from bridge.simulate.simulator import PALETTE
from models.analysis import DEFAULT_ANALYSIS
from models.audio_io import read_audio
from models.resample import resample

log = logging.getLogger(__name__)

#: Seconds a stem's layer takes to fade in at the start of a render.
RENDER_FADE_IN = 0.25


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


def render_stems(
    stems: list[Stem],
    out: Path,
    *,
    fps: float = 30.0,
    size: tuple[int, int] = (1280, 720),
    seconds: float | None = None,
    tempo: float | None = None,
    preset: str = "veryfast",
    threads: int = 1,
    progress: bool = True,
) -> dict[str, float]:
    """Render stems to ``out`` (.mp4/.mov/.mkv, or a directory for PNG frames).

    Returns a summary: frames, seconds of video, wall seconds, images generated.
    """
    from bridge.generate.generator_process import RemoteStyle
    from renderer.headless import HeadlessRenderer
    from renderer.offline import render_to_sink
    from renderer.video import VIDEO_SUFFIXES, AudioTrack, PngSequenceWriter, VideoWriter

    if not stems:
        raise ValueError("nothing to render: give at least one audio file")
    if out.suffix and out.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(
            f"{out}: write a video ({', '.join(VIDEO_SUFFIXES)}) or PNG frames into a folder "
            "(a path without a suffix)"
        )
    length = max(s.audio.size / s.rate for s in stems)
    duration = min(length, seconds) if seconds is not None else length
    n_frames = max(1, round(duration * fps))
    styles: dict[str, RemoteStyle] = {}

    def generator_for(name: str) -> RemoteStyle:
        if name not in styles:
            styles[name] = RemoteStyle(name, threads=threads)
        return styles[name]

    for name in {stem.style for stem in stems}:
        generator_for(name)  # start (and check) every style before opening the output

    rate = stems[0].rate
    mix = mixdown([resample(stem.audio, stem.rate, rate) for stem in stems])
    audio = AudioTrack.from_array(mix[: round(duration * rate)], rate)
    if out.suffix.lower() in VIDEO_SUFFIXES:
        sink = VideoWriter(out, size, fps, preset=preset, audio=audio)
    else:
        sink = PngSequenceWriter(out, size, fps, audio=audio)
    try:
        with HeadlessRenderer(size) as renderer:
            compositor = renderer.compositor
            feed = LookaheadFeed(stems, generator_for, fps=fps, n_frames=n_frames)
            show = Show(
                FileSource(stems, tempo), feed, compositor, looks=Looks(fade_in=RENDER_FADE_IN)
            )
            summary = render_to_sink(
                compositor,
                sink,
                n_frames=n_frames,
                update=lambda _index, t: show.update(t),
                progress=progress,
                description=f"rendering {out.name}",
            )
            feed.finish()
    finally:
        for style in styles.values():
            style.close()
    return {
        "frames": summary.frames,
        "video_seconds": summary.seconds,
        "wall_seconds": summary.wall_seconds,
        "images": feed.images,
    }
