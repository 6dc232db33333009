"""Read audio files for the simulator and offline tools: any soundfile format, to mono."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly


class AudioFileError(ValueError):
    """An audio file is missing, unreadable or empty; the message says which and why."""


def read_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """Read ``path`` (wav, flac, ogg, aiff, ...) as float32 mono at its own rate.

    Stereo and multichannel files are averaged to mono, as the device sums both channels.

    Raises:
        AudioFileError: the file does not exist, is not audio soundfile can read, is empty
            or contains non-finite samples.
    """
    file = Path(path)
    if not file.is_file():
        raise AudioFileError(f"{file}: no such file")
    try:
        data, rate = soundfile.read(str(file), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioFileError(f"{file}: not a readable audio file ({exc})") from exc
    if data.shape[0] == 0:
        raise AudioFileError(f"{file}: contains no samples")
    mono = data.mean(axis=1, dtype=np.float64).astype(np.float32)
    if not np.isfinite(mono).all():
        raise AudioFileError(f"{file}: contains NaN or Inf samples")
    return mono, int(rate)


def resample(signal: np.ndarray, from_rate: float, to_rate: float) -> np.ndarray:
    """Resample a whole signal (offline, polyphase) to ``to_rate``; float32 out."""
    if abs(from_rate - to_rate) < 1e-9:
        return np.asarray(signal, dtype=np.float32)
    ratio = Fraction(to_rate / from_rate).limit_denominator(1000)
    out = resample_poly(np.asarray(signal, np.float64), ratio.numerator, ratio.denominator)
    return out.astype(np.float32)
