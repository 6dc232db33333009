"""Spectrogram inversion (the SVG vectoriser is tested in tests/renderer/test_vectorise.py)."""

from __future__ import annotations

import numpy as np

from models.analysis import DEFAULT_ANALYSIS, analyse, sliding_windows, to_unit
from models.griffinlim import mel_db_to_power, unit_window_to_audio
from models.metrics import log_spectral_distance


def test_mel_inversion_is_non_negative_and_consistent() -> None:
    cfg = DEFAULT_ANALYSIS
    tone = np.sin(2 * np.pi * 440 * np.arange(8192) / cfg.sample_rate)
    mel_db = analyse(tone, cfg).mel_db
    power = mel_db_to_power(mel_db, cfg)
    assert power.min() >= 0.0
    from models.analysis import mel_filterbank

    back = 10 * np.log10(np.maximum(power @ mel_filterbank(cfg).T, 1e-10))
    loud = mel_db > -40
    assert np.abs(back[loud] - mel_db[loud]).max() < 1.0


def test_griffin_lim_round_trip_keeps_the_spectrogram() -> None:
    cfg = DEFAULT_ANALYSIS
    t = np.arange(20000) / cfg.sample_rate
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 400 * t) * t) * np.minimum(1.0, t * 20)
    window = sliding_windows(to_unit(analyse(chirp, cfg).mel_db, cfg), cfg)[0]
    audio = unit_window_to_audio(window, cfg, iterations=32)
    assert audio.shape == ((cfg.n_frames - 1) * cfg.hop + cfg.n_fft,)
    again = np.clip(analyse(audio, cfg).mel_db, cfg.db_floor, cfg.db_ceil)
    original = np.clip(analyse(chirp, cfg).mel_db[: cfg.n_frames], cfg.db_floor, cfg.db_ceil)
    assert log_spectral_distance(original, again) < 6.0
