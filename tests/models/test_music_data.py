"""Training audio that varies like music: the ``music`` source, window pairs for the temporal
term, mixed sources, the training soundfont's clips, and a user folder at varied gains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from models.analysis import DEFAULT_ANALYSIS, analyse, sliding_windows, to_unit
from models.datasets import audio_domain, balance_silence, clip_window_pairs
from models.instruments import TRAIN_SOUNDFONT, missing_reason
from models.music import KINDS, LEVEL_RANGE_DB, music_params, music_set, render_music_clip

RATE = DEFAULT_ANALYSIS.sample_rate


def test_every_kind_renders_finite_audio_at_its_peak_level() -> None:
    for index in range(len(KINDS)):
        p = music_params(index, seed=3)
        assert p.kind == KINDS[index]
        clip = render_music_clip(p, sample_rate=RATE, seed=3)
        assert clip.dtype == np.float32 and np.isfinite(clip).all()
        peak_db = 20 * np.log10(np.max(np.abs(clip)))
        assert peak_db == pytest.approx(p.gain_db, abs=0.01), p.kind


def test_a_set_is_deterministic_and_spans_forty_decibels() -> None:
    params = [music_params(i, seed=0) for i in range(200)]
    levels = [p.gain_db for p in params]
    assert max(levels) - min(levels) >= 40.0
    assert LEVEL_RANGE_DB[1] - LEVEL_RANGE_DB[0] >= 40.0
    attacks = [p.attack for p in params]
    assert min(attacks) < 0.005 and max(attacks) > 0.3  # plucks to pads
    a, b = music_set(3, seed=1), music_set(3, seed=1)
    for (x, mx), (y, my) in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
        assert mx == my


def test_noise_hits_are_flatter_than_pads() -> None:
    def flatness(kind: str) -> float:
        index = KINDS.index(kind)
        values = []
        for k in range(4):
            p = music_params(index + k * len(KINDS), seed=0)
            values.append(float(np.median(analyse(render_music_clip(p, seed=0)).flatness)))
        return float(np.mean(values))

    assert flatness("noise_hit") > 5 * flatness("pad")


def test_each_window_has_its_partner_a_few_frames_later() -> None:
    signal = render_music_clip(music_params(1, seed=0), seed=0)
    windows, partners = clip_window_pairs(signal, DEFAULT_ANALYSIS, step=8, shift=3)
    every = sliding_windows(to_unit(analyse(signal).mel_db), DEFAULT_ANALYSIS)
    assert len(windows) == len(partners) > 0
    np.testing.assert_array_equal(windows, every[0 : 8 * len(windows) : 8])
    np.testing.assert_array_equal(partners[:, :, :-3], windows[:, :, 3:])
    short = np.zeros(DEFAULT_ANALYSIS.n_fft, np.float32)
    assert len(clip_window_pairs(short, DEFAULT_ANALYSIS, 8, 3)[0]) == 0


def test_mixed_sources_keep_windows_and_partners_together() -> None:
    mixed = audio_domain("music+synth", count=4, cfg=DEFAULT_ANALYSIS, step=16)
    music = audio_domain("music", count=4, cfg=DEFAULT_ANALYSIS, step=16)
    synth = audio_domain("synth", count=4, cfg=DEFAULT_ANALYSIS, step=16)
    assert len(mixed.data) == len(music.data) + len(synth.data) == len(mixed.partners)
    np.testing.assert_array_equal(mixed.data[: len(music.data)], music.data)
    kept = balance_silence(mixed, 0.05, seed=0)
    assert kept.partners is not None and len(kept.partners) == len(kept.data)
    for window, partner in zip(kept.data, kept.partners, strict=True):
        np.testing.assert_array_equal(window[:, 3:], partner[:, :-3])


def test_a_user_folder_is_played_at_seeded_gains(tmp_path: Path) -> None:
    clip = render_music_clip(music_params(1, seed=0), seed=0)
    for i in range(3):
        sf.write(tmp_path / f"c{i}.wav", clip, RATE)
    flat = audio_domain(str(tmp_path), count=0, cfg=DEFAULT_ANALYSIS, step=16)
    spread = audio_domain(
        str(tmp_path), count=0, cfg=DEFAULT_ANALYSIS, step=16, gain_spread_db=30.0
    )
    again = audio_domain(str(tmp_path), count=0, cfg=DEFAULT_ANALYSIS, step=16, gain_spread_db=30.0)
    np.testing.assert_array_equal(spread.data, again.data)
    per_file = len(flat.data) // 3
    means = [spread.data[i * per_file : (i + 1) * per_file].mean() for i in range(3)]
    assert np.ptp(means) > 0.02  # different gains per file
    assert max(means) <= flat.data[:per_file].mean() + 1e-6  # never louder than recorded


@pytest.mark.slow
def test_the_training_soundfont_gives_clips_at_varied_levels() -> None:
    reason = missing_reason(TRAIN_SOUNDFONT)
    if reason is not None:
        pytest.skip(f"cannot render the training instruments here: {reason}")
    from models.instruments import EVAL_PROGRAMS, training_clips

    clips = training_clips(RATE, gain_spread_db=30.0, seed=0)
    programs = {m["program"] for _, m in clips if "program" in m}
    assert programs and not programs & set(EVAL_PROGRAMS)
    gains = [m["gain_db"] for _, m in clips]
    assert min(gains) < -20 and max(gains) > -10
    assert any(m.get("drums") for _, m in clips) and any(m.get("pad") for _, m in clips)
