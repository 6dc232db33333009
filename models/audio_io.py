"""Reading sound files: the one reader for every command (render, simulate, demo, cycle, draw)
and cutting a signal into a style's analysis windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.analysis import AnalysisConfig, analyse, sliding_windows, to_unit
from models.resample import resample


class AudioFileError(ValueError):
    """A sound file is missing, unreadable or empty; the message names the file and why."""


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read ``path`` (any format libsndfile reads: wav, flac, ogg, aiff, ...) as mono.

    Returns ``(samples, rate)``: float32 samples of shape ``(n,)`` and the file's own rate
    in Hz. Stereo and multichannel files are averaged to mono, as the device sums both
    channels.

    Raises:
        AudioFileError: the file does not exist, is not audio soundfile can read, is empty
            or contains non-finite samples.
    """
    import soundfile

    file = Path(path)
    if not file.is_file():
        raise AudioFileError(f"{file}: no such file (it does not exist)")
    try:
        data, rate = soundfile.read(str(file), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, soundfile.LibsndfileError) as exc:
        raise AudioFileError(
            f"{file}: cannot read it as audio ({exc}); use wav, flac, ogg or aiff"
        ) from exc
    if data.shape[0] == 0:
        raise AudioFileError(f"{file}: contains no samples")
    mono = data.mean(axis=1, dtype=np.float64).astype(np.float32)
    if not np.isfinite(mono).all():
        raise AudioFileError(f"{file}: contains NaN or Inf samples")
    return mono, int(rate)


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
