"""Reading audio files for the simulator: formats, channels, rates and bad files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from models.audio_io import AudioFileError, read_audio
from models.resample import resample


@pytest.mark.parametrize(
    "suffix, fmt, subtype",
    [
        (".wav", "WAV", "PCM_16"),
        (".flac", "FLAC", "PCM_24"),
        (".ogg", "OGG", "VORBIS"),
        (".aiff", "AIFF", "PCM_16"),
    ],
)
def test_formats_read_as_mono_float(tmp_path, suffix: str, fmt: str, subtype: str) -> None:
    rate = 32000
    t = np.arange(rate // 2) / rate
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.1 * np.ones_like(t)], axis=1)
    path = tmp_path / f"clip{suffix}"
    soundfile.write(path, stereo, rate, format=fmt, subtype=subtype)
    mono, got_rate = read_audio(path)
    assert got_rate == rate and mono.dtype == np.float32 and mono.ndim == 1
    assert abs(mono.size - t.size) < 2048  # vorbis may pad
    expected_mean = 0.05  # the average of the two channels' means (0 and 0.1)
    assert mono[: t.size].mean() == pytest.approx(expected_mean, abs=0.01)


def test_missing_empty_and_non_audio_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(AudioFileError, match="no such file"):
        read_audio(tmp_path / "nope.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF????WAVEjunk")
    with pytest.raises(AudioFileError, match="cannot read it as audio"):
        read_audio(junk)
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros((0, 1)), 22050)
    with pytest.raises(AudioFileError, match="no samples"):
        read_audio(empty)


def test_offline_resample_changes_length_by_the_ratio() -> None:
    signal = np.random.default_rng(0).standard_normal(44100).astype(np.float32)
    assert resample(signal, 44100, 22050).size == 22050
    assert resample(signal, 44100, 44100) is not None
    assert resample(signal, 44100, 48000).size == 48000
