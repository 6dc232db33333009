"""``synaesthete render``: audio stems (or a mix) to a video, offline, on injected time.

The same path as the live show — analysis windows, the style's generator, the looks, the
compositor — without sockets or pacing: frame ``i`` is at ``t = i / fps``, each track's
analysis has seen exactly the audio up to ``t``, and every track gets a new picture every
frame. The result is the same video every time, faster than real time, with the stems'
mix muxed in as its sound track.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.generate.analysis_feed import PendingAudio, TrackAnalyser, is_silent, normalised
from bridge.generate.generator_api import Generator
from bridge.ingest.registry import DeviceParams
from bridge.show.looks import Looks, TrackInfo
from bridge.simulate.simulator import PALETTE, stable_uuid
from models.analysis import DEFAULT_ANALYSIS
from models.audio_io import read_audio
from models.resample import resample
from renderer.settings import LayerFeatures

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stem:
    """One layer's audio: a name, mono samples at the analysis rate, and its look."""

    name: str
    audio: np.ndarray
    color: int
    blend: str = "screen"
    style: str = "squiggle"


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


#: Frames whose pictures are generated ahead of the one being drawn. Two keep the
#: generator process busy through the frame-to-frame jitter of drawing and encoding
#: (with one, each side waited on the other ~30 % of the time).
LOOKAHEAD = 2


@dataclass
class _Prepared:
    t: float
    groups: dict[str, list[int]]
    features: dict[Hashable, LayerFeatures]
    silent: list[int]  # tracks whose window is silence: no ink, no generator call


class OfflineScene:
    """Drives looks, analysis and generation for an offline render, frame by frame.

    ``generator_for(style)`` gives each style's :class:`Generator`; ``push_image`` and
    ``set_layer`` reach the compositor. :meth:`update` matches the renderer's offline
    ``FrameUpdate`` signature. While the caller draws and encodes frame ``i``, the
    generators already work on frames ``i + 1`` and ``i + 2`` (:data:`LOOKAHEAD`): their
    windows hold exactly the audio up to their own times, so looking ahead changes no
    picture, only the wall time. Frames must come in order (a jump restarts the look-ahead,
    but the analysis cannot rewind).
    """

    def __init__(
        self,
        stems: list[Stem],
        *,
        generator_for: Callable[[str], Generator],
        push_image: Callable[[Hashable, np.ndarray, float], None],
        set_layer: Callable[[Hashable, object], None],
        fps: float = 30.0,
        n_frames: int | None = None,
        tempo: float | None = None,
        fade_in: float = 0.25,
    ) -> None:
        self.stems = stems
        self.generator_for = generator_for
        self.push_image = push_image
        self.set_layer = set_layer
        self.fps = fps
        self.n_frames = n_frames
        self.tempo = tempo
        self.rate = DEFAULT_ANALYSIS.sample_rate
        self.looks = Looks(fade_in=fade_in)
        self.analysers = {i: TrackAnalyser() for i in range(len(stems))}
        self.positions = dict.fromkeys(range(len(stems)), 0)
        self.images = 0  # pictures generated (silent windows need none)
        self.image_size = 64  # of blank pictures; follows the generated ones
        self._prepared: deque[_Prepared] = deque()
        self.looks.sync(self._infos())

    def _infos(self) -> list[TrackInfo]:
        return [
            TrackInfo(
                key=i,
                uuid=stable_uuid(f"{i}:{stem.name}"),
                name=stem.name,
                color=stem.color,
                track_index=i,
                live=True,
                params=DeviceParams(blend=stem.blend, style=stem.style),
                params_version=1,
            )
            for i, stem in enumerate(self.stems)
        ]

    def _analyse_until(self, t: float) -> dict[Hashable, LayerFeatures]:
        end = round(t * self.rate)
        features: dict[Hashable, LayerFeatures] = {}
        for key, stem in enumerate(self.stems):
            start = self.positions[key]
            chunk = stem.audio[start:end] if end > start else np.zeros(0, np.float32)
            if end > stem.audio.size and start < end:  # past the stem's end: silence
                chunk = np.concatenate([chunk, np.zeros(end - max(start, stem.audio.size))])
            self.positions[key] = max(start, end)
            analyser = self.analysers[key]
            analyser.update(PendingAudio(chunk.astype(np.float32), self.rate, 0, None))
            features[key] = LayerFeatures(*normalised(analyser.features))
        return features

    def _prepare(self, t: float) -> None:
        """Analyse up to ``t`` and start generating that instant's pictures.

        Silent windows are not generated (they show no ink, as live); styles give the same
        picture for a window in any batch, so leaving them out changes no other picture.
        """
        features = self._analyse_until(t)
        groups: dict[str, list[int]] = {}
        silent = []
        for key, analyser in self.analysers.items():
            if is_silent(analyser.window()):
                silent.append(key)
            else:
                groups.setdefault(self.looks.style(key), []).append(key)
        for style, keys in groups.items():
            windows = np.stack([self.analysers[k].window() for k in keys])
            self.generator_for(style).submit(windows)
        self._prepared.append(_Prepared(t, groups, features, silent))

    def update(self, index: int, t: float) -> tuple[dict[Hashable, LayerFeatures], float | None]:
        if not self._prepared or abs(self._prepared[0].t - t) > 1e-9:
            self.finish()  # frames out of order: drop the look-ahead
            self._prepare(t)
        prepared = self._prepared.popleft()
        for style, keys in prepared.groups.items():
            images = self.generator_for(style).collect()
            self.image_size = images.shape[-1]
            for key, image in zip(keys, images, strict=True):
                self.push_image(key, image, t)
                self.images += 1
        for key in prepared.silent:
            self.push_image(key, np.zeros((self.image_size, self.image_size), np.uint8), t)
        self.looks.advance(t)
        for key in self.analysers:
            self.set_layer(key, self.looks.settings(key))
        # The next frames generate while this one draws.
        while len(self._prepared) < LOOKAHEAD:
            step = len(self._prepared) + 1
            if self.n_frames is not None and index + step >= self.n_frames:
                break
            self._prepare(t + step / self.fps)
        beat_phase = None
        if self.tempo:
            beats = t * self.tempo / 60.0
            beat_phase = beats - np.floor(beats)
        return prepared.features, beat_phase

    def finish(self) -> None:
        """Collect look-ahead nobody will draw (so generators are idle again)."""
        while self._prepared:
            for style in self._prepared.popleft().groups:
                self.generator_for(style).collect()


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
    length = max(s.audio.size for s in stems) / DEFAULT_ANALYSIS.sample_rate
    duration = min(length, seconds) if seconds is not None else length
    n_frames = max(1, round(duration * fps))
    styles: dict[str, RemoteStyle] = {}

    def generator_for(name: str) -> RemoteStyle:
        if name not in styles:
            styles[name] = RemoteStyle(name, threads=threads)
        return styles[name]

    for name in {stem.style for stem in stems}:
        generator_for(name)  # start (and check) every style before opening the output

    mix = mixdown([stem.audio for stem in stems])[: round(duration * DEFAULT_ANALYSIS.sample_rate)]
    audio = AudioTrack.from_array(mix, DEFAULT_ANALYSIS.sample_rate)
    if out.suffix.lower() in VIDEO_SUFFIXES:
        sink = VideoWriter(out, size, fps, preset=preset, audio=audio)
    else:
        sink = PngSequenceWriter(out, size, fps, audio=audio)
    try:
        with HeadlessRenderer(size) as renderer:
            compositor = renderer.compositor
            scene = OfflineScene(
                stems,
                generator_for=generator_for,
                push_image=compositor.push_image,
                set_layer=compositor.scene.set_layer,
                fps=fps,
                n_frames=n_frames,
                tempo=tempo,
            )
            summary = render_to_sink(
                compositor,
                sink,
                n_frames=n_frames,
                update=scene.update,
                progress=progress,
                description=f"rendering {out.name}",
            )
            scene.finish()
    finally:
        for style in styles.values():
            style.close()
    return {
        "frames": summary.frames,
        "video_seconds": summary.seconds,
        "wall_seconds": summary.wall_seconds,
        "images": scene.images,
    }
