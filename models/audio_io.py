"""Reading sound files for the one-shot commands (``cycle``, ``draw``) and cutting them into
the style's analysis windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.analysis import AnalysisConfig, analyse, sliding_windows, to_unit
from models.datasets import resample


class AudioFileError(ValueError):
    """A sound file is missing, unreadable or empty."""


def read_mono(path: str | Path, sample_rate: int) -> np.ndarray:
    """A sound file mixed to mono and resampled to ``sample_rate``, float32."""
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"sound file {path} does not exist")
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, soundfile.LibsndfileError) as exc:
        raise AudioFileError(f"cannot read {path} as audio ({exc}); use wav, flac or ogg") from exc
    if samples.shape[0] == 0:
        raise AudioFileError(f"{path} holds no samples")
    mono = np.nan_to_num(samples.mean(axis=1))
    return resample(mono, int(rate), sample_rate)


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
