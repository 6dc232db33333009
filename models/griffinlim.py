"""From a log-mel window back to a waveform: mel inversion, then Griffin-Lim.

A 64-band mel spectrogram has far fewer numbers than the 513-bin spectrum it summarises, so
the inversion is under-determined. A plain pseudo-inverse gives negative power and poor audio
(LSD 16–20 dB measured here), and projected-gradient least squares converged too slowly to
match quiet bands (LSD ~10 dB on a tone after 60 steps). We fit a non-negative spectrum with
Itakura-Saito multiplicative updates instead (mel LSD < 0.1 dB on a tone, a chirp and
noise). Phase is then recovered with the fast Griffin-Lim algorithm (Perraudin et al. 2013:
momentum 0.99, ~32 iterations) using ``torch.stft``/``torch.istft``.

The framing matches :mod:`models.analysis` exactly: frame ``k`` covers samples
``[k*hop, k*hop + n_fft)`` and magnitudes carry its ``2 / sum(window)`` scaling, so a
resynthesised signal analysed again lands at the levels it came from.
"""

from __future__ import annotations

import numpy as np
import torch

from models.analysis import AnalysisConfig, from_unit, mel_filterbank


def mel_db_to_power(mel_db: np.ndarray, cfg: AnalysisConfig, iterations: int = 100) -> np.ndarray:
    """Invert ``(T, n_mels)`` mel levels (dB) to a non-negative power spectrum ``(T, n_bins)``.

    Multiplicative updates for the Itakura-Saito divergence (Févotte et al. 2009) with the
    filterbank as a fixed dictionary: every step keeps the power non-negative, and the
    divergence is scale-invariant, so a band 40 dB down is matched as carefully as a loud
    one, which is what a dB-domain error (and the ear) cares about.
    """
    fb = np.asarray(mel_filterbank(cfg), np.float64)
    target = 10.0 ** (np.asarray(mel_db, np.float64) / 10.0)
    power = (target @ fb) / np.maximum(fb.sum(axis=0), 1e-12)[None, :] + 1e-12
    for _ in range(iterations):
        model = power @ fb.T + 1e-12
        power *= ((target / model**2) @ fb) / np.maximum((1.0 / model) @ fb, 1e-30)
    return power


def griffin_lim(
    magnitude: np.ndarray,
    cfg: AnalysisConfig,
    *,
    iterations: int = 32,
    momentum: float = 0.99,
    seed: int = 0,
) -> np.ndarray:
    """Fast Griffin-Lim on a ``(T, n_bins)`` magnitude in analysis scaling; returns float32
    samples whose analysis frames line up with the input's frames."""
    window = torch.hann_window(cfg.n_fft, periodic=True, dtype=torch.float64)
    scale = float(window.sum()) / 2.0
    mag = torch.from_numpy(np.asarray(magnitude, np.float64)).T * scale  # (bins, T)
    n_frames = mag.shape[1]
    length = (n_frames - 1) * cfg.hop
    gen = torch.Generator().manual_seed(seed)
    angles = torch.exp(2j * torch.pi * torch.rand(mag.shape, generator=gen, dtype=torch.float64))
    previous = torch.zeros_like(angles)

    def istft(spec: torch.Tensor) -> torch.Tensor:
        return torch.istft(spec, cfg.n_fft, cfg.hop, window=window, center=True, length=length)

    def stft(signal: torch.Tensor) -> torch.Tensor:
        return torch.stft(
            signal, cfg.n_fft, cfg.hop, window=window, center=True, return_complex=True
        )

    for _ in range(iterations):
        rebuilt = stft(istft(mag * angles))[:, :n_frames]
        accelerated = rebuilt - (momentum / (1.0 + momentum)) * previous
        previous = rebuilt
        angles = accelerated / torch.clamp(accelerated.abs(), min=1e-12)
    signal = istft(mag * angles).numpy()
    # With center=True frame k is centred on sample k*hop; analysis frames are centred on
    # k*hop + n_fft/2, so half a frame of silence in front restores the alignment.
    return np.concatenate([np.zeros(cfg.n_fft // 2), signal, np.zeros(cfg.n_fft // 2)]).astype(
        np.float32
    )


def unit_frames_to_audio(
    frames: np.ndarray, cfg: AnalysisConfig, *, iterations: int = 32, seed: int = 0
) -> np.ndarray:
    """Unit-scaled mel frames ``(T, n_mels)`` (any length) → waveform at the analysis rate."""
    power = mel_db_to_power(from_unit(np.asarray(frames), cfg), cfg)
    return griffin_lim(np.sqrt(power), cfg, iterations=iterations, seed=seed)


def unit_window_to_audio(
    window: np.ndarray, cfg: AnalysisConfig, *, iterations: int = 32, seed: int = 0
) -> np.ndarray:
    """A model window ``(n_mels, n_frames)`` in [-1, 1] → waveform at ``cfg.sample_rate``."""
    return unit_frames_to_audio(np.asarray(window).T, cfg, iterations=iterations, seed=seed)
