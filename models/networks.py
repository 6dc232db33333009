"""CycleGAN networks sized for 64×64 single-channel fields, and their factories.

The generator follows Zhu et al. 2017 (c7s1-k, d2k, d4k, R×N, u2k, uk, c7s1-1 with
reflection padding, instance norm and tanh), scaled down in width and depth for a laptop CPU.
Upsampling is nearest-neighbour then a 3×3 convolution rather than a transposed convolution,
which avoids checkerboard artefacts in thin strokes. The discriminator is the PatchGAN.
"""

from __future__ import annotations

import torch
from torch import nn

from models.analysis import DEFAULT_ANALYSIS, AnalysisConfig
from models.config import DiscriminatorConfig, GeneratorConfig, StyleConfig
from models.descriptors import audio_descriptors, check_descriptor_names
from models.expression import (
    EXPRESSION_DESCRIPTORS,
    express,
    spray_texture,
    window_expression_descriptors,
    zoom_grid,
)

#: Width of the descriptor embedding that drives every FiLM layer.
FILM_HIDDEN = 32


class RowLinear(nn.Linear):
    """``nn.Linear`` computed as one elementwise product and a sum over the input features,
    so each output row is the same bits whatever else is in the batch (a GEMM picks its
    kernel, and so its rounding, by the batch size: a one-row batch and a two-row batch
    differ in the last bit). The descriptor embedding and the FiLM maps are tiny (≤ 32 × 128),
    so this costs nothing next to the convolutions, and it keeps ``Style``'s load-time probe
    on its cheapest policy (no padding of one-window calls). Same parameters and state-dict
    keys as ``nn.Linear``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = (x.unsqueeze(-2) * self.weight).sum(dim=-1)
        return y if self.bias is None else y + self.bias


class FiLMNorm(nn.Module):
    """Instance norm whose scale and shift come from a descriptor embedding (FiLM, Perez et
    al. 2018; as AdaIN, Huang & Belongie 2017, with learned statistics): ``norm(x) · (1 + γ)
    + β`` with ``(γ, β)`` a linear map of the embedding ``(B, FILM_HIDDEN)``. Instance norm
    alone removes a window's dB offset; this puts level and timbre back."""

    def __init__(self, kind: str, channels: int) -> None:
        super().__init__()
        self.norm = _plain_norm(kind, channels)
        self.film = RowLinear(FILM_HIDDEN, 2 * channels)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        x = self.norm(x)
        if h is None:
            return x
        gamma, beta = self.film(h).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return x * (1.0 + gamma) + beta


def _plain_norm(kind: str, channels: int) -> nn.Module:
    # Instance norm without affine parameters, as in the reference; its statistics are per
    # sample, so a window's output does not depend on what else is in the batch.
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


def _norm(kind: str, channels: int, film: bool = False) -> nn.Module:
    return FiLMNorm(kind, channels) if film else _plain_norm(kind, channels)


def _run(layers: nn.Sequential, x: torch.Tensor, h: torch.Tensor | None) -> torch.Tensor:
    """Run ``layers`` in order, handing the descriptor embedding to the layers that take it."""
    for layer in layers:
        x = (
            layer(x, h)
            if isinstance(layer, (FiLMNorm, ResidualBlock, GlobalBottleneck))
            else layer(x)
        )
    return x


class ResidualBlock(nn.Module):
    """Two reflection-padded 3×3 convolutions added back onto the input."""

    def __init__(self, channels: int, norm: str, film: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(norm, channels, film),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(norm, channels, film),
        )

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        return x + _run(self.body, x, h)


def _down(c_in: int, c_out: int, norm: str, film: bool = False) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1),
        _norm(norm, c_out, film),
        nn.ReLU(True),
    ]


def _up(c_in: int, c_out: int, norm: str, film: bool = False) -> list[nn.Module]:
    return [
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.ReflectionPad2d(1),
        nn.Conv2d(c_in, c_out, 3),
        _norm(norm, c_out, film),
        nn.ReLU(True),
    ]


class GlobalBottleneck(nn.Module):
    """Squeeze a (C, H, W) map to one ``latent`` vector and back, so the decoder draws from
    a summary of the whole window rather than from each time position separately."""

    def __init__(
        self, channels: int, size: int, latent: int, norm: str, film: bool = False
    ) -> None:
        super().__init__()
        squeezes = 0
        while size >> squeezes > 4:
            squeezes += 1
        layers: list[nn.Module] = []
        for _ in range(squeezes):
            layers += _down(channels, channels, norm, film)
        self.encode = nn.Sequential(*layers)
        small = size >> squeezes
        self.shape = (channels, small, small)
        flat = channels * small * small
        self.to_latent = nn.Sequential(nn.Flatten(), nn.Linear(flat, latent), nn.ReLU(True))
        self.from_latent = nn.Sequential(nn.Linear(latent, flat), nn.ReLU(True))
        ups: list[nn.Module] = []
        for _ in range(squeezes):
            ups += _up(channels, channels, norm, film)
        self.decode = nn.Sequential(*ups)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        z = self.to_latent(_run(self.encode, x, h))
        return _run(self.decode, self.from_latent(z).view(-1, *self.shape), h)


class ResnetGenerator(nn.Module):
    """Maps a (B, 1, S, S) field in [-1, 1] to another (B, 1, S, S) field in [-1, 1].

    Args:
        cfg: the network's shape.
        image_size: ``S``.
        descriptors: audio descriptors (:data:`models.descriptors.AUDIO_DESCRIPTORS`) this
            network computes from its *input window* and feeds to FiLM on every norm layer;
            empty (the default, and every style trained before them): plain instance norm,
            the same modules and weights as before.
        analysis: the analysis the input windows come from (its dB range turns the unit
            window back into levels); used only with ``descriptors``.
        flip_input, flip_output: flip the first spatial axis (mel bands) of the input or the
            output, so that windows (band 0 lowest) are drawn with low frequencies at the
            bottom of the picture (row 0 the top) and pictures turn back into windows the
            right way up. The audio→image generator flips its input, the image→audio one
            its output.
        expression: strength of the expression head (:mod:`models.expression`) applied
            to the output, read from the input window; 0 (the default) leaves it out.
    """

    def __init__(
        self,
        cfg: GeneratorConfig,
        image_size: int = 64,
        *,
        descriptors: tuple[str, ...] = (),
        analysis: AnalysisConfig = DEFAULT_ANALYSIS,
        flip_input: bool = False,
        flip_output: bool = False,
        expression: float = 0.0,
    ) -> None:
        super().__init__()
        if image_size % (1 << cfg.n_down):
            raise ValueError(f"image_size {image_size} must be divisible by 2**n_down")
        self.descriptors = check_descriptor_names(descriptors)
        self.analysis = analysis
        self.flip_input = flip_input
        self.flip_output = flip_output
        self.expression = float(expression)
        # Not in the state dict: the pattern is rebuilt from its seed.
        self.register_buffer("spray", spray_texture(image_size), persistent=False)
        self.register_buffer("zoom_grid", zoom_grid(image_size), persistent=False)
        film = bool(self.descriptors)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(1, cfg.ngf, 7),
            _norm(cfg.norm, cfg.ngf, film),
            nn.ReLU(True),
        ]
        channels = cfg.ngf
        for _ in range(cfg.n_down):
            layers += _down(channels, channels * 2, cfg.norm, film)
            channels *= 2
        if cfg.layout == "global":
            size = image_size >> cfg.n_down
            layers.append(GlobalBottleneck(channels, size, cfg.latent, cfg.norm, film))
        layers += [ResidualBlock(channels, cfg.norm, film) for _ in range(cfg.n_blocks)]
        for _ in range(cfg.n_down):
            layers += _up(channels, channels // 2, cfg.norm, film)
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, 1, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        self.embed: nn.Module | None = None
        if film:
            self.embed = nn.Sequential(
                RowLinear(len(self.descriptors), FILM_HIDDEN),
                nn.ReLU(True),
                RowLinear(FILM_HIDDEN, FILM_HIDDEN),
                nn.ReLU(True),
            )

    def condition(self, x: torch.Tensor) -> torch.Tensor | None:
        """The descriptor embedding ``(B, FILM_HIDDEN)`` of input windows ``x`` (band 0
        lowest), or None for an unconditioned network."""
        if self.embed is None:
            return None
        return self.embed(audio_descriptors(x, self.analysis, self.descriptors))

    def express(self, fields: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
        """The expression head on ``fields`` ``(B, 1, S, S)``, as drawn for ``windows``
        ``(B, 1, n_mels, n_frames)`` (band 0 lowest); the identity when ``expression`` is 0.
        Gradients reach ``windows`` through the descriptors (training's image cycle)."""
        if self.expression <= 0.0:
            return fields
        d = window_expression_descriptors(windows, self.analysis)
        return express(fields, d, self.analysis, self.expression, self.spray, self.zoom_grid)

    def _drawn(self, x: torch.Tensor, h: torch.Tensor | None) -> torch.Tensor:
        if self.flip_input:
            x = torch.flip(x, dims=(2,))
        y = self.model(x) if h is None else _run(self.model, x, h)
        return torch.flip(y, dims=(2,)) if self.flip_output else y

    def draw(self, x: torch.Tensor) -> torch.Tensor:
        """The learned drawing before the expression head (what a discriminator judges)."""
        return self._drawn(x, self.condition(x))

    def forward(self, x: torch.Tensor, strength: torch.Tensor | None = None) -> torch.Tensor:
        """Windows ``x`` ``(B, 1, n_mels, n_frames)`` (band 0 lowest) → pictures ``(B, 1, S,
        S)`` in [-1, 1]. ``strength`` ``(B,)`` scales the expression head per picture, as a
        share of :attr:`expression` (0 the learned drawing alone … 1 the style's head; None
        is 1 for all); ignored by a network without a head."""
        if self.expression <= 0.0:
            return self.draw(x)
        # One pass over the window for FiLM's descriptors and the head's (each descriptor
        # is computed alone, so the numbers are the ones either call would give).
        names = tuple(dict.fromkeys(self.descriptors + EXPRESSION_DESCRIPTORS))
        d = audio_descriptors(x, self.analysis, names)
        h = None
        if self.embed is not None:
            h = self.embed(d[:, : len(self.descriptors)])
        head = d[:, [names.index(n) for n in EXPRESSION_DESCRIPTORS]]
        amount: float | torch.Tensor = self.expression
        if strength is not None:
            amount = strength.to(x.dtype) * self.expression
        return express(self._drawn(x, h), head, self.analysis, amount, self.spray, self.zoom_grid)


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


def build_generator(
    cfg: GeneratorConfig, image_size: int = 64, **kwargs: object
) -> ResnetGenerator:
    """Factory: an initialised generator for ``cfg`` (``kwargs`` as :class:`ResnetGenerator`).
    FiLM layers start at the identity (γ = β = 0), so a conditioned network starts as the
    plain one and learns how much the descriptors matter."""
    net = ResnetGenerator(cfg, image_size, **kwargs)  # type: ignore[arg-type]
    init_weights(net)
    for m in net.modules():
        if isinstance(m, FiLMNorm):
            nn.init.zeros_(m.film.weight)
            nn.init.zeros_(m.film.bias)
    return net


def build_discriminator(cfg: DiscriminatorConfig) -> PatchDiscriminator:
    """Factory: an initialised PatchGAN for ``cfg``."""
    net = PatchDiscriminator(cfg)
    init_weights(net)
    return net


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def style_generators(
    cfg: StyleConfig, *, initialise: bool = True
) -> tuple[ResnetGenerator, ResnetGenerator]:
    """The (audio→image, image→audio) pair a style config describes: the first computes and
    is conditioned on ``cfg.descriptors``; with ``cfg.low_at_bottom`` the first flips its
    input's band axis and the second its output's, so the cycle maps windows to windows;
    the first ends in the expression head at ``cfg.expression``.
    ``initialise`` draws fresh weights (training); without it the weights are left for a
    state dict to fill (loading)."""
    make = build_generator if initialise else ResnetGenerator
    g_image = make(
        cfg.generator,
        cfg.image_size,
        descriptors=cfg.descriptors,
        analysis=cfg.analysis,
        flip_input=cfg.low_at_bottom,
        expression=cfg.expression,
    )
    g_audio = make(cfg.generator, cfg.image_size, flip_output=cfg.low_at_bottom)
    return g_image, g_audio  # type: ignore[return-value]
