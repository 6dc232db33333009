"""The analysis window (models/analysis.py): block invariance, levels, descriptors."""

from __future__ import annotations

import numpy as np
import pytest

from models.analysis import (
    DEFAULT_ANALYSIS,
    PITCH_CLASSES,
    AnalysisConfig,
    AnalysisStream,
    analyse,
    frame_count,
    from_unit,
    mel_filterbank,
    push_many,
    sliding_windows,
    to_unit,
)

SR = DEFAULT_ANALYSIS.sample_rate


def sine(freq: float, seconds: float, amp: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return amp * np.sin(2 * np.pi * freq * t)


def click_train(seconds: float, bpm: float = 120.0) -> np.ndarray:
    out = np.zeros(int(seconds * SR))
    period = int(SR * 60 / bpm)
    for start in range(0, out.size, period):
        n = min(400, out.size - start)
        out[start : start + n] = np.exp(-np.arange(n) / 60.0) * np.sin(np.arange(n) * 0.9)
    return out


@pytest.fixture(scope="module")
def mixture() -> np.ndarray:
    rng = np.random.default_rng(7)
    signal = sine(220.0, 3.0, 0.5) + click_train(3.0) + 0.05 * rng.standard_normal(3 * SR)
    return signal


@pytest.mark.parametrize("block", [1, 37, 64, 65, 256, 512, 4096, 8193])
def test_stream_equals_offline_for_any_block_size(mixture: np.ndarray, block: int) -> None:
    offline = analyse(mixture, chroma=True)
    stream = AnalysisStream()
    parts = []
    for start in range(0, mixture.size, block):
        stream.push(mixture[start : start + block])
        parts.append(stream.last)
    assert stream.frames_total == len(offline) == frame_count(mixture.size)
    joined = type(offline).concatenate(parts)
    np.testing.assert_allclose(joined.mel_db, offline.mel_db, atol=1e-4)
    np.testing.assert_allclose(joined.rms, offline.rms, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(joined.onset, offline.onset, atol=1e-4)
    np.testing.assert_allclose(joined.centroid, offline.centroid, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(joined.flatness, offline.flatness, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(joined.chroma, offline.chroma, atol=1e-5)
    np.testing.assert_allclose(joined.tonalness, offline.tonalness, atol=1e-5)
    expected_window = sliding_windows(to_unit(offline.mel_db))[-1]
    np.testing.assert_allclose(stream.window(), expected_window, atol=1e-5)


@pytest.mark.parametrize("block", [1, 300, 4096])
def test_strided_chroma_is_every_strideth_frame_held_between(
    mixture: np.ndarray, block: int
) -> None:
    offline = analyse(mixture, chroma=True)
    stream = AnalysisStream(chroma_stride=4)
    parts = []
    for start in range(0, mixture.size, block):
        stream.push(mixture[start : start + block])
        parts.append(stream.last)
    joined = type(offline).concatenate(parts)
    held = np.repeat(offline.chroma[::4], 4, axis=0)[: len(offline)]
    np.testing.assert_allclose(joined.chroma, held, atol=1e-5)
    np.testing.assert_allclose(
        joined.tonalness, np.repeat(offline.tonalness[::4], 4)[: len(offline)], atol=1e-5
    )
    np.testing.assert_allclose(joined.mel_db, offline.mel_db, atol=1e-4)  # the rest unchanged
    assert not np.allclose(joined.chroma, offline.chroma, atol=1e-3)  # the stride does hold


def test_chroma_stride_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chroma_stride"):
        AnalysisStream(chroma_stride=0)


def test_pushing_many_streams_at_once_gives_each_what_it_gets_alone(
    mixture: np.ndarray,
) -> None:
    rng = np.random.default_rng(5)
    signals = [mixture, 0.3 * mixture[::-1].copy(), np.zeros_like(mixture), mixture * 0.01]
    settings = [{}, {"chroma": False}, {}, {"chroma_stride": 4}]
    alone = [AnalysisStream(**kw) for kw in settings]
    together = [AnalysisStream(**kw) for kw in settings]
    position = [0] * len(signals)
    for _ in range(40):
        blocks = []
        for i, signal in enumerate(signals):
            n = int(rng.integers(0, 1500))  # some streams complete no frame this time
            blocks.append(signal[position[i] : position[i] + n])
            position[i] += n
        counts = push_many(together, blocks)
        assert counts == [stream.push(block) for stream, block in zip(alone, blocks, strict=True)]
        for a, b in zip(alone, together, strict=True):
            np.testing.assert_array_equal(a.window(), b.window())
            for name in ("mel_db", "rms", "onset", "centroid", "flatness", "chroma"):
                x, y = getattr(a.last, name), getattr(b.last, name)
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6)
    assert all(stream.frames_total > 50 for stream in together)


def test_push_many_wants_a_block_per_stream() -> None:
    with pytest.raises(ValueError, match="2 streams but 1 blocks"):
        push_many([AnalysisStream(), AnalysisStream()], [np.zeros(10)])


def test_random_splits_match_offline(mixture: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(mixture.size, size=200, replace=False))
    stream = AnalysisStream()
    parts = []
    for chunk in np.split(mixture, cuts):
        stream.push(chunk)
        parts.append(stream.last)
    offline = analyse(mixture)
    np.testing.assert_allclose(type(offline).concatenate(parts).mel_db, offline.mel_db, atol=1e-4)


def test_mel_level_matches_a_direct_dft() -> None:
    """One frame computed with an explicit DFT sum and the filter triangles by hand."""
    cfg = DEFAULT_ANALYSIS
    rng = np.random.default_rng(11)
    frame = rng.standard_normal(cfg.n_fft) * 0.3
    n = np.arange(cfg.n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / cfg.n_fft)
    k = np.arange(cfg.n_fft // 2 + 1)
    dft = (frame * window) @ np.exp(-2j * np.pi * np.outer(n, k) / cfg.n_fft)
    power = np.abs(dft * 2 / window.sum()) ** 2
    # Triangles from the HTK mel formula, evaluated independently of the module.
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    inv = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    edges = inv(np.linspace(mel(cfg.fmin), mel(cfg.fmax), cfg.n_mels + 2))
    freqs = k * cfg.sample_rate / cfg.n_fft
    expected = np.empty(cfg.n_mels)
    for m in range(cfg.n_mels):
        tri = np.clip(
            np.minimum(
                (freqs - edges[m]) / (edges[m + 1] - edges[m]),
                (edges[m + 2] - freqs) / (edges[m + 2] - edges[m + 1]),
            ),
            0,
            None,
        )
        expected[m] = 10 * np.log10(max(tri @ power, 1e-10))
    got = analyse(frame).mel_db[0]
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("amp, db", [(1.0, 0.0), (0.1, -20.0), (0.01, -40.0)])
def test_levels_are_absolute(amp: float, db: float) -> None:
    """A full-scale sine reads about 0 dB in its band (the Hann window spreads the tone
    over neighbouring bins, adding up to +1.8 dB), and level steps are exact."""
    cfg = DEFAULT_ANALYSIS
    bank = mel_filterbank(cfg)
    band = 30
    centre_bin = int(np.argmax(bank[band]))
    freq = centre_bin * cfg.sample_rate / cfg.n_fft
    full = analyse(sine(freq, 0.5, 1.0)).mel_db[2:].max(axis=1)
    assert ((full > 0.0) & (full < 1.8)).all()
    result = analyse(sine(freq, 0.5, amp))
    np.testing.assert_allclose(result.mel_db[2:].max(axis=1) - full, db, atol=1e-3)
    assert int(np.argmax(result.mel_db[5])) == band


def test_descriptors_behave() -> None:
    rng = np.random.default_rng(5)
    tone = analyse(sine(1000.0, 0.5, 0.5))
    noise = analyse(rng.uniform(-0.5, 0.5, SR // 2))
    np.testing.assert_allclose(tone.rms[1:], 0.5 / np.sqrt(2), rtol=0.02)
    np.testing.assert_allclose(tone.centroid[1:], 1000.0, rtol=0.05)
    assert tone.flatness.max() < 0.05
    assert noise.flatness.min() > 0.4
    assert noise.centroid.mean() > 4000.0


@pytest.mark.parametrize("midi", [33, 40, 45, 52, 57, 60, 64, 67, 70, 76, 81, 86])
def test_chroma_names_the_pitch_class_of_a_tone(midi: int) -> None:
    """A steady tone from A1 (55 Hz) to D6 puts most of its chroma on its own pitch class."""
    freq = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    result = analyse(sine(freq, 0.5, 0.5), chroma=True)
    chroma = result.chroma[16:].mean(axis=0)  # once the chroma window is full of the tone
    assert PITCH_CLASSES[int(np.argmax(chroma))] == PITCH_CLASSES[midi % 12]
    assert chroma[midi % 12] > 0.9
    assert result.tonalness[16:].min() > 0.8


def test_chroma_rows_sum_to_one_and_noise_or_silence_has_no_tonalness() -> None:
    rng = np.random.default_rng(11)
    noise = analyse(rng.uniform(-0.5, 0.5, SR // 2), chroma=True)
    np.testing.assert_allclose(noise.chroma.sum(axis=1), 1.0, atol=1e-5)
    assert noise.tonalness.max() < 0.1
    silence = analyse(np.zeros(SR // 4), chroma=True)
    assert not silence.chroma.any() and not silence.tonalness.any()
    assert analyse(noise_free := sine(440.0, 0.2)).chroma is None  # only when asked for
    assert analyse(noise_free, chroma=True).chroma.shape == (frame_count(noise_free.size), 12)


@pytest.mark.parametrize(
    ("notes", "names"),
    [((261.63, 329.63, 392.0), {0, 4, 7}), ((164.8, 196.0, 246.9), {4, 7, 11})],
    ids=["C major (C4)", "E minor (E3)"],
)
def test_chroma_of_a_chord_names_its_notes(notes: tuple[float, ...], names: set[int]) -> None:
    """Three notes, even as low as E3 G3 B3 (1.4 and 2.3 frame bins apart), are told apart."""
    chord = analyse(sum(sine(f, 0.5, 0.3) for f in notes), chroma=True)
    mean = chord.chroma[16:].mean(axis=0)
    assert set(np.argsort(mean)[-3:].tolist()) == names
    assert mean[sorted(names)].sum() > 0.9
    single = analyse(sine(notes[0], 0.5, 0.5), chroma=True)
    assert chord.tonalness[16:].mean() < single.tonalness[16:].mean()


def test_onset_peaks_where_a_note_starts() -> None:
    signal = np.concatenate([np.zeros(SR // 2), sine(440.0, 0.5, 0.5)])
    result = analyse(signal)
    start_frame = SR // 2 // DEFAULT_ANALYSIS.hop
    peak = int(np.argmax(result.onset))
    assert start_frame - 4 <= peak <= start_frame + 1
    assert result.onset[: start_frame - 4].max() == 0.0


def test_unit_scaling_round_trips_and_clips() -> None:
    db = np.array([-120.0, -80.0, -40.0, 0.0, 12.0])
    unit = to_unit(db)
    np.testing.assert_allclose(unit, [-1.0, -1.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(
        from_unit(to_unit(np.array([-70.0, -3.0]))), [-70.0, -3.0], atol=1e-4
    )


def test_sliding_windows_pad_start_matches_stream() -> None:
    signal = sine(300.0, 1.0, 0.3)
    stream = AnalysisStream()
    windows_seen = []
    for start in range(0, signal.size, DEFAULT_ANALYSIS.hop):
        if stream.push(signal[start : start + DEFAULT_ANALYSIS.hop]):
            windows_seen.append(stream.window())
    offline = sliding_windows(to_unit(analyse(signal).mel_db), pad_start=True)
    assert offline.shape == (len(windows_seen), 64, 64)
    np.testing.assert_allclose(np.stack(windows_seen), offline, atol=1e-5)
    assert sliding_windows(np.zeros((10, 64)), step=1).shape == (0, 64, 64)


def test_fresh_stream_window_is_silence() -> None:
    stream = AnalysisStream()
    assert stream.window().shape == (64, 64)
    assert (stream.window() == -1).all()
    stream.push(np.zeros(100))
    assert stream.pending_samples == 100 and stream.frames_total == 0


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="mono"):
        analyse(np.zeros((2, 4096)))
    with pytest.raises(ValueError, match="NaN"):
        AnalysisStream().push(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="hop"):
        AnalysisConfig(hop=2048)
    with pytest.raises(ValueError, match="fmax"):
        AnalysisConfig(fmax=20000.0)
