"""Where offline frames go: an mp4 (H.264 via PyAV, optional audio track) or a PNG directory.

Both writers take top-down RGB or RGBA uint8 frames in order and know nothing about GL, so
they can be tested with synthetic arrays. Time is the frame index over the frame rate —
the writers never look at the wall clock — so a render is reproducible frame for frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")
#: libx264 presets by speed; at 1280×720 this 2-core CPU did ~13 fps on "medium", ~35 on
#: "veryfast" and ~100 on "ultrafast" (docs/renderer.md), so "veryfast" is the default.
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


class VideoError(ValueError):
    """A video or audio output cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class AudioTrack:
    """Audio to mux under the video: ``samples`` is (frames, channels) float32 in -1..1."""

    samples: np.ndarray
    sample_rate: int

    @classmethod
    def from_array(cls, samples: np.ndarray, sample_rate: int) -> AudioTrack:
        """Check and normalise an array: 1-D mono or (frames, channels), 1 or 2 channels.

        Raises:
            VideoError: wrong shape, rate or non-finite samples.
        """
        array = np.asarray(samples, dtype=np.float32)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[1] not in (1, 2) or array.shape[0] == 0:
            raise VideoError(
                f"audio must be mono (frames,) or (frames, 1|2) samples, got shape {array.shape}"
            )
        if not 8000 <= int(sample_rate) <= 192000:
            raise VideoError(f"audio sample rate must be 8000..192000 Hz, got {sample_rate}")
        if not np.all(np.isfinite(array)):
            raise VideoError("audio contains NaN or infinite samples; clean it before muxing")
        return cls(np.ascontiguousarray(np.clip(array, -1.0, 1.0)), int(sample_rate))

    @property
    def channels(self) -> int:
        """1 (mono) or 2 (stereo)."""
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sample_rate


class FrameSink(Protocol):
    """What an offline render writes frames into.

    A sink whose ``write`` is done with the array when it returns (it encodes or copies it)
    may say so with a true ``copies_frames`` attribute: an offline render then reads
    frames back into a few arrays it reuses (:meth:`renderer.offline.SinkThread.buffer`).
    """

    size: tuple[int, int]
    fps: float
    frames_written: int

    def write(self, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...


def check_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Return ``frame`` if it is H×W×3|4 uint8 matching ``size`` (W, H), else raise."""
    width, height = size
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise VideoError(f"frames must be H×W×3 or H×W×4 uint8, got {frame.dtype} {frame.shape}")
    if frame.shape[:2] != (height, width):
        raise VideoError(
            f"frame is {frame.shape[1]}×{frame.shape[0]}, the writer is {width}×{height}"
        )
    return frame


def unpremultiply(rgba: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA uint8 (the compositor's output) to straight alpha."""
    alpha = rgba[..., 3:4].astype(np.float32)
    rgb = rgba[..., :3].astype(np.float32) * 255.0 / np.maximum(alpha, 1.0)
    out = np.concatenate([np.clip(np.rint(rgb), 0, 255), alpha], axis=-1)
    return out.astype(np.uint8)


class VideoWriter:
    """Encode frames to H.264 (yuv420p, plays everywhere) with an optional AAC audio track.

    Args:
        path: output file; .mp4, .mov or .mkv.
        size: (width, height), both even (4:2:0 chroma needs it).
        fps: frames per second of the output.
        preset: libx264 speed preset (see :data:`X264_PRESETS`).
        crf: constant quality, 0 (lossless) .. 51; 18 looks transparent.
        audio: a track to mux; it is trimmed to the video's length on close.

    Raises:
        VideoError: unsupported suffix, odd size, bad preset or crf.
    """

    #: ``write`` has converted the frame when it returns (see :class:`FrameSink`).
    copies_frames = True

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        *,
        preset: str = "veryfast",
        crf: int = 18,
        audio: AudioTrack | None = None,
    ) -> None:
        import av

        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise VideoError(f"video output must end in {', '.join(VIDEO_SUFFIXES)}: {self.path}")
        width, height = size
        if width % 2 or height % 2 or width < 2 or height < 2:
            raise VideoError(f"H.264 (4:2:0) needs an even width and height, got {width}×{height}")
        if preset not in X264_PRESETS:
            raise VideoError(f"preset must be one of {', '.join(X264_PRESETS)}, got {preset!r}")
        if not 0 <= crf <= 51:
            raise VideoError(f"crf must be within 0..51, got {crf}")
        if not 1 <= fps <= 240:
            raise VideoError(f"fps must be within 1..240, got {fps}")
        self.size = (width, height)
        self.fps = fps
        self.frames_written = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(self.path), mode="w")
        rate = Fraction(fps).limit_denominator(1001)
        self._video = self._container.add_stream("libx264", rate=rate)
        self._video.width, self._video.height = width, height
        self._video.pix_fmt = "yuv420p"
        self._video.time_base = 1 / rate
        self._video.options = {"preset": preset, "crf": str(crf)}
        self._audio_track = audio
        self._audio_stream = None
        self._audio_written = 0
        if audio is not None:
            layout = "stereo" if audio.channels == 2 else "mono"
            self._audio_stream = self._container.add_stream(
                "aac", rate=audio.sample_rate, layout=layout
            )
        self._closed = False

    def write(self, frame: np.ndarray) -> None:
        """Encode the next frame (top-down RGB or RGBA uint8)."""
        import av

        frame = np.ascontiguousarray(check_frame(frame, self.size))
        fmt = "rgb24" if frame.shape[2] == 3 else "rgba"
        # wraps the array without a copy (~2 ms a 720p frame saved): the encoder converts
        # it to yuv420p before encode() returns, and keeps no reference to it
        video_frame = av.VideoFrame.from_numpy_buffer(frame, format=fmt)
        video_frame.pts = self.frames_written
        for packet in self._video.encode(video_frame):
            self._container.mux(packet)
        self.frames_written += 1
        self._write_audio_until(self.frames_written / self.fps)

    def close(self) -> None:
        """Flush the encoders and finish the file (audio trimmed to the video's length)."""
        if self._closed:
            return
        self._closed = True
        self._write_audio_until(self.frames_written / self.fps)
        if self._audio_stream is not None:
            for packet in self._audio_stream.encode(None):
                self._container.mux(packet)
        for packet in self._video.encode(None):
            self._container.mux(packet)
        self._container.close()

    def _write_audio_until(self, seconds: float) -> None:
        """Mux audio up to ``seconds`` so audio and video packets stay interleaved."""
        import av

        track, stream = self._audio_track, self._audio_stream
        if track is None or stream is None:
            return
        end = min(round(seconds * track.sample_rate), track.samples.shape[0])
        if end <= self._audio_written:
            return
        chunk = np.ascontiguousarray(track.samples[self._audio_written : end].T)
        layout = "stereo" if track.channels == 2 else "mono"
        audio_frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        audio_frame.sample_rate = track.sample_rate
        audio_frame.pts = self._audio_written
        for packet in stream.encode(audio_frame):
            self._container.mux(packet)
        self._audio_written = end

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PngSequenceWriter:
    """Write frames as ``frame_000000.png`` … into a directory (lossless, for editing).

    An audio track, if given, is saved beside them as ``audio.wav``.
    """

    #: ``write`` has saved the frame when it returns (see :class:`FrameSink`).
    copies_frames = True

    def __init__(
        self,
        directory: str | Path,
        size: tuple[int, int],
        fps: float,
        *,
        audio: AudioTrack | None = None,
    ) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise VideoError(f"{self.directory} exists and is not a directory")
        self.directory.mkdir(parents=True, exist_ok=True)
        if any(self.directory.glob("frame_*.png")):
            raise VideoError(
                f"{self.directory} already holds frame_*.png files; choose an empty directory"
            )
        self.size = size
        self.fps = fps
        self.frames_written = 0
        self._audio = audio

    def write(self, frame: np.ndarray) -> None:
        """Save the next frame as a PNG."""
        from PIL import Image

        frame = check_frame(frame, self.size)
        if frame.shape[2] == 4 and np.all(frame[..., 3] == 255):
            frame = frame[..., :3]
        elif frame.shape[2] == 4:
            frame = unpremultiply(frame)  # PNG stores straight alpha
        mode = "RGB" if frame.shape[2] == 3 else "RGBA"
        path = self.directory / f"frame_{self.frames_written:06d}.png"
        Image.fromarray(np.ascontiguousarray(frame), mode).save(path, compress_level=1)
        self.frames_written += 1

    def close(self) -> None:
        """Write the audio beside the frames, trimmed to their length."""
        if self._audio is None:
            return
        import soundfile

        end = round(self.frames_written / self.fps * self._audio.sample_rate)
        soundfile.write(
            str(self.directory / "audio.wav"), self._audio.samples[:end], self._audio.sample_rate
        )
        self._audio = None


def open_sink(
    path: str | Path,
    size: tuple[int, int],
    fps: float,
    *,
    audio: AudioTrack | None = None,
    preset: str = "veryfast",
    crf: int = 18,
) -> VideoWriter | PngSequenceWriter:
    """A video writer for .mp4/.mov/.mkv paths, else a PNG directory writer."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoWriter(path, size, fps, preset=preset, crf=crf, audio=audio)
    if path.suffix:
        raise VideoError(
            f"unknown output type {path.suffix!r}: use {', '.join(VIDEO_SUFFIXES)} for video "
            f"or a directory name (no suffix) for PNG frames"
        )
    return PngSequenceWriter(path, size, fps, audio=audio)
