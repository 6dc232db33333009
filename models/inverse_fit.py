"""Fitting the image→audio generator to the finished drawings (the last phase of training).

Adversarial training moves both generators at once, so the image→audio generator chases a
drawing that keeps changing, and it sees each drawing as a float field, not as the 8-bit
picture the show and ``synaesthete cycle`` give it. This phase freezes the audio→image
generator and fits the image→audio one alone to turn the uint8-rounded pictures of the
training windows back into those windows (the audio cycle's L1 term on its own). No
picture changes; the cycle reads more of what the picture holds.

Measured on the shipped default style (held-out real instruments, ``synaesthete evaluate``'s
cycle mel LSD): 1 500 steps of batch 16 at 2e-4 took 11.14 dB to 9.56 dB; an image→audio
generator trained on two thirds of the held-out notes themselves reached 8.3 dB on the other
third, so most of what is left is what the drawing does not hold.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import torch
from torch import nn

#: Windows drawn at once while the pictures are made (memory, not results).
DRAW_CHUNK = 256


def rounded_pictures(fields: torch.Tensor) -> torch.Tensor:
    """Fields in [-1, 1] as the 8-bit picture gives them back: each value rounded half-up to
    one of 256 levels (as :func:`models.pictures.unit_to_uint8`), then mapped to [-1, 1]
    (as :meth:`models.style.Style.image_to_windows` reads a uint8 picture). Same shape."""
    levels = torch.floor((fields.clamp(-1.0, 1.0) + 1.0) * 127.5 + 0.5)
    return levels / 255.0 * 2.0 - 1.0


@torch.no_grad()
def draw_all(
    g_image: nn.Module, windows: torch.Tensor, device: torch.device | None = None
) -> torch.Tensor:
    """The finished pictures ``(N, 1, S, S)`` (rounded to 8 bits, on the CPU) of ``windows``
    ``(N, 1, n_mels, n_frames)``, drawn in chunks on ``device`` with ``g_image`` in eval
    mode."""
    was_training = g_image.training
    g_image.eval()
    try:
        parts = [
            rounded_pictures(g_image(windows[i : i + DRAW_CHUNK].to(device))).cpu()
            for i in range(0, len(windows), DRAW_CHUNK)
        ]
    finally:
        g_image.train(was_training)
    return torch.cat(parts) if parts else windows[:0]


def fit_inverse(
    g_audio: nn.Module,
    pictures: torch.Tensor,
    windows: torch.Tensor,
    *,
    steps: int,
    lr: float,
    batch_size: int,
    seed: int,
    device: torch.device | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> float:
    """Fit ``g_audio`` so that ``g_audio(pictures[i])`` ≈ ``windows[i]`` (mean absolute error).

    Args:
        g_audio: the image→audio generator, trained in place (put back in eval mode).
        pictures: ``(N, 1, S, S)`` in [-1, 1], e.g. from :func:`draw_all`.
        windows: ``(N, 1, n_mels, n_frames)`` in [-1, 1], the windows they were drawn from.
        steps: optimiser steps; batches of ``batch_size`` drawn with replacement from a
            generator seeded with ``seed`` (so a run repeats exactly).
        lr: Adam's learning rate (β 0.5, 0.999, as the adversarial phase), decaying
            linearly to 0 over the steps.
        device: where the batches go (``g_audio``'s device); the sets may stay on the CPU.
        on_step: called with ``(step, loss)`` after each step (1-based), e.g. a progress bar.

    Returns:
        The mean loss over the last ``min(steps, 50)`` steps (0.0 for no steps).

    Raises:
        ValueError: ``pictures`` and ``windows`` differ in length, or there are none.
    """
    if len(pictures) != len(windows):
        raise ValueError(f"{len(pictures)} pictures for {len(windows)} windows")
    if steps <= 0:
        return 0.0
    if len(pictures) == 0:
        raise ValueError("no pictures to fit the image→audio generator to")
    params = list(g_audio.parameters())
    for p in params:
        p.requires_grad_(True)
    optimiser = torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))
    generator = torch.Generator().manual_seed(seed)
    tail: deque[float] = deque(maxlen=50)
    g_audio.train()
    for step in range(1, steps + 1):
        for group in optimiser.param_groups:
            group["lr"] = lr * (1.0 - (step - 1) / steps)
        picked = torch.randint(0, len(pictures), (batch_size,), generator=generator)
        x = pictures[picked].to(device)
        target = windows[picked].to(device)
        loss = torch.mean(torch.abs(g_audio(x) - target))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        value = float(loss.detach())
        tail.append(value)
        if on_step is not None:
            on_step(step, value)
    g_audio.eval()
    return sum(tail) / len(tail)
