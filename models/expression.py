"""The expression head: the seed's synaesthetic intuitions drawn by construction.

A learned generator draws a stroke *shape*; this fixed, differentiable head then gives the
stroke the sound's *manner*, read from the same window the generator was given
(:func:`models.descriptors.audio_descriptors`), so the intuitions hold for any sound, held
out or not, instead of only as far as a rank-correlation term could teach them:

==============  =====================  ====================================================
sound           descriptor             what the head does to the ink field ``p`` in [0, 1]
==============  =====================  ====================================================
louder          ``level`` (dB)         bigger (the quietest picture is drawn at
                                       ``MIN_SCALE`` of its size about the picture's centre,
                                       the loudest at full size), bolder (grey dilation by
                                       one pixel, lerped) and darker (gain from ``MIN_GAIN``
                                       at ``QUIET_DB`` up to 1 at ``LOUD_DB``): more and
                                       bigger ink, with the stroke's loops kept
noisier         ``noisiness``          a spray of fixed, seeded dots within three pixels of the
                                       strokes, more of them switched on the noisier the
                                       sound: busier, spikier edges
slower attack   ``attack``             broadened by a pixel and blurred (three 3×3 box
                                       blurs, σ ≈ 1.4 px): softer, broader strokes whose
                                       core stays above a stroke threshold of 0.5
==============  =====================  ====================================================

(Higher pitch → higher ink comes from drawing low bands at the bottom,
:attr:`models.config.StyleConfig.low_at_bottom`.)

Each amount is a clamped linear ramp of its descriptor times the style's ``strength``
(:attr:`models.config.StyleConfig.expression`); 0 is the identity. Every operation is per
sample and elementwise or a fixed-size pool, so a window's picture does not depend on its
batch, and the head costs about 0.5 M elementary operations (compares, adds) per 64×64
picture, 0.3 % of the default generator's 129 MMAC.

In training (:mod:`models.cyclegan`) the discriminator judges the learned drawing *before* the
head against the raw real drawings, so the strokes stay as real as the style's drawings; the
cycles run through the head: a window's expressed picture must give the window back, and a
real drawing expressed with the batch's sounds must come back through its generated sound
expressed the same way, so the image→audio generator learns to read the head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.analysis import AnalysisConfig
from models.descriptors import audio_descriptors

#: The descriptors the head reads, in this order.
EXPRESSION_DESCRIPTORS: tuple[str, ...] = ("level", "noisiness", "attack")

#: Window level (dB, the ``level`` descriptor) at which strokes are thinnest and palest.
QUIET_DB = -54.0
#: Window level (dB) from which strokes are boldest, fully dark and drawn at full size.
LOUD_DB = -16.0
#: The size (a share of the picture's, about its centre) at which the quietest windows
#: are drawn; it grows linearly with the level to 1 at ``LOUD_DB``. Louder is *bigger*
#: without filling a stroke's loops (a second pixel of dilation filled them). Chosen, with
#: ``LOUD_DB`` −16 (not −12), on the *training-side* instruments (TimGM6mb, 1 605 notes,
#: shipped squiggle): ink ratio velocity 110 ÷ 30 ×2.11 → ×2.85,
#: RSA +0.69 → +0.72, higher → higher +0.80 → +0.81; two pixels of dilation instead
#: gave ×2.33 and +0.70 with the loops filled.
MIN_SCALE = 0.75
#: Ink gain of the quietest windows: above the show's default stroke threshold (0.5,
#: :class:`renderer.settings.LayerSettings`), so a quiet stroke thins there but never vanishes.
MIN_GAIN = 0.6
#: ``noisiness`` (−1 a tone … +1 white noise) below which no spray is drawn …
TONAL_NOISINESS = -0.75
#: … and from which the full spray is drawn.
NOISY_NOISINESS = 0.0
#: ``attack`` (+1 a hit from silence … −1 steady) from which strokes stay sharp …
HIT_ATTACK = 0.6
#: … and at which they are fully softened.
SWELL_ATTACK = -0.6
#: How far (px) from the strokes the spray reaches.
SPRAY_REACH = 3
#: Share of pixels that carry a spray dot, and the seed of their places.
SPRAY_DENSITY = 0.25
SPRAY_SEED = 1729


#: Noisiness amount over which one dot goes from off to on (a steep linear ramp: dots are
#: crisp, and exactly off below their threshold).
SPRAY_EDGE = 0.04


def spray_texture(size: int) -> torch.Tensor:
    """The fixed spray pattern ``(1, 1, size, size)``: each pixel's noisiness amount at
    which its dot switches on — a ``SPRAY_DENSITY`` share of pixels at thresholds spread
    evenly over (0.05, 1), the rest at 2 (never). The same numbers on every machine (a
    seeded CPU generator). As a sound gets noisier more dots switch on, each at full ink,
    so the spray is visible through a stroke threshold and counts as edges."""
    gen = torch.Generator().manual_seed(SPRAY_SEED)
    sites = torch.rand(size, size, generator=gen) < SPRAY_DENSITY
    thresholds = 0.05 + 0.95 * torch.rand(size, size, generator=gen)
    return torch.where(sites, thresholds, torch.full_like(thresholds, 2.0)).view(1, 1, size, size)


def ramp(x: torch.Tensor, start: float, end: float) -> torch.Tensor:
    """0 at ``start``, 1 at ``end``, linear between, clamped (either direction)."""
    return ((x - start) / (end - start)).clamp(0.0, 1.0)


def amounts(descriptors: torch.Tensor, analysis: AnalysisConfig) -> dict[str, torch.Tensor]:
    """The head's amounts in [0, 1], each ``(B, 1, 1, 1)``, from ``(B, 3)`` descriptors in
    :data:`EXPRESSION_DESCRIPTORS` order: ``loud``, ``noisy`` and ``slow``."""
    span = analysis.db_ceil - analysis.db_floor
    level_db = analysis.db_floor + (descriptors[:, 0] + 1.0) * (span / 2.0)
    shape = (-1, 1, 1, 1)
    return {
        "loud": ramp(level_db, QUIET_DB, LOUD_DB).view(shape),
        "noisy": ramp(descriptors[:, 1], TONAL_NOISINESS, NOISY_NOISINESS).view(shape),
        "slow": ramp(descriptors[:, 2], HIT_ATTACK, SWELL_ATTACK).view(shape),
    }


def _grey_dilate(p: torch.Tensor, radius: int) -> torch.Tensor:
    """Grey dilation of ``p`` (≥ 0) by a ``(2r+1)²`` square, as maxima of shifted slices
    along each axis (zero padding equals −∞ padding for non-negative ink): the same as
    ``max_pool2d`` to the bit, 3–5× faster for one 64² picture on a CPU, and elementwise, so
    batch-independent."""
    size_h, size_w = p.shape[2], p.shape[3]
    padded = F.pad(p, (radius, radius, 0, 0))
    rows = padded[..., :, 0:size_w]
    for i in range(1, 2 * radius + 1):
        rows = torch.maximum(rows, padded[..., :, i : i + size_w])
    padded = F.pad(rows, (0, 0, radius, radius))
    out = padded[..., 0:size_h, :]
    for i in range(1, 2 * radius + 1):
        out = torch.maximum(out, padded[..., i : i + size_h, :])
    return out


def zoom_grid(size: int) -> torch.Tensor:
    """The sampling grid of a picture at full size, ``(1, size, size, 2)``: each pixel's
    centre as (x, y) in [-1, 1] (``grid_sample`` with ``align_corners=False``). A module
    keeps one as a buffer, so a call does not rebuild it."""
    centres = (torch.arange(size, dtype=torch.float32) * 2.0 + 1.0) / size - 1.0
    xs, ys = torch.broadcast_tensors(centres.view(1, -1), centres.view(-1, 1))
    return torch.stack([xs, ys], dim=-1).unsqueeze(0)


def _zoom(p: torch.Tensor, scale: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Each picture of ``p`` ``(B, 1, S, S)`` drawn at ``scale`` ``(B, 1, 1, 1)`` (≤ 1) of
    its size about its centre, bilinearly, with paper (0) around it; ``grid`` is
    :func:`zoom_grid` of ``S``. The sampling grid is that fixed grid times ``1 / scale``,
    elementwise, so each picture's bits do not depend on its batch
    (:func:`torch.nn.functional.affine_grid` would make them a batched product)."""
    sampled = grid / scale.view(-1, 1, 1, 1)
    return F.grid_sample(p, sampled, mode="bilinear", padding_mode="zeros", align_corners=False)


def _soften(p: torch.Tensor) -> torch.Tensor:
    """Three 3×3 box blurs (edges averaged over the pixels inside): a near-Gaussian of
    σ = √2 ≈ 1.41 px (each box adds a variance of 2/3 per axis)."""
    for _ in range(3):
        p = F.avg_pool2d(p, 3, stride=1, padding=1, count_include_pad=False)
    return p


def express(
    field: torch.Tensor,
    descriptors: torch.Tensor,
    analysis: AnalysisConfig,
    strength: float | torch.Tensor,
    spray: torch.Tensor | None = None,
    grid: torch.Tensor | None = None,
) -> torch.Tensor:
    """Apply the head to generated (or real) pictures.

    Args:
        field: ``(B, 1, S, S)`` ink fields in [-1, 1] (−1 paper, +1 ink), row 0 the top.
        descriptors: ``(B, 3)`` audio descriptors of the windows they stand for, in
            :data:`EXPRESSION_DESCRIPTORS` order (gradients pass through them).
        analysis: the windows' analysis (its dB range gives the level in dB).
        strength: 0 (the identity) … 1 (the full head), for the whole batch, or ``(B,)``
            one per picture (the live show's per-layer ``expression``). A tensor of 1.0
            gives the same bits as the float 1.0: the same float32 operations in the same
            order (each picture's strength is only ever multiplied in, never summed).
        spray: :func:`spray_texture` of size ``S`` (made here when not given; a module
            keeps one as a buffer).
        grid: :func:`zoom_grid` of size ``S`` (the same).

    Returns:
        ``(B, 1, S, S)`` in [-1, 1].
    """
    if isinstance(strength, torch.Tensor):
        strength = strength.to(field.dtype).view(-1, 1, 1, 1)
    elif strength <= 0.0:
        return field
    a = amounts(descriptors, analysis)
    loud, noisy, slow = (a[k] * strength for k in ("loud", "noisy", "slow"))
    p = (field.clamp(-1.0, 1.0) + 1.0) * 0.5
    if grid is None:
        grid = zoom_grid(p.shape[-1]).to(device=p.device, dtype=p.dtype)
    p = _zoom(p, 1.0 - strength * (1.0 - MIN_SCALE) * (1.0 - a["loud"]), grid)
    p = p + loud * (_grey_dilate(p, 1) - p)
    p = p + slow * (_soften(_grey_dilate(p, 1)) - p)
    # The spray comes after the blur, so a slow noisy sound keeps crisp dots.
    halo = _grey_dilate(p, SPRAY_REACH)
    if spray is None:
        spray = spray_texture(p.shape[-1]).to(device=p.device, dtype=p.dtype)
    dots = ((noisy - spray) / SPRAY_EDGE + 0.5).clamp(0.0, 1.0)
    p = torch.maximum(p, halo * dots)
    p = p * (1.0 - strength * (1.0 - MIN_GAIN) * (1.0 - a["loud"]))
    return p * 2.0 - 1.0


def window_expression_descriptors(windows: torch.Tensor, analysis: AnalysisConfig) -> torch.Tensor:
    """``(B, 3)`` descriptors the head reads, of ``(B, 1, n_mels, n_frames)`` unit windows."""
    return audio_descriptors(windows, analysis, EXPRESSION_DESCRIPTORS)
