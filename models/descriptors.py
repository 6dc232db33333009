"""Differentiable descriptors of analysis windows and of pictures, and a soft rank correlation.

Audio descriptors are computed from the *window the generator sees* (a unit-scaled log-mel
window, :func:`models.analysis.to_unit`), so whoever holds the window — training, the live
bridge, the offline look-ahead feed, ``synaesthete draw`` — gets the same numbers, and a
conditioned generator needs nothing else fed to it. They are cheap (a few reductions over a
64×64 window) and per sample, so a window's descriptors do not depend on its batch.

=============  ===================================================================================
``level``      mean frame power of the window in dB (the sum of the mel bands' power), mapped so
               −80 dB → −1 and 0 dB → +1: absolute loudness, which instance norm would remove
``flatness``   power-weighted mean over frames of the mel-band spectral flatness in dB (geometric
               over arithmetic mean of band power), ÷ 20: near 0 for noise, negative for tones
``attack``     the largest rise of the frame amplitude (relative to the window's loudest frame)
               over one frame length (``n_fft / hop`` frames), times 2 minus 1: +1 for a hit
               from silence, about −0.8 for a 0.5 s swell, −1 for a steady or fading sound
``centroid``   centre of the bands weighted by their level above the floor (0 lowest band, 1
               highest), times 2 minus 1: pitch and brightness together
``noisiness``  power-weighted mean over frames of the (soft) share of bands within 20 dB of the
               frame's loudest band, times 2 minus 1: wide-band noise near +1, a tone near −1,
               at any level whose peak stands 20 dB above the floor (the flatness of a quiet
               tone rises as its bands sink into the floor)
=============  ===================================================================================

Picture descriptors (:func:`picture_descriptors`) mirror the held-out measures of
:mod:`models.instrument_eval` (:mod:`models.metrics`), in a form gradients pass through:
ink mass, edge density (a soft count of Sobel gradients above 0.1), softness (minus the
mean Sobel gradient over the inked region) and ink height (vertical centre of mass, 1 = top).

:func:`rank_correlation` is Spearman's ρ with the picture side's ranks made soft (each a sum
of sigmoids of pairwise differences), so a batch can be asked to order its pictures the way
its sounds are ordered.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.analysis import AnalysisConfig

#: Audio descriptors a generator may be conditioned on, in their canonical order.
AUDIO_DESCRIPTORS: tuple[str, ...] = ("level", "flatness", "attack", "centroid", "noisiness")

#: Bands within this many dB of a frame's loudest band count as occupied (``noisiness``).
NOISE_SPAN_DB = 20.0

#: Picture descriptors :func:`picture_descriptors` returns.
PICTURE_DESCRIPTORS: tuple[str, ...] = ("ink", "edges", "softness", "height")

_LN10_OVER_10 = 0.23025850929940458  # ln(10) / 10: dB → natural log of power


def check_descriptor_names(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``names`` as a tuple, each one of :data:`AUDIO_DESCRIPTORS` and none twice.

    Raises:
        ValueError: naming the unknown or repeated descriptor.
    """
    out = tuple(names)
    for name in out:
        if name not in AUDIO_DESCRIPTORS:
            raise ValueError(
                f"unknown audio descriptor {name!r}; expected some of {AUDIO_DESCRIPTORS}"
            )
    if len(set(out)) != len(out):
        raise ValueError(f"audio descriptors named twice: {list(out)}")
    return out


def audio_descriptors(
    windows: torch.Tensor, cfg: AnalysisConfig, names: tuple[str, ...] = AUDIO_DESCRIPTORS
) -> torch.Tensor:
    """Descriptors of unit-scaled windows.

    Args:
        windows: ``(B, 1, n_mels, n_frames)`` or ``(B, n_mels, n_frames)`` in [-1, 1], band 0
            the lowest, frame 0 the oldest (as :func:`models.analysis.sliding_windows` cuts).
        cfg: the analysis whose ``db_floor``/``db_ceil`` the unit scale stands for.
        names: which descriptors, in this order (see the module docstring).

    Returns:
        ``(B, len(names))`` float tensor, each descriptor roughly in [-1, 1].
    """
    x = windows[:, 0] if windows.dim() == 4 else windows
    x = x.clamp(-1.0, 1.0)
    span = cfg.db_ceil - cfg.db_floor
    db = cfg.db_floor + (x + 1.0) * (span / 2.0)  # (B, M, T)
    log_power = db * _LN10_OVER_10
    # Frame power: the bands' power summed, as a log-sum-exp for range and smoothness.
    frame_log = torch.logsumexp(log_power, dim=1)  # (B, T)
    out: dict[str, torch.Tensor] = {}
    if "level" in names:
        mean_log = torch.logsumexp(frame_log, dim=1) - torch.log(
            torch.tensor(float(x.shape[-1]), dtype=x.dtype)
        )
        level_db = mean_log / _LN10_OVER_10
        out["level"] = (level_db - cfg.db_floor) * (2.0 / span) - 1.0
    if "flatness" in names:
        n_mels = x.shape[1]
        arith = frame_log - torch.log(torch.tensor(float(n_mels), dtype=x.dtype))
        flat_db = (log_power.mean(dim=1) - arith) / _LN10_OVER_10  # (B, T), <= 0
        weight = torch.softmax(frame_log, dim=1)  # power-weighted over frames
        out["flatness"] = (flat_db * weight).sum(dim=1) / 20.0
    if "attack" in names:
        # Frame amplitude relative to the window's loudest frame, and its largest rise over
        # one frame length (n_fft / hop frames, the time a step takes to pass through a
        # frame): 1 for a hit from silence, about 0.1 for a 0.5 s linear swell.
        lag = max(1, -(-cfg.n_fft // cfg.hop))
        lag = min(lag, x.shape[-1] - 1) if x.shape[-1] > 1 else 0
        amplitude = torch.exp(0.5 * (frame_log - frame_log.max(dim=1, keepdim=True).values))
        if lag:
            rise = (amplitude[:, lag:] - amplitude[:, :-lag]).max(dim=1).values.clamp(min=0.0)
        else:
            rise = torch.zeros_like(amplitude[:, 0])
        out["attack"] = 2.0 * rise - 1.0
    if "noisiness" in names:
        # Share of bands within NOISE_SPAN_DB of the frame's loudest (soft), power-weighted
        # over frames, ×2 − 1. Unlike the flatness, a quiet tone is no flatter than a loud
        # one while its peak stands 20 dB above the floor.
        below = db.max(dim=1, keepdim=True).values - db  # (B, M, T) dB under the peak
        occupied = torch.sigmoid((NOISE_SPAN_DB - below) / 2.0).mean(dim=1)  # (B, T)
        weight = torch.softmax(frame_log, dim=1)
        out["noisiness"] = 2.0 * (occupied * weight).sum(dim=1) - 1.0
    if "centroid" in names:
        weight = (x + 1.0) * 0.5  # level above the floor, 0..1
        bands = torch.linspace(0.0, 1.0, x.shape[1], dtype=x.dtype).view(1, -1, 1)
        eps = 1e-3
        centre = ((weight * bands).sum(dim=(1, 2)) + 0.5 * eps) / (weight.sum(dim=(1, 2)) + eps)
        out["centroid"] = 2.0 * centre - 1.0
    return torch.stack([out[n] for n in names], dim=1)


_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0


def picture_descriptors(fields: torch.Tensor) -> dict[str, torch.Tensor]:
    """Differentiable descriptors of ink fields.

    Args:
        fields: ``(B, 1, S, S)`` in [-1, 1] (-1 paper, +1 ink), row 0 the top.

    Returns:
        ``{"ink", "edges", "softness", "height"}``, each ``(B,)``: mean ink in [0, 1]; the
        soft share of pixels whose Sobel gradient exceeds 0.1; minus the mean gradient over
        the (softly) inked region dilated by a pixel; the vertical centre of mass (1 = top
        row, 0.5 if blank).
    """
    ink = (fields.clamp(-1.0, 1.0) + 1.0) * 0.5
    kx = _SOBEL_X.to(ink.dtype).view(1, 1, 3, 3)
    ky = kx.transpose(2, 3)
    gx = F.conv2d(ink, kx, padding=1)
    gy = F.conv2d(ink, ky, padding=1)
    grad = torch.sqrt(gx * gx + gy * gy + 1e-8)[:, 0]
    edges = torch.sigmoid((grad - 0.1) / 0.02).mean(dim=(1, 2))
    inked = torch.sigmoid((ink - 0.1) / 0.03)
    region = F.max_pool2d(inked, 3, stride=1, padding=1)[:, 0]  # dilated by one pixel
    softness = -(grad * region).sum(dim=(1, 2)) / (region.sum(dim=(1, 2)) + 1e-3)
    size = ink.shape[2]
    rows = torch.linspace(1.0, 0.0, size, dtype=ink.dtype).view(1, -1, 1)
    eps = 1e-3
    height = ((ink[:, 0] * rows).sum(dim=(1, 2)) + 0.5 * eps) / (ink[:, 0].sum(dim=(1, 2)) + eps)
    return {"ink": ink.mean(dim=(1, 2, 3)), "edges": edges, "softness": softness, "height": height}


def hard_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks 0..B-1 of ``(B,)`` values (ties take their mean rank), as floats, no gradient."""
    v = values.detach()
    less = (v[None, :] < v[:, None]).to(v.dtype).sum(dim=1)
    equal = (v[None, :] == v[:, None]).to(v.dtype).sum(dim=1)
    return less + 0.5 * (equal - 1.0)


def soft_ranks(values: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Differentiable ranks of ``(B,)`` values: ``sum_j sigmoid((v_i - v_j) / τ) - 0.5``
    with ``τ = temperature × std(v)``; tends to :func:`hard_ranks` as ``temperature → 0``."""
    scale = temperature * values.detach().std(unbiased=False) + 1e-8
    diff = (values[:, None] - values[None, :]) / scale
    return torch.sigmoid(diff).sum(dim=1) - 0.5


def rank_correlation(
    target: torch.Tensor, values: torch.Tensor, temperature: float = 0.1
) -> torch.Tensor:
    """Spearman-like ρ between the hard ranks of ``target`` and the soft ranks of ``values``
    (both ``(B,)``); 0 when either side is constant (nothing to order). Gradients reach
    ``values`` only."""
    a = hard_ranks(target)
    b = soft_ranks(values, temperature)
    a = a - a.mean()
    b = b - b.mean()
    denom = torch.sqrt((a * a).sum() * (b * b).sum())
    if float(denom.detach()) <= 1e-12:
        return (values * 0.0).sum()  # nothing to order; keeps the graph for backward
    return (a * b).sum() / denom
