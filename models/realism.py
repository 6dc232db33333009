"""A realism term for training: sliced Wasserstein distance between patch sets.

The held-out realism measure (:func:`models.metrics.pyramid_swd`) compares 7×7 patches of
a Laplacian pyramid of generated and real drawings (Karras et al. 2018, "Progressive
growing of GANs", appendix D). The adversarial loss alone left the default style drawing
hatched horizontal smears where the drawings have thin looping lines (SWD ×10³ 220 against
34 between two sets of real drawings). This module gives the generator the same kind of
signal directly: the sliced Wasserstein distance between the patch distributions of a
batch of its drawings and a batch of real ones, differentiable through the sort
(Deshpande et al. 2018, "Generative modeling using the sliced Wasserstein distance";
Heitz et al. 2021, "A sliced Wasserstein loss for neural texture synthesis").

Everything here is pure torch on ``(B, 1, S, S)`` fields; no I/O.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.metrics import PATCH, PYRAMID_TAPS


def _mirror(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Two pixels of half-sample symmetric padding along ``dim`` (``b a | a b …``, scipy's
    ``mode="reflect"``, which the metric's blur uses; torch's ``"reflect"`` skips the edge)."""
    size = x.shape[dim]
    head = x.narrow(dim, 0, 2).flip(dim)
    tail = x.narrow(dim, size - 2, 2).flip(dim)
    return torch.cat([head, x, tail], dim=dim)


def _blur(x: torch.Tensor) -> torch.Tensor:
    """Separable 5-tap binomial blur with mirrored borders; ``(B, 1, H, W)``."""
    taps = torch.tensor(PYRAMID_TAPS, dtype=x.dtype, device=x.device) / 16.0
    x = F.conv2d(_mirror(x, 3), taps.view(1, 1, 1, 5))
    return F.conv2d(_mirror(x, 2), taps.view(1, 1, 5, 1))


def laplacian_levels(x: torch.Tensor, levels: int = 3) -> list[torch.Tensor]:
    """Band-pass levels (finest first) and the coarsest low-pass of ``(B, 1, H, W)``;
    the same construction as :func:`models.metrics.laplacian_pyramid`."""
    pyramid = []
    current = x
    for _ in range(levels - 1):
        low = _blur(current)[:, :, ::2, ::2]
        up = torch.zeros_like(current)
        up[:, :, ::2, ::2] = low
        pyramid.append(current - 4.0 * _blur(up))
        current = low
    pyramid.append(current)
    return pyramid


def _patches(level: torch.Tensor, stride: int) -> torch.Tensor:
    """Every ``PATCH``×``PATCH`` patch (at ``stride``) of ``(B, 1, H, W)`` as rows ``(N, 49)``."""
    cols = F.unfold(level, PATCH, stride=stride)  # (B, 49, L)
    return cols.transpose(1, 2).reshape(-1, PATCH * PATCH)


def patch_sliced_wasserstein(
    fake: torch.Tensor,
    real: torch.Tensor,
    *,
    levels: int = 3,
    directions: int = 32,
    stride: int = 2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Mean over pyramid levels of the sliced Wasserstein-1 distance between the patch
    sets of ``fake`` and ``real`` (both ``(B, 1, S, S)``, the same B and S; any value range).

    Each level's patches are standardised with the real patches' mean and standard
    deviation (constants, so the generator cannot shrink the distance by shrinking the
    scale), projected on ``directions`` random unit vectors (drawn from ``generator``),
    sorted along each direction, and compared by mean absolute difference. Gradients reach
    ``fake`` through the sort. Returns a scalar tensor ≥ 0 (0 for identical batches).

    Raises:
        ValueError: shapes differ, or the pictures are smaller than the pyramid needs.
    """
    if fake.shape != real.shape:
        raise ValueError(f"fake {tuple(fake.shape)} and real {tuple(real.shape)} differ")
    if fake.dim() != 4 or fake.shape[1] != 1:
        raise ValueError(f"expected (B, 1, S, S) fields, got {tuple(fake.shape)}")
    smallest = min(fake.shape[-2:]) // 2 ** (levels - 1)
    if smallest < PATCH:
        raise ValueError(
            f"{levels} levels of {tuple(fake.shape[-2:])} leave {smallest} px, under a "
            f"{PATCH}-px patch"
        )
    real = real.detach()
    total = fake.new_zeros(())
    for level_fake, level_real in zip(
        laplacian_levels(fake, levels), laplacian_levels(real, levels), strict=True
    ):
        # Coarser levels are smaller: a finer stride keeps their patch count up.
        step = stride if level_fake.shape[-1] >= 4 * PATCH else 1
        pf, pr = _patches(level_fake, step), _patches(level_real, step)
        mean, std = pr.mean(), pr.std().clamp_min(1e-3)
        pf, pr = (pf - mean) / std, (pr - mean) / std
        dirs = torch.randn(
            PATCH * PATCH, directions, generator=generator, dtype=fake.dtype, device="cpu"
        ).to(fake.device)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)
        # (directions, N): each row sorted along the last, contiguous axis (5× faster
        # than sorting the columns of (N, directions) here).
        proj_fake = torch.sort(dirs.T @ pf.T, dim=1).values
        proj_real = torch.sort(dirs.T @ pr.T, dim=1).values
        total = total + torch.mean(torch.abs(proj_fake - proj_real))
    return total / levels
