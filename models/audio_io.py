"""Reading sound files: the one reader for every command (render, simulate, demo, cycle, draw)
and cutting a signal into a style's analysis windows."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from models.analysis import AnalysisConfig, analyse, sliding_windows, to_unit
from models.resample import resample

log = logging.getLogger(__name__)


#: At most this many seconds are read from one file (longer files are cut, and the caller is
#: told): a training clip or a stem of a set, never hours of audio in memory.
MAX_SOUND_SECONDS = 3600.0
#: And at most this many samples over all channels (256 MB of float32).
MAX_SOUND_SAMPLES = 64_000_000


class AudioFileError(ValueError):
    """A sound file cannot be used; the message names the file and why.

    ``kind`` says which way it failed, for reports that count skipped files: ``"not a
    sound"`` (missing, or not a format libsndfile reads), ``"broken"`` (decoding failed or
    non-finite samples) or ``"too short"`` (no samples at all).
    """

    def __init__(self, message: str, kind: str = "broken") -> None:
        super().__init__(message)
        self.kind = kind


def read_audio_clip(
    path: str | Path, max_seconds: float = MAX_SOUND_SECONDS, *, mono: bool = True
) -> tuple[np.ndarray, int, bool]:
    """Read any sound libsndfile can decode, whatever its file name.

    At most ``max_seconds`` (and at most :data:`MAX_SOUND_SAMPLES` samples over all
    channels) are read from the start of the file. With ``mono``, stereo and multichannel
    files are averaged to mono, as the device sums both channels.

    Returns:
        ``(samples, rate, cut)``: float32 samples, ``(n,)`` mono or ``(n, channels)``, the
        file's rate in Hz and whether the file goes on beyond what was read.

    Raises:
        AudioFileError: with its ``kind`` (see the class).
    """
    import soundfile

    file = Path(path)
    if not file.is_file():
        raise AudioFileError(f"{file}: no such file (it does not exist)", "not a sound")
    try:
        handle = soundfile.SoundFile(str(file))
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise AudioFileError(
            f"{file}: cannot read it as audio ({exc}); use wav, flac, ogg or aiff", "not a sound"
        ) from exc
    with handle:
        rate, channels = int(handle.samplerate), max(1, int(handle.channels))
        limit = max(1, min(int(max_seconds * rate), MAX_SOUND_SAMPLES // channels))
        try:
            data = handle.read(frames=limit, dtype="float32", always_2d=True)
            # One frame past the limit tells whether the file goes on (not every format
            # knows its length up front).
            cut = len(data) == limit and len(handle.read(frames=1, dtype="float32")) > 0
        except (RuntimeError, OSError, ValueError, TypeError) as exc:
            raise AudioFileError(f"{file}: cannot decode it ({exc})", "broken") from exc
    if data.shape[0] == 0:
        raise AudioFileError(f"{file}: contains no samples", "too short")
    samples = data.mean(axis=1, dtype=np.float64).astype(np.float32) if mono else data
    if not np.isfinite(samples).all():
        raise AudioFileError(f"{file}: contains NaN or Inf samples", "broken")
    return samples, rate, cut


def read_audio(path: str | Path, *, mono: bool = True) -> tuple[np.ndarray, int]:
    """A whole sound file: ``(samples, rate)``, float32 ``(n,)`` (or ``(n, channels)``
    without ``mono``) and Hz.

    A file longer than :data:`MAX_SOUND_SECONDS` (or :data:`MAX_SOUND_SAMPLES`) is cut
    there, with a warning naming it.

    Raises:
        AudioFileError: as :func:`read_audio_clip`.
    """
    samples, rate, cut = read_audio_clip(path, mono=mono)
    if cut:
        log.warning("%s: only its first %.0f s are used", path, len(samples) / rate)
    return samples, rate


def read_mono(path: str | Path, sample_rate: float) -> np.ndarray:
    """A sound file mixed to mono and resampled to ``sample_rate`` (Hz): float32 ``(n,)``.

    Raises:
        AudioFileError: as :func:`read_audio`.
    """
    samples, rate = read_audio(path)
    return resample(samples, rate, sample_rate)


def tiled_windows(signal: np.ndarray, cfg: AnalysisConfig) -> np.ndarray:
    """Non-overlapping windows covering the whole signal, the last one padded with silence,
    so each picture stands for its own stretch of time: ``(N, n_mels, n_frames)``."""
    frames = to_unit(analyse(signal, cfg).mel_db, cfg)
    if len(frames) == 0:
        raise AudioFileError(
            f"sound is shorter than one analysis frame ({cfg.n_fft / cfg.sample_rate:.3f} s)"
        )
    pad = (-len(frames)) % cfg.n_frames
    if pad:
        frames = np.concatenate([frames, np.full((pad, cfg.n_mels), -1.0, np.float32)])
    return sliding_windows(frames, cfg, step=cfg.n_frames)
