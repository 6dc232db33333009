"""Inference API: determinism, batch invariance, shapes and input checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.style import Style


@pytest.fixture
def style(tiny_style_dir: Path) -> Style:
    return Style.from_dir(tiny_style_dir)


def _windows(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, 64, 64)).astype(np.float32)


def test_audio_to_image_gives_uint8_ink_fields(style: Style) -> None:
    images = style.audio_to_image(_windows(3))
    assert images.shape == (3, 64, 64) and images.dtype == np.uint8
    assert images.std() > 0
    assert style.audio_to_image(_windows(1)[0]).shape == (1, 64, 64)
    assert style.audio_to_image(np.zeros((0, 64, 64))).shape == (0, 64, 64)


def test_same_window_same_bytes_in_any_batch(style: Style) -> None:
    windows = _windows(12)
    together = style.audio_to_image(windows)
    alone = np.concatenate([style.audio_to_image(w) for w in windows])
    assert np.array_equal(together, alone)
    mixed = np.concatenate([_windows(3, seed=9), windows[4:5], _windows(6, seed=8)])
    assert np.array_equal(style.audio_to_image(mixed)[3], together[4])
    assert np.array_equal(style.audio_to_image(windows[::-1])[::-1], together)


@pytest.mark.parametrize("policy", [(1, None), (2, None), (8, 8)])
def test_every_batch_policy_gives_the_right_shapes(tiny_style_dir: Path, policy) -> None:
    style = Style.from_dir(tiny_style_dir, policy=policy)
    assert style.audio_to_image(_windows(11)).shape == (11, 64, 64)
    assert (style.min_batch, style.chunk) == policy


def test_the_probe_chooses_an_invariant_policy(style: Style) -> None:
    assert style.probe_batch_invariance()
    assert (style.min_batch, style.chunk) in [(1, None), (2, None), (8, 8)]


def test_image_to_audio_recreates_waveforms(style: Style) -> None:
    images = style.audio_to_image(_windows(2))
    windows = style.image_to_windows(images)
    assert windows.shape == (2, 64, 64) and np.abs(windows).max() <= 1.0
    audio = style.image_to_audio(images, iterations=4)
    expected = (64 - 1) * style.analysis.hop + style.analysis.n_fft
    assert [a.shape for a in audio] == [(expected,)] * 2
    assert all(np.isfinite(a).all() for a in audio)


def test_bad_inputs_are_refused_with_the_expected_shape(style: Style) -> None:
    with pytest.raises(ValueError, match=r"\(B, 64, 64\)"):
        style.audio_to_image(np.zeros((2, 32, 64)))
    with pytest.raises(ValueError, match="NaN"):
        style.audio_to_image(np.full((1, 64, 64), np.nan))
    with pytest.raises(ValueError, match="images of shape"):
        style.image_to_windows(np.zeros((1, 10, 10), np.uint8))


def test_info_reports_budget_figures(style: Style) -> None:
    info = style.info()
    assert info.parameters > 0 and info.macs_per_image > 0
    assert style.analysis.n_mels == 64 and style.input_shape == (64, 64)
