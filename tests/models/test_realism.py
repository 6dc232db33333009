"""The realism training term: a sliced Wasserstein distance between pyramid patch sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from models.metrics import laplacian_pyramid
from models.realism import laplacian_levels, patch_sliced_wasserstein


def _lines(count: int, width: int, seed: int, size: int = 64) -> torch.Tensor:
    """``count`` fields of random wandering lines ``width`` px wide, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    fields = np.zeros((count, size, size))
    for field in fields:
        y, x = rng.uniform(16, 48, size=2)
        for _ in range(400):
            y = float(np.clip(y + rng.normal(0, 1.0), 4, size - 5))
            x = float(np.clip(x + rng.normal(0, 1.0), 4, size - 5))
            field[int(y), int(x)] = 1.0
        if width > 1:
            field[:] = ndimage.binary_dilation(field > 0, iterations=width - 1)
    return torch.from_numpy(fields[:, None] * 2.0 - 1.0).float()


def _rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_pyramid_is_the_metrics_pyramid() -> None:
    fields = np.random.default_rng(1).uniform(size=(3, 32, 32))
    ours = laplacian_levels(torch.from_numpy(fields[:, None]), levels=3)
    theirs = laplacian_pyramid(fields, levels=3)
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a[:, 0].numpy(), b, atol=1e-12)


def test_identical_batches_are_at_distance_zero() -> None:
    batch = _lines(4, 2, seed=0)
    assert float(patch_sliced_wasserstein(batch, batch.clone(), generator=_rng())) == 0.0


def test_it_tells_thick_strokes_from_thin_ones() -> None:
    thin_a, thin_b = _lines(8, 1, seed=1), _lines(8, 1, seed=2)
    thick = _lines(8, 4, seed=3)
    same_kind = float(patch_sliced_wasserstein(thin_a, thin_b, generator=_rng()))
    other_kind = float(patch_sliced_wasserstein(thick, thin_b, generator=_rng()))
    assert other_kind > 2.0 * same_kind


def test_descending_it_moves_pictures_towards_the_real_ones() -> None:
    real = _lines(8, 1, seed=4)
    fake = _lines(8, 4, seed=5).requires_grad_(True)
    start = float(patch_sliced_wasserstein(fake, real, generator=_rng(6)).detach())
    optimiser = torch.optim.Adam([fake], lr=0.02)
    rng = _rng(7)
    for _ in range(60):
        optimiser.zero_grad()
        patch_sliced_wasserstein(fake, real, generator=rng).backward()
        optimiser.step()
    end = float(patch_sliced_wasserstein(fake, real, generator=_rng(6)).detach())
    assert end < 0.6 * start
    assert real.grad is None  # the real side is a constant


def test_the_same_generator_state_gives_the_same_value() -> None:
    a, b = _lines(4, 1, seed=8), _lines(4, 3, seed=9)
    first = patch_sliced_wasserstein(a, b, generator=_rng(3))
    second = patch_sliced_wasserstein(a, b, generator=_rng(3))
    assert torch.equal(first, second)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="differ"):
        patch_sliced_wasserstein(torch.zeros(2, 1, 64, 64), torch.zeros(3, 1, 64, 64))
    with pytest.raises(ValueError, match="patch"):
        patch_sliced_wasserstein(torch.zeros(2, 1, 16, 16), torch.zeros(2, 1, 16, 16))
    with pytest.raises(ValueError, match="fields"):
        patch_sliced_wasserstein(torch.zeros(2, 3, 64, 64), torch.zeros(2, 3, 64, 64))
