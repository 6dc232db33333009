"""One CycleGAN optimisation step: the losses of Zhu et al. 2017 with an image pool.

Naming: domain A is audio (analysis windows), domain B is images (ink fields).
``g_image`` maps audio→image, ``g_audio`` image→audio; ``d_image`` and ``d_audio`` judge
each domain. The generator side runs as one module (:class:`GeneratorPair`) so that under
DDP each backward follows exactly one forward of the wrapped module; the generator losses
call the discriminators' bare modules with their parameters frozen, so DDP's discriminator
reducer only ever sees the discriminator step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.config import LossConfig, OptimConfig

#: Loss names reported every step, in a fixed order for logs.
LOSS_NAMES: tuple[str, ...] = (
    "g_gan_image",
    "g_gan_audio",
    "cycle_audio",
    "cycle_image",
    "identity",
    "d_image",
    "d_audio",
)


class ImagePool:
    """History of generated samples (Shrivastava et al. 2017): half the time the
    discriminator sees an older fake instead of the newest, which damps oscillation.
    Uses its own seeded generator so runs are reproducible."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.items: list[torch.Tensor] = []
        self.rng = torch.Generator().manual_seed(seed)

    def query(self, batch: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return batch
        out = []
        for item in batch.detach():
            item = item.unsqueeze(0)
            if len(self.items) < self.size:
                self.items.append(item.clone())
                out.append(item)
            elif torch.rand(1, generator=self.rng).item() < 0.5:
                slot = int(torch.randint(0, self.size, (1,), generator=self.rng).item())
                out.append(self.items[slot].clone())
                self.items[slot] = item.clone()
            else:
                out.append(item)
        return torch.cat(out)


class GeneratorPair(nn.Module):
    """Both generators; one forward computes every generated tensor the losses need."""

    def __init__(self, g_image: nn.Module, g_audio: nn.Module, identity: bool) -> None:
        super().__init__()
        self.g_image = g_image
        self.g_audio = g_audio
        self.identity = identity

    def forward(self, audio: torch.Tensor, image: torch.Tensor) -> dict[str, torch.Tensor]:
        fake_image = self.g_image(audio)
        fake_audio = self.g_audio(image)
        out = {
            "fake_image": fake_image,
            "rec_audio": self.g_audio(fake_image),
            "fake_audio": fake_audio,
            "rec_image": self.g_image(fake_audio),
        }
        if self.identity:
            out["idt_image"] = self.g_image(image)
            out["idt_audio"] = self.g_audio(audio)
        return out


def _bare(module: nn.Module) -> nn.Module:
    return module.module if hasattr(module, "module") else module


def _set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


def lsgan(prediction: torch.Tensor, real: bool) -> torch.Tensor:
    """Least-squares GAN loss against target 1 (real) or 0 (fake)."""
    target = torch.ones_like(prediction) if real else torch.zeros_like(prediction)
    return torch.mean((prediction - target) ** 2)


@dataclass
class CycleGANStep:
    """Networks, optimisers and pools; :meth:`step` runs one full update."""

    generators: nn.Module  # GeneratorPair, possibly DDP-wrapped
    d_image: nn.Module
    d_audio: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    loss: LossConfig
    pool_image: ImagePool
    pool_audio: ImagePool

    @classmethod
    def create(
        cls,
        generators: nn.Module,
        d_image: nn.Module,
        d_audio: nn.Module,
        loss: LossConfig,
        optim: OptimConfig,
        seed: int,
    ) -> CycleGANStep:
        betas = (optim.beta1, optim.beta2)
        opt_g = torch.optim.Adam(generators.parameters(), lr=optim.lr, betas=betas)
        d_params = list(d_image.parameters()) + list(d_audio.parameters())
        opt_d = torch.optim.Adam(d_params, lr=optim.lr, betas=betas)
        return cls(
            generators,
            d_image,
            d_audio,
            opt_g,
            opt_d,
            loss,
            ImagePool(optim.pool_size, seed),
            ImagePool(optim.pool_size, seed + 1),
        )

    def set_lr(self, lr: float) -> None:
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr

    def step(self, audio: torch.Tensor, image: torch.Tensor) -> dict[str, float]:
        """One generator update then one discriminator update; returns the losses."""
        bare_d_image, bare_d_audio = _bare(self.d_image), _bare(self.d_audio)
        _set_requires_grad(bare_d_image, False)
        _set_requires_grad(bare_d_audio, False)
        self.opt_g.zero_grad(set_to_none=True)
        out = self.generators(audio, image)
        g_gan_image = lsgan(bare_d_image(out["fake_image"]), True)
        g_gan_audio = lsgan(bare_d_audio(out["fake_audio"]), True)
        cycle_audio = torch.mean(torch.abs(out["rec_audio"] - audio))
        cycle_image = torch.mean(torch.abs(out["rec_image"] - image))
        identity = torch.zeros((), device=audio.device)
        if "idt_image" in out:
            identity = torch.mean(torch.abs(out["idt_image"] - image)) + torch.mean(
                torch.abs(out["idt_audio"] - audio)
            )
        total_g = (
            g_gan_image
            + g_gan_audio
            + self.loss.cycle * (cycle_audio + cycle_image)
            + self.loss.identity * self.loss.cycle * 0.5 * identity
        )
        total_g.backward()
        self.opt_g.step()

        _set_requires_grad(bare_d_image, True)
        _set_requires_grad(bare_d_audio, True)
        self.opt_d.zero_grad(set_to_none=True)
        fake_image = self.pool_image.query(out["fake_image"])
        fake_audio = self.pool_audio.query(out["fake_audio"])
        n = image.shape[0]
        pred_image = self.d_image(torch.cat([image, fake_image]))
        pred_audio = self.d_audio(torch.cat([audio, fake_audio]))
        d_image = 0.5 * (lsgan(pred_image[:n], True) + lsgan(pred_image[n:], False))
        d_audio = 0.5 * (lsgan(pred_audio[:n], True) + lsgan(pred_audio[n:], False))
        (d_image + d_audio).backward()
        self.opt_d.step()
        values = (g_gan_image, g_gan_audio, cycle_audio, cycle_image, identity, d_image, d_audio)
        return {name: float(v.detach()) for name, v in zip(LOSS_NAMES, values, strict=True)}
