"""Procedural data sets: deterministic, varied, in the documented ranges."""

from __future__ import annotations

import numpy as np
import pytest

from models.analysis import DEFAULT_ANALYSIS, analyse
from models.datasets import add_blank_pages, audio_domain, balance_silence, image_domain
from models.glyphs import DEJAVU_DIR
from models.squiggles import squiggle_params, squiggle_set
from models.synth import KINDS, render_clip, synth_params, synth_set


def test_squiggles_are_deterministic_and_inked() -> None:
    a, params = squiggle_set(6, seed=3)
    b, _ = squiggle_set(6, seed=3)
    assert a.shape == (6, 64, 64) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 1.0
    coverage = (a > 0.5).mean(axis=(1, 2))
    assert np.all(coverage > 0.002) and np.all(coverage < 0.5)
    assert not np.array_equal(a[0], squiggle_set(1, seed=4)[0][0])
    assert [p.index for p in params] == list(range(6))


def test_squiggle_parameters_span_a_range_of_complexity() -> None:
    params = [squiggle_params(i) for i in range(1024)]
    assert {p.n_strokes for p in params} == {1, 2, 3}
    steps = [p.steps for p in params]
    assert min(steps) < 60 and max(steps) > 150
    assert len({p.size for p in params}) == 1024


def test_synth_clips_cover_every_kind_with_their_parameters() -> None:
    clips, params = synth_set(12, seed=1)
    assert [p.kind for p in params] == list(KINDS) * 2
    for clip, p in zip(clips, params, strict=True):
        assert clip.dtype == np.float32 and np.isfinite(clip).all()
        peak_db = 20 * np.log10(np.abs(clip).max())
        assert peak_db == pytest.approx(p.gain_db, abs=0.01)
        # Silence before the onset: the note starts where its parameters say.
        onset = int(p.onset * DEFAULT_ANALYSIS.sample_rate)
        assert np.abs(clip[: max(0, onset - 1)]).max(initial=0.0) == 0.0
    again = render_clip(synth_params(5, seed=1), seed=1)
    assert np.array_equal(again, clips[5])


def test_noisy_hats_are_flatter_than_sines() -> None:
    sine = render_clip(synth_params(0))
    hat = render_clip(synth_params(4))
    assert synth_params(4).kind == "hat"
    flat = lambda x: float(np.median(analyse(x).flatness[analyse(x).rms > 1e-4]))  # noqa: E731
    assert flat(hat) > 5 * flat(sine)


def test_audio_domain_windows_are_model_shaped() -> None:
    domain = audio_domain("synth", count=6, cfg=DEFAULT_ANALYSIS, step=16)
    assert domain.data.shape[1:] == (64, 64)
    assert domain.data.min() >= -1.0 and domain.data.max() <= 1.0
    assert len(domain.meta) == len(domain.data) and "attack" in domain.meta[0]


def test_silence_balancing_and_blank_pages() -> None:
    loud = np.zeros((90, 64, 64), np.float32)
    silent = -np.ones((60, 64, 64), np.float32)
    from models.datasets import Domain

    domain = Domain(np.concatenate([loud, silent]), [{}] * 150)
    balanced = balance_silence(domain, 0.1, seed=0)
    assert len(balanced.data) == 100  # 90 loud + 10 silent
    pages = add_blank_pages(Domain(np.ones((90, 8, 8), np.float32), [{}] * 90), 0.1)
    assert len(pages.data) == 100 and pages.data[90:].max() == 0.0


@pytest.mark.skipif(not DEJAVU_DIR.is_dir(), reason="DejaVu fonts not installed")
def test_glyphs_render_deterministically() -> None:
    a = image_domain("glyphs", count=4, seed=0)
    b = image_domain("glyphs", count=4, seed=0)
    assert np.array_equal(a.data, b.data)
    assert a.data.shape == (4, 64, 64)
    assert all(0.01 < (img > 0.5).mean() < 0.7 for img in a.data)
    assert all("codepoint" in m for m in a.meta)


def test_image_folder_inverts_dark_ink_and_skips_broken_files(tmp_path) -> None:
    from PIL import Image

    picture = np.full((40, 80), 255, np.uint8)
    picture[15:25, 10:70] = 0  # a dark bar on white paper
    Image.fromarray(picture).save(tmp_path / "bar.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    domain = image_domain(str(tmp_path), count=0)
    assert domain.data.shape == (1, 64, 64)
    assert len(domain.skipped) == 1 and "broken.png" in domain.skipped[0][0]
    ink = domain.data[0]
    assert ink[32, 32] > 0.9 and ink[2, 2] == 0.0  # bar became ink, paper stayed bare


def test_audio_folder_reads_resamples_and_reports(tmp_path) -> None:
    import soundfile

    t = np.arange(44100) / 44100
    soundfile.write(tmp_path / "a.wav", np.stack([np.sin(2 * np.pi * 440 * t)] * 2, 1), 44100)
    soundfile.write(tmp_path / "short.wav", np.zeros(100), 44100)
    domain = audio_domain(str(tmp_path), count=0, cfg=DEFAULT_ANALYSIS, step=8)
    assert len(domain.data) > 0 and domain.data.shape[1:] == (64, 64)
    assert [s[0].endswith("short.wav") for s in domain.skipped] == [True]
