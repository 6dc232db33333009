"""One CycleGAN optimisation step: the losses of Zhu et al. 2017 with an image pool.

Naming: domain A is audio (analysis windows), domain B is images (ink fields).
``g_image`` maps audio→image, ``g_audio`` image→audio; ``d_image`` and ``d_audio`` judge
each domain. The generator side runs as one module (:class:`GeneratorPair`) so that under
DDP each backward follows exactly one forward of the wrapped module; the generator losses
call the discriminators' bare modules with their parameters frozen, so DDP's discriminator
reducer only ever sees the discriminator step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from models.analysis import DEFAULT_ANALYSIS, AnalysisConfig
from models.config import LossConfig, OptimConfig
from models.descriptors import audio_descriptors, picture_descriptors, rank_correlation
from models.realism import patch_sliced_wasserstein

#: Loss names reported every step, in a fixed order for logs. ``temporal`` is the coherence
#: ratio (near-pair over random-pair picture distance); ``rho_*`` are the batch's soft rank
#: correlations of the synaesthetic priors and ``realism`` the patch sliced Wasserstein
#: distance of the drawings to the batch's real ones (all reported whether or not trained).
LOSS_NAMES: tuple[str, ...] = (
    "g_gan_image",
    "g_gan_audio",
    "cycle_audio",
    "cycle_image",
    "identity",
    "d_image",
    "d_audio",
    "temporal",
    "rho_level",
    "rho_busy",
    "rho_soft",
    "rho_height",
    "realism",
)

#: Added to the random-pair distance of the temporal term so an all-blank batch is no
#: division by zero (ink distances are in units of the [-1, 1] field).
TEMPORAL_EPS = 0.01


def temporal_ratio(fake: torch.Tensor, fake_next: torch.Tensor) -> torch.Tensor:
    """Mean L1 distance between the pictures of window pairs a few frames apart, over the
    mean L1 distance between different windows' pictures in the batch (each with its
    neighbour in the batch order). Small: neighbouring windows give neighbouring pictures
    while different sounds still give different ones. ``(B, 1, S, S)`` each, B ≥ 2."""
    near = torch.mean(torch.abs(fake - fake_next))
    far = torch.mean(torch.abs(fake - torch.roll(fake, 1, dims=0)))
    return near / (far + TEMPORAL_EPS)


def prior_correlations(
    audio: torch.Tensor,
    fake_image: torch.Tensor,
    analysis: AnalysisConfig,
    noise_descriptor: str = "flatness",
) -> dict[str, torch.Tensor]:
    """The synaesthetic priors' rank correlations over a batch: louder → more ink, noisier →
    more edges, slower attack → softer strokes, brighter/higher → ink higher up.

    Args:
        audio: ``(B, 1, n_mels, n_frames)`` unit windows (band 0 lowest).
        fake_image: ``(B, 1, S, S)`` their pictures in [-1, 1], row 0 the top.
        analysis: the windows' analysis (dB range).
        noise_descriptor: the audio descriptor that stands for "noisy" (``flatness`` or
            ``noisiness``, see :mod:`models.descriptors`).

    Returns:
        ``{"level", "busy", "soft", "height"}``: each a scalar ρ in [-1, 1], differentiable
        in the pictures.
    """
    names = ("level", noise_descriptor, "attack", "centroid")
    with torch.no_grad():
        d = audio_descriptors(audio, analysis, names)
    p = picture_descriptors(fake_image)
    return {
        "level": rank_correlation(d[:, 0], p["ink"]),
        "busy": rank_correlation(d[:, 1], p["edges"]),
        "soft": rank_correlation(-d[:, 2], p["softness"]),
        "height": rank_correlation(d[:, 3], p["height"]),
    }


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

    def forward(
        self, audio: torch.Tensor, image: torch.Tensor, audio_next: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Every generated tensor; with ``audio_next`` (each window's partner a few frames
        later) also ``fake_image_next``, from the same forward as ``fake_image``.
        ``fake_core`` is the drawing before the expression head (the discriminator's
        input) and ``real_image`` the real drawings as the image cycle starts from them
        (expressed with the batch's sounds); both are ``fake_image`` and ``image`` for a
        style without a head."""
        expressed = getattr(self.g_image, "expression", 0.0) > 0.0
        draw = self.g_image.draw if expressed else self.g_image
        if audio_next is not None:
            both = draw(torch.cat([audio, audio_next]))
            fake_core, fake_core_next = both.chunk(2)
        else:
            fake_core = draw(audio)
        if expressed:
            # The head is fixed: the discriminator judges the drawing before it (against
            # the raw drawings), the cycles run through it. A real drawing enters the
            # image cycle expressed with the batch's sounds (each window's neighbour).
            fake_image = self.g_image.express(fake_core, audio)
            with torch.no_grad():
                real_image = self.g_image.express(image, torch.roll(audio, 1, dims=0))
        else:
            fake_image, real_image = fake_core, image
        fake_audio = self.g_audio(real_image)
        out = {
            "fake_image": fake_image,
            "fake_core": fake_core,
            "real_image": real_image,
            "rec_audio": self.g_audio(fake_image),
            "fake_audio": fake_audio,
            "rec_image": self.g_image(fake_audio),
        }
        if audio_next is not None:
            out["fake_image_next"] = (
                self.g_image.express(fake_core_next, audio_next) if expressed else fake_core_next
            )
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
    analysis: AnalysisConfig = DEFAULT_ANALYSIS
    #: Draws the realism term's projection directions (seeded in :meth:`create`).
    realism_rng: torch.Generator = field(default_factory=torch.Generator)

    @classmethod
    def create(
        cls,
        generators: nn.Module,
        d_image: nn.Module,
        d_audio: nn.Module,
        loss: LossConfig,
        optim: OptimConfig,
        seed: int,
        analysis: AnalysisConfig = DEFAULT_ANALYSIS,
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
            analysis,
            torch.Generator().manual_seed(seed + 2),
        )

    def set_lr(self, lr: float) -> None:
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr

    def step(
        self, audio: torch.Tensor, image: torch.Tensor, audio_next: torch.Tensor | None = None
    ) -> dict[str, float]:
        """One generator update then one discriminator update; returns the losses.

        ``audio_next``: each window's partner :attr:`DataConfig.pair_shift` frames later,
        for the temporal term (ignored while ``loss.temporal`` is 0)."""
        bare_d_image, bare_d_audio = _bare(self.d_image), _bare(self.d_audio)
        _set_requires_grad(bare_d_image, False)
        _set_requires_grad(bare_d_audio, False)
        self.opt_g.zero_grad(set_to_none=True)
        use_next = audio_next is not None and self.loss.temporal > 0 and audio.shape[0] > 1
        out = self.generators(audio, image, audio_next if use_next else None)
        g_gan_image = lsgan(bare_d_image(out["fake_core"]), True)
        g_gan_audio = lsgan(bare_d_audio(out["fake_audio"]), True)
        cycle_audio = torch.mean(torch.abs(out["rec_audio"] - audio))
        cycle_image = torch.mean(torch.abs(out["rec_image"] - out["real_image"]))
        identity = torch.zeros((), device=audio.device)
        if "idt_image" in out:
            identity = torch.mean(torch.abs(out["idt_image"] - image)) + torch.mean(
                torch.abs(out["idt_audio"] - audio)
            )
        temporal = torch.zeros((), device=audio.device)
        if use_next:
            temporal = temporal_ratio(out["fake_image"], out["fake_image_next"])
        rhos = prior_correlations(
            audio, out["fake_image"], self.analysis, self.loss.noise_descriptor
        )
        with torch.set_grad_enabled(self.loss.realism > 0):
            realism = patch_sliced_wasserstein(out["fake_core"], image, generator=self.realism_rng)
        prior = sum(
            (w * (1.0 - rhos[k]) for k, w in self.loss.priors.items() if w > 0),
            torch.zeros((), device=audio.device),
        )
        total_g = (
            g_gan_image
            + g_gan_audio
            + self.loss.cycle * (cycle_audio + cycle_image)
            + self.loss.identity * self.loss.cycle * 0.5 * identity
            + self.loss.temporal * temporal
            + prior
            + self.loss.realism * realism
        )
        total_g.backward()
        self.opt_g.step()

        _set_requires_grad(bare_d_image, True)
        _set_requires_grad(bare_d_audio, True)
        self.opt_d.zero_grad(set_to_none=True)
        fake_image = self.pool_image.query(out["fake_core"])
        fake_audio = self.pool_audio.query(out["fake_audio"])
        n = image.shape[0]
        pred_image = self.d_image(torch.cat([image, fake_image]))
        pred_audio = self.d_audio(torch.cat([audio, fake_audio]))
        d_image = 0.5 * (lsgan(pred_image[:n], True) + lsgan(pred_image[n:], False))
        d_audio = 0.5 * (lsgan(pred_audio[:n], True) + lsgan(pred_audio[n:], False))
        (d_image + d_audio).backward()
        self.opt_d.step()
        values = (
            g_gan_image,
            g_gan_audio,
            cycle_audio,
            cycle_image,
            identity,
            d_image,
            d_audio,
            temporal,
            *(rhos[k] for k in ("level", "busy", "soft", "height")),
            realism,
        )
        return {name: float(v.detach()) for name, v in zip(LOSS_NAMES, values, strict=True)}
