"""CycleGAN networks sized for 64×64 single-channel fields, and their factories.

The generator follows Zhu et al. 2017 (c7s1-k, d2k, d4k, R×N, u2k, uk, c7s1-1 with
reflection padding, instance norm and tanh), scaled down in width and depth for a laptop CPU.
Upsampling is nearest-neighbour then a 3×3 convolution rather than a transposed convolution,
which avoids checkerboard artefacts in thin strokes. The discriminator is the PatchGAN.
"""

from __future__ import annotations

import torch
from torch import nn

from models.config import DiscriminatorConfig, GeneratorConfig


def _norm(kind: str, channels: int) -> nn.Module:
    # Instance norm without affine parameters, as in the reference; its statistics are per
    # sample, so a window's output does not depend on what else is in the batch.
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


class ResidualBlock(nn.Module):
    """Two reflection-padded 3×3 convolutions added back onto the input."""

    def __init__(self, channels: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(norm, channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _down(c_in: int, c_out: int, norm: str) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), _norm(norm, c_out), nn.ReLU(True)]


def _up(c_in: int, c_out: int, norm: str) -> list[nn.Module]:
    return [
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.ReflectionPad2d(1),
        nn.Conv2d(c_in, c_out, 3),
        _norm(norm, c_out),
        nn.ReLU(True),
    ]


class GlobalBottleneck(nn.Module):
    """Squeeze a (C, H, W) map to one ``latent`` vector and back, so the decoder draws from
    a summary of the whole window rather than from each time position separately."""

    def __init__(self, channels: int, size: int, latent: int, norm: str) -> None:
        super().__init__()
        squeezes = 0
        while size >> squeezes > 4:
            squeezes += 1
        layers: list[nn.Module] = []
        for _ in range(squeezes):
            layers += _down(channels, channels, norm)
        self.encode = nn.Sequential(*layers)
        small = size >> squeezes
        self.shape = (channels, small, small)
        flat = channels * small * small
        self.to_latent = nn.Sequential(nn.Flatten(), nn.Linear(flat, latent), nn.ReLU(True))
        self.from_latent = nn.Sequential(nn.Linear(latent, flat), nn.ReLU(True))
        ups: list[nn.Module] = []
        for _ in range(squeezes):
            ups += _up(channels, channels, norm)
        self.decode = nn.Sequential(*ups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.to_latent(self.encode(x))
        return self.decode(self.from_latent(z).view(-1, *self.shape))


class ResnetGenerator(nn.Module):
    """Maps a (B, 1, S, S) field in [-1, 1] to another (B, 1, S, S) field in [-1, 1]."""

    def __init__(self, cfg: GeneratorConfig, image_size: int = 64) -> None:
        super().__init__()
        if image_size % (1 << cfg.n_down):
            raise ValueError(f"image_size {image_size} must be divisible by 2**n_down")
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(1, cfg.ngf, 7),
            _norm(cfg.norm, cfg.ngf),
            nn.ReLU(True),
        ]
        channels = cfg.ngf
        for _ in range(cfg.n_down):
            layers += _down(channels, channels * 2, cfg.norm)
            channels *= 2
        if cfg.layout == "global":
            size = image_size >> cfg.n_down
            layers.append(GlobalBottleneck(channels, size, cfg.latent, cfg.norm))
        layers += [ResidualBlock(channels, cfg.norm) for _ in range(cfg.n_blocks)]
        for _ in range(cfg.n_down):
            layers += _up(channels, channels // 2, cfg.norm)
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, 1, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: a grid of real/fake scores, one per overlapping patch (LSGAN targets)."""

    def __init__(self, cfg: DiscriminatorConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(1, cfg.ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        channels = cfg.ndf
        for i in range(1, cfg.n_layers + 1):
            stride = 2 if i < cfg.n_layers else 1
            out = cfg.ndf * min(2**i, 8)
            layers += [
                nn.Conv2d(channels, out, 4, stride, 1),
                nn.InstanceNorm2d(out),
                nn.LeakyReLU(0.2, True),
            ]
            channels = out
        layers.append(nn.Conv2d(channels, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def init_weights(module: nn.Module, gain: float = 0.02) -> None:
    """N(0, 0.02) conv/linear weights and zero biases, as in the CycleGAN recipe."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def build_generator(cfg: GeneratorConfig, image_size: int = 64) -> ResnetGenerator:
    """Factory: an initialised generator for ``cfg``."""
    net = ResnetGenerator(cfg, image_size)
    init_weights(net)
    return net


def build_discriminator(cfg: DiscriminatorConfig) -> PatchDiscriminator:
    """Factory: an initialised PatchGAN for ``cfg``."""
    net = PatchDiscriminator(cfg)
    init_weights(net)
    return net


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
