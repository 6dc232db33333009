"""Evaluation measures on inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from models.metrics import (
    distance_correlation,
    edge_density,
    laplacian_pyramid,
    log_spectral_distance,
    pairwise_distances,
    pyramid_swd,
    sharpness,
    spearman,
    spectral_convergence,
    stroke_stats,
)
from models.squiggles import squiggle_set


def test_spectral_distances() -> None:
    db = np.random.default_rng(0).uniform(-80, 0, size=(10, 64))
    assert log_spectral_distance(db, db) == 0.0
    assert log_spectral_distance(db, db + 3.0) == pytest.approx(3.0)
    assert spectral_convergence(db, db) == 0.0
    # +6 dB doubles every magnitude: ‖2S − S‖ / ‖S‖ = 1.
    assert spectral_convergence(db, db + 20 * np.log10(2)) == pytest.approx(1.0)


def test_laplacian_pyramid_reconstructs_its_input() -> None:
    from models.metrics import _blur

    images = np.random.default_rng(1).uniform(size=(2, 64, 64))
    bands = laplacian_pyramid(images, levels=3)
    assert [b.shape[1] for b in bands] == [64, 32, 16]
    current = bands[-1]
    for band in bands[-2::-1]:
        up = np.zeros(band.shape)
        up[:, ::2, ::2] = current
        current = band + 4.0 * _blur(up)
    assert np.allclose(current, images)


def test_swd_separates_drawings_from_noise() -> None:
    a, _ = squiggle_set(48, start=0)
    b, _ = squiggle_set(48, start=100)
    noise = np.random.default_rng(2).uniform(size=a.shape)
    real = np.mean(pyramid_swd(a, b, patches_per_image=32, directions=64))
    fake = np.mean(pyramid_swd(a, noise, patches_per_image=32, directions=64))
    assert real < 0.5 * fake


def test_stroke_stats_of_a_bar() -> None:
    ink = np.zeros((64, 64))
    ink[20:24, 4:60] = 1.0  # 4 px wide, 56 px long
    stats = stroke_stats(ink)
    assert stats["coverage"] == pytest.approx(4 * 56 / 64**2)
    assert stats["stroke_width"] == pytest.approx(2 * 4 * 56 / (2 * 56 + 2 * 4))
    assert stats["components"] == 1.0
    ink[40:42, 10:20] = 1.0
    ink[50, 50] = 1.0  # a single speck is not a component
    assert stroke_stats(ink)["components"] == 2.0


def test_texture_measures_rank_hard_and_soft_edges() -> None:
    hard = np.zeros((64, 64))
    hard[16:48, 16:48] = 1.0
    y, x = np.mgrid[:64, :64]
    soft = np.clip(1.0 - np.hypot(x - 32, y - 32) / 24.0, 0, 1)
    assert sharpness(hard) > 2 * sharpness(soft)
    stripes = np.tile((np.arange(64) // 2 % 2).astype(float), (64, 1))
    assert edge_density(stripes) > 5 * edge_density(hard)
    assert sharpness(np.zeros((8, 8))) == 0.0


def test_rank_correlations() -> None:
    x = np.arange(20.0)
    assert spearman(x, x**3)["rho"] == pytest.approx(1.0)
    assert spearman(x, -x)["rho"] == pytest.approx(-1.0)
    assert np.isnan(spearman(x, np.ones(20))["rho"])
    points = np.random.default_rng(3).normal(size=(12, 5))
    d = pairwise_distances(points)
    assert np.allclose(np.diag(d), 0.0, atol=1e-6)
    assert d[0, 1] == pytest.approx(np.linalg.norm(points[0] - points[1]))
    assert distance_correlation(d, 2 * d)["rho"] == pytest.approx(1.0)
